"""A worker's /ready: true only when running, assigned, recovered, and its tables writable."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import faust

from streams.readiness import handler_health, readiness_problems


def _app(*, assigned: bool = True, changelog_seen: int | None = 3) -> Any:
    changelog = SimpleNamespace(partitions=3, get_topic_name=lambda: "agents-svc-sched-changelog")
    table = SimpleNamespace(name="sched", changelog_topic=changelog)
    recovered = SimpleNamespace(is_set=lambda: True)
    return SimpleNamespace(
        producer=SimpleNamespace(started=True),
        consumer=SimpleNamespace(
            started=True,
            assignment=lambda: {("agent-commands", 0)} if assigned else set(),
            topic_partitions=lambda name: changelog_seen,
        ),
        rebalancing=False,
        tables=SimpleNamespace(
            values=lambda: [table], recovery=SimpleNamespace(completed=recovered)
        ),
        agents={},
        conf=SimpleNamespace(topic_partitions=3),
    )


def test_a_running_assigned_recovered_worker_is_ready() -> None:
    assert readiness_problems(cast(faust.App, _app())) == []


def test_no_partitions_assigned_yet_is_not_ready() -> None:
    assert readiness_problems(cast(faust.App, _app(assigned=False))) == [
        "no partitions assigned yet"
    ]


def test_a_changelog_seen_with_0_partitions_is_not_ready() -> None:
    # The first start on a fresh broker: every table write would fail PartitionsMismatch.
    problems = readiness_problems(cast(faust.App, _app(changelog_seen=0)))
    assert problems == [
        "table sched: changelog agents-svc-sched-changelog has 0 partitions in the "
        "consumer's metadata, the table needs 3"
    ]


def test_a_crashed_handler_is_not_ready_until_a_record_succeeds() -> None:
    app = _app()
    health = handler_health(cast(faust.App, app))
    health.crashed("agents-svc.agent-commands", RuntimeError("producer closed"))
    assert readiness_problems(cast(faust.App, app)) == [
        "handler agents-svc.agent-commands crashed: RuntimeError: producer closed"
    ]
    health.succeeded("agents-svc.agent-commands")
    assert readiness_problems(cast(faust.App, app)) == []
