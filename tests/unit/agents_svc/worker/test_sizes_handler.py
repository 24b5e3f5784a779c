"""The scheduler's handler writes nothing larger than a topic accepts, and refuses clearly."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

import topics
from agents_svc.domain.scheduler import Scheduler
from agents_svc.domain.sizes import INPUT_MAX_BYTES, RECORD_MAX_BYTES, RESULT_MAX_BYTES, json_size
from agents_svc.worker import scheduler_handler as handlers_module
from agents_svc.worker.journaled_store import JournaledStore
from agents_svc.worker.scheduler_handler import SchedulerHandler
from streams.context import HandlerContext
from streams.envelope import encode, new_envelope
from streams.records import Record
from streams.registry import default_registry
from streams.tracing import new_trace

REGISTRY = default_registry()
USER = str(uuid.uuid4())
PROJECT = str(uuid.uuid4())


class Shard:
    """A handler over an in-memory table, fed commands as the pipeline feeds them."""

    def __init__(self) -> None:
        self.table: dict[str, Any] = {}
        self.scheduler = Scheduler()
        self.dead: list[tuple[str, str]] = []

        async def dead_letter(ctx: HandlerContext, reason: str) -> None:
            self.dead.append((ctx.envelope.type, reason))

        store = JournaledStore(self.table, self.scheduler.state)
        self.handler = SchedulerHandler(self.scheduler, store, dead_letter)

    async def run(self, type_name: str, **data: Any) -> HandlerContext:
        """Handle one command; returns its context (outputs emitted)."""
        entry = REGISTRY.latest(topics.AGENT_COMMANDS.name, type_name)
        envelope = new_envelope(
            source="/test", type=type_name, subject="scheduler", dataschema=entry.id, data=data
        )
        schema = REGISTRY.check(topics.AGENT_COMMANDS, envelope)
        record = Record(topics.AGENT_COMMANDS.name, 0, 0, b"scheduler", encode(envelope), [])
        ctx = HandlerContext(envelope, schema, record, topics.AGENTS_SERVICE, new_trace(), REGISTRY)
        await self.handler.handle(ctx)
        return ctx

    async def agent(self, capabilities: list[str], concurrency: int = 1) -> str:
        """A created, connected agent."""
        agent_id = await self.create_agent(capabilities, concurrency)
        await self.connect(agent_id, concurrency)
        return agent_id

    async def create_agent(self, capabilities: list[str], concurrency: int) -> str:
        """A created agent, not connected yet."""
        agent_id = str(uuid.uuid4())
        await self.run(
            "CreateAgent",
            agent_id=agent_id,
            project_id=PROJECT,
            name=f"a-{agent_id[:8]}",
            capabilities=capabilities,
            capacity=concurrency,
            labels={},
            model_settings={},
            created_by=USER,
        )
        return agent_id

    async def connect(self, agent_id: str, concurrency: int) -> HandlerContext:
        """ConnectAgent with a new session."""
        return await self.run(
            "ConnectAgent",
            agent_id=agent_id,
            session_id=str(uuid.uuid4()),
            capabilities=None,
            concurrency=concurrency,
            running=[],
        )

    async def submit(self, task_input: dict[str, Any]) -> HandlerContext:
        """SubmitTask of a task needing capability x."""
        return await self.run(
            "SubmitTask",
            task_id=str(uuid.uuid4()),
            project_id=PROJECT,
            capabilities=["x"],
            input=task_input,
            priority=5,
            max_attempts=1,
            backoff_s=0,
            timeout_s=60,
            submitted_by=USER,
        )


def types(ctx: HandlerContext) -> list[str]:
    return [o.envelope.type for o in ctx.outputs]


def reply(ctx: HandlerContext) -> dict[str, Any]:
    (out,) = [o for o in ctx.outputs if o.topic is topics.AGENT_REPLIES]
    return out.envelope.data


def text_of(size: int) -> dict[str, Any]:
    """An object whose compact JSON is exactly ``size`` bytes."""
    return {"t": "a" * (size - len('{"t":""}'))}


async def running_task(shard: Shard, agent_id: str) -> dict[str, Any]:
    ctx = await shard.submit({"n": 1})
    task_id = reply(ctx)["resource"]["id"]
    await shard.run("StartTask", task_id=task_id, agent_id=agent_id, attempt=1)
    return {"task_id": task_id, "agent_id": agent_id, "attempt": 1}


async def test_a_result_at_the_limit_completes_and_one_byte_over_fails_the_task() -> None:
    shard = Shard()
    agent_id = await shard.agent(["x"])
    report = await running_task(shard, agent_id)
    done = await shard.run("CompleteTask", **report, output=text_of(RESULT_MAX_BYTES))
    assert "TaskCompleted" in types(done)

    report = await running_task(shard, agent_id)
    refused = await shard.run("CompleteTask", **report, output=text_of(RESULT_MAX_BYTES + 1))
    assert "TaskCompleted" not in types(refused)
    (failed,) = [o.envelope.data for o in refused.outputs if o.envelope.type == "TaskFailed"]
    assert failed["final"] is True
    assert f"over the limit of {RESULT_MAX_BYTES} bytes" in failed["error"]
    assert shard.scheduler.state.get("task:" + report["task_id"]) is None  # finished


async def test_a_too_large_task_input_is_answered_413_and_dead_lettered_changing_nothing() -> None:
    shard = Shard()
    await shard.agent(["x"])
    before = dict(shard.scheduler.state.records)
    ctx = await shard.submit(text_of(INPUT_MAX_BYTES + 1))
    answer = reply(ctx)
    assert answer["http_status"] == 413
    assert answer["error"]["code"] == "payload_too_large"
    assert answer["error"]["field"] == "input"
    assert types(ctx) == ["CommandRejected"]
    assert shard.scheduler.state.records == before
    assert shard.dead and shard.dead[0][0] == "SubmitTask"
    assert "input is" in shard.dead[0][1]


async def test_a_completion_whose_records_would_be_too_large_fails_its_task_instead(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Stands for a workflow whose execution record has grown near the record limit.
    monkeypatch.setattr(handlers_module, "COMPLETION_MAX_BYTES", 10_000)
    shard = Shard()
    agent_id = await shard.agent(["x"])
    report = await running_task(shard, agent_id)
    ctx = await shard.run("CompleteTask", **report, output=text_of(20_000))
    assert "TaskCompleted" not in types(ctx)
    (failed,) = [o.envelope.data for o in ctx.outputs if o.envelope.type == "TaskFailed"]
    assert "TaskCompleted on agent-events would be" in failed["error"]


async def test_one_decision_offering_many_large_tasks_is_journaled_in_parts() -> None:
    shard = Shard()
    agent_id = await shard.create_agent(["x"], 40)
    for _ in range(40):
        await shard.submit(text_of(INPUT_MAX_BYTES))
    ctx = await shard.connect(agent_id, 40)  # offers all forty at once: ~5 MB of outputs
    assert types(ctx).count("TaskOffered") == 40
    assert max(json_size(v) for v in shard.table.values()) <= RECORD_MAX_BYTES + 1024
    assert sum(1 for k in shard.table if "." in k) >= 4  # the entry's parts

    restarted = JournaledStore(shard.table, Scheduler().state)
    restarted.ensure_loaded()
    assert restarted.state.records == shard.scheduler.state.records
    entry = restarted.journaled(ctx.envelope.id)
    assert entry is not None
    assert [o.type for o in entry.outputs] == types(ctx)
