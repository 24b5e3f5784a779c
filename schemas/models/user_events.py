"""Models of the ``data`` of events on ``user-events``, mirroring schemas/user-events/."""

from __future__ import annotations

from typing import ClassVar

from pydantic.json_schema import SkipJsonSchema

from schemas.models.common import (
    Changes,
    DisplayText,
    Email,
    EventData,
    Reason,
    Role,
    UniqueRoles,
    Uuid,
)

TOPIC = "user-events"


class UserCreated(EventData):
    """A user account was created, by an administrator or by self sign-up."""

    TOPIC: ClassVar[str] = TOPIC
    TYPE: ClassVar[str] = "UserCreated"
    VERSION: ClassVar[int] = 1

    user_id: Uuid
    email: Email
    display_name: DisplayText
    roles: UniqueRoles
    # None for self sign-up: nobody else created the account.
    created_by: Uuid | None = None


class UserChanges(Changes):
    """The profile fields an update changed, with their new values."""

    email: Email | SkipJsonSchema[None] = None
    display_name: DisplayText | SkipJsonSchema[None] = None


class UserUpdated(EventData):
    """Some of a user's profile fields changed (roles change through RoleAssigned/Revoked)."""

    TOPIC: ClassVar[str] = TOPIC
    TYPE: ClassVar[str] = "UserUpdated"
    VERSION: ClassVar[int] = 1

    user_id: Uuid
    changes: UserChanges
    updated_by: Uuid


class UserDeactivated(EventData):
    """A user account was deactivated; the user can no longer sign in."""

    TOPIC: ClassVar[str] = TOPIC
    TYPE: ClassVar[str] = "UserDeactivated"
    VERSION: ClassVar[int] = 1

    user_id: Uuid
    deactivated_by: Uuid
    reason: Reason


class RoleAssigned(EventData):
    """A role was granted to a user."""

    TOPIC: ClassVar[str] = TOPIC
    TYPE: ClassVar[str] = "RoleAssigned"
    VERSION: ClassVar[int] = 1

    user_id: Uuid
    role: Role
    assigned_by: Uuid


class RoleRevoked(EventData):
    """A role was taken away from a user."""

    TOPIC: ClassVar[str] = TOPIC
    TYPE: ClassVar[str] = "RoleRevoked"
    VERSION: ClassVar[int] = 1

    user_id: Uuid
    role: Role
    revoked_by: Uuid


USER_EVENT_MODELS: tuple[type[EventData], ...] = (
    UserCreated,
    UserUpdated,
    UserDeactivated,
    RoleAssigned,
    RoleRevoked,
)
