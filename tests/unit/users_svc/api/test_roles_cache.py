"""The edge's custom-role cache and the permission checker that uses it (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime

from streams.http.principal import Principal
from tests.support.users_svc.fake_users_service import FakeReadModel
from users_svc.api.permissions import RbacPermissions
from users_svc.api.readmodel_access import RoleRow
from users_svc.api.roles_cache import CustomRoleCache

NOW = datetime(2026, 1, 1, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _principal(*roles: str) -> Principal:
    return Principal("u", frozenset(roles), None, "jti", 2_000_000_000, 1_000_000_000)


def _world(ttl: float = 5.0) -> tuple[FakeReadModel, CustomRoleCache, Clock]:
    read_model, clock = FakeReadModel(), Clock()
    read_model.roles["auditor"] = RoleRow("auditor", ("users:read",), "", None, NOW)
    return read_model, CustomRoleCache(read_model.custom_roles, ttl, clock=clock), clock


async def test_definitions_are_read_once_per_window() -> None:
    read_model, cache, clock = _world()
    assert set(await cache.current()) == {"auditor"}
    del read_model.roles["auditor"]
    clock.now += 4.9
    assert set(await cache.current()) == {"auditor"}  # still within the window
    clock.now += 0.2
    assert await cache.current() == {}
    assert read_model.role_loads == 2


async def test_invalidating_reads_again_at_once() -> None:
    read_model, cache, _ = _world()
    await cache.current()
    read_model.roles["ops"] = RoleRow("ops", ("tasks:*",), "", None, NOW)
    cache.invalidate()
    assert set(await cache.current()) == {"auditor", "ops"}


async def test_an_outage_keeps_the_last_good_copy_and_grants_nothing_without_one() -> None:
    read_model, cache, clock = _world()
    await cache.current()
    read_model.unavailable = True
    clock.now += 10
    assert set(await cache.current()) == {"auditor"}
    broken, cold_clock = FakeReadModel(), Clock()
    broken.unavailable = True
    cold = CustomRoleCache(broken.custom_roles, 5.0, clock=cold_clock)
    assert await cold.current() == {}
    assert await cold.current() == {} and broken.role_loads == 1  # not retried per request


async def test_built_in_roles_never_touch_the_read_model() -> None:
    read_model, cache, _ = _world()
    assert "users:read" in await cache.permissions(["operator"])
    assert read_model.role_loads == 0
    assert await cache.permissions(["auditor", "viewer"]) >= {"users:read", "agents:read"}


async def test_the_checker_resolves_custom_roles_and_forgets_deleted_ones() -> None:
    read_model, cache, clock = _world(ttl=5)
    checker = RbacPermissions(cache)
    assert await checker.allowed(_principal("auditor"), "users:read")
    assert not await checker.allowed(_principal("auditor"), "users:create")
    del read_model.roles["auditor"]
    clock.now += 5
    assert not await checker.allowed(_principal("auditor"), "users:read")
    # Without a cache, only built-in roles count.
    assert not await RbacPermissions().allowed(_principal("auditor"), "users:read")
    assert await RbacPermissions().allowed(_principal("operator"), "users:read")
