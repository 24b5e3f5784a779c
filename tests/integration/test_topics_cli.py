"""`dafnck topics` against a real broker: apply creates, repeats harmlessly, and repairs drift.

Most tests use their own uniquely-prefixed copy of catalog topics (``it-<uuid8>-agent-events``)
so they never fight over the real catalog's topics with other tests or a running platform.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from streams.kafka_admin import cluster as cluster_ops
from streams.tooling.topic_admin import (
    TopicAdminError,
    TopicProblemsError,
    apply_topics,
    describe_cluster_topics,
    diff_topics,
)
from topics import AGENT_EVENTS, USER_EVENTS, TopicSpec, by_name

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclasses.dataclass
class PrivateCatalog:
    """A private catalog: real specs renamed under a prefix nobody else uses."""

    prefix: str
    specs: list[TopicSpec]

    def named(self, spec: TopicSpec) -> str:
        return self.prefix + spec.name

    def with_spec(self, original: TopicSpec, **changes: object) -> list[TopicSpec]:
        """The catalog with one spec changed, as an edited catalog file would be."""
        target = self.named(original)
        return [
            dataclasses.replace(s, **changes) if s.name == target else s  # type: ignore[arg-type]
            for s in self.specs
        ]


@pytest.fixture
async def catalog(kafka_bootstrap: str) -> AsyncIterator[PrivateCatalog]:
    prefix = f"it-{uuid.uuid4().hex[:8]}-"
    originals = [AGENT_EVENTS, USER_EVENTS, by_name(AGENT_EVENTS.dlq)]
    specs = [dataclasses.replace(s, name=prefix + s.name) for s in originals]
    yield PrivateCatalog(prefix, specs)
    async with cluster_ops.admin_session(kafka_bootstrap) as client:
        ours = [name for name in await client.list_topics() if name.startswith(prefix)]
        await cluster_ops.delete(client, ours)


async def _set_configs(bootstrap: str, topic: str, configs: dict[str, str]) -> None:
    """Change a topic behind the catalog's back, as an operator with kafka-configs would."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, configs)])
    finally:
        await admin.close()


async def test_apply_creates_everything_then_changes_nothing(
    kafka_bootstrap: str, catalog: PrivateCatalog
) -> None:
    printed: list[str] = []
    actions = await apply_topics(kafka_bootstrap, catalog.specs, out=printed.append)

    agent = catalog.named(AGENT_EVENTS)
    assert f"created {agent} (3 partitions, retention 7d, delete)" in actions
    assert len(actions) == 3
    found = await describe_cluster_topics(kafka_bootstrap, [agent])
    assert (found[agent].partitions, found[agent].configs["retention.ms"]) == (3, "604800000")

    printed.clear()
    assert await apply_topics(kafka_bootstrap, catalog.specs, out=printed.append) == []
    assert printed[:3] == [f"ok {s.name}" for s in catalog.specs]
    assert printed[-1].startswith("nothing to change")
    assert await diff_topics(kafka_bootstrap, catalog.specs, prefix=catalog.prefix) == []


async def test_drift_made_behind_the_catalogs_back_is_reported_and_repaired(
    kafka_bootstrap: str, catalog: PrivateCatalog
) -> None:
    await apply_topics(kafka_bootstrap, catalog.specs, out=lambda _line: None)
    user = catalog.named(USER_EVENTS)
    await _set_configs(
        kafka_bootstrap,
        user,
        {
            "retention.ms": "86400000",
            "cleanup.policy": "delete",
            "max.message.bytes": "1048576",
            "segment.ms": "3600000",
        },
    )

    drifts = await diff_topics(kafka_bootstrap, catalog.specs, prefix=catalog.prefix)
    assert [(d.topic, d.field, d.expected, d.actual) for d in drifts] == [
        (user, "retention.ms", "2592000000", "86400000")
    ]
    assert "retention.ms is 86400000 (1d) on the cluster" in str(drifts[0])

    actions = await apply_topics(kafka_bootstrap, catalog.specs, out=lambda _line: None)
    assert actions == [f"altered {user} retention.ms 86400000 -> 2592000000"]
    assert await diff_topics(kafka_bootstrap, catalog.specs, prefix=catalog.prefix) == []
    # The override the catalog does not manage survives the repair.
    found = await describe_cluster_topics(kafka_bootstrap, [user])
    assert found[user].overrides.get("segment.ms") == "3600000"


