"""Agent connection keys: ``dka_<key_id>_<secret>``, shown once, stored as SHA-256.

The 8-character key id is the public lookup id (``agents.agent_keys``' key, and what the
schemas allow); only ``sha256(secret)`` leaves the edge. The secret is 256 random bits, so
a fast hash is enough. Key ids are 32 random bits: the edge checks the read model for a new
id and mints again on the rare clash.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

KEY_PREFIX = "dka"
KEY_ID_LENGTH = 8
SECRET_BYTES = 32
_KEY_ID = re.compile(r"^[a-z0-9]{8}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
# Compared against when no key has the presented id, so misses take as long as hits.
_DUMMY_HASH = hashlib.sha256(b"no such agent key").hexdigest()


class MalformedAgentKey(ValueError):
    """The text is not an agent key (``dka_<8 lowercase letters or digits>_<secret>``)."""


@dataclass(frozen=True)
class MintedAgentKey:
    """A new key: its id, the hash to store, and the plaintext to show exactly once."""

    key_id: str
    secret_hash: str
    api_key: str


def is_key_id(text: str) -> bool:
    """True for a well-formed key id (8 lowercase letters or digits)."""
    return isinstance(text, str) and _KEY_ID.match(text) is not None


def hash_secret(secret: str) -> str:
    """SHA-256 (hex) of a key's secret part."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def mint_agent_key(
    *,
    key_id_factory: Callable[[int], str] = secrets.token_hex,
    secret_factory: Callable[[int], str] = secrets.token_urlsafe,
) -> MintedAgentKey:
    """A fresh key: a random 8-character id and a 256-bit URL-safe secret."""
    key_id = key_id_factory(KEY_ID_LENGTH // 2)
    if not is_key_id(key_id):
        raise ValueError(f"key_id_factory must give {KEY_ID_LENGTH} lowercase hex characters")
    secret = secret_factory(SECRET_BYTES)
    return MintedAgentKey(key_id, hash_secret(secret), f"{KEY_PREFIX}_{key_id}_{secret}")


def parse_agent_key(key: str) -> tuple[str, str]:
    """``(key_id, secret)`` of a well-formed key; MalformedAgentKey saying what is wrong."""
    if not isinstance(key, str) or not key.startswith(f"{KEY_PREFIX}_"):
        raise MalformedAgentKey(f"an agent key starts with {KEY_PREFIX}_")
    rest = key[len(KEY_PREFIX) + 1 :]
    key_id, secret = rest[:KEY_ID_LENGTH], rest[KEY_ID_LENGTH + 1 :]
    if not is_key_id(key_id) or rest[KEY_ID_LENGTH : KEY_ID_LENGTH + 1] != "_":
        raise MalformedAgentKey(
            f"an agent key is {KEY_PREFIX}_<{KEY_ID_LENGTH} lowercase letters or digits>_<secret>"
        )
    # The secret itself may contain "_" (URL-safe base64): everything after the id is it.
    if not _SECRET.match(secret):
        raise MalformedAgentKey("the agent key's secret part is malformed")
    return key_id, secret


def secret_matches(secret: str, stored_hash: str | None) -> bool:
    """Constant-time check of a secret against the stored hash (None: no such key)."""
    expected = stored_hash if stored_hash is not None else _DUMMY_HASH
    # Always hash and compare, so an unknown key id costs as much as a wrong secret.
    matches = hmac.compare_digest(hash_secret(secret), expected)
    return matches and stored_hash is not None
