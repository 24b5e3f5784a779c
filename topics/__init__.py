"""Topic catalog: the single declaration of every Kafka topic (see ``topics.catalog``)."""

from __future__ import annotations

from topics.catalog import (
    AGENT_COMMANDS,
    AGENT_EVENTS,
    ANALYTICS_COMMANDS,
    ANALYTICS_CONSUMERS,
    ANALYTICS_EVENTS,
    AUDIT_CONSUMERS,
    CATALOG,
    NOTIFICATION_COMMANDS,
    NOTIFICATION_CONSUMERS,
    NOTIFICATION_EVENTS,
    PROJECT_COMMANDS,
    PROJECT_EVENTS,
    USER_COMMANDS,
    USER_EVENTS,
    Compatibility,
    TopicKind,
    TopicSpec,
    all_topics,
    by_name,
    consumer_groups,
)

__all__ = [
    "AGENT_COMMANDS",
    "AGENT_EVENTS",
    "ANALYTICS_COMMANDS",
    "ANALYTICS_CONSUMERS",
    "ANALYTICS_EVENTS",
    "AUDIT_CONSUMERS",
    "CATALOG",
    "NOTIFICATION_COMMANDS",
    "NOTIFICATION_CONSUMERS",
    "NOTIFICATION_EVENTS",
    "PROJECT_COMMANDS",
    "PROJECT_EVENTS",
    "USER_COMMANDS",
    "USER_EVENTS",
    "Compatibility",
    "TopicKind",
    "TopicSpec",
    "all_topics",
    "by_name",
    "consumer_groups",
]
