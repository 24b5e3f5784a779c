"""One place that assembles the edge's security layer from the environment, in the right order.

Environment: ``DAFNCK_JWKS_URL`` (verify against a remote JWKS instead of the in-process key
ring), ``DAFNCK_JWT_ISSUER``, ``DAFNCK_JWT_AUDIENCE``, ``DAFNCK_MAX_TOKEN_LIFETIME_S``,
``DAFNCK_CORS_ORIGINS`` (comma-separated origins), ``DAFNCK_RATE_LIMITS``
(``/api/agents/*=1000/hour,...``), ``DAFNCK_TRUSTED_PROXY_HOPS``.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

import redis.asyncio as aioredis
from aiohttp import web
from aiohttp.typedefs import Middleware

from edge.auth.middleware import AuthGate
from edge.auth.verify import TokenVerifier
from edge.cors import CorsPolicy
from edge.ratelimit.gcra import GcraStore
from edge.ratelimit.middleware import RateLimiter
from streams.http.denylist import DenyChecker, DenyList
from streams.http.jwks import HttpJwksProvider, JwksProvider, StaticJwksProvider
from streams.http.permissions import PermissionChecker
from streams.http.rate_rules import RateRule, rules_from_env

# Short: a hung Redis must cost a request milliseconds, then the fail-open path takes over.
REDIS_TIMEOUT_S = 0.25
Closer = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class SecuritySettings:
    """Issuer, audience, where the JWKS lives, CORS origins and rate limits."""

    jwks_url: str | None = None
    issuer: str = "dafnck-users"
    audience: str = "dafnck-api"
    jwks_ttl_s: float = 300.0
    leeway_s: float = 30.0
    max_token_lifetime_s: int = 86400
    cors: CorsPolicy = field(default_factory=lambda: CorsPolicy(frozenset()))
    rate_rules: tuple[RateRule, ...] = ()
    trusted_proxy_hops: int = 0

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] = os.environ, *, max_token_lifetime_s: int = 86400
    ) -> SecuritySettings:
        """Settings from the ``DAFNCK_*`` variables listed in the module docstring."""
        lifetime = env.get("DAFNCK_MAX_TOKEN_LIFETIME_S")
        return cls(
            jwks_url=env.get("DAFNCK_JWKS_URL") or None,
            issuer=env.get("DAFNCK_JWT_ISSUER", cls.issuer),
            audience=env.get("DAFNCK_JWT_AUDIENCE", cls.audience),
            # Revocation markers must outlive the longest token the edge signs.
            max_token_lifetime_s=max(int(lifetime), max_token_lifetime_s)
            if lifetime
            else max_token_lifetime_s,
            cors=CorsPolicy.from_env(env),
            rate_rules=rules_from_env(env),
            trusted_proxy_hops=int(env.get("DAFNCK_TRUSTED_PROXY_HOPS", "0")),
        )


class EdgeSecurity:
    """CORS, authentication, rate limiting and authorization for one edge application."""

    def __init__(
        self,
        gate: AuthGate,
        cors: CorsPolicy,
        limiter: RateLimiter | None = None,
        *,
        closers: tuple[Closer, ...] = (),
    ) -> None:
        self.gate = gate
        self.cors = cors
        self.limiter = limiter
        self._closers = closers

    @classmethod
    def connect(
        cls,
        settings: SecuritySettings,
        redis_url: str,
        checker: PermissionChecker,
        jwks: JwksProvider | None = None,
    ) -> EdgeSecurity:
        """The full layer: verifier, Redis deny list and rate limits (connects lazily)."""
        redis = aioredis.from_url(
            redis_url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S
        )
        closers: list[Closer] = [redis.aclose]
        if jwks is None:
            if settings.jwks_url is None:
                raise ValueError("no JWKS: pass the key ring's provider or set DAFNCK_JWKS_URL")
            remote = HttpJwksProvider(settings.jwks_url, settings.jwks_ttl_s)
            closers.insert(0, remote.close)
            jwks = remote
        deny = DenyList(
            redis,
            leeway_s=settings.leeway_s,
            max_token_lifetime_s=settings.max_token_lifetime_s,
        )
        limiter = RateLimiter(
            GcraStore(redis),
            settings.rate_rules,
            trusted_proxy_hops=settings.trusted_proxy_hops,
        )
        return cls(
            cls.gate_for(settings, checker, jwks, deny),
            settings.cors,
            limiter,
            closers=tuple(closers),
        )

    @staticmethod
    def gate_for(
        settings: SecuritySettings,
        checker: PermissionChecker,
        jwks: JwksProvider,
        deny: DenyChecker | None,
    ) -> AuthGate:
        """The auth gate verifying tokens against ``jwks`` with the settings' issuer/audience."""
        verifier = TokenVerifier(jwks, settings.issuer, settings.audience, settings.leeway_s)
        return AuthGate(verifier, checker, deny)

    @classmethod
    def closed(cls, checker: PermissionChecker, cors: CorsPolicy) -> EdgeSecurity:
        """No signing keys at all: public routes answer, every other route is 401."""
        settings = SecuritySettings()
        return cls(cls.gate_for(settings, checker, StaticJwksProvider({"keys": []}), None), cors)

    def middlewares(self) -> list[Middleware]:
        """The middlewares, in order, to follow the request-context middleware."""
        # CORS answers preflights before auth; the limiter sits between authenticate (to key
        # on the user) and authorize (so callers refused with 401/403 are counted too).
        limiter = [self.limiter.middleware] if self.limiter is not None else []
        return [self.cors.middleware, self.gate.authenticate, *limiter, self.gate.authorize]

    def install(self, app: web.Application) -> None:
        """Response hooks (CORS and RateLimit headers on every response) and cleanup."""
        self.cors.install(app)
        if self.limiter is not None:
            self.limiter.install(app)
        app.on_cleanup.append(self._close)

    async def _close(self, app: web.Application) -> None:
        for close in self._closers:
            await close()
