"""Agent connection keys: minted, parsed, hashed and compared (pure, no I/O)."""

from __future__ import annotations

import hashlib
import re

import pytest

from agents_svc.domain.agent_keys import (
    MalformedAgentKey,
    hash_secret,
    is_key_id,
    mint_agent_key,
    parse_agent_key,
    secret_matches,
)


def test_a_minted_key_is_dka_id_secret_and_only_its_hash_is_kept() -> None:
    minted = mint_agent_key()
    assert re.fullmatch(r"dka_[a-z0-9]{8}_[A-Za-z0-9_-]{43}", minted.api_key)
    key_id, secret = parse_agent_key(minted.api_key)
    assert key_id == minted.key_id and is_key_id(key_id)
    assert minted.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in minted.secret_hash and len(minted.secret_hash) == 64


def test_keys_are_unique() -> None:
    keys = {mint_agent_key().api_key for _ in range(200)}
    assert len(keys) == 200


def test_a_secret_containing_underscores_parses_whole() -> None:
    minted = mint_agent_key(
        key_id_factory=lambda n: "ab12cd34", secret_factory=lambda n: "a_b-c_" * 4
    )
    assert parse_agent_key(minted.api_key) == ("ab12cd34", "a_b-c_" * 4)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("dk_ab12cd34_" + "x" * 43, "starts with dka_"),
        ("dka_AB12CD34_" + "x" * 43, "lowercase"),
        ("dka_ab12cd3_" + "x" * 43, "lowercase"),
        ("dka_ab12cd34-" + "x" * 43, "lowercase"),
        ("dka_ab12cd34_short", "secret part"),
        ("dka_ab12cd34_" + "x" * 40 + "!!!", "secret part"),
        ("", "starts with dka_"),
    ],
)
def test_malformed_keys_say_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(MalformedAgentKey, match=says):
        parse_agent_key(text)


def test_a_bad_factory_is_refused() -> None:
    with pytest.raises(ValueError):
        mint_agent_key(key_id_factory=lambda n: "NOT-HEX!")


def test_secrets_compare_against_the_stored_hash_only() -> None:
    stored = hash_secret("s3cret")
    assert secret_matches("s3cret", stored)
    assert not secret_matches("s3cret!", stored)
    assert not secret_matches("s3cret", None)  # unknown key: compared anyway, never a match
