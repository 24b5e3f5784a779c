"""One place that assembles the edge's security layer from the environment, in the right order.

Environment: ``DAFNCK_JWKS_URL``, ``DAFNCK_JWT_ISSUER``, ``DAFNCK_JWT_AUDIENCE``,
``DAFNCK_MAX_TOKEN_LIFETIME_S``, ``DAFNCK_CORS_ORIGINS`` (comma-separated origins),
``DAFNCK_RATE_LIMITS`` (``/api/agents/*=1000/hour,...``), ``DAFNCK_TRUSTED_PROXY_HOPS``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import redis.asyncio as aioredis
from aiohttp import web
from aiohttp.typedefs import Middleware

from edge.auth.denylist import DenyList
from edge.auth.jwks import HttpJwksProvider
from edge.auth.middleware import AuthGate
from edge.auth.permissions import PermissionChecker, RolePermissions
from edge.auth.verify import TokenVerifier
from edge.cors import CorsPolicy
from edge.ratelimit.gcra import GcraStore
from edge.ratelimit.middleware import RateLimiter
from edge.ratelimit.rules import RateRule, rules_from_env

# Until the users domain's RBAC plugs in, only admins pass permission checks.
INTERIM_ROLES = RolePermissions({"admin": ["*"]})
# Short: a hung Redis must cost a request milliseconds, then the fail-open path takes over.
REDIS_TIMEOUT_S = 0.25


@dataclass(frozen=True)
class SecuritySettings:
    """Issuer, audience, where the JWKS lives, CORS origins and rate limits."""

    jwks_url: str
    issuer: str = "dafnck-users"
    audience: str = "dafnck-api"
    jwks_ttl_s: float = 300.0
    leeway_s: float = 30.0
    max_token_lifetime_s: int = 3600
    cors: CorsPolicy = field(default_factory=lambda: CorsPolicy(frozenset()))
    rate_rules: tuple[RateRule, ...] = ()
    trusted_proxy_hops: int = 0

    @classmethod
    def from_env(
        cls, default_jwks_url: str, env: Mapping[str, str] = os.environ
    ) -> SecuritySettings:
        """Settings from the ``DAFNCK_*`` variables listed in the module docstring."""
        return cls(
            jwks_url=env.get("DAFNCK_JWKS_URL", default_jwks_url),
            issuer=env.get("DAFNCK_JWT_ISSUER", cls.issuer),
            audience=env.get("DAFNCK_JWT_AUDIENCE", cls.audience),
            max_token_lifetime_s=int(env.get("DAFNCK_MAX_TOKEN_LIFETIME_S", "3600")),
            cors=CorsPolicy.from_env(env),
            rate_rules=rules_from_env(env),
            trusted_proxy_hops=int(env.get("DAFNCK_TRUSTED_PROXY_HOPS", "0")),
        )


class EdgeSecurity:
    """CORS, authentication, rate limiting and authorization for one edge application."""

    def __init__(
        self,
        settings: SecuritySettings,
        redis_url: str,
        checker: PermissionChecker = INTERIM_ROLES,
    ) -> None:
        self.redis = aioredis.from_url(
            redis_url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S
        )
        self.jwks = HttpJwksProvider(settings.jwks_url, settings.jwks_ttl_s)
        verifier = TokenVerifier(self.jwks, settings.issuer, settings.audience, settings.leeway_s)
        deny = DenyList(
            self.redis,
            leeway_s=settings.leeway_s,
            max_token_lifetime_s=settings.max_token_lifetime_s,
        )
        self.gate = AuthGate(verifier, checker, deny)
        self.limiter = RateLimiter(
            GcraStore(self.redis),
            settings.rate_rules,
            trusted_proxy_hops=settings.trusted_proxy_hops,
        )
        self.cors = settings.cors

    def middlewares(self) -> list[Middleware]:
        """The middlewares, in order, to follow the request-context middleware."""
        # CORS answers preflights before auth; the limiter sits between authenticate (to key
        # on the user) and authorize (so callers refused with 401/403 are counted too).
        return [
            self.cors.middleware,
            self.gate.authenticate,
            self.limiter.middleware,
            self.gate.authorize,
        ]

    def install(self, app: web.Application) -> None:
        """Response hooks (CORS and RateLimit headers on every response) and cleanup."""
        self.cors.install(app)
        self.limiter.install(app)
        app.on_cleanup.append(self._close)

    async def _close(self, app: web.Application) -> None:
        await self.jwks.close()
        await self.redis.aclose()
