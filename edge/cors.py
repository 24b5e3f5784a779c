"""CORS for browser clients: an allow-list of origins, credentials allowed.

A small middleware rather than aiohttp-cors: aiohttp-cors needs every route registered with it
after all services have mounted theirs, and its preflight routes would pass through the auth
and rate-limit middlewares. Here preflights are answered before either, on any path, and
actual responses (errors included) get their headers from an ``on_response_prepare`` hook.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import web

from streams.http.problem import problem

CORS_ORIGINS_ENV = "DAFNCK_CORS_ORIGINS"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

DEFAULT_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
DEFAULT_HEADERS = (
    "Authorization",
    "Content-Type",
    "Idempotency-Key",
    "X-Request-Id",
    "X-Correlation-Id",
)
# What browser code may read beyond the CORS-safelisted response headers.
DEFAULT_EXPOSED = (
    "Location",
    "Retry-After",
    "WWW-Authenticate",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "RateLimit-Policy",
    "X-Request-Id",
    "X-Correlation-Id",
)


def normalize_origin(origin: str) -> str:
    """``scheme://host[:port]`` lower-cased; raises ValueError for anything else."""
    parts = urlsplit(origin.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an origin: {origin!r} (expected scheme://host[:port])")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ValueError(f"an origin has no path, query or credentials: {origin!r}")
    port = f":{parts.port}" if parts.port is not None else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


@dataclass(frozen=True)
class CorsPolicy:
    """Which origins may call the API from a browser, with cookies/Authorization."""

    origins: frozenset[str]
    allow_methods: tuple[str, ...] = DEFAULT_METHODS
    allow_headers: tuple[str, ...] = DEFAULT_HEADERS
    expose_headers: tuple[str, ...] = DEFAULT_EXPOSED
    max_age_s: int = 600

    @classmethod
    def from_origins(cls, origins: Iterable[str]) -> CorsPolicy:
        """A policy for the given origins; ``*`` is refused because credentials are allowed."""
        listed = [o for o in (item.strip() for item in origins) if o]
        if "*" in listed:
            raise ValueError("'*' cannot be combined with credentials; list the origins")
        return cls(frozenset(normalize_origin(o) for o in listed))

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> CorsPolicy:
        """The policy from ``DAFNCK_CORS_ORIGINS`` (comma-separated; unset allows none)."""
        return cls.from_origins(env.get(CORS_ORIGINS_ENV, "").split(","))

    def allows(self, origin: str | None) -> bool:
        """Whether a request's ``Origin`` header names an allowed origin."""
        if not origin:
            return False
        try:
            return normalize_origin(origin) in self.origins
        except ValueError:
            return False  # "null" and garbage are never allowed

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Answer preflights here: no auth, no rate limit, no route needed."""
        origin = request.headers.get("Origin")
        if (
            origin is None
            or request.method != "OPTIONS"
            or "Access-Control-Request-Method" not in request.headers
        ):
            return await handler(request)
        if not self.allows(origin):
            return problem(
                403,
                "Forbidden",
                "origin not allowed",
                headers={"Vary": "Origin"},
                code="origin_not_allowed",
            )
        return web.Response(
            status=204,
            headers={
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Credentials": "true",
                "Access-Control-Allow-Methods": ", ".join(self.allow_methods),
                "Access-Control-Allow-Headers": ", ".join(self.allow_headers),
                "Access-Control-Max-Age": str(self.max_age_s),
                "Vary": "Origin",
            },
        )

    def install(self, app: web.Application) -> None:
        """Add CORS headers to every actual response for an allowed origin."""
        app.on_response_prepare.append(self._on_prepare)

    async def _on_prepare(self, request: web.Request, response: web.StreamResponse) -> None:
        if "Access-Control-Allow-Origin" in response.headers:
            return  # a preflight answer, already complete
        _vary_origin(response)
        origin = request.headers.get("Origin")
        if origin is None or not self.allows(origin):
            return
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
        response.headers["Access-Control-Expose-Headers"] = ", ".join(self.expose_headers)


def _vary_origin(response: web.StreamResponse) -> None:
    # Responses differ by Origin, so shared caches must key on it.
    present = [v.strip().lower() for v in response.headers.get("Vary", "").split(",")]
    if "origin" not in present and "*" not in present:
        existing = response.headers.get("Vary")
        response.headers["Vary"] = f"{existing}, Origin" if existing else "Origin"
