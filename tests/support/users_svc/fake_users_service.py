"""An in-memory users worker and read model answering user commands as the design says."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from streams.commands import Reply, ReplyError
from streams.envelope import Envelope
from streams.http.paging import Page, encode_cursor
from tests.support.users_svc.fake_access_service import BUILTIN, AccessReadModel, AccessService
from users_svc.api.readmodel import Credentials, UserQuery
from users_svc.domain.profile import normalize_email

REFRESH_TTL = timedelta(days=7)


@dataclass
class Family:
    user_id: str
    current: str
    used: set[str] = field(default_factory=set)
    revoked: bool = False
    version: int = 1


class FakeReadModel(AccessReadModel):
    """The read model as dicts; ``unavailable`` makes every query fail."""

    def __init__(self) -> None:
        self.users_by_id: dict[str, dict[str, Any]] = {}
        self.creds: dict[str, Credentials] = {}
        self.unavailable = False
        self.init_access()

    def _check(self) -> None:
        if self.unavailable:
            from streams.readmodel_pool import ReadModelUnavailable

            raise ReadModelUnavailable("down")

    async def credentials_by_email(self, email_normalized: str) -> Credentials | None:
        self._check()
        return next(
            (c for c in self.creds.values() if c.email_normalized == email_normalized), None
        )

    async def credentials_of(self, user_id: str) -> Credentials | None:
        self._check()
        return self.creds.get(user_id)

    async def user(self, user_id: str) -> dict[str, Any] | None:
        self._check()
        user = self.users_by_id.get(user_id)
        return dict(user) if user is not None else None

    async def user_by_email(self, email_normalized: str) -> dict[str, Any] | None:
        self._check()
        found = [u for u in self.users_by_id.values() if _normalized(u) == email_normalized]
        return dict(found[0]) if found else None

    async def users(self, query: UserQuery) -> Page:
        self._check()
        rows = sorted(self.users_by_id.values(), key=lambda u: (u["created_at"], u["id"]))
        if query.after is not None:
            rows = [u for u in rows if (u["created_at"], u["id"]) > query.after]
        if query.email:
            needle = query.email.strip().casefold()
            rows = [u for u in rows if needle in (_normalized(u) or "")]
        if query.role:
            rows = [u for u in rows if query.role in u["roles"]]
        if query.status:
            rows = [u for u in rows if u["status"] == query.status]
        if query.kind:
            rows = [u for u in rows if u["kind"] == query.kind]
        page = rows[: query.limit]
        more = len(rows) > query.limit
        cursor = encode_cursor(page[-1]["created_at"], page[-1]["id"]) if more else None
        return Page([dict(u) for u in page], cursor)


class FakeUsersService(AccessService):
    """Decides user commands (the worker's job) and projects into a ``FakeReadModel``."""

    def __init__(self, read_model: FakeReadModel) -> None:
        self.rm = read_model
        self.emails: dict[str, str] = {}
        self.families: dict[str, Family] = {}
        self.ticks = 0

    def _now(self) -> str:
        self.ticks += 1  # strictly increasing, so creation order is well defined
        return (datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=self.ticks)).isoformat()

    def answer(self, env: Envelope) -> Reply | None:
        handler = getattr(self, f"_{env.type}", None)
        assert handler is not None, f"no fake handler for {env.type}"
        result = handler(env.data)
        if isinstance(result, Reply):
            return replace(result, command_id=env.id, command_type=env.type)
        status, resource = result
        return Reply(env.id, env.type, "succeeded", status, resource)

    @staticmethod
    def _no(status: int, code: str, field: str | None = None) -> Reply:
        return Reply("x", "x", "rejected", status, error=ReplyError(code, code, field))

    def _user(self, user_id: str) -> dict[str, Any] | Reply:
        user = self.rm.users_by_id.get(user_id)
        return user if user is not None else self._no(404, "user_not_found")

    def _touch(self, user: dict[str, Any], **changes: Any) -> tuple[int, dict[str, Any]]:
        user.update(changes, updated_at=self._now())
        creds = self.rm.creds.get(user["id"])
        if creds is not None:  # service accounts have none
            self.rm.creds[user["id"]] = replace(creds, status=user["status"])
        return 200, dict(user)

    def _CreateUser(self, d: dict[str, Any]) -> Any:
        norm = normalize_email(d["email"])
        owner = self.emails.setdefault(norm, d["user_id"])
        if owner != d["user_id"]:
            return self._no(409, "email_taken", "email")
        now = self._now()
        user = {
            "id": d["user_id"],
            "kind": "user",
            "email": d["email"],
            "display_name": d["display_name"],
            "roles": sorted(d["roles"]),
            "status": "active",
            "created_at": now,
            "updated_at": now,
        }
        self.rm.users_by_id.setdefault(d["user_id"], user)
        self.rm.creds.setdefault(
            d["user_id"], Credentials(d["user_id"], norm, d["password_hash"], 1, "active")
        )
        return 201, dict(self.rm.users_by_id[d["user_id"]])

    def _UpdateUser(self, d: dict[str, Any]) -> Any:
        user = self._user(d["user_id"])
        return (
            user if isinstance(user, Reply) else self._touch(user, display_name=d["display_name"])
        )

    def _DeactivateUser(self, d: dict[str, Any]) -> Any:
        user = self._user(d["user_id"])
        if isinstance(user, Reply):
            return user
        for family in self.families.values():
            if family.user_id == d["user_id"]:
                family.revoked = True
        return self._touch(user, status="deactivated")

    def _AssignRole(self, d: dict[str, Any]) -> Any:
        user = self._user(d["user_id"])
        if isinstance(user, Reply):
            return user
        if d["role"] not in BUILTIN and d["role"] not in self.rm.roles:
            return self._no(422, "unknown_role", "role")
        return self._touch(user, roles=sorted({*user["roles"], d["role"]}))

    def _RevokeRole(self, d: dict[str, Any]) -> Any:
        user = self._user(d["user_id"])
        return (
            user
            if isinstance(user, Reply)
            else self._touch(user, roles=[r for r in user["roles"] if r != d["role"]])
        )

    def _ChangePassword(self, d: dict[str, Any]) -> Any:
        creds = self.rm.creds[d["user_id"]]
        version = creds.credentials_version + 1
        self.rm.creds[d["user_id"]] = replace(
            creds, password_hash=d["password_hash"], credentials_version=version
        )
        for family in self.families.values():
            if family.user_id == d["user_id"]:
                family.revoked = True
        return 200, {"user_id": d["user_id"], "credentials_version": version}

    def _session(self, user_id: str, family_id: str) -> tuple[int, dict[str, Any]]:
        expires = (datetime.now(UTC) + REFRESH_TTL).isoformat()
        roles = self.rm.users_by_id[user_id]["roles"]
        return 200, {
            "user_id": user_id,
            "roles": roles,
            "family_id": family_id,
            "refresh_expires_at": expires,
        }

    def _StartSession(self, d: dict[str, Any]) -> Any:
        creds = self.rm.creds.get(d["user_id"])
        if (
            creds is None
            or not creds.active
            or creds.credentials_version != d["credentials_version"]
        ):
            return self._no(401, "invalid_credentials")
        self.families[d["family_id"]] = Family(d["user_id"], d["refresh_token_hash"])
        return 201, self._session(d["user_id"], d["family_id"])[1]

    def _RefreshSession(self, d: dict[str, Any]) -> Any:
        family = self.families.get(d["family_id"])
        if family is None or family.user_id != d["user_id"] or family.revoked:
            return self._no(401, "invalid_refresh_token")
        if d["presented_token_hash"] in family.used:
            family.revoked = True
            return self._no(401, "token_reuse_detected")
        if d["presented_token_hash"] != family.current:
            return self._no(401, "invalid_refresh_token")
        family.used.add(family.current)
        family.current = d["new_token_hash"]
        return self._session(d["user_id"], d["family_id"])

    def _EndSession(self, d: dict[str, Any]) -> Any:
        family = self.families.get(d["family_id"])
        if family is not None and family.user_id == d["user_id"]:
            family.revoked = True
        return 200, {"revoked": [d["family_id"]]}

    def _EndAllSessions(self, d: dict[str, Any]) -> Any:
        ended = [
            fid for fid, f in self.families.items() if f.user_id == d["user_id"] and not f.revoked
        ]
        for fid in ended:
            self.families[fid].revoked = True
        return 200, {"revoked": ended}

    def _RecordLoginFailure(self, d: dict[str, Any]) -> Any:
        return 202, {}


def _normalized(user: dict[str, Any]) -> str | None:
    # Service accounts have no email: no search by email finds them.
    return normalize_email(user["email"]) if user["email"] is not None else None


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
