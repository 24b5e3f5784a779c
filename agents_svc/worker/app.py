"""The agents worker: the scheduling shard, its clock, and the read model's projector.

Wiring lives here and only here. Flow:

    agent-commands (every command keyed `scheduler`) ┐
    agent-clock (Tick every second, keyed `scheduler`) ┴→ SchedulerHandler → Scheduler
      → journal + records in the `agents-scheduler` table
      → agent-events, agent-deliveries (to the edge's agent connections), agent-replies
    agent-events → projector (batches) → Postgres schema `agents`
"""

from __future__ import annotations

import os
import uuid
from typing import Any

import faust

import topics
from agents_svc.domain.scheduler import Scheduler, SchedulerSettings
from agents_svc.worker.journaled_store import JournaledStore
from agents_svc.worker.projector.event_batches import consume_batches
from agents_svc.worker.projector.event_writer import Projector
from agents_svc.worker.scheduler_handler import SchedulerHandler, dead_letter_with
from streams.app import create_app
from streams.envelope import encode, new_envelope, now_rfc3339
from streams.registry import default_registry
from streams.settings import WorkerSettings
from streams.worker import FaustSender, consume

HEARTBEAT_TIMEOUT_ENV = "DAFNCK_AGENT_HEARTBEAT_TIMEOUT_S"
TICK_INTERVAL_S = 1.0
SCHEDULER_TABLE = "agents-scheduler"
SHARD_KEY = "scheduler"


def scheduler_settings_from_env() -> SchedulerSettings:
    """``DAFNCK_AGENT_HEARTBEAT_TIMEOUT_S`` (default 15): silence before an agent is offline."""
    raw = os.environ.get(HEARTBEAT_TIMEOUT_ENV, "").strip()
    if not raw:
        return SchedulerSettings()
    try:
        seconds = float(raw)
    except ValueError:
        raise ValueError(
            f"{HEARTBEAT_TIMEOUT_ENV} must be a number of seconds, got {raw!r}"
        ) from None
    if seconds <= 0:
        raise ValueError(f"{HEARTBEAT_TIMEOUT_ENV} must be positive, got {seconds}")
    return SchedulerSettings(heartbeat_timeout_s=seconds)


def database_url_from_env() -> str:
    """Where the read model lives: ``DATABASE_URL``."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        raise ValueError("no Postgres: set DATABASE_URL or start the local stack (dafnck up)")
    return url


def build_app(
    settings: WorkerSettings | None = None, *, database_url: str | None = None, **overrides: Any
) -> faust.App:
    """The agents Faust app."""
    settings = settings or WorkerSettings.from_env(topics.AGENTS_SERVICE)
    app = create_app(settings, **overrides)

    # Co-partitioned with both command topics: the shard's key lands on the same partition
    # number of each, so both write the same changelog partition, in order.
    table = app.Table(
        SCHEDULER_TABLE,
        default=None,
        partitions=topics.AGENT_COMMANDS.partitions,
        key_type=str,
        # Its values are bounded by the same figure as every catalog topic's records.
        extra_topic_configs={"max.message.bytes": str(topics.MAX_MESSAGE_BYTES)},
    )
    scheduler = Scheduler(scheduler_settings_from_env())
    store = JournaledStore(table, scheduler.state)
    handler = SchedulerHandler(scheduler, store, dead_letter_with(FaustSender(app)))
    consume(app, topics.AGENT_COMMANDS, handler.handlers(), stateful=False)
    consume(app, topics.AGENT_CLOCK, handler.handlers(), stateful=False)

    async def partitions_moved(sender: Any, *args: Any, **kwargs: Any) -> None:
        store.mark_stale()

    receiver: Any = partitions_moved
    app.on_partitions_revoked.connect(receiver)

    registry = default_registry()
    tick_entry = registry.latest(topics.AGENT_CLOCK.name, "Tick")
    worker_id = f"{settings.service}/{uuid.uuid4().hex[:8]}"

    @app.timer(TICK_INTERVAL_S)
    async def tick() -> None:
        # Every replica ticks; only the shard's owner consumes, and a tick is idempotent.
        data = {"now": now_rfc3339()}
        registry.validate_data(tick_entry, data)
        envelope = new_envelope(
            source=f"/dafnck/{worker_id}",
            type="Tick",
            subject=SHARD_KEY,
            dataschema=tick_entry.id,
            data=data,
        )
        await app.producer.send(
            topics.AGENT_CLOCK.name, SHARD_KEY.encode(), encode(envelope), None, None, None
        )

    projector = Projector(database_url or database_url_from_env())
    consume_batches(app, projector)

    @app.task
    async def migrate_read_model() -> None:
        await projector.start()

    async def close_read_model(sender: Any, *args: Any, **kwargs: Any) -> None:
        await projector.stop()

    closer: Any = close_read_model
    app.on_before_shutdown.connect(closer)
    return app
