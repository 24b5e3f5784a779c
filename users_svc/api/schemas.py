"""JSON Schemas (2020-12) of the users routes' request bodies, published in /openapi.json."""

from __future__ import annotations

from typing import Any

UUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
ROLE_PATTERN = "^[a-z][a-z0-9_-]{0,63}$"
_EMAIL = {"type": "string", "minLength": 3, "maxLength": 254, "description": "Email address."}
# Only a bound here: the password policy answers with its own codes, field by field.
_PASSWORD = {"type": "string", "minLength": 1, "maxLength": 1024}
_DISPLAY_NAME = {"type": "string", "minLength": 1, "maxLength": 100}
_ROLE = {"type": "string", "pattern": ROLE_PATTERN, "description": "A role name, e.g. operator."}


def _object(title: str, description: str, properties: dict[str, Any], *required: str) -> Any:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        "description": description,
        "type": "object",
        "required": list(required),
        "additionalProperties": False,
        "properties": properties,
    }


LOGIN = _object(
    "LoginRequest",
    "Sign in with email and password.",
    {"email": _EMAIL, "password": _PASSWORD},
    "email",
    "password",
)
REFRESH = _object(
    "RefreshRequest",
    "Exchange a refresh token for a new access and refresh token.",
    {"refresh_token": {"type": "string", "minLength": 1, "maxLength": 512}},
    "refresh_token",
)
CREATE_USER = _object(
    "CreateUserRequest",
    "A new account; roles default to member.",
    {
        "email": _EMAIL,
        "password": _PASSWORD,
        "display_name": _DISPLAY_NAME,
        "roles": {"type": "array", "items": _ROLE, "maxItems": 32, "uniqueItems": True},
    },
    "email",
    "password",
    "display_name",
)
SIGNUP = _object(
    "SignupRequest",
    "Your own new account (role member).",
    {"email": _EMAIL, "password": _PASSWORD, "display_name": _DISPLAY_NAME},
    "email",
    "password",
    "display_name",
)
UPDATE_USER = _object(
    "UpdateUserRequest", "Profile changes.", {"display_name": _DISPLAY_NAME}, "display_name"
)
DEACTIVATE_USER = _object(
    "DeactivateUserRequest",
    "Why the account is deactivated (kept in the audit trail).",
    {"reason": {"type": "string", "minLength": 1, "maxLength": 500}},
    "reason",
)
ASSIGN_ROLE = _object("AssignRoleRequest", "The role to grant.", {"role": _ROLE}, "role")
CHANGE_PASSWORD = _object(
    "ChangePasswordRequest",
    "The current password and the new one.",
    {"current_password": _PASSWORD, "new_password": _PASSWORD},
    "current_password",
    "new_password",
)
AUTHZ_CHECK = _object(
    "AuthzCheckRequest",
    "May this user (default: the caller) do action on resource?",
    {
        "user_id": {"type": "string", "pattern": UUID_PATTERN},
        "resource": {"type": "string", "pattern": "^[a-z][a-z_-]{0,63}$"},
        "action": {"type": "string", "pattern": "^[a-z][a-z_-]{0,63}$"},
        "owns": {"type": "boolean", "description": "The user owns the resource instance."},
    },
    "resource",
    "action",
)

_PERMISSION = {
    "type": "string",
    "pattern": "^([*]|[a-z][a-z_]{0,31}):([*]|[a-z][a-z_]{0,31})$",
    "description": "resource:action, either side may be *, e.g. agents:read or tasks:*.",
}
CREATE_SERVICE_ACCOUNT = _object(
    "CreateServiceAccountRequest",
    "A principal for machines: roles, no password; it authenticates with API keys.",
    {
        "name": _DISPLAY_NAME,
        "roles": {"type": "array", "items": _ROLE, "maxItems": 32, "uniqueItems": True},
    },
    "name",
)
ISSUE_API_KEY = _object(
    "IssueApiKeyRequest",
    "A new API key: what it is for, what its tokens may do, and optionally when it expires.",
    {
        "name": _DISPLAY_NAME,
        "scopes": {
            "type": "array",
            "items": _PERMISSION,
            "minItems": 1,
            "maxItems": 64,
            "uniqueItems": True,
        },
        "expires_at": {
            "type": ["string", "null"],
            "format": "date-time",
            "description": "RFC 3339, with a time zone; absent or null: never.",
        },
    },
    "name",
    "scopes",
)
TOKEN_REQUEST = _object(
    "TokenRequest",
    "An API key to exchange for an access token (or send `Authorization: ApiKey <key>`).",
    {"api_key": {"type": "string", "minLength": 1, "maxLength": 256}},
    "api_key",
)
DEFINE_ROLE = _object(
    "DefineRoleRequest",
    "A custom role: its name and the permissions it grants.",
    {
        "name": {**_ROLE, "description": "The role's name; not a built-in role's."},
        "permissions": {
            "type": "array",
            "items": _PERMISSION,
            "minItems": 1,
            "maxItems": 64,
            "uniqueItems": True,
        },
        "description": {"type": "string", "maxLength": 500},
    },
    "name",
    "permissions",
)
