"""The edge's queries of the users read model on a real Postgres (schema from the worker)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiopg
import pytest

from streams.http.paging import decode_cursor
from streams.readmodel_pool import ReadModelUnavailable
from users_svc.api.readmodel import PgReadModel, UserQuery
from users_svc.worker.migrations import migrate

pytestmark = pytest.mark.integration


@pytest.fixture
async def seeded(database_url: str) -> AsyncIterator[tuple[PgReadModel, str, list[str]]]:
    """Three users under a unique email domain, removed afterwards."""
    domain = f"rm-{uuid.uuid4().hex[:10]}.test"
    ids = [str(uuid.uuid4()) for _ in range(3)]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        (ids[0], f"Ada@{domain}", ["admin"], "active"),
        (ids[1], f"bob_1@{domain}", ["member", "operator"], "active"),
        (ids[2], f"carol@{domain}", ["member"], "deactivated"),
    ]
    async with aiopg.create_pool(database_url, minsize=1, maxsize=2) as pool:
        await migrate(pool)
        async with pool.acquire() as conn, conn.cursor() as cur:
            for n, (user_id, email, roles, status) in enumerate(rows):
                at = start + timedelta(seconds=n)
                await cur.execute(
                    "INSERT INTO users.users VALUES (%s, %s, %s, %s, %s::text[], %s, %s, %s)",
                    (user_id, email, email.lower(), f"User {n}", roles, status, at, at),
                )
                await cur.execute(
                    "INSERT INTO users.credentials VALUES (%s, %s, %s, %s, %s)",
                    (user_id, email.lower(), "$argon2id$x", n + 1, status),
                )
        read_model = PgReadModel(database_url)
        try:
            yield read_model, domain, ids
        finally:
            await read_model.close()
            async with pool.acquire() as conn, conn.cursor() as cur:
                await cur.execute("DELETE FROM users.users WHERE id = ANY(%s::uuid[])", (ids,))
                await cur.execute(
                    "DELETE FROM users.credentials WHERE user_id = ANY(%s::uuid[])", (ids,)
                )


async def test_credentials_and_users_by_id_and_email(
    seeded: tuple[PgReadModel, str, list[str]],
) -> None:
    read_model, domain, ids = seeded
    creds = await read_model.credentials_by_email(f"ada@{domain}")
    assert creds is not None and creds.user_id == ids[0] and creds.active
    assert (await read_model.credentials_of(ids[2])).credentials_version == 3  # type: ignore[union-attr]
    user = await read_model.user(ids[1])
    assert user is not None
    assert user["roles"] == ["member", "operator"] and user["email"] == f"bob_1@{domain}"
    assert datetime.fromisoformat(user["created_at"]) == datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC)
    assert (await read_model.user_by_email(f"carol@{domain}"))["status"] == "deactivated"  # type: ignore[index]
    assert await read_model.user(str(uuid.uuid4())) is None
    assert await read_model.credentials_by_email(f"nobody@{domain}") is None


async def test_pages_follow_the_cursor_in_creation_order(
    seeded: tuple[PgReadModel, str, list[str]],
) -> None:
    read_model, domain, ids = seeded
    first = await read_model.users(UserQuery(limit=2, email=domain))
    assert [u["id"] for u in first.items] == ids[:2] and first.next_cursor is not None
    rest = await read_model.users(
        UserQuery(limit=2, email=domain, after=decode_cursor(first.next_cursor))
    )
    assert [u["id"] for u in rest.items] == ids[2:] and rest.next_cursor is None


async def test_filters_by_email_role_and_status(
    seeded: tuple[PgReadModel, str, list[str]],
) -> None:
    read_model, domain, ids = seeded

    async def found(**filters: str) -> list[str]:
        page = await read_model.users(UserQuery(limit=50, **filters))  # type: ignore[arg-type]
        return [u["id"] for u in page.items if u["email"].endswith(domain)]

    assert await found(email=f"ADA@{domain}") == ids[:1]
    # LIKE wildcards in the filter are literal: "_" and "%" match only themselves.
    assert await found(email=f"bo__1@{domain}") == []
    assert await found(email=f"bob%@{domain}") == []
    assert await found(email=f"bob_1@{domain}") == ids[1:2]
    assert await found(email=domain, role="member") == ids[1:]
    assert await found(email=domain, status="deactivated") == ids[2:]


async def test_an_unreachable_database_is_unavailable_not_an_error() -> None:
    read_model = PgReadModel("postgresql://nobody@127.0.0.1:1/none", timeout_s=2)
    with pytest.raises(ReadModelUnavailable):
        await read_model.user(str(uuid.uuid4()))
