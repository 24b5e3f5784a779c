"""Poison on the topics the real workers consume: every kind reaches the ``.dlq`` with its reason.

The agents and users workers run as they do in production (``python -m agents_svc``,
``python -m users_svc``) against the real broker and Postgres. On every command topic a
worker consumes, each kind of unusable record is dead-lettered, byte for byte, with the
reason in ``dlq.reason``, and a valid command sent after them on the same partition is
still processed. On the events topics the read models follow, an event its owning
service did not write (``dafnck publish``, say) is dead-lettered as ``foreign-source``
and never shows in the read model, while the owner's own event does.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import TopicPartition

import topics
from streams.producer import EventPublisher
from streams.tooling.stack import Endpoints
from streams.tooling.topic_admin import apply_topics
from tests.support import poison_records as ps
from tests.support.streams.harness import free_port, log_tail, spawn, stop, wait_ready
from tests.support.users_svc.worker_process import rows

pytestmark = pytest.mark.integration

# The command topics a worker of this repository consumes, with the key poison goes on.
PROBED = {
    topics.AGENT_COMMANDS.name: lambda: "scheduler",
    topics.AGENT_CLOCK.name: lambda: "scheduler",
    topics.USER_COMMANDS.name: lambda: f"email:{uuid.uuid4().hex[:12]}@poison.test",
    topics.USER_REGISTRATIONS.name: lambda: str(uuid.uuid4()),
}
REPLIES = {
    topics.AGENT_COMMANDS.name: topics.AGENT_REPLIES.name,
    topics.USER_COMMANDS.name: topics.USER_REPLIES.name,
}
TIMEOUT = 120.0  # generous: the machine's cores are shared


@pytest.fixture(scope="module")
def workers(endpoints: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The agents and users workers, started together, ready."""
    asyncio.run(apply_topics(endpoints.kafka_bootstrap, out=lambda _line: None, strict=False))
    started = []
    for module in ("agents_svc", "users_svc"):
        workdir = tmp_path_factory.mktemp(module)
        port = free_port()
        env = {
            **os.environ,
            **endpoints.as_env(),
            "DAFNCK_STATE_DIR": str(workdir),
            "DAFNCK_WORKER_PORT": str(port),
            "PYTHONUNBUFFERED": "1",
        }
        log = workdir / "worker.log"
        started.append((spawn(module, env, log), port, log))
    try:
        for process, port, log in started:
            wait_ready(process, port, log, timeout=180.0)
        yield
    finally:
        for process, _, log in started:
            if process.poll() is not None:
                print(log_tail(log))
            stop(process)


def _consumer_group(spec: topics.TopicSpec) -> str:
    [group] = spec.consumer_groups
    return group


@pytest.mark.parametrize("topic", sorted(PROBED))
async def test_every_poison_is_dead_lettered_and_a_valid_command_still_runs(
    workers: None, kafka_bootstrap: str, topic: str
) -> None:
    spec = topics.by_name(topic)
    key = PROBED[topic]()
    bad = ps.poisons(spec, key)
    command_id, good = ps.valid_command(spec, key)
    dlq_start = await ps.end_offsets(kafka_bootstrap, spec.dlq)
    reply_topic = REPLIES.get(topic)
    replies_start = await ps.end_offsets(kafka_bootstrap, reply_topic) if reply_topic else {}

    sent = await ps.send(
        kafka_bootstrap, topic, [(p.key, p.value) for p in bad] + [(key.encode(), good)]
    )
    *poison_at, (partition, valid_offset) = sent
    wanted = {str(offset) for _, offset in poison_at}

    def origin(record: Any) -> str:
        return ps.headers_of(record).get("dlq.original.offset", "")

    def all_seen(records: list[Any]) -> bool:
        return wanted <= {origin(r) for r in records if r.partition == partition}

    dead = await ps.read_until(kafka_bootstrap, dlq_start, all_seen, TIMEOUT)
    by_offset = {origin(r): r for r in dead if r.partition == partition}
    problems = []
    for poison, (_, offset) in zip(bad, poison_at, strict=True):
        record = by_offset.get(str(offset))
        if record is None:
            problems.append(f"{poison.kind}: not dead-lettered")
            continue
        headers = ps.headers_of(record)
        reason = headers.get("dlq.reason", "")
        if not reason or (poison.reason is not None and reason != poison.reason):
            problems.append(f"{poison.kind}: reason {reason!r}, expected {poison.reason}")
        if headers.get("dlq.original.topic") != topic or record.value != (poison.value or b""):
            problems.append(f"{poison.kind}: not the original record")
    assert problems == []
    assert str(valid_offset) not in by_offset, "the valid command was dead-lettered"

    group = _consumer_group(spec)
    tp = TopicPartition(topic, partition)
    deadline = time.monotonic() + TIMEOUT
    while await ps.committed(kafka_bootstrap, group, tp) <= valid_offset:
        assert time.monotonic() < deadline, f"{group} did not get past the valid command"
        await asyncio.sleep(0.5)
    if reply_topic:
        replies = await ps.read_until(
            kafka_bootstrap,
            replies_start,
            lambda records: any(r.key == command_id.encode() for r in records),
            TIMEOUT,
        )
        assert any(r.key == command_id.encode() for r in replies), "the valid command got no reply"


