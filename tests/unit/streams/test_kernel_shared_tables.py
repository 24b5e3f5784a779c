"""Two co-partitioned topics can keep their aggregates in one table (``consume(table=...)``)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

import topics
from streams.aggregates import AggregateStore
from streams.app import create_app
from streams.context import HandlerContext
from streams.envelope import encode, new_envelope
from streams.pipeline import EventPipeline
from streams.records import Headers, Record
from streams.registry import default_registry
from streams.settings import WorkerSettings
from streams.worker import aggregate_table, aggregate_table_name, consume

COMMANDS = topics.USER_COMMANDS
OTHER = topics.USER_REGISTRATIONS


@pytest.fixture
def app(tmp_path: Path) -> Any:
    settings = WorkerSettings("users-svc", "127.0.0.1:1", data_dir=tmp_path, store="memory://")
    return create_app(settings)


async def _noop(ctx: HandlerContext) -> None:
    ctx.state = {"seen": True}


def test_topics_given_one_table_share_it(app: Any) -> None:
    table = aggregate_table(app, COMMANDS)
    first = consume(app, COMMANDS, {"CreateUser": _noop}, table=table)
    second = consume(app, OTHER, {"UserRegistration": _noop}, table=table)
    assert first.aggregates is not None and second.aggregates is not None
    assert first.aggregates.table is second.aggregates.table is table
    assert [t.name for t in app.tables.values()] == [aggregate_table_name(COMMANDS)]


def test_without_a_table_each_stateful_topic_gets_its_own(app: Any) -> None:
    consume(app, COMMANDS, {"CreateUser": _noop})
    consume(app, OTHER, {"UserRegistration": _noop})
    assert sorted(t.name for t in app.tables.values()) == [
        aggregate_table_name(COMMANDS),
        aggregate_table_name(OTHER),
    ]


def test_only_co_partitioned_topics_may_share_a_table(app: Any) -> None:
    table = aggregate_table(app, COMMANDS)
    wider = dataclasses.replace(OTHER, partitions=3)
    with pytest.raises(ValueError, match="co-partitioned"):
        consume(app, wider, {"UserRegistration": _noop}, table=table)


def test_a_shared_table_is_stateful(app: Any) -> None:
    table = aggregate_table(app, COMMANDS)
    with pytest.raises(ValueError, match="stateful"):
        consume(app, OTHER, {"UserRegistration": _noop}, table=table, stateful=False)


class _Sender:
    async def send(self, topic: str, key: bytes | None, value: bytes, headers: Headers) -> None:
        """Drop everything: these handlers emit nothing."""


def _record(spec: topics.TopicSpec, key: str) -> Record:
    entry = default_registry().latest(spec.name, spec.types[0])
    data = dict(entry.schema["examples"][0])
    envelope = new_envelope(
        source="/t", type=spec.types[0], subject=key, dataschema=entry.id, data=data
    )
    return Record(spec.name, 0, 0, key.encode(), encode(envelope), [])


async def test_a_record_sees_the_state_the_other_topic_left_under_its_key() -> None:
    table: dict[str, Any] = {}
    seen: list[Any] = []

    async def first(ctx: HandlerContext) -> None:
        ctx.state = {"count": 1}

    async def second(ctx: HandlerContext) -> None:
        seen.append(ctx.state)
        ctx.state = {"count": ctx.state["count"] + 1}

    registry = default_registry()
    pipelines = {
        spec.name: EventPipeline(
            service="users-svc",
            topic=spec,
            handlers={spec.types[0]: handler},
            registry=registry,
            sender=_Sender(),
            aggregates=AggregateStore(table),
        )
        for spec, handler in ((COMMANDS, first), (OTHER, second))
    }
    key = "c4e8a1f2-3b5d-4e6f-8a9b-0c1d2e3f4a5b"
    for spec in (COMMANDS, OTHER):
        assert await pipelines[spec.name].process(_record(spec, key)) == "handled"
    assert seen == [{"count": 1}]
    assert table[key]["state"] == {"count": 2}
    assert len(table[key]["applied"]) == 2


async def test_a_retry_starts_from_what_the_other_topic_saved_during_the_backoff() -> None:
    table: dict[str, Any] = {}
    key = "c4e8a1f2-3b5d-4e6f-8a9b-0c1d2e3f4a5b"
    store = AggregateStore(table)
    store.save(key, store.load(key).advance("earlier", {"count": 1}, []))
    attempts: list[Any] = []

    async def flaky(ctx: HandlerContext) -> None:
        attempts.append(ctx.state)
        if len(attempts) == 1:
            raise TimeoutError("first attempt fails")
        ctx.state = {"count": ctx.state["count"] + 1}

    async def other_agent_writes(_seconds: float) -> None:
        # While this record waits to retry, the other topic's agent saves the same key.
        store.save(key, store.load(key).advance("other", {"count": 10}, []))

    pipeline = EventPipeline(
        service="users-svc",
        topic=OTHER,
        handlers={"UserRegistration": flaky},
        registry=default_registry(),
        sender=_Sender(),
        aggregates=store,
        sleep=other_agent_writes,
    )
    assert await pipeline.process(_record(OTHER, key)) == "handled"
    assert attempts == [{"count": 1}, {"count": 10}]
    assert table[key]["state"] == {"count": 11}  # the other agent's update is not lost
    assert table[key]["applied"][:2] == ["earlier", "other"]
