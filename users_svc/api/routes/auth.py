"""Sign-in, token refresh, sign-out and the public signing keys."""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import time
import uuid
from typing import Any

from aiohttp import web

from streams.commands import Pending
from streams.http.access import public
from streams.http.body import accepts, json_body
from streams.http.client_address import client_address
from streams.http.command_route import run_command_and_wait
from streams.http.commands import reply_response, send_command
from streams.http.openapi import documented
from streams.http.principal import require_principal
from streams.http.problem import problem, read_model_unavailable
from streams.readmodel_pool import ReadModelUnavailable
from users_svc.api.command_sending import USER_COMMANDS, email_hash, post, still_pending
from users_svc.api.deps import UsersApiDeps, in_thread, users_api_deps
from users_svc.api.http_answers import throttled
from users_svc.api.readmodel import Credentials
from users_svc.api.redis_best_effort import REDIS_ERRORS, count_failure, throttle_counters
from users_svc.api.schemas import LOGIN, REFRESH
from users_svc.api.tokens import mint_refresh, parse_family, parse_refresh, seal, unseal
from users_svc.domain.passwords import PasswordHashing
from users_svc.domain.profile import normalize_email
from users_svc.domain.throttle import check_login, throttle_keys

log = logging.getLogger("dafnck.users.http")
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _invalid_credentials() -> web.Response:
    # One answer for unknown email, wrong password and deactivated account alike.
    return problem(401, "Unauthorized", "email or password is wrong", code="invalid_credentials")


def _invalid_refresh() -> web.Response:
    return problem(
        401, "Unauthorized", "the refresh token is not valid", code="invalid_refresh_token"
    )


def _revocation_unavailable() -> web.Response:
    response = problem(
        503,
        "Service Unavailable",
        "revocation could not be recorded; try again",
        code="revocation_unavailable",
    )
    response.headers["Retry-After"] = "1"
    return response


def _ip(address: str) -> str | None:
    # Commands carry an IP or nothing: a proxy's junk must not make them invalid.
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def _check_password(passwords: PasswordHashing, creds: Credentials | None, password: str) -> bool:
    if creds is None or not creds.active:
        passwords.verify_dummy(password)  # same work, so timing does not tell who exists
        return False
    return passwords.verify(creds.password_hash, password)


def _record_failure(
    request: web.Request, email: str, creds: Credentials | None, address: str, reason: str
) -> None:
    data = {
        "user_id": creds.user_id if creds is not None else None,
        "email_hash": email_hash(email),
        "client_ip": _ip(address),
        "reason": reason,
    }
    subject = creds.user_id if creds is not None else f"email:{data['email_hash']}"
    post(request, "RecordLoginFailure", subject, data)


async def _tokens(
    deps: UsersApiDeps, user_id: str, resource: dict[str, Any] | None, family_id: str
) -> dict[str, Any]:
    roles = (resource or {}).get("roles", [])
    return await deps.access.issue(user_id, roles, family_id)


@documented(
    tag="auth",
    responses={
        200: "An access token (Bearer) and a refresh token",
        401: "Wrong email or password (the same answer for unknown emails)",
        429: "Too many failed sign-ins for this account or address; see Retry-After",
        503: "The identity service is not answering",
    },
)
@public
@accepts(LOGIN)
async def login(request: web.Request) -> web.StreamResponse:
    """Sign in with email and password."""
    deps = users_api_deps(request)
    body = json_body(request)
    email, password = body["email"], body["password"]
    address = client_address(request, deps.settings.trusted_proxy_hops)
    keys = throttle_keys(email, address)
    counters = await throttle_counters(deps, keys)
    if counters is not None:
        decision = check_login(*counters, now=time.time())
        if not decision.allowed:
            _record_failure(request, email, None, address, "throttled")
            return throttled(decision.retry_after, "login_throttled", "too many failed sign-ins")
    try:
        creds = await deps.read_model.credentials_by_email(normalize_email(email))
    except ReadModelUnavailable:
        return read_model_unavailable("users")
    if not await in_thread(_check_password, deps.passwords, creds, password):
        await count_failure(deps, keys)
        reason = "deactivated" if creds is not None and not creds.active else "bad_credentials"
        _record_failure(request, email, creds, address, reason)
        return _invalid_credentials()
    assert creds is not None  # a password only verifies against stored credentials
    with contextlib.suppress(*REDIS_ERRORS):  # the counter expires on its own anyway
        await deps.throttle.succeeded(keys)
    family_id = str(uuid.uuid4())
    refresh = mint_refresh(creds.user_id, family_id)
    data = {
        "user_id": creds.user_id,
        "family_id": family_id,
        "refresh_token_hash": refresh.hash,
        "credentials_version": creds.credentials_version,
        "client_ip": _ip(address),
        "user_agent": request.headers.get("User-Agent", "")[:1024] or None,
    }
    outcome = await send_command(
        request, USER_COMMANDS, "StartSession", creds.user_id, data, actor=creds.user_id
    )
    if isinstance(outcome, web.Response):
        return outcome
    if isinstance(outcome, Pending):
        return still_pending()
    reply = outcome.reply
    if reply.status != "succeeded":
        # Deactivated, or the password changed since the read model saw it.
        return _invalid_credentials() if reply.http_status == 401 else reply_response(reply)
    tokens = await _tokens(deps, creds.user_id, reply.resource, family_id)
    return web.json_response({**tokens, "refresh_token": refresh.token}, headers=_NO_STORE)


