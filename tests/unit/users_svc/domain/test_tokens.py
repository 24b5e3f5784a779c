"""Refresh-token families on hashes: rotation, reuse detection, logout, expiry, staleness."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest

from users_svc.domain.token_family import (
    TokenFamily,
    TokenPolicy,
    format_token,
    hash_token,
    parse_token,
)
from users_svc.domain.tokens import (
    Expired,
    ReuseDetected,
    Revoked,
    Rotated,
    Unknown,
    logout,
    prune,
    refresh,
    revoke_all,
    revoke_stale,
    start_family,
)

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
USER = "c4e8a1f2-3b5d-4e6f-8a9b-0c1d2e3f4a5b"
FAMILY = "2b7e151c-8a1f-4e2d-9c3b-5d6e7f8a9b0c"


def _token(family_id: str = FAMILY) -> str:
    """A token as the edge mints it."""
    return format_token(USER, family_id, secrets.token_urlsafe(32))


def _login(
    now: datetime = T0, version: int = 1, family_id: str = FAMILY
) -> tuple[TokenFamily, str]:
    token = _token(family_id)
    family = start_family(
        USER, family_id, hash_token(token), now=now, credentials_version=version
    )
    return family, token


def _rotate(family: TokenFamily, token: str, now: datetime) -> tuple[TokenFamily, str]:
    successor = _token(family.id)
    outcome = refresh(
        family, hash_token(token), hash_token(successor), now=now, credentials_version=1
    )
    assert isinstance(outcome, Rotated), outcome
    return outcome.family, successor


def _use(family: TokenFamily | None, token: str, now: datetime, version: int = 1) -> object:
    return refresh(
        family, hash_token(token), hash_token(_token()), now=now, credentials_version=version
    )


def test_a_family_stores_only_the_hash_of_its_token() -> None:
    family, token = _login()
    assert family.current_hash == hash_token(token)
    assert token not in str(family.to_dict())
    assert family.current_expires_at == T0 + timedelta(days=7)
    assert TokenFamily.from_dict(family.to_dict()) == family


def test_the_token_names_its_user_and_family() -> None:
    parts = parse_token(_token())
    assert parts is not None and (parts.user_id, parts.family_id) == (USER, FAMILY)


@pytest.mark.parametrize(
    "token", ["", "garbage", f"dkr.{USER}.{FAMILY}.", f"dkr.{USER}.family.secret", "x.a.b.c"]
)
def test_malformed_tokens_name_nothing(token: str) -> None:
    assert parse_token(token) is None


def test_a_plaintext_token_is_refused_where_a_hash_belongs() -> None:
    with pytest.raises(ValueError, match="SHA-256"):
        start_family(USER, FAMILY, _token(), now=T0, credentials_version=1)
    family, token = _login()
    with pytest.raises(ValueError, match="SHA-256"):
        refresh(family, token, hash_token(_token()), now=T0, credentials_version=1)


def test_every_use_rotates_within_the_same_family() -> None:
    family, token = _login()
    first, first_token = _rotate(family, token, T0 + timedelta(minutes=15))
    second, _ = _rotate(first, first_token, T0 + timedelta(minutes=30))
    assert second.id == family.id and second.generation == 2
    assert second.used_hashes == (hash_token(token), hash_token(first_token))
    assert second.current_expires_at == T0 + timedelta(minutes=30, days=7)


def test_reusing_a_rotated_token_revokes_the_whole_family() -> None:
    family, token = _login()
    rotated, newest = _rotate(family, token, T0)
    outcome = _use(rotated, token, T0 + timedelta(seconds=1))
    assert isinstance(outcome, ReuseDetected)
    assert outcome.family.revoked_reason == "reuse_detected"
    # The legitimate holder's newest token is dead too: the thief and the client are out.
    after = _use(outcome.family, newest, T0 + timedelta(seconds=2))
    assert isinstance(after, Revoked) and after.reason == "reuse_detected"


def test_a_successor_the_family_already_issued_is_refused() -> None:
    family, token = _login()
    rotated, newest = _rotate(family, token, T0)
    # Rotating back to a used hash would bring a used token back to life.
    outcome = refresh(
        rotated, hash_token(newest), hash_token(token), now=T0, credentials_version=1
    )
    assert isinstance(outcome, Unknown) and outcome.family == rotated


def test_expired_token_is_refused_and_closes_the_family() -> None:
    family, token = _login()
    outcome = _use(family, token, T0 + timedelta(days=7))
    assert isinstance(outcome, Expired)
    assert outcome.family.revoked_reason == "expired"


def test_the_lifetime_is_the_policy_s() -> None:
    short = TokenPolicy(ttl=timedelta(minutes=5))
    token = _token()
    family = start_family(
        USER, FAMILY, hash_token(token), now=T0, credentials_version=1, policy=short
    )
    assert family.current_expires_at == T0 + timedelta(minutes=5)
    assert isinstance(_use(family, token, T0 + timedelta(minutes=5)), Expired)


def test_logout_revokes_the_family() -> None:
    family, token = _login()
    ended = logout(family, now=T0)
    assert ended.revoked_reason == "logout"
    again = _use(ended, token, T0)
    assert isinstance(again, Revoked) and again.reason == "logout"
    assert logout(ended, now=T0 + timedelta(hours=1)) == ended  # the first reason stays


def test_logout_everywhere_revokes_every_family_of_the_user() -> None:
    ids = [
        "11111111-1111-4111-8111-111111111111",
        "22222222-2222-4222-8222-222222222222",
        "33333333-3333-4333-8333-333333333333",
    ]
    families = [_login(T0 + timedelta(minutes=n), family_id=i)[0] for n, i in enumerate(ids)]
    families[0] = logout(families[0], now=T0)
    ended = revoke_all(families, now=T0 + timedelta(hours=1))
    assert all(f.is_revoked for f in ended)
    assert [f.revoked_reason for f in ended] == ["logout", "logout_everywhere", "logout_everywhere"]


def test_a_credentials_change_revokes_families_issued_before_it() -> None:
    old, old_token = _login(version=1)
    new, _ = _login(now=T0 + timedelta(hours=2), version=2)
    after = revoke_stale([old, new], credentials_version=2, now=T0 + timedelta(hours=1))
    assert after[0].revoked_reason == "credentials_changed" and not after[1].is_revoked
    # Even if the sweep never ran, refresh refuses a family from before the change.
    outcome = _use(old, old_token, T0 + timedelta(hours=3), version=2)
    assert isinstance(outcome, Revoked) and outcome.reason == "credentials_changed"
    assert outcome.family.is_revoked


def test_a_hash_the_family_never_issued_is_unknown_and_changes_nothing() -> None:
    family, _ = _login()
    outcome = _use(family, _token(), T0)
    assert isinstance(outcome, Unknown) and outcome.family == family
    assert isinstance(_use(None, _token(), T0), Unknown)


def test_prune_keeps_families_until_their_newest_token_would_have_expired() -> None:
    live, _ = _login()
    ended = logout(live, now=T0)
    assert prune([live, ended], now=T0 + timedelta(days=6)) == [live, ended]
    assert prune([live, ended], now=T0 + timedelta(days=7)) == []
