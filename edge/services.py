"""What the edge serves beyond its operational routes: security, commands, users and agents.

``EdgeServices.from_env`` builds the real ones (used by ``python -m edge``); tests build the
dataclass with fakes. Each piece connects lazily or at app start, never at construction.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace

import redis.asyncio as aioredis
from aiohttp import web

from edge.auth.wiring import EdgeSecurity, SecuritySettings
from edge.contexts import agents_api, agents_live, bootstrap_contexts, users_api
from edge.core import EdgeConfig
from streams.commands import CommandBus
from streams.commands.client import DEFAULT_SEND_TIMEOUT_S
from streams.http.commands import install_commands
from streams.http.principal import principal_of
from streams.http.read_your_writes import install_read_your_writes

REDIS_TIMEOUT_S = 5.0
# How long a request may take to get its command into Kafka before answering 503.
SEND_TIMEOUT_ENV = "DAFNCK_EDGE_SEND_TIMEOUT_S"


def with_signup_limit(settings: SecuritySettings) -> SecuritySettings:
    """Open sign-up gets its own per-address limit unless one is configured for it."""
    if any(r.prefix == users_api.SIGNUP_PATH for r in settings.rate_rules):
        return settings
    return replace(settings, rate_rules=(*settings.rate_rules, users_api.SIGNUP_RATE))


def actor_of(request: web.Request) -> str | None:
    """Commands act for the verified caller."""
    principal = principal_of(request)
    return principal.sub if principal is not None else None


@dataclass
class EdgeServices:
    """The edge's security layer, its command bus and the users and agents routes' dependencies."""

    security: EdgeSecurity
    bus: CommandBus
    identity: users_api.UsersApiDeps
    bootstrap_admin: bool = True
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # None leaves the agents routes out (tests of other contexts).
    agents: agents_api.AgentsApiDeps | None = None
    # Where the agents' live channel reads its deliveries; None leaves the channel out.
    agents_bootstrap: str | None = None
    # The read models' database, whose projectors notify what they applied: command routes
    # wait on it (read-your-writes). None: routes answer as soon as the reply is in.
    read_models_dsn: str | None = None

    @classmethod
    def from_env(cls, config: EdgeConfig, env: Mapping[str, str] = os.environ) -> EdgeServices:
        """The real services for ``config``, settings from the ``DAFNCK_*`` environment."""
        # Deny-list entries must outlive the longest token: a session's or a machine's.
        lifetime_s = max(
            int(env.get("DAFNCK_ACCESS_TTL_S", "86400")),
            int(env.get(users_api.SERVICE_TOKEN_TTL_ENV, "900")),
        )
        security_settings = SecuritySettings.from_env(env, max_token_lifetime_s=lifetime_s)
        identity_settings = users_api.IdentitySettings.from_env(
            env, issuer=security_settings.issuer, audience=security_settings.audience
        )
        if identity_settings.self_signup:
            security_settings = with_signup_limit(security_settings)
        redis = aioredis.from_url(
            config.redis_url,
            socket_timeout=REDIS_TIMEOUT_S,
            socket_connect_timeout=REDIS_TIMEOUT_S,
        )
        identity = users_api.connect(identity_settings, config.database_url, redis)
        # Signing happens in this process, so the verifier reads the same ring directly.
        jwks = None if security_settings.jwks_url else users_api.jwks_provider(identity)
        security = EdgeSecurity.connect(
            security_settings,
            config.redis_url,
            users_api.RbacPermissions(identity.custom_roles),
            jwks,
        )
        bus = CommandBus(
            config.kafka_bootstrap,
            redis,
            send_timeout_s=float(env.get(SEND_TIMEOUT_ENV, str(DEFAULT_SEND_TIMEOUT_S))),
        )
        agents = agents_api.connect(config.database_url, env)
        return cls(
            security, bus, identity, closers=[redis.aclose], agents=agents,
            agents_bootstrap=config.kafka_bootstrap,
            read_models_dsn=config.database_url,
        )

    def install(self, app: web.Application) -> None:
        """Mount the command status route, the users and agents routes, the bootstrap admin."""
        check, create = bootstrap_contexts(self.identity, self.bus)
        if self.bootstrap_admin:
            app.cleanup_ctx.append(check)  # before the bus: a refusal leaves nothing to undo
        install_commands(app, self.bus, actor_of=actor_of)
        if self.read_models_dsn is not None:
            install_read_your_writes(app, self.read_models_dsn)
        users_api.mount(app, self.identity)
        if self.agents is not None:
            agents_api.mount(app, self.agents)
            if self.agents_bootstrap is not None:
                agents_live.mount(app, self.agents_bootstrap, agents_live.live_settings_from_env())
        if self.bootstrap_admin:
            app.cleanup_ctx.append(create)
        app.on_cleanup.append(self._close)

    async def _close(self, app: web.Application) -> None:
        for close in self.closers:
            await close()
