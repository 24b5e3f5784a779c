"""Creating an account with a password: the shared path, and optional self sign-up.

``POST /api/auth/signup`` exists only with ``DAFNCK_SELF_SIGNUP=true`` (otherwise the route
is not mounted: 404). It answers exactly what ``POST /api/users`` answers an administrator,
from the same code: 201 with the new account, 409 ``email_taken`` when the email has an
account (no more: not whose, nor whether it is active), 422 naming a broken password or
profile rule. Like any sign-up form it therefore tells whether an email is registered; the
edge rate-limits it per client address (``SIGNUP_RATE``).
"""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from streams.http.access import public
from streams.http.body import accepts, json_body
from streams.http.openapi import documented
from streams.http.rate_rules import RateRule, rule
from users_svc.api.command_sending import ask, email_subject, succeeded
from users_svc.api.deps import in_thread, users_api_deps
from users_svc.api.http_answers import domain_problem, respond
from users_svc.api.read_your_writes import settle, view_matches
from users_svc.api.schemas import SIGNUP
from users_svc.domain.errors import DomainError
from users_svc.domain.passwords import check_password
from users_svc.domain.profile import clean_display_name, clean_email

SIGNUP_PATH = "/api/auth/signup"
# Per client address: enough for people behind one NAT, too few to sweep emails with.
SIGNUP_RATE: RateRule = rule(SIGNUP_PATH, 20, 3600)
SIGNUP_ROLES = ["member"]


async def register(
    request: web.Request, body: dict[str, Any], *, roles: list[str], created_by: str | None
) -> web.Response:
    """Check, hash and send CreateUser; answer when the new account can sign in."""
    deps = users_api_deps(request)
    try:
        email = clean_email(body["email"])
        display_name = clean_display_name(body["display_name"])
        check_password(body["password"], email)
    except DomainError as exc:
        return domain_problem(exc)
    user_id = str(uuid.uuid4())
    data = {
        "user_id": user_id,
        "email": email,
        "display_name": display_name,
        "password_hash": await in_thread(deps.passwords.hash, body["password"]),
        "roles": roles,
        "created_by": created_by,
    }
    outcome = await ask(request, "CreateUser", email_subject(email), data)
    reply = succeeded(outcome)
    if reply is not None and reply.resource is not None:
        created = str(reply.resource.get("id", user_id))

        async def can_sign_in() -> bool:
            shown = view_matches(await deps.read_model.user(created), reply.resource)
            return shown and await deps.read_model.credentials_of(created) is not None

        # So the new user can sign in, and be listed, as soon as the 201 arrives.
        await settle(can_sign_in, deps.settings.read_your_writes_s)
    response = respond(outcome, created_status=201)
    if reply is not None and reply.resource is not None and "id" in reply.resource:
        response.headers["Location"] = f"/api/users/{reply.resource['id']}"
    return response


@documented(
    tag="auth",
    responses={
        201: "The new account (role member); sign in with POST /api/auth/login",
        409: "An account with this email exists (the same answer an administrator gets)",
        422: "A password or profile rule is broken; `code` and `field` say which",
        429: "Too many sign-ups from this address; see Retry-After",
        202: "Accepted: the service has not answered yet; poll status_url",
    },
)
@public
@accepts(SIGNUP)
async def signup(request: web.Request) -> web.Response:
    """Create your own account (only when DAFNCK_SELF_SIGNUP=true)."""
    return await register(request, json_body(request), roles=SIGNUP_ROLES, created_by=None)
