"""One contract for the users read model's queries, held by the in-memory fake and Postgres.

The same events, decided by the real users domain (the in-memory worker), fill each side:
the in-memory projector the HTTP unit tests use into ``FakeReadModel``, and the real
projector into Postgres read through ``PgReadModel``. Every query then gives the same
answers on both, and both count the applied events per causationid alike (what command
routes wait on), replays included.
"""

from __future__ import annotations

import secrets
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import aiopg
import pytest

import topics
from streams.envelope import Envelope, encode
from streams.http.paging import decode_cursor
from streams.pipeline import EventPipeline
from streams.records import Headers, Record
from streams.registry import default_registry
from tests.support.users_svc.fake_users_service import FakeReadModel
from tests.support.users_svc.projector_in_memory import APPLIERS_BY_TOPIC, InMemoryUsersProjector
from tests.support.users_svc.worker_in_memory import ADMIN, OTHER_HASH, UsersWorld
from tests.support.users_svc.worker_process import ensure_read_model
from users_svc.api.readmodel import PgReadModel, ReadModel, UserQuery
from users_svc.domain.roles import role_key
from users_svc.worker.projector import READ_MODEL_APPLIES, UsersProjector

pytestmark = pytest.mark.integration
PROJECTED = (topics.USER_EVENTS.name, topics.USER_CREDENTIALS.name)


class FilledSide(Protocol):
    """A read model and the projector that fills it."""

    @property
    def read_model(self) -> ReadModel: ...

    async def apply(self, topic: str, envelope: Envelope) -> None: ...

    async def applied(self, causationid: str) -> int: ...


class MemorySide:
    def __init__(self) -> None:
        self.read_model = FakeReadModel()
        self.projector = InMemoryUsersProjector(self.read_model)

    async def apply(self, topic: str, envelope: Envelope) -> None:
        self.projector.apply(topic, envelope)

    async def applied(self, causationid: str) -> int:
        return self.projector.waiter.applied("users", causationid)


class _Nowhere:
    async def send(self, topic: str, key: bytes | None, value: bytes, headers: Headers) -> None:
        raise AssertionError(f"the projector produced to {topic}")


class PostgresSide:
    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.projector = UsersProjector(database_url)
        self.read_model = PgReadModel(database_url)
        self.pipelines = {
            spec.name: EventPipeline(
                service=topics.USERS_SERVICE,
                topic=spec,
                handlers=dict.fromkeys(READ_MODEL_APPLIES[spec.name], self.projector.project),
                registry=default_registry(),
                sender=_Nowhere(),
            )
            for spec in (topics.USER_EVENTS, topics.USER_CREDENTIALS)
        }

    async def apply(self, topic: str, envelope: Envelope) -> None:
        record = Record(topic, 0, 0, envelope.subject.encode(), encode(envelope), [])
        await self.pipelines[topic].process(record)

    async def applied(self, causationid: str) -> int:
        async with await aiopg.connect(self.database_url) as conn, conn.cursor() as cur:
            await cur.execute(
                "SELECT events FROM users.applied_commands WHERE command_id = %s", (causationid,)
            )
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def close(self) -> None:
        await self.read_model.close()
        await self.projector.stop()


@pytest.fixture(params=["memory", "postgres"])
async def side(request: pytest.FixtureRequest) -> AsyncIterator[FilledSide]:
    if request.param == "memory":
        yield MemorySide()
        return
    database_url: str = request.getfixturevalue("database_url")
    await ensure_read_model(database_url)
    postgres = PostgresSide(database_url)
    try:
        yield postgres
    finally:
        await postgres.close()


@dataclass
class Story:
    """What the real domain decided, with the ids the queries look for."""

    domain: str
    ada: str
    bob: str
    carol: str
    machine: str
    key: str
    revoked_key: str
    role: str
    deleted_role: str
    events: list[tuple[str, Envelope]]


