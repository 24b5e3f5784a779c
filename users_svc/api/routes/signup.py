"""Optional self sign-up: ``POST /api/users``'s account creation, open to anyone.

``POST /api/auth/signup`` exists only with ``DAFNCK_SELF_SIGNUP=true`` (otherwise the route
is not mounted: 404). It answers exactly what ``POST /api/users`` answers an administrator,
from the same code: 201 with the new account, 409 ``email_taken`` when the email has an
account (no more: not whose, nor whether it is active), 422 naming a broken password or
profile rule. Like any sign-up form it therefore tells whether an email is registered; the
edge rate-limits it per client address (``SIGNUP_RATE``).
"""

from __future__ import annotations

from aiohttp import web

from streams.http.access import public
from streams.http.body import accepts, json_body
from streams.http.openapi import documented
from streams.http.rate_rules import RateRule, rule
from users_svc.api.routes.users import register
from users_svc.api.schemas import SIGNUP

SIGNUP_PATH = "/api/auth/signup"
# Per client address: enough for people behind one NAT, too few to sweep emails with.
SIGNUP_RATE: RateRule = rule(SIGNUP_PATH, 20, 3600)
SIGNUP_ROLES = ["member"]


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
