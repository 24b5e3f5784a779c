"""Idempotency keys: a retried POST returns the first command's result and sends nothing new.

``(principal, Idempotency-Key)`` maps in Redis to the first command's id and a fingerprint
of the request; the same key with a different request is refused rather than guessed at.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import orjson
from redis.asyncio import Redis

IDEMPOTENCY_TTL_S = 24 * 60 * 60
MAX_KEY_LENGTH = 255
_VISIBLE_ASCII = re.compile(r"^[\x21-\x7e]+$")
# Delete only our own claim: another request may have claimed the key since.
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"


class InvalidIdempotencyKey(ValueError):
    """The Idempotency-Key header is empty, too long or not printable ASCII."""


class IdempotencyConflict(Exception):
    """The key was already used for a different request."""

    def __init__(self, command_id: str) -> None:
        super().__init__(f"idempotency key already used for command {command_id}")
        self.command_id = command_id


def fingerprint(method: str, path: str, command_type: str, body: bytes) -> str:
    """A digest of what makes two requests "the same": route, command type and body."""
    # A JSON body is compared by value (key order and whitespace do not matter), anything
    # else byte for byte.
    try:
        canonical = orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS)
    except orjson.JSONDecodeError:
        canonical = body
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), command_type.encode(), canonical):
        # Length-prefixed so no two different tuples of parts run together the same way.
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


@dataclass(frozen=True)
class IdempotencyKey:
    """One client's key for one request, with the fingerprint of that request."""

    principal: str
    key: str
    fingerprint: str

    def __post_init__(self) -> None:
        if not 1 <= len(self.key) <= MAX_KEY_LENGTH or not _VISIBLE_ASCII.match(self.key):
            raise InvalidIdempotencyKey(
                f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable ASCII characters"
            )

    @property
    def redis_key(self) -> str:
        """Where the claim lives; hashed so any principal or key text maps to one safe key."""
        scope = orjson.dumps([self.principal, self.key])
        return "idem:" + hashlib.sha256(scope).hexdigest()

    def claim_value(self, command_id: str) -> bytes:
        """What a claim by ``command_id`` stores."""
        return orjson.dumps({"command_id": command_id, "fingerprint": self.fingerprint})


class IdempotencyStore:
    """Claims keys for commands in Redis (first writer wins, for 24 hours)."""

    def __init__(self, redis: Redis, *, ttl_s: int = IDEMPOTENCY_TTL_S) -> None:
        self.redis = redis
        self.ttl_s = ttl_s

    async def claim(self, key: IdempotencyKey, command_id: str) -> str | None:
        """None when claimed for ``command_id``; else the first command's id (or a conflict)."""
        for _ in range(3):  # the earlier claim may expire between SET NX and GET
            value = key.claim_value(command_id)
            if await self.redis.set(key.redis_key, value, ex=self.ttl_s, nx=True):
                return None
            raw = await self.redis.get(key.redis_key)
            if raw is None:
                continue
            earlier = orjson.loads(raw)
            if earlier.get("fingerprint") != key.fingerprint:
                raise IdempotencyConflict(str(earlier.get("command_id")))
            return str(earlier["command_id"])
        raise RuntimeError("could not claim the idempotency key")

    async def release(self, key: IdempotencyKey, command_id: str) -> None:
        """Give the key back (the command was never sent), unless someone else holds it."""
        await self.redis.eval(_RELEASE, 1, key.redis_key, key.claim_value(command_id))
