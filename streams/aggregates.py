"""Per-aggregate state with built-in idempotency: the effect and its proof in one record.

Each consumed topic gets a Faust table keyed by the aggregate id (the record key, so the
table is co-partitioned with the topic). One value holds the handler's state for that
aggregate, the ids of the events already applied to it, and the outbox: the events those
recent events emitted. Because the state change and the "applied" mark are one table write,
a crash can never leave one without the other; and because the outputs are in the same
write, a redelivered event whose outputs may not have reached Kafka re-sends them (with the
same ids, so downstream consumers see duplicates they can drop) instead of losing them.
"""

from __future__ import annotations

import copy
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any

APPLIED_WINDOW = 1000  # ids remembered per aggregate; far more than one commit interval holds
OUTBOX_WINDOW = 50  # events per aggregate whose outputs are kept for re-sending


@dataclass
class StoredOutput:
    """One emitted event as kept in the outbox."""

    topic: str
    envelope: dict[str, Any]
    traceparent: str

    def to_json(self) -> list[Any]:
        """Compact JSON form for the table value."""
        return [self.topic, self.envelope, self.traceparent]

    @classmethod
    def from_json(cls, raw: list[Any]) -> StoredOutput:
        """Read back the compact JSON form."""
        return cls(str(raw[0]), dict(raw[1]), str(raw[2]))


@dataclass
class AggregateRecord:
    """What the table holds for one aggregate."""

    state: Any = None
    applied: list[str] = field(default_factory=list)
    outbox: dict[str, list[StoredOutput]] = field(default_factory=dict)

    def has_applied(self, event_id: str) -> bool:
        """True when this event already changed this aggregate."""
        return event_id in self.applied

    def advance(
        self, event_id: str, state: Any, outputs: list[StoredOutput]
    ) -> AggregateRecord:
        """The record after applying one more event (windows trimmed, oldest first out)."""
        applied = [*self.applied, event_id][-APPLIED_WINDOW:]
        outbox = {**self.outbox, event_id: outputs}
        for old in list(outbox)[: max(0, len(outbox) - OUTBOX_WINDOW)]:
            del outbox[old]
        return AggregateRecord(state, applied, outbox)

    def to_json(self) -> dict[str, Any]:
        """The JSON value stored in the table."""
        return {
            "state": self.state,
            "applied": self.applied,
            "outbox": {k: [o.to_json() for o in v] for k, v in self.outbox.items()},
        }

    @classmethod
    def from_json(cls, raw: Any) -> AggregateRecord:
        """Read a table value back (an absent value is a fresh aggregate)."""
        if raw is None:
            return cls()
        outbox = {k: [StoredOutput.from_json(o) for o in v] for k, v in raw["outbox"].items()}
        return cls(raw.get("state"), list(raw["applied"]), outbox)


class AggregateStore:
    """Loads and saves AggregateRecords in a (Faust) table or any mutable mapping."""

    def __init__(self, table: MutableMapping[str, Any]) -> None:
        self.table = table

    def load(self, subject: str) -> AggregateRecord:
        """The aggregate's record (fresh when never seen)."""
        return AggregateRecord.from_json(self.table.get(subject))

    def save(self, subject: str, record: AggregateRecord) -> None:
        """Write the record back; in a Faust stream this also appends to the changelog."""
        self.table[subject] = record.to_json()

    def state(self, subject: str) -> Any:
        """A copy of the handler state of one aggregate (for read-only views)."""
        return copy.deepcopy(self.load(subject).state)
