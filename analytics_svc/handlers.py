"""Event handlers: each takes the handler context, applies the domain, updates a table."""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any

from analytics_svc.domain import as_activity, track
from streams.context import HandlerContext
from streams.pipeline import Handler

log = logging.getLogger("analytics_svc.handlers")


def activity_tracker(table: MutableMapping[str, Any]) -> Handler:
    """A handler recording each event against its subject in ``table``."""

    async def handle(ctx: HandlerContext) -> None:
        envelope = ctx.envelope
        activity = track(as_activity(table.get(envelope.subject)), envelope.type, envelope.time)
        table[envelope.subject] = activity
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

    return handle
