"""The aggregates' state as handlers read it: a user's account, an email's claim, the key check.

Handlers run between the kernel's load and save of one aggregate and must not await I/O:
the user-commands and user-registrations agents share one table, and a handler that
yielded to the event loop could let the other agent's save land in between.
"""

from __future__ import annotations

from typing import Any

from streams.context import HandlerContext
from users_svc.domain.claims import EmailClaim
from users_svc.domain.errors import DomainError
from users_svc.domain.profile import clean_uuid
from users_svc.domain.sessions import Account

CLAIM = "claim"


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
