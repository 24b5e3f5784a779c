"""The pieces behind the identity routes: keys on disk, refresh tokens, RBAC checker, sessions."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from edge.auth.verify import InvalidToken, TokenVerifier
from streams.http.denylist import MemoryDenyList
from streams.http.jwks import StaticJwksProvider
from streams.http.paging import decode_cursor, encode_cursor
from streams.http.principal import Principal
from users_svc.api.permissions import RbacPermissions
from users_svc.api.settings import IdentitySettings
from users_svc.api.signing.disk_ring import load_or_create_ring
from users_svc.api.signing.ring import KeyRing
from users_svc.api.tokens import mint_refresh, parse_refresh, seal, unseal
from users_svc.domain.token_family import hash_token

ISSUER, AUDIENCE = "dafnck-users", "dafnck-api"


def _principal(roles: set[str], sid: str | None = None) -> Principal:
    return Principal("u-1", frozenset(roles), None, "jti-1", 2_000_000_000, 1_000, sid)


def test_the_key_ring_is_created_once_then_loaded(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    first = load_or_create_ring(keys, ISSUER, 86400)
    again = load_or_create_ring(keys, ISSUER, 86400)
    assert again.active.kid == first.active.kid
    assert json.loads((keys / "ring.json").read_text())["active"] == first.active.kid
    # A longer configured lifetime keeps the keys and widens what the ring may sign.
    longer = load_or_create_ring(keys, ISSUER, 2 * 86400)
    assert longer.active.kid == first.active.kid and longer.max_token_lifetime_s == 2 * 86400


def test_refresh_tokens_name_user_and_family_and_hash_whole() -> None:
    user_id, family_id = str(uuid.uuid4()), str(uuid.uuid4())
    token = mint_refresh(user_id, family_id)
    assert token.token.startswith(f"dkr.{user_id}.{family_id}.")
    parsed = parse_refresh(token.token)
    assert parsed == token and parsed.hash == hash_token(token.token) and len(parsed.hash) == 64
    assert mint_refresh(user_id, family_id).token != token.token
    assert parse_refresh(token.token.upper()) is None
    assert parse_refresh(token.token + ".x") is None


def test_the_grace_answer_opens_only_with_the_presented_token() -> None:
    sealed = seal({"refresh_token": "next"}, "presented")
    assert unseal(sealed, "presented") == {"refresh_token": "next"}
    assert unseal(sealed, "someone else") is None
    assert b"next" not in sealed


@pytest.mark.parametrize(
    ("roles", "permission", "allowed"),
    [
        ({"admin"}, "users:create", True),
        ({"operator"}, "users:read", True),
        ({"operator"}, "users:create", False),
        ({"member"}, "agents:create", True),
        ({"viewer"}, "agents:create", False),
        ({"ghost"}, "agents:read", False),
        ({"admin"}, "users:*", False),  # routes declare concrete permissions only
    ],
)
async def test_the_rbac_checker_follows_the_builtin_roles(
    roles: set[str], permission: str, allowed: bool
) -> None:
    assert await RbacPermissions().allowed(_principal(roles), permission) is allowed


async def test_ending_a_session_refuses_only_its_tokens() -> None:
    deny = MemoryDenyList()
    await deny.deny_session("family-1")
    assert await deny.denied(_principal({"member"}, "family-1")) == "session has ended"
    assert await deny.denied(_principal({"member"}, "family-2")) is None
    assert await deny.denied(_principal({"member"})) is None


async def test_the_verifier_reads_the_session_claim() -> None:
    ring = KeyRing.generate(ISSUER)
    verifier = TokenVerifier(StaticJwksProvider(ring.jwks()), ISSUER, AUDIENCE)
    token = ring.sign("u-1", audience=AUDIENCE, extra_claims={"sid": "family-1"})
    assert (await verifier.verify(token)).sid == "family-1"
    assert (await verifier.verify(ring.sign("u-1", audience=AUDIENCE))).sid is None
    with pytest.raises(InvalidToken, match="sid"):
        await verifier.verify(ring.sign("u-1", audience=AUDIENCE, extra_claims={"sid": 7}))


def test_cursors_round_trip_and_refuse_forgeries() -> None:
    user_id = str(uuid.uuid4())
    cursor = encode_cursor("2026-01-01T00:00:00+00:00", user_id)
    assert decode_cursor(cursor) == ("2026-01-01T00:00:00+00:00", user_id)
    assert decode_cursor("not-a-cursor") is None
    assert decode_cursor(encode_cursor("yesterday", user_id)) is None
    assert decode_cursor(encode_cursor("2026-01-01T00:00:00", "1; DROP TABLE")) is None


def test_settings_default_the_keys_under_the_state_dir(tmp_path: Path) -> None:
    env = {"DAFNCK_STATE_DIR": str(tmp_path), "DAFNCK_ACCESS_TTL_S": "600"}
    settings = IdentitySettings.from_env(env, issuer=ISSUER, audience=AUDIENCE)
    assert settings.keys_dir == tmp_path.resolve() / "keys"
    assert settings.access_ttl_s == 600 and settings.refresh_grace_s == 10
    assert settings.bootstrap_email == "admin@dafnck.local" and not settings.production
    with pytest.raises(ValueError):
        IdentitySettings.from_env({"DAFNCK_ACCESS_TTL_S": "0"}, issuer=ISSUER, audience=AUDIENCE)
