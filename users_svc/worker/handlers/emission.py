"""What handlers send: the domain's events dated by the state's clock, and the user view."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from streams.context import HandlerContext
from topics import TopicSpec
from users_svc.domain.events import DomainEvent
from users_svc.domain.users import User


def rfc3339(moment: datetime) -> str:
    """``moment`` as the platform writes event times: UTC, microseconds, ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


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
