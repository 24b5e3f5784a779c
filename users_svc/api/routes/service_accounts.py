"""Service accounts: principals for machines, created and listed by administrators.

A service account is a user of kind ``service``, without email or password: it holds roles,
and is changed, deactivated and given roles through the /api/users routes like anyone. It
authenticates with API keys (``routes.api_keys``).
"""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from streams.http.access import requires
from streams.http.body import accepts, json_body
from streams.http.command_route import run_command_and_wait
from streams.http.openapi import documented
from streams.http.principal import require_principal
from streams.http.problem import problem, read_model_unavailable
from streams.readmodel_pool import ReadModelUnavailable
from users_svc.api.command_sending import USER_COMMANDS
from users_svc.api.deps import UsersApiDeps, users_api_deps
from users_svc.api.http_answers import user_id_param
from users_svc.api.routes.users import USERS_QUERY, list_accounts
from users_svc.api.schemas import CREATE_SERVICE_ACCOUNT

PENDING = {202: "Accepted: the service has not answered yet; poll status_url"}


def _not_a_service_account(account_id: str) -> web.Response:
    return problem(
        404, "Not Found", f"no service account {account_id}", code="service_account_not_found"
    )


async def service_account(deps: UsersApiDeps, account_id: str) -> dict[str, Any] | web.Response:
    """The account's view, or the response to answer (404 for people and unknown ids)."""
    try:
        account = await deps.read_model.user(account_id)
    except ReadModelUnavailable:
        return read_model_unavailable("users")
    if account is None or account.get("kind") != "service":
        return _not_a_service_account(account_id)
    return account


@documented(
    tag="service-accounts",
    responses={201: "The new service account (kind service, no email)", **PENDING},
)
@requires("users:create")
@accepts(CREATE_SERVICE_ACCOUNT)
async def create_service_account(request: web.Request) -> web.Response:
    """Create a service account: a principal for machines, authenticated with API keys."""
    deps, body = users_api_deps(request), json_body(request)
    account_id = str(uuid.uuid4())
    data = {
        "user_id": account_id,
        "name": body["name"],
        "roles": list(body.get("roles", [])),
        "created_by": require_principal(request).sub,
    }
    return await run_command_and_wait(
        request, USER_COMMANDS, "CreateServiceAccount", account_id, data,
        read_model=deps.read_model_view, location=f"/api/service-accounts/{account_id}",
    )


@documented(
    tag="service-accounts", responses={200: "A page of service accounts"}, query=USERS_QUERY
)
@requires("users:read")
async def list_service_accounts(request: web.Request) -> web.Response:
    """List service accounts, oldest first (the same filters and pages as /api/users)."""
    return await list_accounts(request, kind="service")


@documented(tag="service-accounts", responses={200: "The service account", 404: "No such account"})
@requires("users:read")
async def get_service_account(request: web.Request) -> web.Response:
    """One service account."""
    found = await service_account(users_api_deps(request), user_id_param(request))
    return found if isinstance(found, web.Response) else web.json_response(found)
