"""The analytics worker: consumes every context's events as ``analytics-consumers``.

Wiring lives here and only here: which topics, which handlers.
"""

from __future__ import annotations

import faust

import topics
from analytics_svc.worker.handlers import track_activity
from streams.app import create_app
from streams.settings import WorkerSettings
from streams.worker import consume

TRACKED_TOPICS = (
    topics.AGENT_EVENTS,
    topics.USER_EVENTS,
    topics.PROJECT_EVENTS,
    topics.NOTIFICATION_EVENTS,
)


def build_app(settings: WorkerSettings | None = None) -> faust.App:
    """The analytics Faust app with one tracking agent per consumed topic."""
    settings = settings or WorkerSettings.from_env(topics.ANALYTICS_CONSUMERS)
    app = create_app(settings)
    for spec in TRACKED_TOPICS:
        consume(app, spec, dict.fromkeys(spec.types, track_activity))
    return app
