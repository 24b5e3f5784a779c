"""The users context's HTTP surface, mounted by the edge: sign-in, tokens, accounts, roles.

Thin handlers (``users_svc.api.routes``): validate the body, authorize, then send a user command
over Kafka or query the Postgres read model. Passwords are hashed and refresh tokens minted
here, in the edge process, so neither ever travels on Kafka; access tokens are signed here
with the key ring whose public half ``/.well-known/jwks.json`` publishes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import redis.asyncio as aioredis
from aiohttp import web

from streams.http.denylist import DenyList
from streams.http.jwks import JwksProvider, StaticJwksProvider
from users_svc.api.deps import USERS_API_DEPS, UsersApiDeps
from users_svc.api.permissions import RbacPermissions
from users_svc.api.readmodel import PgReadModel
from users_svc.api.redis_stores import RedisLoginThrottle, RedisRefreshGrace
from users_svc.api.routes import (
    api_keys,
    auth,
    machine_auth,
    me,
    roles,
    service_accounts,
    signup,
    user_roles,
    users,
)
from users_svc.api.routes.signup import SIGNUP_PATH, SIGNUP_RATE
from users_svc.api.settings import SERVICE_TOKEN_TTL_ENV, IdentitySettings
from users_svc.api.signing.disk_ring import DiskRing, RingJwksProvider, load_or_create_ring
from users_svc.domain.passwords import Argon2Passwords

__all__ = [
    "ROUTES",
    "SERVICE_TOKEN_TTL_ENV",
    "SIGNUP_PATH",
    "SIGNUP_RATE",
    "USERS_API_DEPS",
    "IdentitySettings",
    "RbacPermissions",
    "UsersApiDeps",
    "connect",
    "jwks_provider",
    "mount",
]

Route = tuple[str, str, Callable[[web.Request], Awaitable[web.StreamResponse]]]
ROUTES: tuple[Route, ...] = (
    ("POST", "/api/auth/login", auth.login),
    ("POST", "/api/auth/refresh", auth.refresh),
    ("POST", "/api/auth/logout", auth.logout),
    ("POST", "/api/auth/logout-all", auth.logout_all),
    ("POST", "/api/auth/token", machine_auth.token),
    ("GET", "/.well-known/jwks.json", auth.jwks),
    ("POST", "/api/users", users.create_user),
    ("GET", "/api/users", users.list_users),
    ("GET", "/api/users/{id}", users.get_user),
    ("PATCH", "/api/users/{id}", users.update_user),
    ("POST", "/api/users/{id}/deactivate", users.deactivate_user),
    ("POST", "/api/users/{id}/roles", user_roles.assign_role),
    ("DELETE", "/api/users/{id}/roles/{role}", user_roles.revoke_role),
    ("POST", "/api/roles", roles.define_role),
    ("GET", "/api/roles", roles.list_roles),
    ("DELETE", "/api/roles/{name}", roles.delete_role),
    ("POST", "/api/service-accounts", service_accounts.create_service_account),
    ("GET", "/api/service-accounts", service_accounts.list_service_accounts),
    ("GET", "/api/service-accounts/{id}", service_accounts.get_service_account),
    ("POST", "/api/service-accounts/{id}/keys", api_keys.issue_key),
    ("GET", "/api/service-accounts/{id}/keys", api_keys.list_keys),
    ("DELETE", "/api/service-accounts/{id}/keys/{key_id}", api_keys.revoke_key),
    ("GET", "/api/me", me.get_me),
    ("PATCH", "/api/me", me.update_me),
    ("POST", "/api/me/password", me.change_password),
    ("POST", "/api/authz/check", me.check),
)


def mount(app: web.Application, deps: UsersApiDeps) -> None:
    """Add the routes and their dependencies to the edge app (its CommandBus is required)."""
    app[USERS_API_DEPS] = deps
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
    if deps.settings.self_signup:
        # Off, the route does not exist at all: 404, and absent from /openapi.json.
        app.router.add_route("POST", signup.SIGNUP_PATH, signup.signup)

    async def lifecycle(_app: web.Application) -> AsyncIterator[None]:
        yield
        await deps.close()

    # A cleanup context unwinds before the CommandBus's (installed earlier), so background
    # sends still have a running bus while they drain.
    app.cleanup_ctx.append(lifecycle)


def jwks_provider(deps: UsersApiDeps) -> JwksProvider:
    """The edge verifies what it signs: the JWKS straight from its own key ring."""
    if isinstance(deps.ring, DiskRing):
        return RingJwksProvider(deps.ring)
    return StaticJwksProvider(deps.ring.jwks)


def connect(settings: IdentitySettings, database_url: str, redis: aioredis.Redis) -> UsersApiDeps:
    """The real dependencies: keys on disk, Postgres read model, Redis, argon2id."""
    loaded = load_or_create_ring(
        settings.keys_dir, settings.issuer, settings.max_token_lifetime_s
    )
    ring = DiskRing(settings.keys_dir, loaded, check_every_s=settings.keys_reload_s)
    read_model = PgReadModel(database_url)
    return UsersApiDeps(
        settings=settings,
        ring=ring,
        read_model=read_model,
        throttle=RedisLoginThrottle(redis),
        grace=RedisRefreshGrace(redis),
        revocations=DenyList(redis, max_token_lifetime_s=settings.access_ttl_s),
        passwords=Argon2Passwords(),
        closers=[read_model.close],
    )
