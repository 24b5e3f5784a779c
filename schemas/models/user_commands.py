"""Models of the ``data`` of commands on ``user-commands``, mirroring schemas/user-commands/.

The edge sends them; the users worker answers each on ``user-replies``. Secrets never
travel: passwords as argon2id hashes, refresh tokens as SHA-256 hex of the whole token.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from schemas.models.common import (
    ClientIp,
    CredentialsVersion,
    DisplayText,
    Email,
    EventData,
    PasswordHash,
    Reason,
    Role,
    Sha256Hex,
    UniqueRoles,
    UserAgent,
    Uuid,
)

TOPIC = "user-commands"


class UserCommand(EventData):
    """Base of the commands on ``user-commands`` (version 1)."""

    TOPIC: ClassVar[str] = TOPIC
    VERSION: ClassVar[int] = 1


class CreateUser(UserCommand):
    """Create an account; keyed ``email:<normalized email>`` (the email claim)."""

    TYPE: ClassVar[str] = "CreateUser"

    user_id: Uuid
    email: Email
    display_name: DisplayText
    password_hash: PasswordHash
    roles: UniqueRoles
    created_by: Uuid | None


class UpdateUser(UserCommand):
    """Change a user's display name."""

    TYPE: ClassVar[str] = "UpdateUser"

    user_id: Uuid
    display_name: DisplayText
    updated_by: Uuid


class DeactivateUser(UserCommand):
    """Deactivate an account and end its sessions."""

    TYPE: ClassVar[str] = "DeactivateUser"

    user_id: Uuid
    reason: Reason
    deactivated_by: Uuid


class AssignRole(UserCommand):
    """Grant a role."""

    TYPE: ClassVar[str] = "AssignRole"

    user_id: Uuid
    role: Role
    assigned_by: Uuid


class RevokeRole(UserCommand):
    """Take a role away."""

    TYPE: ClassVar[str] = "RevokeRole"

    user_id: Uuid
    role: Role
    revoked_by: Uuid


class ChangePassword(UserCommand):
    """Set a new password hash; every session ends."""

    TYPE: ClassVar[str] = "ChangePassword"

    user_id: Uuid
    password_hash: PasswordHash
    changed_by: Uuid


class StartSession(UserCommand):
    """Open a refresh-token family after the edge verified the password."""

    TYPE: ClassVar[str] = "StartSession"

    user_id: Uuid
    family_id: Uuid
    refresh_token_hash: Sha256Hex
    credentials_version: CredentialsVersion
    client_ip: ClientIp
    user_agent: UserAgent


class RefreshSession(UserCommand):
    """Rotate a family's refresh token from the presented hash to the new one."""

    TYPE: ClassVar[str] = "RefreshSession"

    user_id: Uuid
    family_id: Uuid
    presented_token_hash: Sha256Hex
    new_token_hash: Sha256Hex


class EndSession(UserCommand):
    """Revoke one refresh-token family."""

    TYPE: ClassVar[str] = "EndSession"

    user_id: Uuid
    family_id: Uuid
    by: Uuid


class EndAllSessions(UserCommand):
    """Revoke every refresh-token family of the user."""

    TYPE: ClassVar[str] = "EndAllSessions"

    user_id: Uuid
    by: Uuid


class RecordLoginFailure(UserCommand):
    """A failed sign-in; keyed by user id, or ``email:<email_hash>`` for an unknown email."""

    TYPE: ClassVar[str] = "RecordLoginFailure"

    user_id: Uuid | None
    email_hash: Sha256Hex
    client_ip: ClientIp
    reason: Literal["bad_credentials", "deactivated", "throttled"]


USER_COMMAND_MODELS: tuple[type[EventData], ...] = (
    CreateUser,
    UpdateUser,
    DeactivateUser,
    AssignRole,
    RevokeRole,
    ChangePassword,
    StartSession,
    RefreshSession,
    EndSession,
    EndAllSessions,
    RecordLoginFailure,
)
