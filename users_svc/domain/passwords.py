"""Password policy and argon2id storage.

Policy: 12 to 128 characters; at least three of lower case, upper case, digit and symbol
(anything that is not a cased letter or a digit counts as a symbol); not equal to or
containing the email's local part; not a well-known password or a trivial variant of one.

Storage parameters (argon2id, RFC 9106), chosen for a 2-core machine that also runs Kafka,
Postgres, Redis and the edge: ``time_cost=3``, ``memory_cost=32 MiB``, ``parallelism=1``.
One hash takes ~80 ms on one core, so a login keeps one core busy and leaves the other to
the stream processors; 32 MiB is above OWASP's 19 MiB floor while ten concurrent logins
still fit in 320 MiB. ``parallelism=1`` because extra lanes only help when idle cores
exist, and here they would steal the core the event loop needs. Callers should run
``hash``/``verify`` in a small thread pool (about one worker per core), never on the loop.
Stored hashes carry their parameters, so raising them later only needs ``needs_rehash``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from users_svc.domain.common_passwords import COMMON_PASSWORDS, LEET_MAP
from users_svc.domain.errors import DomainError

MIN_LENGTH = 12
MAX_LENGTH = 128
MIN_CHARACTER_CLASSES = 3
MIN_LOCAL_PART_CHECKED = 3  # shorter local parts ("al") would forbid too many passwords
FIELD = "password"
ARGON2ID_PREFIX = "$argon2id$"


def _normalize(password: str) -> str:
    # NFKC so the same password typed on different keyboards/OSes hashes the same.
    return unicodedata.normalize("NFKC", password)


def same_password(a: str, b: str) -> bool:
    """True when two typed passwords are the same once normalized."""
    return _normalize(a) == _normalize(b)


def character_classes(password: str) -> set[str]:
    """Which of lower/upper/digit/symbol the password uses."""
    classes: set[str] = set()
    for ch in password:
        if ch.islower():
            classes.add("lower")
        elif ch.isupper():
            classes.add("upper")
        elif ch.isdigit():
            classes.add("digit")
        else:
            classes.add("symbol")
    return classes


def _trim(text: str, strip_symbols: bool) -> str:
    start, end = 0, len(text)

    def droppable(ch: str) -> bool:
        return ch.isdigit() or (strip_symbols and not ch.isalpha())

    while start < end and droppable(text[start]):
        start += 1
    while end > start and droppable(text[end - 1]):
        end -= 1
    return text[start:end]


def _unleet(text: str) -> str:
    return "".join(LEET_MAP.get(ch, ch) for ch in text)


def is_common_password(password: str) -> bool:
    """True for a well-known password or a trivial variant (case, look-alikes, year suffix)."""
    folded = _normalize(password).casefold()
    candidates = {
        folded,
        _unleet(_trim(folded, strip_symbols=True)),
        _trim(_unleet(folded), strip_symbols=True),
        _unleet(_trim(folded, strip_symbols=False)),
    }
    return any(c in COMMON_PASSWORDS for c in candidates if c)


def _local_parts(email: str | None) -> list[str]:
    if not email or "@" not in email:
        return []
    local = email.strip().rsplit("@", 1)[0].casefold()
    # "ada+work@x" is also "ada" to anyone guessing.
    parts = {local, local.split("+", 1)[0]}
    return [p for p in parts if len(p) >= MIN_LOCAL_PART_CHECKED]


def password_problems(password: str, email: str | None = None) -> list[DomainError]:
    """Every policy rule the password breaks, in the order a form should show them."""
    pw = _normalize(password)
    problems: list[DomainError] = []
    if len(pw) < MIN_LENGTH:
        problems.append(DomainError(
            "password_too_short", f"Password must be at least {MIN_LENGTH} characters.", FIELD
        ))
    if len(pw) > MAX_LENGTH:
        problems.append(DomainError(
            "password_too_long", f"Password must be at most {MAX_LENGTH} characters.", FIELD
        ))
    if len(character_classes(pw)) < MIN_CHARACTER_CLASSES:
        problems.append(DomainError(
            "password_too_simple",
            "Password must mix at least three of: lower case, upper case, digits, symbols.",
            FIELD,
        ))
    folded = pw.casefold()
    if any(part in folded for part in _local_parts(email)):
        problems.append(DomainError(
            "password_contains_email", "Password must not contain your email address.", FIELD
        ))
    if is_common_password(pw):
        problems.append(DomainError(
            "password_too_common", "This password is too common; choose another.", FIELD
        ))
    return problems


def check_password(password: str, email: str | None = None) -> None:
    """Raise the first broken policy rule as a ``DomainError`` on field ``password``."""
    problems = password_problems(password, email)
    if problems:
        raise problems[0]


def require_password_hash(password_hash: str, field: str = "password_hash") -> str:
    """Refuse anything but an argon2id PHC string: a plaintext password must never be stored."""
    if not isinstance(password_hash, str) or not password_hash.startswith(ARGON2ID_PREFIX):
        raise DomainError(
            "invalid_password_hash", "Expected an argon2id password hash ($argon2id$...).", field
        )
    return password_hash


class PasswordHashing(Protocol):
    """What commands need from a password hasher (a fake in tests, argon2id in production)."""

    def hash(self, password: str) -> str:
        """A salted hash to store."""
        ...

    def verify(self, password_hash: str, password: str) -> bool:
        """True when the password matches the stored hash."""
        ...

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the stored hash uses outdated parameters."""
        ...

    def verify_dummy(self, password: str) -> None:
        """Spend a real check's time without an account behind it."""
        ...


@dataclass(frozen=True)
class Argon2Params:
    """argon2id cost parameters; see the module docstring for why these defaults."""

    time_cost: int = 3
    memory_cost_kib: int = 32 * 1024
    parallelism: int = 1
    hash_len: int = 32
    salt_len: int = 16


class Argon2Passwords:
    """argon2id hashing/verification through argon2-cffi's ``PasswordHasher``."""

    def __init__(self, params: Argon2Params | None = None) -> None:
        self.params = params or Argon2Params()
        self._hasher = PasswordHasher(
            time_cost=self.params.time_cost,
            memory_cost=self.params.memory_cost_kib,
            parallelism=self.params.parallelism,
            hash_len=self.params.hash_len,
            salt_len=self.params.salt_len,
        )

    def hash(self, password: str) -> str:
        """A PHC-format argon2id hash with a fresh salt."""
        return self._hasher.hash(_normalize(password))

    def verify(self, password_hash: str, password: str) -> bool:
        """True when the password matches; a corrupt hash is a mismatch, never a crash."""
        try:
            return self._hasher.verify(password_hash, _normalize(password))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with other parameters (rehash after a good login)."""
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except (InvalidHashError, ValueError):
            return True

    @cached_property
    def _dummy_hash(self) -> str:
        return self._hasher.hash("dummy password for unknown accounts")

    def verify_dummy(self, password: str) -> None:
        """Spend the same time as a real check, so unknown emails don't answer faster."""
        self.verify(self._dummy_hash, password)
