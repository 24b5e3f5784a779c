"""Login throttling: lockout per account and per address, retry_after, no account oracle."""

from __future__ import annotations

from users_svc.domain.throttle import (
    FailureCounter,
    ThrottleDecision,
    address_bucket,
    check_login,
    counter_ttl,
    record_failures,
    record_success,
    throttle_keys,
)

T0 = 1_700_000_000.0
WINDOW = 15 * 60


def _fail(times: int, start: float = T0, step: float = 1.0,
          account: FailureCounter | None = None, address: FailureCounter | None = None,
          ) -> tuple[FailureCounter, FailureCounter, ThrottleDecision]:
    acct, addr = account or FailureCounter(), address or FailureCounter()
    decision = ThrottleDecision(True)
    for n in range(times):
        acct, addr, decision = record_failures(acct, addr, now=start + n * step)
    return acct, addr, decision


def test_four_failures_still_allow_a_fifth_try() -> None:
    account, address, decision = _fail(4)
    assert decision == ThrottleDecision(allowed=True, retry_after=0)
    assert check_login(account, address, now=T0 + 10).allowed


def test_five_failures_lock_the_account_until_the_window_closes() -> None:
    account, address, decision = _fail(5)
    assert not decision.allowed
    now = T0 + 60
    locked = check_login(account, address, now=now)
    assert locked == ThrottleDecision(allowed=False, retry_after=WINDOW - 60)
    assert check_login(account, address, now=T0 + WINDOW - 0.5).retry_after == 1
    assert check_login(account, address, now=T0 + WINDOW).allowed


def test_failures_spread_beyond_the_window_do_not_add_up() -> None:
    account, address, _ = _fail(4)
    account, address, decision = _fail(1, start=T0 + WINDOW + 1, account=account,
                                       address=address)
    assert decision.allowed and account.count == 1


def test_twenty_failures_from_one_address_lock_it_across_accounts() -> None:
    address = FailureCounter()
    for n in range(20):
        # A different account each time: no account reaches its own limit.
        _, address, decision = record_failures(FailureCounter(), address, now=T0 + n)
    assert not decision.allowed
    fresh_account = FailureCounter()
    decision = check_login(fresh_account, address, now=T0 + 100)
    assert decision == ThrottleDecision(allowed=False, retry_after=WINDOW - 100)


def test_retry_after_is_the_longer_of_the_two_locks() -> None:
    account, _, _ = _fail(5, start=T0)
    _, address, _ = _fail(20, start=T0 + 300, step=0)
    assert check_login(account, address, now=T0 + 400).retry_after == WINDOW - 100


def test_a_good_login_clears_the_account_but_not_the_address() -> None:
    account, address, _ = _fail(4)
    account = record_success()
    assert account == FailureCounter()
    assert address.count == 4


def test_unknown_and_known_emails_get_the_same_decisions() -> None:
    # The caller counts a failure for an unknown email exactly like a wrong password: the
    # key comes from the typed email alone, so the sequence of answers is identical.
    known = _fail(6)
    unknown = _fail(6)
    assert known == unknown
    assert throttle_keys("nobody@example.com", "203.0.113.9").account.startswith("login:acct:")


def test_keys_normalize_email_and_hide_it() -> None:
    one = throttle_keys(" Ada@Example.com", "203.0.113.9")
    two = throttle_keys("ada@example.com ", "203.0.113.9")
    assert one == two
    assert "ada" not in one.account
    assert one.address == "login:addr:203.0.113.9"


def test_ipv6_clients_are_counted_per_slash_64() -> None:
    assert address_bucket("2001:db8:1:2::1") == address_bucket("2001:db8:1:2:ffff::9")
    assert address_bucket("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert address_bucket("2001:db8:1:3::1") != address_bucket("2001:db8:1:2::1")
    assert address_bucket("::ffff:203.0.113.9") == "203.0.113.9"
    assert address_bucket("not an ip").startswith("other:")


def test_counters_round_trip_through_redis_ttl() -> None:
    account, _, _ = _fail(3)
    now = T0 + 120
    ttl = counter_ttl(account, now=now)
    assert ttl == WINDOW - 120
    assert FailureCounter.from_redis(account.count, ttl, now) == account
    assert FailureCounter.from_redis(0, -2, now) == FailureCounter()
    assert counter_ttl(FailureCounter(), now=now) == 0
