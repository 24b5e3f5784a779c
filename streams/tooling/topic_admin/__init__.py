"""Keep the Kafka cluster's topics in line with the catalog: apply, diff, describe.

``apply_topics`` creates missing topics, grows partitions and fixes configs; ``diff_topics``
reports drift; ``describe_cluster_topics`` shows what the cluster has. ``dafnck topics``
is the command-line face of these.
"""

from __future__ import annotations

from streams.kafka_admin.cluster import DEFAULT_TIMEOUT_S
from streams.kafka_admin.model import (
    ClusterTopic,
    Drift,
    TopicAdminError,
    TopicProblemsError,
    humanize_ms,
)
from streams.tooling.topic_admin.bootstrap import NO_KAFKA, NoKafkaError, resolve_bootstrap
from streams.tooling.topic_admin.drift import compute_drift, is_ignored, looks_like_ours
from streams.tooling.topic_admin.ops import apply_topics, describe_cluster_topics, diff_topics
from streams.tooling.topic_admin.plan import TopicPlan, plan_apply

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "NO_KAFKA",
    "ClusterTopic",
    "Drift",
    "NoKafkaError",
    "TopicAdminError",
    "TopicPlan",
    "TopicProblemsError",
    "apply_topics",
    "compute_drift",
    "describe_cluster_topics",
    "diff_topics",
    "humanize_ms",
    "is_ignored",
    "looks_like_ours",
    "plan_apply",
    "resolve_bootstrap",
]
