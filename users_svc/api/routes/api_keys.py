"""API keys of service accounts: issue (shown once), list (never a secret) and revoke.

A key is minted here and only the SHA-256 of its secret goes to the users worker. Revoking a
key deny-lists the tokens already exchanged for it (their ``sid`` is ``key:<key_id>``), so
they stop working at once, on every edge replica.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from streams.commands import Completed, Outcome, Pending
from streams.http.access import requires
from streams.http.body import accepts, json_body
from streams.http.command_route import run_command_and_wait, wait_for_read_model
from streams.http.commands import COMMAND_ID_HEADER, outcome_response, send_command, status_url
from streams.http.openapi import documented
from streams.http.principal import require_principal
from streams.http.problem import problem, read_model_unavailable
from streams.readmodel_pool import ReadModelUnavailable
from users_svc.api.command_sending import USER_COMMANDS, succeeded
from users_svc.api.deps import UsersApiDeps, users_api_deps
from users_svc.api.escalation import beyond_caller
from users_svc.api.http_answers import domain_problem, user_id_param
from users_svc.api.redis_best_effort import REDIS_ERRORS
from users_svc.api.routes.service_accounts import PENDING, service_account
from users_svc.api.schemas import ISSUE_API_KEY
from users_svc.domain.api_keys import IssuedApiKey, issue_api_key
from users_svc.domain.errors import DomainError
from users_svc.domain.service_accounts import key_view

_KEY_ID = re.compile(r"^[a-z0-9]{8}$")
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_ISSUE_ATTEMPTS = 3


def key_session(key_id: str) -> str:
    """The ``sid`` of tokens exchanged for a key: deny-listing it ends all of them."""
    return f"key:{key_id}"


def _expiry(body: dict[str, Any]) -> datetime | None:
    raw = body.get("expires_at")
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise DomainError(
            "invalid_expiry", "expires_at is an RFC 3339 time with a time zone.", "expires_at"
        )
    return moment


async def _mint(
    deps: UsersApiDeps, account: dict[str, Any], body: dict[str, Any], now: datetime
) -> IssuedApiKey:
    owner = await deps.custom_roles.permissions(account["roles"])
    for _ in range(_ISSUE_ATTEMPTS):
        issued = issue_api_key(
            owner_id=account["id"],
            name=body["name"],
            scopes=body["scopes"],
            owner_permissions=owner,
            now=now,
            expires_at=_expiry(body),
        )
        # Key ids are 32 random bits: a clash is rare, but the id is the lookup key.
        if await deps.read_model.api_key(issued.record.prefix) is None:
            return issued
    raise DomainError("key_id_clash", "Could not pick a free key id; try again.", None)


def _issued_body(resource: dict[str, Any], issued: IssuedApiKey) -> dict[str, Any]:
    if resource.get("id") != issued.record.prefix:
        # An Idempotency-Key retry answered with the first request's key: its secret was
        # shown then and is known to nobody now.
        return {**resource, "key": None}
    return {**resource, "key": issued.key}


@documented(
    tag="service-accounts",
    responses={
        201: "The key: `key` holds the secret, shown this once; store it now",
        403: "A scope exceeds the caller's own permissions",
        404: "No such service account",
        422: "A scope exceeds the account's permissions, or is not resource:action",
        **PENDING,
    },
)
@requires("users:update")
@accepts(ISSUE_API_KEY)
async def issue_key(request: web.Request) -> web.Response:
    """Issue an API key for a service account (exchange it at POST /api/auth/token)."""
    deps, body, principal = users_api_deps(request), json_body(request), require_principal(request)
    account = await service_account(deps, user_id_param(request))
    if isinstance(account, web.Response):
        return account
    beyond = await beyond_caller(deps, principal, body["scopes"])
    if beyond is not None:
        detail = f"you cannot issue a key with {beyond!r}: you do not hold it yourself"
        return problem(403, "Forbidden", detail, code="scope_exceeds_caller", field="scopes")
    now = datetime.now(UTC)
    try:
        issued = await _mint(deps, account, body, now)
    except ReadModelUnavailable:
        return read_model_unavailable("users")
    except DomainError as exc:
        return domain_problem(exc)
    record = issued.record
    data = {
        "user_id": account["id"],
        "key_id": record.prefix,
        "name": record.name,
        "scopes": list(record.scopes),
        "secret_hash": record.secret_hash,
        "expires_at": record.expires_at.isoformat() if record.expires_at else None,
        "issued_by": principal.sub,
    }
    location = f"/api/service-accounts/{account['id']}/keys/{record.prefix}"

    def answer(outcome: Outcome) -> web.Response:
        # After the wait: the key is exchangeable as soon as its secret is shown.
        if isinstance(outcome, Pending):
            return _pending_with_key(outcome, issued.key)
        reply = succeeded(outcome)
        if reply is None or reply.resource is None:
            return outcome_response(outcome, created_status=200)
        response = web.json_response(_issued_body(reply.resource, issued), status=201)
        response.headers.update(_NO_STORE)
        response.headers["Location"] = location
        return response

    return await run_command_and_wait(
        request, USER_COMMANDS, "IssueApiKey", account["id"], data,
        read_model=deps.read_model_view, answer=answer,
    )


def _pending_with_key(outcome: Pending, key: str) -> web.Response:
    # The worker may still store the key: its secret must not be lost meanwhile.
    accepted = outcome_response(outcome)
    body = {
        "command_id": outcome.command_id,
        "status": "pending",
        "status_url": status_url(outcome.command_id),
        "key": key,
    }
    response = web.json_response(body, status=202, headers=_NO_STORE)
    for name in ("Location", "Retry-After", COMMAND_ID_HEADER):
        response.headers[name] = accepted.headers[name]
    return response


@documented(tag="service-accounts", responses={200: "The account's keys, without secrets"})
@requires("users:read")
async def list_keys(request: web.Request) -> web.Response:
    """An account's API keys (id, name, scopes, status, times); never a secret."""
    deps = users_api_deps(request)
    account = await service_account(deps, user_id_param(request))
    if isinstance(account, web.Response):
        return account
    try:
        keys = await deps.read_model.api_keys_of(account["id"])
    except ReadModelUnavailable:
        return read_model_unavailable("users")
    now = datetime.now(UTC)
    return web.json_response({"items": [key_view(k, now) for k in keys]})


