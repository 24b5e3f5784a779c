"""A CommandBus stand-in: builds and validates commands like the real one, answers in-process."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from streams.commands import Completed, IdempotencyConflict, IdempotencyKey, Outcome, Pending, Reply
from streams.commands.store import CommandStatus
from streams.envelope import Envelope
from streams.producer import EventPublisher
from topics import TopicSpec

Answer = Callable[[Envelope], Reply | None]


class FakeBus:
    """Records every command; ``answer`` decides the reply (None: no answer, i.e. Pending)."""

    def __init__(self, answer: Answer | None = None) -> None:
        self.answer: Answer = answer or (lambda env: Reply(env.id, env.type, "succeeded", 200, {}))
        # The real publisher's build: commands are checked against schemas/user-commands.
        self._publisher = EventPublisher("unused:9092", source="/dafnck/edge")
        self.sent: list[Envelope] = []
        self.replies: dict[str, Reply] = {}
        self.claims: dict[str, tuple[str, str]] = {}
        self.started = False

    def build(
        self,
        spec: TopicSpec,
        type_name: str,
        subject: str,
        data: dict[str, Any],
        *,
        actor: str | None = None,
        correlationid: str | None = None,
    ) -> Envelope:
        return self._publisher.build(
            spec, type_name, data, subject=subject, actor=actor, correlationid=correlationid
        )

    async def send(
        self,
        spec: TopicSpec,
        envelope: Envelope,
        *,
        idempotency: IdempotencyKey | None = None,
        timeout_s: float | None = None,
    ) -> Outcome:
        if idempotency is not None:
            earlier = self.claims.get(idempotency.redis_key)
            if earlier is not None:
                if earlier[1] != idempotency.fingerprint:
                    raise IdempotencyConflict(earlier[0])
                return await self.wait(earlier[0])
            self.claims[idempotency.redis_key] = (envelope.id, idempotency.fingerprint)
        self._publisher.registry.check(spec, envelope)
        self.sent.append(envelope)
        reply = self.answer(envelope)
        if reply is None:
            return Pending(envelope.id)
        self.replies[envelope.id] = reply
        return Completed(reply)

    async def wait(self, command_id: str, *, deadline: float | None = None) -> Outcome:
        reply = self.replies.get(command_id)
        if reply is None:
            await asyncio.sleep(0.01)  # like a deadline passing, briefly
            reply = self.replies.get(command_id)
        return Completed(reply) if reply is not None else Pending(command_id)

    async def status(self, command_id: str) -> CommandStatus | None:
        reply = self.replies.get(command_id)
        return CommandStatus(command_id, "", None, reply)

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.started = False

    def of_type(self, type_name: str) -> list[Envelope]:
        """The commands of one type sent so far."""
        return [e for e in self.sent if e.type == type_name]
