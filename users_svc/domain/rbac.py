"""Role-based access control: ``resource:action`` permissions, built-in and custom roles.

A permission names a resource and an action; either side may be ``*``. An action ending in
``_own`` (``agents:update_own``) grants the action only on things the actor owns: the caller
says whether it does (``owns=True``), because ownership lives in another context's data.
A user's own profile, sessions and notification preferences are self-service and need no
permission at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from users_svc.domain.errors import DomainError

RESOURCES: frozenset[str] = frozenset(
    {"users", "roles", "agents", "workflows", "tasks", "projects", "notifications", "analytics"}
)
ACTIONS: frozenset[str] = frozenset(
    {
        "read", "create", "update", "delete", "assign", "revoke", "execute", "pause",
        "resume", "redistribute", "send", "export",
        "update_own", "delete_own",
    }
)
OWN_SUFFIX = "_own"
WILDCARD = "*"
ROLE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")

_READ_ALL = (
    "agents:read", "workflows:read", "tasks:read", "projects:read",
    "notifications:read", "analytics:read",
)
_VIEWER = _READ_ALL
_MEMBER = (
    *_VIEWER,
    "agents:create", "agents:update_own", "tasks:create", "tasks:update_own",
)
_OPERATOR = (
    *_MEMBER,
    "users:read", "roles:read",
    "agents:update", "agents:send", "tasks:update", "tasks:assign", "tasks:redistribute",
    "workflows:create", "workflows:update", "workflows:execute", "workflows:pause",
    "workflows:resume",
)
BUILTIN_ROLES: Mapping[str, frozenset[str]] = {
    "admin": frozenset({"*:*"}),
    "operator": frozenset(_OPERATOR),
    "member": frozenset(_MEMBER),
    "viewer": frozenset(_VIEWER),
}


@dataclass(frozen=True)
class Permission:
    """A parsed ``resource:action`` (either side may be ``*``)."""

    resource: str
    action: str

    def __str__(self) -> str:
        return f"{self.resource}:{self.action}"

    def grants(self, resource: str, action: str, owns: bool = False) -> bool:
        """True when this permission allows ``action`` on ``resource``."""
        if self.resource not in (WILDCARD, resource):
            return False
        if self.action in (WILDCARD, action):
            return True
        return owns and self.action == action + OWN_SUFFIX

    def covers(self, other: Permission) -> bool:
        """True when everything ``other`` grants is granted by this one."""
        resource_ok = self.resource == WILDCARD or self.resource == other.resource
        if not resource_ok:
            return False
        if self.action == WILDCARD or self.action == other.action:
            return True
        # update covers update_own: owning is a narrower case of anything.
        return other.action == self.action + OWN_SUFFIX


def parse_permission(text: str, field: str = "permissions") -> Permission:
    """Parse ``resource:action``, raising ``invalid_permission`` naming what is wrong."""
    parts = text.split(":") if isinstance(text, str) else []
    if len(parts) != 2:
        raise DomainError(
            "invalid_permission",
            f"{text!r} is not of the form resource:action (e.g. agents:read).",
            field,
        )
    resource, action = parts
    if resource != WILDCARD and resource not in RESOURCES:
        raise DomainError(
            "invalid_permission",
            f"{text!r}: unknown resource {resource!r}; one of {', '.join(sorted(RESOURCES))} or *.",
            field,
        )
    if action != WILDCARD and action not in ACTIONS:
        raise DomainError(
            "invalid_permission",
            f"{text!r}: unknown action {action!r}; one of {', '.join(sorted(ACTIONS))} or *.",
            field,
        )
    return Permission(resource, action)


@dataclass(frozen=True)
class CustomRole:
    """A role an administrator defined: a name and the permissions it grants."""

    name: str
    permissions: tuple[str, ...]


def validate_role_name(name: str, field: str = "role") -> str:
    """Check a role name's format (lowercase token, letters first, up to 64 characters)."""
    if not isinstance(name, str) or not ROLE_NAME.match(name):
        raise DomainError(
            "invalid_role_name",
            "Role names are lowercase letters, digits, _ and -, start with a letter, "
            "at most 64 characters.",
            field,
        )
    return name


def require_role(name: str, custom_roles: Mapping[str, CustomRole], field: str = "role") -> str:
    """A well-formed role that exists (built-in or defined), or ``unknown_role`` on ``field``."""
    validate_role_name(name, field)
    if not role_exists(name, custom_roles):
        raise DomainError("unknown_role", f"There is no role named {name!r}.", field)
    return name


def define_custom_role(name: str, permissions: Iterable[str]) -> CustomRole:
    """Validate and build a custom role (its name may not shadow a built-in one)."""
    validate_role_name(name, field="name")
    if name in BUILTIN_ROLES:
        raise DomainError(
            "role_name_reserved", f"{name!r} is a built-in role; choose another name.", "name"
        )
    parsed = [str(parse_permission(p)) for p in permissions]
    if not parsed:
        raise DomainError(
            "permissions_required", "A role must grant at least one permission.", "permissions"
        )
    return CustomRole(name, tuple(sorted(set(parsed))))


def role_exists(name: str, custom_roles: Mapping[str, CustomRole]) -> bool:
    """True for a built-in role or a defined custom role."""
    return name in BUILTIN_ROLES or name in custom_roles


def effective_permissions(
    roles: Iterable[str], custom_roles: Mapping[str, CustomRole]
) -> frozenset[str]:
    """Every permission the roles grant together; unknown roles grant nothing."""
    granted: set[str] = set()
    for role in roles:
        if role in BUILTIN_ROLES:
            granted |= BUILTIN_ROLES[role]
        elif role in custom_roles:
            granted |= set(custom_roles[role].permissions)
    if "*:*" in granted:
        return frozenset({"*:*"})
    return frozenset(granted)


def _require_concrete(resource: str, action: str) -> None:
    # A question must be specific; a wildcard here is a caller bug, not a user error.
    if WILDCARD in (resource, action) or not resource or not action:
        raise ValueError(f"check a concrete resource and action, not {resource}:{action}")


def permissions_allow(
    permissions: Iterable[str], resource: str, action: str, owns: bool = False
) -> bool:
    """True when any of the permission strings allows ``action`` on ``resource``."""
    _require_concrete(resource, action)
    for text in permissions:
        resource_part, _, action_part = text.partition(":")
        if Permission(resource_part, action_part).grants(resource, action, owns):
            return True
    return False


def check_permission(
    roles: Iterable[str],
    custom_roles: Mapping[str, CustomRole],
    resource: str,
    action: str,
    *,
    owns: bool = False,
) -> bool:
    """True when the roles allow ``action`` on ``resource`` (``owns``: the actor owns it)."""
    return permissions_allow(effective_permissions(roles, custom_roles), resource, action, owns)


def permissions_cover(granted: Iterable[str], requested: str) -> bool:
    """True when ``requested`` (may hold wildcards) asks for nothing beyond ``granted``."""
    wanted = parse_permission(requested)
    return any(parse_permission(g).covers(wanted) for g in granted)
