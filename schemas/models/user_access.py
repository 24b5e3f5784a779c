"""Models of machine access and custom roles in the users context: service accounts, API keys.

Commands on ``user-commands`` (sent by the edge), facts on ``user-events`` (no secrets), a
custom role's grant on ``user-registrations`` and a key's stored half on ``user-credentials``
(internal: it carries the SHA-256 of the key's secret, never the key).
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from schemas.models.common import (
    ApiKeyId,
    CustomRole,
    DisplayText,
    EventData,
    NonEmpty,
    Permissions,
    Sha256Hex,
    Timestamp,
    UniqueRoles,
    Uuid,
)

COMMANDS, EVENTS = "user-commands", "user-events"
RoleDescription = Annotated[str, Field(max_length=500)]


class CreateServiceAccount(EventData):
    """Create a service account: a principal for machines, with roles and no password."""

    TOPIC: ClassVar[str] = COMMANDS
    TYPE: ClassVar[str] = "CreateServiceAccount"
    VERSION: ClassVar[int] = 1

    user_id: Uuid
    name: DisplayText
    roles: UniqueRoles
    created_by: Uuid


class IssueApiKey(EventData):
    """Store a new API key of a service account (the edge minted it; only its hash travels)."""

    TOPIC: ClassVar[str] = COMMANDS
    TYPE: ClassVar[str] = "IssueApiKey"
    VERSION: ClassVar[int] = 1

    user_id: Uuid
    key_id: ApiKeyId
    name: DisplayText
    scopes: Permissions
    secret_hash: Sha256Hex
    expires_at: Timestamp | None
    issued_by: Uuid


class RevokeApiKey(EventData):
    """Revoke an API key: it can no longer be exchanged, its tokens stop working."""

    TOPIC: ClassVar[str] = COMMANDS
    TYPE: ClassVar[str] = "RevokeApiKey"
    VERSION: ClassVar[int] = 1

    user_id: Uuid
    key_id: ApiKeyId
    revoked_by: Uuid


class DefineRole(EventData):
    """Define a custom role; keyed ``role:<name>`` (the role aggregate)."""

    TOPIC: ClassVar[str] = COMMANDS
    TYPE: ClassVar[str] = "DefineRole"
    VERSION: ClassVar[int] = 1

    name: CustomRole
    permissions: Permissions
    description: RoleDescription
    defined_by: Uuid


class DeleteRole(EventData):
    """Delete a custom role; keyed ``role:<name>``."""

    TOPIC: ClassVar[str] = COMMANDS
    TYPE: ClassVar[str] = "DeleteRole"
    VERSION: ClassVar[int] = 1

    name: CustomRole
    deleted_by: Uuid


class ServiceAccountCreated(EventData):
    """A service account was created."""

    TOPIC: ClassVar[str] = EVENTS
    TYPE: ClassVar[str] = "ServiceAccountCreated"
    VERSION: ClassVar[int] = 1

    user_id: Uuid
    name: DisplayText
    roles: UniqueRoles
    created_by: Uuid


class ApiKeyIssued(EventData):
    """An API key was issued to a service account (the key itself is never published)."""

    TOPIC: ClassVar[str] = EVENTS
    TYPE: ClassVar[str] = "ApiKeyIssued"
    VERSION: ClassVar[int] = 1

    user_id: Uuid
    key_id: ApiKeyId
    name: DisplayText
    scopes: Permissions
    expires_at: Timestamp | None
    issued_by: Uuid


class ApiKeyRevoked(EventData):
    """An API key was revoked."""

    TOPIC: ClassVar[str] = EVENTS
    TYPE: ClassVar[str] = "ApiKeyRevoked"
    VERSION: ClassVar[int] = 1

    user_id: Uuid
    key_id: ApiKeyId
    revoked_by: Uuid


class RoleDefined(EventData):
    """A custom role was defined; subject ``role:<name>``."""

    TOPIC: ClassVar[str] = EVENTS
    TYPE: ClassVar[str] = "RoleDefined"
    VERSION: ClassVar[int] = 1

    name: CustomRole
    permissions: Permissions
    description: RoleDescription
    defined_by: Uuid


class RoleDeleted(EventData):
    """A custom role was deleted; it grants nothing any more; subject ``role:<name>``."""

    TOPIC: ClassVar[str] = EVENTS
    TYPE: ClassVar[str] = "RoleDeleted"
    VERSION: ClassVar[int] = 1

    name: CustomRole
    deleted_by: Uuid


class CustomRoleGrant(EventData):
    """AssignRole's second step: the role aggregate found the role defined; grant it."""

    TOPIC: ClassVar[str] = "user-registrations"
    TYPE: ClassVar[str] = "CustomRoleGrant"
    VERSION: ClassVar[int] = 1

    command_id: NonEmpty
    command_type: Literal["AssignRole"]
    user_id: Uuid
    role: CustomRole
    permissions: Permissions
    assigned_by: Uuid


class ApiKeyChanged(EventData):
    """An API key's stored half as it now stands (compacted per key: ``apikey:<key_id>``)."""

    TOPIC: ClassVar[str] = "user-credentials"
    TYPE: ClassVar[str] = "ApiKeyChanged"
    VERSION: ClassVar[int] = 1

    key_id: ApiKeyId
    user_id: Uuid
    name: DisplayText
    scopes: Permissions
    secret_hash: Sha256Hex
    created_at: Timestamp
    expires_at: Timestamp | None
    revoked_at: Timestamp | None


USER_ACCESS_MODELS: tuple[type[EventData], ...] = (
    CreateServiceAccount,
    IssueApiKey,
    RevokeApiKey,
    DefineRole,
    DeleteRole,
    ServiceAccountCreated,
    ApiKeyIssued,
    ApiKeyRevoked,
    RoleDefined,
    RoleDeleted,
    CustomRoleGrant,
    ApiKeyChanged,
)
