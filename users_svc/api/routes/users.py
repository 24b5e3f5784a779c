"""Administration of accounts: create (also self sign-up's path), list, read, update, deactivate."""

from __future__ import annotations

import re
import uuid
from typing import Any

from aiohttp import web

from streams.commands import Completed, Pending, Reply
from streams.http.access import requires
from streams.http.body import accepts, json_body
from streams.http.command_route import run_command_and_wait, wait_for_read_model
from streams.http.commands import outcome_response, send_command
from streams.http.openapi import QueryParam, documented
from streams.http.paging import PAGE_QUERY, page_params, page_response
from streams.http.principal import require_principal
from streams.http.problem import problem, read_model_unavailable
from streams.http.query_params import InvalidQuery
from streams.readmodel_pool import ReadModelUnavailable
from users_svc.api.command_sending import USER_COMMANDS, email_subject, succeeded
from users_svc.api.deps import in_thread, users_api_deps
from users_svc.api.http_answers import domain_problem, not_found, user_id_param
from users_svc.api.readmodel import UserQuery
from users_svc.api.redis_best_effort import revoke_tokens
from users_svc.api.schemas import (
    CREATE_USER,
    DEACTIVATE_USER,
    ROLE_PATTERN,
    UPDATE_USER,
)
from users_svc.domain.errors import DomainError
from users_svc.domain.passwords import check_password
from users_svc.domain.profile import clean_display_name, clean_email
from users_svc.domain.users import DEFAULT_ROLES

_STATUSES = ("active", "deactivated")
_KINDS = ("user", "service")
COMMAND_RESPONSES = {202: "Accepted: the service has not answered yet; poll status_url"}
_ROLE = re.compile(ROLE_PATTERN)


def _user_location(reply: Reply) -> str | None:
    resource = reply.resource
    return f"/api/users/{resource['id']}" if resource is not None and "id" in resource else None


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
    # Waits for the user row and its credentials: the new user can sign in, and is
    # listed, as soon as the 201 arrives.
    return await run_command_and_wait(
        request,
        USER_COMMANDS,
        "CreateUser",
        email_subject(email),
        data,
        read_model=deps.read_model_view,
        location=_user_location,
    )


@documented(
    tag="users",
    responses={201: "The new user", 409: "An account with this email exists", **COMMAND_RESPONSES},
)
@requires("users:create")
@accepts(CREATE_USER)
async def create_user(request: web.Request) -> web.Response:
    """Create an account (roles default to member)."""
    body = json_body(request)
    roles = list(body.get("roles", DEFAULT_ROLES))
    return await register(request, body, roles=roles, created_by=require_principal(request).sub)


USERS_QUERY = (
    *PAGE_QUERY,
    QueryParam("email", {"type": "string"}, "email contains (case-insensitive)"),
    QueryParam("role", {"type": "string"}, "has this role"),
    QueryParam("status", {"enum": list(_STATUSES)}, "account status"),
)


def _query(request: web.Request, kind: str | None) -> UserQuery | web.Response:
    params = request.query

    def invalid(field: str, detail: str) -> web.Response:
        return problem(422, "Unprocessable Content", detail, code="invalid_query", field=field)

    try:
        limit, after = page_params(params)
    except InvalidQuery as exc:
        return exc.response()
    status = params.get("status")
    if status is not None and status not in _STATUSES:
        return invalid("status", f"status must be one of {', '.join(_STATUSES)}")
    role = params.get("role")
    if role is not None and not _ROLE.match(role):
        return invalid("role", "not a role name")
    kind = kind or params.get("kind")
    if kind is not None and kind not in _KINDS:
        return invalid("kind", f"kind must be one of {', '.join(_KINDS)}")
    return UserQuery(limit, after, params.get("email") or None, role, status, kind)


@documented(
    tag="users",
    responses={200: "A page of users: items, and next (the next page's URL, or null)"},
    query=(*USERS_QUERY, QueryParam("kind", {"enum": list(_KINDS)}, "user or service")),
)
@requires("users:read")
async def list_users(request: web.Request) -> web.Response:
    """List accounts (people and service accounts), oldest first, with filters."""
    return await list_accounts(request)


async def list_accounts(request: web.Request, kind: str | None = None) -> web.Response:
    """A page of accounts (``kind``: only people, or only service accounts)."""
    query = _query(request, kind)
    if isinstance(query, web.Response):
        return query
    try:
        page = await users_api_deps(request).read_model.users(query)
    except ReadModelUnavailable:
        return read_model_unavailable("users")
    return page_response(request, page, query.limit)


@documented(tag="users", responses={200: "The user", 404: "No such user"})
@requires("users:read")
async def get_user(request: web.Request) -> web.Response:
    """One account."""
    user_id = user_id_param(request)
    try:
        user = await users_api_deps(request).read_model.user(user_id)
    except ReadModelUnavailable:
        return read_model_unavailable("users")
    return web.json_response(user) if user is not None else not_found(user_id)


async def change_account(
    request: web.Request,
    type_name: str,
    data: dict[str, Any],
    *,
    revoke: bool = False,
    subject: str | None = None,
) -> web.Response:
    """Send a change to an account, revoke tokens if asked, answer once it shows."""
    deps = users_api_deps(request)
    user_id = data["user_id"]
    view = deps.read_model_view
    if not revoke:
        return await run_command_and_wait(
            request, USER_COMMANDS, type_name, subject or user_id, data,
            read_model=view, created_status=200,
        )
    outcome = await send_command(request, USER_COMMANDS, type_name, subject or user_id, data)
    if isinstance(outcome, web.Response):
        return outcome
    if succeeded(outcome) is not None or isinstance(outcome, Pending):
        # Tokens carry roles and prove an active account until they expire: end them now.
        failed = await revoke_tokens(deps, user_id)
        if failed is not None:
            return failed
    if succeeded(outcome) is not None:
        assert isinstance(outcome, Completed)
        await wait_for_read_model(request, view, outcome)
    return outcome_response(outcome, created_status=200)


@documented(tag="users", responses={200: "The user", 404: "No such user", **COMMAND_RESPONSES})
@requires("users:update")
@accepts(UPDATE_USER)
async def update_user(request: web.Request) -> web.Response:
    """Change an account's display name."""
    user_id = user_id_param(request)
    try:
        name = clean_display_name(json_body(request)["display_name"])
    except DomainError as exc:
        return domain_problem(exc)
    by = require_principal(request).sub
    return await change_account(
        request, "UpdateUser", {"user_id": user_id, "display_name": name, "updated_by": by}
    )


@documented(tag="users", responses={200: "The user", 404: "No such user", **COMMAND_RESPONSES})
@requires("users:delete")
@accepts(DEACTIVATE_USER)
async def deactivate_user(request: web.Request) -> web.Response:
    """Deactivate an account: its sessions end and its tokens stop working."""
    user_id = user_id_param(request)
    data = {
        "user_id": user_id,
        "reason": json_body(request)["reason"].strip() or "deactivated",
        "deactivated_by": require_principal(request).sub,
    }
    return await change_account(request, "DeactivateUser", data, revoke=True)
