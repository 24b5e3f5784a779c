"""Commands on an existing user: profile, roles, deactivation and password.

Each answers 200 with the user view (ChangePassword: the new credentials version) and emits
only what changed: assigning a held role or deactivating twice changes nothing and emits
nothing. A credentials change (password, deactivation) ends every session of the user and
publishes the new credentials on user-credentials for the projector.
"""

from __future__ import annotations

from datetime import datetime

import topics
from streams.commands import succeed
from streams.context import HandlerContext
from users_svc.domain.credentials import credentials_changed, set_password_hash
from users_svc.domain.events import DomainEvent
from users_svc.domain.sessions import Account, after_credentials_change
from users_svc.domain.users import (
    SERVICE,
    User,
    assign_role,
    deactivate_user,
    revoke_role,
    update_profile,
)
from users_svc.worker.handlers.aggregate_state import require_account, require_user_subject
from users_svc.worker.handlers.emission import emit_all, user_view
from users_svc.worker.handlers.worker_deps import UsersWorkerDeps


class Profile:
    """Handlers of UpdateUser, DeactivateUser, AssignRole, RevokeRole and ChangePassword."""

    def __init__(self, deps: UsersWorkerDeps) -> None:
        self.deps = deps

    async def update_user(self, ctx: HandlerContext) -> None:
        """UpdateUser: a new display name."""
        data, now = ctx.data, self.deps.clock()
        require_user_subject(ctx)
        account = require_account(ctx.state)
        user, events = update_profile(
            account.user, updated_by=data["updated_by"], now=now,
            display_name=data["display_name"],
        )
        _apply(ctx, account, user, events, now)

    async def deactivate_user(self, ctx: HandlerContext) -> None:
        """DeactivateUser: no more sign-ins, every session ends."""
        data, now = ctx.data, self.deps.clock()
        require_user_subject(ctx)
        account = require_account(ctx.state)
        user, events = deactivate_user(
            account.user, deactivated_by=data["deactivated_by"], reason=data["reason"], now=now
        )
        if events:
            account = after_credentials_change(account, user, now=now)
            ctx.state = account.to_dict()
            emit_all(ctx, topics.USER_EVENTS, events, now)
            if user.kind != SERVICE:  # a service account has no password to publish
                emit_all(ctx, topics.USER_CREDENTIALS, [credentials_changed(user)], now)
        succeed(ctx, user_view(user), http_status=200, topic=topics.USER_REPLIES)

    async def assign_role(self, ctx: HandlerContext) -> None:
        """AssignRole (idempotent)."""
        data, now = ctx.data, self.deps.clock()
        require_user_subject(ctx)
        account = require_account(ctx.state)
        user, events = assign_role(
            account.user, role=data["role"], assigned_by=data["assigned_by"], now=now,
            custom_roles=self.deps.custom_roles,
        )
        _apply(ctx, account, user, events, now)

    async def revoke_role(self, ctx: HandlerContext) -> None:
        """RevokeRole (idempotent)."""
        data, now = ctx.data, self.deps.clock()
        require_user_subject(ctx)
        account = require_account(ctx.state)
        user, events = revoke_role(
            account.user, role=data["role"], revoked_by=data["revoked_by"], now=now
        )
        _apply(ctx, account, user, events, now)

    async def change_password(self, ctx: HandlerContext) -> None:
        """ChangePassword: a new hash, a new credentials version, every session ended."""
        data, now = ctx.data, self.deps.clock()
        require_user_subject(ctx)
        account = require_account(ctx.state)
        user, events = set_password_hash(
            account.user, password_hash=data["password_hash"], changed_by=data["changed_by"],
            now=now,
        )
        ctx.state = after_credentials_change(account, user, now=now).to_dict()
        emit_all(ctx, topics.USER_EVENTS, events, now)
        emit_all(ctx, topics.USER_CREDENTIALS, [credentials_changed(user)], now)
        answer = {"user_id": user.id, "credentials_version": user.credentials_version}
        succeed(ctx, answer, http_status=200, topic=topics.USER_REPLIES)


def _apply(
    ctx: HandlerContext, account: Account, user: User, events: list[DomainEvent], now: datetime
) -> None:
    # A no-op (nothing changed, no event) leaves the state as it was, updated_at included.
    if events:
        ctx.state = account.with_user(user).to_dict()
        emit_all(ctx, topics.USER_EVENTS, events, now)
    succeed(ctx, user_view(user), http_status=200, topic=topics.USER_REPLIES)
