"""Pure comparison of the catalog with a cluster description: what differs, which topics count."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from streams.kafka_admin.cluster import is_ignored
from streams.kafka_admin.model import CLEANUP_POLICY, ClusterTopic, Drift
from topics import TopicSpec

# Cluster topics with these shapes are presumed to be ours even when the catalog forgot them.
_OUR_SUFFIXES = ("-events", "-commands", ".dlq")
def looks_like_ours(name: str) -> bool:
    """A name shaped like a catalog topic: ``*-events``, ``*-commands`` or ``*.dlq``."""
    return not is_ignored(name) and name.endswith(_OUR_SUFFIXES)


def normalize_config(name: str, value: str | None) -> str | None:
    """The value in a form where equal settings compare equal (``compact,delete`` = reverse)."""
    if value is None:
        return None
    if name == CLEANUP_POLICY:
        return ",".join(sorted(part.strip() for part in value.split(",") if part.strip()))
    return value.strip()


def config_changes(spec: TopicSpec, topic: ClusterTopic) -> list[tuple[str, str | None, str]]:
    """(config, value on the cluster, value the catalog wants) for every config that differs."""
    changes = []
    for key, wanted in spec.topic_configs().items():
        actual = topic.configs.get(key)
        if normalize_config(key, actual) != normalize_config(key, wanted):
            changes.append((key, actual, wanted))
    return changes


def topic_drift(spec: TopicSpec, topic: ClusterTopic | None) -> list[Drift]:
    """Every difference between one catalog topic and what the cluster has under its name."""
    if topic is None:
        return [Drift(spec.name, "topic", spec.name, None)]
    drifts = []
    if topic.partitions != spec.partitions:
        drifts.append(Drift(spec.name, "partitions", spec.partitions, topic.partitions))
    if topic.replication != spec.replication:
        drifts.append(Drift(spec.name, "replication", spec.replication, topic.replication))
    for key, actual, wanted in config_changes(spec, topic):
        drifts.append(Drift(spec.name, key, wanted, actual))
    return drifts


def compute_drift(
    specs: Iterable[TopicSpec],
    cluster: Mapping[str, ClusterTopic],
    *,
    prefix: str = "",
) -> list[Drift]:
    """All drift, catalog order first, then stray topics (only those starting with ``prefix``)."""
    specs = list(specs)
    drifts = [d for spec in specs for d in topic_drift(spec, cluster.get(spec.name))]
    declared = {spec.name for spec in specs}
    for name in sorted(cluster):
        if name.startswith(prefix) and name not in declared and looks_like_ours(name):
            drifts.append(Drift(name, "topic", None, name))
    return drifts
