"""The journaled store: one entry per command is enough to rebuild the state after a crash."""

from __future__ import annotations

from typing import Any

from agents_svc.domain.state import SchedulerState
from agents_svc.worker.journaled_store import (
    FLUSH_EVERY,
    JOURNAL,
    JOURNAL_WINDOW,
    JournaledOutput,
    JournaledStore,
)

OUT = JournaledOutput("agent-events", "TaskQueued", "t1", {"task_id": "t1"}, "2026-01-01T00:00:00Z")


def task(task_id: str, status: str = "pending") -> dict[str, Any]:
    return {
        "id": task_id,
        "seq": 1,
        "project_id": "p",
        "priority": 5,
        "status": status,
        "agent_id": None,
    }


def loaded(table: dict[str, Any]) -> tuple[JournaledStore, SchedulerState]:
    state = SchedulerState()
    store = JournaledStore(table, state)
    store.ensure_loaded()
    return store, state


def test_a_command_is_one_journal_write_and_its_records_follow_at_the_flush() -> None:
    table: dict[str, Any] = {}
    store, _state = loaded(table)
    store.commit("c1", {"task:t1": task("t1")}, [OUT])
    assert [k for k in table if not k.startswith(JOURNAL)] == []
    for n in range(2, FLUSH_EVERY + 1):
        store.commit(f"c{n}", {}, [])
    assert table["task:t1"]["status"] == "pending"


def test_a_restart_rebuilds_unflushed_changes_from_the_journal_in_order() -> None:
    table: dict[str, Any] = {}
    store, _state = loaded(table)
    store.commit("c1", {"task:t1": task("t1")}, [OUT])
    store.commit("c2", {"task:t1": task("t1", "assigned") | {"agent_id": "a1"}}, [])
    store.commit("c3", {"task:t2": task("t2")}, [])

    restarted, state = loaded(table)
    assert state.get("task:t1")["status"] == "assigned"  # the newer change wins
    assert state.load_of("a1") == 1
    assert [e[2] for e in state.pending["p"]] == ["t2"]  # the queue index is rebuilt too
    entry = restarted.journaled("c1")
    assert entry is not None and entry.outputs == [OUT]
    assert restarted.journaled("never-seen") is None


def test_a_task_that_comes_and_goes_between_flushes_is_never_written() -> None:
    table: dict[str, Any] = {}
    store, _state = loaded(table)
    store.commit("c1", {"task:t1": task("t1")}, [])
    store.commit("c2", {"task:t1": None}, [])
    store.flush()
    assert "task:t1" not in table

    _again, state = loaded(table)
    assert state.get("task:t1") is None


def test_a_flushed_record_deleted_later_leaves_a_tombstone() -> None:
    table: dict[str, Any] = {"task:t1": task("t1")}
    store, _state = loaded(table)
    store.commit("c1", {"task:t1": None}, [])
    store.flush()
    assert "task:t1" not in table
    entry = store.journaled("c1")
    assert entry is not None
    store.reapply(entry)  # a redelivered deletion of what is gone already is fine
    store.flush()
    assert "task:t1" not in table


def test_the_journal_is_a_ring_that_forgets_the_oldest_commands() -> None:
    table: dict[str, Any] = {}
    store, _state = loaded(table)
    for n in range(JOURNAL_WINDOW + 5):
        store.commit(f"c{n}", {f"task:t{n % 3}": task(f"t{n % 3}")}, [])
    assert sum(1 for k in table if k.startswith(JOURNAL)) == JOURNAL_WINDOW
    assert store.journaled("c0") is None
    assert store.journaled(f"c{JOURNAL_WINDOW + 4}") is not None

    restarted, state = loaded(table)
    assert restarted.journaled("c4") is None
    assert restarted.journaled("c5") is not None
    assert {k for k in state.records} == {"task:t0", "task:t1", "task:t2"}


def test_entries_of_an_older_journal_layout_are_dropped_not_fatal() -> None:
    table: dict[str, Any] = {"journal:5f0c-not-a-slot": {"seq": 1, "changes": {}, "outputs": []}}
    store, _state = loaded(table)
    store.commit("c1", {}, [])
    assert "journal:5f0c-not-a-slot" not in table
    assert store.journaled("c1") is not None
