"""The access-token signing keys on disk: loaded at start, created on the first one, and
re-read when an operator rotates them (``dafnck keys rotate``) while the edge runs.

Every edge replica reading the same directory picks the rotation up within
``DAFNCK_KEYS_RELOAD_S``: it signs with the new key from then on and keeps verifying tokens
of the retired one until they have expired. A replica asked to verify a token whose key it
does not know yet looks at the directory at once rather than waiting for its next check.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

from users_svc.api.signing.ring import RING_FILE, KeyRing, SigningKey

log = logging.getLogger("dafnck.users.keys")
Stamp = tuple[int, int, int]


class SigningRing(Protocol):
    """What the users routes need of a key ring: sign, publish, say which key is active."""

    @property
    def active(self) -> SigningKey:
        """The key new tokens are signed with."""

    def jwks(self) -> Mapping[str, Any]:
        """The public keys still verifying."""

    def sign(
        self,
        sub: str,
        *,
        audience: str | list[str],
        roles: Iterable[str] = (),
        scope: str | Iterable[str] | None = None,
        lifetime_s: int | None = None,
        not_before: int | None = None,
        jti: str | None = None,
        extra_claims: Mapping[str, Any] | None = None,
    ) -> str:
        """An access token signed by the active key."""


def _with_terms(ring: KeyRing, issuer: str, max_lifetime_s: int) -> KeyRing:
    if ring.issuer == issuer and ring.max_token_lifetime_s >= max_lifetime_s:
        return ring
    # The keys stay (tokens signed with them keep verifying); only the ring's terms change.
    lifetime = max(max_lifetime_s, ring.max_token_lifetime_s)
    return KeyRing(issuer, ring.keys, ring.active.kid, max_token_lifetime_s=lifetime)


def load_or_create_ring(keys_dir: Path, issuer: str, max_lifetime_s: int) -> KeyRing:
    """The ring in ``keys_dir`` (issuer and lifetime brought up to date), or a new saved one."""
    if not (keys_dir / RING_FILE).exists():
        ring = KeyRing.generate(issuer, max_token_lifetime_s=max_lifetime_s)
        ring.save(keys_dir)
        log.info("created a signing key", extra={"kid": ring.active.kid, "dir": str(keys_dir)})
        return ring
    loaded = KeyRing.load(keys_dir)
    loaded.prune()
    ring = _with_terms(loaded, issuer, max_lifetime_s)
    if ring is not loaded:
        ring.save(keys_dir)
    return ring


def _stamp(path: Path) -> Stamp | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size, info.st_ino)


class DiskRing:
    """A ``KeyRing`` kept in step with its directory: re-read when ``ring.json`` changes."""

    def __init__(
        self,
        keys_dir: Path,
        ring: KeyRing,
        *,
        check_every_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.keys_dir = keys_dir
        self.check_every_s = check_every_s
        self._clock = clock
        self._ring = ring
        self._issuer, self._lifetime_s = ring.issuer, ring.max_token_lifetime_s
        self._stamp = _stamp(keys_dir / RING_FILE)
        self._checked_at = clock()
        self._document: Mapping[str, Any] | None = None
        self._document_at = float("-inf")

    def current(self, *, now: bool = False) -> KeyRing:
        """The ring, re-read first if its file changed (looked at every few seconds, or now)."""
        moment = self._clock()
        if now or moment - self._checked_at >= self.check_every_s:
            self._checked_at = moment
            self._reload_if_changed()
        return self._ring

    def _reload_if_changed(self) -> None:
        stamp = _stamp(self.keys_dir / RING_FILE)
        if stamp is None or stamp == self._stamp:
            return
        try:
            loaded = KeyRing.load(self.keys_dir)
        except (OSError, ValueError, KeyError) as exc:
            # Keep signing with the ring we have; the next check tries again.
            log.warning("signing keys not reloaded", extra={"error": str(exc)})
            return
        self._ring = _with_terms(loaded, self._issuer, self._lifetime_s)
        self._stamp, self._document = stamp, None
        log.info("signing keys reloaded", extra={"kid": self._ring.active.kid})

    @property
    def active(self) -> SigningKey:
        """The key new tokens are signed with."""
        return self.current().active

    def jwks(self) -> Mapping[str, Any]:
        """The JWKS, the same object between checks (so verifiers reuse its parsed keys)."""
        ring = self.current()
        moment = self._clock()
        if self._document is None or moment - self._document_at >= self.check_every_s:
            self._document, self._document_at = ring.jwks(), moment
        return self._document

    def sign(self, sub: str, **options: Any) -> str:
        """An access token signed by the (current) active key (``KeyRing.sign``'s options)."""
        return self.current().sign(sub, **options)


class RingJwksProvider:
    """The edge's JWKS source when it signs itself: asked to refresh, it looks at the disk."""

    def __init__(self, ring: DiskRing) -> None:
        self._ring = ring

    async def __call__(self, *, refresh: bool = False) -> Mapping[str, Any]:
        """The JWKS; ``refresh`` (an unknown kid) re-reads a rotated ring at once."""
        if refresh:
            self._ring.current(now=True)
        return self._ring.jwks()
