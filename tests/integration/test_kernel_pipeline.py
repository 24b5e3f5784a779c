"""The streams kernel on the real broker: a Faust worker process consuming, validating,
handling, producing and dead-lettering, and surviving a crash without loss or doubles."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import orjson
import pytest

from streams import deadletter
from streams.envelope import decode, encode, new_envelope
from streams.kafka_admin.cluster import admin_session, delete
from streams.producer import EventPublisher
from streams.tooling.topic_admin import apply_topics, describe_cluster_topics
from streams.tracing import parse_traceparent
from tests.support.streams import kernel_topics as kt
from tests.support.streams.harness import KernelRun, agent_created, headers_of, read_until

pytestmark = pytest.mark.integration


async def _create_topics(run: KernelRun) -> None:
    kt.write_schema_tree(run.prefix, run.schema_root)
    await apply_topics(run.bootstrap, kt.all_specs(run.prefix), out=lambda _line: None)


async def _delete_topics(run: KernelRun) -> None:
    # Every topic of the run, Faust's changelogs for its tables included.
    cluster = await describe_cluster_topics(run.bootstrap)
    async with admin_session(run.bootstrap) as client:
        await delete(client, [name for name in cluster if name.startswith(run.prefix)])


@pytest.fixture(scope="module")
async def kernel(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[
    KernelRun
]:
    """One worker for the module's tests, on its own topics."""
    run = KernelRun(kafka_bootstrap, tmp_path_factory.mktemp("kernel"))
    await _create_topics(run)
    await asyncio.to_thread(run.start_worker)
    yield run
    run.stop_worker()
    await _delete_topics(run)


async def test_valid_events_round_trip_with_correlation_and_trace(kernel: KernelRun) -> None:
    ids = await kernel.publish_created(["alpha", "beta", "gamma"])
    seen = await read_until(
        kernel.bootstrap, kt.output_topic(kernel.prefix).name, lambda rs: len(rs) >= 3
    )
    outputs = {decode(r.value).causationid: (decode(r.value), r) for r in seen}
    assert set(outputs) == set(ids)
    for input_id in ids:
        envelope, record = outputs[input_id]
        assert envelope.type == kt.OUTPUT_TYPE
        assert envelope.correlationid == input_id  # a flow's first event is its own root
        assert envelope.actor == "it-user"
        assert record.key.decode() == envelope.subject == envelope.data["agent_id"]
        assert envelope.dataschema.endswith(f"{kt.output_topic(kernel.prefix).name}/AgentSeen/v1")
        assert parse_traceparent(headers_of(record)["traceparent"]) is not None
    assert {o[0].data["name"] for o in outputs.values()} == {"alpha", "beta", "gamma"}


async def test_trace_id_travels_from_input_to_output(kernel: KernelRun) -> None:
    spec = kt.source_topic(kernel.prefix)
    agent_id = str(uuid.uuid4())
    trace_id = uuid.uuid4().hex
    envelope = new_envelope(
        source="/it",
        type=kt.SOURCE_TYPE,
        subject=agent_id,
        dataschema=kernel.registry.latest(spec.name, kt.SOURCE_TYPE).id,
        data=agent_created(agent_id, "traced"),
        correlationid="req-123",
    )
    async with EventPublisher(kernel.bootstrap, source="/it", registry=kernel.registry) as pub:
        await pub.send_raw(
            spec.name,
            encode(envelope),
            key=agent_id.encode(),
            headers=[("traceparent", f"00-{trace_id}-{'ab' * 8}-01".encode())],
        )
    seen = await read_until(
        kernel.bootstrap,
        kt.output_topic(kernel.prefix).name,
        lambda rs: any(decode(r.value).causationid == envelope.id for r in rs),
    )
    [record] = [r for r in seen if decode(r.value).causationid == envelope.id]
    out = decode(record.value)
    assert out.correlationid == "req-123"
    parent = parse_traceparent(headers_of(record)["traceparent"])
    assert parent is not None and parent.trace_id == trace_id and parent.span_id != "ab" * 8


