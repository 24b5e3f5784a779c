"""What every users handler shares: its dependencies, the aggregate's state, answers, views.

Handlers run between the kernel's load and save of one aggregate and must not await I/O:
the user-commands and user-registrations agents share one table, and a handler that
yielded to the event loop could let the other agent's save land in between.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import topics
from streams.commands import Rejection, reject
from streams.context import HandlerContext
from streams.pipeline import Handler
from topics import TopicSpec
from users_svc.domain.claims import EmailClaim
from users_svc.domain.errors import DomainError
from users_svc.domain.events import DomainEvent
from users_svc.domain.profile import clean_uuid
from users_svc.domain.rbac import CustomRole
from users_svc.domain.sessions import Account
from users_svc.domain.token_family import DEFAULT_POLICY, TokenPolicy
from users_svc.domain.users import User

# The HTTP status each refusal answers; any other domain refusal is a 422.
STATUS_BY_CODE: Mapping[str, int] = {
    "invalid_credentials": 401,
    "invalid_refresh_token": 401,
    "token_reuse_detected": 401,
    "user_not_found": 404,
    "email_taken": 409,
    "user_exists": 409,
    "user_deactivated": 409,
    "session_exists": 409,
    "api_key_not_found": 404,
    "api_key_exists": 409,
    "too_many_api_keys": 409,
    "role_not_found": 404,
    "role_exists": 409,
    "role_name_retired": 409,
}
CLAIM = "claim"


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Deps:
    """What handlers need beyond the record: a clock, the token policy, the custom roles."""

    clock: Callable[[], datetime] = utc_now
    policy: TokenPolicy = DEFAULT_POLICY
    custom_roles: Mapping[str, CustomRole] = field(default_factory=dict)


def rfc3339(moment: datetime) -> str:
    """``moment`` as the platform writes event times: UTC, microseconds, ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def load_account(state: Any) -> Account | None:
    """The account a user aggregate's state holds (None before the user exists)."""
    if isinstance(state, dict) and "user" in state:
        return Account.from_dict(state)
    return None


def require_account(state: Any) -> Account:
    """The account, or the ``user_not_found`` refusal."""
    account = load_account(state)
    if account is None:
        raise DomainError("user_not_found", "No user with this id.", "user_id")
    return account


def load_claim(state: Any) -> EmailClaim | None:
    """The claim an email aggregate's state holds (None while the email is free)."""
    if isinstance(state, dict) and CLAIM in state:
        return EmailClaim.from_dict(state[CLAIM])
    return None


def claim_state(claim: EmailClaim) -> dict[str, Any]:
    """The state an email aggregate keeps."""
    return {CLAIM: claim.to_dict()}


def require_subject(ctx: HandlerContext, expected: str, field_name: str) -> None:
    """Refuse a command whose key is not the aggregate its data names (a routing error)."""
    if ctx.envelope.subject != expected:
        raise DomainError(
            "invalid_command",
            f"The command's subject must be {expected!r} for this {field_name}.",
            field_name,
        )


def require_user_subject(ctx: HandlerContext) -> str:
    """The command's user id, canonical, after checking that it is the command's key."""
    user_id = clean_uuid(ctx.data["user_id"], "user_id")
    require_subject(ctx, user_id, "user_id")
    return user_id


def rejection(refused: DomainError) -> Rejection:
    """The reply a domain refusal earns."""
    status = STATUS_BY_CODE.get(refused.code, 422)
    return Rejection(status, refused.code, refused.message, field=refused.field)


def deciding(handler: Handler) -> Handler:
    """A command handler whose domain refusals become rejected replies (under ``replying``)."""

    async def run(ctx: HandlerContext) -> None:
        try:
            await handler(ctx)
        except DomainError as refused:
            raise rejection(refused) from None

    return run


def refuse(
    ctx: HandlerContext, refused: DomainError, *, command_id: str, command_type: str
) -> None:
    """Answer an earlier command (not ``ctx``'s own) with a domain refusal."""
    answer = rejection(refused)
    reject(
        ctx,
        answer.http_status,
        answer.error.code,
        answer.error.message,
        field=answer.error.field,
        topic=topics.USER_REPLIES,
        command_id=command_id,
        command_type=command_type,
    )


def emit_all(
    ctx: HandlerContext, topic: TopicSpec, events: list[DomainEvent], now: datetime
) -> None:
    """Queue the domain's events, each dated ``now`` (the time the state records)."""
    for event in events:
        ctx.emit(topic, event.type, event.subject, event.data, time=rfc3339(now))


def user_view(user: User) -> dict[str, Any]:
    """The user resource replies carry: what ``GET /users/{id}`` shows."""
    return {
        "id": user.id,
        "kind": user.kind,
        # A service account has no email (it never signs in with a password).
        "email": user.email or None,
        "display_name": user.display_name,
        "roles": sorted(user.roles),
        "status": user.status,
        "created_at": user.created_at.isoformat(),
        "updated_at": user.updated_at.isoformat(),
    }
