"""The bootstrap administrator: created once through CreateUser, password handled safely."""

from __future__ import annotations

import asyncio
import stat
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from aiokafka.errors import KafkaConnectionError

from edge.app import build_app
from edge.auth.wiring import EdgeSecurity
from edge.cors import CorsPolicy
from edge.services import EdgeServices
from tests.support.users_svc.users_api_app import CONFIG, Harness, identity_app
from users_svc.api.bootstrap_admin import (
    PASSWORD_FILE,
    BootstrapAdmin,
    BootstrapError,
    admin_user_id,
)
from users_svc.api.permissions import RbacPermissions
from users_svc.api.settings import IdentitySettings

EMAIL = "admin@dafnck.local"


@pytest.fixture
async def edge(tmp_path: Path) -> AsyncIterator[Harness]:
    async with identity_app(tmp_path) as harness:
        yield harness


def _settings(edge: Harness, **changes: object) -> IdentitySettings:
    return replace(edge.identity.settings, **changes)  # type: ignore[arg-type]


def _admin(edge: Harness, **changes: object) -> BootstrapAdmin:
    edge.identity.settings = _settings(edge, **changes)
    return BootstrapAdmin(edge.identity, edge.bus, first_backoff_s=0.01)  # type: ignore[arg-type]


def test_the_admin_id_is_derived_from_the_normalized_email() -> None:
    assert admin_user_id("Admin@Dafnck.Local") == admin_user_id(" admin@dafnck.local ")
    assert admin_user_id("a@b.cd") != admin_user_id("b@b.cd")


async def test_development_generates_a_password_file_readable_only_by_the_owner(
    edge: Harness, tmp_path: Path
) -> None:
    admin = _admin(edge)
    password = await admin.prepare()
    path = tmp_path / PASSWORD_FILE
    assert password is not None and password in path.read_text()
    assert EMAIL in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # A restart before the account exists reuses it, so the file stays right.
    assert await _admin(edge).prepare() == password


async def test_creation_goes_through_create_user_and_the_admin_can_sign_in(edge: Harness) -> None:
    admin = _admin(edge, bootstrap_password="Bootstrap-Pass-123")
    password = await admin.prepare()
    assert password == "Bootstrap-Pass-123"
    await admin.create(password)
    (create,) = edge.bus.of_type("CreateUser")
    assert create.data["user_id"] == admin_user_id(EMAIL)
    assert create.data["roles"] == ["admin"] and create.data["created_by"] is None
    assert create.subject == f"email:{EMAIL}" and create.actor == "edge"
    tokens = await edge.login(EMAIL, password)
    assert tokens["token_type"] == "Bearer"
    # Once it exists nothing more is sent, on this start or the next.
    assert await _admin(edge).prepare() is None
    await admin.create(password)
    assert len(edge.bus.of_type("CreateUser")) == 1


async def test_production_without_a_password_is_an_error(edge: Harness) -> None:
    with pytest.raises(BootstrapError, match="DAFNCK_BOOTSTRAP_ADMIN_PASSWORD"):
        await _admin(edge, environment="production").prepare()


async def test_production_with_the_admin_present_needs_no_password(edge: Harness) -> None:
    edge.add_user(EMAIL, ["admin"])
    assert await _admin(edge, environment="production").prepare() is None


async def test_a_configured_password_must_meet_the_policy(edge: Harness) -> None:
    with pytest.raises(BootstrapError, match="at least 12"):
        await _admin(edge, bootstrap_password="short").prepare()


async def test_a_slow_worker_is_waited_for(edge: Harness) -> None:
    answer = edge.bus.answer
    edge.bus.answer = lambda envelope: None  # the worker is not there yet
    admin = _admin(edge, bootstrap_password="Bootstrap-Pass-123")
    task = asyncio.create_task(admin.create("Bootstrap-Pass-123"))
    await asyncio.sleep(0.1)
    assert not task.done()
    (create,) = edge.bus.of_type("CreateUser")
    reply = answer(create)  # the worker starts and answers the waiting command
    assert reply is not None
    edge.bus.replies[create.id] = reply
    await asyncio.wait_for(task, 2)
    assert len(edge.bus.of_type("CreateUser")) == 1


async def test_an_unreachable_kafka_is_retried(edge: Harness) -> None:
    send, calls = edge.bus.send, []

    async def flaky(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) < 3:
            raise KafkaConnectionError("no broker")
        return await send(*args, **kwargs)  # type: ignore[arg-type]

    edge.bus.send = flaky  # type: ignore[method-assign]
    await asyncio.wait_for(_admin(edge).create("Bootstrap-Pass-123"), 5)
    assert len(calls) == 3
    assert await edge.read_model.user_by_email(EMAIL) is not None


async def test_the_edge_does_not_start_in_production_without_the_password(edge: Harness) -> None:
    edge.identity.settings = _settings(edge, environment="production")
    security = EdgeSecurity.closed(RbacPermissions(), CorsPolicy(frozenset()))
    services = EdgeServices(security, edge.bus, edge.identity)  # type: ignore[arg-type]
    with pytest.raises(BootstrapError, match="production"):
        async with TestServer(build_app(CONFIG, services)):
            pass
