"""The RS256 key ring: kids, signed claims, the public JWKS, rotation and storage on disk."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import jwt
import pytest

from users_svc.api.signing.ring import KeyRing, SigningKey, jwk_thumbprint

ISSUER = "https://users.dafnck.test"
T0 = 1_750_000_000.0

# RFC 7638 §3.1: this JWK's SHA-256 thumbprint is NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs.
RFC7638_JWK = {
    "kty": "RSA",
    "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
    "BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW"
    "2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh"
    "6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
    "e": "AQAB",
    "alg": "RS256",
    "kid": "2011-04-29",
}


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_the_thumbprint_matches_rfc_7638() -> None:
    assert jwk_thumbprint(RFC7638_JWK) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_a_new_key_is_rsa_2048_and_its_kid_is_its_thumbprint() -> None:
    key = SigningKey.generate(T0)
    assert key.private_key.key_size == 2048
    assert key.kid == jwk_thumbprint(key.public_jwk())


def test_the_jwks_publishes_only_public_members() -> None:
    ring = KeyRing.generate(ISSUER)
    (jwk,) = ring.jwks()["keys"]
    assert set(jwk) == {"kty", "n", "e", "kid", "use", "alg"}
    assert (jwk["kty"], jwk["use"], jwk["alg"], jwk["kid"]) == (
        "RSA",
        "sig",
        "RS256",
        ring.active.kid,
    )


def test_a_signed_token_carries_the_access_token_claims() -> None:
    clock = Clock()
    ring = KeyRing.generate(ISSUER, max_token_lifetime_s=900, clock=clock)
    token = ring.sign("user-1", audience="dafnck-api", roles=["viewer"], scope="users:read")
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "RS256", "kid": ring.active.kid, "typ": "at+jwt"}
    claims = jwt.decode(
        token,
        ring.active.private_key.public_key(),
        algorithms=["RS256"],
        audience="dafnck-api",
        options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
    )
    assert claims["iss"] == ISSUER and claims["sub"] == "user-1"
    assert (claims["iat"], claims["nbf"], claims["exp"]) == (int(T0), int(T0), int(T0) + 900)
    assert claims["roles"] == ["viewer"] and claims["scope"] == "users:read"
    again = jwt.decode(ring.sign("user-1", audience="x"), options={"verify_signature": False})
    assert claims["jti"] and claims["jti"] != again["jti"]


def test_signing_refuses_lifetimes_past_the_maximum_and_registered_overrides() -> None:
    ring = KeyRing.generate(ISSUER, max_token_lifetime_s=900)
    with pytest.raises(ValueError, match="lifetime"):
        ring.sign("u", audience="a", lifetime_s=901)
    with pytest.raises(ValueError, match="override"):
        ring.sign("u", audience="a", extra_claims={"sub": "admin"})


def test_rotation_keeps_the_old_key_public_until_the_longest_token_is_dead() -> None:
    clock = Clock()
    ring = KeyRing.generate(ISSUER, max_token_lifetime_s=600, clock=clock)
    first = ring.active.kid
    clock.now += 100
    second = ring.rotate()
    assert ring.active.kid == second
    assert ring.keys[1].retire_at == T0 + 100 + 600
    clock.now = T0 + 699
    assert [k["kid"] for k in ring.jwks()["keys"]] == [second, first]
    clock.now = T0 + 700
    assert [k["kid"] for k in ring.jwks()["keys"]] == [second]
    # A later rotation also drops keys already retired.
    ring.rotate()
    assert first not in {k.kid for k in ring.keys}


def test_a_saved_ring_loads_back_identically(tmp_path: Path) -> None:
    clock = Clock()
    ring = KeyRing.generate(ISSUER, max_token_lifetime_s=600, clock=clock)
    ring.rotate()
    ring.save(tmp_path / "ring")
    loaded = KeyRing.load(tmp_path / "ring", clock=clock)
    assert loaded.active.kid == ring.active.kid
    assert loaded.jwks() == ring.jwks()
    assert loaded.max_token_lifetime_s == 600 and loaded.issuer == ISSUER
    pems = sorted((tmp_path / "ring").glob("*.pem"))
    assert {p.stem for p in pems} == {k.kid for k in ring.keys}
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in pems)
    assert stat.S_IMODE((tmp_path / "ring").stat().st_mode) == 0o700


def test_a_ring_saved_with_a_passphrase_needs_it(tmp_path: Path) -> None:
    ring = KeyRing.generate(ISSUER)
    ring.save(tmp_path, passphrase=b"s3cret")
    assert b"ENCRYPTED" in (tmp_path / f"{ring.active.kid}.pem").read_bytes()
    assert KeyRing.load(tmp_path, passphrase=b"s3cret").active.kid == ring.active.kid
    with pytest.raises(TypeError):
        KeyRing.load(tmp_path)


def test_saving_after_retirement_removes_the_retired_key_file(tmp_path: Path) -> None:
    clock = Clock()
    ring = KeyRing.generate(ISSUER, max_token_lifetime_s=60, clock=clock)
    old = ring.active.kid
    ring.rotate()
    ring.save(tmp_path)
    clock.now += 61
    ring.prune()
    ring.save(tmp_path)
    assert not (tmp_path / f"{old}.pem").exists()
    assert [k["kid"] for k in json.loads((tmp_path / "ring.json").read_text())["keys"]] == [
        ring.active.kid
    ]


def test_a_key_file_swapped_for_another_key_is_refused(tmp_path: Path) -> None:
    ring = KeyRing.generate(ISSUER)
    ring.save(tmp_path)
    other = KeyRing.generate(ISSUER)
    other.save(tmp_path / "other")
    (tmp_path / f"{ring.active.kid}.pem").write_bytes(
        (tmp_path / "other" / f"{other.active.kid}.pem").read_bytes()
    )
    with pytest.raises(ValueError, match="different key"):
        KeyRing.load(tmp_path)
