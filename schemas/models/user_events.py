"""Models of the ``data`` of events on ``user-events``, mirroring schemas/user-events/."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic.json_schema import SkipJsonSchema

from schemas.models.common import (
    Changes,
    ClientIp,
    DisplayText,
    Email,
    EventData,
    Reason,
    Role,
    Sha256Hex,
    StrictBool,
    UniqueRoles,
    UserAgent,
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


class PasswordChanged(EventData):
    """A user's password was changed or reset; every session ended (no hash travels here)."""

    TOPIC: ClassVar[str] = TOPIC
    TYPE: ClassVar[str] = "PasswordChanged"
    VERSION: ClassVar[int] = 1

    user_id: Uuid
    changed_by: Uuid


class LoginSucceeded(EventData):
    """A user signed in: a session (refresh-token family) started."""

    TOPIC: ClassVar[str] = TOPIC
    TYPE: ClassVar[str] = "LoginSucceeded"
    VERSION: ClassVar[int] = 1

    user_id: Uuid
    family_id: Uuid
    client_ip: ClientIp
    user_agent: UserAgent


class LoginFailed(EventData):
    """A sign-in failed; keyed by user id, or ``email:<email_hash>`` for an unknown email."""

    TOPIC: ClassVar[str] = TOPIC
    TYPE: ClassVar[str] = "LoginFailed"
    VERSION: ClassVar[int] = 1

    user_id: Uuid | None
    email_hash: Sha256Hex
    client_ip: ClientIp
    reason: Literal["bad_credentials", "deactivated", "throttled"]


class TokenReuseDetected(EventData):
    """A used refresh token came back: its whole family was revoked."""

    TOPIC: ClassVar[str] = TOPIC
    TYPE: ClassVar[str] = "TokenReuseDetected"
    VERSION: ClassVar[int] = 1

    user_id: Uuid
    family_id: Uuid


class LoggedOut(EventData):
    """A user signed out of one session (family_id) or everywhere (family_id null)."""

    TOPIC: ClassVar[str] = TOPIC
    TYPE: ClassVar[str] = "LoggedOut"
    VERSION: ClassVar[int] = 1

    user_id: Uuid
    family_id: Uuid | None
    everywhere: StrictBool


USER_EVENT_MODELS: tuple[type[EventData], ...] = (
    UserCreated,
    UserUpdated,
    UserDeactivated,
    RoleAssigned,
    RoleRevoked,
    PasswordChanged,
    LoginSucceeded,
    LoginFailed,
    TokenReuseDetected,
    LoggedOut,
)