async def test_more_partitions_in_the_catalog_grow_the_topic(
    kafka_bootstrap: str, catalog: PrivateCatalog
) -> None:
    await apply_topics(kafka_bootstrap, catalog.specs, out=lambda _line: None)
    grown = catalog.with_spec(AGENT_EVENTS, partitions=5)
    agent = catalog.named(AGENT_EVENTS)

    drifts = await diff_topics(kafka_bootstrap, grown, prefix=catalog.prefix)
    assert [(d.field, d.expected, d.actual) for d in drifts] == [("partitions", 5, 3)]
    actions = await apply_topics(kafka_bootstrap, grown, out=lambda _line: None)
    assert actions == [f"grew {agent} partitions 3 -> 5"]
    found = await describe_cluster_topics(kafka_bootstrap, [agent])
    assert found[agent].partitions == 5
    assert await diff_topics(kafka_bootstrap, grown, prefix=catalog.prefix) == []


async def test_fewer_partitions_in_the_catalog_is_a_problem_not_a_change(
    kafka_bootstrap: str, catalog: PrivateCatalog
) -> None:
    await apply_topics(kafka_bootstrap, catalog.specs, out=lambda _line: None)
    shrunk = catalog.with_spec(AGENT_EVENTS, partitions=1)
    printed: list[str] = []
    with pytest.raises(TopicProblemsError) as raised:
        await apply_topics(kafka_bootstrap, shrunk, out=printed.append)
    assert raised.value.actions == []
    assert "cannot remove partitions" in raised.value.problems[0]
    assert any(line.startswith("problem: ") for line in printed)
    # Without strict, the caller (e.g. `dafnck up`) gets the lines and carries on.
    assert await apply_topics(kafka_bootstrap, shrunk, out=lambda _line: None, strict=False) == []


async def test_a_topic_shaped_like_ours_but_undeclared_is_drift(
    kafka_bootstrap: str, catalog: PrivateCatalog
) -> None:
    await apply_topics(kafka_bootstrap, catalog.specs, out=lambda _line: None)
    stale = catalog.named(AGENT_EVENTS)
    remaining = [s for s in catalog.specs if s.name != stale]
    drifts = await diff_topics(kafka_bootstrap, remaining, prefix=catalog.prefix)
    assert [(d.topic, d.stray) for d in drifts] == [(stale, True)]


async def test_an_unreachable_kafka_fails_fast_naming_the_address() -> None:
    with pytest.raises(TopicAdminError, match=r"127\.0\.0\.1:1\b"):
        await diff_topics("127.0.0.1:1", timeout=5)


def _dafnck(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "streams", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )


_THROWAWAY_PREFIXES = ("it-", "kt-", "ct-", "bench-")


def test_cli_apply_then_diff_on_the_real_catalog(kafka_bootstrap: str) -> None:
    applied = _dafnck("topics", "apply", "--bootstrap-servers", kafka_bootstrap)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    summary = applied.stdout.splitlines()[-1]
    assert summary.startswith("nothing to change") or "now match the catalog" in summary

    again = _dafnck("topics", "apply", "--bootstrap-servers", kafka_bootstrap)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "nothing to change" in again.stdout

    diff = _dafnck("topics", "diff", "--bootstrap-servers", kafka_bootstrap)
    # A shared development broker may hold throwaway topics of interrupted test or
    # benchmark runs (their *.dlq twins look like ours); everything else must match.
    lines = diff.stdout.splitlines()
    throwaway = [line for line in lines if line.startswith(_THROWAWAY_PREFIXES)]
    drift = [line for line in lines if line not in throwaway and not line.startswith("no drift")]
    assert drift == [], diff.stdout + diff.stderr
    if not throwaway:
        assert diff.returncode == 0 and diff.stdout.startswith("no drift"), diff.stdout

    listed = _dafnck("topics", "list", "--bootstrap-servers", kafka_bootstrap)
    assert listed.returncode == 0, listed.stderr
    assert "agent-events" in listed.stdout and "missing" not in listed.stdout


def test_cli_without_any_kafka_exits_2_with_a_hint(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}
    env.update(PYTHONPATH=str(REPO_ROOT), DAFNCK_STATE_DIR=str(tmp_path / "no-stack"))
    result = subprocess.run(
        [sys.executable, "-m", "streams", "topics", "diff"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 2
    assert "dafnck stack up" in result.stderr and "KAFKA_BOOTSTRAP_SERVERS" in result.stderr
