"""Every event the users domain emits validates against schemas/user-events/<type>/v1.json."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from schemas import schema_path
from users_svc.domain import events as ev
from users_svc.domain.credentials import credentials_changed, set_password_hash
from users_svc.domain.events import DomainEvent
from users_svc.domain.passwords import Argon2Params, Argon2Passwords
from users_svc.domain.rbac import define_custom_role
from users_svc.domain.users import (
    assign_role,
    create_user,
    deactivate_user,
    revoke_role,
    update_profile,
)

PASSWORDS = Argon2Passwords(Argon2Params(time_cost=1, memory_cost_kib=8, parallelism=1))
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
ADA = "C4E8A1F2-3B5D-4E6F-8A9B-0C1D2E3F4A5B"  # upper case in: canonical lower case out
ADMIN = "6a0d7c3b5e2f4b8a9c1d7e6f5a4b3c2d"  # no hyphens in: hyphenated out
EVENT_TYPES = [ev.USER_CREATED, ev.USER_UPDATED, ev.USER_DEACTIVATED, ev.ROLE_ASSIGNED,
               ev.ROLE_REVOKED, ev.PASSWORD_CHANGED, ev.LOGIN_SUCCEEDED, ev.LOGIN_FAILED,
               ev.TOKEN_REUSE_DETECTED, ev.LOGGED_OUT]
FAMILY = "2b7e151c-8a1f-4e2d-9c3b-5d6e7f8a9b0c"
EMAIL_HASH = "5d41402abc4b2a76b9719d911017c592ad5e1e2f3a4b5c6d7e8f9a0b1c2d3e4f"


@cache
def _validator(type_name: str) -> Draft202012Validator:
    schema = json.loads(schema_path(ev.TOPIC, type_name, 1).read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _everything_the_domain_emits() -> list[DomainEvent]:
    emitted: list[DomainEvent] = []

    def keep(result: tuple[Any, list[DomainEvent]]) -> Any:
        emitted.extend(result[1])
        return result[0]

    reviewer = define_custom_role("ml-reviewer", ["agents:read"])
    custom = {"ml-reviewer": reviewer}
    user = keep(create_user(
        user_id=ADA, email=" Ada@Example.com ", display_name=" " + "Ä" * 100 + " ",
        password="Velvet-Harbor-42", now=T0, email_taken=False, passwords=PASSWORDS,
        roles=["member", "ml-reviewer"], custom_roles=custom, created_by=ADMIN,
    ))
    keep(create_user(
        user_id="d5f9b2a3-4c6e-4f70-9b1c-2d3e4f5a6b7c", email="grace@example.org",
        display_name="Grace", password="Velvet-Harbor-42", now=T0, email_taken=False,
        passwords=PASSWORDS, roles=[],
    ))
    later = T0 + timedelta(minutes=5)
    user = keep(update_profile(user, updated_by=ADA, now=later, display_name="Ada King"))
    user = keep(update_profile(user, updated_by=ADMIN, now=later, email="ada@king.example",
                               display_name="Ada"))
    user = keep(assign_role(user, role="admin", assigned_by=ADMIN, now=later))
    user = keep(assign_role(user, role="ml-reviewer", assigned_by=ADMIN, now=later,
                            custom_roles=custom))
    user = keep(revoke_role(user, role="ml-reviewer", revoked_by=ADMIN, now=later))
    new_hash = PASSWORDS.hash("Copper-Lantern-77")
    user = keep(set_password_hash(user, password_hash=new_hash, changed_by=ADA, now=later))
    keep(deactivate_user(user, deactivated_by=ADMIN, reason="x" * 500, now=later))
    emitted += [
        ev.login_succeeded(user.id, FAMILY, "203.0.113.7", "Mozilla/5.0"),
        ev.login_succeeded(user.id, FAMILY, None, None),
        ev.login_failed(user.id, EMAIL_HASH, "2001:db8::1", "bad_credentials"),
        ev.login_failed(None, EMAIL_HASH, None, "throttled"),
        ev.token_reuse_detected(user.id, FAMILY),
        ev.logged_out(user.id, FAMILY),
        ev.logged_out(user.id, None),
    ]
    return emitted


EMITTED = _everything_the_domain_emits()


def test_every_event_type_has_a_schema_and_is_exercised() -> None:
    assert {e.type for e in EMITTED} == set(EVENT_TYPES)
    for type_name in EVENT_TYPES:
        assert schema_path(ev.TOPIC, type_name, 1).is_file()


@pytest.mark.parametrize("event", EMITTED, ids=lambda e: e.type)
def test_emitted_event_data_validates_against_its_schema(event: DomainEvent) -> None:
    errors = sorted(_validator(event.type).iter_errors(event.data), key=str)
    assert errors == [], [f"{list(e.absolute_path)}: {e.message}" for e in errors]
    assert event.version == 1
    assert event.subject == (event.data["user_id"] or f"email:{event.data['email_hash']}")


def test_credentials_changed_validates_against_the_internal_topic_s_schema() -> None:
    user, _ = create_user(
        user_id=ADA, email="Ada@Example.com", display_name="Ada", password="Velvet-Harbor-42",
        now=T0, email_taken=False, passwords=PASSWORDS,
    )
    event = credentials_changed(user)
    schema = json.loads(schema_path("user-credentials", event.type, 1).read_text())
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    assert list(validator.iter_errors(event.data)) == []
    assert event.data["email_normalized"] == "ada@example.com"


def test_the_validator_would_catch_an_extra_field() -> None:
    bad = {**EMITTED[0].data, "password_hash": "$argon2id$..."}
    assert list(_validator(ev.USER_CREATED).iter_errors(bad))


def test_ids_are_canonical_uuids_in_events() -> None:
    assert EMITTED[0].data["user_id"] == ADA.lower()
    assert EMITTED[0].data["created_by"] == "6a0d7c3b-5e2f-4b8a-9c1d-7e6f5a4b3c2d"
