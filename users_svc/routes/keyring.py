"""The access-token signing keys on disk: loaded at start, created on the first one."""

from __future__ import annotations

import logging
from pathlib import Path

from edge.auth.keys import RING_FILE, KeyRing

log = logging.getLogger("dafnck.users.keys")


def load_or_create_ring(keys_dir: Path, issuer: str, max_lifetime_s: int) -> KeyRing:
    """The ring in ``keys_dir`` (issuer and lifetime brought up to date), or a new saved one."""
    if not (keys_dir / RING_FILE).exists():
        ring = KeyRing.generate(issuer, max_token_lifetime_s=max_lifetime_s)
        ring.save(keys_dir)
        log.info("created a signing key", extra={"kid": ring.active.kid, "dir": str(keys_dir)})
        return ring
    ring = KeyRing.load(keys_dir)
    ring.prune()
    if ring.issuer != issuer or ring.max_token_lifetime_s < max_lifetime_s:
        # The keys stay (tokens signed with them keep verifying); only the ring's terms change.
        ring = KeyRing(
            issuer,
            ring.keys,
            ring.active.kid,
            max_token_lifetime_s=max(max_lifetime_s, ring.max_token_lifetime_s),
        )
        ring.save(keys_dir)
    return ring
