"""The atomic limiter: GCRA (generic cell rate algorithm) as one Lua script in Redis.

Why GCRA: one key per caller holding one number (the theoretical arrival time), exact
"``limit`` per window" with a full burst allowed from rest, no window-boundary double burst
(a fixed window allows 2x at the edge), and smooth refill (one request every window/limit).
Refused requests do not consume quota. The script reads Redis's clock, so every replica
agrees on time; it needs Redis >= 5 (effects replication of scripts calling TIME).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as aioredis

from streams.http.rate_rules import RateRule

# Times are integer microseconds so every sum is exact in Lua's doubles (< 2^53).
# Returns {allowed, remaining, reset_us, retry_after_us}.
_GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local period = interval * tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local new_tat = tat + interval
if new_tat - period > now then
  return {0, 0, tat - now, new_tat - period - now}
end
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX',
           string.format('%.0f', math.ceil((new_tat - now) / 1000)))
return {1, math.floor((period - (new_tat - now)) / interval), new_tat - now, 0}
"""


@dataclass(frozen=True)
class RateDecision:
    """The limiter's answer for one request, and what the client is told about it."""

    allowed: bool
    limit: int
    remaining: int
    reset_s: int  # until the full quota is available again
    retry_after_s: int  # 0 when allowed
    policy: str

    def headers(self) -> dict[str, str]:
        """``RateLimit-*`` headers (draft-ietf-httpapi-ratelimit-headers), plus Retry-After."""
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_s),
            "RateLimit-Policy": self.policy,
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after_s)
        return headers


class RateStore(Protocol):
    """Counts one request of ``caller`` against ``rule`` and decides."""

    async def hit(self, caller: str, rule: RateRule) -> RateDecision:
        """Count one request and decide."""


class GcraStore:
    """GCRA buckets in Redis under ``<prefix><rule prefix>:<caller>``."""

    def __init__(self, client: aioredis.Redis, *, prefix: str = "ratelimit:") -> None:
        self._prefix = prefix
        self._script = client.register_script(_GCRA)

    async def hit(self, caller: str, rule: RateRule) -> RateDecision:
        """Atomically count the request and decide."""
        interval_us = max(1, round(rule.window_s * 1_000_000 / rule.limit))
        key = f"{self._prefix}{rule.prefix}:{caller}"
        allowed, remaining, reset_us, retry_us = await self._script(
            keys=[key], args=[interval_us, rule.limit]
        )
        return RateDecision(
            allowed=bool(allowed),
            limit=rule.limit,
            remaining=max(0, int(remaining)),
            reset_s=math.ceil(int(reset_us) / 1_000_000),
            retry_after_s=max(1, math.ceil(int(retry_us) / 1_000_000)) if not allowed else 0,
            policy=rule.policy,
        )
