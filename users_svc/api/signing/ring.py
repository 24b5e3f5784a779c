"""RS256 signing keys: RFC 7638 kids, access-token signing, the public JWKS, rotation, storage.

Signing belongs to the users service; the edge only verifies (``edge.auth.verify`` does not
import this module). A ring on disk is ``ring.json`` plus one PKCS#8 PEM per key, ``<kid>.pem``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ALGORITHM = "RS256"
TOKEN_TYPE = "at+jwt"  # RFC 9068: lets verifiers refuse other JWTs signed by the same key
KEY_BITS = 2048
RING_FILE = "ring.json"
_REGISTERED = frozenset({"iss", "aud", "sub", "exp", "iat", "nbf", "jti", "roles", "scope"})

Clock = Callable[[], float]


def _b64u(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64uint(value: int) -> str:
    return _b64u(value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big"))


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 SHA-256 thumbprint of an RSA JWK, base64url without padding."""
    # Only the required members, lexicographic order, no whitespace: that is what makes it stable.
    canonical = json.dumps(
        {"e": jwk["e"], "kty": jwk["kty"], "n": jwk["n"]}, separators=(",", ":"), sort_keys=True
    )
    return _b64u(hashlib.sha256(canonical.encode("utf-8")).digest())


@dataclass
class SigningKey:
    """One RSA key of the ring; ``retire_at`` is set once a newer key has replaced it."""

    private_key: rsa.RSAPrivateKey
    created_at: float
    retire_at: float | None = None
    kid: str = field(init=False)

    def __post_init__(self) -> None:
        # The key id is the RFC 7638 thumbprint of the public key.
        self.kid = jwk_thumbprint(self._public_members())

    @classmethod
    def generate(cls, now: float) -> SigningKey:
        """A fresh RSA-2048 key."""
        return cls(rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS), now)

    def _public_members(self) -> dict[str, str]:
        numbers = self.private_key.public_key().public_numbers()
        return {"kty": "RSA", "n": _b64uint(numbers.n), "e": _b64uint(numbers.e)}

    def public_jwk(self) -> dict[str, str]:
        """The public half as a JWK, with ``kid``, ``use`` and ``alg``."""
        return {**self._public_members(), "kid": self.kid, "use": "sig", "alg": ALGORITHM}


class KeyRing:
    """Signs access tokens with the active key and publishes every key still verifying."""

    def __init__(
        self,
        issuer: str,
        keys: Iterable[SigningKey],
        active_kid: str,
        *,
        max_token_lifetime_s: int = 900,
        clock: Clock = time.time,
    ) -> None:
        self.issuer = issuer
        self.max_token_lifetime_s = max_token_lifetime_s
        self._keys = {key.kid: key for key in keys}
        if active_kid not in self._keys:
            raise ValueError(f"active key {active_kid!r} is not in the ring")
        self._active = active_kid
        self._clock = clock

    @classmethod
    def generate(
        cls, issuer: str, *, max_token_lifetime_s: int = 900, clock: Clock = time.time
    ) -> KeyRing:
        """A ring with one new active key."""
        key = SigningKey.generate(clock())
        return cls(issuer, [key], key.kid, max_token_lifetime_s=max_token_lifetime_s, clock=clock)

    @property
    def active(self) -> SigningKey:
        """The key new tokens are signed with."""
        return self._keys[self._active]

    @property
    def keys(self) -> list[SigningKey]:
        """Every key held, the active one first."""
        return sorted(self._keys.values(), key=lambda k: (k.kid != self._active, -k.created_at))

    def rotate(self) -> str:
        """Make a new key active; the old one verifies until its tokens can no longer be live."""
        now = self._clock()
        self.active.retire_at = now + self.max_token_lifetime_s
        key = SigningKey.generate(now)
        self._keys[key.kid] = key
        self._active = key.kid
        self.prune()
        return key.kid

    def prune(self) -> list[str]:
        """Drop keys past their retire time; returns their kids."""
        now = self._clock()
        gone = [
            k.kid for k in self._keys.values() if k.retire_at is not None and k.retire_at <= now
        ]
        for kid in gone:
            del self._keys[kid]
        return gone

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The public JWKS document: the active key and every not-yet-retired one."""
        now = self._clock()
        live = [k for k in self.keys if k.retire_at is None or k.retire_at > now]
        return {"keys": [k.public_jwk() for k in live]}

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
        """An RS256 access token for ``sub`` signed by the active key."""
        lifetime = self.max_token_lifetime_s if lifetime_s is None else lifetime_s
        if not 0 < lifetime <= self.max_token_lifetime_s:
            # A longer token would outlive its key's retirement after a rotation.
            raise ValueError(f"lifetime must be in 1..{self.max_token_lifetime_s} s")
        clash = _REGISTERED & set(extra_claims or {})
        if clash:
            raise ValueError(f"extra claims may not override {sorted(clash)}")
        now = int(self._clock())
        claims: dict[str, Any] = {
            **(extra_claims or {}),
            "iss": self.issuer,
            "aud": audience,
            "sub": sub,
            "iat": now,
            "nbf": now if not_before is None else not_before,
            "exp": now + lifetime,
            "jti": jti or uuid.uuid4().hex,
            "roles": sorted(set(roles)),
        }
        if scope is not None:
            claims["scope"] = scope if isinstance(scope, str) else " ".join(scope)
        headers = {"kid": self._active, "typ": TOKEN_TYPE}
        return jwt.encode(claims, self.active.private_key, algorithm=ALGORITHM, headers=headers)

    def save(self, directory: str | Path, passphrase: bytes | None = None) -> None:
        """Write the ring (JSON) and its private keys (PEM, mode 0600) into ``directory``."""
        root = Path(directory)
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(passphrase)
            if passphrase
            else serialization.NoEncryption()
        )
        for key in self._keys.values():
            pem = key.private_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
            )
            _write_atomically(root / f"{key.kid}.pem", pem)
        meta = {
            "version": 1,
            "issuer": self.issuer,
            "max_token_lifetime_s": self.max_token_lifetime_s,
            "active": self._active,
            "keys": [
                {"kid": k.kid, "created_at": k.created_at, "retire_at": k.retire_at}
                for k in self.keys
            ],
        }
        # The index is replaced last, so a crash mid-save leaves the previous ring loadable.
        _write_atomically(root / RING_FILE, json.dumps(meta, indent=2).encode("utf-8"))
        for stale in root.glob("*.pem"):
            if stale.stem not in self._keys:
                stale.unlink()

    @classmethod
    def load(
        cls, directory: str | Path, passphrase: bytes | None = None, *, clock: Clock = time.time
    ) -> KeyRing:
        """Read a ring written by ``save``; a PEM whose thumbprint is not its kid is refused."""
        root = Path(directory)
        meta = json.loads((root / RING_FILE).read_text("utf-8"))
        keys = []
        for entry in meta["keys"]:
            private = serialization.load_pem_private_key(
                (root / f"{entry['kid']}.pem").read_bytes(), password=passphrase
            )
            if not isinstance(private, rsa.RSAPrivateKey):
                raise ValueError(f"key {entry['kid']} is not an RSA key")
            key = SigningKey(private, float(entry["created_at"]), entry.get("retire_at"))
            if key.kid != entry["kid"]:
                raise ValueError(f"key file {entry['kid']}.pem holds a different key")
            keys.append(key)
        return cls(
            meta["issuer"],
            keys,
            meta["active"],
            max_token_lifetime_s=int(meta["max_token_lifetime_s"]),
            clock=clock,
        )


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)  # so O_CREAT applies 0600 rather than keeping an old mode
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
