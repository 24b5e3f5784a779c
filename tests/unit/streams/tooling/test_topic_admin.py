"""Topic administration without a broker: drift, apply plans, listing and bootstrap resolution."""

from __future__ import annotations

import dataclasses
import json

import pytest

from streams.tooling.topic_admin import (
    NO_KAFKA,
    ClusterTopic,
    Drift,
    NoKafkaError,
    compute_drift,
    humanize_ms,
    is_ignored,
    listing,
    looks_like_ours,
    plan_apply,
    resolve_bootstrap,
)
from streams.tooling.topic_admin import bootstrap as bootstrap_mod
from streams.tooling.topic_admin.plan import altered_line, created_line, grew_line
from topics import AGENT_EVENTS, USER_EVENTS, TopicSpec, all_topics


def on_cluster(spec: TopicSpec, **changes: object) -> ClusterTopic:
    """The topic as a cluster that matches the catalog would describe it, then ``changes``."""
    topic = ClusterTopic(
        spec.name,
        spec.partitions,
        spec.replication,
        configs={**spec.topic_configs(), "segment.bytes": "1073741824"},
        overrides=spec.topic_configs(),
    )
    return dataclasses.replace(topic, **changes)  # type: ignore[arg-type]


def matching_cluster() -> dict[str, ClusterTopic]:
    return {spec.name: on_cluster(spec) for spec in all_topics()}


# --- drift -----------------------------------------------------------------------------


def test_a_cluster_that_matches_the_catalog_has_no_drift() -> None:
    assert compute_drift(all_topics(), matching_cluster()) == []


def test_a_missing_topic_is_reported_by_name() -> None:
    cluster = matching_cluster()
    del cluster["user-events"]
    drifts = compute_drift(all_topics(), cluster)
    assert [(d.topic, d.field, d.missing) for d in drifts] == [("user-events", "topic", True)]
    assert str(drifts[0]) == "user-events: missing on the cluster"


def test_partition_replication_and_config_differences_each_name_their_field() -> None:
    cluster = matching_cluster()
    configs = {**AGENT_EVENTS.topic_configs(), "retention.ms": "86400000"}
    cluster["agent-events"] = on_cluster(AGENT_EVENTS, partitions=6, replication=3, configs=configs)
    drifts = compute_drift(all_topics(), cluster)
    assert [(d.field, d.expected, d.actual) for d in drifts] == [
        ("partitions", 3, 6),
        ("replication", 1, 3),
        ("retention.ms", "604800000", "86400000"),
    ]
    assert str(drifts[2]) == (
        "agent-events: retention.ms is 86400000 (1d) on the cluster, "
        "the catalog says 604800000 (7d)"
    )


def test_a_config_the_cluster_does_not_report_is_drift() -> None:
    cluster = {"agent-events": on_cluster(AGENT_EVENTS, configs={})}
    drifts = compute_drift([AGENT_EVENTS], cluster)
    assert {d.field for d in drifts} == {"retention.ms", "cleanup.policy", "max.message.bytes"}
    assert "is unset on the cluster" in str(drifts[0])


def test_cleanup_policy_order_does_not_count_as_drift() -> None:
    spec = dataclasses.replace(AGENT_EVENTS, cleanup_policy="compact,delete")
    configs = {**spec.topic_configs(), "cleanup.policy": "delete, compact"}
    assert compute_drift([spec], {spec.name: on_cluster(spec, configs=configs)}) == []


def test_topics_shaped_like_ours_but_not_in_the_catalog_are_strays() -> None:
    cluster = matching_cluster()
    for name in ("billing-events", "billing-commands", "billing-events.dlq", "scratch", "orders"):
        cluster[name] = ClusterTopic(name, 1, 1)
    drifts = compute_drift(all_topics(), cluster)
    assert [d.topic for d in drifts] == ["billing-commands", "billing-events", "billing-events.dlq"]
    assert all(d.stray for d in drifts)
    assert str(drifts[0]) == "billing-commands: on the cluster but not in the catalog"


def test_strays_are_limited_to_the_prefix_when_one_is_given() -> None:
    cluster = matching_cluster()
    cluster["it-1234abcd-old-events"] = ClusterTopic("it-1234abcd-old-events", 1, 1)
    assert [d.topic for d in compute_drift([], cluster, prefix="it-1234abcd-")] == [
        "it-1234abcd-old-events"
    ]
    assert compute_drift([], cluster, prefix="it-99999999-") == []


@pytest.mark.parametrize(
    "name",
    [
        "__consumer_offsets",
        "__transaction_state",
        "agents-svc-agent_table-changelog",
        "agents-svc-agent-events-repartition",
        "agents-svc-__assignor-__leader",
    ],
)
def test_kafka_and_faust_internal_topics_are_ignored(name: str) -> None:
    assert is_ignored(name)
    assert not looks_like_ours(name)
    assert compute_drift([], {name: ClusterTopic(name, 1, 1)}) == []


@pytest.mark.parametrize(
    ("name", "ours"),
    [
        ("agent-events", True),
        ("x-commands", True),
        ("a.dlq", True),
        ("events", False),
        ("bench1", False),
        ("agent-events-archive", False),
    ],
)
def test_which_names_look_like_ours(name: str, ours: bool) -> None:
    assert looks_like_ours(name) is ours


