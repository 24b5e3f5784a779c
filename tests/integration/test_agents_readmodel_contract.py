"""The agents read model's contract: one suite, run on the in-memory fake and on Postgres.

The same agent-events go through the real projector into Postgres (``PgAgentsReadModel``)
and through ``InMemoryAgentsProjector`` into ``FakeAgentsReadModel``; every query must
answer the same, so HTTP unit tests over the fake see what the edge sees over Postgres.
The events are applied twice (and one is duplicated inside the batch): nothing changes
twice, and each command's applied count (what a route waits on) counts each event once.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from agents_svc.api.readmodel.agents_read_model import (
    AgentQuery,
    ExecutionQuery,
    PgAgentsReadModel,
    TaskQuery,
    WorkflowQuery,
)
from agents_svc.api.routes.keys import authenticate
from agents_svc.worker.projector.event_writer import Projector
from streams.http.paging import decode_cursor
from streams.readmodel_pool import ReadModelUnavailable
from tests.support.agents_svc.applied_waiter_fake import InMemoryAppliedWaiter
from tests.support.agents_svc.event_builders import (
    T0,
    USER,
    new_id,
)
from tests.support.agents_svc.fake_backends import FakeAgentsReadModel
from tests.support.agents_svc.in_memory_projector import InMemoryAgentsProjector
from tests.support.agents_svc.readmodel_history import ProjectHistory, history_of, new_history_of
from tests.support.users_svc.worker_process import rows

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", params=["memory", "postgres"])
async def world(request: pytest.FixtureRequest) -> AsyncIterator[ProjectHistory]:
    if request.param == "memory":
        waiter = InMemoryAppliedWaiter()
        fake = FakeAgentsReadModel()
        memory = InMemoryAgentsProjector(fake, waiter)

        async def counted(cause: str) -> int:
            return waiter.counts[("agents", cause)]

        w = new_history_of(fake, counted)
        history = history_of(w)
        await memory.apply_batch(history)
        assert await memory.apply_batch(history) == 0
        yield w
        return
    database_url = request.getfixturevalue("database_url")
    projector = Projector(database_url)
    read_model = PgAgentsReadModel(database_url)

    async def recorded(cause: str) -> int:
        found = await rows(
            database_url, "SELECT events FROM agents.applied_commands WHERE command_id = %s", cause
        )
        return int(found[0][0]) if found else 0

    w = new_history_of(read_model, recorded)
    history = history_of(w)
    await projector.apply_batch(history)
    assert await projector.apply_batch(history) == 0
    await projector.stop()
    yield w
    await read_model.close()


async def test_a_commands_events_are_counted_once(world: ProjectHistory) -> None:
    assert await world.applied(world.creation) == 4
    assert await world.applied(f"cmd-{uuid.uuid4()}") == 0


def _at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


async def test_agents_page_through_the_cursor_in_creation_order(world: ProjectHistory) -> None:
    first = await world.read_model.agents(AgentQuery(limit=2, project_id=world.project))
    assert [a["id"] for a in first.items] == world.agents[:2] and first.next_cursor
    rest = await world.read_model.agents(
        AgentQuery(limit=2, project_id=world.project, after=decode_cursor(first.next_cursor))
    )
    assert [a["id"] for a in rest.items] == world.agents[2:] and rest.next_cursor is None


async def test_agent_filters_skip_deleted_agents(world: ProjectHistory) -> None:
    async def found(**filters: str) -> list[str]:
        page = await world.read_model.agents(AgentQuery(project_id=world.project, **filters))  # type: ignore[arg-type]
        return [a["id"] for a in page.items]

    assert await found() == world.agents
    assert await found(status="online") == world.agents[:1]
    assert await found(capability="http") == world.agents[:2]
    assert await found(capability="htm") == []
    assert await found(name="CRAWLER") == world.agents[:2]
    assert await found(name="crawler_") == world.agents[:1]  # "_" is literal, not a wildcard
    assert await world.read_model.agent(world.deleted) is None
    assert await world.read_model.agent(new_id()) is None


async def test_an_agent_view(world: ProjectHistory) -> None:
    online = await world.read_model.agent(world.agents[0])
    assert online is not None
    assert (online["in_flight"], online["status"], online["last_seen_at"]) == (2, "online", _at(5))
    assert (await world.read_model.agent(world.agents[1]))["in_flight"] == 0  # type: ignore[index]
    assert await world.read_model.agent(world.agents[2]) == {
        "id": world.agents[2],
        "project_id": world.project,
        "name": "Summarizer",
        "capabilities": ["llm"],
        "capacity": 7,
        "labels": {},
        "model_settings": {},
        "status": "registered",
        "in_flight": 0,
        "created_by": USER,
        "created_at": _at(2),
        "updated_at": _at(5),
        "last_seen_at": None,
    }


async def test_an_agent_key_authenticates_only_with_its_secret(world: ProjectHistory) -> None:
    record = await authenticate(world.read_model, world.api_key)
    assert record is not None and record.agent_id == world.agents[0]
    assert record.agent_name == "Crawler_1" and record.project_id == world.project
    keys = await world.read_model.agent_keys(world.agents[0])
    assert keys[0]["key_id"] == world.key_id and len(keys) == 2
    assert [k["revoked_at"] for k in keys] == [None, _at(7)]
    assert set(keys[0]) == {"key_id", "agent_id", "created_at", "revoked_at"}
    assert await authenticate(world.read_model, world.revoked_key) is None
    wrong = world.api_key[:-4] + ("AAAA" if not world.api_key.endswith("AAAA") else "BBBB")
    assert await authenticate(world.read_model, wrong) is None
    assert await authenticate(world.read_model, "dka_zzzzzzzz_" + "x" * 43) is None
    assert await authenticate(world.read_model, "not a key") is None
    assert await world.read_model.agent_key("zzzzzzzz") is None


async def test_workflows_and_their_versions(world: ProjectHistory) -> None:
    page = await world.read_model.workflows(WorkflowQuery(project_id=world.project))
    assert [(w["id"], w["version"], w["name"]) for w in page.items] == [
        (world.workflow, 2, "Digest daily")
    ]
    named = await world.read_model.workflows(WorkflowQuery(project_id=world.project, name="DIG"))
    assert len(named.items) == 1
    assert (
        await world.read_model.workflows(WorkflowQuery(project_id=world.project, name="x"))
    ).items == []
    first = await world.read_model.workflow(world.workflow, 1)
    assert first is not None
    assert (first["name"], first["version"], first["created_at"], first["updated_at"]) == (
        "Digest",
        1,
        _at(8),
        _at(8),
    )
    latest = await world.read_model.workflow(world.workflow)
    assert latest is not None and (latest["version"], latest["updated_at"]) == (2, _at(9))
    assert await world.read_model.workflow(world.workflow, 3) is None
    assert await world.read_model.workflow(new_id()) is None


async def test_executions_and_their_steps(world: ProjectHistory) -> None:
    runs = await world.read_model.executions(ExecutionQuery(workflow_id=world.workflow))
    assert [e["id"] for e in runs.items] == world.executions
    failed = await world.read_model.executions(
        ExecutionQuery(project_id=world.project, status="failed")
    )
    assert [(e["id"], e["finished_at"]) for e in failed.items] == [(world.executions[1], _at(12))]
    one = await world.read_model.execution(world.executions[0])
    assert one is not None and (one["status"], one["context"]) == ("running", {"n": 0})
    assert one["steps"] == {
        "a": {
            "status": "running",
            "task_id": world.tasks[3],
            "attempts": 1,
            "started_at": _at(25),
            "finished_at": None,
            "output": None,
            "error": None,
        }
    }
    assert await world.read_model.execution(new_id()) is None


async def test_task_filters(world: ProjectHistory) -> None:
    async def found(**filters: object) -> list[str]:
        page = await world.read_model.tasks(TaskQuery(project_id=world.project, **filters))  # type: ignore[arg-type]
        return [t["id"] for t in page.items]

    tasks = world.tasks
    assert await found() == tasks
    assert await found(status="assigned") == tasks[:1]
    assert await found(status="running") == tasks[1:2]
    assert await found(status="pending") == tasks[2:5]
    assert await found(status="completed") == tasks[5:6]
    assert await found(status="cancelled") == tasks[6:]
    assert await found(agent_id=world.agents[0]) == tasks[:2]
    assert await found(agent_id=world.agents[1]) == tasks[5:6]
    assert await found(execution_id=world.executions[0]) == tasks[3:4]
    assert await found(capability="llm") == tasks[4:5]
    assert await found(created_after=T0 + timedelta(seconds=22)) == tasks[3:]
    assert await found(created_before=T0 + timedelta(seconds=22)) == tasks[:2]


async def test_tasks_page_through_the_cursor(world: ProjectHistory) -> None:
    seen: list[str] = []
    after = None
    for _ in range(3):
        page = await world.read_model.tasks(
            TaskQuery(limit=3, project_id=world.project, after=after)
        )
        seen += [t["id"] for t in page.items]
        if page.next_cursor is None:
            break
        after = decode_cursor(page.next_cursor)
    assert seen == world.tasks and page.next_cursor is None


async def test_a_task_view_through_its_life(world: ProjectHistory) -> None:
    running = await world.read_model.task(world.tasks[1])
    assert running is not None
    assert (running["status"], running["progress"], running["started_at"]) == (
        "running",
        0.5,
        _at(31),
    )
    retrying = await world.read_model.task(world.tasks[2])
    assert retrying is not None
    assert (retrying["status"], retrying["agent_id"], retrying["attempt"]) == ("pending", None, 1)
    assert (retrying["failures"], retrying["error"]) == (1, "boom")
    cancelled = await world.read_model.task(world.tasks[6])
    assert cancelled is not None
    assert (cancelled["status"], cancelled["agent_id"], cancelled["finished_at"]) == (
        "cancelled",
        None,
        _at(36),
    )
    # Done is done: a late TaskStarted of the same attempt changes nothing.
    assert await world.read_model.task(world.tasks[5]) == {
        "id": world.tasks[5],
        "project_id": world.project,
        "capabilities": ["http"],
        "input": {"url": "https://example.com"},
        "priority": 5,
        "status": "completed",
        "agent_id": world.agents[1],
        "attempt": 1,
        "failures": 0,
        "max_attempts": 3,
        "progress": 1.0,
        "output": {"ok": True},
        "error": None,
        "execution_id": None,
        "step_id": None,
        "submitted_by": USER,
        "created_at": _at(25),
        "assigned_at": _at(30),
        "started_at": _at(31),
        "finished_at": _at(34),
    }
    assert await world.read_model.task(new_id()) is None


async def test_a_fake_down_and_an_unreachable_database_are_both_unavailable() -> None:
    fake = FakeAgentsReadModel(unavailable=True)
    read_model = PgAgentsReadModel("postgresql://nobody@127.0.0.1:1/none", timeout_s=2)
    for down in (fake, read_model):
        with pytest.raises(ReadModelUnavailable):
            await down.agent(new_id())
