"""Events the users domain emits; ``data`` matches ``schemas/user-events/<type>/v1.json``.

Each names its aggregate in ``user_id``; a failed sign-in for an email no account has names
none, and its subject is ``email:<email_hash>`` instead. A custom role's events are about the
role aggregate (``role:<name>``), an API key's stored half about ``apikey:<key_id>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TOPIC = "user-events"
USER_CREATED = "UserCreated"
USER_UPDATED = "UserUpdated"
USER_DEACTIVATED = "UserDeactivated"
ROLE_ASSIGNED = "RoleAssigned"
ROLE_REVOKED = "RoleRevoked"
PASSWORD_CHANGED = "PasswordChanged"
LOGIN_SUCCEEDED = "LoginSucceeded"
LOGIN_FAILED = "LoginFailed"
TOKEN_REUSE_DETECTED = "TokenReuseDetected"
LOGGED_OUT = "LoggedOut"
SERVICE_ACCOUNT_CREATED = "ServiceAccountCreated"
API_KEY_ISSUED = "ApiKeyIssued"
API_KEY_REVOKED = "ApiKeyRevoked"
ROLE_DEFINED = "RoleDefined"
ROLE_DELETED = "RoleDeleted"
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class DomainEvent:
    """One event: its type name, the schema version of its data, and the plain-dict data."""

    type: str
    data: dict[str, Any] = field(default_factory=dict)
    version: int = SCHEMA_VERSION
    # The subject, when it is not the user the data names.
    aggregate: str | None = None

    @property
    def subject(self) -> str:
        """The aggregate id: the CloudEvent subject and the Kafka key."""
        if self.aggregate is not None:
            return self.aggregate
        if self.data.get("user_id") is None and "email_hash" in self.data:
            return f"email:{self.data['email_hash']}"
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


def password_changed(user_id: str, changed_by: str) -> DomainEvent:
    """``PasswordChanged`` (neither the password nor its hash)."""
    return DomainEvent(PASSWORD_CHANGED, {"user_id": user_id, "changed_by": changed_by})


def login_succeeded(
    user_id: str, family_id: str, client_ip: str | None, user_agent: str | None
) -> DomainEvent:
    """``LoginSucceeded``: a session (refresh-token family) started."""
    return DomainEvent(
        LOGIN_SUCCEEDED,
        {
            "user_id": user_id,
            "family_id": family_id,
            "client_ip": client_ip,
            "user_agent": user_agent,
        },
    )


def login_failed(
    user_id: str | None, email_hash: str, client_ip: str | None, reason: str
) -> DomainEvent:
    """``LoginFailed`` (``user_id`` None when no account has the email)."""
    return DomainEvent(
        LOGIN_FAILED,
        {"user_id": user_id, "email_hash": email_hash, "client_ip": client_ip, "reason": reason},
    )


def token_reuse_detected(user_id: str, family_id: str) -> DomainEvent:
    """``TokenReuseDetected``: the family is revoked."""
    return DomainEvent(TOKEN_REUSE_DETECTED, {"user_id": user_id, "family_id": family_id})


def logged_out(user_id: str, family_id: str | None) -> DomainEvent:
    """``LoggedOut`` of one family, or everywhere when ``family_id`` is None."""
    return DomainEvent(
        LOGGED_OUT,
        {"user_id": user_id, "family_id": family_id, "everywhere": family_id is None},
    )


def service_account_created(
    user_id: str, name: str, roles: tuple[str, ...], created_by: str
) -> DomainEvent:
    """``ServiceAccountCreated``."""
    return DomainEvent(
        SERVICE_ACCOUNT_CREATED,
        {"user_id": user_id, "name": name, "roles": list(roles), "created_by": created_by},
    )


def api_key_issued(
    user_id: str, key_id: str, name: str, scopes: tuple[str, ...], expires_at: str | None,
    issued_by: str,
) -> DomainEvent:
    """``ApiKeyIssued`` (neither the key nor its hash)."""
    return DomainEvent(
        API_KEY_ISSUED,
        {
            "user_id": user_id,
            "key_id": key_id,
            "name": name,
            "scopes": list(scopes),
            "expires_at": expires_at,
            "issued_by": issued_by,
        },
    )


def api_key_revoked(user_id: str, key_id: str, revoked_by: str) -> DomainEvent:
    """``ApiKeyRevoked``."""
    return DomainEvent(
        API_KEY_REVOKED, {"user_id": user_id, "key_id": key_id, "revoked_by": revoked_by}
    )


def role_defined(
    name: str, permissions: tuple[str, ...], description: str, defined_by: str
) -> DomainEvent:
    """``RoleDefined``, about ``role:<name>``."""
    data = {
        "name": name,
        "permissions": list(permissions),
        "description": description,
        "defined_by": defined_by,
    }
    return DomainEvent(ROLE_DEFINED, data, aggregate=f"role:{name}")


def role_deleted(name: str, deleted_by: str) -> DomainEvent:
    """``RoleDeleted``, about ``role:<name>``."""
    return DomainEvent(
        ROLE_DELETED, {"name": name, "deleted_by": deleted_by}, aggregate=f"role:{name}"
    )
