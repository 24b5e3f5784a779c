"""The Faust app factory every service uses, with ``/health``, ``/ready`` and ``/metrics``."""

from __future__ import annotations

import logging
from typing import Any

import faust
from faust.sensors.monitor import Monitor
from faust.web import Request, Response, View

import topics
from streams import faust_transport, metrics
from streams.logs import JsonFormatter, StartupNoiseFilter
from streams.readiness import readiness_problems
from streams.settings import WorkerSettings

log = logging.getLogger("dafnck.app")


class QuietMonitor(Monitor):
    """Faust's monitor without its per-record bookkeeping.

    The stock Monitor updates several dicts and deques for every record only to feed
    Faust's own /stats pages, which the workers do not serve; our Prometheus metrics cover
    the same ground. Rebalance, commit and assignment hooks stay as they are.
    """

    def on_message_in(self, tp: Any, offset: int, message: Any) -> None:
        """Skip per-record statistics."""

    def on_stream_event_in(self, tp: Any, offset: int, stream: Any, event: Any) -> None:
        """Skip per-record statistics."""

    def on_stream_event_out(
        self, tp: Any, offset: int, stream: Any, event: Any, state: Any = None
    ) -> None:
        """Skip per-record statistics."""

    def on_message_out(self, tp: Any, offset: int, message: Any) -> None:
        """Skip per-record statistics."""

    def on_send_initiated(
        self, producer: Any, topic: str, message: Any, keysize: int, valsize: int
    ) -> None:
        """Skip per-record statistics."""

    def on_send_completed(self, producer: Any, state: Any, metadata: Any) -> None:
        """Skip per-record statistics."""


def _logging_config(settings: WorkerSettings) -> dict[str, Any]:
    # Faust's worker applies this with logging.config.dictConfig at start-up.
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": JsonFormatter,
                "service": settings.service,
                "version": settings.version,
                "environment": settings.environment,
            }
        },
        "filters": {"startup_noise": {"()": StartupNoiseFilter}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "filters": ["startup_noise"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": settings.log_level},
        "loggers": {
            # Faust narrates every start-up and rebalance step at INFO; keep its warnings.
            name: {"level": "WARNING"} for name in ("aiokafka", "faust", "mode")
        },
    }


def static_member_id(settings: WorkerSettings) -> str | None:
    """The group instance id: the configured one, qualified by the worker's web address.

    Faust's assignor puts each member's URL in its assignment and asserts, on receiving
    one, that it is its own. A static member keeps its last assignment across restarts, so
    the same id coming back at another address would fail that assertion on every join
    (the worker never gets partitions); with the address in the id it is a new member.
    """
    if not settings.group_instance_id:
        return None
    return f"{settings.group_instance_id}@{settings.web_host}:{settings.web_port}"


def create_app(settings: WorkerSettings, **overrides: Any) -> faust.App:
    """A Faust app for one service: its id is its consumer group."""
    faust_transport.register()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    config: dict[str, Any] = {
        "broker": f"{faust_transport.SCHEME}://{settings.kafka_bootstrap}",
        "store": settings.store,
        "datadir": str(settings.data_dir / settings.app_id),
        "web_enabled": True,
        "web_host": settings.web_host,
        "web_bind": settings.web_host,
        "web_port": settings.web_port,
        "web_in_thread": False,
        "topic_replication_factor": 1,
        "topic_partitions": 3,
        "consumer_auto_offset_reset": "earliest",
        "producer_acks": -1,
        "producer_linger_ms": 5,
        # What the catalog's topics accept (max.message.bytes), no more and no less.
        "producer_max_request_size": topics.max_request_bytes(),
        "broker_max_poll_records": 2000,
        "stream_buffer_maxsize": 8192,
        "logging_config": _logging_config(settings),
        "processing_guarantee": settings.processing_guarantee,
        "broker_session_timeout": settings.session_timeout_s,
        # Kafka wants heartbeats well inside the session; a third is its own rule of thumb.
        "broker_heartbeat_interval": settings.session_timeout_s / 3,
        "consumer_group_instance_id": static_member_id(settings),
        "version": 1,
        "Monitor": QuietMonitor,
    }
    config.update(overrides)
    app = faust.App(settings.app_id, **config)
    app.dafnck_settings = settings  # type: ignore[attr-defined]

    install_web_views(app, settings)
    return app


def install_web_views(app: faust.App, settings: WorkerSettings) -> None:
    """Add the liveness, readiness and metrics endpoints to the worker's web server."""

    @app.page("/health")
    class Health(View):
        async def get(self, request: Request) -> Response:
            return self.json(
                {"status": "ok", "service": settings.service, "version": settings.version}
            )

    @app.page("/ready")
    class Ready(View):
        async def get(self, request: Request) -> Response:
            problems = readiness_problems(app)
            body = {"ready": not problems, "service": settings.service, "problems": problems}
            return self.json(body, status=200 if not problems else 503)

    @app.page("/metrics")
    class Metrics(View):
        async def get(self, request: Request) -> Response:
            return self.bytes(
                metrics.render(), content_type="text/plain; version=0.0.4"
            )
