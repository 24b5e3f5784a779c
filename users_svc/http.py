"""The users context's HTTP surface, mounted by the edge: sign-in, tokens, accounts, roles.

Thin handlers (``users_svc.routes``): validate the body, authorize, then send a user command
over Kafka or query the Postgres read model. Passwords are hashed and refresh tokens minted
here, in the edge process, so neither ever travels on Kafka; access tokens are signed here
with the key ring whose public half ``/.well-known/jwks.json`` publishes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import redis.asyncio as aioredis
from aiohttp import web

from edge.auth.denylist import DenyList
from users_svc.domain.passwords import Argon2Passwords
from users_svc.routes import auth, me, users
from users_svc.routes.identity import IDENTITY, Identity
from users_svc.routes.keyring import load_or_create_ring
from users_svc.routes.permissions import RbacPermissions
from users_svc.routes.readmodel import PgReadModel
from users_svc.routes.settings import IdentitySettings
from users_svc.routes.stores import RedisLoginThrottle, RedisRefreshGrace

__all__ = [
    "IDENTITY",
    "ROUTES",
    "Identity",
    "IdentitySettings",
    "RbacPermissions",
    "connect",
    "mount",
]

Route = tuple[str, str, Callable[[web.Request], Awaitable[web.StreamResponse]]]
ROUTES: tuple[Route, ...] = (
    ("POST", "/api/auth/login", auth.login),
    ("POST", "/api/auth/refresh", auth.refresh),
    ("POST", "/api/auth/logout", auth.logout),
    ("POST", "/api/auth/logout-all", auth.logout_all),
    ("GET", "/.well-known/jwks.json", auth.jwks),
    ("POST", "/api/users", users.create_user),
    ("GET", "/api/users", users.list_users),
    ("GET", "/api/users/{id}", users.get_user),
    ("PATCH", "/api/users/{id}", users.update_user),
    ("POST", "/api/users/{id}/deactivate", users.deactivate_user),
    ("POST", "/api/users/{id}/roles", users.assign_role),
    ("DELETE", "/api/users/{id}/roles/{role}", users.revoke_role),
    ("GET", "/api/me", me.get_me),
    ("PATCH", "/api/me", me.update_me),
    ("POST", "/api/me/password", me.change_password),
    ("POST", "/api/authz/check", me.check),
)


def mount(app: web.Application, identity: Identity) -> None:
    """Add the routes and their dependencies to the edge app (its CommandBus is required)."""
    app[IDENTITY] = identity
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)

    async def lifecycle(_app: web.Application) -> AsyncIterator[None]:
        yield
        await identity.close()

    # A cleanup context unwinds before the CommandBus's (installed earlier), so background
    # sends still have a running bus while they drain.
    app.cleanup_ctx.append(lifecycle)


def connect(settings: IdentitySettings, database_url: str, redis: aioredis.Redis) -> Identity:
    """The real dependencies: keys on disk, Postgres read model, Redis, argon2id."""
    ring = load_or_create_ring(settings.keys_dir, settings.issuer, settings.access_ttl_s)
    read_model = PgReadModel(database_url)
    return Identity(
        settings=settings,
        ring=ring,
        read_model=read_model,
        throttle=RedisLoginThrottle(redis),
        grace=RedisRefreshGrace(redis),
        revocations=DenyList(redis, max_token_lifetime_s=settings.access_ttl_s),
        passwords=Argon2Passwords(),
        closers=[read_model.close],
    )
