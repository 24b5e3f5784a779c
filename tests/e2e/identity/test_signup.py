"""Self sign-up on a running `dafnck up` started with DAFNCK_SELF_SIGNUP=true.

That it is off by default is checked on the default platform (test_platform_up).
"""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.identity.platform import PASSWORD, Edge

pytestmark = pytest.mark.e2e


def test_anyone_may_sign_up_and_then_sign_in(edge: Edge) -> None:
    email = f"self-{uuid.uuid4().hex[:8]}@e2e.test"
    body = {"email": email, "password": PASSWORD, "display_name": "Self"}
    created = edge.call("POST", "/api/auth/signup", body)
    assert created.status == 201, created.body
    assert (created.body["roles"], created.body["kind"]) == (["member"], "user")
    token = edge.login(email)["access_token"]
    me = edge.call("GET", "/api/me", token=token)
    assert me.status == 200 and me.body["email"] == email
    again = edge.call("POST", "/api/auth/signup", {**body, "password": "Other-Pass-2468"})
    assert (again.status, again.body["code"]) == (409, "email_taken")
