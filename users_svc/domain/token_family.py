"""Refresh-token families: the stored state, the token format, hashing and sealing.

A token reads ``dkr.<family_id>.<secret>``. The family id is the lookup key (not secret);
the secret is ``token_urlsafe(32)``. Only ``sha256(token)`` is stored. The one exception to
"plaintext is never stored" is the grace window's *sealed successor*: the newest token
XOR-ed with a keystream derived from its predecessor's plaintext, which the server does
not have. Only someone presenting the predecessor can open it, so the stored state alone
(a table dump, the changelog topic) never yields a usable token.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

TOKEN_PREFIX = "dkr"
_SEAL_LABEL = b"dafnck refresh-token grace seal v1\x00"


@dataclass(frozen=True)
class TokenPolicy:
    """Lifetimes and limits of refresh tokens."""

    ttl: timedelta = timedelta(days=7)  # each token lives 7 days from its issue (sliding)
    grace: timedelta = timedelta(seconds=10)  # retry window after a rotation
    remember_used: int = 100  # used-token hashes kept per family for reuse detection
    secret_bytes: int = 32
    family_id_bytes: int = 12


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
    previous_hash: str | None = None  # the token ``current`` replaced
    rotated_at: datetime | None = None
    sealed_successor: str | None = None  # hex; see the module docstring
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
            "previous_hash": self.previous_hash,
            "rotated_at": iso(self.rotated_at),
            "sealed_successor": self.sealed_successor,
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
            previous_hash=raw.get("previous_hash"),
            rotated_at=when(raw.get("rotated_at")),
            sealed_successor=raw.get("sealed_successor"),
            revoked_at=when(raw.get("revoked_at")),
            revoked_reason=raw.get("revoked_reason"),
        )


def format_token(family_id: str, secret: str) -> str:
    """The opaque token handed to the client once."""
    return f"{TOKEN_PREFIX}.{family_id}.{secret}"


def family_id_of(token: str) -> str | None:
    """The family id a token names (the lookup key), or None if it is not one of ours."""
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1]


def hash_token(token: str) -> str:
    """SHA-256 (hex) of the whole token: what the family stores instead of the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _keystream(key_token: str, length: int) -> bytes:
    # SHAKE-256 as a one-time pad generator: each predecessor seals exactly one successor,
    # so a keystream is never reused.
    return hashlib.shake_256(_SEAL_LABEL + key_token.encode("utf-8")).digest(length)


def seal(successor: str, key_token: str) -> str:
    """The successor, readable only with ``key_token`` (its predecessor's plaintext)."""
    data = successor.encode("utf-8")
    return bytes(a ^ b for a, b in zip(data, _keystream(key_token, len(data)), strict=True)).hex()


def unseal(sealed: str, key_token: str) -> str | None:
    """Open a sealed successor; None when the key is wrong or the value is damaged."""
    try:
        data = bytes.fromhex(sealed)
        return bytes(
            a ^ b for a, b in zip(data, _keystream(key_token, len(data)), strict=True)
        ).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
