"""The edge's aiohttp application: middleware, operational endpoints, mounted routes."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from aiohttp import web
from prometheus_client import generate_latest

from edge.auth.wiring import EdgeSecurity
from edge.checks import probe_all, probe_workers, worker_urls_from_env
from edge.core import CONFIG, METRICS, EdgeConfig, EdgeMetrics, request_context
from edge.cors import CorsPolicy
from edge.docs import docs
from edge.query_guard import refuse_nul_query
from streams import __version__
from streams.http.access import public
from streams.http.limits import MAX_BODY_BYTES, parser_settings
from streams.http.openapi import documented, openapi_document
from streams.http.permissions import RolePermissions
from streams.http.problem import problem
from streams.http.request_ids import CORRELATION_ID, REQUEST_ID

if TYPE_CHECKING:
    from edge.services import EdgeServices

__all__ = [
    "CONFIG",
    "CORRELATION_ID",
    "METRICS",
    "REQUEST_ID",
    "EdgeConfig",
    "EdgeMetrics",
    "build_app",
    "problem",
    "request_context",
]


@documented(tag="operations")
@public
async def health(request: web.Request) -> web.Response:
    """Liveness: the process answers."""
    return web.json_response({"status": "ok", "service": "edge", "version": __version__})


@documented(tag="operations", responses={200: "Every dependency answers", 503: "One does not"})
@public
async def ready(request: web.Request) -> web.Response:
    """Readiness: Kafka, Postgres and Redis all answer; with ``?deep=1`` every worker too."""
    config: EdgeConfig = request.app[CONFIG]
    deep = request.query.get("deep", "") in ("1", "true", "yes")
    results, workers = await asyncio.gather(
        probe_all(config.kafka_bootstrap, config.database_url, config.redis_url),
        probe_workers(worker_urls_from_env() if deep else {}),
    )
    ok = all(r.ok for r in results) and all(w.ready for w in workers)
    body: dict[str, Any] = {
        "ready": ok,
        "checks": {
            r.name: {"ok": r.ok, "latency_ms": round(r.latency_ms, 1), "error": r.error}
            for r in results
        },
    }
    if deep:
        body["workers"] = {w.name: {"ready": w.ready, "problems": w.problems} for w in workers}
    return web.json_response(body, status=200 if ok else 503)


@documented(tag="operations")
@public
async def metrics_view(request: web.Request) -> web.Response:
    """Prometheus text exposition of the edge's metrics."""
    metrics: EdgeMetrics = request.app[METRICS]
    return web.Response(body=generate_latest(metrics.registry), content_type="text/plain")


@documented(tag="operations")
@public
async def openapi(request: web.Request) -> web.Response:
    """The OpenAPI 3.1 document of every mounted route."""
    return web.json_response(openapi_document(request.app))


def build_app(config: EdgeConfig, services: EdgeServices | None = None) -> web.Application:
    """The edge: operational routes, security, and (given ``services``) the API routes.

    Without services no key can verify a token, so only public routes answer anything but 401.
    """
    security = (
        services.security
        if services is not None
        else EdgeSecurity.closed(RolePermissions({}), CorsPolicy.from_env())
    )
    app = web.Application(
        middlewares=[request_context, *security.middlewares(), refuse_nul_query],
        client_max_size=MAX_BODY_BYTES,
        handler_args=parser_settings(),
    )
    app[CONFIG] = config
    app[METRICS] = EdgeMetrics()
    security.install(app)
    app.router.add_get("/health", health)
    app.router.add_get("/ready", ready)
    app.router.add_get("/metrics", metrics_view)
    app.router.add_get("/openapi.json", openapi)
    app.router.add_get("/docs", docs)
    if services is not None:
        services.install(app)
    return app