async def test_every_poison_kind_is_dead_lettered_and_valid_neighbours_processed(
    kernel: KernelRun,
) -> None:
    spec = kt.source_topic(kernel.prefix)
    key = str(uuid.uuid4()).encode()
    schema_id = kernel.registry.latest(spec.name, kt.SOURCE_TYPE).id

    def envelope_bytes(type_name: str, data: dict) -> bytes:
        env = new_envelope(
            source="/it", type=type_name, subject=key.decode(), dataschema=schema_id, data=data
        )
        return encode(env)

    good = agent_created(key.decode(), "good-neighbour")
    bad_data = agent_created(key.decode(), "bad")
    bad_data["capacity"] = "lots"
    poison = {
        deadletter.NOT_JSON: b"\x00\x01 definitely not json",
        deadletter.NOT_ENVELOPE: orjson.dumps({"hello": "world"}),
        deadletter.UNKNOWN_TYPE: envelope_bytes("AgentTeleported", good),
        deadletter.SCHEMA_INVALID: envelope_bytes(kt.SOURCE_TYPE, bad_data),
    }
    async with EventPublisher(kernel.bootstrap, source="/it", registry=kernel.registry) as pub:
        # Same key throughout: one partition, so "around it" means in order around it.
        sent = {}
        for reason, value in poison.items():
            sent[reason] = await pub.send_raw(spec.name, value, key=key)
        before_after = [envelope_bytes(kt.SOURCE_TYPE, good) for _ in range(2)]
        for value in before_after:
            await pub.send_raw(spec.name, value, key=key)
    good_ids = {decode(v).id for v in before_after}

    dlq = await read_until(
        kernel.bootstrap,
        spec.dlq,
        lambda rs: {headers_of(r).get(deadletter.REASON) for r in rs} >= set(poison),
    )
    by_reason = {headers_of(r)[deadletter.REASON]: r for r in dlq if r.key == key}
    assert set(by_reason) == set(poison)
    for reason, record in by_reason.items():
        h = headers_of(record)
        assert record.value == poison[reason]  # original bytes, untouched
        assert h[deadletter.ORIGINAL_TOPIC] == spec.name
        assert (int(h[deadletter.ORIGINAL_PARTITION]), int(h[deadletter.ORIGINAL_OFFSET])) == sent[
            reason
        ]
        assert h[deadletter.DETAIL]
    assert "capacity" in headers_of(by_reason[deadletter.SCHEMA_INVALID])[deadletter.PATH]
    assert "AgentTeleported" in headers_of(by_reason[deadletter.UNKNOWN_TYPE])[deadletter.DETAIL]

    seen = await read_until(
        kernel.bootstrap,
        kt.output_topic(kernel.prefix).name,
        lambda rs: good_ids <= {decode(r.value).causationid for r in rs},
    )
    assert good_ids <= {decode(r.value).causationid for r in seen}


async def test_flaky_handler_retried_once_applied_and_broken_one_dead_lettered(
    kernel: KernelRun,
) -> None:
    flaky_id, broken_id = await kernel.publish_created(["flaky-1", "broken-1"])

    def handler_errors(records: list) -> list:
        return [
            r
            for r in records
            if headers_of(r).get(deadletter.REASON) == deadletter.HANDLER_ERROR
            and decode(r.value).id == broken_id
        ]

    dlq = await read_until(
        kernel.bootstrap, kt.source_topic(kernel.prefix).dlq, lambda rs: bool(handler_errors(rs))
    )
    [dead] = handler_errors(dlq)
    h = headers_of(dead)
    assert h[deadletter.REASON] == deadletter.HANDLER_ERROR
    assert h[deadletter.ATTEMPTS] == "3"
    assert "cannot handle broken-1" in h[deadletter.DETAIL]

    seen = await read_until(
        kernel.bootstrap,
        kt.output_topic(kernel.prefix).name,
        lambda rs: any(decode(r.value).causationid == flaky_id for r in rs),
    )
    flaky_outputs = [r for r in seen if decode(r.value).causationid == flaky_id]
    assert len(flaky_outputs) == 1
    assert not any(decode(r.value).causationid == broken_id for r in seen)


@pytest.fixture
def crash_run(kafka_bootstrap: str, tmp_path: Path) -> Iterator[KernelRun]:
    run = KernelRun(kafka_bootstrap, tmp_path)
    asyncio.run(_create_topics(run))
    yield run
    run.stop_worker()
    asyncio.run(_delete_topics(run))


def test_crash_mid_handler_loses_nothing_and_applies_nothing_twice(crash_run: KernelRun) -> None:
    names = [f"agent-{i:02d}" for i in range(40)]
    crash_name = names[25]
    crash_run.start_worker(IT_CRASH_NAME=crash_name)
    ids = asyncio.run(crash_run.publish_created(names))
    assert crash_run.process is not None
    assert crash_run.process.wait(60) == 137, crash_run.log_tail()

    crash_run.start_worker()  # same group, same state dir: it resumes where it crashed
    seen = asyncio.run(
        read_until(
            crash_run.bootstrap,
            kt.output_topic(crash_run.prefix).name,
            lambda rs: len({decode(r.value).causationid for r in rs}) >= len(ids),
            timeout=90,
        )
    )
    outputs = [decode(r.value) for r in seen]
    assert {o.causationid for o in outputs} == set(ids)  # nothing lost
    # At-least-once delivery may re-send an output after the crash, but always with the
    # same id, so a consumer that drops seen ids gets each exactly once.
    ids_per_input: dict[str, set[str]] = {}
    for out in outputs:
        ids_per_input.setdefault(out.causationid or "", set()).add(out.id)
    assert all(len(out_ids) == 1 for out_ids in ids_per_input.values())
    effects = crash_run.effects()
    assert len(effects) == len(ids)
    assert set(effects.values()) == {1}  # every effect applied exactly once
