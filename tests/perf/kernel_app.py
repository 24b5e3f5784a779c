"""The kernel path for the pipeline benchmark: a Faust app started inside the bench process."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

from schemas.models.structs import AgentStatusChanged
from streams.app import create_app
from streams.context import HandlerContext
from streams.payloads import TypedContext, typed
from streams.registry import SchemaRegistry
from streams.settings import WorkerSettings
from streams.worker import consume
from tests.support.streams import kernel_topics as kt


async def run_kernel_path(
    bootstrap: str,
    prefix: str,
    schema_root: Path,
    workdir: Path,
    count: int,
    *,
    stateful: bool,
    typed_payload: bool = False,
) -> float:
    """Consume ``count`` events through the kernel in a Faust agent; returns events/s."""
    settings = WorkerSettings(
        # A fresh group each run so every run reads the topic from the start.
        service=f"{kt.service_id(prefix)}-{uuid.uuid4().hex[:6]}",
        kafka_bootstrap=bootstrap,
        web_port=6099,  # unused: the web server is disabled below
        data_dir=workdir / "data",
        log_level="WARNING",
    )
    app = create_app(settings, web_enabled=False)
    out_topic = kt.output_topic(prefix)
    # The output topic's single writer is the bench service, whatever its run suffix.
    out_topic = type(out_topic)(**{**out_topic.__dict__, "owner": settings.service})
    done = asyncio.Event()
    handled = 0
    started: float | None = None
    finished = 0.0

    def counted() -> None:
        nonlocal handled, started, finished
        if started is None:
            started = time.perf_counter()
        handled += 1
        if handled >= count:
            finished = time.perf_counter()
            done.set()

    async def on_status(ctx: HandlerContext) -> None:
        ctx.emit(
            out_topic,
            kt.OUTPUT_TYPE,
            ctx.envelope.subject,
            {"agent_id": ctx.data["agent_id"], "name": ctx.data["to"], "seen_by": "bench"},
        )
        counted()

    async def on_status_typed(ctx: TypedContext[AgentStatusChanged]) -> None:
        status = ctx.payload
        ctx.emit(
            out_topic,
            kt.OUTPUT_TYPE,
            ctx.envelope.subject,
            {"agent_id": status.agent_id, "name": status.to, "seen_by": "bench"},
        )
        counted()

    consume(
        app,
        kt.source_topic(prefix),
        {kt.STATUS_TYPE: typed(on_status_typed) if typed_payload else on_status},
        registry=SchemaRegistry(schema_root),
        stateful=stateful,
    )
    await app.start()
    try:
        await asyncio.wait_for(done.wait(), timeout=max(120.0, count / 1000))
    finally:
        await app.stop()
    assert started is not None
    return count / (finished - started)
