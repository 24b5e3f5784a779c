"""Authorization: may this principal use permission ``resource:action``?"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from streams.http.principal import Principal


class PermissionChecker(Protocol):
    """The pluggable authorization decision (the users domain's RBAC implements it)."""

    async def allowed(self, principal: Principal, permission: str) -> bool:
        """Whether ``principal`` may use ``permission``."""


def permission_matches(granted: str, wanted: str) -> bool:
    """Whether ``granted`` covers ``wanted``: itself, ``*``, or ``*`` on either side."""
    if granted in ("*", wanted):
        return True
    resource, _, action = granted.partition(":")
    wanted_resource, _, wanted_action = wanted.partition(":")
    return resource in ("*", wanted_resource) and action in ("*", wanted_action)


def scope_allows(scopes: frozenset[str] | None, permission: str) -> bool:
    """A scoped token only reaches what its scopes name; an unscoped one is not narrowed."""
    return scopes is None or any(permission_matches(s, permission) for s in scopes)


class RolePermissions:
    """A fixed roles → permissions table, e.g. ``{"admin": ["*"], "viewer": ["users:read"]}``."""

    def __init__(self, table: Mapping[str, Iterable[str]]) -> None:
        self._table = {role: frozenset(perms) for role, perms in table.items()}

    async def allowed(self, principal: Principal, permission: str) -> bool:
        """True when one of the principal's roles grants the permission."""
        return any(
            permission_matches(granted, permission)
            for role in principal.roles
            for granted in self._table.get(role, ())
        )
