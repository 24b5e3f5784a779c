"""Self sign-up over HTTP: off by default (404); when on, it tells no more than the admin path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from edge.auth.wiring import SecuritySettings
from edge.services import with_signup_limit
from streams.http.rate_rules import RateRule, match_rule
from tests.support.users_svc.users_api_app import Harness, identity_app
from users_svc.api.settings import IdentitySettings, flag

ADMIN = "admin@example.com"
GRACE = {"email": "grace@example.com", "password": "Compiler-Pioneer-1952", "display_name": "G"}


async def _post(edge: Harness, path: str, body: Any, **headers: str) -> tuple[int, Any]:
    response = await edge.client.post(path, json=body, headers=headers)
    return response.status, json.loads(await response.text())


def _without_id(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "command_id"}


async def test_sign_up_is_off_by_default(tmp_path: Path) -> None:
    async with identity_app(tmp_path) as edge:
        status, _ = await _post(edge, "/api/auth/signup", GRACE)
        assert status == 404 and edge.bus.sent == []
        document = await (await edge.client.get("/openapi.json")).json()
        assert "/api/auth/signup" not in document["paths"]


async def test_signing_up_creates_a_member_nobody_created(tmp_path: Path) -> None:
    async with identity_app(tmp_path, self_signup=True) as edge:
        status, body = await _post(edge, "/api/auth/signup", GRACE)
        assert status == 201, body
        assert (body["email"], body["roles"]) == ("grace@example.com", ["member"])
        (command,) = edge.bus.of_type("CreateUser")
        assert command.data["created_by"] is None and command.data["roles"] == ["member"]
        assert GRACE["password"] not in json.dumps(command.data)
        await edge.login("grace@example.com", GRACE["password"])
        document = await (await edge.client.get("/openapi.json")).json()
        assert document["paths"]["/api/auth/signup"]["post"]["security"] == []


async def test_a_sign_up_says_no_more_than_the_admin_path(tmp_path: Path) -> None:
    async with identity_app(tmp_path, self_signup=True) as edge:
        edge.add_user(ADMIN, ["admin"])
        await _post(edge, "/api/auth/signup", GRACE)
        admin = await edge.bearer(ADMIN)
        again = {**GRACE, "password": "Another-Pass-2024"}
        by_self = await _post(edge, "/api/auth/signup", again)
        by_admin = await _post(edge, "/api/users", again, **admin)
        assert by_self[0] == by_admin[0] == 409
        assert _without_id(by_self[1]) == _without_id(by_admin[1])
        assert set(by_self[1]) == {"type", "title", "status", "detail", "code", "field",
                                   "command_id"}
        weak = {**GRACE, "email": "new@example.com", "password": "password"}
        self_weak, admin_weak = (
            await _post(edge, "/api/auth/signup", weak),
            await _post(edge, "/api/users", weak, **admin),
        )
        assert self_weak == admin_weak and self_weak[0] == 422


async def test_sign_up_takes_only_the_three_fields(tmp_path: Path) -> None:
    async with identity_app(tmp_path, self_signup=True) as edge:
        status, body = await _post(edge, "/api/auth/signup", {**GRACE, "roles": ["admin"]})
        assert (status, body["code"], body["field"]) == (422, "invalid_body", "roles")


def test_open_sign_up_is_rate_limited_per_address_unless_configured() -> None:
    limited = with_signup_limit(SecuritySettings())
    found = match_rule(limited.rate_rules, "/api/auth/signup")
    assert found is not None and (found.limit, found.window_s) == (20, 3600)
    own = SecuritySettings(rate_rules=(RateRule("/api/auth/signup", 5, 60),))
    assert with_signup_limit(own) == own


@pytest.mark.parametrize(
    ("value", "on"), [("", False), ("false", False), ("0", False), ("true", True), ("ON", True)]
)
def test_the_sign_up_switch(value: str, on: bool) -> None:
    env = {"DAFNCK_SELF_SIGNUP": value}
    assert flag(env, "DAFNCK_SELF_SIGNUP") is on
    assert IdentitySettings.from_env(env, issuer="i", audience="a").self_signup is on


def test_a_garbled_switch_is_an_error() -> None:
    with pytest.raises(ValueError, match="DAFNCK_SELF_SIGNUP"):
        flag({"DAFNCK_SELF_SIGNUP": "maybe"}, "DAFNCK_SELF_SIGNUP")