@documented(
    tag="auth",
    responses={
        200: "A new access token and the next refresh token (the presented one is used up)",
        401: "Unknown, expired or revoked refresh token; reuse of a used one ends the session",
        503: "The identity service is not answering",
    },
)
@public
@accepts(REFRESH)
async def refresh(request: web.Request) -> web.StreamResponse:
    """Exchange a refresh token for new tokens (rotation with reuse detection)."""
    deps = users_api_deps(request)
    presented = json_body(request)["refresh_token"]
    parsed = parse_refresh(presented)
    if parsed is None:
        return _invalid_refresh()
    try:
        kept = await deps.grace.get(parsed.hash)
    except REDIS_ERRORS:
        kept = None
    answer = unseal(kept, presented) if kept is not None else None
    if answer is not None:
        return web.json_response(answer, headers=_NO_STORE)  # a retry within the grace window
    successor = mint_refresh(parsed.user_id, parsed.family_id)
    data = {
        "user_id": parsed.user_id,
        "family_id": parsed.family_id,
        "presented_token_hash": parsed.hash,
        "new_token_hash": successor.hash,
    }
    outcome = await send_command(
        request, USER_COMMANDS, "RefreshSession", parsed.user_id, data, actor=parsed.user_id
    )
    if isinstance(outcome, web.Response):
        return outcome
    if isinstance(outcome, Pending):
        return still_pending()
    reply = outcome.reply
    if reply.status != "succeeded":
        if reply.error is not None and reply.error.code == "token_reuse_detected":
            # Whoever holds the family's access tokens may be the thief: end them too.
            try:
                await deps.revocations.deny_session(parsed.family_id)
            except REDIS_ERRORS as exc:
                log.error("session not deny-listed after reuse", extra={"error": str(exc)})
        return reply_response(reply)
    tokens = await _tokens(deps, parsed.user_id, reply.resource, parsed.family_id)
    body = {**tokens, "refresh_token": successor.token}
    try:
        await deps.grace.put(
            parsed.hash, seal(body, presented), deps.settings.refresh_grace_s
        )
    except REDIS_ERRORS as exc:
        log.warning("refresh grace answer not kept", extra={"error": str(exc)})
    return web.json_response(body, headers=_NO_STORE)


@documented(tag="auth", responses={200: "The session ended; its access tokens are refused"})
async def logout(request: web.Request) -> web.StreamResponse:
    """Sign out of this session: its refresh token and access tokens stop working."""
    deps = users_api_deps(request)
    principal = require_principal(request)
    # A token exchanged for an API key has no session to end: only the token itself ends
    # (its sid names the key, which stays usable until revoked).
    family = parse_family(principal.sid)
    try:
        await deps.revocations.deny(principal.jti, principal.exp)
        if family is not None:
            await deps.revocations.deny_session(family)
    except REDIS_ERRORS:
        return _revocation_unavailable()
    if family is None:
        return web.json_response({"revoked": []})
    data = {"user_id": principal.sub, "family_id": family, "by": principal.sub}
    return await run_command_and_wait(
        request, USER_COMMANDS, "EndSession", principal.sub, data,
        read_model=deps.read_model_view, created_status=200,
    )


@documented(tag="auth", responses={200: "Every session of the caller ended"})
async def logout_all(request: web.Request) -> web.StreamResponse:
    """Sign out everywhere: every session and access token of the caller stops working."""
    deps = users_api_deps(request)
    principal = require_principal(request)
    try:
        await deps.revocations.revoke_before(principal.sub)
    except REDIS_ERRORS:
        return _revocation_unavailable()
    data = {"user_id": principal.sub, "by": principal.sub}
    return await run_command_and_wait(
        request, USER_COMMANDS, "EndAllSessions", principal.sub, data,
        read_model=deps.read_model_view, created_status=200,
    )


@documented(tag="auth", responses={200: "The JWKS document (RS256 public keys)"})
@public
async def jwks(request: web.Request) -> web.Response:
    """The public keys access tokens are signed with (JWKS)."""
    document = users_api_deps(request).ring.jwks()
    return web.json_response(document, headers={"Cache-Control": "public, max-age=300"})
