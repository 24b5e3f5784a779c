"""The edge's authorization decision: the users domain's RBAC over the token's roles.

Built-in roles are decided from the token alone; a custom role's permissions come from the
read model through a short cache, so defining or deleting a role changes what tokens that
name it may do within seconds, without new tokens.
"""

from __future__ import annotations

from streams.http.principal import Principal
from users_svc.api.roles_cache import CustomRoleCache
from users_svc.domain.rbac import BUILTIN_ROLES, WILDCARD, check_permission, permissions_allow


class RbacPermissions:
    """``PermissionChecker`` over built-in roles and (given a cache) custom roles."""

    def __init__(self, custom_roles: CustomRoleCache | None = None) -> None:
        self._custom_roles = custom_roles

    async def allowed(self, principal: Principal, permission: str) -> bool:
        """Whether the principal's roles grant ``resource:action``."""
        resource, _, action = permission.partition(":")
        if not resource or not action or WILDCARD in (resource, action):
            return False  # routes declare concrete permissions; anything else is refused
        if check_permission(principal.roles, {}, resource, action):
            return True
        if self._custom_roles is None or all(r in BUILTIN_ROLES for r in principal.roles):
            return False
        granted = await self._custom_roles.permissions(principal.roles)
        return permissions_allow(granted, resource, action)
