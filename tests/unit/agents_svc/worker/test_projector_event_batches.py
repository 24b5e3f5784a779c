"""Batches of agent-events to the projector: bad records dead-lettered, a failing event isolated."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import topics
from agents_svc.worker.projector.event_batches import BatchProjection, consume_batches
from agents_svc.worker.projector.event_writer import Projector
from streams import deadletter
from streams.app import create_app
from streams.envelope import Envelope, encode
from streams.readmodel_pool import ReadModelUnavailable
from streams.records import Headers, Record, header
from streams.settings import RetryPolicy, WorkerSettings
from tests.support.agents_svc.event_builders import agent_created, event, new_id


class FakeProjector:
    """Records batches; fails every batch holding an event of ``poison``."""

    def __init__(self, poison: str | None = None) -> None:
        self.poison = poison
        self.batches: list[list[str]] = []

    async def apply_batch(self, events: Sequence[Envelope]) -> int:
        if any(e.id == self.poison for e in events):
            raise RuntimeError("constraint violated")
        self.batches.append([e.id for e in events])
        return len(events)


class Sent:
    def __init__(self) -> None:
        self.records: list[tuple[str, bytes | None, bytes, Headers]] = []

    async def send(self, topic: str, key: bytes | None, value: bytes, headers: Headers) -> None:
        self.records.append((topic, key, value, headers))


def _record(envelope: Envelope, offset: int) -> Record:
    return Record("agent-events", 0, offset, envelope.subject.encode(), encode(envelope), [])


async def _no_sleep(_s: float) -> None:
    return None


def _batches(projector: Any, sender: Sent) -> BatchProjection:
    # Duck-typed: BatchProjection only calls apply_batch.
    return BatchProjection(
        projector,
        service="agents-svc",
        sender=sender,
        retry=RetryPolicy(attempts=2),
        sleep=_no_sleep,
    )


async def test_good_events_go_in_one_batch_and_garbage_is_dead_lettered() -> None:
    projector, sender = FakeProjector(), Sent()
    agent = new_id()
    good = [event("AgentCreated", agent_created(agent, new_id(), "a"), 0)]
    wrong_key = Record("agent-events", 0, 9, b"other", encode(good[0]), [])
    records = [_record(good[0], 1), Record("agent-events", 0, 2, b"k", b"not json", []), wrong_key]
    await _batches(projector, sender).handle(records)
    assert projector.batches == [[good[0].id]]
    reasons = [header(h, deadletter.REASON) for _, _, _, h in sender.records]
    assert reasons == ["not-json", "not-envelope"]
    assert {topic for topic, *_ in sender.records} == {"agent-events.dlq"}


async def test_a_failing_event_is_isolated_and_the_rest_applied() -> None:
    project = new_id()
    events = [event("AgentCreated", agent_created(new_id(), project, f"a{n}"), n) for n in range(3)]
    projector, sender = FakeProjector(poison=events[1].id), Sent()
    await _batches(projector, sender).handle([_record(e, n) for n, e in enumerate(events)])
    assert projector.batches == [[events[0].id], [events[2].id]]
    (dead,) = sender.records
    assert header(dead[3], deadletter.REASON) == "handler-error"
    assert header(dead[3], deadletter.ORIGINAL_OFFSET) == "1"


def test_consume_batches_adds_one_projecting_agent(tmp_path: Path) -> None:
    settings = WorkerSettings("agents-svc", "127.0.0.1:1", data_dir=tmp_path, store="memory://")
    app = create_app(settings)
    batches = consume_batches(app, Projector("postgresql://unused/db"), max_batch=10)
    assert list(app.agents) == ["agents-svc.agent-events.projector"]
    assert batches.service == "agents-svc" and batches.topic is topics.AGENT_EVENTS


class DownThenUp:
    """A read model that is unreachable for its first ``outages`` batches."""

    def __init__(self, outages: int) -> None:
        self.outages = outages
        self.batches: list[list[str]] = []

    async def apply_batch(self, events: Sequence[Envelope]) -> int:
        if self.outages > 0:
            self.outages -= 1
            raise ReadModelUnavailable("postgres is not answering")
        self.batches.append([e.id for e in events])
        return len(events)


async def test_a_postgres_outage_holds_the_batch_instead_of_dead_lettering_it() -> None:
    # More outages than retry attempts: before, the events were dead-lettered and lost.
    projector, sender = DownThenUp(outages=5), Sent()
    events = [
        event("AgentCreated", agent_created(new_id(), new_id(), f"o{n}"), n) for n in range(2)
    ]
    await _batches(projector, sender).handle([_record(e, n) for n, e in enumerate(events)])
    assert projector.batches == [[e.id for e in events]]
    assert sender.records == []
