"""Read-your-writes: a command route answers once the read model applied what it caused.

The real users domain decides, the in-memory projector applies its events only after a
lag and notifies the in-memory waiter (counting per causationid as ``record_applied``
does): a GET or a sign-in right after the answer sees the write, and the wait is bounded.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.users_svc.users_api_app import Harness, identity_app

LAG_S = 0.1
NEW_USER = {"email": "Grace@Example.com", "password": "Another-Pass-77", "display_name": "Grace"}


@pytest.fixture
async def edge(tmp_path: Path) -> AsyncIterator[Harness]:
    async with identity_app(tmp_path, projection_lag_s=LAG_S, read_your_writes_s=5.0) as h:
        yield h


def _admin(edge: Harness) -> dict[str, str]:
    return edge.sign(str(uuid.uuid4()), ["admin"])


async def test_a_created_user_is_shown_and_can_sign_in_as_soon_as_the_201_arrives(
    edge: Harness,
) -> None:
    response = await edge.client.post("/api/users", json=NEW_USER, headers=_admin(edge))
    body = await response.json()
    assert response.status == 201, body
    assert response.headers["Location"] == f"/api/users/{body['id']}"
    shown = await edge.client.get(response.headers["Location"], headers=_admin(edge))
    assert shown.status == 200 and await shown.json() == body
    await edge.login(NEW_USER["email"], NEW_USER["password"])
    # It waited for the registration step's two events (UserCreated, CredentialsChanged),
    # under that step's causationid, not the command's id.
    assert edge.waiter is not None
    [(schema, cause, expected)] = edge.waiter.waits
    assert (schema, expected) == ("users", 2)
    assert cause != response.headers["X-Command-Id"]


async def test_an_update_is_shown_by_the_next_read(edge: Harness) -> None:
    created = await edge.client.post("/api/users", json=NEW_USER, headers=_admin(edge))
    user_id = (await created.json())["id"]
    path = f"/api/users/{user_id}"
    changed = await edge.client.patch(path, json={"display_name": "Ada"}, headers=_admin(edge))
    assert changed.status == 200
    shown = await (await edge.client.get(path, headers=_admin(edge))).json()
    assert shown == await changed.json() and shown["display_name"] == "Ada"


async def test_a_refusal_waits_for_nothing(edge: Harness) -> None:
    await edge.client.post("/api/users", json=NEW_USER, headers=_admin(edge))
    again = await edge.client.post("/api/users", json=NEW_USER, headers=_admin(edge))
    assert again.status == 409 and (await again.json())["code"] == "email_taken"
    assert edge.waiter is not None and len(edge.waiter.waits) == 1  # the first create only


async def test_the_wait_is_bounded_and_never_changes_the_answer(tmp_path: Path) -> None:
    async with identity_app(tmp_path, projection_lag_s=1.0, read_your_writes_s=0.1) as edge:
        started = time.monotonic()
        response = await edge.client.post("/api/users", json=NEW_USER, headers=_admin(edge))
        elapsed = time.monotonic() - started
        assert response.status == 201
        assert 0.1 <= elapsed < 0.9  # gave up after read_your_writes_s, before the projection
        user_id = (await response.json())["id"]
        early = await edge.client.get(f"/api/users/{user_id}", headers=_admin(edge))
        assert early.status == 404
