"""The scheduler's records in a Faust table, written through a per-command journal.

A command's effects are several records (a task, its agent, an execution...), each its own
table key. ``commit`` writes one journal entry, ``journal:<slot>`` = {command id, seq,
changes (the new value of every record it touched), outputs}: a single changelog message,
so a command is stored whole or not at all. An entry too large for one message is split
(``agents_svc.worker.journal_parts``): its first items go to parts written before the head, which
names how many there are, so it too is stored whole or not at all. The records themselves
are written behind, every ``FLUSH_EVERY`` commands (a task that comes and goes in between is
never written at all); loading takes the records, then replays the journal's changes in
order over them, so the state is the same either way. A redelivered command whose entry
exists is re-applied from it (same changes, same outputs with the same ids) instead of being
decided again.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from agents_svc.domain.sizes import RECORD_MAX_BYTES
from agents_svc.domain.state import Record, SchedulerState
from agents_svc.worker.journal_parts import JOURNAL, PARTS, assemble, parse_part, part_key, split

JOURNAL_WINDOW = 20_000  # commands remembered; far more than one commit interval holds
# Records are flushed well before their entries leave the ring, so no change is ever only in
# an overwritten entry.
FLUSH_EVERY = 1_000

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JournaledOutput:
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
    def from_json(cls, raw: list[Any]) -> JournaledOutput:
        """Read the compact JSON form back."""
        return cls(str(raw[0]), str(raw[1]), str(raw[2]), dict(raw[3]), str(raw[4]))


@dataclass(frozen=True)
class JournalEntry:
    """What one command did."""

    changes: dict[str, Record | None]
    outputs: list[JournaledOutput]


class JournaledStore:
    """Keeps a SchedulerState and its table in step.

    Journal entries live in a ring of ``JOURNAL_WINDOW`` slots (``journal:<n>``), each
    overwritten in turn, so keeping the window costs no deletes; which command a slot holds
    is kept in memory (rebuilt with the state), so checking for a redelivery reads nothing.
    """

    def __init__(
        self,
        table: MutableMapping[str, Any],
        state: SchedulerState,
        *,
        part_bytes: int = RECORD_MAX_BYTES,
    ) -> None:
        self.table = table
        self.state = state
        self.part_bytes = part_bytes
        self._parts: dict[int, int] = {}  # slot -> parts its entry has in the table
        self.stale = True
        self._slots: dict[str, int] = {}  # command id -> its journal slot
        self._by_slot: dict[int, str] = {}
        self._seq = 0
        self._dirty: dict[str, Record | None] = {}  # changed since the last flush
        self._persisted: set[str] = set()  # record keys the table holds

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
        self._parts.clear()
        self._dirty.clear()
        self._persisted.clear()
        entries: list[tuple[int, dict[str, Any]]] = []
        stray: list[str] = []
        parts: list[tuple[int, int, str]] = []
        for key, value in list(self.table.items()):
            if not key.startswith(JOURNAL):
                if value is not None:
                    fresh.put(key, value)
                    self._persisted.add(key)
            elif key[len(JOURNAL) :].isdigit() and "command_id" in value:
                slot = int(key[len(JOURNAL) :])
                whole = assemble(value, self.table, slot)
                if whole is None:
                    log.error("journal entry without all its parts ignored", extra={"key": key})
                    stray.append(key)
                    continue
                self._slots[value["command_id"]] = slot
                self._by_slot[slot] = value["command_id"]
                self._parts[slot] = int(value.get(PARTS) or 0)
                entries.append((int(value["seq"]), whole))
            elif (where := parse_part(key)) is not None:
                parts.append((*where, key))
            else:
                stray.append(key)  # an entry of an older journal layout: not ours
        # Parts no head counts (left by an entry split further than the slot's next one).
        stray += [key for slot, n, key in parts if n >= self._parts.get(slot, 0)]
        entries.sort(key=lambda e: e[0])
        for _seq, entry in entries:  # changes not flushed yet, oldest first
            for key, value in entry["changes"].items():
                fresh.put(key, value)
                self._dirty[key] = value
        self._seq = entries[-1][0] if entries else 0
        for key in stray:
            del self.table[key]
        # Replace the contents in place: the scheduler holds this very object.
        self.state.__dict__.update(fresh.__dict__)
        self.stale = False
        log.info(
            "scheduler state loaded",
            extra={"records": len(fresh.records), "journal": len(entries)},
        )

    def journaled(self, command_id: str) -> JournalEntry | None:
        """What the command did, if it was decided before (a redelivery)."""
        slot = self._slots.get(command_id)
        if slot is None:
            return None
        raw = self.table.get(JOURNAL + str(slot))
        if raw is None or raw["command_id"] != command_id:
            return None
        raw = assemble(raw, self.table, slot)
        if raw is None:
            return None
        outputs = [JournaledOutput.from_json(o) for o in raw["outputs"]]
        return JournalEntry(dict(raw["changes"]), outputs)

    def reapply(self, entry: JournalEntry) -> None:
        """Apply a journaled command's changes again (its entry is already stored)."""
        for key, value in entry.changes.items():
            self.state.put(key, value)
            self._dirty[key] = value

    def commit(
        self, command_id: str, changes: dict[str, Record | None], outputs: list[JournaledOutput]
    ) -> None:
        """Persist a decision as one journal entry; its records follow at the next flush."""
        self._seq += 1
        slot = self._seq % JOURNAL_WINDOW
        evicted = self._by_slot.get(slot)
        if evicted is not None:
            self._slots.pop(evicted, None)
        *first, last = split(changes, [o.to_json() for o in outputs], self.part_bytes)
        head = {"command_id": command_id, "seq": self._seq}
        for n, body in enumerate(first):  # before the head: see agents_svc.worker.journal_parts
            self.table[part_key(slot, n)] = {**head, **body}
        for n in range(len(first), self._parts.get(slot, 0)):
            with contextlib.suppress(KeyError):
                del self.table[part_key(slot, n)]  # the slot's previous entry had more
        self.table[JOURNAL + str(slot)] = {**head, **last, PARTS: len(first)}
        self._parts[slot] = len(first)
        self._slots[command_id] = slot
        self._by_slot[slot] = command_id
        self._dirty.update(changes)
        if self._seq % FLUSH_EVERY == 0:
            self.flush()

    def flush(self) -> None:
        """Write every record changed since the last flush (deleted ones as tombstones)."""
        for key, value in self._dirty.items():
            if value is not None:
                self.table[key] = value
                self._persisted.add(key)
            elif key in self._persisted:
                with contextlib.suppress(KeyError):
                    del self.table[key]
                self._persisted.discard(key)
        self._dirty.clear()
