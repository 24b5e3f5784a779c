"""Refresh-token rotation with reuse detection, on token *hashes* only.

Every refresh rotates: the presented token is marked used and the edge's new token becomes
the family's current one. Presenting a used token means two parties hold the chain (the
client and a thief), and we cannot tell which is which, so the whole family is revoked.

The service never sees a token, only ``token_family.hash_token`` of it. A client retrying a
refresh whose answer was lost is the edge's business: it keeps the answer for a short grace
window and replays it without a command, so every used hash that reaches this module is
reuse. Order of checks: unknown token, revoked family, stale credentials, current token
(expiry, then rotate), reuse.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from users_svc.domain.errors import require_aware
from users_svc.domain.token_family import (
    DEFAULT_POLICY,
    TokenFamily,
    TokenPolicy,
    require_token_hash,
)

REUSE_DETECTED = "reuse_detected"
LOGOUT = "logout"
LOGOUT_EVERYWHERE = "logout_everywhere"
CREDENTIALS_CHANGED = "credentials_changed"
EXPIRED = "expired"


@dataclass(frozen=True)
class Rotated:
    """The token was current: its successor is now the family's current token."""

    family: TokenFamily


@dataclass(frozen=True)
class ReuseDetected:
    """A used token came back: the family is now revoked."""

    family: TokenFamily


@dataclass(frozen=True)
class Expired:
    """The token's lifetime ran out: the family is now closed."""

    family: TokenFamily


@dataclass(frozen=True)
class Revoked:
    """The family was already ended (logout, credentials change, reuse...)."""

    family: TokenFamily
    reason: str


@dataclass(frozen=True)
class Unknown:
    """The hash is not one this family issued (or there is no family); nothing changed."""

    family: TokenFamily | None = None


RefreshOutcome = Rotated | ReuseDetected | Expired | Revoked | Unknown


def start_family(
    user_id: str,
    family_id: str,
    token_hash: str,
    *,
    now: datetime,
    credentials_version: int,
    policy: TokenPolicy = DEFAULT_POLICY,
) -> TokenFamily:
    """Open a family at login whose first token has ``token_hash``."""
    require_aware(now)
    return TokenFamily(
        id=family_id,
        user_id=user_id,
        created_at=now,
        credentials_version=credentials_version,
        current_hash=require_token_hash(token_hash),
        current_expires_at=now + policy.ttl,
    )


def revoke_family(family: TokenFamily, *, now: datetime, reason: str) -> TokenFamily:
    """The family ended for ``reason``; an already ended family keeps its first reason."""
    if family.is_revoked:
        return family
    return replace(family, revoked_at=now, revoked_reason=reason)


def refresh(
    family: TokenFamily | None,
    presented_hash: str,
    new_hash: str,
    *,
    now: datetime,
    credentials_version: int,
    policy: TokenPolicy = DEFAULT_POLICY,
) -> RefreshOutcome:
    """Use the token hashed ``presented_hash``, rotating to ``new_hash`` when it is current."""
    require_aware(now)
    require_token_hash(presented_hash, "presented_hash")
    require_token_hash(new_hash, "new_hash")
    # A guessed or foreign hash must not be able to revoke someone's session; and a
    # successor the family already issued would let a used token come back to life.
    if family is None or not family.knows(presented_hash) or family.knows(new_hash):
        return Unknown(family)
    if family.is_revoked:
        return Revoked(family, family.revoked_reason or "revoked")
    if family.credentials_version < credentials_version:
        stale = revoke_family(family, now=now, reason=CREDENTIALS_CHANGED)
        return Revoked(stale, CREDENTIALS_CHANGED)
    if presented_hash == family.current_hash:
        if now >= family.current_expires_at:
            return Expired(revoke_family(family, now=now, reason=EXPIRED))
        used = (*family.used_hashes, family.current_hash)[-policy.remember_used :]
        rotated = replace(
            family,
            current_hash=new_hash,
            current_expires_at=now + policy.ttl,
            generation=family.generation + 1,
            used_hashes=used,
            rotated_at=now,
        )
        return Rotated(rotated)
    return ReuseDetected(revoke_family(family, now=now, reason=REUSE_DETECTED))


def logout(family: TokenFamily, *, now: datetime) -> TokenFamily:
    """End one family (the caller proved the session: the edge checked its access token)."""
    require_aware(now)
    return revoke_family(family, now=now, reason=LOGOUT)


def revoke_all(
    families: Iterable[TokenFamily], *, now: datetime, reason: str = LOGOUT_EVERYWHERE
) -> list[TokenFamily]:
    """Log out everywhere: every family of the user ends."""
    require_aware(now)
    return [revoke_family(f, now=now, reason=reason) for f in families]


def revoke_stale(
    families: Iterable[TokenFamily], *, credentials_version: int, now: datetime
) -> list[TokenFamily]:
    """After a credentials change: end every family issued under an older version."""
    require_aware(now)
    return [
        revoke_family(f, now=now, reason=CREDENTIALS_CHANGED)
        if f.credentials_version < credentials_version
        else f
        for f in families
    ]


def prune(families: Iterable[TokenFamily], *, now: datetime) -> list[TokenFamily]:
    """Drop families whose newest token expired; ended ones stay until then (told Revoked)."""
    require_aware(now)
    return [f for f in families if now < f.current_expires_at]
