"""A refused command changes nothing: same records, no changes, no outputs."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.agents_svc.scheduler_driver import SchedulerDriver, new_id, step_task_id


def _busy_world() -> tuple[SchedulerDriver, dict[str, str]]:
    """Agents, queued and running tasks, a running execution and a mailbox."""
    world = SchedulerDriver()
    ids: dict[str, str] = {}
    ids["agent"] = world.agent("Scout", ["x"], capacity=1)
    ids["other"] = world.agent("Other", ["y"])
    ids["idle"] = world.agent("Idle", ["x"], connect=False)
    ids["running"] = world.submit(["x"])
    world.start(ids["running"])
    ids["queued"] = world.submit(["x"])
    world.send(ids["agent"])
    ids["workflow"] = world.define({"steps": [{"id": "a", "capabilities": ["y"]}]})
    ids["execution"] = world.execute(ids["workflow"])
    ids["step_task"] = step_task_id(ids["execution"], "a")
    world.ok(
        "IssueAgentKey",
        agent_id=ids["agent"],
        key_id="k0000001",
        secret_hash="ab" * 32,
        issued_by=world.user,
    )
    return world, ids


Case = Callable[[SchedulerDriver, dict[str, str]], tuple[str, int, str, dict[str, Any]]]
CASES: dict[str, Case] = {
    "name taken": lambda w, i: (
        "CreateAgent",
        409,
        "agent_name_taken",
        {
            "agent_id": new_id(),
            "project_id": w.project,
            "name": "OTHER",
            "capabilities": ["x"],
            "capacity": 1,
            "labels": {},
            "model_settings": {},
            "created_by": w.user,
        },
    ),
    "rename to a taken name": lambda w, i: (
        "UpdateAgent",
        409,
        "agent_name_taken",
        {"agent_id": i["agent"], "changes": {"capacity": 5, "name": "idle"}, "updated_by": w.user},
    ),
    "unsatisfiable task": lambda w, i: (
        "SubmitTask",
        422,
        "unsatisfiable_capabilities",
        w.task_spec(["x", "y"]),
    ),
    "assign to a never connected agent": lambda w, i: (
        "AssignTask",
        409,
        "agent_unavailable",
        {"task_id": i["queued"], "agent_id": i["idle"], "by": w.user},
    ),
    "assign without the capability": lambda w, i: (
        "AssignTask",
        422,
        "capability_mismatch",
        {"task_id": i["queued"], "agent_id": i["other"], "by": w.user},
    ),
    "assign a running task": lambda w, i: (
        "AssignTask",
        409,
        "task_not_pending",
        {"task_id": i["running"], "agent_id": i["agent"], "by": w.user},
    ),
    "duplicate key id": lambda w, i: (
        "IssueAgentKey",
        409,
        "key_exists",
        {"agent_id": i["agent"], "key_id": "k0000001", "secret_hash": "cd", "issued_by": w.user},
    ),
    "invalid workflow": lambda w, i: (
        "DefineWorkflow",
        422,
        "invalid_workflow",
        {
            "workflow_id": i["workflow"],
            "project_id": w.project,
            "name": "w",
            "definition": {"steps": [{"id": "a", "depends_on": ["a"]}]},
            "defined_by": w.user,
        },
    ),
    "resume a running execution": lambda w, i: (
        "ResumeExecution",
        409,
        "invalid_transition",
        {"execution_id": i["execution"], "by": w.user},
    ),
    "unknown version": lambda w, i: (
        "ExecuteWorkflow",
        404,
        "version_not_found",
        {
            "execution_id": new_id(),
            "workflow_id": i["workflow"],
            "version": 9,
            "context": {},
            "started_by": w.user,
        },
    ),
    "message to nobody": lambda w, i: (
        "SendDirectMessage",
        404,
        "agent_not_found",
        {"message_id": new_id(), "sender": "user:x", "to_agent_id": new_id(), "body": {}},
    ),
    "cancel an unknown task": lambda w, i: (
        "CancelTask",
        404,
        "task_not_found",
        {"task_id": new_id(), "by": w.user},
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_a_refusal_leaves_the_state_as_it_was(case: str) -> None:
    world, ids = _busy_world()
    type_name, status, code, data = CASES[case](world, ids)
    indexes = copy.deepcopy(
        (world.state.names, world.state.load, world.state.agent_records, world.state.pending)
    )

    world.refused(type_name, status, code, **data)  # records equal, no changes, no outputs

    after = (world.state.names, world.state.load, world.state.agent_records, world.state.pending)
    assert after == indexes


def test_work_goes_on_normally_after_a_refusal() -> None:
    world, ids = _busy_world()
    world.refused(
        "UpdateAgent",
        409,
        "agent_name_taken",
        agent_id=ids["agent"],
        changes={"capacity": 5, "name": "idle"},
        updated_by=world.user,
    )

    dec = world.complete(ids["running"])

    assert world.holder(ids["queued"]) == ids["agent"]
    assert world.agent_record(ids["agent"])["capacity"] == 1
    assert [o.type for o in dec.outputs if o.type == "TaskAssigned"] == ["TaskAssigned"]