def test_drift_is_plain_data_with_a_readable_str() -> None:
    drift = Drift("user-events", "replication", 3, 1)
    assert str(drift) == "user-events: replication is 1 on the cluster, the catalog says 3"
    assert not drift.missing and not drift.stray


# --- apply plans ---------------------------------------------------------------------------


def test_plan_for_a_matching_cluster_is_all_up_to_date() -> None:
    assert all(plan.up_to_date for plan in plan_apply(all_topics(), matching_cluster()))


def test_plan_creates_missing_topics_only() -> None:
    cluster = matching_cluster()
    del cluster["agent-events"]
    plans = {p.spec.name: p for p in plan_apply(all_topics(), cluster)}
    assert plans["agent-events"].create
    assert [name for name, p in plans.items() if not p.up_to_date] == ["agent-events"]


def test_plan_grows_partitions_but_refuses_to_shrink() -> None:
    cluster = {
        "agent-events": on_cluster(AGENT_EVENTS, partitions=1),
        "user-events": on_cluster(USER_EVENTS, partitions=5),
    }
    grow, shrink = plan_apply([AGENT_EVENTS, USER_EVENTS], cluster)
    assert grow.grow_from == 1 and not grow.problems
    assert shrink.grow_from is None
    assert len(shrink.problems) == 1
    assert "5 partitions" in shrink.problems[0] and "new topic" in shrink.problems[0]


def test_plan_reports_replication_as_a_problem_it_does_not_fix() -> None:
    (plan,) = plan_apply([AGENT_EVENTS], {"agent-events": on_cluster(AGENT_EVENTS, replication=3)})
    assert plan.grow_from is None and not plan.changes
    assert "replication factor 3" in plan.problems[0]


def test_plan_alters_differing_configs_and_keeps_other_overrides() -> None:
    overrides = {"retention.ms": "86400000", "segment.ms": "3600000"}
    configs = {**AGENT_EVENTS.topic_configs(), **overrides}
    cluster = {"agent-events": on_cluster(AGENT_EVENTS, configs=configs, overrides=overrides)}
    (plan,) = plan_apply([AGENT_EVENTS], cluster)
    assert plan.changes == (("retention.ms", "86400000", "604800000"),)
    # AlterConfigs replaces every override: the one the catalog does not manage must survive.
    assert plan.alter_configs == {
        "retention.ms": "604800000",
        "cleanup.policy": "delete",
        "max.message.bytes": "1048576",
        "segment.ms": "3600000",
    }


def test_action_lines_read_as_the_cli_prints_them() -> None:
    assert created_line(AGENT_EVENTS) == "created agent-events (3 partitions, retention 7d, delete)"
    assert grew_line(AGENT_EVENTS, 1) == "grew agent-events partitions 1 -> 3"
    assert altered_line(AGENT_EVENTS, [("retention.ms", "86400000", "604800000")]) == (
        "altered agent-events retention.ms 86400000 -> 604800000"
    )


@pytest.mark.parametrize(
    ("ms", "shown"),
    [
        (604_800_000, "7d"),
        (2_592_000_000, "30d"),
        (3_600_000, "1h"),
        (90_000, "90s"),
        (1_500, "1500ms"),
        (-1, "forever"),
        (0, "0ms"),
        ("junk", "junk"),
        (None, "unset"),
    ],
)
def test_humanize_ms(ms: int | str | None, shown: str) -> None:
    assert humanize_ms(ms) == shown


# --- list ----------------------------------------------------------------------------------


def test_list_table_shows_presence_and_partition_mismatch() -> None:
    cluster = {"agent-events": on_cluster(AGENT_EVENTS, partitions=5)}
    lines = listing.table([AGENT_EVENTS, USER_EVENTS], cluster).splitlines()
    assert lines[0].split() == [
        "TOPIC",
        "PARTITIONS",
        "REPLICATION",
        "RETENTION",
        "CLEANUP",
        "ON",
        "CLUSTER",
    ]
    assert lines[1].split() == ["agent-events", "3", "1", "7d", "delete", "yes,", "5", "partitions"]
    assert lines[2].split() == ["user-events", "2", "1", "30d", "delete", "missing"]


def test_list_rows_are_json_serialisable() -> None:
    rows = listing.rows(all_topics(), matching_cluster())
    decoded = json.loads(json.dumps(rows))
    first = decoded[0]
    assert first["name"] == "agent-events" and first["retention"] == "7d"
    assert first["exists"] and first["partitions_match"] and first["cluster_partitions"] == 3


# --- bootstrap -----------------------------------------------------------------------------


def test_bootstrap_prefers_the_option_then_the_environment() -> None:
    env = {"KAFKA_BOOTSTRAP_SERVERS": "env:9092"}
    assert resolve_bootstrap("cli:9092", env) == "cli:9092"
    assert resolve_bootstrap(None, env) == "env:9092"


def test_bootstrap_falls_back_to_the_local_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bootstrap_mod, "_local_stack_bootstrap", lambda: "127.0.0.1:24001")
    assert resolve_bootstrap(None, {}) == "127.0.0.1:24001"


def test_no_kafka_anywhere_says_how_to_get_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bootstrap_mod, "_local_stack_bootstrap", lambda: None)
    with pytest.raises(NoKafkaError) as raised:
        resolve_bootstrap("  ", {"KAFKA_BOOTSTRAP_SERVERS": ""})
    assert str(raised.value) == NO_KAFKA
    assert "dafnck stack up" in NO_KAFKA
