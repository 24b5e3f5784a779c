"""The User aggregate: create, update, deactivate, roles, password change, login check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from users_svc.domain.credentials import (
    authenticate,
    change_password,
    rehash_password,
    reset_password,
)
from users_svc.domain.errors import DomainError
from users_svc.domain.passwords import Argon2Params, Argon2Passwords
from users_svc.domain.rbac import define_custom_role
from users_svc.domain.users import (
    User,
    assign_role,
    create_user,
    deactivate_user,
    register_user,
    revoke_role,
    update_profile,
)

PASSWORDS = Argon2Passwords(Argon2Params(time_cost=1, memory_cost_kib=8, parallelism=1))
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)
ADA = "c4e8a1f2-3b5d-4e6f-8a9b-0c1d2e3f4a5b"
ADMIN = "6a0d7c3b-5e2f-4b8a-9c1d-7e6f5a4b3c2d"
SECRET = "Velvet-Harbor-42"
REVIEWER = define_custom_role("ml-reviewer", ["agents:read", "tasks:update"])


def _create(**overrides: Any) -> User:
    args: dict[str, Any] = {
        "user_id": ADA,
        "email": "  Ada@Example.COM ",
        "display_name": " Ada Lovelace ",
        "password": SECRET,
        "now": T0,
        "email_taken": False,
        "passwords": PASSWORDS,
        "created_by": ADMIN,
    }
    args.update(overrides)
    user, _ = create_user(**args)
    return user


def _error(call: Any, **kwargs: Any) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(**kwargs)
    return caught.value


def test_create_normalizes_email_and_emits_user_created_without_credentials() -> None:
    user, events = create_user(
        user_id=ADA, email=" Ada@Example.COM ", display_name=" Ada Lovelace ", password=SECRET,
        now=T0, email_taken=False, passwords=PASSWORDS, created_by=ADMIN,
    )
    assert (user.email, user.email_normalized) == ("Ada@Example.COM", "ada@example.com")
    assert user.display_name == "Ada Lovelace"
    assert user.roles == ("member",) and user.is_active
    assert PASSWORDS.verify(user.password_hash, SECRET)
    assert [e.type for e in events] == ["UserCreated"]
    assert events[0].data == {
        "user_id": ADA, "email": "Ada@Example.COM", "display_name": "Ada Lovelace",
        "roles": ["member"], "created_by": ADMIN,
    }
    assert SECRET not in str(events) and user.password_hash not in str(events)


def test_a_taken_email_is_refused_on_the_email_field() -> None:
    error = _error(create_user, user_id=ADA, email="ada@example.com", display_name="Ada",
                   password=SECRET, now=T0, email_taken=True, passwords=PASSWORDS)
    assert (error.code, error.field) == ("email_taken", "email")


@pytest.mark.parametrize(
    ("override", "code", "field"),
    [
        ({"email": "not-an-email"}, "invalid_email", "email"),
        ({"email": "   "}, "email_required", "email"),
        ({"display_name": "  "}, "display_name_required", "display_name"),
        ({"display_name": "x" * 101}, "invalid_display_name", "display_name"),
        ({"password": "short"}, "password_too_short", "password"),
        ({"password": "ada-Example-2024"}, "password_contains_email", "password"),
        ({"roles": ["Admin"]}, "invalid_role_name", "roles"),
        ({"roles": ["ghost"]}, "unknown_role", "roles"),
        ({"user_id": "42"}, "invalid_id", "user_id"),
    ],
)
def test_bad_input_names_the_field(override: dict[str, Any], code: str, field: str) -> None:
    with pytest.raises(DomainError) as caught:
        _create(**override)
    assert (caught.value.code, caught.value.field) == (code, field)


def test_custom_roles_can_be_granted_at_creation() -> None:
    user = _create(
        roles=["viewer", "ml-reviewer", "viewer"], custom_roles={"ml-reviewer": REVIEWER}
    )
    assert user.roles == ("ml-reviewer", "viewer")


def test_update_profile_emits_only_what_changed() -> None:
    user = _create()
    updated, events = update_profile(user, updated_by=ADA, now=T1,
                                     display_name="Ada King", email="Ada@Example.COM")
    assert updated.display_name == "Ada King" and updated.updated_at == T1
    assert [e.data for e in events] == [
        {"user_id": ADA, "changes": {"display_name": "Ada King"}, "updated_by": ADA}
    ]


def test_an_update_that_changes_nothing_emits_nothing() -> None:
    user = _create()
    assert update_profile(user, updated_by=ADA, now=T1, display_name="Ada Lovelace") == (user, [])


def test_changing_email_to_a_taken_one_is_refused_but_recasing_your_own_is_fine() -> None:
    user = _create()
    error = _error(update_profile, user=user, updated_by=ADA, now=T1,
                   email="grace@example.org", email_taken=True)
    assert (error.code, error.field) == ("email_taken", "email")
    # Same normalized email: the index says "taken" (by this very user) and that's fine.
    updated, events = update_profile(user, updated_by=ADA, now=T1,
                                     email="ada@example.com", email_taken=True)
    assert updated.email == "ada@example.com"
    assert events[0].data["changes"] == {"email": "ada@example.com"}


def test_change_password_revokes_every_session_and_emits_no_event() -> None:
    user = _create()
    new = "Copper-Lantern-77"
    changed, events = change_password(user, current_password=SECRET, new_password=new,
                                      now=T1, passwords=PASSWORDS)
    assert events == []
    assert changed.credentials_version == user.credentials_version + 1
    assert changed.sessions_revoked_at == T1
    assert authenticate(changed, new, PASSWORDS).ok
    assert not authenticate(changed, SECRET, PASSWORDS).ok


def test_change_password_checks_the_current_one_and_the_policy() -> None:
    user = _create()
    wrong = _error(change_password, user=user, current_password="nope", new_password="x",
                   now=T1, passwords=PASSWORDS)
    assert (wrong.code, wrong.field) == ("invalid_current_password", "current_password")
    same = _error(change_password, user=user, current_password=SECRET, new_password=SECRET,
                  now=T1, passwords=PASSWORDS)
    assert (same.code, same.field) == ("password_unchanged", "password")
    weak = _error(change_password, user=user, current_password=SECRET,
                  new_password="password", now=T1, passwords=PASSWORDS)
    assert (weak.code, weak.field) == ("password_too_short", "password")


def test_admin_reset_also_revokes_sessions() -> None:
    user = _create()
    reset, _ = reset_password(user, new_password="Copper-Lantern-77", now=T1, passwords=PASSWORDS)
    assert reset.credentials_version == 2 and reset.sessions_revoked_at == T1


def test_rehash_keeps_sessions() -> None:
    user = _create()
    renewed = rehash_password(user, password=SECRET, now=T1, passwords=PASSWORDS)
    assert renewed.password_hash != user.password_hash
    assert renewed.credentials_version == user.credentials_version


def test_deactivation_ends_sessions_blocks_login_and_is_idempotent() -> None:
    user = _create()
    gone, events = deactivate_user(user, deactivated_by=ADMIN, reason=" Left ", now=T1)
    assert gone.status == "deactivated" and gone.credentials_version == 2
    assert events[0].data == {"user_id": ADA, "deactivated_by": ADMIN, "reason": "Left"}
    assert deactivate_user(gone, deactivated_by=ADMIN, reason="again", now=T1) == (gone, [])
    assert authenticate(gone, SECRET, PASSWORDS).ok is False
    error = _error(update_profile, user=gone, updated_by=ADMIN, now=T1, display_name="X")
    assert error.code == "user_deactivated"


def test_deactivation_requires_a_reason() -> None:
    error = _error(deactivate_user, user=_create(), deactivated_by=ADMIN, reason="  ", now=T1)
    assert (error.code, error.field) == ("reason_required", "reason")


def test_assigning_a_held_role_is_idempotent_with_no_event() -> None:
    user = _create()
    ops, events = assign_role(user, role="operator", assigned_by=ADMIN, now=T1)
    assert ops.roles == ("member", "operator")
    assert events[0].data == {"user_id": ADA, "role": "operator", "assigned_by": ADMIN}
    assert assign_role(ops, role="operator", assigned_by=ADMIN, now=T1) == (ops, [])


def test_revoking_a_role_not_held_is_idempotent_with_no_event() -> None:
    user = _create()
    without, events = revoke_role(user, role="member", revoked_by=ADMIN, now=T1)
    assert without.roles == ()
    assert events[0].data == {"user_id": ADA, "role": "member", "revoked_by": ADMIN}
    assert revoke_role(without, role="member", revoked_by=ADMIN, now=T1) == (without, [])


def test_unknown_and_malformed_roles_are_refused() -> None:
    user = _create()
    assert _error(assign_role, user=user, role="ghost", assigned_by=ADMIN, now=T1).code == (
        "unknown_role"
    )
    error = _error(assign_role, user=user, role="Bad Role", assigned_by=ADMIN, now=T1)
    assert (error.code, error.field) == ("invalid_role_name", "role")
    custom, _ = assign_role(user, role="ml-reviewer", assigned_by=ADMIN, now=T1,
                            custom_roles={"ml-reviewer": REVIEWER})
    assert "ml-reviewer" in custom.roles


def test_login_check_looks_the_same_for_unknown_deactivated_and_wrong_password() -> None:
    user = _create()
    gone, _ = deactivate_user(user, deactivated_by=ADMIN, reason="left", now=T1)
    results = {
        authenticate(None, SECRET, PASSWORDS),
        authenticate(gone, SECRET, PASSWORDS),
        authenticate(user, "Wrong-Password-1", PASSWORDS),
    }
    assert len(results) == 1 and not results.pop().ok
    assert authenticate(user, SECRET, PASSWORDS).ok


def test_login_flags_hashes_made_with_old_parameters() -> None:
    user = _create()
    stronger = Argon2Passwords(Argon2Params(time_cost=2, memory_cost_kib=16, parallelism=1))
    check = authenticate(user, SECRET, stronger)
    assert check.ok and check.needs_rehash


def test_naive_times_are_a_programming_error() -> None:
    with pytest.raises(ValueError):
        _create(now=datetime(2025, 1, 1))


def test_the_table_form_round_trips() -> None:
    user, _ = change_password(_create(), current_password=SECRET,
                              new_password="Copper-Lantern-77", now=T1, passwords=PASSWORDS)
    assert User.from_dict(user.to_dict()) == user


def test_register_takes_the_edge_s_hash_and_checks_everything_else() -> None:
    password_hash = PASSWORDS.hash(SECRET)
    user, events = register_user(
        user_id=ADA, email=" Ada@Example.COM ", display_name="Ada", password_hash=password_hash,
        now=T0, email_taken=False, created_by=None,
    )
    assert (user.password_hash, user.email_normalized) == (password_hash, "ada@example.com")
    assert [e.type for e in events] == ["UserCreated"]
    assert password_hash not in str(events)
    plaintext = _error(register_user, user_id=ADA, email="ada@example.com", display_name="Ada",
                       password_hash=SECRET, now=T0, email_taken=False)
    assert (plaintext.code, plaintext.field) == ("invalid_password_hash", "password_hash")
    taken = _error(register_user, user_id=ADA, email="ada@example.com", display_name="Ada",
                   password_hash=password_hash, now=T0, email_taken=True)
    assert taken.code == "email_taken"