def test_every_command_topic_a_worker_consumes_is_probed() -> None:
    # A new consumer of project-, notification- or analytics-commands joins the table above.
    assert ps.consumed_command_topics() == set(PROBED)


def _agent_created(agent_id: str) -> dict[str, Any]:
    return {
        "agent_id": agent_id,
        "project_id": str(uuid.uuid4()),
        "name": "Research assistant",
        "capabilities": ["web-search", "summarize"],
        "capacity": 4,
        "labels": {"team": "platform"},
        "model_settings": {"model": "sim-1"},
        "created_by": str(uuid.uuid4()),
        "status": "registered",
    }


def _dafnck_publish(bootstrap: str, topic: str, type_name: str, data: dict[str, Any]) -> str:
    """``dafnck publish`` as the README shows it; its one line of output."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "streams",
            "publish",
            topic,
            "--type",
            type_name,
            "--data",
            json.dumps(data),
        ],
        cwd=Path(ps.REPO_ROOT),
        env={**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "PYTHONPATH": str(ps.REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


async def _assert_foreign_dead_lettered(
    bootstrap: str, spec: topics.TopicSpec, start: dict[TopicPartition, int], subject: str
) -> None:
    def found(records: list[Any]) -> bool:
        return any(r.key == subject.encode() for r in records)

    records = await ps.read_until(bootstrap, start, found, TIMEOUT)
    [record] = [r for r in records if r.key == subject.encode()]
    headers = ps.headers_of(record)
    assert headers["dlq.reason"] == "foreign-source"
    assert headers["dlq.service"] == spec.owner
    assert headers["dlq.original.topic"] == spec.name


async def _wait_for_row(database_url: str, sql: str, row_id: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not await rows(database_url, sql, row_id):
        assert time.monotonic() < deadline, f"{row_id} never reached the read model"
        await asyncio.sleep(0.5)


async def test_a_hand_published_agent_never_shows_in_the_read_model(
    workers: None, kafka_bootstrap: str, database_url: str
) -> None:
    spec = topics.AGENT_EVENTS
    dlq_start = await ps.end_offsets(kafka_bootstrap, spec.dlq)
    foreign, owned = str(uuid.uuid4()), str(uuid.uuid4())
    printed = _dafnck_publish(kafka_bootstrap, spec.name, "AgentCreated", _agent_created(foreign))
    assert printed.startswith("published AgentCreated ")
    async with EventPublisher(kafka_bootstrap, source="/dafnck/agents-svc") as scheduler:
        envelope = scheduler.build(spec, "AgentCreated", _agent_created(owned), subject=owned)
        await scheduler.publish(spec, envelope)

    await _assert_foreign_dead_lettered(kafka_bootstrap, spec, dlq_start, foreign)
    query = "SELECT id FROM agents.agents WHERE id = %s::uuid"
    await _wait_for_row(database_url, query, owned)
    assert await rows(database_url, query, foreign) == []


async def test_a_foreign_user_created_never_shows_in_the_read_model(
    workers: None, kafka_bootstrap: str, database_url: str
) -> None:
    spec = topics.USER_EVENTS
    dlq_start = await ps.end_offsets(kafka_bootstrap, spec.dlq)
    foreign, owned = str(uuid.uuid4()), str(uuid.uuid4())
    for source, user_id in (("/dafnck/cli", foreign), ("/dafnck/users-svc", owned)):
        data = {
            "user_id": user_id,
            "email": f"{user_id[:12]}@poison.test",
            "display_name": "Poison Probe",
            "roles": ["member"],
        }
        async with EventPublisher(kafka_bootstrap, source=source) as publisher:
            await publisher.publish(
                spec, publisher.build(spec, "UserCreated", data, subject=user_id)
            )

    await _assert_foreign_dead_lettered(kafka_bootstrap, spec, dlq_start, foreign)
    query = "SELECT id FROM users.users WHERE id = %s::uuid"
    await _wait_for_row(database_url, query, owned)
    assert await rows(database_url, query, foreign) == []
