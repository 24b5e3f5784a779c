"""Models of the users context's internal topics: user-registrations and user-credentials.

Only the users worker writes and reads these; they carry password hashes, which the
public ``user-events`` never do.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from schemas.models.common import (
    EMAIL_PATTERN,
    CredentialsVersion,
    DisplayText,
    Email,
    EventData,
    NonEmpty,
    PasswordHash,
    UniqueRoles,
    Uuid,
)


class UserRegistration(EventData):
    """CreateUser's second step: the email is claimed for user_id; create the user."""

    TOPIC: ClassVar[str] = "user-registrations"
    TYPE: ClassVar[str] = "UserRegistration"
    VERSION: ClassVar[int] = 1

    command_id: NonEmpty
    command_type: Literal["CreateUser"]
    user_id: Uuid
    email: Email
    display_name: DisplayText
    password_hash: PasswordHash
    roles: UniqueRoles
    created_by: Uuid | None


class CredentialsChanged(EventData):
    """A user's sign-in credentials as they now stand (compacted, one per user)."""

    TOPIC: ClassVar[str] = "user-credentials"
    TYPE: ClassVar[str] = "CredentialsChanged"
    VERSION: ClassVar[int] = 1

    user_id: Uuid
    email_normalized: Annotated[str, Field(pattern=EMAIL_PATTERN)]
    password_hash: PasswordHash
    credentials_version: CredentialsVersion
    status: Literal["active", "deactivated"]


USER_INTERNAL_MODELS: tuple[type[EventData], ...] = (UserRegistration, CredentialsChanged)
