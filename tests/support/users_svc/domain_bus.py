"""A CommandBus stand-in whose commands the real users domain decides, projected after a lag.

Commands go to the in-memory users worker (``UsersWorld``: the real handlers and domain);
the reply says what it caused by the kernel's rule (the events sharing the reply's
causationid), and the events reach the ``FakeReadModel`` through the in-memory projector
only ``lag_s`` later, which then notifies the in-memory waiter: a route that answers before
the read model shows its write is caught, and one that waits is woken, not polling.
"""

from __future__ import annotations

import asyncio
from typing import Any

import topics
from streams.commands import Completed, IdempotencyKey, Outcome, Reply
from streams.commands.caused import Caused
from streams.envelope import Envelope
from tests.support.streams.fake_bus import FakeBus
from tests.support.users_svc.projector_in_memory import InMemoryUsersProjector
from tests.support.users_svc.worker_in_memory import UsersWorld
from topics import TopicSpec

PROJECTED = (topics.USER_EVENTS.name, topics.USER_CREDENTIALS.name)


class DomainBus(FakeBus):
    """Sends to ``world``; its events reach ``projector`` ``lag_s`` after the reply."""

    def __init__(
        self, world: UsersWorld, projector: InMemoryUsersProjector, lag_s: float
    ) -> None:
        super().__init__()
        self.world, self.projector, self.lag_s = world, projector, lag_s
        self._projections: set[asyncio.Task[Any]] = set()

    async def send(
        self,
        spec: TopicSpec,
        envelope: Envelope,
        *,
        idempotency: IdempotencyKey | None = None,
        timeout_s: float | None = None,
    ) -> Outcome:
        assert idempotency is None, "Idempotency-Key replays are FakeBus's to test"
        self._publisher.registry.check(spec, envelope)
        self.sent.append(envelope)
        start = len(self.world.sender.sent)
        await self.world.deliver(envelope)
        out = [(s.topic, s.envelope) for s in self.world.sender.sent[start:]]
        [answer] = [
            e for t, e in out
            if t == topics.USER_REPLIES.name and e.data["command_id"] == envelope.id
        ]
        reply = Reply.from_data(answer.data)
        self.replies[envelope.id] = reply
        events = [(t, e) for t, e in out if t in PROJECTED]
        task = asyncio.create_task(self._project_later(events))
        self._projections.add(task)
        task.add_done_callback(self._projections.discard)
        if reply.status != "succeeded":
            return Completed(reply)
        return Completed(reply, _caused(answer.causationid, events))

    async def stop(self) -> None:
        """Stopped with the app: projections still waiting out their lag are dropped."""
        for task in list(self._projections):
            task.cancel()
        await asyncio.gather(*self._projections, return_exceptions=True)
        await super().stop()

    async def _project_later(self, events: list[tuple[str, Envelope]]) -> None:
        await asyncio.sleep(self.lag_s)
        for topic, event in events:
            self.projector.apply(topic, event)


def _caused(cause: str | None, events: list[tuple[str, Envelope]]) -> Caused:
    # The kernel's rule (streams.commands.caused.caused_headers): siblings of the reply
    # with its causationid, counted per topic and type.
    by_type: dict[str, dict[str, int]] = {}
    for topic, event in events:
        if event.causationid == cause:
            per_topic = by_type.setdefault(topic, {})
            per_topic[event.type] = per_topic.get(event.type, 0) + 1
    return Caused(cause, by_type)