async def _story() -> Story:
    world, domain = UsersWorld(), f"contract-{uuid.uuid4().hex[:10]}.test"
    ids: dict[str, str] = {}
    for name, roles in (("Ada", ["admin"]), ("bob_1", ["member", "operator"]), ("carol", [])):
        world.clock.advance(seconds=1)
        _, ids[name] = await world.create_user(f"{name}@{domain}", roles=roles or ["member"])
    ada, bob, carol = ids["Ada"], ids["bob_1"], ids["carol"]
    world.clock.advance(seconds=1)
    renamed = {"user_id": bob, "display_name": "Bob", "updated_by": ADMIN}
    await world.send("UpdateUser", bob, renamed)
    await world.send("AssignRole", ada, {"user_id": ada, "role": "viewer", "assigned_by": ADMIN})
    await world.send("RevokeRole", ada, {"user_id": ada, "role": "viewer", "revoked_by": ADMIN})
    await world.send(
        "DeactivateUser", carol, {"user_id": carol, "reason": "left", "deactivated_by": ADMIN}
    )
    await world.send(
        "ChangePassword", bob, {"user_id": bob, "password_hash": OTHER_HASH, "changed_by": bob}
    )
    machine = str(uuid.uuid4())
    await world.send("CreateServiceAccount", machine, {
        "user_id": machine, "name": "ingest", "roles": ["member"], "created_by": ADMIN,
    })
    key, revoked_key = secrets.token_hex(4), secrets.token_hex(4)
    for key_id in (key, revoked_key):
        world.clock.advance(seconds=1)
        await world.send("IssueApiKey", machine, {
            "user_id": machine, "key_id": key_id, "name": f"host {key_id}",
            "scopes": ["agents:read"], "secret_hash": "ab" * 32, "expires_at": None,
            "issued_by": ADMIN,
        })
    await world.send(
        "RevokeApiKey", machine, {"user_id": machine, "key_id": revoked_key, "revoked_by": ADMIN}
    )
    role, deleted_role = f"c{uuid.uuid4().hex[:12]}", f"d{uuid.uuid4().hex[:12]}"
    for name in (role, deleted_role):
        await world.send("DefineRole", role_key(name), {
            "name": name, "permissions": ["users:read", "agents:*"], "description": "Reads",
            "defined_by": ADMIN,
        })
    deleted = {"name": deleted_role, "deleted_by": ADMIN}
    await world.send("DeleteRole", role_key(deleted_role), deleted)
    events = [(s.topic, s.envelope) for s in world.sender.sent if s.topic in PROJECTED]
    return Story(domain, ada, bob, carol, machine, key, revoked_key, role, deleted_role, events)


def _at(story: Story, type_name: str, user_id: str) -> str:
    """When the last event of that type for that user happened, as the read model shows it."""
    times = [e.time for _, e in story.events if e.type == type_name and e.subject == user_id]
    return datetime.fromisoformat(times[-1]).isoformat()


async def _filled(side: FilledSide) -> Story:
    story = await _story()
    for topic, envelope in [*story.events, *story.events]:  # the second pass is a replay
        await side.apply(topic, envelope)
    return story


def test_both_projectors_apply_the_same_event_types() -> None:
    assert {t: frozenset(a) for t, a in APPLIERS_BY_TOPIC.items()} == dict(READ_MODEL_APPLIES)


async def test_applied_events_are_counted_once_per_causationid(side: FilledSide) -> None:
    story = await _filled(side)
    expected = Counter(
        e.causationid for topic, e in story.events if e.type in READ_MODEL_APPLIES[topic]
    )
    assert len(expected) >= 10
    assert {c: await side.applied(c) for c in expected if c} == expected


async def test_credentials_by_email_and_by_id(side: FilledSide) -> None:
    story, rm = await _filled(side), side.read_model
    ada = await rm.credentials_by_email(f"ada@{story.domain}")
    assert ada is not None and ada.user_id == story.ada and ada.active
    assert ada.credentials_version == 1
    bob = await rm.credentials_of(story.bob)
    assert bob is not None and bob.credentials_version == 2 and bob.password_hash == OTHER_HASH
    carol = await rm.credentials_of(story.carol)
    assert carol is not None and carol.status == "deactivated" and not carol.active
    assert await rm.credentials_of(story.machine) is None
    assert await rm.credentials_by_email(f"nobody@{story.domain}") is None


