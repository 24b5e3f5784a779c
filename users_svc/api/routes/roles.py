"""Custom roles: define, list and delete (administrators hold ``roles:*``).

A role is decided on its own aggregate (``role:<name>``) by the users worker and projected to
``users.roles``; the edge's permission checks read it through a short cache, which this
replica drops after a change so its own next request already sees it.
"""

from __future__ import annotations

import re

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
from users_svc.api.escalation import beyond_caller
from users_svc.api.http_answers import domain_problem
from users_svc.api.schemas import DEFINE_ROLE, ROLE_PATTERN
from users_svc.domain.errors import DomainError
from users_svc.domain.rbac import BUILTIN_ROLES, define_custom_role
from users_svc.domain.roles import role_key

_PENDING = {202: "Accepted: the service has not answered yet; poll status_url"}
_ROLE_NAME = re.compile(ROLE_PATTERN)
BUILTIN_DESCRIPTIONS = {
    "admin": "Everything.",
    "operator": "Runs the platform: reads users and roles, steers agents, tasks and workflows.",
    "member": "Reads everything operational; creates agents and tasks, changes their own.",
    "viewer": "Reads agents, workflows, tasks, projects, notifications and analytics.",
}


def _drop_cache_after(deps: UsersApiDeps, response: web.Response) -> web.Response:
    # Done (and shown in the read model) or still pending: this replica's next request
    # re-reads the roles instead of trusting its cache.
    if response.status < 300:
        deps.custom_roles.invalidate()
    return response


@documented(
    tag="roles",
    responses={
        201: "The role",
        403: "A permission the caller does not hold",
        409: "The name is taken, or was a deleted role's (never reused)",
        422: "A built-in role's name, or a permission that is not resource:action",
        **_PENDING,
    },
)
@requires("roles:create")
@accepts(DEFINE_ROLE)
async def define_role(request: web.Request) -> web.Response:
    """Define a custom role (assign it with POST /api/users/{id}/roles)."""
    deps, body, principal = users_api_deps(request), json_body(request), require_principal(request)
    try:
        role = define_custom_role(body["name"], body["permissions"])
    except DomainError as exc:
        return domain_problem(exc)
    beyond = await beyond_caller(deps, principal, list(role.permissions))
    if beyond is not None:
        detail = f"you cannot define a role granting {beyond!r}: you do not hold it yourself"
        return problem(
            403, "Forbidden", detail, code="permission_exceeds_caller", field="permissions"
        )
    data = {
        "name": role.name,
        "permissions": list(role.permissions),
        "description": body.get("description", ""),
        "defined_by": principal.sub,
    }
    response = await run_command_and_wait(
        request, USER_COMMANDS, "DefineRole", role_key(role.name), data,
        read_model=deps.read_model_view, location=f"/api/roles/{role.name}",
    )
    return _drop_cache_after(deps, response)


@documented(tag="roles", responses={200: "Built-in roles, then custom roles by name"})
@requires("roles:read")
async def list_roles(request: web.Request) -> web.Response:
    """Every role: the built-in ones and the custom ones, with what each grants."""
    try:
        custom = await users_api_deps(request).read_model.custom_roles()
    except ReadModelUnavailable:
        return read_model_unavailable("users")
    builtin = [
        {
            "name": name,
            "permissions": sorted(BUILTIN_ROLES[name]),
            "description": BUILTIN_DESCRIPTIONS[name],
            "builtin": True,
        }
        for name in BUILTIN_ROLES
    ]
    return web.json_response({"items": [*builtin, *(row.view() for row in custom)]})


@documented(
    tag="roles",
    responses={
        200: "The deleted role: it grants nothing from now on",
        404: "No such custom role",
        422: "A built-in role",
        **_PENDING,
    },
)
@requires("roles:delete")
async def delete_role(request: web.Request) -> web.Response:
    """Delete a custom role: holders lose its permissions within seconds; the name retires."""
    deps, name = users_api_deps(request), request.match_info["name"]
    if not _ROLE_NAME.match(name):
        return problem(404, "Not Found", f"no role {name}", code="role_not_found")
    if name in BUILTIN_ROLES:
        return problem(
            422,
            "Unprocessable Content",
            f"{name!r} is a built-in role; it cannot be deleted",
            code="role_name_reserved",
            field="name",
        )
    data = {"name": name, "deleted_by": require_principal(request).sub}
    response = await run_command_and_wait(
        request, USER_COMMANDS, "DeleteRole", role_key(name), data,
        read_model=deps.read_model_view, created_status=200,
    )
    return _drop_cache_after(deps, response)
