"""Wiring a topic's pipeline into a Faust agent, and running a service worker."""

from __future__ import annotations

import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import faust

from streams.aggregates import AggregateStore
from streams.logs import configure_json_logging
from streams.pipeline import EventPipeline, Handler
from streams.readiness import handler_health
from streams.records import Headers, Record, normalize_headers
from streams.registry import SchemaRegistry, default_registry
from streams.settings import WorkerSettings
from streams.startup import prepare_internal_topics
from topics import TopicSpec


class FaustSender:
    """Produces through the app's Faust producer, which Faust flushes before committing."""

    def __init__(self, app: faust.App) -> None:
        self.app = app

    async def send(self, topic: str, key: bytes | None, value: bytes, headers: Headers) -> None:
        """Queue one record on the app's producer."""
        await self.app.producer.send(topic, key, value, None, None, headers)


def consume(
    app: faust.App,
    topic: TopicSpec,
    handlers: Mapping[str, Handler],
    *,
    stateful: bool = True,
    registry: SchemaRegistry | None = None,
    concurrency: int = 1,
    table: MutableMapping[str, Any] | None = None,
    replies: TopicSpec | None = None,
    owner_only: bool = False,
) -> EventPipeline:
    """Consume ``topic`` in a Faust agent that runs every record through an EventPipeline.

    With ``stateful`` each aggregate's handler state, applied event ids and recent outputs
    live in a table co-partitioned with the topic (see ``streams.aggregates``), so an event
    redelivered after a crash or rebalance has no second effect and loses no output.

    ``table`` (from ``aggregate_table``) shares one aggregate table between topics that are
    co-partitioned: same partition count, keyed by the same aggregate ids. A record then sees
    the state the other topic's records left under its key.

    ``replies``: where a dead-lettered command is answered (default: the catalog's).
    ``owner_only`` is for read-model writers (projectors): an event whose ``source`` is not
    the topic's owning service goes to the dead-letter twin as ``foreign-source``.
    """
    settings: WorkerSettings = app.dafnck_settings  # type: ignore[attr-defined]
    aggregates = None
    if table is not None:
        if not stateful:
            raise ValueError(f"{topic.name}: a shared aggregate table needs stateful=True")
        _check_copartitioned(topic, table)
        aggregates = AggregateStore(table)
    elif stateful:
        aggregates = AggregateStore(aggregate_table(app, topic))
    pipeline = EventPipeline(
        service=settings.service,
        topic=topic,
        handlers=handlers,
        registry=registry or default_registry(),
        sender=FaustSender(app),
        retry=settings.retry,
        aggregates=aggregates,
        replies=replies,
        owner_only=owner_only,
    )
    source = app.topic(
        topic.name,
        key_serializer="raw",
        value_serializer="raw",
        partitions=topic.partitions,
        allow_empty=True,
    )

    agent_name = f"{settings.service}.{topic.name}"
    health = handler_health(app)

    async def run_pipeline(stream: faust.StreamT) -> None:
        async for event in stream.events():
            msg = event.message
            record = Record(
                msg.topic, msg.partition, msg.offset, msg.key, msg.value,
                normalize_headers(msg.headers),
            )  # fmt: skip
            try:
                await pipeline.process(record)
            except Exception as exc:
                # The pipeline dead-letters what handlers raise; what escapes it is the
                # worker's own failure (state, producer), and /ready must say so.
                health.crashed(agent_name, exc)
                raise
            health.succeeded(agent_name)

    app.agent(source, name=agent_name, concurrency=concurrency)(
        run_pipeline
    )
    return pipeline


def aggregate_table_name(topic: TopicSpec) -> str:
    """Name of the aggregate table ``consume`` keeps for a topic."""
    return f"aggregates-{topic.name}"


def aggregate_table(app: faust.App, topic: TopicSpec) -> Any:
    """The Faust table ``consume`` keeps ``topic``'s aggregates in (pass it on to share it)."""
    return app.Table(
        aggregate_table_name(topic), default=None, partitions=topic.partitions, key_type=str
    )


def _check_copartitioned(topic: TopicSpec, table: MutableMapping[str, Any]) -> None:
    # A table's changelog partition is its source record's partition, so a shared table only
    # works when every source topic puts a key on the same partition number.
    partitions = getattr(table, "partitions", None)
    if partitions is not None and partitions != topic.partitions:
        raise ValueError(
            f"{topic.name} has {topic.partitions} partitions but the shared aggregate table "
            f"has {partitions}: only co-partitioned topics may share one"
        )


def run_worker(app: faust.App) -> None:
    """Run the app's worker in the foreground until SIGINT/SIGTERM.

    Its internal topics are created first; when that fails the process exits with status 1.
    """
    settings: WorkerSettings = app.dafnck_settings  # type: ignore[attr-defined]
    configure_json_logging(
        settings.service, settings.version, settings.environment, settings.log_level
    )
    if not prepare_internal_topics(app, settings.kafka_bootstrap):
        sys.exit(1)
    # Web host/port are app settings (see create_app); the worker takes logging options only.
    worker = faust.Worker(app, loglevel=settings.log_level.lower(), quiet=True)
    worker.execute_from_commandline()
