"""The edge's queries of the agents read model on real Postgres (rows from the projector)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from agents_svc.api.readmodel.agents_read_model import (
    AgentQuery,
    ExecutionQuery,
    PgAgentsReadModel,
    TaskQuery,
    WorkflowQuery,
)
from agents_svc.api.readmodel.paging import decode_cursor
from agents_svc.api.routes.keys import authenticate
from agents_svc.domain.agent_keys import mint_agent_key
from agents_svc.worker.projector.event_writer import Projector
from streams.readmodel_pool import ReadModelUnavailable
from tests.support.agents_svc.event_builders import (
    T0,
    USER,
    agent_created,
    event,
    new_id,
    task_queued,
)

pytestmark = pytest.mark.integration


@dataclass
class World:
    """One project's agents, tasks, workflow and executions, as the projector wrote them."""

    read_model: PgAgentsReadModel
    project: str
    agents: list[str]
    tasks: list[str]
    workflow: str
    executions: list[str]
    key_id: str
    api_key: str


@pytest.fixture(scope="module")
async def world(database_url: str) -> AsyncIterator[World]:
    projector = Projector(database_url)
    project, workflow = new_id(), new_id()
    agents = [new_id() for _ in range(3)]
    tasks = [new_id() for _ in range(5)]
    executions = [new_id() for _ in range(2)]
    key = mint_agent_key()
    names = ("Crawler_1", "crawler-2", "Summarizer")
    caps = (["http", "html"], ["http"], ["llm"])
    history = [
        event("AgentCreated", agent_created(a, project, n, capabilities=c), i)
        for i, (a, n, c) in enumerate(zip(agents, names, caps, strict=True))
    ]
    history += [
        event(
            "AgentStatusChanged", {"agent_id": agents[0], "from": "registered", "to": "online"}, 5
        ),
        event(
            "AgentKeyIssued",
            {
                "agent_id": agents[0],
                "key_id": key.key_id,
                "secret_hash": key.secret_hash,
                "issued_by": USER,
            },
            6,
        ),
        event(
            "WorkflowDefined",
            {
                "workflow_id": workflow,
                "project_id": project,
                "name": "Digest",
                "version": 1,
                "definition": {"steps": [{"id": "a"}]},
                "defined_by": USER,
            },
            7,
        ),
    ]
    for n, execution in enumerate(executions):
        history.append(
            event(
                "ExecutionStarted",
                {
                    "execution_id": execution,
                    "workflow_id": workflow,
                    "workflow_version": 1,
                    "project_id": project,
                    "context": {},
                    "step_ids": ["a"],
                    "started_by": USER,
                },
                8 + n,
            )
        )
    history.append(
        event(
            "ExecutionStatusChanged",
            {
                "execution_id": executions[1],
                "from": "running",
                "to": "failed",
                "reason": "step a failed",
                "by": None,
                "outputs": None,
            },
            12,
        )
    )
    for n, task in enumerate(tasks):
        extra = {"capabilities": ["llm"]} if n == 4 else {}
        if n == 3:
            extra["execution_id"], extra["step_id"] = executions[0], "a"
        history.append(event("TaskQueued", task_queued(task, project, **extra), 20 + n))
    for task in tasks[:2]:  # two tasks on agent 0: its in_flight is 2
        history.append(
            event(
                "TaskAssigned",
                {"task_id": task, "agent_id": agents[0], "attempt": 1, "assigned_by": "scheduler"},
                30,
            )
        )
    history.append(
        event("TaskStarted", {"task_id": tasks[1], "agent_id": agents[0], "attempt": 1}, 31)
    )
    await projector.apply_batch(history)
    await projector.stop()
    read_model = PgAgentsReadModel(database_url)
    yield World(read_model, project, agents, tasks, workflow, executions, key.key_id, key.api_key)
    await read_model.close()


async def test_agents_page_through_the_cursor_in_creation_order(world: World) -> None:
    first = await world.read_model.agents(AgentQuery(limit=2, project_id=world.project))
    assert [a["id"] for a in first.items] == world.agents[:2] and first.next_cursor
    rest = await world.read_model.agents(
        AgentQuery(limit=2, project_id=world.project, after=decode_cursor(first.next_cursor))
    )
    assert [a["id"] for a in rest.items] == world.agents[2:] and rest.next_cursor is None


