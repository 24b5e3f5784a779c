"""How a task row of the read model reads through the API."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from agents_svc.api.readmodel.row_views import task_from_row

AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _row(status: str, progress: float | None) -> tuple[Any, ...]:
    return (
        uuid.uuid4(),  # id
        uuid.uuid4(),  # project_id
        ["x"],
        {"q": 1},
        5,
        status,
        uuid.uuid4(),  # agent_id
        1,
        0,
        3,
        progress,
        {"answer": 42} if status == "completed" else None,
        None,
        None,
        None,
        "user-1",
        AT,
        AT,
        AT,
        AT if status == "completed" else None,
    )


def test_a_completed_task_shows_full_progress_whatever_its_agent_last_reported() -> None:
    assert task_from_row(_row("completed", 0.9))["progress"] == 1.0
    assert task_from_row(_row("completed", None))["progress"] == 1.0


def test_an_unfinished_task_shows_the_progress_its_agent_reported() -> None:
    assert task_from_row(_row("running", 0.9))["progress"] == 0.9
    assert task_from_row(_row("pending", None))["progress"] is None
