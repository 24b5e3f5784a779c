"""The users routes' dependencies: settings, keys, read model and its view, Redis stores."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from streams.http.command_route import ReadModelView
from users_svc.api.readmodel import ReadModel
from users_svc.api.redis_stores import LoginThrottle, RefreshGrace, Revocations
from users_svc.api.roles_cache import CustomRoleCache
from users_svc.api.settings import IdentitySettings
from users_svc.api.signing.disk_ring import SigningRing
from users_svc.api.tokens import AccessTokens
from users_svc.domain.passwords import PasswordHashing
from users_svc.worker.migrations import SCHEMA
from users_svc.worker.projector import READ_MODEL_APPLIES

log = logging.getLogger("dafnck.users.http")
DRAIN_TIMEOUT_S = 5.0


@dataclass
class UsersApiDeps:
    """The users routes' dependencies (real ones in the edge, fakes in unit tests)."""

    settings: IdentitySettings
    ring: SigningRing
    read_model: ReadModel
    throttle: LoginThrottle
    grace: RefreshGrace
    revocations: Revocations
    passwords: PasswordHashing
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.access = AccessTokens(
            self.ring, self.settings.audience, self.settings.access_ttl_s, self.revocations
        )
        # What command routes wait for: the events the users projector applies.
        self.read_model_view = ReadModelView(
            SCHEMA, READ_MODEL_APPLIES, self.settings.read_your_writes_s
        )
        # One cache per edge process: the routes and the permission checker share it.
        self.custom_roles = CustomRoleCache(
            self.read_model.custom_roles, self.settings.roles_cache_s
        )

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        """Run ``work`` in the background (kept referenced, errors logged, drained at stop)."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background identity work failed", exc_info=task.exception())

    async def close(self) -> None:
        """Let background sends finish (briefly), then release what was opened."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=DRAIN_TIMEOUT_S)
        for close in self.closers:
            await close()


USERS_API_DEPS = web.AppKey("users_api_deps", UsersApiDeps)


def users_api_deps(request: web.Request) -> UsersApiDeps:
    """The app's identity dependencies."""
    return request.app[USERS_API_DEPS]


async def in_thread(function: Callable[..., Any], *args: Any) -> Any:
    """Run CPU-heavy work (argon2) off the event loop."""
    return await asyncio.to_thread(function, *args)
