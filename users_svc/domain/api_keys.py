"""Service-account API keys: ``dk_<prefix8>_<secret>``, shown once, stored as SHA-256.

The 8-character prefix is the public lookup id (the table key); only ``sha256(secret)``
is stored. A key's scopes must be a subset of its owner's permissions when issued, and a
request is allowed only if both the scopes and the owner's *current* permissions allow it,
so a key shrinks when its owner loses a role. Prefixes are 32 random bits: the caller
must check the table for the new prefix and issue again on the rare collision.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from users_svc.domain.errors import DomainError, require_aware
from users_svc.domain.profile import clean_uuid
from users_svc.domain.rbac import parse_permission, permissions_allow, permissions_cover

KEY_PREFIX = "dk"
PREFIX_LENGTH = 8
NAME_MAX = 100
_PREFIX = re.compile(r"^[a-z0-9]{8}$")
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
# Compared against when no key has the presented prefix, so misses take as long as hits.
_DUMMY_HASH = hashlib.sha256(b"no such api key").hexdigest()


@dataclass(frozen=True)
class ApiKey:
    """The stored half of an API key (no secret in it)."""

    prefix: str
    owner_id: str
    name: str
    scopes: tuple[str, ...]
    secret_hash: str
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the table."""
        return {
            "prefix": self.prefix,
            "owner_id": self.owner_id,
            "name": self.name,
            "scopes": list(self.scopes),
            "secret_hash": self.secret_hash,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ApiKey:
        """Read back ``to_dict``'s form."""
        def when(value: str | None) -> datetime | None:
            return datetime.fromisoformat(value) if value else None

        return cls(
            prefix=raw["prefix"],
            owner_id=raw["owner_id"],
            name=raw["name"],
            scopes=tuple(raw["scopes"]),
            secret_hash=raw["secret_hash"],
            created_at=datetime.fromisoformat(raw["created_at"]),
            expires_at=when(raw.get("expires_at")),
            revoked_at=when(raw.get("revoked_at")),
        )


@dataclass(frozen=True)
class IssuedApiKey:
    """A new key: the record to store and the plaintext to show exactly once."""

    record: ApiKey
    key: str


def hash_secret(secret: str) -> str:
    """SHA-256 (hex) of a key's secret part (keys are random, so no slow hash is needed)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def parse_api_key(key: str) -> tuple[str, str] | None:
    """``(prefix, secret)`` of a well-formed key, else None (the secret may contain ``_``)."""
    if not isinstance(key, str):
        return None
    head = f"{KEY_PREFIX}_"
    prefix = key[len(head) : len(head) + PREFIX_LENGTH]
    rest = key[len(head) + PREFIX_LENGTH :]
    if not key.startswith(head) or not _PREFIX.match(prefix) or len(rest) < 2 or rest[0] != "_":
        return None
    return prefix, rest[1:]


def _clean_name(name: str) -> str:
    cleaned = name.strip() if isinstance(name, str) else ""
    if not cleaned or len(cleaned) > NAME_MAX:
        raise DomainError(
            "invalid_name", f"Name the key (1 to {NAME_MAX} characters).", "name"
        )
    return cleaned


def _parse_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    cleaned = sorted({str(parse_permission(s, field="scopes")) for s in scopes})
    if not cleaned:
        raise DomainError("scopes_required", "Give the key at least one scope.", "scopes")
    return tuple(cleaned)


def _clean_scopes(scopes: Iterable[str], owner_permissions: Iterable[str]) -> tuple[str, ...]:
    owned = list(owner_permissions)
    cleaned = _parse_scopes(scopes)
    for scope in cleaned:
        if not permissions_cover(owned, scope):
            raise DomainError(
                "scope_exceeds_owner",
                f"The key cannot have {scope!r}: its owner does not hold that permission.",
                "scopes",
            )
    return cleaned


def issue_api_key(
    *,
    owner_id: str,
    name: str,
    scopes: Iterable[str],
    owner_permissions: Iterable[str],
    now: datetime,
    expires_at: datetime | None = None,
    prefix_factory: Callable[[int], str] = secrets.token_hex,
    secret_factory: Callable[[int], str] = secrets.token_urlsafe,
) -> IssuedApiKey:
    """Mint a key whose scopes are within ``owner_permissions`` (see ``rbac``)."""
    require_aware(now)
    owner_id = clean_uuid(owner_id, "owner_id")
    name = _clean_name(name)
    cleaned_scopes = _clean_scopes(scopes, owner_permissions)
    if expires_at is not None and require_aware(expires_at, "expires_at") <= now:
        raise DomainError("invalid_expiry", "Expiry must be in the future.", "expires_at")
    prefix = prefix_factory(PREFIX_LENGTH // 2)
    if not _PREFIX.match(prefix):
        raise ValueError(f"prefix_factory must give {PREFIX_LENGTH} lowercase hex characters")
    secret = secret_factory(32)
    record = ApiKey(
        prefix=prefix,
        owner_id=owner_id,
        name=name,
        scopes=cleaned_scopes,
        secret_hash=hash_secret(secret),
        created_at=now,
        expires_at=expires_at,
    )
    return IssuedApiKey(record, f"{KEY_PREFIX}_{prefix}_{secret}")


def stored_api_key(
    *,
    prefix: str,
    owner_id: str,
    name: str,
    scopes: Iterable[str],
    secret_hash: str,
    now: datetime,
    expires_at: datetime | None = None,
) -> ApiKey:
    """The record of a key minted elsewhere (the edge), which also checked the owner's rights."""
    require_aware(now)
    if not isinstance(prefix, str) or not _PREFIX.match(prefix):
        raise DomainError(
            "invalid_key_id", f"A key id is {PREFIX_LENGTH} lowercase letters or digits.", "key_id"
        )
    if not isinstance(secret_hash, str) or not _SHA256_HEX.match(secret_hash):
        raise DomainError(
            "invalid_secret_hash", "The secret hash is 64 lowercase hex digits.", "secret_hash"
        )
    if expires_at is not None and require_aware(expires_at, "expires_at") <= now:
        raise DomainError("invalid_expiry", "Expiry must be in the future.", "expires_at")
    return ApiKey(
        prefix=prefix,
        owner_id=clean_uuid(owner_id, "owner_id"),
        name=_clean_name(name),
        scopes=_parse_scopes(scopes),
        secret_hash=secret_hash,
        created_at=now,
        expires_at=expires_at,
    )


def is_usable(record: ApiKey, *, now: datetime) -> bool:
    """Neither revoked nor expired."""
    require_aware(now)
    return record.revoked_at is None and (record.expires_at is None or now < record.expires_at)


def verify_api_key(record: ApiKey | None, presented: str, *, now: datetime) -> bool:
    """True when the key matches ``record`` (looked up by prefix), unrevoked and unexpired."""
    require_aware(now)
    parsed = parse_api_key(presented)
    secret = parsed[1] if parsed else presented if isinstance(presented, str) else ""
    expected = record.secret_hash if record is not None else _DUMMY_HASH
    # Always hash and compare, so a wrong prefix costs as much as a wrong secret.
    matches = hmac.compare_digest(hash_secret(secret), expected)
    if record is None or parsed is None or not matches:
        return False
    if not hmac.compare_digest(parsed[0], record.prefix):
        return False
    if record.revoked_at is not None:
        return False
    return record.expires_at is None or now < record.expires_at


def api_key_allows(
    record: ApiKey,
    owner_permissions: Iterable[str],
    resource: str,
    action: str,
    *,
    owns: bool = False,
) -> bool:
    """True when both the key's scopes and its owner's current permissions allow it."""
    return permissions_allow(record.scopes, resource, action, owns) and permissions_allow(
        owner_permissions, resource, action, owns
    )


def revoke_api_key(record: ApiKey, *, now: datetime) -> ApiKey:
    """The key stops working; revoking twice keeps the first time."""
    require_aware(now)
    return record if record.revoked_at is not None else replace(record, revoked_at=now)
