"""Pure planning of ``topics apply``: what to create, grow or reconfigure, and what to refuse."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from streams.kafka_admin.model import (
    CLEANUP_POLICY,
    RETENTION_MS,
    ClusterTopic,
    humanize_ms,
)
from streams.tooling.topic_admin.drift import config_changes
from topics import TopicSpec


@dataclass(frozen=True)
class TopicPlan:
    """What ``apply`` will do to one catalog topic."""

    spec: TopicSpec
    create: bool = False
    grow_from: int | None = None  # current partition count when it must grow
    changes: tuple[tuple[str, str | None, str], ...] = ()  # (config, now, wanted)
    # Full topic-level config set to send: AlterConfigs replaces every override, so the
    # overrides the catalog does not manage are carried over rather than wiped.
    alter_configs: dict[str, str] = field(default_factory=dict)
    problems: tuple[str, ...] = ()

    @property
    def up_to_date(self) -> bool:
        """Nothing to do and nothing to report."""
        return not (self.create or self.grow_from is not None or self.changes or self.problems)


def plan_topic(spec: TopicSpec, topic: ClusterTopic | None) -> TopicPlan:
    """Decide what to do about one catalog topic given what the cluster has."""
    if topic is None:
        return TopicPlan(spec, create=True)
    problems = []
    grow_from = None
    if spec.partitions > topic.partitions:
        grow_from = topic.partitions
    elif spec.partitions < topic.partitions:
        problems.append(
            f"{spec.name} has {topic.partitions} partitions on the cluster but the catalog asks "
            f"for {spec.partitions}: Kafka cannot remove partitions, so this needs a new topic"
        )
    if spec.replication != topic.replication:
        problems.append(
            f"{spec.name} has replication factor {topic.replication} on the cluster but the "
            f"catalog asks for {spec.replication}: apply does not move replicas; reassign them "
            "with kafka-reassign-partitions"
        )
    changes = tuple(config_changes(spec, topic))
    alter = {**topic.overrides, **spec.topic_configs()} if changes else {}
    return TopicPlan(
        spec,
        grow_from=grow_from,
        changes=changes,
        alter_configs=alter,
        problems=tuple(problems),
    )


def plan_apply(specs: Iterable[TopicSpec], cluster: Mapping[str, ClusterTopic]) -> list[TopicPlan]:
    """One plan per catalog topic, in catalog order."""
    return [plan_topic(spec, cluster.get(spec.name)) for spec in specs]


def created_line(spec: TopicSpec) -> str:
    """``created agent-events (3 partitions, retention 7d, delete)``."""
    parts = [f"{spec.partitions} partition{'s' if spec.partitions != 1 else ''}"]
    configs = spec.topic_configs()
    if RETENTION_MS in configs:
        parts.append(f"retention {humanize_ms(configs[RETENTION_MS])}")
    if CLEANUP_POLICY in configs:
        parts.append(configs[CLEANUP_POLICY])
    return f"created {spec.name} ({', '.join(parts)})"


def grew_line(spec: TopicSpec, grow_from: int) -> str:
    """``grew agent-events partitions 3 -> 6``."""
    return f"grew {spec.name} partitions {grow_from} -> {spec.partitions}"


def altered_line(spec: TopicSpec, changes: Iterable[tuple[str, str | None, str]]) -> str:
    """``altered agent-events retention.ms 86400000 -> 604800000``."""
    shown = ", ".join(
        f"{key} {now if now is not None else 'unset'} -> {want}" for key, now, want in changes
    )
    return f"altered {spec.name} {shown}"
