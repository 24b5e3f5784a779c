"""Service accounts, API keys and the token exchange over HTTP (fakes, no I/O)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.users_svc.users_api_app import Harness, claims_of, identity_app

ADMIN, MEMBER = "admin@example.com", "member@example.com"


@pytest.fixture
async def edge(tmp_path: Path) -> AsyncIterator[Harness]:
    async with identity_app(tmp_path, service_token_ttl_s=600) as harness:
        harness.add_user(ADMIN, ["admin"])
        harness.add_user(MEMBER, ["member"])
        yield harness


async def _call(
    edge: Harness, method: str, path: str, auth: str | dict[str, str] | None, body: Any = None
) -> tuple[int, Any, Any]:
    headers = await edge.bearer(auth) if isinstance(auth, str) else dict(auth or {})
    response = await edge.client.request(method, path, json=body, headers=headers)
    text = await response.text()
    return response.status, json.loads(text) if text else None, response.headers


async def _account(edge: Harness, roles: list[str]) -> str:
    status, body, headers = await _call(
        edge, "POST", "/api/service-accounts", ADMIN, {"name": "ingest", "roles": roles}
    )
    assert status == 201, body
    assert headers["Location"] == f"/api/service-accounts/{body['id']}"
    return str(body["id"])


async def _key(edge: Harness, account: str, scopes: list[str], **extra: Any) -> dict[str, Any]:
    body = {"name": "host 7", "scopes": scopes, **extra}
    status, issued, headers = await _call(
        edge, "POST", f"/api/service-accounts/{account}/keys", ADMIN, body
    )
    assert status == 201, issued
    assert headers["Cache-Control"] == "no-store"
    return dict(issued)


async def _exchange(edge: Harness, key: str, *, header: bool = False) -> tuple[int, Any]:
    if header:
        status, body, _ = await _call(
            edge, "POST", "/api/auth/token", {"Authorization": f"ApiKey {key}"}
        )
    else:
        status, body, _ = await _call(edge, "POST", "/api/auth/token", None, {"api_key": key})
    return status, body


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_key_is_shown_once_and_only_its_hash_is_sent(edge: Harness) -> None:
    account = await _account(edge, ["operator"])
    issued = await _key(edge, account, ["users:read", "agents:read"])
    assert issued["key"].startswith(f"dk_{issued['id']}_")
    assert (issued["status"], issued["scopes"]) == ("active", ["agents:read", "users:read"])
    (command,) = edge.bus.of_type("IssueApiKey")
    assert issued["key"].split("_", 2)[2] not in json.dumps(command.data)
    assert len(command.data["secret_hash"]) == 64
    status, listed, _ = await _call(edge, "GET", f"/api/service-accounts/{account}/keys", ADMIN)
    assert status == 200 and [k["id"] for k in listed["items"]] == [issued["id"]]
    assert "key" not in listed["items"][0] and "secret_hash" not in listed["items"][0]


async def test_a_token_from_a_key_is_allowed_within_its_scope_only(edge: Harness) -> None:
    account = await _account(edge, ["operator"])
    issued = await _key(edge, account, ["users:read"])
    status, answer = await _exchange(edge, issued["key"])
    assert status == 200, answer
    assert (answer["token_type"], answer["expires_in"], answer["scope"]) == (
        "Bearer", 600, "users:read"
    )
    claims = claims_of(answer["access_token"])
    assert claims["sub"] == account and claims["roles"] == ["operator"]
    assert claims["sid"] == f"key:{issued['id']}" and claims["exp"] - claims["iat"] == 600
    token = _bearer(answer["access_token"])
    assert (await _call(edge, "GET", "/api/users", token))[0] == 200
    assert (await _call(edge, "GET", f"/api/service-accounts/{account}", token))[0] == 200
    status, refused, _ = await _call(edge, "POST", "/api/users", token, {"email": "x@y.z"})
    assert (status, refused["permission"]) == (403, "users:create")  # neither role nor scope
    # Operators may read users, but a key scoped to agents does not reach that far.
    narrow = await _key(edge, account, ["agents:read"])
    status, answer = await _exchange(edge, narrow["key"])
    status, refused, _ = await _call(edge, "GET", "/api/users", _bearer(answer["access_token"]))
    assert (status, refused["permission"]) == (403, "users:read")


async def test_the_key_may_come_in_an_authorization_header(edge: Harness) -> None:
    account = await _account(edge, ["viewer"])
    issued = await _key(edge, account, ["agents:read"])
    status, answer = await _exchange(edge, issued["key"], header=True)
    assert status == 200 and answer["scope"] == "agents:read"


@pytest.mark.parametrize(
    "presented",
    ["nonsense", "dk_zzzzzzzz_notasecret", "Bearer-ish dk_", ""],
)
async def test_unknown_and_malformed_keys_get_one_answer(edge: Harness, presented: str) -> None:
    status, body, headers = await _call(
        edge, "POST", "/api/auth/token", {"Authorization": f"ApiKey {presented}"}
    )
    assert (status, body["code"]) == (401, "invalid_api_key")
    assert headers["WWW-Authenticate"].startswith("ApiKey")


async def test_a_wrong_secret_for_a_real_key_id_is_refused(edge: Harness) -> None:
    account = await _account(edge, ["viewer"])
    issued = await _key(edge, account, ["agents:read"])
    forged = f"dk_{issued['id']}_{'A' * 43}"
    assert (await _exchange(edge, forged))[0] == 401


async def test_revoking_a_key_refuses_its_exchange_and_ends_its_tokens(edge: Harness) -> None:
    account = await _account(edge, ["operator"])
    issued = await _key(edge, account, ["users:read"])
    other = await _key(edge, account, ["users:read"])
    token = _bearer((await _exchange(edge, issued["key"]))[1]["access_token"])
    sibling = _bearer((await _exchange(edge, other["key"]))[1]["access_token"])
    path = f"/api/service-accounts/{account}/keys/{issued['id']}"
    status, revoked, _ = await _call(edge, "DELETE", path, ADMIN)
    assert (status, revoked["status"]) == (200, "revoked")
    assert (await _exchange(edge, issued["key"]))[0] == 401
    assert (await _call(edge, "GET", "/api/users", token))[0] == 401
    # The account's other key and its tokens are untouched.
    assert (await _call(edge, "GET", "/api/users", sibling))[0] == 200
    assert (await _exchange(edge, other["key"]))[0] == 200


async def test_the_deny_list_refuses_a_revoked_key_before_the_read_model_shows_it(
    edge: Harness,
) -> None:
    account = await _account(edge, ["viewer"])
    issued = await _key(edge, account, ["agents:read"])
    await edge.deny.deny_session(f"key:{issued['id']}")
    assert (await _exchange(edge, issued["key"]))[0] == 401


async def test_expired_keys_and_deactivated_accounts_are_refused(edge: Harness) -> None:
    account = await _account(edge, ["viewer"])
    soon = datetime.now(UTC) + timedelta(seconds=90)
    issued = await _key(edge, account, ["agents:read"], expires_at=soon.isoformat())
    status, answer = await _exchange(edge, issued["key"])
    assert status == 200 and answer["expires_in"] <= 90  # never outlives its key
    key = edge.read_model.keys[issued["id"]]
    edge.read_model.keys[issued["id"]] = replace(key, expires_at=datetime.now(UTC))
    assert (await _exchange(edge, issued["key"]))[0] == 401
    fresh = await _key(edge, account, ["agents:read"])
    edge.read_model.users_by_id[account]["status"] = "deactivated"
    assert (await _exchange(edge, fresh["key"]))[0] == 401


async def test_scopes_stay_within_the_account_and_the_issuer(edge: Harness) -> None:
    account = await _account(edge, ["viewer"])
    path = f"/api/service-accounts/{account}/keys"
    status, body, _ = await _call(edge, "POST", path, ADMIN, {"name": "k", "scopes": ["users:*"]})
    assert (status, body["code"], body["field"]) == (422, "scope_exceeds_owner", "scopes")
    # A scoped caller cannot mint a key broader than its own token either.
    mine = await _key(edge, account, ["agents:read"])
    assert mine["scopes"] == ["agents:read"]
    admin_account = await _account(edge, ["admin"])
    manager = await _key(edge, admin_account, ["users:update", "users:read"])
    token = _bearer((await _exchange(edge, manager["key"]))[1]["access_token"])
    status, body, _ = await _call(
        edge, "POST", path, token, {"name": "k", "scopes": ["agents:read", "tasks:read"]}
    )
    assert (status, body["code"]) == (403, "scope_exceeds_caller")


async def test_people_are_not_service_accounts(edge: Harness) -> None:
    member = next(c.user_id for c in edge.read_model.creds.values())
    status, body, _ = await _call(
        edge, "POST", f"/api/service-accounts/{member}/keys", ADMIN,
        {"name": "k", "scopes": ["agents:read"]},
    )
    assert (status, body["code"]) == (404, "service_account_not_found")
    status, page, _ = await _call(edge, "GET", "/api/service-accounts", ADMIN)
    assert status == 200 and page["items"] == []
    account = await _account(edge, [])
    status, page, _ = await _call(edge, "GET", "/api/users?kind=service", ADMIN)
    assert [u["id"] for u in page["items"]] == [account]


async def test_members_may_not_manage_service_accounts(edge: Harness) -> None:
    status, body, _ = await _call(edge, "POST", "/api/service-accounts", MEMBER, {"name": "x"})
    assert (status, body["permission"]) == (403, "users:create")


async def test_logging_out_a_key_token_ends_that_token_only(edge: Harness) -> None:
    account = await _account(edge, ["viewer"])
    issued = await _key(edge, account, ["agents:read"])
    first = _bearer((await _exchange(edge, issued["key"]))[1]["access_token"])
    status, body, _ = await _call(edge, "POST", "/api/auth/logout", first)
    assert (status, body) == (200, {"revoked": []})
    assert (await _call(edge, "GET", "/api/me", first))[0] == 401
    assert (await _exchange(edge, issued["key"]))[0] == 200
    assert edge.bus.of_type("EndSession") == []
