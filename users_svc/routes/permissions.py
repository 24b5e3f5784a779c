"""The edge's authorization decision, made with the users domain's RBAC from the token's roles."""

from __future__ import annotations

from edge.auth.principal import Principal
from users_svc.domain.rbac import WILDCARD, check_permission


class RbacPermissions:
    """``PermissionChecker`` over the built-in roles (custom roles grant nothing here yet)."""

    async def allowed(self, principal: Principal, permission: str) -> bool:
        """Whether the principal's roles grant ``resource:action``."""
        resource, _, action = permission.partition(":")
        if not resource or not action or WILDCARD in (resource, action):
            return False  # routes declare concrete permissions; anything else is refused
        return check_permission(principal.roles, {}, resource, action)
