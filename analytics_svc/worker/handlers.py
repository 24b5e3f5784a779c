"""Event handlers: each takes the handler context and applies the domain to its state."""

from __future__ import annotations

import logging

from analytics_svc.domain.activity import as_activity, track
from streams.context import HandlerContext

log = logging.getLogger("analytics_svc.worker.handlers")


async def track_activity(ctx: HandlerContext) -> None:
    """Record the event against its subject's activity (the aggregate state)."""
    envelope = ctx.envelope
    activity = track(as_activity(ctx.state), envelope.type, envelope.time)
    ctx.state = activity
    log.info(
        "event tracked",
        extra={
            "topic": ctx.record.topic,
            "type": envelope.type,
            "subject": envelope.subject,
            "event_id": envelope.id,
            "correlationid": envelope.correlationid,
            "count": activity["count"],
        },
    )
