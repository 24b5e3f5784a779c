"""Redis state the users routes keep: login failure counters, refresh grace answers, revocations.

Each has an in-memory twin with the same behaviour for unit tests.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

import redis.asyncio as aioredis

from users_svc.domain.throttle import DEFAULT_POLICY, FailureCounter, ThrottleKeys, ThrottlePolicy

Clock = Callable[[], float]
GRACE_PREFIX = "refresh-grace:"
# INCR, and start the window's clock only on the first failure: later ones must not extend it.
_COUNT_FAILURE = """
for i, key in ipairs(KEYS) do
  redis.call('INCR', key)
  if redis.call('TTL', key) < 0 then redis.call('EXPIRE', key, ARGV[1]) end
end
return 1
"""


class Revocations(Protocol):
    """What the routes write to (and read from) the edge's deny list."""

    async def deny(self, jti: str, exp: float) -> None:
        """Refuse one access token until it expires."""

    async def deny_session(self, sid: str) -> None:
        """Refuse every access token of a session."""

    async def session_denied(self, sid: str) -> bool:
        """Whether a session's access tokens are refused."""

    async def revoke_before(self, sub: str, when: float | None = None) -> None:
        """Refuse every access token of ``sub`` issued up to now."""

    async def revoked_before(self, sub: str) -> float | None:
        """The user's revocation time, if any."""


class LoginThrottle(Protocol):
    """Failure counters per account hash and per client address."""

    async def counters(self, keys: ThrottleKeys) -> tuple[FailureCounter, FailureCounter]:
        """The account's and the address's counters, as of now."""

    async def failed(self, keys: ThrottleKeys) -> None:
        """Count one failure on both."""

    async def succeeded(self, keys: ThrottleKeys) -> None:
        """Clear the account's counter (the address's stays)."""


class RefreshGrace(Protocol):
    """Sealed answers to refreshes, kept for the retry window."""

    async def get(self, presented_hash: str) -> bytes | None:
        """The sealed answer for a presented token, if still kept."""

    async def put(self, presented_hash: str, sealed: bytes, ttl_s: int) -> None:
        """Keep a sealed answer for ``ttl_s`` seconds."""


class RedisLoginThrottle:
    """Counters as Redis integers whose TTL is the rest of their window."""

    def __init__(
        self,
        redis: aioredis.Redis,
        policy: ThrottlePolicy = DEFAULT_POLICY,
        clock: Clock = time.time,
    ) -> None:
        self._redis = redis
        self._policy = policy
        self._clock = clock
        self._count = redis.register_script(_COUNT_FAILURE)

    async def counters(self, keys: ThrottleKeys) -> tuple[FailureCounter, FailureCounter]:
        """Both counters in one round trip."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for key in (keys.account, keys.address):
                pipe.get(key)
                pipe.ttl(key)
            acct, acct_ttl, addr, addr_ttl = await pipe.execute()
        now = self._clock()
        return (
            FailureCounter.from_redis(int(acct or 0), float(acct_ttl), now, self._policy),
            FailureCounter.from_redis(int(addr or 0), float(addr_ttl), now, self._policy),
        )

    async def failed(self, keys: ThrottleKeys) -> None:
        """INCR both, each opening its window on its first failure."""
        await self._count(keys=[keys.account, keys.address], args=[self._policy.window_seconds])

    async def succeeded(self, keys: ThrottleKeys) -> None:
        """DEL the account counter."""
        await self._redis.delete(keys.account)


class MemoryLoginThrottle:
    """The same counters in a dict, on an injectable clock."""

    def __init__(self, policy: ThrottlePolicy = DEFAULT_POLICY, clock: Clock = time.time) -> None:
        self.policy = policy
        self.clock = clock
        self.counts: dict[str, FailureCounter] = {}

    def _get(self, key: str) -> FailureCounter:
        return self.counts.get(key, FailureCounter()).in_window(
            self.clock(), self.policy.window_seconds
        )

    async def counters(self, keys: ThrottleKeys) -> tuple[FailureCounter, FailureCounter]:
        """Both counters."""
        return self._get(keys.account), self._get(keys.address)

    async def failed(self, keys: ThrottleKeys) -> None:
        """One more failure on both."""
        now = self.clock()
        for key in (keys.account, keys.address):
            live = self._get(key)
            start = now if live.window_started_at is None else live.window_started_at
            self.counts[key] = FailureCounter(live.count + 1, start)

    async def succeeded(self, keys: ThrottleKeys) -> None:
        """Forget the account counter."""
        self.counts.pop(keys.account, None)


class RedisRefreshGrace:
    """``refresh-grace:<presented hash>`` → sealed answer, expiring with the window."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis

    async def get(self, presented_hash: str) -> bytes | None:
        """The sealed answer, if kept."""
        value = await self._redis.get(GRACE_PREFIX + presented_hash)
        return value.encode() if isinstance(value, str) else value

    async def put(self, presented_hash: str, sealed: bytes, ttl_s: int) -> None:
        """Keep it for the window (nothing kept for a zero window)."""
        if ttl_s > 0:
            await self._redis.set(GRACE_PREFIX + presented_hash, sealed, ex=ttl_s)


class MemoryRefreshGrace:
    """Sealed answers in a dict with expiry times."""

    def __init__(self, clock: Clock = time.time) -> None:
        self.clock = clock
        self.entries: dict[str, tuple[bytes, float]] = {}

    async def get(self, presented_hash: str) -> bytes | None:
        """The sealed answer while its window lasts."""
        entry = self.entries.get(presented_hash)
        return entry[0] if entry is not None and entry[1] > self.clock() else None

    async def put(self, presented_hash: str, sealed: bytes, ttl_s: int) -> None:
        """Keep it for ``ttl_s``."""
        if ttl_s > 0:
            self.entries[presented_hash] = (sealed, self.clock() + ttl_s)
