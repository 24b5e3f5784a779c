"""Read-model appliers for machine access and custom roles (used by ``users_svc.worker.projector``).

``users.users`` gets service accounts (kind ``service``, no email); ``users.api_keys`` the
stored half of every key, which the edge looks up by key id when a key is exchanged for a
token; ``users.roles`` the custom roles the edge's permission checks resolve.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any


async def service_account_created(cur: Any, data: dict[str, Any], at: datetime) -> None:
    """A users row of kind service: no email, so it is never found by a sign-in."""
    await cur.execute(
        "INSERT INTO users.users (id, email, email_normalized, display_name, roles, status,"
        " created_at, updated_at, kind) VALUES (%s, NULL, NULL, %s, %s::text[], 'active',"
        " %s, %s, 'service') ON CONFLICT (id) DO NOTHING",
        (data["user_id"], data["name"], sorted(data["roles"]), at, at),
    )


async def api_key_changed(cur: Any, data: dict[str, Any], at: datetime) -> None:
    """Insert the key, or record its revocation; a revocation is never undone."""
    # Key ids are random; on the (edge-avoided) collision with another account's key the
    # first one stays, and the newcomer simply never verifies.
    await cur.execute(
        "INSERT INTO users.api_keys (key_id, owner_id, name, scopes, secret_hash, created_at,"
        " expires_at, revoked_at) VALUES (%s, %s, %s, %s::text[], %s, %s, %s, %s)"
        " ON CONFLICT (key_id) DO UPDATE SET"
        " revoked_at = COALESCE(users.api_keys.revoked_at, EXCLUDED.revoked_at)"
        " WHERE users.api_keys.owner_id = EXCLUDED.owner_id",
        (
            data["key_id"],
            data["user_id"],
            data["name"],
            list(data["scopes"]),
            data["secret_hash"],
            datetime.fromisoformat(data["created_at"]),
            _moment(data["expires_at"]),
            _moment(data["revoked_at"]),
        ),
    )


async def role_defined(cur: Any, data: dict[str, Any], at: datetime) -> None:
    """A custom role the edge's permission checks may now resolve."""
    await cur.execute(
        "INSERT INTO users.roles (name, permissions, description, defined_by, created_at)"
        " VALUES (%s, %s::text[], %s, %s, %s) ON CONFLICT (name) DO NOTHING",
        (data["name"], list(data["permissions"]), data["description"], data["defined_by"], at),
    )


async def role_deleted(cur: Any, data: dict[str, Any], at: datetime) -> None:
    """Gone from the read model: accounts still naming it are granted nothing by it."""
    await cur.execute("DELETE FROM users.roles WHERE name = %s", (data["name"],))


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


USER_EVENT_APPLIERS = {
    "ServiceAccountCreated": service_account_created,
    "RoleDefined": role_defined,
    "RoleDeleted": role_deleted,
}
CREDENTIALS_APPLIERS = {"ApiKeyChanged": api_key_changed}
