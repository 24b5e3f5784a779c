"""Custom role definitions for the edge's permission checks, read again every few seconds.

Tokens carry role names; what a custom role grants lives in the read model, so a change
(a role defined or deleted) takes effect on every edge replica within ``ttl_s`` without
new tokens. A replica that made the change itself sees it at once (``invalidate``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping

from streams.readmodel_pool import ReadModelUnavailable
from users_svc.api.readmodel_access import RoleRow
from users_svc.domain.rbac import BUILTIN_ROLES, CustomRole, effective_permissions

Loader = Callable[[], Awaitable[list[RoleRow]]]
log = logging.getLogger("dafnck.users.roles")


class CustomRoleCache:
    """The custom roles, at most ``ttl_s`` old; the last good copy while Postgres is down."""

    def __init__(
        self, load: Loader, ttl_s: float = 5.0, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._load = load
        self.ttl_s = ttl_s
        self._clock = clock
        self._roles: dict[str, CustomRole] | None = None
        self._loaded_at = float("-inf")
        self._lock = asyncio.Lock()
        self.loads = 0

    def _fresh(self) -> bool:
        return self._roles is not None and self._clock() - self._loaded_at < self.ttl_s

    async def current(self) -> Mapping[str, CustomRole]:
        """Every defined custom role by name (none known: an empty mapping, so nothing granted)."""
        if not self._fresh():
            async with self._lock:
                if not self._fresh():  # another caller may have loaded meanwhile
                    await self._reload()
        return self._roles or {}

    async def _reload(self) -> None:
        self.loads += 1
        try:
            rows = await self._load()
        except ReadModelUnavailable as exc:
            # Unknown roles grant nothing: an outage narrows access, never widens it.
            log.warning("custom roles unavailable", extra={"error": str(exc)})
            if self._roles is None:
                self._roles = {}
            self._loaded_at = self._clock()  # try again after ttl_s, not on every request
            return
        self._roles = {row.name: row.as_custom_role() for row in rows}
        self._loaded_at = self._clock()

    def invalidate(self) -> None:
        """Read the definitions again on next use (this replica just changed one)."""
        self._loaded_at = float("-inf")

    async def permissions(self, roles: Iterable[str]) -> frozenset[str]:
        """What the roles grant together; the read model is asked only for custom roles."""
        wanted = tuple(roles)
        custom = {} if all(r in BUILTIN_ROLES for r in wanted) else await self.current()
        return effective_permissions(wanted, custom)
