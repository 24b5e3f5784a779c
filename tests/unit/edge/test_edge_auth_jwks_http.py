"""HttpJwksProvider against an in-process JWKS server: caching, forced refresh, stale on error."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from streams.http.jwks import HttpJwksProvider, JwksUnavailable
from users_svc.api.signing.ring import KeyRing

ISSUER = "https://users.dafnck.test"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class UsersService:
    """Serves a JWKS; can be told to fail or to serve something else."""

    def __init__(self) -> None:
        self.ring = KeyRing.generate(ISSUER)
        self.status = 200
        self.body: Any = None
        self.hits = 0

    async def jwks(self, request: web.Request) -> web.Response:
        self.hits += 1
        if self.status != 200:
            return web.Response(status=self.status)
        return web.json_response(self.body if self.body is not None else self.ring.jwks())


@pytest.fixture
async def service() -> AsyncIterator[tuple[UsersService, str]]:
    users = UsersService()
    app = web.Application()
    app.router.add_get("/.well-known/jwks.json", users.jwks)
    async with TestServer(app) as server:
        yield users, str(server.make_url("/.well-known/jwks.json"))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def provider(
    service: tuple[UsersService, str], clock: Clock
) -> AsyncIterator[HttpJwksProvider]:
    _users, url = service
    jwks = HttpJwksProvider(url, ttl_s=300, retry_after_error_s=10, clock=clock)
    yield jwks
    await jwks.close()


async def test_the_document_is_fetched_once_per_ttl(
    service: tuple[UsersService, str], provider: HttpJwksProvider, clock: Clock
) -> None:
    users, _ = service
    first = await provider()
    assert first == users.ring.jwks()
    assert await provider() is first
    assert users.hits == 1
    clock.now += 301
    await provider()
    assert users.hits == 2


async def test_a_forced_refresh_bypasses_the_cache(
    service: tuple[UsersService, str], provider: HttpJwksProvider, clock: Clock
) -> None:
    users, _ = service
    await provider()
    users.ring.rotate()
    clock.now += 1
    refreshed = await provider(refresh=True)
    assert refreshed == users.ring.jwks() and len(refreshed["keys"]) == 2


async def test_an_outage_keeps_serving_the_cached_keys_and_retries_later(
    service: tuple[UsersService, str], provider: HttpJwksProvider, clock: Clock
) -> None:
    users, _ = service
    cached = await provider()
    users.status = 503
    clock.now += 301
    assert await provider() == cached
    assert await provider() == cached
    assert users.hits == 2  # the failed attempt is not repeated on every call
    clock.now += 11
    await provider()
    assert users.hits == 3


@pytest.mark.parametrize("body", [{"nokeys": []}, ["not", "a", "jwks"]])
async def test_without_any_good_document_it_is_unavailable(
    service: tuple[UsersService, str], provider: HttpJwksProvider, body: Any
) -> None:
    users, _ = service
    users.body = body
    with pytest.raises(JwksUnavailable):
        await provider()


async def test_an_unreachable_service_is_unavailable() -> None:
    provider = HttpJwksProvider("http://127.0.0.1:9/.well-known/jwks.json", timeout_s=2)
    try:
        with pytest.raises(JwksUnavailable):
            await provider()
    finally:
        await provider.close()
