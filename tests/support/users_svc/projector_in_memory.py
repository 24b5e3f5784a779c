"""The users projector in memory: the worker's events into a ``FakeReadModel``, as the SQL does.

Each applier mirrors its twin in ``users_svc/worker/projector.py`` / ``projector_access.py``
(the read-model contract suite holds them to the same answers); events are applied once by
id, and each newly applied one is counted under its causationid on the waiter, so an HTTP
route waiting for its command sees it exactly as it would against Postgres.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

import topics
from streams.envelope import Envelope
from tests.support.users_svc.applied_waiter_fake import InMemoryAppliedWaiter
from tests.support.users_svc.fake_users_service import FakeReadModel
from users_svc.api.readmodel import Credentials
from users_svc.api.readmodel_access import RoleRow
from users_svc.domain.api_keys import ApiKey
from users_svc.worker.migrations import SCHEMA

Apply = Callable[[FakeReadModel, dict[str, Any], str], None]


def _user_created(rm: FakeReadModel, d: dict[str, Any], at: str) -> None:
    rm.users_by_id.setdefault(d["user_id"], {
        "id": d["user_id"], "kind": "user", "email": d["email"],
        "display_name": d["display_name"], "roles": sorted(d["roles"]), "status": "active",
        "created_at": at, "updated_at": at,
    })


def _service_account_created(rm: FakeReadModel, d: dict[str, Any], at: str) -> None:
    rm.users_by_id.setdefault(d["user_id"], {
        "id": d["user_id"], "kind": "service", "email": None, "display_name": d["name"],
        "roles": sorted(d["roles"]), "status": "active", "created_at": at, "updated_at": at,
    })


def _touch(rm: FakeReadModel, user_id: str, at: str, **changes: Any) -> None:
    user = rm.users_by_id.get(user_id)
    if user is not None:  # like an UPDATE of no row
        user.update({k: v for k, v in changes.items() if v is not None}, updated_at=at)


def _user_updated(rm: FakeReadModel, d: dict[str, Any], at: str) -> None:
    changes = d["changes"]
    _touch(rm, d["user_id"], at, email=changes.get("email"),
           display_name=changes.get("display_name"))


def _user_deactivated(rm: FakeReadModel, d: dict[str, Any], at: str) -> None:
    _touch(rm, d["user_id"], at, status="deactivated")


def _role_assigned(rm: FakeReadModel, d: dict[str, Any], at: str) -> None:
    user = rm.users_by_id.get(d["user_id"])
    if user is not None:
        _touch(rm, d["user_id"], at, roles=sorted({*user["roles"], d["role"]}))


def _role_revoked(rm: FakeReadModel, d: dict[str, Any], at: str) -> None:
    user = rm.users_by_id.get(d["user_id"])
    if user is not None:
        _touch(rm, d["user_id"], at, roles=[r for r in user["roles"] if r != d["role"]])


def _password_changed(rm: FakeReadModel, d: dict[str, Any], at: str) -> None:
    _touch(rm, d["user_id"], at)


def _role_defined(rm: FakeReadModel, d: dict[str, Any], at: str) -> None:
    rm.roles.setdefault(d["name"], RoleRow(
        d["name"], tuple(d["permissions"]), d["description"], d["defined_by"],
        datetime.fromisoformat(at),
    ))


def _role_deleted(rm: FakeReadModel, d: dict[str, Any], at: str) -> None:
    rm.roles.pop(d["name"], None)


def _credentials_changed(rm: FakeReadModel, d: dict[str, Any], at: str) -> None:
    stored = rm.creds.get(d["user_id"])
    # The compacted topic may be replayed from any point: never step back a version.
    if stored is None or stored.credentials_version <= d["credentials_version"]:
        rm.creds[d["user_id"]] = Credentials(
            d["user_id"], d["email_normalized"], d["password_hash"], d["credentials_version"],
            d["status"],
        )


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _api_key_changed(rm: FakeReadModel, d: dict[str, Any], at: str) -> None:
    stored = rm.keys.get(d["key_id"])
    if stored is None:
        rm.keys[d["key_id"]] = ApiKey(
            d["key_id"], d["user_id"], d["name"], tuple(d["scopes"]), d["secret_hash"],
            datetime.fromisoformat(d["created_at"]), _moment(d["expires_at"]),
            _moment(d["revoked_at"]),
        )
    elif stored.owner_id == d["user_id"] and stored.revoked_at is None:
        # A revocation is never undone.
        rm.keys[d["key_id"]] = replace(stored, revoked_at=_moment(d["revoked_at"]))


APPLIERS_BY_TOPIC: dict[str, dict[str, Apply]] = {
    topics.USER_EVENTS.name: {
        "UserCreated": _user_created,
        "UserUpdated": _user_updated,
        "UserDeactivated": _user_deactivated,
        "RoleAssigned": _role_assigned,
        "RoleRevoked": _role_revoked,
        "PasswordChanged": _password_changed,
        "ServiceAccountCreated": _service_account_created,
        "RoleDefined": _role_defined,
        "RoleDeleted": _role_deleted,
    },
    topics.USER_CREDENTIALS.name: {
        "CredentialsChanged": _credentials_changed,
        "ApiKeyChanged": _api_key_changed,
    },
}


class InMemoryUsersProjector:
    """Applies user-events and user-credentials to ``read_model`` once per event id."""

    def __init__(
        self, read_model: FakeReadModel, waiter: InMemoryAppliedWaiter | None = None
    ) -> None:
        self.read_model = read_model
        self.waiter = waiter or InMemoryAppliedWaiter()
        self.processed: set[str] = set()

    def apply(self, topic: str, envelope: Envelope) -> bool:
        """Apply one event; False when it is not the read model's or was applied before."""
        apply = APPLIERS_BY_TOPIC.get(topic, {}).get(envelope.type)
        if apply is None or envelope.id in self.processed:
            return False
        self.processed.add(envelope.id)
        # As Postgres hands a timestamptz back: an ISO time with its offset.
        at = datetime.fromisoformat(envelope.time).isoformat()
        apply(self.read_model, envelope.data, at)
        self.waiter.record_applied(SCHEMA, [envelope])
        return True
