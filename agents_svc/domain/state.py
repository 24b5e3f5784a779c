"""The scheduler's state: records by key, plus the indexes every decision needs.

Records are plain JSON-able dicts treated as immutable values: a change replaces the whole
record (``put``), so an undo log can hold the old value and the table can persist the new
one. Indexes (names per project, load per agent, pending queues per project) are derived
from the records and maintained on every put, so they can always be rebuilt from a table.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sortedcontainers import SortedList

Record = dict[str, Any]

AGENT, TASK, WORKFLOW, EXECUTION, MAILBOX = "agent:", "task:", "wf:", "exec:", "mbox:"
ACTIVE = frozenset({"assigned", "running"})


def name_key(project_id: str, name: str) -> tuple[str, str]:
    """Agent names are unique per project, compared case-insensitively."""
    return project_id, name.strip().casefold()


class SchedulerState:
    """Every record of the shard, in memory, with derived indexes."""

    def __init__(self) -> None:
        self.records: dict[str, Record] = {}
        self.names: dict[tuple[str, str], str] = {}
        self.agent_records: dict[str, Record] = {}
        self.load: dict[str, set[str]] = {}
        self.pending: dict[str, SortedList] = {}
        self.served: dict[str, int] = {}  # project -> dispatch counter when last served
        self.dispatches = 0
        self.next_seq = 1

    def get(self, key: str) -> Record | None:
        """The record at ``key`` (None when absent)."""
        return self.records.get(key)

    def agents(self) -> Iterator[Record]:
        """Every live agent."""
        return iter(list(self.agent_records.values()))

    def tasks(self) -> Iterator[Record]:
        """Every unfinished task."""
        return (r for k, r in self.records.items() if k.startswith(TASK))

    def put(self, key: str, value: Record | None) -> Record | None:
        """Replace (or delete, with None) a record; returns the old value."""
        old = self.records.get(key)
        if old is not None:
            self._unindex(key, old)
        if value is None:
            self.records.pop(key, None)
        else:
            self.records[key] = value
            self._index(key, value)
        return old

    def load_of(self, agent_id: str) -> int:
        """How many tasks the agent holds (assigned or running)."""
        return len(self.load.get(agent_id, ()))

    def tasks_of(self, agent_id: str) -> list[str]:
        """Ids of the tasks the agent holds, in a stable order."""
        return sorted(self.load.get(agent_id, ()))

    def pending_projects(self) -> list[str]:
        """Projects with queued tasks, least recently served first (fairness)."""
        live = [p for p, q in self.pending.items() if q]
        return sorted(live, key=lambda p: (self.served.get(p, 0), p))

    def mark_served(self, project_id: str) -> None:
        """Remember that a project just had a task dispatched."""
        self.dispatches += 1
        self.served[project_id] = self.dispatches

    def _index(self, key: str, rec: Record) -> None:
        if key.startswith(AGENT):
            self.names[name_key(rec["project_id"], rec["name"])] = rec["id"]
            self.agent_records[rec["id"]] = rec
        elif key.startswith(TASK):
            self.next_seq = max(self.next_seq, int(rec["seq"]) + 1)
            if rec["status"] in ACTIVE and rec.get("agent_id"):
                self.load.setdefault(rec["agent_id"], set()).add(rec["id"])
            elif rec["status"] == "pending" and not rec.get("held"):
                queue = self.pending.setdefault(rec["project_id"], SortedList())
                queue.add(_queue_entry(rec))

    def _unindex(self, key: str, rec: Record) -> None:
        if key.startswith(AGENT):
            self.names.pop(name_key(rec["project_id"], rec["name"]), None)
            self.agent_records.pop(rec["id"], None)
        elif key.startswith(TASK):
            if rec["status"] in ACTIVE and rec.get("agent_id"):
                self.load.get(rec["agent_id"], set()).discard(rec["id"])
            elif rec["status"] == "pending" and not rec.get("held"):
                queue = self.pending.get(rec["project_id"])
                if queue is not None:
                    queue.discard(_queue_entry(rec))


def _queue_entry(rec: Record) -> tuple[int, int, str]:
    # Highest priority first, then first come first served.
    return (-int(rec["priority"]), int(rec["seq"]), rec["id"])
