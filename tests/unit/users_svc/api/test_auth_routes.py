"""Sign-in, refresh, sign-out over HTTP against fakes of the users worker (no I/O)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import jwt
import pytest

from tests.support.users_svc.fake_users_service import sha
from tests.support.users_svc.users_api_app import (
    AUDIENCE,
    ISSUER,
    PASSWORD,
    Harness,
    claims_of,
    identity_app,
)
from users_svc.api.tokens import parse_refresh

PROBLEM = "application/problem+json"
EMAIL = "ada@example.com"


@pytest.fixture
async def edge(tmp_path: Path) -> AsyncIterator[Harness]:
    async with identity_app(tmp_path) as harness:
        harness.add_user(EMAIL, ["member"])
        yield harness


async def _post(edge: Harness, path: str, body: Any, **kwargs: Any) -> tuple[int, Any, Any]:
    response = await edge.client.post(path, json=body, **kwargs)
    return response.status, await response.json(content_type=None), response.headers


async def test_login_answers_bearer_and_refresh_tokens_with_the_claims(edge: Harness) -> None:
    status, body, headers = await _post(
        edge, "/api/auth/login", {"email": "Ada@Example.com", "password": PASSWORD}
    )
    assert status == 200, body
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    assert headers["Cache-Control"] == "no-store"
    header = jwt.get_unverified_header(body["access_token"])
    assert header["alg"] == "RS256" and header["kid"] == edge.ring.active.kid
    claims = claims_of(body["access_token"])
    user_id = edge.read_model.creds[next(iter(edge.read_model.creds))].user_id
    assert claims["iss"] == ISSUER and claims["aud"] == AUDIENCE and claims["sub"] == user_id
    assert claims["roles"] == ["member"] and claims["jti"]
    assert claims["exp"] - claims["iat"] == 900
    refresh = parse_refresh(body["refresh_token"])
    assert refresh is not None and refresh.user_id == user_id and claims["sid"] == refresh.family_id


async def test_login_sends_start_session_with_hashes_only(edge: Harness) -> None:
    _, body, _ = await _post(edge, "/api/auth/login", {"email": EMAIL, "password": PASSWORD})
    (start,) = edge.bus.of_type("StartSession")
    assert start.data["refresh_token_hash"] == sha(body["refresh_token"])
    assert start.data["credentials_version"] == 1
    assert start.subject == start.data["user_id"] == start.actor
    # Neither the password nor the refresh token ever travel on Kafka.
    sent = str([e.data for e in edge.bus.sent])
    assert PASSWORD not in sent and body["refresh_token"] not in sent


async def test_the_access_token_opens_protected_routes(edge: Harness) -> None:
    headers = await edge.bearer(EMAIL)
    response = await edge.client.get("/api/me", headers=headers)
    assert response.status == 200
    assert (await response.json())["email"] == EMAIL


@pytest.mark.parametrize(
    ("email", "password", "reason"),
    [
        (EMAIL, "Wrong-Password-1", "bad_credentials"),
        ("nobody@example.com", PASSWORD, "bad_credentials"),
    ],
)
async def test_wrong_password_and_unknown_email_get_the_same_401(
    edge: Harness, email: str, password: str, reason: str
) -> None:
    status, body, _ = await _post(edge, "/api/auth/login", {"email": email, "password": password})
    assert status == 401
    assert body["code"] == "invalid_credentials" and body["detail"] == "email or password is wrong"
    await edge.identity.close()  # the failure record is sent in the background
    (failure,) = edge.bus.of_type("RecordLoginFailure")
    assert failure.data["reason"] == reason
    assert failure.data["email_hash"] == sha(email.casefold())
    if email != EMAIL:
        assert failure.data["user_id"] is None
        assert failure.subject == f"email:{sha(email)}"


async def test_a_deactivated_account_cannot_sign_in(edge: Harness) -> None:
    user_id = next(iter(edge.read_model.creds))
    creds = edge.read_model.creds[user_id]
    edge.read_model.creds[user_id] = replace(creds, status="deactivated")
    status, body, _ = await _post(edge, "/api/auth/login", {"email": EMAIL, "password": PASSWORD})
    assert (status, body["code"]) == (401, "invalid_credentials")
    await edge.identity.close()
    (failure,) = edge.bus.of_type("RecordLoginFailure")
    assert (failure.data["reason"], failure.data["user_id"]) == ("deactivated", user_id)
    assert not edge.bus.of_type("StartSession")


async def test_a_refusal_by_the_worker_is_the_same_401(edge: Harness) -> None:
    # E.g. the password changed after the read model was read: the worker refuses the session.
    original = edge.service._StartSession
    edge.service._StartSession = lambda d: edge.service._no(401, "invalid_credentials")  # type: ignore[method-assign]
    try:
        status, body, _ = await _post(
            edge, "/api/auth/login", {"email": EMAIL, "password": PASSWORD}
        )
    finally:
        edge.service._StartSession = original  # type: ignore[method-assign]
    assert (status, body["code"]) == (401, "invalid_credentials")


async def test_login_while_the_worker_is_silent_is_503_not_a_token(edge: Harness) -> None:
    edge.bus.answer = lambda envelope: None
    status, body, headers = await _post(
        edge, "/api/auth/login", {"email": EMAIL, "password": PASSWORD}
    )
    assert (status, body["code"]) == (503, "identity_busy")
    assert headers["Retry-After"]


async def test_login_while_the_read_model_is_down_is_503(edge: Harness) -> None:
    edge.read_model.unavailable = True
    status, body, _ = await _post(edge, "/api/auth/login", {"email": EMAIL, "password": PASSWORD})
    assert (status, body["code"]) == (503, "read_model_unavailable")


async def test_five_failures_lock_the_account_with_retry_after(edge: Harness) -> None:
    for _ in range(5):
        status, _, _ = await _post(
            edge, "/api/auth/login", {"email": EMAIL, "password": "Nope-123456"}
        )
        assert status == 401
    # Locked now, even with the right password, and the answer says when to come back.
    status, body, headers = await _post(
        edge, "/api/auth/login", {"email": EMAIL, "password": PASSWORD}
    )
    assert status == 429 and body["code"] == "login_throttled"
    assert 0 < int(headers["Retry-After"]) <= 900
    await edge.identity.close()
    assert edge.bus.of_type("RecordLoginFailure")[-1].data["reason"] == "throttled"


async def test_unknown_emails_are_throttled_exactly_like_known_ones(edge: Harness) -> None:
    statuses = []
    for _ in range(6):
        status, _, _ = await _post(
            edge, "/api/auth/login", {"email": "ghost@example.com", "password": PASSWORD}
        )
        statuses.append(status)
    assert statuses == [401] * 5 + [429]


async def test_many_emails_from_one_address_are_throttled_by_address(edge: Harness) -> None:
    for n in range(20):
        status, _, _ = await _post(
            edge, "/api/auth/login", {"email": f"guess{n}@example.com", "password": PASSWORD}
        )
        assert status == 401
    status, _, _ = await _post(edge, "/api/auth/login", {"email": EMAIL, "password": PASSWORD})
    assert status == 429


async def test_a_good_sign_in_clears_the_account_counter(edge: Harness) -> None:
    for _ in range(4):
        await _post(edge, "/api/auth/login", {"email": EMAIL, "password": "Nope-123456"})
    await edge.login(EMAIL)
    for _ in range(4):
        status, _, _ = await _post(
            edge, "/api/auth/login", {"email": EMAIL, "password": "Nope-123456"}
        )
        assert status == 401
    await edge.login(EMAIL)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": PASSWORD}, "email"),
        ({"email": EMAIL}, "password"),
        ({"email": EMAIL, "password": 42}, "password"),
        ({"email": EMAIL, "password": PASSWORD, "remember": True}, "remember"),
    ],
)
async def test_a_malformed_login_body_is_422_naming_the_field(
    edge: Harness, body: dict[str, Any], field: str
) -> None:
    response = await edge.client.post("/api/auth/login", json=body)
    assert response.status == 422 and response.content_type == PROBLEM
    problem = await response.json(content_type=None)
    assert problem["field"] == field and problem["code"] == "invalid_body"
    assert field in problem["detail"]


async def test_refresh_rotates_and_keeps_the_session(edge: Harness) -> None:
    first = await edge.login(EMAIL)
    status, second, _ = await _post(
        edge, "/api/auth/refresh", {"refresh_token": first["refresh_token"]}
    )
    assert status == 200, second
    assert second["refresh_token"] != first["refresh_token"]
    assert claims_of(second["access_token"])["sid"] == claims_of(first["access_token"])["sid"]
    (command,) = edge.bus.of_type("RefreshSession")
    assert command.data["presented_token_hash"] == sha(first["refresh_token"])
    assert command.data["new_token_hash"] == sha(second["refresh_token"])
    status, _, _ = await _post(
        edge, "/api/auth/refresh", {"refresh_token": second["refresh_token"]}
    )
    assert status == 200


async def test_a_retry_within_the_grace_window_gets_the_same_answer(edge: Harness) -> None:
    first = await edge.login(EMAIL)
    _, answer, _ = await _post(edge, "/api/auth/refresh", {"refresh_token": first["refresh_token"]})
    _, again, _ = await _post(edge, "/api/auth/refresh", {"refresh_token": first["refresh_token"]})
    assert again == answer
    assert len(edge.bus.of_type("RefreshSession")) == 1
    # Kept sealed under the presented token: Redis never holds a usable token in clear.
    (sealed,) = (entry[0] for entry in edge.grace.entries.values())
    assert answer["refresh_token"].encode() not in sealed


async def test_reuse_after_the_grace_window_ends_the_whole_session(edge: Harness) -> None:
    first = await edge.login(EMAIL)
    _, second, _ = await _post(edge, "/api/auth/refresh", {"refresh_token": first["refresh_token"]})
    edge.grace.entries.clear()  # the window has passed
    status, body, _ = await _post(
        edge, "/api/auth/refresh", {"refresh_token": first["refresh_token"]}
    )
    assert (status, body["code"]) == (401, "token_reuse_detected")
    # The legitimate client's next refresh fails too, and the session's access tokens die.
    status, body, _ = await _post(
        edge, "/api/auth/refresh", {"refresh_token": second["refresh_token"]}
    )
    assert status == 401
    headers = {"Authorization": f"Bearer {second['access_token']}"}
    assert (await edge.client.get("/api/me", headers=headers)).status == 401


@pytest.mark.parametrize(
    "token", ["garbage", "dkr.not-a-uuid.x.y", "dkr.00000000-0000-0000-0000-000000000000.a.b"]
)
async def test_a_malformed_refresh_token_is_401_without_a_command(
    edge: Harness, token: str
) -> None:
    status, body, _ = await _post(edge, "/api/auth/refresh", {"refresh_token": token})
    assert (status, body["code"]) == (401, "invalid_refresh_token")
    assert not edge.bus.of_type("RefreshSession")


async def test_logout_ends_the_session_and_its_access_tokens(edge: Harness) -> None:
    tokens = await edge.login(EMAIL)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    response = await edge.client.post("/api/auth/logout", headers=headers)
    assert response.status == 200
    (end,) = edge.bus.of_type("EndSession")
    assert end.data["family_id"] == claims_of(tokens["access_token"])["sid"]
    assert (await edge.client.get("/api/me", headers=headers)).status == 401
    status, _, _ = await _post(
        edge, "/api/auth/refresh", {"refresh_token": tokens["refresh_token"]}
    )
    assert status == 401


async def test_logout_needs_a_token(edge: Harness) -> None:
    assert (await edge.client.post("/api/auth/logout")).status == 401


async def test_logout_all_revokes_every_token_of_the_user(edge: Harness) -> None:
    one, two = await edge.bearer(EMAIL), await edge.bearer(EMAIL)
    response = await edge.client.post("/api/auth/logout-all", headers=one)
    assert response.status == 200
    assert len((await response.json())["revoked"]) == 2
    assert (await edge.client.get("/api/me", headers=two)).status == 401
    # Signing in again works at once (not "revoked" by the marker's second).
    assert (await edge.client.get("/api/me", headers=await edge.bearer(EMAIL))).status == 200


async def test_jwks_is_public_and_verifies_issued_tokens(edge: Harness) -> None:
    response = await edge.client.get("/.well-known/jwks.json")
    assert response.status == 200
    document = await response.json()
    (key,) = document["keys"]
    token = (await edge.login(EMAIL))["access_token"]
    public = jwt.PyJWK(key).key
    claims = jwt.decode(token, public, algorithms=["RS256"], audience=AUDIENCE, issuer=ISSUER)
    assert claims["roles"] == ["member"]
