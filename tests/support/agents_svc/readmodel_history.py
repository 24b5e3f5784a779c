"""One project's history on agent-events, for the agents read model's contract suite.

Agents (one deleted), keys (one revoked), a workflow in two versions, two executions (one
failed, one with a running step) and seven tasks through every event a task can have; the
suite projects it into each read model and checks what the queries answer.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from agents_svc.api.readmodel.agents_read_model import AgentsReadModel
from agents_svc.domain.agent_keys import MintedAgentKey, mint_agent_key
from streams.envelope import Envelope
from tests.support.agents_svc.event_builders import USER, agent_created, event, new_id, task_queued


@dataclass
class ProjectHistory:
    """One project's agents, tasks, workflow and executions, and a read model that has them."""

    read_model: AgentsReadModel
    applied: Callable[[str], Awaitable[int]]  # a command's applied-event count
    project: str
    agents: list[str]  # live ones; ``deleted`` is not among them
    deleted: str
    tasks: list[str]
    workflow: str
    executions: list[str]
    key_id: str
    api_key: str
    revoked_key: str
    creation: str  # the causationid of the AgentCreated events


def _caused(envelope: Envelope, cause: str) -> Envelope:
    envelope.causationid = cause
    return envelope


def _agents_history(
    w: ProjectHistory, key: MintedAgentKey, old_key: MintedAgentKey
) -> list[Envelope]:
    names = ("Crawler_1", "crawler-2", "Summarizer", "Gone")
    caps = (["http", "html"], ["http"], ["llm"], ["http"])
    agents = [*w.agents, w.deleted]
    history = [
        _caused(
            event("AgentCreated", agent_created(a, w.project, n, capabilities=c), i), w.creation
        )
        for i, (a, n, c) in enumerate(zip(agents, names, caps, strict=True))
    ]
    status = {"agent_id": agents[0], "from": "registered", "to": "online"}
    history += [
        event("AgentStatusChanged", status, 5),
        event(
            "AgentUpdated",
            {"agent_id": agents[2], "changes": {"capacity": 7}, "updated_by": USER},
            5,
        ),
        event("AgentDeleted", {"agent_id": w.deleted, "deleted_by": USER, "reason": None}, 5),
    ]
    for n, minted in enumerate((key, old_key)):
        issued = {
            "agent_id": agents[0],
            "key_id": minted.key_id,
            "secret_hash": minted.secret_hash,
            "issued_by": USER,
        }
        history.append(event("AgentKeyIssued", issued, 6 + n))
    revoked = {"agent_id": agents[0], "key_id": old_key.key_id, "revoked_by": USER}
    history.append(event("AgentKeyRevoked", revoked, 7))
    return history


def _workflow_history(w: ProjectHistory) -> list[Envelope]:
    history = [
        event(
            "WorkflowDefined",
            {
                "workflow_id": w.workflow,
                "project_id": w.project,
                "name": name,
                "version": version,
                "definition": {"steps": [{"id": "a"}]},
                "defined_by": USER,
            },
            7 + version,
        )
        for version, name in ((1, "Digest"), (2, "Digest daily"))
    ]
    for n, execution in enumerate(w.executions):
        started = {
            "execution_id": execution,
            "workflow_id": w.workflow,
            "workflow_version": 2,
            "project_id": w.project,
            "context": {"n": n},
            "step_ids": ["a"],
            "started_by": USER,
        }
        history.append(event("ExecutionStarted", started, 10 + n))
    failed = {"from": "running", "to": "failed", "reason": "step a failed", "by": None}
    history.append(
        event(
            "ExecutionStatusChanged",
            {"execution_id": w.executions[1], **failed, "outputs": None},
            12,
        )
    )
    step = {"execution_id": w.executions[0], "step_id": "a", "output": None, "error": None}
    history += [
        event(
            "StepStatusChanged",
            {**step, "from": "waiting", "to": "queued", "task_id": w.tasks[3], "attempt": 0},
            24,
        ),
        event(
            "StepStatusChanged",
            {**step, "from": "queued", "to": "running", "task_id": None, "attempt": 1},
            25,
        ),
    ]
    return history


def _task_history(w: ProjectHistory) -> list[Envelope]:
    tasks, agent = w.tasks, w.agents[0]
    history = []
    for n, task in enumerate(tasks):
        extra: dict[str, Any] = {"capabilities": ["llm"]} if n == 4 else {}
        if n == 3:
            extra["execution_id"], extra["step_id"] = w.executions[0], "a"
        history.append(event("TaskQueued", task_queued(task, w.project, **extra), 20 + n))

    def on(task: str, **data: Any) -> dict[str, Any]:
        return {"task_id": task, "agent_id": data.pop("agent_id", agent), "attempt": 1, **data}

    history += [
        event("TaskAssigned", on(tasks[0], assigned_by="scheduler"), 30),
        event("TaskAssigned", on(tasks[1], assigned_by="scheduler"), 30),
        event("TaskStarted", on(tasks[1]), 31),
        event("TaskProgressed", on(tasks[1], progress=0.5, message="half"), 32),
        # tasks[2]: tried on agent 1, failed, waiting for its retry.
        event("TaskAssigned", on(tasks[2], agent_id=w.agents[1], assigned_by=USER), 30),
        event(
            "TaskFailed",
            on(tasks[2], agent_id=w.agents[1], error="boom", final=False, retry_at=None),
            33,
        ),
        # tasks[5]: done; tasks[6]: released, then cancelled; a late report changes nothing.
        event("TaskAssigned", on(tasks[5], agent_id=w.agents[1], assigned_by="scheduler"), 30),
        event("TaskStarted", on(tasks[5], agent_id=w.agents[1]), 31),
        event(
            "TaskCompleted",
            on(tasks[5], agent_id=w.agents[1], output={"ok": True}, duration_s=2.0),
            34,
        ),
        event("TaskStarted", on(tasks[5], agent_id=w.agents[1]), 35),
        event("TaskAssigned", on(tasks[6], assigned_by="scheduler"), 30),
        event("TaskReleased", on(tasks[6], reason="agent_restarted"), 31),
        event("TaskCancelled", {"task_id": tasks[6], "by": USER, "reason": "no"}, 36),
    ]
    return history


def new_history_of(
    read_model: AgentsReadModel, applied: Callable[[str], Awaitable[int]]
) -> ProjectHistory:
    return ProjectHistory(
        read_model,
        applied,
        project=new_id(),
        agents=[new_id() for _ in range(3)],
        deleted=new_id(),
        tasks=[new_id() for _ in range(7)],
        workflow=new_id(),
        executions=[new_id() for _ in range(2)],
        key_id="",
        api_key="",
        revoked_key="",
        creation=f"cmd-{uuid.uuid4()}",
    )


def history_of(w: ProjectHistory) -> list[Envelope]:
    key, old_key = mint_agent_key(), mint_agent_key()
    w.key_id, w.api_key, w.revoked_key = key.key_id, key.api_key, old_key.api_key
    history = _agents_history(w, key, old_key) + _workflow_history(w) + _task_history(w)
    return [*history, history[0]]  # a copy inside the batch is a duplicate too
