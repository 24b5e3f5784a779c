"""``POST /api/auth/token``: a service account's API key for a short-lived access token.

The key is looked up by its public id in the read model and its secret compared in constant
time (a miss costs the same hashing as a hit); a revoked or expired key, or one whose account
is deactivated, gets the same 401. The token carries the account's roles and, as ``scope``,
the key's scopes, which the edge's AuthGate enforces on every request.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from aiohttp import web
from jsonschema import Draft202012Validator

from streams.http.access import public
from streams.http.body import describes_body, read_json
from streams.http.openapi import documented
from streams.http.problem import problem, read_model_unavailable
from streams.readmodel_pool import ReadModelUnavailable
from users_svc.api.deps import UsersApiDeps, users_api_deps
from users_svc.api.redis_best_effort import REDIS_ERRORS
from users_svc.api.routes.api_keys import key_session
from users_svc.api.schemas import TOKEN_REQUEST
from users_svc.domain.api_keys import parse_api_key, verify_api_key

API_KEY_SCHEME = "apikey"
_VALIDATOR = Draft202012Validator(TOKEN_REQUEST)
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _invalid_key() -> web.Response:
    # One answer for unknown, wrong, revoked, expired and deactivated: nothing to probe.
    response = problem(401, "Unauthorized", "the API key is not valid", code="invalid_api_key")
    response.headers["WWW-Authenticate"] = 'ApiKey realm="dafnck"'
    return response


def header_key(request: web.Request) -> str | None:
    """The key of an ``Authorization: ApiKey <key>`` header, None without one."""
    scheme, _, credential = request.headers.get("Authorization", "").strip().partition(" ")
    return credential.strip() if scheme.lower() == API_KEY_SCHEME else None


async def exchange(deps: UsersApiDeps, presented: str) -> web.Response:
    """The token answer for a presented key, or 401 invalid_api_key."""
    now = datetime.now(UTC)
    parsed = parse_api_key(presented)
    try:
        stored = await deps.read_model.api_key(parsed[0]) if parsed else None
    except ReadModelUnavailable:
        return read_model_unavailable("users")
    record = stored.record if stored is not None else None
    # Always verified, found or not, so timing does not tell which key ids exist.
    if not verify_api_key(record, presented, now=now) or stored is None or record is None:
        return _invalid_key()
    if not stored.owner_active:
        return _invalid_key()
    sid = key_session(record.prefix)
    try:
        # Revocation is deny-listed before the read model may show it.
        if await deps.revocations.session_denied(sid):
            return _invalid_key()
    except REDIS_ERRORS:
        pass  # like the AuthGate: a Redis outage does not lock machines out
    lifetime = deps.settings.service_token_ttl_s
    if record.expires_at is not None:
        # A token never outlives its key.
        lifetime = min(lifetime, max(1, math.floor((record.expires_at - now).total_seconds())))
    body = await deps.access.issue_service(
        record.owner_id, stored.owner_roles, record.scopes, sid, lifetime
    )
    return web.json_response(body, headers=_NO_STORE)


@documented(
    tag="auth",
    responses={
        200: "A Bearer access token (`expires_in` seconds) narrowed to the key's `scope`",
        401: "Unknown, wrong, revoked or expired key, or a deactivated account",
        503: "The users read model is not available",
    },
)
@public
@describes_body(TOKEN_REQUEST)
async def token(request: web.Request) -> web.StreamResponse:
    """Exchange a service account's API key for a short-lived access token."""
    presented = header_key(request)
    if presented is None:
        body = await read_json(request, _VALIDATOR)
        if isinstance(body, web.Response):
            return body
        presented = body["api_key"]
    return await exchange(users_api_deps(request), presented)
