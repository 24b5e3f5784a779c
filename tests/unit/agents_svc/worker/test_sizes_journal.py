"""A journal entry too large for one message is split into parts and read back whole."""

from __future__ import annotations

from typing import Any

from agents_svc.domain.sizes import json_size
from agents_svc.domain.state import Record, SchedulerState
from agents_svc.worker.journal_parts import split
from agents_svc.worker.journaled_store import JOURNAL_WINDOW, JournaledOutput, JournaledStore

BUDGET = 1_000


def task(task_id: str, pad: int = 0) -> dict[str, Any]:
    return {
        "id": task_id,
        "seq": 1,
        "project_id": "p",
        "priority": 5,
        "status": "pending",
        "agent_id": None,
        "input": {"pad": "x" * pad},
    }


def out(n: int) -> JournaledOutput:
    return JournaledOutput(
        "agent-events", "TaskQueued", f"t{n}", {"pad": "y" * 300}, "2026-01-01T00:00:00Z"
    )


def loaded(table: dict[str, Any]) -> JournaledStore:
    store = JournaledStore(table, SchedulerState(), part_bytes=BUDGET)
    store.ensure_loaded()
    return store


def test_split_keeps_the_order_and_each_body_within_the_budget() -> None:
    changes = {f"task:t{n}": task(f"t{n}", 300) for n in range(5)}
    outputs = [out(n).to_json() for n in range(5)]
    bodies = split(changes, outputs, BUDGET)
    assert len(bodies) > 2
    assert all(json_size(b) <= BUDGET + 100 for b in bodies)
    assert [k for b in bodies for k in b["changes"]] == list(changes)
    assert [o for b in bodies for o in b["outputs"]] == outputs


def test_a_large_entry_is_stored_in_parts_and_replayed_whole_after_a_restart() -> None:
    table: dict[str, Any] = {}
    store = loaded(table)
    changes: dict[str, Record | None] = {f"task:t{n}": task(f"t{n}", 300) for n in range(5)}
    store.commit("c1", changes, [out(n) for n in range(5)])
    assert any(k.startswith("journal:1.") for k in table)

    restarted = loaded(table)
    assert set(restarted.state.records) == set(changes)
    entry = restarted.journaled("c1")
    assert entry is not None
    assert entry.outputs == [out(n) for n in range(5)]


def test_a_slot_reused_by_a_smaller_entry_leaves_no_parts_behind() -> None:
    table: dict[str, Any] = {}
    store = loaded(table)
    store.commit("c1", {f"task:t{n}": task(f"t{n}", 300) for n in range(5)}, [])
    for n in range(2, JOURNAL_WINDOW + 2):  # the ring comes round to slot 1 again
        store.commit(f"c{n}", {}, [])
    assert not [k for k in table if k.startswith("journal:1.")]
    assert loaded(table).journaled("c1") is None


def test_parts_no_head_counts_are_dropped_on_load() -> None:
    table: dict[str, Any] = {
        "journal:7.0": {"command_id": "old", "seq": 3, "changes": {}, "outputs": []}
    }
    loaded(table)
    assert "journal:7.0" not in table


def test_an_entry_missing_a_part_counts_as_not_stored_and_loading_goes_on() -> None:
    table: dict[str, Any] = {}
    store = loaded(table)
    store.commit("c1", {"task:t0": task("t0")}, [])
    store.commit("c2", {f"task:t{n}": task(f"t{n}", 300) for n in range(1, 6)}, [])
    del table["journal:2.0"]  # as a version that knew no parts would have

    restarted = loaded(table)
    assert set(restarted.state.records) == {"task:t0"}
    assert restarted.journaled("c2") is None  # redelivered, it is decided afresh
    assert not [k for k in table if k.startswith("journal:2")]
