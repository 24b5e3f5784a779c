"""Refresh tokens as the edge mints them, the sealed grace answer, and access-token signing.

A refresh token reads ``dkr.<user_id>.<family_id>.<secret>``; commands carry only the SHA-256
hex of the whole string. The grace answer kept in Redis for a retried refresh is encrypted
under the presented token itself, so a Redis dump yields no usable token.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import os
import secrets
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from redis.exceptions import RedisError

from users_svc.api.redis_stores import Revocations
from users_svc.api.signing.disk_ring import SigningRing
from users_svc.domain.token_family import hash_token

log = logging.getLogger("dafnck.users.tokens")
PREFIX = "dkr"
_SEAL_LABEL = b"dafnck refresh-grace seal v1\x00"
_MAX_TOKEN_CHARS = 256


@dataclass(frozen=True)
class RefreshToken:
    """A parsed refresh token: whose, which family, and the whole string."""

    user_id: str
    family_id: str
    token: str

    @property
    def hash(self) -> str:
        """What commands carry: the SHA-256 hex of the whole token."""
        return hash_token(self.token)


def mint_refresh(user_id: str, family_id: str) -> RefreshToken:
    """A fresh token of the family."""
    token = f"{PREFIX}.{user_id}.{family_id}.{secrets.token_urlsafe(32)}"
    return RefreshToken(user_id, family_id, token)


def _uuid(text: str) -> str | None:
    try:
        value = uuid.UUID(text)
    except ValueError:
        return None
    return str(value) if str(value) == text else None


def parse_family(sid: str | None) -> str | None:
    """The refresh-token family a token's ``sid`` names (None for API-key tokens)."""
    return _uuid(sid) if sid is not None else None


def parse_refresh(token: str) -> RefreshToken | None:
    """The token's parts, or None when it is not one of ours."""
    if len(token) > _MAX_TOKEN_CHARS:
        return None
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != PREFIX or not parts[3]:
        return None
    user_id, family_id = _uuid(parts[1]), _uuid(parts[2])
    if user_id is None or family_id is None:
        return None
    return RefreshToken(user_id, family_id, token)


def _seal_key(presented: str) -> bytes:
    return hashlib.sha256(_SEAL_LABEL + presented.encode("utf-8")).digest()


def seal(answer: dict[str, Any], presented: str) -> bytes:
    """The answer encrypted under the presented token (AES-GCM, random nonce)."""
    nonce = os.urandom(12)
    return nonce + AESGCM(_seal_key(presented)).encrypt(nonce, orjson.dumps(answer), None)


def unseal(sealed: bytes, presented: str) -> dict[str, Any] | None:
    """The answer, or None when it does not open with the presented token."""
    try:
        plain = AESGCM(_seal_key(presented)).decrypt(sealed[:12], sealed[12:], None)
    except Exception:
        return None
    value = orjson.loads(plain)
    return value if isinstance(value, dict) else None


class AccessTokens:
    """Signs access tokens: sub, roles, the session id (``sid``) and the configured lifetime."""

    def __init__(
        self,
        ring: SigningRing,
        audience: str,
        ttl_s: int,
        revocations: Revocations,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.ring = ring
        self.audience = audience
        self.ttl_s = ttl_s
        self._revocations = revocations
        self._clock = clock

    async def issue(self, user_id: str, roles: Iterable[str], family_id: str) -> dict[str, Any]:
        """The token response body (without the refresh token)."""
        await self._after_revocation(user_id)
        token = self.ring.sign(
            user_id,
            audience=self.audience,
            roles=roles,
            lifetime_s=self.ttl_s,
            extra_claims={"sid": family_id},
        )
        return {"access_token": token, "token_type": "Bearer", "expires_in": self.ttl_s}

    async def issue_service(
        self, user_id: str, roles: Iterable[str], scopes: Iterable[str], sid: str, lifetime_s: int
    ) -> dict[str, Any]:
        """A service account's token: its roles, narrowed to the API key's scopes."""
        await self._after_revocation(user_id)
        scope = " ".join(sorted(scopes))
        token = self.ring.sign(
            user_id,
            audience=self.audience,
            roles=roles,
            scope=scope,
            lifetime_s=lifetime_s,
            extra_claims={"sid": sid},
        )
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": lifetime_s,
            "scope": scope,
        }

    async def _after_revocation(self, user_id: str) -> None:
        # A user-wide revocation covers every token issued in its second (iat has one-second
        # resolution): a token signed in that same second would be born revoked, so wait.
        try:
            marker = await self._revocations.revoked_before(user_id)
        except (RedisError, OSError) as exc:
            log.warning("revocation marker unreadable", extra={"error": str(exc)})
            return
        if marker is None:
            return
        wait = math.floor(marker) + 1 - self._clock()
        if wait > 0:
            await asyncio.sleep(min(wait, 1.0))
