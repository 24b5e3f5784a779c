"""A command-handling Faust worker on throwaway topics, run as a subprocess by command tests.

It consumes ``<prefix>-commands`` and answers ``CreateThing`` on ``<prefix>-replies``: 201
with ``{id, name}``, or 409 ``name_taken`` when the name exists; a name starting with
``poison-`` fails every attempt, so the command is dead-lettered. A thing's aggregate is keyed
by its name (the command's subject), so "name taken" is a check of that aggregate's state.
"""

from __future__ import annotations

import asyncio
import json
import os
import urllib.request
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from faust.web import Request, Response, View
from redis.asyncio import Redis

from edge.app import METRICS, EdgeMetrics, request_context
from schemas import schema_id
from streams.app import create_app
from streams.commands import (
    REPLY_TYPES,
    CommandBus,
    Rejection,
    reply_schemas,
    replying,
    succeed,
)
from streams.context import HandlerContext, derived_id
from streams.http.commands import install_commands, run_command
from streams.kafka_admin.cluster import admin_session, delete
from streams.registry import SchemaRegistry
from streams.settings import RetryPolicy, WorkerSettings
from streams.tooling.topic_admin import apply_topics
from streams.worker import consume, run_worker
from tests.support.streams.harness import KernelRun
from topics import Compatibility, TopicKind, TopicSpec

CREATE_THING = "CreateThing"
POISON_PREFIX = "poison-"  # a thing named so makes the handler fail on every attempt


def service_id(prefix: str) -> str:
    """The test worker's service id (its consumer group, and the replies' single writer)."""
    return f"{prefix}-svc"


def _spec(name: str, kind: TopicKind, **shape: Any) -> TopicSpec:
    return TopicSpec(
        name=name,
        kind=kind,
        partitions=shape.pop("partitions", 3),
        replication=1,
        retention_ms=3_600_000,
        cleanup_policy="delete",
        compatibility=shape.pop("compatibility", Compatibility.BACKWARD),
        **shape,
    )


def commands_topic(prefix: str) -> TopicSpec:
    """Where the edge sends CreateThing, keyed by the thing's name."""
    return _spec(
        f"{prefix}-commands",
        TopicKind.COMMANDS,
        key="thing name",
        owner="edge",
        types=(CREATE_THING,),
        consumer_groups=(service_id(prefix),),
    )


def replies_topic(prefix: str) -> TopicSpec:
    """Where the worker answers, keyed by command id (TopicKind.REPLIES once in the catalog)."""
    return _spec(
        f"{prefix}-replies",
        TopicKind.EVENTS,
        partitions=2,
        key="command id",
        owner=service_id(prefix),
        types=REPLY_TYPES,
        consumer_groups=(),
    )


def dlq_topic(prefix: str) -> TopicSpec:
    """The commands topic's dead-letter twin."""
    return _spec(
        commands_topic(prefix).dlq,
        TopicKind.DEAD_LETTER,
        key="as on commands",
        owner="consumers",
        types=(),
        consumer_groups=(),
        compatibility=Compatibility.NONE,
    )


def all_specs(prefix: str) -> list[TopicSpec]:
    """Every topic a command test run needs."""
    return [commands_topic(prefix), replies_topic(prefix), dlq_topic(prefix)]


def write_schema_tree(prefix: str, root: Path) -> Path:
    """CreateThing v1 and both reply schemas, for the run's topics."""
    commands, replies = commands_topic(prefix).name, replies_topic(prefix).name
    create = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": schema_id(commands, CREATE_THING, 1),
        "type": "object",
        "required": ["name"],
        "additionalProperties": False,
        "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 100}},
    }
    schemas = {(commands, CREATE_THING): create}
    schemas.update({(replies, t): s for t, s in reply_schemas(replies).items()})
    for (topic, type_name), schema in schemas.items():
        path = root / topic / type_name / "v1.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(schema, indent=2))
    return root


@dataclass
class CommandRun(KernelRun):
    """One command test run: its topics, schemas and worker process."""

    prefix: str = field(default_factory=lambda: f"ct-{uuid.uuid4().hex[:8]}")
    worker_module: ClassVar[str] = "tests.support.streams.command_worker"

    def things(self) -> dict[str, Any]:
        """The worker's aggregates: name -> {state, commands applied}."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/it/things", timeout=5) as r:
            return dict(json.loads(r.read()))


async def create_topics(run: KernelRun) -> None:
    """The run's schema tree and topics."""
    write_schema_tree(run.prefix, run.schema_root)
    await apply_topics(run.bootstrap, all_specs(run.prefix), out=lambda _line: None)


