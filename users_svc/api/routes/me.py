"""Self-service: the caller's profile and password, and permission checks."""

from __future__ import annotations

import time

from aiohttp import web

from streams.commands import Completed
from streams.http.body import accepts, json_body
from streams.http.client_address import client_address
from streams.http.command_route import run_command_and_wait, wait_for_read_model
from streams.http.commands import outcome_response, send_command
from streams.http.openapi import documented
from streams.http.permissions import scope_allows
from streams.http.principal import require_principal
from streams.http.problem import problem, read_model_unavailable
from streams.readmodel_pool import ReadModelUnavailable
from users_svc.api.command_sending import USER_COMMANDS
from users_svc.api.deps import in_thread, users_api_deps
from users_svc.api.http_answers import domain_problem, not_found, throttled
from users_svc.api.redis_best_effort import count_failure, revoke_tokens, throttle_counters
from users_svc.api.schemas import AUTHZ_CHECK, CHANGE_PASSWORD, UPDATE_USER
from users_svc.domain.errors import DomainError
from users_svc.domain.passwords import check_password, same_password
from users_svc.domain.profile import clean_display_name
from users_svc.domain.rbac import ACTIONS, RESOURCES, permissions_allow
from users_svc.domain.throttle import check_login, throttle_keys


@documented(tag="me", responses={200: "The caller's account", 404: "Not known (yet)"})
async def get_me(request: web.Request) -> web.Response:
    """The caller's own account."""
    sub = require_principal(request).sub
    try:
        user = await users_api_deps(request).read_model.user(sub)
    except ReadModelUnavailable:
        return read_model_unavailable("users")
    return web.json_response(user) if user is not None else not_found(sub)


@documented(tag="me", responses={200: "The caller's account"})
@accepts(UPDATE_USER)
async def update_me(request: web.Request) -> web.Response:
    """Change the caller's display name."""
    deps, sub = users_api_deps(request), require_principal(request).sub
    try:
        name = clean_display_name(json_body(request)["display_name"])
    except DomainError as exc:
        return domain_problem(exc)
    data = {"user_id": sub, "display_name": name, "updated_by": sub}
    return await run_command_and_wait(
        request, USER_COMMANDS, "UpdateUser", sub, data,
        read_model=deps.read_model_view, created_status=200,
    )


@documented(
    tag="me",
    responses={
        200: "Changed: every session ends, sign in again with the new password",
        422: "Current password wrong, or the new one breaks the policy (`code`, `field`)",
        429: "Too many wrong current passwords; see Retry-After",
    },
)
@accepts(CHANGE_PASSWORD)
async def change_password(request: web.Request) -> web.Response:
    """Change the caller's password."""
    deps, sub = users_api_deps(request), require_principal(request).sub
    body = json_body(request)
    current, new = body["current_password"], body["new_password"]
    try:
        creds = await deps.read_model.credentials_of(sub)
    except ReadModelUnavailable:
        return read_model_unavailable("users")
    if creds is None:
        return not_found(sub)
    # Guessing the current password with a stolen access token counts like failed sign-ins.
    address = client_address(request, deps.settings.trusted_proxy_hops)
    keys = throttle_keys(creds.email_normalized, address)
    counters = await throttle_counters(deps, keys)
    decision = check_login(*counters, now=time.time()) if counters is not None else None
    if decision is not None and not decision.allowed:
        return throttled(decision.retry_after, "password_throttled", "too many wrong passwords")
    if not await in_thread(deps.passwords.verify, creds.password_hash, current):
        await count_failure(deps, keys)
        error = DomainError("invalid_current_password", "The current password is wrong.")
        return domain_problem(error, "current_password")
    try:
        if same_password(new, current):
            raise DomainError("password_unchanged", "The new password must differ.")
        check_password(new, creds.email_normalized)
    except DomainError as exc:
        return domain_problem(exc, "new_password")
    password_hash = await in_thread(deps.passwords.hash, new)
    data = {"user_id": sub, "password_hash": password_hash, "changed_by": sub}
    outcome = await send_command(request, USER_COMMANDS, "ChangePassword", sub, data)
    if isinstance(outcome, web.Response):
        return outcome
    if not isinstance(outcome, Completed) or outcome.reply.status != "succeeded":
        return outcome_response(outcome, created_status=200)
    failed = await revoke_tokens(deps, sub)
    if failed is not None:
        return failed
    # So signing in with the new password works as soon as this answer arrives.
    await wait_for_read_model(request, deps.read_model_view, outcome)
    return outcome_response(outcome, created_status=200)


def _unknown(field: str, value: str, known: frozenset[str]) -> web.Response:
    detail = f"unknown {field} {value!r}; one of {', '.join(sorted(known))}"
    return problem(422, "Unprocessable Content", detail, code=f"unknown_{field}", field=field)


@documented(tag="authz", responses={200: "{allowed: true|false}", 404: "No such user"})
@accepts(AUTHZ_CHECK)
async def check(request: web.Request) -> web.Response:
    """May a user (default: the caller) do action on resource?"""
    principal = require_principal(request)
    body = json_body(request)
    resource, action = body["resource"], body["action"]
    if resource not in RESOURCES:
        return _unknown("resource", resource, RESOURCES)
    if action not in ACTIONS:
        return _unknown("action", action, ACTIONS)
    user_id = body.get("user_id", principal.sub).lower()
    roles, active = principal.roles, True
    grants = users_api_deps(request).custom_roles.permissions
    if user_id != principal.sub:
        # Asking about someone else reveals what their roles allow: that is reading users.
        may_read = scope_allows(principal.scopes, "users:read") and permissions_allow(
            await grants(principal.roles), "users", "read"
        )
        if not may_read:
            return problem(
                403,
                "Forbidden",
                "permission 'users:read' is required to check another user",
                permission="users:read",
            )
        try:
            user = await users_api_deps(request).read_model.user(user_id)
        except ReadModelUnavailable:
            return read_model_unavailable("users")
        if user is None:
            return not_found(user_id)
        roles, active = frozenset(user["roles"]), user["status"] == "active"
    owns = bool(body.get("owns", False))
    allowed = active and permissions_allow(await grants(roles), resource, action, owns)
    return web.json_response(
        {"allowed": allowed, "user_id": user_id, "resource": resource, "action": action}
    )
