"""Machine clients on a running `dafnck up`: service accounts, API keys and scoped tokens."""

from __future__ import annotations

import jwt
import pytest

from tests.e2e.identity.platform import Edge

pytestmark = pytest.mark.e2e


def test_a_key_becomes_a_token_allowed_within_its_scope_until_revoked(edge: Edge) -> None:
    admin = edge.admin_token()
    account = edge.service_account(admin, ["admin"])
    assert (account["kind"], account["email"]) == ("service", None)
    issued = edge.issue_key(admin, account["id"], ["users:read"])
    assert issued["key"].startswith(f"dk_{issued['id']}_")
    listed = edge.call("GET", f"/api/service-accounts/{account['id']}/keys", token=admin)
    assert [k["id"] for k in listed.body["items"]] == [issued["id"]]
    assert issued["key"].encode() not in str(listed.body).encode()

    exchanged = edge.exchange(issued["key"])
    assert exchanged.status == 200, exchanged.body
    assert (exchanged.body["expires_in"], exchanged.body["scope"]) == (900, "users:read")
    token = exchanged.body["access_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["sub"], claims["roles"]) == (account["id"], ["admin"])
    # Within scope: the account's roles allow it and the key's scope names it.
    assert edge.call("GET", "/api/users", token=token).status == 200
    # Outside scope: the account is an administrator, but this key only reads users.
    outside = edge.call(
        "POST", f"/api/users/{account['id']}/roles", {"role": "viewer"}, token=token
    )
    assert (outside.status, outside.body["permission"]) == (403, "roles:assign")

    path = f"/api/service-accounts/{account['id']}/keys/{issued['id']}"
    revoked = edge.call("DELETE", path, token=admin)
    assert (revoked.status, revoked.body["status"]) == (200, "revoked")
    refused = edge.exchange(issued["key"])
    assert (refused.status, refused.body["code"]) == (401, "invalid_api_key")
    assert edge.call("GET", "/api/users", token=token).status == 401


def test_a_wrong_key_is_refused_like_an_unknown_one(edge: Edge) -> None:
    admin = edge.admin_token()
    account = edge.service_account(admin, ["viewer"])
    issued = edge.issue_key(admin, account["id"], ["agents:read"])
    forged = issued["key"][:-4] + ("AAAA" if not issued["key"].endswith("AAAA") else "BBBB")
    for key in (forged, "dk_00000000_nothing-here", "not a key"):
        answer = edge.call("POST", "/api/auth/token", {"api_key": key})
        assert (answer.status, answer.body["code"]) == (401, "invalid_api_key"), key
