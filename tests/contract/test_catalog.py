"""The topic catalog is consistent, has the seed's values and matches deploy/k8s/topics.yaml."""

from __future__ import annotations

import re

import pytest

import topics
from streams.tooling.topic_admin import k8s
from topics import Compatibility, TopicKind, all_topics, by_name, consumer_groups

NAME = re.compile(r"^[a-z]+(-[a-z]+)*(\.dlq)?$")
CONTEXTS = ("agent", "user", "project", "notification", "analytics")
DAY_MS = 24 * 60 * 60 * 1000


def primaries() -> list[topics.TopicSpec]:
    return [t for t in all_topics() if t.kind is not TopicKind.DEAD_LETTER]


def test_names_are_unique() -> None:
    names = [t.name for t in all_topics()]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


@pytest.mark.parametrize("spec", all_topics(), ids=lambda t: t.name)
def test_names_follow_the_convention(spec: topics.TopicSpec) -> None:
    assert NAME.match(spec.name), f"{spec.name!r} does not match {NAME.pattern}"


@pytest.mark.parametrize("spec", all_topics(), ids=lambda t: t.name)
def test_shapes_are_ones_kafka_accepts(spec: topics.TopicSpec) -> None:
    assert spec.partitions >= 1 and spec.replication >= 1
    assert spec.retention_ms > 0 or spec.retention_ms == -1
    assert set(spec.cleanup_policy.split(",")) <= {"delete", "compact"}
    assert all(isinstance(v, str) for v in spec.topic_configs().values())


def test_every_consumed_primary_topic_has_a_dlq_twin_with_its_partitions() -> None:
    consumed = [t for t in primaries() if t.consumer_groups]
    assert consumed, "the catalog should have consumed topics"
    for spec in consumed:
        twin = by_name(spec.dlq)
        assert twin.kind is TopicKind.DEAD_LETTER
        assert twin.partitions == spec.partitions, spec.name
        assert twin.replication == spec.replication, spec.name


def test_dlq_twins_are_schemaless_and_belong_to_a_primary_topic() -> None:
    names = {t.name for t in all_topics()}
    twins = [t for t in all_topics() if t.kind is TopicKind.DEAD_LETTER]
    assert twins
    for twin in twins:
        assert twin.name.endswith(".dlq")
        assert twin.compatibility is Compatibility.NONE, twin.name
        assert twin.name.removesuffix(".dlq") in names
        assert not twin.has_dlq


def test_only_dead_letter_topics_end_in_dlq() -> None:
    for spec in primaries():
        assert not spec.name.endswith(".dlq"), spec.name


def test_seed_values() -> None:
    agent, user = by_name("agent-events"), by_name("user-events")
    assert (agent.partitions, agent.retention_ms) == (3, 7 * DAY_MS)
    assert (user.partitions, user.retention_ms) == (2, 30 * DAY_MS)
    for name in ("project-events", "notification-events", "analytics-events"):
        assert by_name(name).kind is TopicKind.EVENTS


def test_seed_consumer_groups_exist() -> None:
    assert {"notification-consumers", "analytics-consumers", "audit-consumers"} <= set(
        consumer_groups()
    )


@pytest.mark.parametrize("context", CONTEXTS)
def test_every_context_has_a_command_topic(context: str) -> None:
    assert by_name(f"{context}-commands").kind is TopicKind.COMMANDS


def test_unknown_names_fail_naming_the_known_ones() -> None:
    with pytest.raises(KeyError, match="agent-events"):
        by_name("agent-event")


def test_committed_k8s_manifests_match_the_catalog() -> None:
    committed = k8s.MANIFEST_PATH.read_text(encoding="utf-8")
    assert committed == k8s.render(), (
        "deploy/k8s/topics.yaml is stale: run `python -m streams.tooling.topic_admin.k8s --write`"
    )


def test_k8s_manifests_are_strimzi_kafka_topics() -> None:
    import yaml
    docs = [d for d in yaml.safe_load_all(k8s.render()) if d]
    assert [d["metadata"]["name"] for d in docs] == [t.name for t in all_topics()]
    for doc, spec in zip(docs, all_topics(), strict=True):
        assert doc["apiVersion"] == "kafka.strimzi.io/v1beta2"
        assert doc["kind"] == "KafkaTopic"
        assert doc["metadata"]["labels"]["strimzi.io/cluster"] == "dafnck"
        assert doc["spec"] == {
            "topicName": spec.name,
            "partitions": spec.partitions,
            "replicas": spec.replication,
            "config": spec.topic_configs(),
        }
