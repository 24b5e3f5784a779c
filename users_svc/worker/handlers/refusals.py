"""Domain refusals as replies: the HTTP status of each refusal code, and how it is answered."""

from __future__ import annotations

from collections.abc import Mapping

import topics
from streams.commands import Rejection, reject
from streams.context import HandlerContext
from streams.pipeline import Handler
from users_svc.domain.errors import DomainError

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
