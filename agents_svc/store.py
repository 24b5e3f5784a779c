"""The scheduler's records in a Faust table, written through a per-command journal.

A command's effects are several records (a task, its agent, an execution...), each its own
table key. ``commit`` writes ``journal:<command id>`` = {seq, changes, outputs} first and
the records after it. Every write of the shard goes to the same changelog partition in
order, so after a crash the table holds a prefix of them: if any record of a command
survived, its journal did too. A redelivered command whose journal exists is re-applied
from it (same changes, same outputs with the same ids) instead of being decided again on a
state it partly changed already.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from agents_svc.domain.state import Record, SchedulerState

JOURNAL = "journal:"
JOURNAL_WINDOW = 20_000  # commands remembered; far more than one commit interval holds

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredOutput:
    """One output as journaled: enough to emit it again identically."""

    topic: str
    type: str
    subject: str
    data: dict[str, Any]
    time: str

    def to_json(self) -> list[Any]:
        """Compact JSON form."""
        return [self.topic, self.type, self.subject, self.data, self.time]

    @classmethod
    def from_json(cls, raw: list[Any]) -> StoredOutput:
        """Read the compact JSON form back."""
        return cls(str(raw[0]), str(raw[1]), str(raw[2]), dict(raw[3]), str(raw[4]))


@dataclass(frozen=True)
class JournalEntry:
    """What one command did."""

    changes: dict[str, Record | None]
    outputs: list[StoredOutput]


class JournaledStore:
    """Keeps a SchedulerState and its table in step.

    Journal entries live in a ring of ``JOURNAL_WINDOW`` slots (``journal:<n>``), each
    overwritten in turn, so keeping the window costs no deletes; which command a slot holds
    is kept in memory (rebuilt with the state), so checking for a redelivery reads nothing.
    """

    def __init__(self, table: MutableMapping[str, Any], state: SchedulerState) -> None:
        self.table = table
        self.state = state
        self.stale = True
        self._slots: dict[str, int] = {}  # command id -> its journal slot
        self._by_slot: dict[int, str] = {}
        self._seq = 0

    def mark_stale(self) -> None:
        """Partitions moved: rebuild from the table before the next decision."""
        self.stale = True

    def ensure_loaded(self) -> None:
        """Rebuild the in-memory state from the table when it may be out of date."""
        if not self.stale:
            return
        fresh = SchedulerState()
        self._slots.clear()
        self._by_slot.clear()
        self._seq = 0
        stray: list[str] = []
        for key, value in self.table.items():
            if key.startswith(JOURNAL):
                if not key[len(JOURNAL) :].isdigit() or "command_id" not in value:
                    stray.append(key)  # an entry of an older journal layout: not ours
                    continue
                slot = int(key[len(JOURNAL) :])
                self._slots[value["command_id"]] = slot
                self._by_slot[slot] = value["command_id"]
                self._seq = max(self._seq, int(value["seq"]))
            elif value is not None:
                fresh.put(key, value)
        for key in stray:
            del self.table[key]
        # Replace the contents in place: the scheduler holds this very object.
        self.state.__dict__.update(fresh.__dict__)
        self.stale = False
        log.info(
            "scheduler state loaded",
            extra={"records": len(fresh.records), "journal": len(self._slots)},
        )

    def journaled(self, command_id: str) -> JournalEntry | None:
        """What the command did, if it was decided before (a redelivery)."""
        slot = self._slots.get(command_id)
        if slot is None:
            return None
        raw = self.table.get(JOURNAL + str(slot))
        if raw is None or raw["command_id"] != command_id:
            return None
        outputs = [StoredOutput.from_json(o) for o in raw["outputs"]]
        return JournalEntry(dict(raw["changes"]), outputs)

    def reapply(self, entry: JournalEntry) -> None:
        """Write a journaled command's changes again (its journal is already stored)."""
        for key, value in entry.changes.items():
            self.state.put(key, value)
            self._write(key, value)

    def commit(
        self, command_id: str, changes: dict[str, Record | None], outputs: list[StoredOutput]
    ) -> None:
        """Persist a decision: its journal entry first, then every changed record."""
        self._seq += 1
        slot = self._seq % JOURNAL_WINDOW
        evicted = self._by_slot.get(slot)
        if evicted is not None:
            self._slots.pop(evicted, None)
        self.table[JOURNAL + str(slot)] = {
            "command_id": command_id,
            "seq": self._seq,
            "changes": changes,
            "outputs": [o.to_json() for o in outputs],
        }
        self._slots[command_id] = slot
        self._by_slot[slot] = command_id
        for record_key, value in changes.items():
            self._write(record_key, value)

    def _write(self, key: str, value: Record | None) -> None:
        if value is not None:
            self.table[key] = value
            return
        with contextlib.suppress(KeyError):  # a re-applied deletion
            del self.table[key]
