"""Read-model queries for machine access: API keys with their owners, and custom roles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from users_svc.domain.api_keys import ApiKey
from users_svc.domain.rbac import CustomRole

_KEY_COLUMNS = (
    "k.key_id, k.owner_id, k.name, k.scopes, k.secret_hash, k.created_at, k.expires_at,"
    " k.revoked_at"
)


@dataclass(frozen=True)
class StoredKey:
    """An API key's stored half, and what the token exchange needs of its owner."""

    record: ApiKey
    owner_kind: str | None  # None while the owner is not in the read model (yet)
    owner_status: str | None
    owner_roles: tuple[str, ...]

    @property
    def owner_active(self) -> bool:
        """True for an active service account: only those exchange keys for tokens."""
        return self.owner_kind == "service" and self.owner_status == "active"


@dataclass(frozen=True)
class RoleRow:
    """A custom role as the read model holds it."""

    name: str
    permissions: tuple[str, ...]
    description: str
    defined_by: str | None
    created_at: datetime

    def as_custom_role(self) -> CustomRole:
        """What RBAC needs of it."""
        return CustomRole(self.name, self.permissions)

    def view(self) -> dict[str, Any]:
        """The API's role resource."""
        return {
            "name": self.name,
            "permissions": list(self.permissions),
            "description": self.description,
            "builtin": False,
            "defined_by": self.defined_by,
            "created_at": self.created_at.isoformat(),
        }


def api_key_of(row: tuple[Any, ...]) -> ApiKey:
    """An ``ApiKey`` from the first eight columns of a ``users.api_keys`` row."""
    key_id, owner_id, name, scopes, secret_hash, created_at, expires_at, revoked_at = row[:8]
    return ApiKey(
        prefix=key_id,
        owner_id=str(owner_id),
        name=name,
        scopes=tuple(scopes),
        secret_hash=secret_hash,
        created_at=created_at,
        expires_at=expires_at,
        revoked_at=revoked_at,
    )


class AccessQueries:
    """The queries ``PgReadModel`` answers for API keys (it provides ``_fetch``)."""

    async def _fetch(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    async def api_key(self, key_id: str) -> StoredKey | None:
        """An API key and its owner's kind, status and roles, by key id."""
        rows = await self._fetch(
            f"SELECT {_KEY_COLUMNS}, u.kind, u.status, u.roles FROM users.api_keys k"
            " LEFT JOIN users.users u ON u.id = k.owner_id WHERE k.key_id = %(id)s",
            {"id": key_id},
        )
        if not rows:
            return None
        kind, status, roles = rows[0][8:]
        return StoredKey(api_key_of(rows[0]), kind, status, tuple(roles or ()))

    async def api_keys_of(self, owner_id: str) -> list[ApiKey]:
        """Every key of a service account, oldest first."""
        rows = await self._fetch(
            f"SELECT {_KEY_COLUMNS} FROM users.api_keys k WHERE k.owner_id = %(owner)s"
            " ORDER BY k.created_at, k.key_id",
            {"owner": owner_id},
        )
        return [api_key_of(row) for row in rows]

    async def custom_roles(self) -> list[RoleRow]:
        """Every defined custom role, by name."""
        rows = await self._fetch(
            "SELECT name, permissions, description, defined_by, created_at FROM users.roles"
            " ORDER BY name",
            {},
        )
        return [
            RoleRow(name, tuple(perms), description, str(by) if by else None, at)
            for name, perms, description, by, at in rows
        ]
