"""Nobody hands out more than they hold: the permission check on keys and role definitions."""

from __future__ import annotations

from collections.abc import Iterable

from streams.http.principal import Principal
from users_svc.api.deps import UsersApiDeps
from users_svc.domain.errors import DomainError
from users_svc.domain.rbac import permissions_cover


def _covers(granted: Iterable[str], wanted: str) -> bool:
    try:
        return permissions_cover(granted, wanted)
    except DomainError:
        return False  # a malformed grant (or request) covers nothing


async def beyond_caller(
    deps: UsersApiDeps, principal: Principal, wanted: Iterable[str]
) -> str | None:
    """The first permission the caller does not hold (roles and token scope), if any."""
    # No escalation through keys or role definitions.
    held = await deps.custom_roles.permissions(principal.roles)
    for permission in wanted:
        scoped = principal.scopes is None or _covers(principal.scopes, permission)
        if not (scoped and _covers(held, permission)):
            return permission
    return None