async def delete_topics(run: KernelRun) -> None:
    """Every topic of the run, the worker's changelogs included (they share the prefix)."""
    async with admin_session(run.bootstrap) as client:
        await delete(client, [t for t in await client.list_topics() if t.startswith(run.prefix)])


def edge_app(run: KernelRun, bus: CommandBus) -> web.Application:
    """The edge with ``POST /things`` sending CreateThing; ``X-Test-Principal`` plays auth."""
    # No auth layer: X-Test-Principal plays the verified caller (build_app would demand a token).
    app = web.Application(middlewares=[request_context])
    app[METRICS] = EdgeMetrics()

    async def create_thing(request: web.Request) -> web.Response:
        body = await request.json()
        subject = str(body.get("name") or "unnamed") if isinstance(body, dict) else "unnamed"
        spec = commands_topic(run.prefix)
        return await run_command(request, spec, CREATE_THING, subject, body)

    app.router.add_post("/things", create_thing)
    install_commands(app, bus, actor_of=lambda request: request.headers.get("X-Test-Principal"))
    return app


@asynccontextmanager
async def command_run(
    bootstrap: str, workdir: Path, *, start: bool = True
) -> AsyncIterator[CommandRun]:
    """A run's topics (deleted afterwards) and, with ``start``, its running worker."""
    run = CommandRun(bootstrap, workdir)
    await create_topics(run)
    try:
        if start:
            await asyncio.to_thread(run.start_worker)
        yield run
    finally:
        run.stop_worker()
        await delete_topics(run)


@asynccontextmanager
async def edge_client(
    run: KernelRun, redis_url: str, timeout_s: float
) -> AsyncIterator[TestClient]:
    """A test client of ``edge_app`` whose bus waits ``timeout_s`` for each reply."""
    redis = Redis.from_url(redis_url)
    replies = [replies_topic(run.prefix)]
    bus = CommandBus(
        run.bootstrap, redis, replies=replies, registry=run.registry, timeout_s=timeout_s
    )
    try:
        async with TestClient(TestServer(edge_app(run, bus))) as client:
            yield client
    finally:
        await redis.aclose()


def main() -> None:
    """Build and run the worker from ``IT_*`` environment variables."""
    prefix = os.environ["IT_PREFIX"]
    settings = WorkerSettings(
        service=service_id(prefix),
        kafka_bootstrap=os.environ["KAFKA_BOOTSTRAP_SERVERS"],
        web_port=int(os.environ["IT_WEB_PORT"]),
        data_dir=Path(os.environ["IT_DATA_DIR"]),
        store=os.environ.get("IT_STORE", "rocksdb://"),
        retry=RetryPolicy(attempts=3, initial_backoff_s=0.05, max_backoff_s=0.2),
    )
    app = create_app(settings, broker_session_timeout=8.0, broker_heartbeat_interval=1.0)
    registry = SchemaRegistry(Path(os.environ["IT_SCHEMA_ROOT"]))
    replies = replies_topic(prefix)

    async def create_thing(ctx: HandlerContext) -> None:
        name = ctx.data["name"]
        if name.startswith(POISON_PREFIX):
            raise RuntimeError(f"{name} always fails")  # dead-lettered after every attempt
        if ctx.state is not None:
            raise Rejection(409, "name_taken", f"a thing named {name!r} exists", field="name")
        # Derived from the command id: the same command always yields the same thing.
        ctx.state = {"id": derived_id(f"{ctx.envelope.id}/thing"), "name": name}
        succeed(ctx, ctx.state, http_status=201, topic=replies)

    pipeline = consume(
        app,
        commands_topic(prefix),
        {CREATE_THING: replying(create_thing, topic=replies)},
        registry=registry,
        replies=replies,
    )
    assert pipeline.aggregates is not None
    table = pipeline.aggregates.table

    @app.page("/it/things")
    class Things(View):
        async def get(self, request: Request) -> Response:
            return self.json(
                {k: {"state": v["state"], "commands": len(v["applied"])} for k, v in table.items()}
            )

    run_worker(app)


if __name__ == "__main__":
    main()
