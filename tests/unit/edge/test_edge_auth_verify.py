"""TokenVerifier on its own: key rotation, JWKS refresh on unknown kids, JWKS hygiene."""

from __future__ import annotations

import base64
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from edge.auth.verify import InvalidToken, TokenVerifier
from streams.http.jwks import JwksUnavailable, StaticJwksProvider
from users_svc.api.signing.ring import KeyRing

ISSUER = "https://users.dafnck.test"
AUDIENCE = "dafnck-api"
T0 = 1_750_000_000.0


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _verifier(provider: Any, clock: Clock, **kwargs: Any) -> TokenVerifier:
    return TokenVerifier(provider, ISSUER, AUDIENCE, clock=clock, **kwargs)


async def test_a_token_of_the_previous_key_verifies_until_its_retire_time_then_not() -> None:
    clock = Clock()
    ring = KeyRing.generate(ISSUER, max_token_lifetime_s=900, clock=clock)
    verifier = _verifier(StaticJwksProvider(ring.jwks), clock)
    old_token = ring.sign("user-1", audience=AUDIENCE)
    old_kid = ring.active.kid

    new_kid = ring.rotate()  # retires the old key at T0 + 900
    new_token = ring.sign("user-2", audience=AUDIENCE)
    assert new_kid != old_kid
    assert jwt.get_unverified_header(new_token)["kid"] == new_kid
    assert [k["kid"] for k in ring.jwks()["keys"]] == [new_kid, old_kid]

    clock.now = T0 + 899
    assert (await verifier.verify(old_token)).sub == "user-1"
    assert (await verifier.verify(new_token)).sub == "user-2"

    # Still inside exp + leeway, so it is the key's retirement that refuses it now.
    clock.now = T0 + 901
    with pytest.raises(InvalidToken, match="unknown signing key"):
        await verifier.verify(old_token)
    assert [k["kid"] for k in ring.jwks()["keys"]] == [new_kid]
    assert ring.prune() == [old_kid]


async def test_an_unknown_kid_refreshes_the_jwks_at_most_once_per_interval() -> None:
    clock = Clock()
    ring = KeyRing.generate(ISSUER, clock=clock)
    published = {"document": ring.jwks()}
    provider = StaticJwksProvider(lambda: published["document"])
    verifier = _verifier(provider, clock, refresh_interval_s=60)
    stranger = KeyRing.generate(ISSUER, clock=clock).sign("x", audience=AUDIENCE)

    for _ in range(5):
        with pytest.raises(InvalidToken, match="unknown signing key"):
            await verifier.verify(stranger)
    assert provider.refreshes == 1

    # A key published since is found by the next refresh, once the interval has passed.
    ring.rotate()
    published["document"] = ring.jwks()
    clock.now += 61
    token = ring.sign("user-3", audience=AUDIENCE)
    assert (await verifier.verify(token)).sub == "user-3"


async def test_a_provider_failure_is_jwks_unavailable() -> None:
    def broken() -> dict[str, Any]:
        raise OSError("connection refused")

    verifier = _verifier(StaticJwksProvider(broken), Clock())
    with pytest.raises(JwksUnavailable):
        await verifier.verify(KeyRing.generate(ISSUER).sign("x", audience=AUDIENCE))


def _jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, str]:
    numbers = key.public_key().public_numbers()

    def b64(value: int) -> str:
        raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return {"kty": "RSA", "kid": kid, "n": b64(numbers.n), "e": b64(numbers.e)}


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda jwk: {**jwk, "alg": "RS512"}, id="published for another alg"),
        pytest.param(lambda jwk: {**jwk, "use": "enc"}, id="an encryption key"),
        pytest.param(lambda jwk: {**jwk, "kty": "EC"}, id="not RSA"),
        pytest.param(lambda jwk: {**jwk, "n": 12345}, id="malformed modulus"),
    ],
)
async def test_unusable_jwks_entries_are_ignored(mangle: Any) -> None:
    clock = Clock()
    ring = KeyRing.generate(ISSUER, clock=clock)
    document = {"keys": [mangle(ring.jwks()["keys"][0])]}
    verifier = _verifier(StaticJwksProvider(document), clock)
    with pytest.raises(InvalidToken, match="unknown signing key"):
        await verifier.verify(ring.sign("x", audience=AUDIENCE))


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
async def test_keys_shorter_than_2048_bits_are_ignored() -> None:
    clock = Clock()
    weak = rsa.generate_private_key(65537, 1024)
    document = {"keys": [_jwk(weak, "weak")]}
    verifier = _verifier(StaticJwksProvider(document), clock)
    token = jwt.encode(
        {"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "jti": "j", "iat": T0, "exp": T0 + 60},
        weak,
        algorithm="RS256",
        headers={"kid": "weak", "typ": "at+jwt"},
    )
    with pytest.raises(InvalidToken, match="unknown signing key"):
        await verifier.verify(token)


async def test_roles_and_scope_claims_become_the_principal() -> None:
    clock = Clock()
    ring = KeyRing.generate(ISSUER, clock=clock)
    verifier = _verifier(StaticJwksProvider(ring.jwks), clock)
    token = ring.sign("u", audience=AUDIENCE, roles=["b", "a"], scope=["users:read"], jti="j-1")
    principal = await verifier.verify(token)
    assert principal.roles == frozenset({"a", "b"})
    assert principal.scopes == frozenset({"users:read"})
    assert (principal.jti, principal.iat, principal.exp) == ("j-1", int(T0), int(T0) + 900)
    unscoped = await verifier.verify(ring.sign("u", audience=AUDIENCE))
    assert unscoped.scopes is None and unscoped.roles == frozenset()


async def test_malformed_roles_are_refused() -> None:
    clock = Clock()
    ring = KeyRing.generate(ISSUER, clock=clock)
    verifier = _verifier(StaticJwksProvider(ring.jwks), clock)
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "u", "jti": "j", "iat": T0, "exp": T0 + 60}
    token = jwt.encode(
        {**claims, "roles": {"admin": True}},
        ring.active.private_key,
        algorithm="RS256",
        headers={"kid": ring.active.kid, "typ": "at+jwt"},
    )
    with pytest.raises(InvalidToken, match="roles"):
        await verifier.verify(token)


async def test_a_token_issued_in_the_future_is_refused() -> None:
    clock = Clock(T0 - 120)
    ring = KeyRing.generate(ISSUER, clock=clock)
    verifier = _verifier(StaticJwksProvider(ring.jwks), clock)
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "u", "jti": "j", "iat": T0, "exp": T0 + 60}
    token = jwt.encode(
        claims,
        ring.active.private_key,
        algorithm="RS256",
        headers={"kid": ring.active.kid, "typ": "at+jwt"},
    )
    with pytest.raises(InvalidToken, match="issued in the future"):
        await verifier.verify(token)
