"""Service accounts and their API keys: create, issue a key, revoke a key.

A key's stored half goes to the internal user-credentials topic (keyed ``apikey:<key_id>``)
for the read model the edge verifies keys against; user-events says only that a key was
issued or revoked, and by whom.
"""

from __future__ import annotations

from datetime import datetime

import topics
from streams.commands import succeed
from streams.context import HandlerContext
from users_svc.domain.errors import DomainError
from users_svc.domain.service_accounts import (
    add_api_key,
    api_key_changed,
    create_service_account,
    key_view,
    revoke_key,
)
from users_svc.domain.sessions import Account
from users_svc.domain.users import SERVICE
from users_svc.worker.handlers.aggregate_state import (
    load_account,
    require_account,
    require_user_subject,
)
from users_svc.worker.handlers.emission import emit_all, user_view
from users_svc.worker.handlers.worker_deps import UsersWorkerDeps


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class Machines:
    """Handlers of CreateServiceAccount, IssueApiKey and RevokeApiKey."""

    def __init__(self, deps: UsersWorkerDeps) -> None:
        self.deps = deps

    async def create_service_account(self, ctx: HandlerContext) -> None:
        """CreateServiceAccount: 201 with the account; the same command again answers it again."""
        data, now = ctx.data, self.deps.clock()
        user_id = require_user_subject(ctx)
        existing = load_account(ctx.state)
        if existing is not None:
            if existing.user.kind == SERVICE and existing.user.display_name == data["name"]:
                succeed(ctx, user_view(existing.user), http_status=201, topic=topics.USER_REPLIES)
                return
            raise DomainError("user_exists", "An account with this id exists.", "user_id")
        user, events = create_service_account(
            user_id=user_id, name=data["name"], roles=data["roles"],
            created_by=data["created_by"], now=now,
        )
        ctx.state = Account(user).to_dict()
        emit_all(ctx, topics.USER_EVENTS, events, now)
        succeed(ctx, user_view(user), http_status=201, topic=topics.USER_REPLIES)

    async def issue_api_key(self, ctx: HandlerContext) -> None:
        """IssueApiKey: 201 with the key's view (never its secret)."""
        data, now = ctx.data, self.deps.clock()
        require_user_subject(ctx)
        account, key, events = add_api_key(
            require_account(ctx.state),
            key_id=data["key_id"], name=data["name"], scopes=data["scopes"],
            secret_hash=data["secret_hash"], expires_at=_moment(data["expires_at"]),
            issued_by=data["issued_by"], now=now,
        )
        if events:
            ctx.state = account.to_dict()
            emit_all(ctx, topics.USER_EVENTS, events, now)
            emit_all(ctx, topics.USER_CREDENTIALS, [api_key_changed(key)], now)
        succeed(ctx, key_view(key, now), http_status=201, topic=topics.USER_REPLIES)

    async def revoke_api_key(self, ctx: HandlerContext) -> None:
        """RevokeApiKey: 200 with the key's view; revoking twice emits nothing."""
        data, now = ctx.data, self.deps.clock()
        require_user_subject(ctx)
        account, key, events = revoke_key(
            require_account(ctx.state), key_id=data["key_id"], revoked_by=data["revoked_by"],
            now=now,
        )
        if events:
            ctx.state = account.to_dict()
            emit_all(ctx, topics.USER_EVENTS, events, now)
            emit_all(ctx, topics.USER_CREDENTIALS, [api_key_changed(key)], now)
        succeed(ctx, key_view(key, now), http_status=200, topic=topics.USER_REPLIES)
