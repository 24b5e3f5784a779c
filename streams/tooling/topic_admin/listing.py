"""``topics list``: the catalog joined with the cluster, as a table or as JSON rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from streams.kafka_admin.model import ClusterTopic, humanize_ms
from topics import TopicSpec

_HEADERS = ("TOPIC", "PARTITIONS", "REPLICATION", "RETENTION", "CLEANUP", "ON CLUSTER")


def cluster_state(spec: TopicSpec, topic: ClusterTopic | None) -> str:
    """``yes``, ``missing``, or ``yes, 5 partitions`` when the partition count differs."""
    if topic is None:
        return "missing"
    if topic.partitions != spec.partitions:
        return f"yes, {topic.partitions} partitions"
    return "yes"


def rows(specs: Iterable[TopicSpec], cluster: Mapping[str, ClusterTopic]) -> list[dict[str, Any]]:
    """One machine-readable row per catalog topic (the ``--json`` output)."""
    result = []
    for spec in specs:
        topic = cluster.get(spec.name)
        result.append(
            {
                "name": spec.name,
                "kind": spec.kind.value,
                "partitions": spec.partitions,
                "replication": spec.replication,
                "retention_ms": spec.retention_ms,
                "retention": humanize_ms(spec.retention_ms),
                "cleanup_policy": spec.cleanup_policy,
                "compatibility": spec.compatibility.value,
                "owner": spec.owner,
                "consumer_groups": list(spec.consumer_groups),
                "exists": topic is not None,
                "cluster_partitions": topic.partitions if topic else None,
                "partitions_match": topic is not None and topic.partitions == spec.partitions,
            }
        )
    return result


def table(specs: Iterable[TopicSpec], cluster: Mapping[str, ClusterTopic]) -> str:
    """An aligned text table of the catalog and each topic's presence on the cluster."""
    lines = [_HEADERS]
    for spec in specs:
        lines.append(
            (
                spec.name,
                str(spec.partitions),
                str(spec.replication),
                humanize_ms(spec.retention_ms),
                spec.cleanup_policy,
                cluster_state(spec, cluster.get(spec.name)),
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(_HEADERS))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )
