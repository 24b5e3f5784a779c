"""``record_applied``: what a projector writes and notifies (a recording cursor, no Postgres)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from streams import readmodel_applied as applied
from streams.readmodel_applied import (
    CHANNEL,
    applied_commands_ddl,
    notify_payloads,
    parse_payload,
    record_applied,
)


@dataclass(frozen=True)
class Event:
    causationid: str | None


class RecordingCursor:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    async def execute(self, sql: str, params: Any = None) -> None:
        self.calls.append((sql, params))


async def test_counts_per_causationid_and_notifies_once() -> None:
    cur = RecordingCursor()
    events = [Event("c-2"), Event("c-1"), Event("c-2"), Event(None)]
    assert await record_applied(cur, "things", events) == 2
    upsert, notify = cur.calls[0], cur.calls[1]
    assert "things.applied_commands" in upsert[0] and "events + EXCLUDED.events" in upsert[0]
    assert upsert[1] == (["c-1", "c-2"], [1, 2])  # sorted: rows locked in one order
    assert notify == ("SELECT pg_notify(%s, %s)", (CHANNEL, "things:c-1,c-2"))


async def test_nothing_new_writes_nothing() -> None:
    cur = RecordingCursor()
    assert await record_applied(cur, "things", [Event(None)]) == 0
    assert cur.calls == []


async def test_old_rows_are_pruned_now_and_then(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(applied, "PRUNE_EVERY", 3)
    monkeypatch.setattr(applied, "_batches", applied.Counter())
    pruned = []
    for _ in range(7):
        cur = RecordingCursor()
        await record_applied(cur, "things", [Event("c")])
        pruned.append(any(sql.startswith("DELETE") for sql, _p in cur.calls))
    assert pruned == [True, False, False, True, False, False, True]


def test_payloads_stay_under_the_notify_limit_and_lose_no_id() -> None:
    ids = [f"{n:036d}" for n in range(1000)]
    payloads = list(notify_payloads("agents", ids))
    assert len(payloads) > 1 and all(len(p.encode()) < 8000 for p in payloads)
    back = [i for p in payloads for i in parse_payload(p)[1]]
    assert back == ids and {parse_payload(p)[0] for p in payloads} == {"agents"}


@pytest.mark.parametrize("schema", ["Users", "users; DROP TABLE x", "1abc", ""])
def test_a_schema_must_be_a_plain_name(schema: str) -> None:
    with pytest.raises(ValueError):
        applied_commands_ddl(schema)
