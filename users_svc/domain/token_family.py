"""Refresh-token families: the stored state, the token format and its hash.

A token reads ``dkr.<user_id>.<family_id>.<secret>`` (secret: ``token_urlsafe(32)``). The
edge mints tokens and hands them out once; the users service only ever sees
``sha256(token)`` as lowercase hex, and that hash is all a family stores. The user id and
family id inside the token are lookup keys, not secrets: they let the edge route a refresh to
the user's aggregate.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

TOKEN_PREFIX = "dkr"
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class TokenPolicy:
    """Lifetimes and limits of refresh tokens."""

    ttl: timedelta = timedelta(days=7)  # each token lives 7 days from its issue (sliding)
    remember_used: int = 100  # used-token hashes kept per family for reuse detection


DEFAULT_POLICY = TokenPolicy()


@dataclass(frozen=True)
class TokenFamily:
    """One login's chain of refresh tokens; only the newest (``current``) is usable."""

    id: str
    user_id: str
    created_at: datetime
    credentials_version: int
    current_hash: str
    current_expires_at: datetime
    generation: int = 0
    used_hashes: tuple[str, ...] = ()  # oldest first; every rotated-away token
    rotated_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_reason: str | None = None

    @property
    def is_revoked(self) -> bool:
        """True once logged out, revoked or caught reusing a token."""
        return self.revoked_at is not None

    def is_live(self, now: datetime) -> bool:
        """True while the current token can still be used."""
        return not self.is_revoked and now < self.current_expires_at

    def knows(self, token_hash: str) -> bool:
        """True when the hash belongs to a token this family issued (current or used)."""
        return hmac.compare_digest(token_hash, self.current_hash) or token_hash in self.used_hashes

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the Faust table."""

        def iso(moment: datetime | None) -> str | None:
            return moment.isoformat() if moment else None

        return {
            "id": self.id,
            "user_id": self.user_id,
            "created_at": self.created_at.isoformat(),
            "credentials_version": self.credentials_version,
            "current_hash": self.current_hash,
            "current_expires_at": self.current_expires_at.isoformat(),
            "generation": self.generation,
            "used_hashes": list(self.used_hashes),
            "rotated_at": iso(self.rotated_at),
            "revoked_at": iso(self.revoked_at),
            "revoked_reason": self.revoked_reason,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> TokenFamily:
        """Read back ``to_dict``'s form."""

        def when(value: str | None) -> datetime | None:
            return datetime.fromisoformat(value) if value else None

        return cls(
            id=raw["id"],
            user_id=raw["user_id"],
            created_at=datetime.fromisoformat(raw["created_at"]),
            credentials_version=int(raw["credentials_version"]),
            current_hash=raw["current_hash"],
            current_expires_at=datetime.fromisoformat(raw["current_expires_at"]),
            generation=int(raw.get("generation", 0)),
            used_hashes=tuple(raw.get("used_hashes", ())),
            rotated_at=when(raw.get("rotated_at")),
            revoked_at=when(raw.get("revoked_at")),
            revoked_reason=raw.get("revoked_reason"),
        )


@dataclass(frozen=True)
class TokenParts:
    """What a well-formed token names: whose it is and which family it belongs to."""

    user_id: str
    family_id: str


def format_token(user_id: str, family_id: str, secret: str) -> str:
    """The opaque token handed to the client once."""
    return f"{TOKEN_PREFIX}.{user_id}.{family_id}.{secret}"


def parse_token(token: str) -> TokenParts | None:
    """The user and family a token names, or None if it is not one of ours."""
    parts = token.split(".", 3) if isinstance(token, str) else []
    if len(parts) != 4 or parts[0] != TOKEN_PREFIX or not parts[3]:
        return None
    try:
        return TokenParts(str(uuid.UUID(parts[1])), str(uuid.UUID(parts[2])))
    except ValueError:
        return None


def hash_token(token: str) -> str:
    """SHA-256 (lowercase hex) of the whole token: all that commands and families carry."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def require_token_hash(value: str, name: str = "token_hash") -> str:
    """Refuse anything but a lowercase-hex SHA-256: a plaintext token must never be stored."""
    if not isinstance(value, str) or not _SHA256_HEX.match(value):
        raise ValueError(f"{name} must be a lowercase hex SHA-256, not a token or other text")
    return value
