"""A worker creates its internal topics before consuming, or exits loudly when it cannot."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from streams.kafka_admin.internal_topics import InternalTopic, ensure_internal_topics
from streams.tooling.stack import Endpoints
from tests.support.streams.harness import free_port, spawn


def _partitions(bootstrap: str, names: set[str]) -> dict[str, int]:
    async def read() -> dict[str, int]:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            return {
                t["topic"]: len(t["partitions"])
                for t in await admin.describe_topics()
                if t["topic"] in names
            }
        finally:
            await admin.close()

    return asyncio.run(read())


def _create(bootstrap: str, name: str, partitions: int) -> None:
    async def create() -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            await admin.create_topics([NewTopic(name, partitions, 1)])
        finally:
            await admin.close()

    asyncio.run(create())


def test_missing_internal_topics_are_created_with_their_partitions_and_twice_is_harmless(
    kafka_bootstrap: str,
) -> None:
    prefix = f"it-{uuid.uuid4().hex[:6]}-"
    wanted = [
        InternalTopic(f"{prefix}agents-svc-sched-changelog", 3, {"cleanup.policy": "compact"}),
        InternalTopic(f"{prefix}agents-svc-__assignor-__leader", 1),
    ]
    created = asyncio.run(ensure_internal_topics(kafka_bootstrap, wanted))
    assert sorted(created) == sorted(t.name for t in wanted)
    assert _partitions(kafka_bootstrap, {t.name for t in wanted}) == {
        wanted[0].name: 3,
        wanted[1].name: 1,
    }
    assert asyncio.run(ensure_internal_topics(kafka_bootstrap, wanted)) == []


def test_a_worker_whose_changelog_has_the_wrong_partitions_exits_1_saying_why(
    endpoints: Endpoints, tmp_path: Path
) -> None:
    prefix = f"bad-{uuid.uuid4().hex[:6]}-"
    changelog = f"{prefix}users-svc-aggregates-user-commands-changelog"
    _create(endpoints.kafka_bootstrap, changelog, 1)  # user-commands has 2
    log = tmp_path / "users.log"
    env = {
        **os.environ,
        **endpoints.as_env(),
        "DAFNCK_GROUP_PREFIX": prefix,
        "DAFNCK_STATE_DIR": str(tmp_path),
        "DAFNCK_WORKER_PORT": str(free_port()),
        "PYTHONUNBUFFERED": "1",
    }
    worker = spawn("users_svc", env, log)
    assert worker.wait(60) == 1, log.read_text()[-3000:]
    errors = [
        json.loads(line)["msg"]
        for line in log.read_text().splitlines()
        if line.startswith("{") and json.loads(line)["level"] == "error"
    ]
    assert errors == [
        f"cannot start: internal topics do not fit: {changelog} has 1 partitions, "
        "its table needs 2"
    ]
