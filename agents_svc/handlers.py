"""The scheduling shard's handler: command → decision → journal, records, outputs, reply."""

from __future__ import annotations

import logging
from typing import Any

import topics
from agents_svc import metrics
from agents_svc.domain.decision import Decision
from agents_svc.domain.scheduler import Scheduler
from agents_svc.domain.views import parse_time
from agents_svc.store import JournaledStore, StoredOutput
from streams.commands import reject, succeed
from streams.context import HandlerContext

log = logging.getLogger(__name__)

OUTPUT_TOPICS = {"event": topics.AGENT_EVENTS, "delivery": topics.AGENT_DELIVERIES}


class SchedulerHandler:
    """Runs every command of agent-commands and agent-clock through the scheduler."""

    def __init__(self, scheduler: Scheduler, store: JournaledStore) -> None:
        self.scheduler = scheduler
        self.store = store

    def handlers(self) -> dict[str, Any]:
        """Handler per command type, for the kernel's pipeline."""
        types = [*topics.AGENT_COMMANDS.types, *topics.AGENT_CLOCK.types]
        return {t: self.handle for t in types if self.scheduler.handles(t)}

    async def handle(self, ctx: HandlerContext) -> None:
        """Decide the command (or replay its journal) and emit what it produced."""
        self.store.ensure_loaded()
        command_id = ctx.envelope.id
        entry = self.store.journaled(command_id)
        if entry is not None:
            # Redelivered after a crash: same changes, same outputs, same ids.
            self.store.reapply(entry)
            for out in entry.outputs:
                ctx.emit(topics.by_name(out.topic), out.type, out.subject, out.data, time=out.time)
            return
        type_name = ctx.envelope.type
        # A tick's moment is the one it carries; a command's, the one it was sent at.
        time = ctx.data["now"] if type_name == "Tick" else ctx.envelope.time
        decision = self.scheduler.decide(type_name, ctx.data, parse_time(time))
        try:
            self._emit(ctx, decision, time)
        except BaseException:
            # An output the contract refuses is a bug: undo, and let the kernel dead-letter.
            decision.rollback()
            raise
        stored = [
            StoredOutput(
                o.topic.name, o.envelope.type, o.envelope.subject, o.envelope.data, o.envelope.time
            )
            for o in ctx.outputs
        ]
        self.store.commit(command_id, decision.changes(), stored)
        metrics.observe(decision, self.scheduler.state)

    def _emit(self, ctx: HandlerContext, decision: Decision, time: str) -> None:
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
