"""Custom roles as aggregates keyed ``role:<name>``: defined once, deleted for good.

Like an email claim, one partition decides each name, one command at a time: two admins
defining the same name cannot both succeed, and an AssignRole of a custom role first passes
through the role's aggregate, which vouches that the role is defined. A deleted role leaves a
tombstone and its name is never defined again: accounts may still hold it (taking it from
every holder is not one aggregate's to do), and they would silently regain whatever a new
definition granted.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from users_svc.domain import events as ev
from users_svc.domain.errors import DomainError, require_aware
from users_svc.domain.profile import clean_uuid
from users_svc.domain.rbac import BUILTIN_ROLES, CustomRole, define_custom_role, validate_role_name

ROLE_PREFIX = "role:"
DESCRIPTION_MAX = 500
RoleDecision = tuple["RoleRecord", list[ev.DomainEvent]]


@dataclass(frozen=True)
class RoleRecord:
    """A custom role as its aggregate keeps it, tombstone included."""

    name: str
    permissions: tuple[str, ...]
    description: str
    defined_by: str
    created_at: datetime
    deleted_at: datetime | None = None

    @property
    def defined(self) -> bool:
        """True until the role is deleted."""
        return self.deleted_at is None

    def as_custom_role(self) -> CustomRole:
        """What RBAC needs of it."""
        return CustomRole(self.name, self.permissions)

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the Faust table."""
        deleted = self.deleted_at
        return {
            "name": self.name,
            "permissions": list(self.permissions),
            "description": self.description,
            "defined_by": self.defined_by,
            "created_at": self.created_at.isoformat(),
            "deleted_at": deleted.isoformat() if deleted else None,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> RoleRecord:
        """Read back ``to_dict``'s form."""
        deleted = raw.get("deleted_at")
        return cls(
            name=raw["name"],
            permissions=tuple(raw["permissions"]),
            description=raw["description"],
            defined_by=raw["defined_by"],
            created_at=datetime.fromisoformat(raw["created_at"]),
            deleted_at=datetime.fromisoformat(deleted) if deleted else None,
        )


def role_key(name: str) -> str:
    """The aggregate key (and subject) of a role's commands and events: ``role:<name>``."""
    return ROLE_PREFIX + name


def clean_description(text: str) -> str:
    """A role's description, stripped: up to 500 characters, no control characters."""
    cleaned = text.strip() if isinstance(text, str) else ""
    if len(cleaned) > DESCRIPTION_MAX or any(
        unicodedata.category(ch) == "Cc" for ch in cleaned
    ):
        raise DomainError(
            "invalid_description",
            f"A description is at most {DESCRIPTION_MAX} characters, without control characters.",
            "description",
        )
    return cleaned


def define_role(
    existing: RoleRecord | None,
    *,
    name: str,
    permissions: Iterable[str],
    description: str,
    defined_by: str,
    now: datetime,
) -> RoleDecision:
    """Define a role; the very same definition again (a retry) changes nothing."""
    require_aware(now)
    defined_by = clean_uuid(defined_by, "defined_by")
    role = define_custom_role(name, permissions)
    description = clean_description(description)
    if existing is not None:
        if not existing.defined:
            raise DomainError(
                "role_name_retired",
                f"The role {name!r} was deleted; its name cannot be used again.",
                "name",
            )
        if (existing.permissions, existing.description) == (role.permissions, description):
            return existing, []
        raise DomainError("role_exists", f"A role named {name!r} exists.", "name")
    record = RoleRecord(name, role.permissions, description, defined_by, now)
    return record, [ev.role_defined(name, role.permissions, description, defined_by)]


def delete_role(
    existing: RoleRecord | None, *, name: str, deleted_by: str, now: datetime
) -> RoleDecision:
    """Delete a defined role: it grants nothing from now on."""
    require_aware(now)
    deleted_by = clean_uuid(deleted_by, "deleted_by")
    validate_role_name(name, "name")
    if name in BUILTIN_ROLES:
        raise DomainError(
            "role_name_reserved", f"{name!r} is a built-in role; it cannot be deleted.", "name"
        )
    if existing is None or not existing.defined:
        raise DomainError("role_not_found", f"There is no custom role named {name!r}.", "name")
    return replace(existing, deleted_at=now), [ev.role_deleted(name, deleted_by)]


def require_grantable(existing: RoleRecord | None, name: str) -> CustomRole:
    """The defined role to grant, or ``unknown_role`` on field ``role``."""
    if existing is None or not existing.defined:
        raise DomainError("unknown_role", f"There is no role named {name!r}.", "role")
    return existing.as_custom_role()


def role_view(record: RoleRecord) -> dict[str, Any]:
    """A custom role as the API shows it."""
    deleted = record.deleted_at
    return {
        "name": record.name,
        "permissions": list(record.permissions),
        "description": record.description,
        "builtin": False,
        "defined_by": record.defined_by,
        "created_at": record.created_at.isoformat(),
        "deleted_at": deleted.isoformat() if deleted else None,
    }
