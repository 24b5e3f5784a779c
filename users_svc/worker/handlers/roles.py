"""Custom roles on their aggregates (``role:<name>``), and AssignRole of a custom role.

DefineRole and DeleteRole decide on the role's aggregate. AssignRole of a custom role is
keyed by the role too, in two steps like CreateUser: ``grant_step`` checks that the role is
defined and passes a CustomRoleGrant (with the role's permissions) to user-registrations,
keyed by the user; ``grant`` gives the role on the user's aggregate and answers the original
AssignRole. A role deleted between the two steps is harmless: it grants nothing any more.
"""

from __future__ import annotations

from typing import Any

import topics
from streams.commands import succeed
from streams.context import HandlerContext, PermanentError
from users_svc.domain.errors import DomainError
from users_svc.domain.rbac import CustomRole
from users_svc.domain.roles import (
    RoleRecord,
    define_role,
    delete_role,
    require_grantable,
    role_key,
    role_view,
)
from users_svc.domain.users import assign_role
from users_svc.worker.handlers.aggregate_state import load_account, require_subject
from users_svc.worker.handlers.emission import emit_all, user_view
from users_svc.worker.handlers.refusals import refuse
from users_svc.worker.handlers.worker_deps import UsersWorkerDeps

ROLE = "role"
GRANT = "CustomRoleGrant"


def load_role(state: Any) -> RoleRecord | None:
    """The role a role aggregate's state holds (None while the name is unused)."""
    if isinstance(state, dict) and ROLE in state:
        return RoleRecord.from_dict(state[ROLE])
    return None


class Roles:
    """Handlers of DefineRole, DeleteRole, and both steps of AssignRole for custom roles."""

    def __init__(self, deps: UsersWorkerDeps) -> None:
        self.deps = deps

    async def define_role(self, ctx: HandlerContext) -> None:
        """DefineRole: 201 with the role; the same definition again answers it again."""
        data, now = ctx.data, self.deps.clock()
        require_subject(ctx, role_key(data["name"]), "name")
        record, events = define_role(
            load_role(ctx.state), name=data["name"], permissions=data["permissions"],
            description=data["description"], defined_by=data["defined_by"], now=now,
        )
        if events:
            ctx.state = {ROLE: record.to_dict()}
            emit_all(ctx, topics.USER_EVENTS, events, now)
        succeed(ctx, role_view(record), http_status=201, topic=topics.USER_REPLIES)

    async def delete_role(self, ctx: HandlerContext) -> None:
        """DeleteRole: 200 with the role, deleted; the name is retired."""
        data, now = ctx.data, self.deps.clock()
        require_subject(ctx, role_key(data["name"]), "name")
        record, events = delete_role(
            load_role(ctx.state), name=data["name"], deleted_by=data["deleted_by"], now=now
        )
        ctx.state = {ROLE: record.to_dict()}
        emit_all(ctx, topics.USER_EVENTS, events, now)
        succeed(ctx, role_view(record), http_status=200, topic=topics.USER_REPLIES)

    async def grant_step(self, ctx: HandlerContext) -> None:
        """AssignRole on the role's aggregate: pass the grant on, or 422 unknown_role."""
        data, command = ctx.data, ctx.envelope
        try:
            require_subject(ctx, role_key(data["role"]), "role")
            role = require_grantable(load_role(ctx.state), data["role"])
        except DomainError as refused:
            refuse(ctx, refused, command_id=command.id, command_type=command.type)
            return
        grant = {
            "command_id": command.id,
            "command_type": command.type,
            "user_id": data["user_id"],
            "role": role.name,
            "permissions": list(role.permissions),
            "assigned_by": data["assigned_by"],
        }
        ctx.emit(topics.USER_REGISTRATIONS, GRANT, data["user_id"], grant)

    async def grant(self, ctx: HandlerContext) -> None:
        """CustomRoleGrant on the user's aggregate: give the role, answer the AssignRole."""
        data, now = ctx.data, self.deps.clock()
        answering = {"command_id": data["command_id"], "command_type": data["command_type"]}
        if ctx.envelope.subject != data["user_id"]:
            raise PermanentError("a grant is keyed by its user_id")
        account = load_account(ctx.state)
        try:
            if account is None:
                raise DomainError("user_not_found", "No user with this id.", "user_id")
            custom = {data["role"]: CustomRole(data["role"], tuple(data["permissions"]))}
            user, events = assign_role(
                account.user, role=data["role"], assigned_by=data["assigned_by"], now=now,
                custom_roles=custom,
            )
        except DomainError as refused:
            refuse(ctx, refused, **answering)
            return
        if events:
            ctx.state = account.with_user(user).to_dict()
            emit_all(ctx, topics.USER_EVENTS, events, now)
        view = user_view(user)
        succeed(ctx, view, http_status=200, topic=topics.USER_REPLIES, **answering)
