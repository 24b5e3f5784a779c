"""The identity routes' Redis state on a real Redis: failure counters, grace answers, sessions."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from streams.http.denylist import DenyList
from streams.http.principal import Principal
from users_svc.api.redis_stores import RedisLoginThrottle, RedisRefreshGrace
from users_svc.domain.throttle import ThrottlePolicy, check_login, throttle_keys

pytestmark = pytest.mark.integration


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
    yield client
    await client.aclose()


async def test_failures_count_per_account_and_address_in_one_window(
    redis_client: aioredis.Redis,
) -> None:
    policy = ThrottlePolicy(account_limit=3, address_limit=5, window_seconds=60)
    throttle = RedisLoginThrottle(redis_client, policy)
    keys = throttle_keys(f"{uuid.uuid4().hex}@example.com", f"10.9.{uuid.uuid4().int % 250}.1")
    try:
        for _ in range(3):
            await throttle.failed(keys)
        account, address = await throttle.counters(keys)
        assert (account.count, address.count) == (3, 3)
        decision = check_login(account, address, now=account.window_started_at + 1, policy=policy)
        assert not decision.allowed and 55 <= decision.retry_after <= 60
        # The window opened with the first failure; later ones do not push it back.
        assert 55 <= await redis_client.ttl(keys.account) <= 60
        await throttle.succeeded(keys)
        account, address = await throttle.counters(keys)
        assert (account.count, address.count) == (0, 3)
    finally:
        await redis_client.delete(keys.account, keys.address)


async def test_a_grace_answer_is_kept_for_the_window_only(redis_client: aioredis.Redis) -> None:
    grace, key = RedisRefreshGrace(redis_client), uuid.uuid4().hex
    await grace.put(key, b"sealed", 1)
    assert await grace.get(key) == b"sealed"
    await asyncio.sleep(1.2)
    assert await grace.get(key) is None
    await grace.put(key, b"sealed", 0)
    assert await grace.get(key) is None


async def test_an_ended_session_refuses_its_tokens(redis_client: aioredis.Redis) -> None:
    prefix = f"test:{uuid.uuid4().hex}:"
    deny = DenyList(redis_client, prefix=prefix, max_token_lifetime_s=600)
    mine = Principal("u-1", frozenset(), None, uuid.uuid4().hex, 2_000_000_000, 1_000, "fam-1")
    other = Principal("u-1", frozenset(), None, uuid.uuid4().hex, 2_000_000_000, 1_000, "fam-2")
    try:
        await deny.deny_session("fam-1")
        assert await deny.denied(mine) == "session has ended"
        assert await deny.denied(other) is None
        assert 600 < await redis_client.ttl(f"{prefix}deny:sid:fam-1") <= 630
    finally:
        keys = [k async for k in redis_client.scan_iter(match=f"{prefix}*")]
        if keys:
            await redis_client.delete(*keys)
