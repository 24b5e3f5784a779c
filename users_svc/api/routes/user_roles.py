"""Granting and taking roles: ``POST /api/users/{id}/roles``, ``DELETE .../roles/{role}``."""

from __future__ import annotations

import re

from aiohttp import web

from streams.http.access import requires
from streams.http.body import accepts, json_body
from streams.http.openapi import documented
from streams.http.principal import require_principal
from streams.http.problem import problem
from users_svc.api.http_answers import user_id_param
from users_svc.api.routes.users import COMMAND_RESPONSES, change_account
from users_svc.api.schemas import ASSIGN_ROLE, ROLE_PATTERN
from users_svc.domain.rbac import BUILTIN_ROLES
from users_svc.domain.roles import role_key

_ROLE = re.compile(ROLE_PATTERN)


@documented(tag="roles", responses={200: "The user", 404: "No such user", **COMMAND_RESPONSES})
@requires("roles:assign")
@accepts(ASSIGN_ROLE)
async def assign_role(request: web.Request) -> web.Response:
    """Grant a built-in or custom role (takes effect in the user's next access token)."""
    data = {
        "user_id": user_id_param(request),
        "role": json_body(request)["role"],
        "assigned_by": require_principal(request).sub,
    }
    # A custom role is granted through its own aggregate, which vouches that it is defined.
    role = data["role"]
    subject = None if role in BUILTIN_ROLES else role_key(role)
    return await change_account(request, "AssignRole", data, subject=subject)


@documented(tag="roles", responses={200: "The user", 404: "No such user", **COMMAND_RESPONSES})
@requires("roles:revoke")
async def revoke_role(request: web.Request) -> web.Response:
    """Take a role away; the user's current access tokens stop working."""
    user_id = user_id_param(request)
    role = request.match_info["role"]
    if not _ROLE.match(role):
        return problem(
            422, "Unprocessable Content", "not a role name", code="invalid_role_name", field="role"
        )
    data = {"user_id": user_id, "role": role, "revoked_by": require_principal(request).sub}
    return await change_account(request, "RevokeRole", data, revoke=True)
