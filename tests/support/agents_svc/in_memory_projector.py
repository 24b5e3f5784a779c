"""agent-events into ``FakeAgentsReadModel``, as ``agents_svc``'s projector writes Postgres.

A batch is idempotent by event id (a second copy, in the batch or later, changes nothing),
and its newly applied events are counted per causationid on the ``InMemoryAppliedWaiter``
exactly as ``record_applied`` counts them in the real projector's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from agents_svc.worker.migrations import SCHEMA
from agents_svc.worker.projector.event_writer import APPLIERS as REAL_APPLIERS
from streams.envelope import Envelope
from tests.support.agents_svc import in_memory_agent_rows, in_memory_work_rows
from tests.support.agents_svc.applied_waiter_fake import InMemoryAppliedWaiter
from tests.support.agents_svc.fake_backends import FakeAgentsReadModel
from tests.support.agents_svc.in_memory_agent_rows import Apply

APPLIERS: dict[str, Apply] = {**in_memory_agent_rows.APPLIERS, **in_memory_work_rows.APPLIERS}
# The fake applies exactly the types the real projector does, or the waits would differ.
assert set(APPLIERS) == set(REAL_APPLIERS), set(APPLIERS) ^ set(REAL_APPLIERS)


class InMemoryAgentsProjector:
    """Applies agent-events to a ``FakeAgentsReadModel`` and tells the waiter what it applied."""

    def __init__(
        self, read_model: FakeAgentsReadModel, waiter: InMemoryAppliedWaiter | None = None
    ) -> None:
        self.read_model = read_model
        self.waiter = waiter
        self.processed: set[str] = set()

    async def apply_batch(self, events: Sequence[Envelope]) -> int:
        """Apply events in order; how many were new (not yet applied)."""
        applied: list[Envelope] = []
        for event in events:
            if event.type not in APPLIERS or event.id in self.processed:
                continue
            self.processed.add(event.id)
            APPLIERS[event.type](self.read_model, event.data, datetime.fromisoformat(event.time))
            applied.append(event)
        if self.waiter is not None:
            self.waiter.record_applied(SCHEMA, applied)
        return len(applied)
