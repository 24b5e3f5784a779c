"""Idempotency: remember processed event ids so redelivered events have no second effect."""

from __future__ import annotations

import time
from collections.abc import MutableMapping
from typing import Any, Protocol


class ProcessedStore(Protocol):
    """Where processed event ids are kept."""

    def seen(self, event_id: str) -> bool:
        """True when this event id was already processed."""

    def mark(self, event_id: str) -> None:
        """Record that this event id has been processed."""


class TableProcessedStore:
    """Processed ids in a Faust table (changelogged, so the memory survives restarts).

    Must be used from inside the stream that consumes the events: Faust writes each key to
    the changelog partition of the event being processed, which keeps the ids co-located
    with the partition they belong to when partitions move between workers.
    """

    def __init__(self, table: MutableMapping[str, Any]) -> None:
        self.table = table

    def seen(self, event_id: str) -> bool:
        """True when this event id was already processed."""
        return event_id in self.table

    def mark(self, event_id: str) -> None:
        """Record the id with the time it was processed (for later pruning)."""
        self.table[event_id] = int(time.time())


class MemoryProcessedStore:
    """Processed ids in a dict: for unit tests and stateless tools."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def seen(self, event_id: str) -> bool:
        """True when this event id was already processed."""
        return event_id in self.ids

    def mark(self, event_id: str) -> None:
        """Record the id."""
        self.ids[event_id] = int(time.time())