async def test_agent_filters_and_in_flight(world: World) -> None:
    async def found(**filters: str) -> list[str]:
        page = await world.read_model.agents(AgentQuery(project_id=world.project, **filters))  # type: ignore[arg-type]
        return [a["id"] for a in page.items]

    assert await found(status="online") == world.agents[:1]
    assert await found(capability="http") == world.agents[:2]
    assert await found(capability="htm") == []
    assert await found(name="CRAWLER") == world.agents[:2]
    assert await found(name="crawler_") == world.agents[:1]  # "_" is literal, not a wildcard
    agent = await world.read_model.agent(world.agents[0])
    assert agent is not None and agent["in_flight"] == 2 and agent["status"] == "online"
    assert (await world.read_model.agent(world.agents[1]))["in_flight"] == 0  # type: ignore[index]
    assert await world.read_model.agent(new_id()) is None


async def test_task_filters(world: World) -> None:
    async def found(**filters: object) -> list[str]:
        page = await world.read_model.tasks(TaskQuery(project_id=world.project, **filters))  # type: ignore[arg-type]
        return [t["id"] for t in page.items]

    tasks = world.tasks
    assert await found() == tasks
    assert await found(status="assigned") == tasks[:1]
    assert await found(status="running") == tasks[1:2]
    assert await found(agent_id=world.agents[0]) == tasks[:2]
    assert await found(execution_id=world.executions[0]) == tasks[3:4]
    assert await found(capability="llm") == tasks[4:]
    assert await found(created_after=T0 + timedelta(seconds=22)) == tasks[3:]
    assert await found(created_before=T0 + timedelta(seconds=22)) == tasks[:2]
    first = await world.read_model.tasks(TaskQuery(limit=3, project_id=world.project))
    assert first.next_cursor is not None
    rest = await world.read_model.tasks(
        TaskQuery(limit=3, project_id=world.project, after=decode_cursor(first.next_cursor))
    )
    assert [t["id"] for t in first.items + rest.items] == tasks and rest.next_cursor is None
    task = await world.read_model.task(tasks[3])
    assert task is not None and (task["execution_id"], task["step_id"]) == (
        world.executions[0],
        "a",
    )


async def test_workflows_and_executions(world: World) -> None:
    page = await world.read_model.workflows(WorkflowQuery(project_id=world.project))
    assert [w["id"] for w in page.items] == [world.workflow]
    named = await world.read_model.workflows(WorkflowQuery(project_id=world.project, name="dig"))
    assert len(named.items) == 1
    runs = await world.read_model.executions(ExecutionQuery(workflow_id=world.workflow))
    assert [e["id"] for e in runs.items] == world.executions
    failed = await world.read_model.executions(
        ExecutionQuery(project_id=world.project, status="failed")
    )
    assert [e["id"] for e in failed.items] == world.executions[1:]
    one = await world.read_model.execution(world.executions[0])
    assert one is not None and one["steps"]["a"]["status"] == "waiting"


async def test_an_agent_key_authenticates_only_with_its_secret(world: World) -> None:
    record = await authenticate(world.read_model, world.api_key)
    assert record is not None and record.agent_id == world.agents[0]
    assert record.agent_name == "Crawler_1" and record.project_id == world.project
    assert [k["key_id"] for k in await world.read_model.agent_keys(world.agents[0])] == [
        world.key_id
    ]
    wrong = world.api_key[:-4] + ("AAAA" if not world.api_key.endswith("AAAA") else "BBBB")
    assert await authenticate(world.read_model, wrong) is None
    assert await authenticate(world.read_model, "dka_zzzzzzzz_" + "x" * 43) is None
    assert await authenticate(world.read_model, "not a key") is None


async def test_an_unreachable_database_is_unavailable_not_an_error() -> None:
    read_model = PgAgentsReadModel("postgresql://nobody@127.0.0.1:1/none", timeout_s=2)
    with pytest.raises(ReadModelUnavailable):
        await read_model.agent(new_id())
