"""The agents projector against real Postgres: batches, duplicates, and what users then see."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from agents_svc.api.readmodel.agents_read_model import PgAgentsReadModel, TaskQuery
from agents_svc.worker.projector.event_writer import Projector
from streams.envelope import Envelope
from tests.support.agents_svc.event_builders import (
    USER,
    agent_created,
    at,
    event,
    new_id,
    task_queued,
)
from tests.support.users_svc.worker_process import rows

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def projector(database_url: str) -> AsyncIterator[Projector]:
    running = Projector(database_url)
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
async def read_model(database_url: str) -> AsyncIterator[PgAgentsReadModel]:
    queries = PgAgentsReadModel(database_url)
    yield queries
    await queries.close()


def _task_life(task_id: str, project: str, agent: str, other: str) -> list[Envelope]:
    return [
        event("TaskQueued", task_queued(task_id, project), 0),
        event(
            "TaskAssigned",
            {"task_id": task_id, "agent_id": agent, "attempt": 1, "assigned_by": "scheduler"},
            1,
        ),
        event("TaskStarted", {"task_id": task_id, "agent_id": agent, "attempt": 1}, 2),
        event(
            "TaskProgressed",
            {
                "task_id": task_id,
                "agent_id": agent,
                "attempt": 1,
                "progress": 0.5,
                "message": "half",
            },
            3,
        ),
        event(
            "TaskFailed",
            {
                "task_id": task_id,
                "agent_id": agent,
                "attempt": 1,
                "error": "timeout",
                "final": False,
                "retry_at": at(5),
            },
            4,
        ),
        event(
            "TaskAssigned",
            {"task_id": task_id, "agent_id": other, "attempt": 2, "assigned_by": USER},
            6,
        ),
        event("TaskStarted", {"task_id": task_id, "agent_id": other, "attempt": 2}, 7),
        event(
            "TaskCompleted",
            {
                "task_id": task_id,
                "agent_id": other,
                "attempt": 2,
                "output": {"pages": 3},
                "duration_s": 1.5,
            },
            8,
        ),
    ]


async def test_a_task_lifecycle_replayed_shows_once_and_never_moves_back(
    projector: Projector, read_model: PgAgentsReadModel, database_url: str
) -> None:
    task_id, project, agent, other = new_id(), new_id(), new_id(), new_id()
    history = _task_life(task_id, project, agent, other)
    assert await projector.apply_batch(history) == len(history)
    assert await projector.apply_batch(history) == 0  # a replay from an older offset
    for envelope in history:  # and one by one, as redeliveries
        assert await projector.apply_batch([envelope]) == 0
    # Late reports about the finished task change nothing.
    await projector.apply_batch(
        [
            event(
                "TaskReleased",
                {"task_id": task_id, "agent_id": other, "attempt": 2, "reason": "agent_restarted"},
                9,
            ),
            event(
                "TaskFailed",
                {
                    "task_id": task_id,
                    "agent_id": other,
                    "attempt": 2,
                    "error": "late",
                    "final": True,
                    "retry_at": None,
                },
                10,
            ),
        ]
    )
    task = await read_model.task(task_id)
    assert task is not None
    assert {
        k: task[k]
        for k in ("status", "agent_id", "attempt", "failures", "output", "error", "progress")
    } == {
        "status": "completed",
        "agent_id": other,
        "attempt": 2,
        "failures": 1,
        "output": {"pages": 3},
        "error": None,
        "progress": 1.0,  # a completed task reads as done, whatever its agent last reported
    }
    assert (task["created_at"], task["assigned_at"], task["started_at"], task["finished_at"]) == (
        at(0),
        at(6),
        at(7),
        at(8),
    )
    assert task["submitted_by"] == USER and task["max_attempts"] == 3
    count = await rows(
        database_url,
        "SELECT count(*) FROM agents.processed_events WHERE event_id = ANY(%s)",
        [e.id for e in history],
    )
    assert count == [(len(history),)]


async def test_failures_release_and_cancel(
    projector: Projector, read_model: PgAgentsReadModel
) -> None:
    project, agent = new_id(), new_id()
    released, failed, cancelled = new_id(), new_id(), new_id()
    await projector.apply_batch(
        [
            event("TaskQueued", task_queued(released, project), 0),
            event(
                "TaskAssigned",
                {"task_id": released, "agent_id": agent, "attempt": 1, "assigned_by": "scheduler"},
                1,
            ),
            event(
                "TaskReleased",
                {"task_id": released, "agent_id": agent, "attempt": 1, "reason": "agent_deleted"},
                2,
            ),
            event("TaskQueued", task_queued(failed, project, max_attempts=1), 0),
            event(
                "TaskAssigned",
                {"task_id": failed, "agent_id": agent, "attempt": 1, "assigned_by": "scheduler"},
                1,
            ),
            event(
                "TaskFailed",
                {
                    "task_id": failed,
                    "agent_id": agent,
                    "attempt": 1,
                    "error": "boom",
                    "final": True,
                    "retry_at": None,
                },
                2,
            ),
            event("TaskQueued", task_queued(cancelled, project), 0),
            event("TaskCancelled", {"task_id": cancelled, "by": USER, "reason": "not needed"}, 3),
            # A stale assignment after the cancel: the task stays cancelled.
            event(
                "TaskAssigned",
                {"task_id": cancelled, "agent_id": agent, "attempt": 1, "assigned_by": "scheduler"},
                4,
            ),
        ]
    )
    back = await read_model.task(released)
    assert back is not None
    assert (back["status"], back["agent_id"], back["assigned_at"], back["attempt"]) == (
        "pending",
        None,
        None,
        1,
    )
    gone = await read_model.task(failed)
    assert gone is not None
    assert (gone["status"], gone["failures"], gone["error"], gone["finished_at"]) == (
        "failed",
        1,
        "boom",
        at(2),
    )
    stopped = await read_model.task(cancelled)
    assert stopped is not None
    assert (stopped["status"], stopped["agent_id"], stopped["finished_at"]) == (
        "cancelled",
        None,
        at(3),
    )


async def test_execution_steps_follow_their_events(
    projector: Projector, read_model: PgAgentsReadModel
) -> None:
    execution, workflow, project, task = new_id(), new_id(), new_id(), new_id()

    def step(step_id: str, frm: str, to: str, seconds: float, **extra: object) -> Envelope:
        data = {
            "execution_id": execution,
            "step_id": step_id,
            "from": frm,
            "to": to,
            "task_id": extra.get("task_id"),
            "attempt": extra.get("attempt", 0),
            "output": extra.get("output"),
            "error": extra.get("error"),
        }
        return event("StepStatusChanged", data, seconds)

    history = [
        event(
            "ExecutionStarted",
            {
                "execution_id": execution,
                "workflow_id": workflow,
                "workflow_version": 2,
                "project_id": project,
                "context": {"url": "u"},
                "step_ids": ["fetch", "summarize"],
                "started_by": USER,
            },
            0,
        ),
        step("fetch", "waiting", "queued", 1, task_id=task),
        step("fetch", "queued", "running", 2, task_id=task, attempt=1),
        step("fetch", "running", "completed", 3, task_id=task, attempt=1, output={"body": "x"}),
        step("summarize", "waiting", "cancelled", 4),
        event(
            "ExecutionStatusChanged",
            {
                "execution_id": execution,
                "from": "running",
                "to": "cancelled",
                "reason": "stop",
                "by": USER,
                "outputs": None,
            },
            4,
        ),
    ]
    await projector.apply_batch(history)
    # Stragglers after the end: neither the execution nor a finished step moves.
    await projector.apply_batch(
        [
            step("fetch", "completed", "running", 5, task_id=task, attempt=2),
            event(
                "ExecutionStatusChanged",
                {
                    "execution_id": execution,
                    "from": "cancelled",
                    "to": "running",
                    "reason": None,
                    "by": None,
                    "outputs": None,
                },
                6,
            ),
        ]
    )
    view = await read_model.execution(execution)
    assert view is not None
    assert (view["status"], view["workflow_version"], view["context"], view["finished_at"]) == (
        "cancelled",
        2,
        {"url": "u"},
        at(4),
    )
    assert view["steps"] == {
        "fetch": {
            "status": "completed",
            "task_id": task,
            "attempts": 1,
            "started_at": at(2),
            "finished_at": at(3),
            "output": {"body": "x"},
            "error": None,
        },
        "summarize": {
            "status": "cancelled",
            "task_id": None,
            "attempts": 0,
            "started_at": None,
            "finished_at": at(4),
            "output": None,
            "error": None,
        },
    }


async def test_agents_keys_workflows_and_messages(
    projector: Projector, read_model: PgAgentsReadModel, database_url: str
) -> None:
    agent, project, workflow, message = new_id(), new_id(), new_id(), new_id()
    busy_task = new_id()
    definition = {"steps": [{"id": "a", "capabilities": ["http"]}]}
    second = {"steps": [{"id": "a"}, {"id": "b", "depends_on": ["a"]}]}
    v1 = event(
        "WorkflowDefined",
        {
            "workflow_id": workflow,
            "project_id": project,
            "name": "w",
            "version": 1,
            "definition": definition,
            "defined_by": USER,
        },
        0,
    )
    batch = [
        event("AgentCreated", agent_created(agent, project, "Crawler"), 0),
        event(
            "AgentUpdated",
            {
                "agent_id": agent,
                "changes": {"capacity": 4, "labels": {"a": "b"}},
                "updated_by": USER,
            },
            1,
        ),
        event("AgentStatusChanged", {"agent_id": agent, "from": "registered", "to": "online"}, 2),
        event(
            "AgentKeyIssued",
            {"agent_id": agent, "key_id": "k1a2b3c4", "secret_hash": "0" * 64, "issued_by": USER},
            3,
        ),
        event("AgentKeyRevoked", {"agent_id": agent, "key_id": "k1a2b3c4", "revoked_by": USER}, 4),
        event("AgentKeyRevoked", {"agent_id": agent, "key_id": "k1a2b3c4", "revoked_by": USER}, 9),
        event("TaskQueued", task_queued(busy_task, project), 5),
        event(
            "TaskAssigned",
            {"task_id": busy_task, "agent_id": agent, "attempt": 1, "assigned_by": "scheduler"},
            5,
        ),
        v1,
        event(
            "WorkflowDefined",
            {
                "workflow_id": workflow,
                "project_id": project,
                "name": "w2",
                "version": 2,
                "definition": second,
                "defined_by": USER,
            },
            6,
        ),
        v1,  # the same event twice in one batch counts once
        event(
            "MessageSent",
            {
                "message_id": message,
                "sender": f"user:{USER}",
                "recipients": [agent],
                "body": {"hi": 1},
                "broadcast": False,
            },
            7,
        ),
        event("MessageAcknowledged", {"message_id": message, "agent_id": agent}, 8),
        event("MessageAcknowledged", {"message_id": message, "agent_id": agent}, 9),
    ]
    assert await projector.apply_batch(batch) == len(batch) - 1
    view = await read_model.agent(agent)
    assert view is not None
    assert {
        k: view[k]
        for k in (
            "name",
            "capacity",
            "labels",
            "status",
            "in_flight",
            "last_seen_at",
            "created_at",
            "updated_at",
        )
    } == {
        "name": "Crawler",
        "capacity": 4,
        "labels": {"a": "b"},
        "status": "online",
        "in_flight": 1,
        "last_seen_at": at(2),
        "created_at": at(0),
        "updated_at": at(2),
    }
    key = await read_model.agent_key("k1a2b3c4")
    assert key is not None and key.revoked_at is not None and not key.usable
    assert key.view()["revoked_at"] == at(4)  # the first revocation's time stays
    latest = await read_model.workflow(workflow)
    assert latest is not None and (latest["version"], latest["name"]) == (2, "w2")
    assert latest["definition"] == second and latest["created_at"] == at(0)
    first = await read_model.workflow(workflow, version=1)
    assert first is not None and (first["name"], first["definition"]) == ("w", definition)
    assert await read_model.workflow(workflow, version=3) is None
    acked = await rows(
        database_url,
        "SELECT array_length(acknowledged_by, 1), body, broadcast FROM agents.messages"
        " WHERE message_id = %s",
        message,
    )
    assert acked == [(1, {"hi": 1}, False)]
    await projector.apply_batch(
        [event("AgentDeleted", {"agent_id": agent, "deleted_by": USER}, 10)]
    )
    assert await read_model.agent(agent) is None
    deleted_key = await read_model.agent_key("k1a2b3c4")
    assert deleted_key is not None and deleted_key.agent_deleted


async def test_ten_thousand_task_events_in_one_batch(
    projector: Projector, read_model: PgAgentsReadModel
) -> None:
    project, agent = new_id(), new_id()
    tasks = [new_id() for _ in range(2500)]
    batch: list[Envelope] = []
    for task_id in tasks:
        batch += [
            event("TaskQueued", task_queued(task_id, project), 0),
            event(
                "TaskAssigned",
                {"task_id": task_id, "agent_id": agent, "attempt": 1, "assigned_by": "scheduler"},
                1,
            ),
            event("TaskStarted", {"task_id": task_id, "agent_id": agent, "attempt": 1}, 2),
            event(
                "TaskCompleted",
                {
                    "task_id": task_id,
                    "agent_id": agent,
                    "attempt": 1,
                    "output": {},
                    "duration_s": 1,
                },
                3,
            ),
        ]
    started = time.perf_counter()
    assert await projector.apply_batch(batch) == len(batch)
    elapsed = time.perf_counter() - started
    page = await read_model.tasks(TaskQuery(limit=200, project_id=project, status="completed"))
    assert len(page.items) == 200 and page.next_cursor is not None
    assert elapsed < 30, f"{len(batch)} events took {elapsed:.1f} s"
