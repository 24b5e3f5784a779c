"""Aggregate records: bounded memory of applied events and outputs, and their table form."""

from __future__ import annotations

from typing import Any

import orjson

from streams.aggregates import (
    APPLIED_WINDOW,
    OUTBOX_WINDOW,
    AggregateRecord,
    AggregateStore,
    StoredOutput,
)

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def _output(n: int) -> StoredOutput:
    envelope = {"id": f"out-{n}", "type": "AgentStatusChanged", "subject": "a", "data": {"n": n}}
    return StoredOutput("agent-events", envelope, TRACEPARENT)


def _apply(count: int, record: AggregateRecord | None = None) -> AggregateRecord:
    record = record or AggregateRecord()
    for n in range(count):
        record = record.advance(f"e{n}", {"seen": n + 1}, [_output(n)])
    return record


def test_a_fresh_aggregate_has_no_state_and_nothing_applied() -> None:
    record = AggregateStore({}).load("never-seen")
    assert record.state is None
    assert not record.has_applied("e0")
    assert record.outbox == {}


def test_advancing_remembers_the_event_its_state_and_its_outputs() -> None:
    record = AggregateRecord().advance("e1", {"status": "online"}, [_output(1)])
    assert record.has_applied("e1") and not record.has_applied("e2")
    assert record.state == {"status": "online"}
    assert record.outbox == {"e1": [_output(1)]}


def test_advancing_leaves_the_previous_record_unchanged() -> None:
    before = AggregateRecord().advance("e1", 1, [])
    before.advance("e2", 2, [_output(2)])
    assert (before.state, before.applied, list(before.outbox)) == (1, ["e1"], ["e1"])


def test_the_applied_window_keeps_the_newest_ids() -> None:
    record = _apply(APPLIED_WINDOW + 5)
    assert len(record.applied) == APPLIED_WINDOW
    assert record.applied[0] == "e5"
    assert record.applied[-1] == f"e{APPLIED_WINDOW + 4}"
    assert not record.has_applied("e4")
    assert record.has_applied("e5")
    assert record.state == {"seen": APPLIED_WINDOW + 5}


def test_the_outbox_window_drops_the_oldest_events_first() -> None:
    record = _apply(OUTBOX_WINDOW + 3)
    assert len(record.outbox) == OUTBOX_WINDOW
    assert next(iter(record.outbox)) == "e3"
    assert "e2" not in record.outbox
    newest = f"e{OUTBOX_WINDOW + 2}"
    assert record.outbox[newest] == [_output(OUTBOX_WINDOW + 2)]
    # Older events are still known as applied even once their outputs are forgotten.
    assert record.has_applied("e0")


def test_a_record_survives_a_json_round_trip() -> None:
    record = _apply(3).advance("e-last", {"nested": {"list": [1, "two", None]}}, [])
    back = AggregateRecord.from_json(orjson.loads(orjson.dumps(record.to_json())))
    assert back == record
    assert back.outbox["e1"][0].envelope["data"] == {"n": 1}
    assert back.outbox["e1"][0].traceparent == TRACEPARENT


def test_the_window_order_survives_a_json_round_trip() -> None:
    # Trimming after a reload must still drop the oldest entries, not arbitrary ones.
    stored = orjson.loads(orjson.dumps(_apply(OUTBOX_WINDOW).to_json()))
    record = AggregateRecord.from_json(stored).advance("new", None, [])
    assert "e0" not in record.outbox
    assert "e1" in record.outbox and "new" in record.outbox


def test_the_store_saves_and_loads_by_subject() -> None:
    table: dict[str, Any] = {}
    store = AggregateStore(table)
    store.save("agent-1", AggregateRecord().advance("e1", {"status": "busy"}, [_output(1)]))
    assert set(table) == {"agent-1"}
    assert store.load("agent-1").has_applied("e1")
    assert not store.load("agent-2").has_applied("e1")
    assert orjson.loads(orjson.dumps(table["agent-1"]))["state"] == {"status": "busy"}


def test_the_state_view_is_a_copy() -> None:
    store = AggregateStore({})
    store.save("agent-1", AggregateRecord(state={"tags": ["a"]}))
    view = store.state("agent-1")
    view["tags"].append("mutated")
    assert store.state("agent-1") == {"tags": ["a"]}
