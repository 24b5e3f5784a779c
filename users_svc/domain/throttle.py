"""Login throttling as pure decisions over failure counters the caller keeps (Redis).

Two fixed windows, each opened by its first failure: per account (5 failures / 15 min)
and per client address (20 / 15 min). Reaching a limit locks that key until its window
closes; ``retry_after`` says when. The account key is derived from the *typed* email
whether or not an account exists, and failures for unknown emails are counted exactly
like wrong passwords, so the answers never tell who has an account. A refused (locked)
attempt is not counted: it would let an attacker extend a lock forever.

With Redis: ``INCR key`` then ``EXPIRE key ttl NX`` on each failure, ``ttl`` from
``counter_ttl``; read back with ``FailureCounter.from_redis(count, ttl, now)``.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
from dataclasses import dataclass

from users_svc.domain.profile import normalize_email


@dataclass(frozen=True)
class ThrottlePolicy:
    """Limits per window."""

    account_limit: int = 5
    address_limit: int = 20
    window_seconds: int = 15 * 60
    # One IPv6 user owns a whole /64, so counting single addresses would not limit them.
    ipv6_prefix: int = 64


DEFAULT_POLICY = ThrottlePolicy()


@dataclass(frozen=True)
class FailureCounter:
    """Failures so far in the window that began at ``window_started_at`` (epoch seconds)."""

    count: int = 0
    window_started_at: float | None = None

    @classmethod
    def from_redis(
        cls, count: int, ttl_seconds: float, now: float, policy: ThrottlePolicy = DEFAULT_POLICY
    ) -> FailureCounter:
        """Rebuild a counter from a Redis value and its remaining TTL (absent key: count 0)."""
        if count <= 0 or ttl_seconds <= 0:
            return cls()
        return cls(count, now - (policy.window_seconds - ttl_seconds))

    def in_window(self, now: float, window_seconds: int) -> FailureCounter:
        """This counter as seen at ``now``: empty once its window has closed."""
        if self.window_started_at is None or now >= self.window_started_at + window_seconds:
            return FailureCounter()
        return self


@dataclass(frozen=True)
class ThrottleDecision:
    """Whether to try the password at all; ``retry_after`` in whole seconds when not."""

    allowed: bool
    retry_after: int = 0


@dataclass(frozen=True)
class ThrottleKeys:
    """Where the caller keeps the two counters."""

    account: str
    address: str


def address_bucket(address: str, policy: ThrottlePolicy = DEFAULT_POLICY) -> str:
    """The unit counted for a client address: the IPv4 address or the IPv6 /64."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        # Not an IP (a proxy gave junk): still count it, under its own name.
        return "other:" + hashlib.sha256(address.encode("utf-8")).hexdigest()[:32]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{ip}/{policy.ipv6_prefix}", strict=False))
    return str(ip)


def throttle_keys(
    email: str, address: str, policy: ThrottlePolicy = DEFAULT_POLICY
) -> ThrottleKeys:
    """Counter keys for a login attempt; the email is hashed so Redis holds no addresses."""
    digest = hashlib.sha256(normalize_email(email).encode("utf-8")).hexdigest()[:32]
    return ThrottleKeys(f"login:acct:{digest}", f"login:addr:{address_bucket(address, policy)}")


def _lock_remaining(counter: FailureCounter, limit: int, now: float, window: int) -> int:
    live = counter.in_window(now, window)
    if live.count < limit or live.window_started_at is None:
        return 0
    return max(1, math.ceil(live.window_started_at + window - now))


def check_login(
    account: FailureCounter,
    address: FailureCounter,
    *,
    now: float,
    policy: ThrottlePolicy = DEFAULT_POLICY,
) -> ThrottleDecision:
    """Before checking a password: allowed, or locked with the longer of the two waits."""
    wait = max(
        _lock_remaining(account, policy.account_limit, now, policy.window_seconds),
        _lock_remaining(address, policy.address_limit, now, policy.window_seconds),
    )
    return ThrottleDecision(allowed=wait == 0, retry_after=wait)


def record_failure(
    counter: FailureCounter, *, now: float, policy: ThrottlePolicy = DEFAULT_POLICY
) -> FailureCounter:
    """One more failure (opens a new window when the old one has closed)."""
    live = counter.in_window(now, policy.window_seconds)
    if live.window_started_at is None:
        return FailureCounter(1, now)
    return FailureCounter(live.count + 1, live.window_started_at)


def record_failures(
    account: FailureCounter,
    address: FailureCounter,
    *,
    now: float,
    policy: ThrottlePolicy = DEFAULT_POLICY,
) -> tuple[FailureCounter, FailureCounter, ThrottleDecision]:
    """A failed login (wrong password or unknown email): both counters and the next decision."""
    new_account = record_failure(account, now=now, policy=policy)
    new_address = record_failure(address, now=now, policy=policy)
    return new_account, new_address, check_login(new_account, new_address, now=now, policy=policy)


def record_success() -> FailureCounter:
    """The account counter after a good login: cleared."""
    # The address counter is deliberately left alone: logging into one's own account
    # between guesses must not reset the limit for the address doing the guessing.
    return FailureCounter()


def counter_ttl(
    counter: FailureCounter, *, now: float, policy: ThrottlePolicy = DEFAULT_POLICY
) -> int:
    """Seconds the caller should keep the counter (its window's remainder, at least 1)."""
    live = counter.in_window(now, policy.window_seconds)
    if live.window_started_at is None:
        return 0
    return max(1, math.ceil(live.window_started_at + policy.window_seconds - now))
