"""Revocation before expiry, in Redis: single tokens by ``jti`` and all of a user's older tokens.

Keys (a contract with whoever revokes: the users service or an edge consumer of user-events):

- ``<prefix>deny:jti:<jti>`` exists while that token could still be accepted (TTL to exp + leeway);
- ``<prefix>deny:sid:<sid>`` exists while any token of that session (``sid`` claim: a refresh-token
  family, or ``key:<key id>`` for tokens exchanged for an API key) could still be accepted:
  logout, refresh-token reuse and API-key revocation end every token of the session;
- ``<prefix>revoked_before:<sub>`` holds a Unix time T: tokens of ``sub`` issued at or before
  T's second are refused (``iat`` has one-second resolution, so the revocation second is
  included). It lives as long as the longest token, after which no older token survives anyway.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Protocol

import redis.asyncio as aioredis

from streams.http.principal import Principal

# Keep T monotonic: an earlier revocation arriving late must not shorten a later one.
_RAISE_MARKER = """
local current = tonumber(redis.call('GET', KEYS[1]))
if current == nil or current < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return 1
end
return 0
"""


class DenyChecker(Protocol):
    """Says why a verified principal's token is revoked, or None."""

    async def denied(self, principal: Principal) -> str | None:
        """A client-safe reason when the token is revoked, else None."""


def _revoked(iat: int, marker: float | None) -> bool:
    return marker is not None and iat <= math.floor(marker)


class DenyList:
    """The Redis deny list: ``deny``/``is_denied`` by jti, ``revoke_before`` by user."""

    def __init__(
        self,
        client: aioredis.Redis,
        *,
        prefix: str = "",
        leeway_s: float = 30,
        max_token_lifetime_s: int = 86400,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = client
        self._prefix = prefix
        self._leeway_s = leeway_s
        self._max_lifetime_s = max_token_lifetime_s
        self._clock = clock
        self._raise_marker = client.register_script(_RAISE_MARKER)

    def _jti_key(self, jti: str) -> str:
        return f"{self._prefix}deny:jti:{jti}"

    def _sub_key(self, sub: str) -> str:
        return f"{self._prefix}revoked_before:{sub}"

    def _sid_key(self, sid: str) -> str:
        return f"{self._prefix}deny:sid:{sid}"

    async def deny(self, jti: str, exp: float) -> None:
        """Refuse the token ``jti`` from now until it would have expired anyway."""
        ttl = math.ceil(exp + self._leeway_s - self._clock())
        if ttl > 0:
            await self._redis.set(self._jti_key(jti), b"1", ex=ttl)

    async def is_denied(self, jti: str) -> bool:
        """Whether the token ``jti`` is on the deny list."""
        return bool(await self._redis.exists(self._jti_key(jti)))

    async def deny_session(self, sid: str) -> None:
        """Refuse every token of session ``sid``, for as long as any of them could live."""
        ttl = math.ceil(self._max_lifetime_s + self._leeway_s)
        await self._redis.set(self._sid_key(sid), b"1", ex=ttl)

    async def session_denied(self, sid: str) -> bool:
        """Whether every token of session ``sid`` is refused."""
        return bool(await self._redis.exists(self._sid_key(sid)))

    async def revoke_before(self, sub: str, when: float | None = None) -> None:
        """Refuse every token of ``sub`` issued up to ``when`` (default now)."""
        moment = self._clock() if when is None else when
        ttl = math.ceil(self._max_lifetime_s + self._leeway_s)
        await self._raise_marker(keys=[self._sub_key(sub)], args=[repr(float(moment)), ttl])

    async def revoked_before(self, sub: str) -> float | None:
        """The revocation time recorded for ``sub``, if any."""
        value = await self._redis.get(self._sub_key(sub))
        return None if value is None else float(value)

    async def denied(self, principal: Principal) -> str | None:
        """One round trip for every check; the reason is safe to show the client."""
        keys = [self._jti_key(principal.jti), self._sub_key(principal.sub)]
        if principal.sid is not None:
            keys.append(self._sid_key(principal.sid))
        jti_hit, marker, *sid_hit = await self._redis.mget(keys)
        if jti_hit is not None:
            return "token has been revoked"
        if sid_hit and sid_hit[0] is not None:
            return "session has ended"
        if _revoked(principal.iat, None if marker is None else float(marker)):
            return "token has been revoked for this user"
        return None


class MemoryDenyList:
    """An in-process deny list with the same behaviour, for tests and single-process tools."""

    def __init__(self) -> None:
        self.jtis: set[str] = set()
        self.sessions: set[str] = set()
        self.markers: dict[str, float] = {}

    async def deny(self, jti: str, exp: float) -> None:
        """Refuse the token ``jti``."""
        self.jtis.add(jti)

    async def is_denied(self, jti: str) -> bool:
        """Whether the token ``jti`` is refused."""
        return jti in self.jtis

    async def deny_session(self, sid: str) -> None:
        """Refuse every token of session ``sid``."""
        self.sessions.add(sid)

    async def session_denied(self, sid: str) -> bool:
        """Whether every token of session ``sid`` is refused."""
        return sid in self.sessions

    async def revoke_before(self, sub: str, when: float | None = None) -> None:
        """Refuse every token of ``sub`` issued up to ``when`` (default now)."""
        moment = time.time() if when is None else when
        self.markers[sub] = max(moment, self.markers.get(sub, moment))

    async def revoked_before(self, sub: str) -> float | None:
        """The revocation time recorded for ``sub``, if any."""
        return self.markers.get(sub)

    async def denied(self, principal: Principal) -> str | None:
        """Why the principal's token is refused, or None."""
        if principal.jti in self.jtis:
            return "token has been revoked"
        if principal.sid is not None and principal.sid in self.sessions:
            return "session has ended"
        if _revoked(principal.iat, self.markers.get(principal.sub)):
            return "token has been revoked for this user"
        return None
