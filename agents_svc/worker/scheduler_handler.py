"""The scheduling shard's handler: command → decision → journal, records, outputs, reply.

Nothing it writes may be larger than its topic accepts (agents_svc/DESIGN.md, "Sizes"): a
payload over its limit is refused before deciding, and a decision that would still make a
record, an output or a journal item over ``RECORD_MAX_BYTES`` is undone and refused (a
result becomes a failure of its task; another command is answered 413 and dead-lettered),
so no write can fail for its size and stop the shard.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import topics
from agents_svc.domain.decision import SchedulerDecision
from agents_svc.domain.scheduler import Scheduler
from agents_svc.domain.sizes import (
    COMPLETION_MAX_BYTES,
    RECORD_MAX_BYTES,
    json_size,
    oversized_payload,
)
from agents_svc.domain.views import parse_time
from agents_svc.worker import metrics
from agents_svc.worker.journaled_store import JournaledOutput, JournaledStore
from streams import deadletter
from streams.commands import reject, succeed
from streams.context import HandlerContext
from streams.records import Sender

log = logging.getLogger(__name__)

OUTPUT_TOPICS = {"event": topics.AGENT_EVENTS, "delivery": topics.AGENT_DELIVERIES}
TOO_LARGE = 413
DeadLetter = Callable[[HandlerContext, str], Awaitable[None]]


class SchedulerHandler:
    """Runs every command of agent-commands and agent-clock through the scheduler."""

    def __init__(
        self, scheduler: Scheduler, store: JournaledStore, dead_letter: DeadLetter | None = None
    ) -> None:
        self.scheduler = scheduler
        self.store = store
        self.dead_letter = dead_letter

    def handlers(self) -> dict[str, Any]:
        """Handler per command type, for the kernel's pipeline."""
        types = [*topics.AGENT_COMMANDS.types, *topics.AGENT_CLOCK.types]
        return {t: self.handle for t in types if self.scheduler.handles(t)}

    async def handle(self, ctx: HandlerContext) -> None:
        """Decide the command (or replay its journal) and emit what it produced."""
        self.store.ensure_loaded()
        entry = self.store.journaled(ctx.envelope.id)
        if entry is not None:
            # Redelivered after a crash: same changes, same outputs, same ids.
            self.store.reapply(entry)
            for out in entry.outputs:
                ctx.emit(topics.by_name(out.topic), out.type, out.subject, out.data, time=out.time)
            return
        type_name, data = ctx.envelope.type, ctx.data
        # A tick's moment is the one it carries; a command's, the one it was sent at.
        time = data["now"] if type_name == "Tick" else ctx.envelope.time
        too_large = oversized_payload(type_name, data)
        if too_large is not None and type_name == "CompleteTask":
            type_name, data = "FailTask", _failure(data, f"result refused: {too_large}")
        elif too_large is not None:
            await self._refuse(ctx, f"{type_name} refused: {too_large}", too_large.field)
            return
        decision = self._decide(ctx, type_name, data, time)
        problem = _oversized(ctx, decision, _limit(type_name))
        if problem is not None and type_name == "CompleteTask":
            # The task ends failed with the reason instead of waiting for its timeout.
            self._undo(ctx, decision)
            failure = _failure(data, f"result refused: {problem}")
            decision = self._decide(ctx, "FailTask", failure, time)
            problem = _oversized(ctx, decision, RECORD_MAX_BYTES)
        if problem is not None:
            self._undo(ctx, decision)
            await self._refuse(ctx, f"{type_name} refused: {problem}", None)
            return
        self._commit(ctx, decision.changes())
        metrics.observe(decision, self.scheduler.state)

    def _decide(
        self, ctx: HandlerContext, type_name: str, data: dict[str, Any], time: str
    ) -> SchedulerDecision:
        decision = self.scheduler.decide(type_name, data, parse_time(time))
        try:
            self._emit(ctx, decision, time)
        except BaseException:
            # An output the contract refuses is a bug: undo, and let the kernel dead-letter.
            self._undo(ctx, decision)
            raise
        return decision

    @staticmethod
    def _undo(ctx: HandlerContext, decision: SchedulerDecision) -> None:
        decision.rollback()
        ctx.outputs.clear()

    async def _refuse(self, ctx: HandlerContext, reason: str, field: str | None) -> None:
        """Nothing changes; the caller (if any) is answered 413, the record dead-lettered."""
        log.warning(
            "command refused for its size", extra={"type": ctx.envelope.type, "reason": reason}
        )
        if self.scheduler.expects_reply(ctx.envelope.type):
            reject(ctx, TOO_LARGE, "payload_too_large", reason, field=field)
        if self.dead_letter is not None:
            await self.dead_letter(ctx, reason)
        # Journaled (no changes, the reply): a redelivery answers the same, once.
        self._commit(ctx, {})

    def _commit(self, ctx: HandlerContext, changes: dict[str, Any]) -> None:
        stored = [
            JournaledOutput(
                o.topic.name, o.envelope.type, o.envelope.subject, o.envelope.data, o.envelope.time
            )
            for o in ctx.outputs
        ]
        self.store.commit(ctx.envelope.id, changes, stored)

    def _emit(self, ctx: HandlerContext, decision: SchedulerDecision, time: str) -> None:
        for out in decision.outputs:
            ctx.emit(OUTPUT_TOPICS[out.kind], out.type, out.subject, out.data, time=time)
        if not self.scheduler.expects_reply(ctx.envelope.type):
            return
        answer = decision.answer
        if answer is None:
            raise RuntimeError(f"{ctx.envelope.type} was decided without an answer")
        if answer.refusal is not None:
            r = answer.refusal
            reject(ctx, r.status, r.code, r.message, field=r.field)
        else:
            succeed(ctx, answer.resource, http_status=answer.http_status)


def dead_letter_with(sender: Sender) -> DeadLetter:
    """Dead-letters a command refused for its size, with the reason, through ``sender``."""

    async def send(ctx: HandlerContext, reason: str) -> None:
        failure = deadletter.Failure(deadletter.HANDLER_ERROR, reason)
        spec = topics.by_name(ctx.record.topic)
        await deadletter.dead_letter(sender, spec, ctx.record, failure, ctx.service)

    return send


def _limit(type_name: str) -> int:
    return COMPLETION_MAX_BYTES if type_name == "CompleteTask" else RECORD_MAX_BYTES


def _failure(report: dict[str, Any], error: str) -> dict[str, Any]:
    """The FailTask a refused result becomes: the same attempt, failed for good."""
    return {
        "task_id": report["task_id"],
        "agent_id": report["agent_id"],
        "attempt": report["attempt"],
        "error": error[:2000],
        "retryable": False,
    }


def _oversized(ctx: HandlerContext, decision: SchedulerDecision, limit: int) -> str | None:
    """What of the decision would be over ``limit`` bytes once written, if anything."""
    for key, value in decision.changes().items():
        if value is not None and (size := json_size(value)) > limit:
            return f"record {key} would be {size} bytes, over the limit of {limit} bytes"
    for out in ctx.outputs:
        if (size := json_size(out.envelope.to_dict())) > limit:
            what = f"{out.envelope.type} on {out.topic.name}"
            return f"{what} would be {size} bytes, over the limit of {limit} bytes"
    return None
