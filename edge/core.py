"""The edge's foundation: its config, metrics, request ids, problem responses, error middleware.

Kept apart from ``edge.app`` so route modules (``edge.commands``, each service's ``http.py``)
can use it while ``edge.app`` imports them to mount their routes.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram

from streams.http.problem import UNAVAILABLE_RETRY_AFTER_S, Handler, problem
from streams.http.request_ids import CORRELATION_ID, REQUEST_ID
from streams.outages import outage_of

log = logging.getLogger("dafnck.edge")


@dataclass(frozen=True)
class EdgeConfig:
    """Where the edge listens and what it depends on."""

    kafka_bootstrap: str
    database_url: str
    redis_url: str
    host: str = "127.0.0.1"
    port: int = 8080
    environment: str = "development"


class EdgeMetrics:
    """Request counts and latency by route and status (a registry per app keeps tests apart)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "dafnck_http_requests_total",
            "HTTP requests by method, route and status.",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "dafnck_http_request_duration_seconds",
            "HTTP request latency by method and route.",
            ("method", "route"),
            registry=self.registry,
        )


CONFIG = web.AppKey("config", EdgeConfig)
METRICS = web.AppKey("metrics", EdgeMetrics)


def _route_name(request: web.Request) -> str:
    # Unknown paths share one label so scanners cannot blow up the metric's cardinality.
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Request and correlation ids, JSON errors, metrics and one log line per request."""
    metrics: EdgeMetrics = request.app[METRICS]
    request_id = request.headers.get("X-Request-Id") or str(uuid.uuid4())
    request[REQUEST_ID] = request_id
    request[CORRELATION_ID] = request.headers.get("X-Correlation-Id") or request_id
    started = time.perf_counter()
    try:
        response = await handler(request)
    except web.HTTPNotFound:
        response = problem(404, "Not Found", f"no route for {request.method} {request.path}")
    except web.HTTPMethodNotAllowed as exc:
        allowed = ", ".join(sorted(exc.allowed_methods))
        response = problem(
            405, "Method Not Allowed", f"{request.method} is not allowed on {request.path}"
        )
        response.headers["Allow"] = allowed
    except web.HTTPException as exc:
        response = problem(exc.status, exc.reason, exc.text or exc.reason)
        for name in ("Retry-After", "WWW-Authenticate"):
            if name in exc.headers:
                response.headers[name] = exc.headers[name]
    except Exception as exc:
        dependency = outage_of(exc)
        if dependency is None:
            log.exception("unhandled error", extra={"request_id": request_id})
            response = problem(
                500, "Internal Server Error", "unexpected error", request_id=request_id
            )
        else:
            # An outage, not a bug: the client is told when to come back.
            log.warning(
                "dependency unavailable",
                extra={"request_id": request_id, "dependency": dependency, "error": repr(exc)},
            )
            response = problem(
                503,
                "Service Unavailable",
                f"{dependency} is unavailable; retry later",
                code="dependency_unavailable",
                dependency=dependency,
            )
            response.headers["Retry-After"] = UNAVAILABLE_RETRY_AFTER_S
    elapsed = time.perf_counter() - started
    route = _route_name(request)
    metrics.requests.labels(request.method, route, str(response.status)).inc()
    metrics.latency.labels(request.method, route).observe(elapsed)
    response.headers["X-Request-Id"] = request_id
    response.headers["X-Correlation-Id"] = request[CORRELATION_ID]
    log.info(
        "request",
        extra={
            "method": request.method,
            "path": request.path,
            "status": response.status,
            "ms": round(elapsed * 1000, 2),
            "request_id": request_id,
        },
    )
    return response
