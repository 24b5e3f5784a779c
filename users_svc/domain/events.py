"""Events the users domain emits; ``data`` matches ``schemas/user-events/<type>/v1.json``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TOPIC = "user-events"
USER_CREATED = "UserCreated"
USER_UPDATED = "UserUpdated"
USER_DEACTIVATED = "UserDeactivated"
ROLE_ASSIGNED = "RoleAssigned"
ROLE_REVOKED = "RoleRevoked"
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class DomainEvent:
    """One event: its type name, the schema version of its data, and the plain-dict data."""

    type: str
    data: dict[str, Any] = field(default_factory=dict)
    version: int = SCHEMA_VERSION

    @property
    def subject(self) -> str:
        """The aggregate id: the CloudEvent subject and the Kafka key."""
        return str(self.data["user_id"])


def user_created(
    user_id: str, email: str, display_name: str, roles: tuple[str, ...], created_by: str | None
) -> DomainEvent:
    """``UserCreated`` (no credentials ever travel in events)."""
    return DomainEvent(
        USER_CREATED,
        {
            "user_id": user_id,
            "email": email,
            "display_name": display_name,
            "roles": list(roles),
            "created_by": created_by,
        },
    )


def user_updated(user_id: str, changes: dict[str, str], updated_by: str) -> DomainEvent:
    """``UserUpdated`` carrying only the fields that changed."""
    return DomainEvent(
        USER_UPDATED, {"user_id": user_id, "changes": dict(changes), "updated_by": updated_by}
    )


def user_deactivated(user_id: str, deactivated_by: str, reason: str) -> DomainEvent:
    """``UserDeactivated``."""
    return DomainEvent(
        USER_DEACTIVATED,
        {"user_id": user_id, "deactivated_by": deactivated_by, "reason": reason},
    )


def role_assigned(user_id: str, role: str, assigned_by: str) -> DomainEvent:
    """``RoleAssigned``."""
    return DomainEvent(
        ROLE_ASSIGNED, {"user_id": user_id, "role": role, "assigned_by": assigned_by}
    )


def role_revoked(user_id: str, role: str, revoked_by: str) -> DomainEvent:
    """``RoleRevoked``."""
    return DomainEvent(
        ROLE_REVOKED, {"user_id": user_id, "role": role, "revoked_by": revoked_by}
    )
