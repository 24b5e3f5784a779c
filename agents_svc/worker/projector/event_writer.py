"""The agents read model: agent-events → Postgres schema ``agents``, a batch per transaction.

Idempotent by event id: a batch's ids go into ``agents.processed_events`` in the same
transaction as its row changes, and only the ids that were not there yet are applied (a
second copy inside one batch counts as a duplicate too), so a redelivered or replayed event
changes nothing twice. Rows take their times from the events' ``time``. The same
transaction counts the newly applied events per causationid (``record_applied``), which is
what a route waits on after a command (read-your-writes); ``APPLIES`` says which event
types that count covers, for the routes' ``ReadModelView``.

Throughput: an applier only builds statements (``agent_statements``, ``work_statements``);
``apply_batch`` runs them as prepared statements (``prepared_statements``) bound
client-side, ``chunk`` at a time in one multi-statement query, so ten thousand task events
cost tens of round trips and no re-planning.

Wiring, from ``agents_svc/app.py``:

    projector = Projector(database_url)
    # Batches (preferred): one Faust agent takes up to max_batch events at a time.
    consume_batches(app, projector)             # agents_svc.worker.projector.event_batches
    # or per event through the kernel pipeline, like users_svc:
    consume(app, topics.AGENT_EVENTS, dict.fromkeys(APPLIERS, projector.project),
            stateful=False)
    @app.task
    async def migrate_read_model() -> None: await projector.start()
    # and ``await projector.stop()`` on app.on_before_shutdown.

``apply_batch`` takes envelopes in consumption order and may be called directly (tests).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import datetime

import aiopg

import topics
from agents_svc.worker.migrations import SCHEMA, migrate
from agents_svc.worker.projector import agent_statements, prepared_statements, work_statements
from agents_svc.worker.projector.agent_statements import Apply, Statement
from streams.context import HandlerContext
from streams.envelope import Envelope
from streams.readmodel_applied import record_applied
from streams.readmodel_pool import ProjectorPool

APPLIERS: dict[str, Apply] = {**agent_statements.APPLIERS, **work_statements.APPLIERS}
TOPIC = topics.AGENT_EVENTS.name
# Topic -> the event types this read model applies: what a route waits for after a command.
APPLIES: dict[str, frozenset[str]] = {TOPIC: frozenset(APPLIERS)}
# Statements per round trip: big enough to amortize it, small enough to keep a query sane.
DEFAULT_CHUNK = 200

log = logging.getLogger("agents_svc.worker.projector.event_writer")


class Projector(ProjectorPool):
    """Applies agent-events to the read model through one aiopg pool, opened (and migrated) once."""

    read_model = "agents read model"

    def __init__(
        self, database_url: str, *, pool_size: int = 4, chunk: int = DEFAULT_CHUNK
    ) -> None:
        super().__init__(database_url, pool_size=pool_size)
        self.chunk = chunk

    async def migrate(self, pool: aiopg.Pool) -> None:
        """The agents schema."""
        await migrate(pool)

    async def project(self, ctx: HandlerContext) -> None:
        """Kernel handler: apply one event (a batch of one)."""
        await self.apply_batch([ctx.envelope])

    async def apply_batch(self, events: Sequence[Envelope]) -> int:
        """Apply events in order, in one transaction; how many were new (not yet applied)."""
        known = [e for e in events if e.type in APPLIERS]
        if not known:
            return 0
        await self.start()
        ids = sorted({e.id for e in known})
        async with self._pool.acquire() as conn, conn.cursor() as cur, cur.begin():
            await cur.execute(
                "INSERT INTO agents.processed_events (event_id, topic)"
                " SELECT unnest(%s::text[]), %s ON CONFLICT (event_id) DO NOTHING"
                " RETURNING event_id",
                (ids, TOPIC),
            )
            fresh = {row[0] for row in await cur.fetchall()}
            applied: list[Envelope] = []
            statements: list[Statement] = []
            for event in known:
                if event.id not in fresh:
                    continue
                fresh.discard(event.id)  # a later copy in this batch is a duplicate
                statements.extend(APPLIERS[event.type](event.data, _moment(event.time)))
                applied.append(event)
            ready = await prepared_statements.prepared_names(cur) if statements else set()
            for chunk in _chunks(statements, self.chunk):
                await cur.execute(b";\n".join(prepared_statements.bind(cur, chunk, ready)))
            # Only what this batch applied: a skipped duplicate was counted the first time.
            await record_applied(cur, SCHEMA, applied)
        skipped = len(known) - len(applied)
        if skipped:
            log.info("events already projected", extra={"skipped": skipped})
        return len(applied)


def _moment(text: str) -> datetime:
    # Envelope times are RFC 3339 with a Z suffix, which fromisoformat reads from 3.11 on.
    return datetime.fromisoformat(text)


def _chunks(items: list[Statement], size: int) -> Iterator[list[Statement]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
