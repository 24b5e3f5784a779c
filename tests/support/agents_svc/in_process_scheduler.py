"""The real scheduling shard, in-process: commands decided by ``agents_svc.domain``.

What the worker does, minus Kafka: each command goes through ``Scheduler.decide``; its
events become agent-events envelopes (checked against their schemas, causationid = the
command's id), which ``InMemoryAgentsProjector`` applies a moment later, as the projector
would after the reply; the reply says what the command caused (``Completed.caused``), as
the ``dafnck-caused`` header does. So HTTP unit tests exercise real decisions, and a route
that answered before the read model showed its command would fail them.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import topics
from agents_svc.domain.decision import SchedulerDecision
from agents_svc.domain.scheduler import Scheduler
from agents_svc.domain.views import parse_time
from streams.commands import Completed, Reply, ReplyError
from streams.commands.caused import Caused
from streams.envelope import Envelope, new_envelope
from streams.registry import default_registry
from tests.support.agents_svc.in_memory_projector import InMemoryAgentsProjector

SOURCE = "/dafnck/agents-svc"
EVENTS = topics.AGENT_EVENTS.name
# How long after the reply the read model applies a command's events.
PROJECTION_LAG_S = 0.01


class InProcessScheduler:
    """Decides commands with the real domain; projects their events into the fake read model."""

    def __init__(self, projector: InMemoryAgentsProjector, lag_s: float = PROJECTION_LAG_S) -> None:
        self.scheduler = Scheduler()
        self.projector = projector
        self.lag_s = lag_s
        self.deliveries: list[tuple[str, str, dict[str, Any]]] = []  # (type, agent, data)
        self._projecting: set[asyncio.Task[int]] = set()

    def answer(self, command: Envelope) -> Completed | None:
        """The outcome of an HTTP command (None for a command that gets no reply)."""
        decision, events = self._decide(command)
        lagging = asyncio.get_running_loop().create_task(self._project_later(events))
        self._projecting.add(lagging)
        lagging.add_done_callback(self._projecting.discard)
        if not self.scheduler.expects_reply(command.type):
            return None
        return Completed(_reply(command, decision), _caused(command.id, events))

    async def run(self, type_name: str, **data: Any) -> SchedulerDecision:
        """A command no route sends (an agent's ConnectAgent, CompleteTask, ...), projected."""
        entry = default_registry().latest(topics.AGENT_COMMANDS.name, type_name)
        command = new_envelope(
            source="/dafnck/edge",
            type=type_name,
            subject="scheduler",
            dataschema=entry.id,
            data=data,
        )
        decision, events = self._decide(command)
        await self.projector.apply_batch(events)
        return decision

    async def settled(self) -> None:
        """Wait until every command's events are in the read model."""
        while self._projecting:
            await asyncio.gather(*self._projecting)

    def _decide(self, command: Envelope) -> tuple[SchedulerDecision, list[Envelope]]:
        decision = self.scheduler.decide(command.type, command.data, parse_time(command.time))
        registry = default_registry()
        events = []
        for out in decision.outputs:
            if out.kind == "delivery":
                self.deliveries.append((out.type, out.subject, out.data))
                continue
            entry = registry.latest(EVENTS, out.type)
            registry.validate_data(entry, out.data)
            event = new_envelope(
                source=SOURCE,
                type=out.type,
                subject=out.subject,
                dataschema=entry.id,
                data=out.data,
                causationid=command.id,
            )
            event.time = command.time  # the worker stamps a decision's events with its time
            events.append(event)
        return decision, events

    async def _project_later(self, events: list[Envelope]) -> int:
        await asyncio.sleep(self.lag_s)
        return await self.projector.apply_batch(events)


def _reply(command: Envelope, decision: SchedulerDecision) -> Reply:
    answer = decision.answer
    if answer is None:
        raise RuntimeError(f"{command.type} was decided without an answer")
    if answer.refusal is not None:
        r = answer.refusal
        error = ReplyError(r.code, r.message, r.field)
        return Reply(command.id, command.type, "rejected", r.status, None, error)
    return Reply(command.id, command.type, "succeeded", answer.http_status, answer.resource)


def _caused(command_id: str, events: list[Envelope]) -> Caused:
    by_type = Counter(e.type for e in events)
    return Caused(command_id, {EVENTS: dict(by_type)} if by_type else {})
