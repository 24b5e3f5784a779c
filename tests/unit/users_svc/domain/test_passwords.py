"""Password policy (codes and field names a sign-up form shows) and argon2id storage."""

from __future__ import annotations

import pytest

from users_svc.domain.errors import DomainError
from users_svc.domain.passwords import (
    Argon2Params,
    Argon2Passwords,
    check_password,
    is_common_password,
    password_problems,
)

GOOD = "Velvet-Harbor-42"
FAST = Argon2Params(time_cost=1, memory_cost_kib=8, parallelism=1)


def _codes(password: str, email: str | None = None) -> list[str]:
    return [p.code for p in password_problems(password, email)]


def test_a_strong_password_passes() -> None:
    check_password(GOOD, "ada@example.com")
    assert password_problems(GOOD, "ada@example.com") == []


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("Sh0rt!pass", "password_too_short"),
        ("Aa1!" * 40, "password_too_long"),
        ("alllowercaseletters", "password_too_simple"),
        ("lowercasedigits12345", "password_too_simple"),
        ("Password2024!", "password_too_common"),
        ("P@ssw0rd12345", "password_too_common"),
        ("Qwerty123456!", "password_too_common"),
        ("@dmin20242024", "password_too_common"),
    ],
)
def test_each_rule_has_its_own_code_on_the_password_field(password: str, code: str) -> None:
    with pytest.raises(DomainError) as caught:
        check_password(password, "someone@example.com")
    assert caught.value.code == code
    assert caught.value.field == "password"
    assert caught.value.message


def test_every_broken_rule_is_listed_in_form_order() -> None:
    assert _codes("password", "x@example.com") == [
        "password_too_short",
        "password_too_simple",
        "password_too_common",
    ]


def test_three_of_four_character_classes_are_enough() -> None:
    assert _codes("lowercase UPPER 99") == []  # lower + upper + digit (+ space as symbol)
    assert _codes("lowercaseUPPERonly") == ["password_too_simple"]
    assert _codes("lowercase-and-123") == []  # lower + symbol + digit


def test_a_password_containing_the_email_local_part_is_refused() -> None:
    assert "password_contains_email" in _codes("Ada.Lovelace#2024", "ada.lovelace@example.com")
    assert "password_contains_email" in _codes("XXada.lovelace!9", "Ada.Lovelace@Example.com")
    # A +tag does not hide the name.
    assert "password_contains_email" in _codes("GraceNotes#1906", "grace+work@example.org")


def test_a_very_short_local_part_does_not_forbid_half_the_alphabet() -> None:
    assert _codes("Velvet-Harbor-42", "al@example.com") == []


def test_common_passwords_are_caught_through_case_lookalikes_and_year_suffixes() -> None:
    assert is_common_password("PASSWORD")
    assert is_common_password("Pa$$w0rd")
    assert is_common_password("Welcome2025!!")
    assert not is_common_password(GOOD)


def test_argon2id_hash_verifies_and_rejects() -> None:
    passwords = Argon2Passwords(FAST)
    stored = passwords.hash(GOOD)
    assert stored.startswith("$argon2id$")
    assert GOOD not in stored
    assert passwords.verify(stored, GOOD)
    assert not passwords.verify(stored, GOOD + "x")
    assert passwords.hash(GOOD) != stored  # fresh salt every time


def test_a_damaged_hash_is_a_mismatch_not_a_crash() -> None:
    passwords = Argon2Passwords(FAST)
    assert not passwords.verify("not-a-hash", GOOD)
    assert passwords.needs_rehash("not-a-hash")


def test_hashes_made_with_other_parameters_need_a_rehash() -> None:
    old = Argon2Passwords(FAST).hash(GOOD)
    stronger = Argon2Passwords(Argon2Params(time_cost=2, memory_cost_kib=16, parallelism=1))
    assert stronger.verify(old, GOOD)  # the old hash still logs in...
    assert stronger.needs_rehash(old)  # ...and is then upgraded
    assert not stronger.needs_rehash(stronger.hash(GOOD))


def test_the_same_password_typed_in_another_unicode_form_verifies() -> None:
    passwords = Argon2Passwords(FAST)
    composed = "Caf\u00e9-Harbor-42"
    decomposed = "Cafe\u0301-Harbor-42"
    assert passwords.verify(passwords.hash(composed), decomposed)


def test_production_parameters_are_argon2id_with_the_documented_costs() -> None:
    passwords = Argon2Passwords()
    assert (passwords.params.time_cost, passwords.params.memory_cost_kib) == (3, 32 * 1024)
    assert passwords.params.parallelism == 1
    stored = passwords.hash(GOOD)
    assert stored.startswith("$argon2id$v=19$m=32768,t=3,p=1$")
    assert passwords.verify(stored, GOOD)
    assert not passwords.needs_rehash(stored)


def test_the_dummy_check_for_unknown_accounts_returns_nothing() -> None:
    passwords = Argon2Passwords(FAST)
    passwords.verify_dummy(GOOD)  # spends the time, reveals nothing
