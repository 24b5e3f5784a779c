"""A real Faust worker built on the kernel, run as a subprocess by the kernel tests.

It consumes ``<prefix>-source``, counts each agent in its aggregate state (the effect a
duplicate would double) and emits ``AgentSeen`` to ``<prefix>-seen``. Agent names steer failures:
``flaky-*`` fails twice then succeeds, ``broken-*`` always fails, and the name in
``IT_CRASH_NAME`` kills the process in the middle of the handler, after the effect.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path

from faust.web import Request, Response, View

from streams.app import create_app
from streams.context import HandlerContext
from streams.registry import SchemaRegistry
from streams.settings import RetryPolicy, WorkerSettings
from streams.worker import consume, run_worker
from tests.support.streams import kernel_topics as kt


def main() -> None:
    """Build and run the test worker from ``IT_*`` environment variables."""
    prefix = os.environ["IT_PREFIX"]
    crash_name = os.environ.get("IT_CRASH_NAME")
    settings = WorkerSettings(
        service=kt.service_id(prefix),
        kafka_bootstrap=os.environ["KAFKA_BOOTSTRAP_SERVERS"],
        web_port=int(os.environ["IT_WEB_PORT"]),
        data_dir=Path(os.environ["IT_DATA_DIR"]),
        store=os.environ.get("IT_STORE", "rocksdb://"),
        retry=RetryPolicy(attempts=3, initial_backoff_s=0.05, max_backoff_s=0.2),
    )
    # A short session timeout lets the restarted worker take over the crashed one's
    # partitions in seconds instead of waiting out the default minute.
    app = create_app(settings, broker_session_timeout=8.0, broker_heartbeat_interval=1.0)
    registry = SchemaRegistry(Path(os.environ["IT_SCHEMA_ROOT"]))
    failures: Counter[str] = Counter()
    seen_topic = kt.output_topic(prefix)

    async def on_created(ctx: HandlerContext) -> None:
        name = ctx.data["name"]
        if name.startswith("flaky-") and failures[ctx.envelope.id] < 2:
            failures[ctx.envelope.id] += 1
            raise RuntimeError(f"transient failure {failures[ctx.envelope.id]} for {name}")
        if name.startswith("broken-"):
            raise RuntimeError(f"cannot handle {name}")
        ctx.state = {"applied": (ctx.state or {}).get("applied", 0) + 1}
        if crash_name and name == crash_name:
            sys.stderr.write(f"simulated crash while handling {name}\n")
            sys.stderr.flush()
            os._exit(137)
        ctx.emit(
            seen_topic,
            kt.OUTPUT_TYPE,
            ctx.envelope.subject,
            {"agent_id": ctx.data["agent_id"], "name": name, "seen_by": settings.service},
        )

    pipeline = consume(
        app, kt.source_topic(prefix), {kt.SOURCE_TYPE: on_created}, registry=registry
    )
    assert pipeline.aggregates is not None
    table = pipeline.aggregates.table

    @app.page("/it/effects")
    class Effects(View):
        async def get(self, request: Request) -> Response:
            return self.json({k: v["state"]["applied"] for k, v in table.items()})

    run_worker(app)


if __name__ == "__main__":
    main()