@documented(
    tag="service-accounts",
    responses={200: "The revoked key", 404: "No such account or key", **PENDING},
)
@requires("users:update")
async def revoke_key(request: web.Request) -> web.Response:
    """Revoke an API key: no more exchanges, and its current tokens stop working now."""
    deps = users_api_deps(request)
    account_id, key_id = user_id_param(request), request.match_info["key_id"]
    if not _KEY_ID.match(key_id):
        return problem(404, "Not Found", f"no API key {key_id}", code="api_key_not_found")
    data = {"user_id": account_id, "key_id": key_id, "revoked_by": require_principal(request).sub}
    outcome = await send_command(request, USER_COMMANDS, "RevokeApiKey", account_id, data)
    if isinstance(outcome, web.Response):
        return outcome
    if succeeded(outcome) is not None or isinstance(outcome, Pending):
        try:
            await deps.revocations.deny_session(key_session(key_id))
        except REDIS_ERRORS:
            failed = problem(
                503,
                "Service Unavailable",
                "the key is revoked, but its current tokens could not be; repeat the request",
                code="revocation_unavailable",
            )
            failed.headers["Retry-After"] = "1"
            return failed
    if isinstance(outcome, Completed) and succeeded(outcome) is not None:
        await wait_for_read_model(request, deps.read_model_view, outcome)
    return outcome_response(outcome, created_status=200)
