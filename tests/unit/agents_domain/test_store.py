"""The journaled store: what a crash leaves in the table is enough to finish a command."""

from __future__ import annotations

from typing import Any

from agents_svc.domain.state import SchedulerState
from agents_svc.store import JOURNAL, JOURNAL_WINDOW, JournaledStore, StoredOutput

OUT = StoredOutput("agent-events", "TaskQueued", "t1", {"task_id": "t1"}, "2026-01-01T00:00:00Z")


def task(task_id: str, status: str = "pending") -> dict[str, Any]:
    return {
        "id": task_id,
        "seq": 1,
        "project_id": "p",
        "priority": 5,
        "status": status,
        "agent_id": None,
    }


def test_a_commit_writes_its_journal_before_its_records() -> None:
    class Recording(dict[str, Any]):
        order: list[str] = []

        def __setitem__(self, key: str, value: Any) -> None:
            self.order.append(key)
            super().__setitem__(key, value)

    table = Recording()
    store = JournaledStore(table, SchedulerState())
    store.ensure_loaded()
    store.commit("c1", {"task:t1": task("t1")}, [OUT])
    assert table.order[0].startswith(JOURNAL)
    assert table.order[1:] == ["task:t1"]


def test_a_redelivered_command_finds_its_journal_after_a_restart() -> None:
    table: dict[str, Any] = {}
    store = JournaledStore(table, SchedulerState())
    store.ensure_loaded()
    store.commit("c1", {"task:t1": task("t1")}, [OUT])
    # A crash after the journal but before the record: only the journal survived.
    del table["task:t1"]

    state = SchedulerState()
    restarted = JournaledStore(table, state)
    restarted.ensure_loaded()
    entry = restarted.journaled("c1")
    assert entry is not None and entry.outputs == [OUT]
    restarted.reapply(entry)
    assert table["task:t1"]["status"] == "pending"
    assert state.get("task:t1") is not None
    assert [e[2] for e in state.pending["p"]] == ["t1"]  # the queue index is rebuilt too
    assert restarted.journaled("never-seen") is None


def test_a_deletion_is_persisted_and_survives_a_replay() -> None:
    table: dict[str, Any] = {"task:t1": task("t1")}
    store = JournaledStore(table, SchedulerState())
    store.ensure_loaded()
    store.commit("c2", {"task:t1": None}, [])
    assert "task:t1" not in table
    entry = store.journaled("c2")
    assert entry is not None
    store.reapply(entry)  # deleting what is gone already is fine
    assert "task:t1" not in table


def test_the_journal_is_a_ring_that_forgets_the_oldest_commands() -> None:
    table: dict[str, Any] = {}
    store = JournaledStore(table, SchedulerState())
    store.ensure_loaded()
    for n in range(JOURNAL_WINDOW + 5):
        store.commit(f"c{n}", {}, [])
    assert sum(1 for k in table if k.startswith(JOURNAL)) == JOURNAL_WINDOW
    assert store.journaled("c0") is None
    assert store.journaled(f"c{JOURNAL_WINDOW + 4}") is not None

    restarted = JournaledStore(table, SchedulerState())
    restarted.ensure_loaded()
    assert restarted.journaled("c4") is None
    assert restarted.journaled("c5") is not None


def test_entries_of_an_older_journal_layout_are_dropped_not_fatal() -> None:
    table: dict[str, Any] = {"journal:5f0c-not-a-slot": {"seq": 1, "changes": {}, "outputs": []}}
    store = JournaledStore(table, SchedulerState())
    store.ensure_loaded()
    store.commit("c1", {}, [])
    assert "journal:5f0c-not-a-slot" not in table
    assert store.journaled("c1") is not None
