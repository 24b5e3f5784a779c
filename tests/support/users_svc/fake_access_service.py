"""The in-memory users worker and read model, machine-access part: service accounts, keys, roles."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from streams.commands import Reply, ReplyError
from streams.readmodel_pool import ReadModelUnavailable
from users_svc.api.readmodel_access import RoleRow, StoredKey
from users_svc.domain.api_keys import ApiKey
from users_svc.domain.service_accounts import key_view

BUILTIN = ("admin", "operator", "member", "viewer")


def _no(status: int, code: str, field: str | None = None) -> Reply:
    return Reply("x", "x", "rejected", status, error=ReplyError(code, code, field))


class AccessReadModel:
    """Mixed into FakeReadModel: API keys and custom roles as dicts."""

    users_by_id: dict[str, dict[str, Any]]
    unavailable: bool

    def init_access(self) -> None:
        self.keys: dict[str, ApiKey] = {}
        self.roles: dict[str, RoleRow] = {}
        self.role_loads = 0

    async def api_key(self, key_id: str) -> StoredKey | None:
        if self.unavailable:
            raise ReadModelUnavailable("down")
        key = self.keys.get(key_id)
        if key is None:
            return None
        owner = self.users_by_id.get(key.owner_id)
        if owner is None:
            return StoredKey(key, None, None, ())
        return StoredKey(key, owner["kind"], owner["status"], tuple(owner["roles"]))

    async def api_keys_of(self, owner_id: str) -> list[ApiKey]:
        return sorted(
            (k for k in self.keys.values() if k.owner_id == owner_id),
            key=lambda k: (k.created_at, k.prefix),
        )

    async def custom_roles(self) -> list[RoleRow]:
        self.role_loads += 1
        if self.unavailable:
            raise ReadModelUnavailable("down")
        return [self.roles[name] for name in sorted(self.roles)]


class AccessService:
    """Mixed into FakeUsersService: decides the machine-access and custom-role commands."""

    rm: Any

    def _now(self) -> str:
        raise NotImplementedError

    def _CreateServiceAccount(self, d: dict[str, Any]) -> Any:
        now = self._now()
        account = {
            "id": d["user_id"],
            "kind": "service",
            "email": None,
            "display_name": d["name"],
            "roles": sorted(d["roles"]),
            "status": "active",
            "created_at": now,
            "updated_at": now,
        }
        self.rm.users_by_id.setdefault(d["user_id"], account)
        return 201, dict(self.rm.users_by_id[d["user_id"]])

    def _IssueApiKey(self, d: dict[str, Any]) -> Any:
        owner = self.rm.users_by_id.get(d["user_id"])
        if owner is None:
            return _no(404, "user_not_found")
        if owner["kind"] != "service":
            return _no(422, "not_a_service_account", "user_id")
        expires = datetime.fromisoformat(d["expires_at"]) if d["expires_at"] else None
        key = ApiKey(
            d["key_id"],
            d["user_id"],
            d["name"],
            tuple(d["scopes"]),
            d["secret_hash"],
            datetime.now(UTC),
            expires,
        )
        self.rm.keys[key.prefix] = key
        return 201, key_view(key, datetime.now(UTC))

    def _RevokeApiKey(self, d: dict[str, Any]) -> Any:
        key = self.rm.keys.get(d["key_id"])
        if key is None or key.owner_id != d["user_id"]:
            return _no(404, "api_key_not_found", "key_id")
        if key.revoked_at is None:
            key = self.rm.keys[key.prefix] = replace(key, revoked_at=datetime.now(UTC))
        return 200, key_view(key, datetime.now(UTC))

    def _DefineRole(self, d: dict[str, Any]) -> Any:
        if d["name"] in BUILTIN:
            return _no(422, "role_name_reserved", "name")
        if d["name"] in self.rm.roles:
            return _no(409, "role_exists", "name")
        row = RoleRow(
            d["name"],
            tuple(sorted(d["permissions"])),
            d["description"],
            d["defined_by"],
            datetime.now(UTC),
        )
        self.rm.roles[row.name] = row
        return 201, row.view()

    def _DeleteRole(self, d: dict[str, Any]) -> Any:
        row = self.rm.roles.pop(d["name"], None)
        if row is None:
            return _no(404, "role_not_found", "name")
        return 200, {**row.view(), "deleted_at": datetime.now(UTC).isoformat()}
