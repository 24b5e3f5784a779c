"""Pausing, resuming and cancelling an execution: the commands that change its status."""

from __future__ import annotations

from typing import Any

from agents_svc.domain.decision import SchedulerDecision
from agents_svc.domain.errors import conflict
from agents_svc.domain.executions import (
    advance,
    finish_execution,
    get_execution,
    tasks_of_execution,
)
from agents_svc.domain.state import EXECUTION, Record
from agents_svc.domain.tasks import task_key
from agents_svc.domain.views import execution_view


def pause(dec: SchedulerDecision, data: dict[str, Any]) -> None:
    """PauseExecution: dispatch nothing new until resumed."""
    ex = _transition(dec, data, "paused", {"running"})
    for task in tasks_of_execution(dec, ex):
        if task["status"] == "pending":
            dec.update(task_key(task["id"]), held=True)
    dec.reply(execution_view(ex))


def resume(dec: SchedulerDecision, data: dict[str, Any]) -> None:
    """ResumeExecution: continue exactly where it stopped."""
    ex = _transition(dec, data, "running", {"paused"})
    for task in tasks_of_execution(dec, ex):
        if task.get("held"):
            dec.update(task_key(task["id"]), held=False)
    dec.reply(execution_view(advance(dec, ex)))


def cancel(dec: SchedulerDecision, data: dict[str, Any]) -> None:
    """CancelExecution: stop its active tasks on their agents."""
    ex = get_execution(dec, data["execution_id"])
    _transition(dec, data, ex["status"], {"running", "paused"}, announce=False)
    done = finish_execution(dec, ex, "cancelled", by=data.get("by"), reason=data.get("reason"))
    dec.reply(execution_view(done))


def _transition(
    dec: SchedulerDecision, data: dict[str, Any], to: str, allowed: set[str], announce: bool = True
) -> Record:
    ex = get_execution(dec, data["execution_id"])
    if ex["status"] not in allowed:
        raise conflict("invalid_transition", f"execution is {ex['status']}", "execution_id")
    if announce:
        dec.event(
            "ExecutionStatusChanged",
            ex["id"],
            {
                "execution_id": ex["id"],
                "from": ex["status"],
                "to": to,
                "reason": data.get("reason"),
                "by": data.get("by"),
                "outputs": None,
            },
        )
        ex = dec.update(EXECUTION + ex["id"], status=to, updated_at=dec.now)
    return ex
