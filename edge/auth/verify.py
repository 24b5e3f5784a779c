"""Local verification of RS256 access tokens against a JWKS (no call to the issuer per request)."""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from streams.http.jwks import Jwks, JwksProvider, JwksUnavailable
from streams.http.principal import Principal

log = logging.getLogger("dafnck.edge.auth")

ALGORITHM = "RS256"
MIN_KEY_BITS = 2048
_REQUIRED = ["iss", "aud", "sub", "jti", "exp", "iat"]
_MAX_TOKEN_CHARS = 8192


class InvalidToken(Exception):
    """A refused token; ``description`` is safe to send back in ``WWW-Authenticate``."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


def _b64u_int(value: object) -> int:
    if not isinstance(value, str):
        raise ValueError("not a base64url string")
    return int.from_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")


def _rsa_key(jwk: Mapping[str, Any]) -> rsa.RSAPublicKey:
    if jwk.get("kty") != "RSA" or jwk.get("use", "sig") != "sig":
        raise ValueError("not an RSA signing key")
    if jwk.get("alg", ALGORITHM) != ALGORITHM:
        raise ValueError(f"key is for {jwk.get('alg')}")
    # Only n and e are read: a private member published by mistake is never used.
    key = rsa.RSAPublicNumbers(_b64u_int(jwk.get("e")), _b64u_int(jwk.get("n"))).public_key()
    if key.key_size < MIN_KEY_BITS:
        raise ValueError(f"{key.key_size}-bit key is too short")
    return key


def _strings(value: object, claim: str) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset(value.split())
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return frozenset(value)
    raise InvalidToken(f"claim '{claim}' is malformed")


def _optional_string(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise InvalidToken(f"claim '{name}' is malformed")
    return value


def _timestamp(claims: Mapping[str, Any], name: str) -> int:
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidToken(f"claim '{name}' is not a number")
    return int(value)


class TokenVerifier:
    """Verifies access tokens locally: RS256 only, a known ``kid``, issuer, audience and times."""

    def __init__(
        self,
        jwks_provider: JwksProvider,
        issuer: str,
        audience: str,
        leeway_s: float = 30,
        *,
        refresh_interval_s: float = 60.0,
        token_type: str | None = "at+jwt",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._provider = jwks_provider
        self.issuer = issuer
        self.audience = audience
        self.leeway_s = leeway_s
        self._refresh_interval_s = refresh_interval_s
        self._token_type = token_type
        self._clock = clock
        self._document: Jwks | None = None
        self._keys: dict[str, rsa.RSAPublicKey] = {}
        self._last_refresh = float("-inf")
        self._refresh_lock = asyncio.Lock()

    async def verify(self, token: str) -> Principal:
        """The principal of a valid token; raises ``InvalidToken`` or ``JwksUnavailable``."""
        if len(token) > _MAX_TOKEN_CHARS:
            raise InvalidToken("token too long")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise InvalidToken("malformed token") from exc
        # Pinning the algorithm before any key is chosen is what defeats alg=none and
        # HS256-keyed-with-the-public-key forgeries.
        if header.get("alg") != ALGORITHM:
            raise InvalidToken("unsupported algorithm")
        typ = str(header.get("typ", "")).lower().removeprefix("application/")
        if self._token_type is not None and typ != self._token_type:
            raise InvalidToken("not an access token")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("token has no key id")
        key = await self._key(kid)
        if key is None:
            raise InvalidToken("unknown signing key")
        claims = self._decode(token, key)
        self._check_times(claims)
        return Principal(
            sub=claims["sub"],
            roles=_strings(claims.get("roles", []), "roles"),
            scopes=_strings(claims["scope"], "scope") if "scope" in claims else None,
            jti=claims["jti"],
            exp=_timestamp(claims, "exp"),
            iat=_timestamp(claims, "iat"),
            sid=_optional_string(claims, "sid"),
        )

    def _decode(self, token: str, key: rsa.RSAPublicKey) -> dict[str, Any]:
        options: Any = {
            "require": _REQUIRED,
            # Times are checked against the injectable clock in _check_times.
            "verify_exp": False,
            "verify_nbf": False,
            "verify_iat": False,
        }
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                options=options,
            )
        except jwt.InvalidSignatureError as exc:
            raise InvalidToken("signature verification failed") from exc
        except jwt.InvalidAudienceError as exc:
            raise InvalidToken("invalid audience") from exc
        except jwt.InvalidIssuerError as exc:
            raise InvalidToken("invalid issuer") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise InvalidToken(f"missing claim '{exc.claim}'") from exc
        except jwt.InvalidTokenError as exc:
            raise InvalidToken("malformed token") from exc

    def _check_times(self, claims: Mapping[str, Any]) -> None:
        now = self._clock()
        if now >= _timestamp(claims, "exp") + self.leeway_s:
            raise InvalidToken("token expired")
        if "nbf" in claims and now + self.leeway_s < _timestamp(claims, "nbf"):
            raise InvalidToken("token not yet valid")
        if now + self.leeway_s < _timestamp(claims, "iat"):
            raise InvalidToken("token issued in the future")

    async def _key(self, kid: str) -> rsa.RSAPublicKey | None:
        keys = self._index(await self._fetch(refresh=False))
        if kid in keys:
            return keys[kid]
        async with self._refresh_lock:
            # Unknown kids are attacker-controlled: refresh at most once per interval.
            if self._clock() - self._last_refresh < self._refresh_interval_s:
                return self._index(await self._fetch(refresh=False)).get(kid)
            self._last_refresh = self._clock()
            return self._index(await self._fetch(refresh=True)).get(kid)

    async def _fetch(self, *, refresh: bool) -> Jwks:
        try:
            return await self._provider(refresh=refresh)
        except JwksUnavailable:
            raise
        except Exception as exc:
            raise JwksUnavailable(str(exc) or type(exc).__name__) from exc

    def _index(self, document: Jwks) -> dict[str, rsa.RSAPublicKey]:
        if document is self._document:
            return self._keys
        keys: dict[str, rsa.RSAPublicKey] = {}
        listed = document.get("keys", [])
        for jwk in listed if isinstance(listed, Iterable) else []:
            kid = jwk.get("kid") if isinstance(jwk, Mapping) else None
            if not isinstance(kid, str):
                continue
            try:
                keys[kid] = _rsa_key(jwk)
            except ValueError as exc:
                log.warning("ignoring unusable JWKS key", extra={"kid": kid, "error": str(exc)})
        self._document, self._keys = document, keys
        return keys
