"""Sessions: sign-in, refresh-token rotation, sign-out, and failed sign-ins.

The edge verifies passwords and mints tokens; these handlers decide whether a session may
start or go on, on token hashes only. A refused refresh may still change state: reuse
revokes the family (and says so with TokenReuseDetected), expiry closes it. So those answer
with ``reject`` and keep their state instead of raising a refusal, which would undo it.
"""

from __future__ import annotations

from typing import Any

import topics
from streams.commands import reject, succeed
from streams.context import HandlerContext
from users_svc.domain import events as ev
from users_svc.domain import tokens
from users_svc.domain.profile import clean_uuid
from users_svc.domain.sessions import (
    end_all_sessions,
    end_session,
    refresh_session,
    start_session,
)
from users_svc.domain.token_family import TokenFamily
from users_svc.domain.users import User
from users_svc.worker.handlers.aggregate_state import (
    load_account,
    require_account,
    require_subject,
    require_user_subject,
)
from users_svc.worker.handlers.emission import emit_all
from users_svc.worker.handlers.worker_deps import UsersWorkerDeps

INVALID_REFRESH = "invalid_refresh_token"


def session_view(user: User, family: TokenFamily) -> dict[str, Any]:
    """What a started or refreshed session answers: enough for the edge to sign a token."""
    return {
        "user_id": user.id,
        "roles": sorted(user.roles),
        "family_id": family.id,
        "refresh_expires_at": family.current_expires_at.isoformat(),
    }


class Sessions:
    """Handlers of StartSession, RefreshSession, EndSession, EndAllSessions, RecordLoginFailure."""

    def __init__(self, deps: UsersWorkerDeps) -> None:
        self.deps = deps

    async def start_session(self, ctx: HandlerContext) -> None:
        """StartSession: 201 with the session, or 401 invalid_credentials."""
        data, now = ctx.data, self.deps.clock()
        require_user_subject(ctx)
        account, family = start_session(
            load_account(ctx.state),
            family_id=clean_uuid(data["family_id"], "family_id"),
            token_hash=data["refresh_token_hash"],
            credentials_version=data["credentials_version"],
            now=now,
            policy=self.deps.policy,
        )
        ctx.state = account.to_dict()
        event = ev.login_succeeded(
            account.user.id, family.id, data["client_ip"], data["user_agent"]
        )
        emit_all(ctx, topics.USER_EVENTS, [event], now)
        view = session_view(account.user, family)
        succeed(ctx, view, http_status=201, topic=topics.USER_REPLIES)

    async def refresh_session(self, ctx: HandlerContext) -> None:
        """RefreshSession: 200 with the rotated session, or 401 saying why not."""
        data, now = ctx.data, self.deps.clock()
        require_user_subject(ctx)
        account, outcome = refresh_session(
            load_account(ctx.state),
            family_id=clean_uuid(data["family_id"], "family_id"),
            presented_hash=data["presented_token_hash"],
            new_hash=data["new_token_hash"],
            now=now,
            policy=self.deps.policy,
        )
        if account is not None and not isinstance(outcome, tokens.Unknown):
            ctx.state = account.to_dict()
        if isinstance(outcome, tokens.Rotated):
            assert account is not None  # a rotation needs a family, hence an account
            view = session_view(account.user, outcome.family)
            succeed(ctx, view, http_status=200, topic=topics.USER_REPLIES)
        elif isinstance(outcome, tokens.ReuseDetected):
            event = ev.token_reuse_detected(outcome.family.user_id, outcome.family.id)
            emit_all(ctx, topics.USER_EVENTS, [event], now)
            message = "This refresh token was already used; the session has been ended."
            reject(ctx, 401, "token_reuse_detected", message, topic=topics.USER_REPLIES)
        else:
            message = "The refresh token is unknown, expired or revoked."
            reject(ctx, 401, INVALID_REFRESH, message, topic=topics.USER_REPLIES)

    async def end_session(self, ctx: HandlerContext) -> None:
        """EndSession: 200 with the family ids it ended."""
        data, now = ctx.data, self.deps.clock()
        require_user_subject(ctx)
        family_id = clean_uuid(data["family_id"], "family_id")
        account, revoked = end_session(require_account(ctx.state), family_id=family_id, now=now)
        if revoked:
            ctx.state = account.to_dict()
            emit_all(ctx, topics.USER_EVENTS, [ev.logged_out(account.user.id, revoked[0])], now)
        succeed(ctx, {"revoked": revoked}, http_status=200, topic=topics.USER_REPLIES)

    async def end_all_sessions(self, ctx: HandlerContext) -> None:
        """EndAllSessions: 200 with the family ids it ended; LoggedOut everywhere."""
        now = self.deps.clock()
        require_user_subject(ctx)
        account, revoked = end_all_sessions(require_account(ctx.state), now=now)
        ctx.state = account.to_dict()
        # Said even when no family was open: access tokens issued until now end too.
        emit_all(ctx, topics.USER_EVENTS, [ev.logged_out(account.user.id, None)], now)
        succeed(ctx, {"revoked": revoked}, http_status=200, topic=topics.USER_REPLIES)

    async def record_login_failure(self, ctx: HandlerContext) -> None:
        """RecordLoginFailure: LoginFailed for the audit trail; 202, nobody waits for it."""
        data, now = ctx.data, self.deps.clock()
        if data["user_id"] is None:
            require_subject(ctx, f"email:{data['email_hash']}", "email_hash")
            user_id = None
        else:
            user_id = require_user_subject(ctx)
        event = ev.login_failed(user_id, data["email_hash"], data["client_ip"], data["reason"])
        emit_all(ctx, topics.USER_EVENTS, [event], now)
        succeed(ctx, {}, http_status=202, topic=topics.USER_REPLIES)
