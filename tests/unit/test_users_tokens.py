"""Refresh-token families: rotation, reuse detection, grace retries, logout, expiry."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from users_svc.domain.token_family import TokenFamily, TokenPolicy, family_id_of, hash_token
from users_svc.domain.tokens import (
    Expired,
    Issued,
    RetryWithinGrace,
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
POLICY = TokenPolicy()  # 7 days, 10 s grace


def _factory() -> Callable[[int], str]:
    counter = iter(range(1_000_000))
    return lambda nbytes: f"tok{next(counter):04d}x{nbytes}"


def _login(now: datetime = T0, version: int = 1) -> tuple[Issued, Callable[[int], str]]:
    factory = _factory()
    return start_family(USER, now=now, credentials_version=version, token_factory=factory), factory


def _rotate(family: TokenFamily, token: str, now: datetime,
            factory: Callable[[int], str]) -> Rotated:
    outcome = refresh(family, token, now=now, credentials_version=1, token_factory=factory)
    assert isinstance(outcome, Rotated), outcome
    return outcome


def _logged_out(family: TokenFamily, token: str, now: datetime = T0) -> TokenFamily:
    outcome = logout(family, token, now=now)
    assert isinstance(outcome, Revoked), outcome
    return outcome.family


def test_login_shows_the_token_once_and_stores_only_its_hash() -> None:
    issued, _ = _login()
    assert family_id_of(issued.token) == issued.family.id
    assert issued.family.current_hash == hash_token(issued.token)
    assert issued.token not in str(issued.family.to_dict())
    assert issued.family.current_expires_at == T0 + timedelta(days=7)


def test_every_use_rotates_within_the_same_family() -> None:
    issued, factory = _login()
    first = _rotate(issued.family, issued.token, T0 + timedelta(minutes=15), factory)
    second = _rotate(first.family, first.token, T0 + timedelta(minutes=30), factory)
    assert len({issued.token, first.token, second.token}) == 3
    assert second.family.id == issued.family.id and second.family.generation == 2
    assert second.family.current_expires_at == T0 + timedelta(minutes=30, days=7)


def test_reusing_a_rotated_token_after_the_grace_window_revokes_the_whole_family() -> None:
    issued, factory = _login()
    rotated = _rotate(issued.family, issued.token, T0, factory)
    late = T0 + POLICY.grace + timedelta(seconds=1)
    outcome = refresh(rotated.family, issued.token, now=late, credentials_version=1)
    assert isinstance(outcome, ReuseDetected)
    assert outcome.family.revoked_reason == "reuse_detected"
    # The legitimate holder's newest token is dead too: the thief and the client are out.
    after = refresh(outcome.family, rotated.token, now=late, credentials_version=1)
    assert isinstance(after, Revoked) and after.reason == "reuse_detected"


def test_a_retry_within_the_grace_window_gets_the_same_successor_again() -> None:
    issued, factory = _login()
    rotated = _rotate(issued.family, issued.token, T0, factory)
    for seconds in (0, 3, 10):
        retry = refresh(rotated.family, issued.token, now=T0 + timedelta(seconds=seconds),
                        credentials_version=1, token_factory=factory)
        assert isinstance(retry, RetryWithinGrace)
        assert retry.token == rotated.token
        assert retry.family == rotated.family  # nothing minted, nothing changed
        # And the successor still works normally afterwards.
        _rotate(retry.family, retry.token, T0 + timedelta(seconds=11), factory)


def test_grace_only_covers_the_immediate_predecessor_of_an_unused_successor() -> None:
    issued, factory = _login()
    first = _rotate(issued.family, issued.token, T0, factory)
    second = _rotate(first.family, first.token, T0 + timedelta(seconds=1), factory)
    # Two steps back, even a second later, is reuse: the successor has been used.
    outcome = refresh(second.family, issued.token, now=T0 + timedelta(seconds=2),
                      credentials_version=1)
    assert isinstance(outcome, ReuseDetected)


def test_a_thief_racing_the_client_inside_the_window_cannot_fork_the_family() -> None:
    issued, factory = _login()
    rotated = _rotate(issued.family, issued.token, T0, factory)
    stolen = refresh(rotated.family, issued.token, now=T0 + timedelta(seconds=2),
                     credentials_version=1, token_factory=factory)
    assert isinstance(stolen, RetryWithinGrace) and stolen.token == rotated.token
    # Both now hold the same token; the first to use it rotates, the second is caught.
    won = _rotate(rotated.family, rotated.token, T0 + timedelta(seconds=3), factory)
    caught = refresh(won.family, stolen.token, now=T0 + timedelta(seconds=20),
                     credentials_version=1)
    assert isinstance(caught, ReuseDetected)


def test_the_grace_successor_is_not_readable_from_stored_state() -> None:
    issued, factory = _login()
    rotated = _rotate(issued.family, issued.token, T0, factory)
    stored = str(rotated.family.to_dict())
    assert rotated.token not in stored and issued.token not in stored
    round_tripped = TokenFamily.from_dict(rotated.family.to_dict())
    retry = refresh(round_tripped, issued.token, now=T0 + timedelta(seconds=1),
                    credentials_version=1)
    assert isinstance(retry, RetryWithinGrace) and retry.token == rotated.token


def test_grace_window_is_configurable() -> None:
    issued, factory = _login()
    rotated = _rotate(issued.family, issued.token, T0, factory)
    no_grace = TokenPolicy(grace=timedelta(0))
    outcome = refresh(rotated.family, issued.token, now=T0 + timedelta(milliseconds=1),
                      credentials_version=1, policy=no_grace)
    assert isinstance(outcome, ReuseDetected)


def test_expired_token_is_refused_and_closes_the_family() -> None:
    issued, factory = _login()
    outcome = refresh(issued.family, issued.token, now=T0 + timedelta(days=7),
                      credentials_version=1, token_factory=factory)
    assert isinstance(outcome, Expired)
    assert outcome.family.revoked_reason == "expired"


def test_logout_revokes_the_family() -> None:
    issued, _ = _login()
    out = logout(issued.family, issued.token, now=T0)
    assert isinstance(out, Revoked) and out.reason == "logout"
    again = refresh(out.family, issued.token, now=T0, credentials_version=1)
    assert isinstance(again, Revoked) and again.reason == "logout"


def test_logout_everywhere_revokes_every_family_of_the_user() -> None:
    logins = [_login(now=T0 + timedelta(minutes=n))[0] for n in range(3)]
    families = [logins[0].family, logins[1].family, logins[2].family]
    families[0] = _logged_out(families[0], logins[0].token)
    ended = revoke_all(families, now=T0 + timedelta(hours=1))
    assert all(f.is_revoked for f in ended)
    assert [f.revoked_reason for f in ended] == ["logout", "logout_everywhere", "logout_everywhere"]


def test_a_password_change_revokes_families_issued_before_it() -> None:
    old, factory = _login(version=1)
    new, _ = _login(now=T0 + timedelta(hours=2), version=2)
    after = revoke_stale([old.family, new.family], credentials_version=2,
                         now=T0 + timedelta(hours=1))
    assert after[0].revoked_reason == "credentials_changed" and not after[1].is_revoked
    # Even if the sweep never ran, refresh refuses a family from before the change.
    outcome = refresh(old.family, old.token, now=T0 + timedelta(hours=3),
                      credentials_version=2, token_factory=factory)
    assert isinstance(outcome, Revoked) and outcome.reason == "credentials_changed"
    assert outcome.family.is_revoked


@pytest.mark.parametrize("token", ["", "garbage", "dkr..x", "dkr.other-family.secret"])
def test_malformed_or_foreign_tokens_are_unknown_and_change_nothing(token: str) -> None:
    issued, _ = _login()
    outcome = refresh(issued.family, token, now=T0, credentials_version=1)
    assert isinstance(outcome, Unknown) and outcome.family == issued.family


def test_a_guessed_secret_for_a_known_family_cannot_revoke_it() -> None:
    issued, _ = _login()
    forged = f"dkr.{issued.family.id}.guessed"
    assert isinstance(refresh(issued.family, forged, now=T0, credentials_version=1), Unknown)
    assert isinstance(logout(issued.family, forged, now=T0), Unknown)
    assert isinstance(refresh(None, issued.token, now=T0, credentials_version=1), Unknown)


def test_prune_keeps_families_until_their_newest_token_would_have_expired() -> None:
    live, _ = _login()
    ended = _logged_out(live.family, live.token)
    assert prune([live.family, ended], now=T0 + timedelta(days=6)) == [live.family, ended]
    assert prune([live.family, ended], now=T0 + timedelta(days=7)) == []
