"""Workflow definitions: validation as a DAG, versions."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.agents_svc.scheduler_driver import SchedulerDriver, events, new_id


def _step(step_id: str, *depends_on: str, **extra: Any) -> dict[str, Any]:
    return {"id": step_id, "depends_on": list(depends_on), **extra}


def _invalid(world: SchedulerDriver, steps: list[dict[str, Any]]) -> tuple[str, str | None]:
    dec = world.define_dec({"steps": steps})
    assert dec.answer is not None
    assert dec.answer.refusal is not None, f"accepted with {dec.answer.http_status}"
    assert dec.answer.http_status == 422
    assert dec.answer.refusal.code == "invalid_workflow"
    assert dec.outputs == [] and dec.changes() == {}
    assert not any(k.startswith("wf:") for k in world.state.records)
    return dec.answer.refusal.message, dec.answer.refusal.field


@pytest.fixture
def agents(world: SchedulerDriver) -> SchedulerDriver:
    world.agent("Fetcher", ["http"], connect=False)
    world.agent("Writer", ["llm", "write"], connect=False)
    return world


def test_define_answers_201_with_version_1_and_defaults_filled_in(agents: SchedulerDriver) -> None:
    world = agents
    workflow_id = new_id()

    dec = world.define_dec(
        {"steps": [_step("fetch", capabilities=["http"]), _step("write", "fetch")]},
        workflow_id=workflow_id,
        name="digest",
    )

    assert dec.answer is not None and dec.answer.http_status == 201
    view = dec.answer.resource
    assert view is not None
    assert (view["id"], view["name"], view["version"]) == (workflow_id, "digest", 1)
    write = view["definition"]["steps"][1]
    assert write["retry"] == {"attempts": 3, "backoff_s": 1}
    assert (write["timeout_s"], write["priority"], write["capabilities"]) == (300, 5, [])
    [defined] = events(dec, "WorkflowDefined")
    assert (defined["workflow_id"], defined["version"]) == (workflow_id, 1)
    assert defined["definition"] == view["definition"]


def test_redefining_makes_version_2_and_a_retry_changes_nothing(agents: SchedulerDriver) -> None:
    world = agents
    v1 = {"steps": [_step("fetch", capabilities=["http"])]}
    v2 = {"steps": [_step("fetch", capabilities=["http"]), _step("write", "fetch")]}
    workflow_id = world.define(v1)

    dec = world.define_dec(v2, workflow_id=workflow_id)
    same = world.define_dec(v2, workflow_id=workflow_id)

    assert dec.answer is not None and dec.answer.http_status == 200
    assert dec.answer.resource is not None and dec.answer.resource["version"] == 2
    assert events(dec, "WorkflowDefined")[0]["version"] == 2
    assert same.answer is not None and same.answer.resource is not None
    assert same.answer.resource["version"] == 2
    assert same.outputs == []


def test_a_workflow_stays_in_its_project(agents: SchedulerDriver) -> None:
    world = agents
    workflow_id = world.define({"steps": [_step("a")]})

    dec = world.define_dec({"steps": [_step("b")]}, workflow_id=workflow_id, project_id=new_id())

    assert dec.answer is not None and dec.answer.refusal is not None
    assert (dec.answer.http_status, dec.answer.refusal.code) == (409, "project_mismatch")


def test_a_cycle_is_refused_naming_it(agents: SchedulerDriver) -> None:
    message, field = _invalid(
        agents, [_step("start"), _step("a", "start", "b"), _step("b", "c"), _step("c", "a")]
    )

    assert message == "cycle: a -> b -> c -> a"
    assert field == "definition.steps[1].depends_on"


def test_a_step_depending_on_itself_is_a_cycle(agents: SchedulerDriver) -> None:
    message, _ = _invalid(agents, [_step("a", "a")])

    assert message == "cycle: a -> a"


def test_an_unknown_dependency_is_refused_naming_both_steps(agents: SchedulerDriver) -> None:
    message, field = _invalid(agents, [_step("a"), _step("b", "a", "ghost")])

    assert message == "step b depends on unknown step ghost"
    assert field == "definition.steps[1].depends_on"


def test_a_step_no_agent_can_run_is_refused(agents: SchedulerDriver) -> None:
    message, field = _invalid(
        agents, [_step("a", capabilities=["http"]), _step("b", "a", capabilities=["gpu", "llm"])]
    )

    assert message == "no agent offers capabilities [gpu, llm] for step b"
    assert field == "definition.steps[1].capabilities"


def test_capabilities_split_across_agents_are_not_enough(agents: SchedulerDriver) -> None:
    message, _ = _invalid(agents, [_step("a", capabilities=["http", "llm"])])

    assert message == "no agent offers capabilities [http, llm] for step a"


def test_a_duplicate_step_id_is_refused(agents: SchedulerDriver) -> None:
    message, field = _invalid(agents, [_step("a"), _step("b"), _step("a")])

    assert message == "step id 'a' is used twice"
    assert field == "definition.steps[2].id"


def test_reading_the_output_of_a_step_that_is_not_an_ancestor_is_refused(
    agents: SchedulerDriver,
) -> None:
    message, field = _invalid(
        agents,
        [
            _step("root"),
            _step("left", "root"),
            _step("right", "root", input={"x": "${steps.left.output.v}"}),
        ],
    )

    assert message == "step right reads the output of left, which it does not depend on"
    assert field == "definition.steps[2].input"


def test_reading_a_transitive_ancestors_output_is_fine(agents: SchedulerDriver) -> None:
    dec = agents.define_dec(
        {
            "steps": [
                _step("a"),
                _step("b", "a"),
                _step("c", "b", input={"x": "from ${steps.a.output.v}"}),
            ]
        }
    )

    assert dec.answer is not None and dec.answer.http_status == 201


def test_a_reference_that_is_neither_context_nor_a_step_output_is_refused(
    agents: SchedulerDriver,
) -> None:
    message, field = _invalid(agents, [_step("a", input={"x": "${secrets.token}"})])

    assert "${secrets.token}" in message
    assert field == "definition.steps[0].input"


def test_execute_refusals(agents: SchedulerDriver) -> None:
    world = agents
    workflow_id = world.define({"steps": [_step("a")]})

    world.refused(
        "ExecuteWorkflow",
        404,
        "workflow_not_found",
        execution_id=new_id(),
        workflow_id=new_id(),
        version=None,
        context={},
        started_by=world.user,
    )
    world.refused(
        "ExecuteWorkflow",
        404,
        "version_not_found",
        execution_id=new_id(),
        workflow_id=workflow_id,
        version=2,
        context={},
        started_by=world.user,
    )


def test_a_capability_an_agents_connection_no_longer_announces_is_not_offered(
    world: SchedulerDriver,
) -> None:
    # SubmitTask and dispatch match on the capabilities the connection announced; so must
    # DefineWorkflow, else it accepts a step no agent will ever run.
    agent_id = world.agent("Gpu", ["gpu"], connect=False)
    world.connect(agent_id, capabilities=[])
    world.refused("SubmitTask", 422, "unsatisfiable_capabilities", **world.task_spec(["gpu"]))

    message, _ = _invalid(world, [_step("train", capabilities=["gpu"])])

    assert message == "no agent offers capabilities [gpu] for step train"
