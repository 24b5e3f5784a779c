"""Queries of the users read model (Postgres schema ``users``, written by the users worker)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any, Protocol

from streams.http.paging import Page, encode_cursor
from streams.readmodel_pool import LazyPgPool
from users_svc.api.readmodel_access import AccessQueries, RoleRow, StoredKey
from users_svc.domain.api_keys import ApiKey

_USER_COLUMNS = "id, email, display_name, roles, status, created_at, updated_at, kind"


@dataclass(frozen=True)
class Credentials:
    """A user's login data as the read model holds it."""

    user_id: str
    email_normalized: str
    password_hash: str
    credentials_version: int
    status: str

    @property
    def active(self) -> bool:
        """False once the account is deactivated."""
        return self.status == "active"


@dataclass(frozen=True)
class UserQuery:
    """A page of users: filters, size, and where the previous page ended."""

    limit: int = 50
    after: tuple[str, str] | None = None  # (created_at ISO, id) of the last row seen
    email: str | None = None  # substring of the normalized email
    role: str | None = None
    status: str | None = None
    kind: str | None = None  # user (people) or service (service accounts)


def user_from_row(row: Sequence[Any]) -> dict[str, Any]:
    """The API's user resource from a ``users.users`` row."""
    user_id, email, display_name, roles, status, created_at, updated_at, kind = row
    return {
        "id": str(user_id),
        "kind": kind,
        "email": email,
        "display_name": display_name,
        "roles": sorted(roles or []),
        "status": status,
        "created_at": created_at.isoformat(),
        "updated_at": updated_at.isoformat(),
    }


class ReadModel(Protocol):
    """What the users routes ask of the read model."""

    async def credentials_by_email(self, email_normalized: str) -> Credentials | None:
        """Login data by normalized email."""

    async def credentials_of(self, user_id: str) -> Credentials | None:
        """Login data by user id."""

    async def user(self, user_id: str) -> dict[str, Any] | None:
        """The user resource by id."""

    async def user_by_email(self, email_normalized: str) -> dict[str, Any] | None:
        """The user resource by normalized email."""

    async def users(self, query: UserQuery) -> Page:
        """A page of users."""

    async def api_key(self, key_id: str) -> StoredKey | None:
        """An API key's stored half and its owner, by key id."""

    async def api_keys_of(self, owner_id: str) -> list[ApiKey]:
        """Every key of a service account, oldest first."""

    async def custom_roles(self) -> list[RoleRow]:
        """Every defined custom role, by name."""


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class PgReadModel(LazyPgPool, AccessQueries):
    """The read model over an aiopg pool, opened on first use (Postgres may start later)."""

    async def _credentials(self, column: str, value: str) -> Credentials | None:
        rows = await self._fetch(
            "SELECT user_id, email_normalized, password_hash, credentials_version, status "
            f"FROM users.credentials WHERE {column} = %(v)s",
            {"v": value},
        )
        if not rows:
            return None
        user_id, email, password_hash, version, status = rows[0]
        return Credentials(str(user_id), email, password_hash, int(version), status)

    async def credentials_by_email(self, email_normalized: str) -> Credentials | None:
        """Login data by normalized email."""
        return await self._credentials("email_normalized", email_normalized)

    async def credentials_of(self, user_id: str) -> Credentials | None:
        """Login data by user id."""
        return await self._credentials("user_id", user_id)

    async def _user(self, column: str, value: str) -> dict[str, Any] | None:
        rows = await self._fetch(
            f"SELECT {_USER_COLUMNS} FROM users.users WHERE {column} = %(v)s", {"v": value}
        )
        return user_from_row(rows[0]) if rows else None

    async def user(self, user_id: str) -> dict[str, Any] | None:
        """The user resource by id."""
        return await self._user("id", user_id)

    async def user_by_email(self, email_normalized: str) -> dict[str, Any] | None:
        """The user resource by normalized email."""
        return await self._user("email_normalized", email_normalized)

    async def users(self, query: UserQuery) -> Page:
        """Keyset pagination in (created_at, id) order."""
        where: list[str] = []
        params: dict[str, Any] = {"limit": query.limit + 1}
        if query.after is not None:
            where.append("(created_at, id) > (%(after_at)s::timestamptz, %(after_id)s::uuid)")
            params |= {"after_at": query.after[0], "after_id": query.after[1]}
        if query.email:
            where.append("email_normalized LIKE %(email)s")
            params["email"] = _like(query.email.strip().casefold())
        if query.role:
            where.append("%(role)s = ANY(roles)")
            params["role"] = query.role
        if query.status:
            where.append("status = %(status)s")
            params["status"] = query.status
        if query.kind:
            where.append("kind = %(kind)s")
            params["kind"] = query.kind
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = await self._fetch(
            f"SELECT {_USER_COLUMNS} FROM users.users {clause} "
            "ORDER BY created_at, id LIMIT %(limit)s",
            params,
        )
        items = [user_from_row(row) for row in rows[: query.limit]]
        more = len(rows) > query.limit
        last = rows[query.limit - 1] if more else None
        # In UTC whatever the session's time zone: a cursor with another offset is refused.
        moment = last[5].astimezone(UTC).isoformat() if last is not None else ""
        cursor = encode_cursor(moment, str(last[0])) if last is not None else None
        return Page(items, cursor)
