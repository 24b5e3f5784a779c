"""Refresh-token rotation with reuse detection and a retry grace window.

Every refresh rotates: the presented token is marked used and a new one is issued in the
same family. Presenting a used token means two parties hold the chain (the client and a
thief), and we cannot tell which is which, so the whole family is revoked.

Grace window. A client whose refresh reached the server but whose response was lost
retries with the same, now used, token. Within ``policy.grace`` (10 s) of that rotation,
presenting the *immediate predecessor* of the current token returns the same successor
again (``RetryWithinGrace``) instead of revoking. Design points:
- only the immediate predecessor qualifies, and only while its successor is still unused:
  once the successor is rotated, the predecessor is two steps back and any use is reuse;
- the window counts from the rotation, not from the first retry, so retries cannot
  stretch it;
- nothing new is minted in the window, so a thief racing the client gets the *same*
  token, not a fork: whichever of them refreshes second is caught as reuse;
- the successor is not stored in plaintext: it is sealed under the predecessor's
  plaintext (``token_family.seal``), which only the presenter has.
Order of checks: unknown token, revoked family, stale credentials, current token
(expiry, then rotate), grace retry, reuse.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from users_svc.domain.errors import require_aware
from users_svc.domain.token_family import (
    DEFAULT_POLICY,
    TokenFamily,
    TokenPolicy,
    family_id_of,
    format_token,
    hash_token,
    seal,
    unseal,
)

TokenFactory = Callable[[int], str]
REUSE_DETECTED = "reuse_detected"
LOGOUT = "logout"
LOGOUT_EVERYWHERE = "logout_everywhere"
CREDENTIALS_CHANGED = "credentials_changed"
EXPIRED = "expired"


@dataclass(frozen=True)
class Issued:
    """A new family and its first token (show the token once; store only the family)."""

    family: TokenFamily
    token: str


@dataclass(frozen=True)
class Rotated:
    """The token was current: here is its successor."""

    family: TokenFamily
    token: str


@dataclass(frozen=True)
class RetryWithinGrace:
    """The token was just rotated: the same successor again, family unchanged."""

    family: TokenFamily
    token: str


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
    """The token is malformed or not one this family issued; nothing changed."""

    family: TokenFamily | None = None


RefreshOutcome = Rotated | RetryWithinGrace | ReuseDetected | Expired | Revoked | Unknown


def start_family(
    user_id: str,
    *,
    now: datetime,
    credentials_version: int,
    policy: TokenPolicy = DEFAULT_POLICY,
    token_factory: TokenFactory = secrets.token_urlsafe,
) -> Issued:
    """Open a family at login and mint its first token."""
    require_aware(now)
    family_id = token_factory(policy.family_id_bytes).replace(".", "")
    token = format_token(family_id, token_factory(policy.secret_bytes))
    family = TokenFamily(
        id=family_id,
        user_id=user_id,
        created_at=now,
        credentials_version=credentials_version,
        current_hash=hash_token(token),
        current_expires_at=now + policy.ttl,
    )
    return Issued(family, token)


def revoke_family(family: TokenFamily, *, now: datetime, reason: str) -> TokenFamily:
    """The family ended for ``reason``; an already ended family keeps its first reason."""
    if family.is_revoked:
        return family
    return replace(family, revoked_at=now, revoked_reason=reason, sealed_successor=None)


def _rotate(
    family: TokenFamily, presented: str, now: datetime, policy: TokenPolicy,
    token_factory: TokenFactory,
) -> Rotated:
    successor = format_token(family.id, token_factory(policy.secret_bytes))
    used = (*family.used_hashes, family.current_hash)[-policy.remember_used :]
    rotated = replace(
        family,
        current_hash=hash_token(successor),
        current_expires_at=now + policy.ttl,
        generation=family.generation + 1,
        used_hashes=used,
        previous_hash=family.current_hash,
        rotated_at=now,
        sealed_successor=seal(successor, presented),
    )
    return Rotated(rotated, successor)


def _grace_retry(
    family: TokenFamily, presented_hash: str, presented: str, now: datetime,
    policy: TokenPolicy,
) -> RetryWithinGrace | None:
    if presented_hash != family.previous_hash or family.rotated_at is None:
        return None
    # A clock that stepped back (failover) reads as "just rotated", which is the safe side.
    if now - family.rotated_at > policy.grace or family.sealed_successor is None:
        return None
    successor = unseal(family.sealed_successor, presented)
    if successor is None or hash_token(successor) != family.current_hash:
        return None
    return RetryWithinGrace(family, successor)


def refresh(
    family: TokenFamily | None,
    presented: str,
    *,
    now: datetime,
    credentials_version: int,
    policy: TokenPolicy = DEFAULT_POLICY,
    token_factory: TokenFactory = secrets.token_urlsafe,
) -> RefreshOutcome:
    """Use a refresh token (``credentials_version``: the user's current one)."""
    require_aware(now)
    if family is None or family_id_of(presented) != family.id:
        return Unknown(family)
    presented_hash = hash_token(presented)
    if not family.knows(presented_hash):
        # A guessed or foreign token must not be able to revoke someone's session.
        return Unknown(family)
    if family.is_revoked:
        return Revoked(family, family.revoked_reason or "revoked")
    if family.credentials_version < credentials_version:
        return Revoked(revoke_family(family, now=now, reason=CREDENTIALS_CHANGED),
                       CREDENTIALS_CHANGED)
    if presented_hash == family.current_hash:
        if now >= family.current_expires_at:
            return Expired(revoke_family(family, now=now, reason=EXPIRED))
        return _rotate(family, presented, now, policy, token_factory)
    retry = _grace_retry(family, presented_hash, presented, now, policy)
    if retry is not None:
        return retry
    return ReuseDetected(revoke_family(family, now=now, reason=REUSE_DETECTED))


def logout(family: TokenFamily | None, presented: str, *, now: datetime) -> Revoked | Unknown:
    """End the family the token belongs to (any token it issued proves the session)."""
    require_aware(now)
    if family is None or family_id_of(presented) != family.id:
        return Unknown(family)
    if not family.knows(hash_token(presented)):
        return Unknown(family)
    ended = revoke_family(family, now=now, reason=LOGOUT)
    return Revoked(ended, ended.revoked_reason or LOGOUT)


def revoke_all(
    families: Iterable[TokenFamily], *, now: datetime, reason: str = LOGOUT_EVERYWHERE
) -> list[TokenFamily]:
    """Log out everywhere: every family of the user ends."""
    require_aware(now)
    return [revoke_family(f, now=now, reason=reason) for f in families]


def revoke_stale(
    families: Iterable[TokenFamily], *, credentials_version: int, now: datetime
) -> list[TokenFamily]:
    """After a password change: end every family issued under an older credentials version."""
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
