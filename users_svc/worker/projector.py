"""The users read model: user-events and user-credentials → ``users.users``/``users.credentials``.

Idempotent by event id: each event's id goes into ``users.processed_events`` in the same
transaction as its row change, and an id already there is skipped, so a redelivered or
replayed event changes nothing twice. The same transaction counts each newly applied event
under its causationid (``users.applied_commands``), which the edge's command routes wait on.
Rows take their times from the events, which the command handlers dated with the moment
their state records. ``READ_MODEL_APPLIES`` (topic -> event types) is derived from the
applier tables: the worker wires its consumers with them, the routes wait on it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

import aiopg

import topics
from streams.context import HandlerContext
from streams.readmodel_applied import record_applied
from streams.readmodel_pool import ProjectorPool
from users_svc.domain.profile import normalize_email
from users_svc.worker import projector_access as access
from users_svc.worker.migrations import SCHEMA, migrate

ApplyToReadModel = Callable[[Any, dict[str, Any], datetime], Awaitable[None]]

log = logging.getLogger("users_svc.worker.projector")


async def _user_created(cur: Any, data: dict[str, Any], at: datetime) -> None:
    await cur.execute(
        "INSERT INTO users.users (id, email, email_normalized, display_name, roles, status,"
        " created_at, updated_at) VALUES (%s, %s, %s, %s, %s::text[], 'active', %s, %s)"
        " ON CONFLICT (id) DO NOTHING",
        (
            data["user_id"],
            data["email"],
            normalize_email(data["email"]),
            data["display_name"],
            sorted(data["roles"]),
            at,
            at,
        ),
    )


async def _user_updated(cur: Any, data: dict[str, Any], at: datetime) -> None:
    changes = data["changes"]
    email = changes.get("email")
    await cur.execute(
        "UPDATE users.users SET email = COALESCE(%s, email),"
        " email_normalized = COALESCE(%s, email_normalized),"
        " display_name = COALESCE(%s, display_name), updated_at = %s WHERE id = %s",
        (
            email,
            normalize_email(email) if email is not None else None,
            changes.get("display_name"),
            at,
            data["user_id"],
        ),
    )


async def _user_deactivated(cur: Any, data: dict[str, Any], at: datetime) -> None:
    await cur.execute(
        "UPDATE users.users SET status = 'deactivated', updated_at = %s WHERE id = %s",
        (at, data["user_id"]),
    )


async def _role_assigned(cur: Any, data: dict[str, Any], at: datetime) -> None:
    await cur.execute(
        "UPDATE users.users SET roles = ARRAY(SELECT DISTINCT r FROM"
        " unnest(array_append(roles, %s::text)) AS r ORDER BY r), updated_at = %s WHERE id = %s",
        (data["role"], at, data["user_id"]),
    )


async def _role_revoked(cur: Any, data: dict[str, Any], at: datetime) -> None:
    await cur.execute(
        "UPDATE users.users SET roles = array_remove(roles, %s::text), updated_at = %s"
        " WHERE id = %s",
        (data["role"], at, data["user_id"]),
    )


async def _password_changed(cur: Any, data: dict[str, Any], at: datetime) -> None:
    await cur.execute("UPDATE users.users SET updated_at = %s WHERE id = %s", (at, data["user_id"]))


async def _credentials_changed(cur: Any, data: dict[str, Any], at: datetime) -> None:
    # The compacted topic may be replayed from any point: never step back a version.
    await cur.execute(
        "INSERT INTO users.credentials (user_id, email_normalized, password_hash,"
        " credentials_version, status) VALUES (%s, %s, %s, %s, %s)"
        " ON CONFLICT (user_id) DO UPDATE SET email_normalized = EXCLUDED.email_normalized,"
        " password_hash = EXCLUDED.password_hash,"
        " credentials_version = EXCLUDED.credentials_version, status = EXCLUDED.status"
        " WHERE users.credentials.credentials_version <= EXCLUDED.credentials_version",
        (
            data["user_id"],
            data["email_normalized"],
            data["password_hash"],
            data["credentials_version"],
            data["status"],
        ),
    )


# Events that change a row; the others (sign-ins, sign-outs...) leave the read model alone.
USER_EVENT_APPLIERS: dict[str, ApplyToReadModel] = {
    "UserCreated": _user_created,
    "UserUpdated": _user_updated,
    "UserDeactivated": _user_deactivated,
    "RoleAssigned": _role_assigned,
    "RoleRevoked": _role_revoked,
    "PasswordChanged": _password_changed,
    **access.USER_EVENT_APPLIERS,
}
CREDENTIALS_APPLIERS: dict[str, ApplyToReadModel] = {
    "CredentialsChanged": _credentials_changed,
    **access.CREDENTIALS_APPLIERS,
}
APPLIERS_BY_TOPIC: dict[str, dict[str, ApplyToReadModel]] = {
    topics.USER_EVENTS.name: USER_EVENT_APPLIERS,
    topics.USER_CREDENTIALS.name: CREDENTIALS_APPLIERS,
}
# What the read model applies, per topic: what a command route waits for.
READ_MODEL_APPLIES: Mapping[str, frozenset[str]] = {
    topic: frozenset(appliers) for topic, appliers in APPLIERS_BY_TOPIC.items()
}


class UsersProjector(ProjectorPool):
    """Applies events to the read model through one aiopg pool, opened (and migrated) once."""

    read_model = "users read model"

    async def migrate(self, pool: aiopg.Pool) -> None:
        """The users schema."""
        await migrate(pool)

    async def project(self, ctx: HandlerContext) -> None:
        """Kernel handler: apply the event once (a duplicate id is skipped), count it applied."""
        apply = APPLIERS_BY_TOPIC.get(ctx.record.topic, {}).get(ctx.envelope.type)
        if apply is None:
            return
        await self.start()
        at = datetime.fromisoformat(ctx.envelope.time)
        async with self._pool.acquire() as conn, conn.cursor() as cur, cur.begin():
            await cur.execute(
                "INSERT INTO users.processed_events (event_id, topic) VALUES (%s, %s)"
                " ON CONFLICT (event_id) DO NOTHING",
                (ctx.envelope.id, ctx.record.topic),
            )
            if cur.rowcount == 0:
                log.info("event already projected", extra={"event_id": ctx.envelope.id})
                return
            await apply(cur, ctx.data, at)
            await record_applied(cur, SCHEMA, [ctx.envelope])