async def test_users_by_id_and_email(side: FilledSide) -> None:
    story, rm = await _filled(side), side.read_model
    ada = await rm.user(story.ada)
    created = _at(story, "UserCreated", story.ada)
    assert ada == {
        "id": story.ada, "kind": "user", "email": f"Ada@{story.domain}",
        "display_name": "Ada Lovelace", "roles": ["admin"], "status": "active",
        "created_at": created, "updated_at": _at(story, "RoleRevoked", story.ada),
    }
    bob = await rm.user_by_email(f"bob_1@{story.domain}")
    assert bob is not None and bob["display_name"] == "Bob" and bob["id"] == story.bob
    assert bob["roles"] == ["member", "operator"]
    assert bob["updated_at"] == _at(story, "PasswordChanged", story.bob)
    carol = await rm.user(story.carol)
    assert carol is not None and carol["status"] == "deactivated"
    machine = await rm.user(story.machine)
    assert machine is not None and machine["kind"] == "service" and machine["email"] is None
    assert machine["display_name"] == "ingest" and machine["roles"] == ["member"]
    assert await rm.user(str(uuid.uuid4())) is None
    assert await rm.user_by_email(f"nobody@{story.domain}") is None


async def test_pages_filters_and_cursors(side: FilledSide) -> None:
    story, rm = await _filled(side), side.read_model
    everyone = await rm.users(UserQuery(email=story.domain))
    assert [u["id"] for u in everyone.items] == [story.ada, story.bob, story.carol]
    assert everyone.next_cursor is None
    first = await rm.users(UserQuery(limit=2, email=story.domain.upper()))
    assert [u["id"] for u in first.items] == [story.ada, story.bob]
    assert first.next_cursor is not None
    after = decode_cursor(first.next_cursor)
    rest = await rm.users(UserQuery(limit=2, after=after, email=story.domain))
    assert [u["id"] for u in rest.items] == [story.carol] and rest.next_cursor is None
    operators = await rm.users(UserQuery(email=story.domain, role="operator"))
    assert [u["id"] for u in operators.items] == [story.bob]
    gone = await rm.users(UserQuery(email=story.domain, status="deactivated"))
    assert [u["id"] for u in gone.items] == [story.carol]
    people = await rm.users(UserQuery(email=story.domain, kind="service"))
    assert people.items == []  # service accounts have no email to match


async def test_api_keys_with_their_owner(side: FilledSide) -> None:
    story, rm = await _filled(side), side.read_model
    stored = await rm.api_key(story.key)
    assert stored is not None and stored.owner_active and stored.owner_roles == ("member",)
    assert stored.record.owner_id == story.machine and stored.record.revoked_at is None
    assert stored.record.scopes == ("agents:read",) and stored.record.secret_hash == "ab" * 32
    revoked = await rm.api_key(story.revoked_key)
    assert revoked is not None and revoked.record.revoked_at is not None
    keys = await rm.api_keys_of(story.machine)
    assert [k.prefix for k in keys] == [story.key, story.revoked_key]
    assert await rm.api_key("zz000000") is None


async def test_custom_roles_defined_and_deleted(side: FilledSide) -> None:
    story, rm = await _filled(side), side.read_model
    ours = [r for r in await rm.custom_roles() if r.name in (story.role, story.deleted_role)]
    assert [r.name for r in ours] == [story.role]
    [role] = ours
    assert role.permissions == ("agents:*", "users:read") and role.description == "Reads"
    assert role.defined_by == ADMIN
    defined = next(e.time for _, e in story.events if e.type == "RoleDefined")
    assert role.created_at == datetime.fromisoformat(defined)
