"""Executions: a workflow's steps run as tasks as the DAG allows; pause, resume, cancel,
failures and input templating."""

from __future__ import annotations

from typing import Any

import pytest

from agents_svc.domain.decision import SchedulerDecision
from tests.support.agents_svc.scheduler_driver import (
    HEARTBEAT_TIMEOUT_S,
    SchedulerDriver,
    assignments,
    deliveries,
    events,
    step_task_id,
)

PIPELINE: dict[str, Any] = {
    "steps": [
        {"id": "fetch", "capabilities": ["http"], "input": {"url": "${context.url}"}},
        {
            "id": "sum1",
            "capabilities": ["llm"],
            "depends_on": ["fetch"],
            "input": {"text": "${steps.fetch.output.text}", "size": "${steps.fetch.output.n}"},
        },
        {
            "id": "sum2",
            "capabilities": ["llm"],
            "depends_on": ["fetch"],
            "input": {"prompt": "Sum up ${steps.fetch.output.text} (${steps.fetch.output.n})"},
        },
        {
            "id": "join",
            "capabilities": ["write"],
            "depends_on": ["sum1", "sum2"],
            "input": {"a": "${steps.sum1.output}", "b": "${steps.sum2.output.summary}"},
        },
        {
            "id": "final",
            "depends_on": ["join"],
            "input": {"meta": "${context.meta}", "tags": ["${context.meta.tags.0}", "fixed"]},
            "retry": {"attempts": 1},
        },
    ]
}
CONTEXT = {"url": "http://example.test/a", "meta": {"tags": ["news", "daily"], "lang": "en"}}


class Run:
    """One execution of PIPELINE with a fetcher and two writers connected."""

    def __init__(self, world: SchedulerDriver, definition: dict[str, Any] | None = None) -> None:
        self.world = world
        self.fetcher = world.agent("Fetcher", ["http"], capacity=2)
        self.writer = world.agent("Writer", ["llm", "write"], capacity=2)
        self.spare = world.agent("Spare", ["llm", "write"], capacity=2)
        self.workflow_id = world.define(definition or PIPELINE)
        self.started = world.execute_dec(self.workflow_id, CONTEXT)
        assert self.started.answer is not None and self.started.answer.resource is not None
        self.id = str(self.started.answer.resource["id"])

    def task(self, step_id: str) -> str:
        return step_task_id(self.id, step_id)

    def offer(self, dec: SchedulerDecision, step_id: str) -> dict[str, Any]:
        [offer] = [d for d in deliveries(dec, "TaskOffered") if d["step_id"] == step_id]
        return offer

    def run(self, step_id: str, output: dict[str, Any]) -> SchedulerDecision:
        return self.world.run(self.task(step_id), output)

    def step(self, step_id: str) -> str:
        return self.world.step_status(self.id, step_id)

    def steps_changed(self, dec: SchedulerDecision) -> list[tuple[str, str, str]]:
        return [(e["step_id"], e["from"], e["to"]) for e in events(dec, "StepStatusChanged")]


@pytest.fixture
def run(world: SchedulerDriver) -> Run:
    return Run(world)


def test_execute_answers_201_and_queues_the_root_step(run: Run) -> None:
    dec = run.started

    assert dec.answer is not None and dec.answer.http_status == 201
    view = dec.answer.resource
    assert view is not None
    assert (view["status"], view["workflow_version"], view["context"]) == ("running", 1, CONTEXT)
    assert {sid: s["status"] for sid, s in view["steps"].items()} == {
        "fetch": "queued",
        "sum1": "waiting",
        "sum2": "waiting",
        "join": "waiting",
        "final": "waiting",
    }
    [started] = events(dec, "ExecutionStarted")
    assert started["step_ids"] == ["fetch", "sum1", "sum2", "join", "final"]
    assert started["workflow_id"] == run.workflow_id
    offer = run.offer(dec, "fetch")
    assert offer["agent_id"] == run.fetcher
    assert offer["execution_id"] == run.id
    assert offer["input"] == {"url": "http://example.test/a"}


def test_a_retried_execute_gets_the_same_execution(run: Run) -> None:
    again = run.world.execute_dec(run.workflow_id, CONTEXT, execution_id=run.id)

    assert again.answer is not None and again.answer.http_status == 201
    assert again.answer.resource is not None and again.answer.resource["id"] == run.id
    assert again.outputs == []


def test_a_dag_with_a_parallel_branch_and_a_join_runs_to_completion(run: Run) -> None:
    world = run.world

    started = world.start(run.task("fetch"))
    assert run.steps_changed(started) == [("fetch", "queued", "running")]
    fetched = world.complete(run.task("fetch"), {"text": "hello", "n": 3})

    assert run.steps_changed(fetched) == [
        ("fetch", "running", "completed"),
        ("sum1", "waiting", "queued"),
        ("sum2", "waiting", "queued"),
    ]
    assert events(fetched, "StepStatusChanged")[0]["output"] == {"text": "hello", "n": 3}
    assert run.offer(fetched, "sum1")["input"] == {"text": "hello", "size": 3}
    assert run.offer(fetched, "sum2")["input"] == {"prompt": "Sum up hello (3)"}

    first = run.run("sum1", {"summary": "s1"})
    assert run.step("join") == "waiting"
    assert events(first, "TaskQueued") == []
    second = run.run("sum2", {"summary": "s2"})
    assert ("join", "waiting", "queued") in run.steps_changed(second)
    assert run.offer(second, "join")["input"] == {"a": {"summary": "s1"}, "b": "s2"}

    joined = run.run("join", {"doc": "d"})
    assert run.offer(joined, "final")["input"] == {
        "meta": {"tags": ["news", "daily"], "lang": "en"},
        "tags": ["news", "fixed"],
    }

    done = run.run("final", {"ok": True})

    assert events(done, "ExecutionStatusChanged") == [
        {
            "execution_id": run.id,
            "from": "running",
            "to": "completed",
            "reason": None,
            "by": None,
            "outputs": {
                "fetch": {"text": "hello", "n": 3},
                "sum1": {"summary": "s1"},
                "sum2": {"summary": "s2"},
                "join": {"doc": "d"},
                "final": {"ok": True},
            },
        }
    ]
    assert world.execution(run.id) is None
    assert not any(k.startswith("task:") for k in world.state.records)


def test_executing_an_older_version_explicitly(world: SchedulerDriver) -> None:
    world.agent("Any", [])
    workflow_id = world.define({"steps": [{"id": "old", "input": {"v": 1}}]})
    world.define({"steps": [{"id": "new", "input": {"v": 2}}]}, workflow_id=workflow_id)

    older = world.execute_dec(workflow_id, version=1)
    latest = world.execute_dec(workflow_id)

    [old_start] = events(older, "ExecutionStarted")
    assert (old_start["workflow_version"], old_start["step_ids"]) == (1, ["old"])
    assert [o["input"] for o in deliveries(older, "TaskOffered")] == [{"v": 1}]
    [new_start] = events(latest, "ExecutionStarted")
    assert (new_start["workflow_version"], new_start["step_ids"]) == (2, ["new"])


# -- pause / resume ---------------------------------------------------------------------


def test_pause_records_an_in_flight_step_but_starts_no_new_one(run: Run) -> None:
    world = run.world
    world.start(run.task("fetch"))

    paused = world.control("PauseExecution", run.id)
    done = world.complete(run.task("fetch"), {"text": "t", "n": 1})

    assert paused["status"] == "paused"
    assert run.steps_changed(done) == [("fetch", "running", "completed")]
    assert events(done, "TaskQueued") == []
    assert run.step("sum1") == run.step("sum2") == "waiting"
    assert deliveries(done, "TaskOffered") == []


def test_pause_holds_queued_tasks_even_with_free_agents(world: SchedulerDriver) -> None:
    run = Run(world)
    # Both llm agents are kept full by standalone work, so the summaries stay queued.
    blockers = [world.submit(["llm"]) for _ in range(4)]
    world.run(run.task("fetch"), {"text": "t", "n": 1})
    assert world.holder(run.task("sum1")) is None
    assert world.holder(run.task("sum2")) is None

    world.control("PauseExecution", run.id)
    freed = [world.run(b) for b in blockers]

    assert all(run.task("sum1") not in assignments(d) for d in freed)
    assert all(run.task("sum2") not in assignments(d) for d in freed)
    rec = world.task(run.task("sum1"))
    assert rec is not None and rec["status"] == "pending"
    redistributed = world.answer("RedistributeTasks", status="pending", by=world.user)
    assert redistributed == {"assignments": []}

    resumed = world.ok("ResumeExecution", execution_id=run.id, by=world.user, reason=None)

    assert set(assignments(resumed)) == {run.task("sum1"), run.task("sum2")}
    assert events(resumed, "ExecutionStatusChanged")[0]["to"] == "running"


def test_resume_continues_where_it_stopped(run: Run) -> None:
    world = run.world
    world.control("PauseExecution", run.id)
    world.run(run.task("fetch"), {"text": "t", "n": 1})

    dec = world.ok("ResumeExecution", execution_id=run.id, by=world.user, reason="go")

    assert events(dec, "ExecutionStatusChanged")[0] == {
        "execution_id": run.id,
        "from": "paused",
        "to": "running",
        "reason": "go",
        "by": world.user,
        "outputs": None,
    }
    assert run.steps_changed(dec) == [("sum1", "waiting", "queued"), ("sum2", "waiting", "queued")]
    assert set(assignments(dec)) == {run.task("sum1"), run.task("sum2")}


def test_pause_and_resume_refuse_the_wrong_status(run: Run) -> None:
    world = run.world
    world.refused("ResumeExecution", 409, "invalid_transition", execution_id=run.id, by=world.user)
    world.control("PauseExecution", run.id)
    refusal = world.refused(
        "PauseExecution", 409, "invalid_transition", execution_id=run.id, by=world.user
    )
    assert refusal.message == "execution is paused"


def test_a_paused_executions_retried_step_is_held(run: Run) -> None:
    # A retry puts the step's task back in the queue: a paused execution's queued tasks are
    # held, so it must not be dispatched until the execution resumes.
    world = run.world
    world.start(run.task("fetch"))
    world.control("PauseExecution", run.id)
    world.fail(run.task("fetch"), "flaky", retryable=True)

    world.later(10)
    for agent_id in (run.fetcher, run.writer, run.spare):
        world.heartbeat(agent_id)
    dec = world.tick()

    assert assignments(dec) == {}
    assert world.holder(run.task("fetch")) is None


# -- cancel / failure -------------------------------------------------------------------


def _parallel_running(run: Run) -> None:
    world = run.world
    world.run(run.task("fetch"), {"text": "t", "n": 1})
    world.start(run.task("sum1"))


def test_cancel_revokes_active_tasks_and_ends_cancelled(run: Run) -> None:
    world = run.world
    _parallel_running(run)
    holders = {run.task(s): world.holder(run.task(s)) for s in ("sum1", "sum2")}

    dec = world.ok("CancelExecution", execution_id=run.id, by=world.user, reason="enough")

    assert dec.answer is not None and dec.answer.resource is not None
    assert dec.answer.resource["status"] == "cancelled"
    revoked = {(r["task_id"], r["agent_id"]) for r in deliveries(dec, "TaskRevoked")}
    assert revoked == set(holders.items())
    assert {e["task_id"] for e in events(dec, "TaskCancelled")} == set(holders)
    assert set(run.steps_changed(dec)) == {
        ("sum1", "running", "cancelled"),
        ("sum2", "queued", "cancelled"),
    }
    [ended] = events(dec, "ExecutionStatusChanged")
    assert (ended["to"], ended["by"], ended["reason"]) == ("cancelled", world.user, "enough")
    assert world.execution(run.id) is None
    assert (
        world.complete(run.task("sum1"), agent_id=holders[run.task("sum1")], attempt=1).outputs
        == []
    )


def test_a_step_failing_for_good_fails_the_execution_and_cancels_the_other_branch(
    world: SchedulerDriver,
) -> None:
    definition = {
        "steps": [
            {**s, "retry": {"attempts": 1}} if s["id"] == "sum1" else s for s in PIPELINE["steps"]
        ]
    }
    run = Run(world, definition)
    _parallel_running(run)
    sum2_holder = world.holder(run.task("sum2"))

    dec = world.fail(run.task("sum1"), "model overloaded", retryable=True)

    assert [e["final"] for e in events(dec, "TaskFailed")] == [True]
    assert [r["task_id"] for r in deliveries(dec, "TaskRevoked", sum2_holder)] == [run.task("sum2")]
    assert [e["task_id"] for e in events(dec, "TaskCancelled")] == [run.task("sum2")]
    assert ("sum1", "running", "failed") in run.steps_changed(dec)
    assert ("sum2", "queued", "cancelled") in run.steps_changed(dec)
    [ended] = events(dec, "ExecutionStatusChanged")
    assert (ended["from"], ended["to"]) == ("running", "failed")
    assert ended["reason"] == "step sum1 failed: model overloaded"
    assert world.execution(run.id) is None
    assert world.task(run.task("sum2")) is None


def test_a_retryable_step_failure_requeues_the_step_and_it_can_still_succeed(
    run: Run,
) -> None:
    world = run.world
    world.start(run.task("fetch"))

    failed = world.fail(run.task("fetch"), "timeout upstream")

    [changed] = events(failed, "StepStatusChanged")
    assert (changed["from"], changed["to"], changed["error"]) == (
        "running",
        "queued",
        "timeout upstream",
    )
    world.later(1)
    world.tick()
    done = run.run("fetch", {"text": "t", "n": 1})
    assert ("fetch", "running", "completed") in run.steps_changed(done)
    assert events(done, "StepStatusChanged")[0]["attempt"] == 2


def test_cancelling_a_steps_task_fails_the_execution(run: Run) -> None:
    world = run.world

    dec = world.ok("CancelTask", task_id=run.task("fetch"), by=world.user, reason=None)

    assert ("fetch", "queued", "failed") in run.steps_changed(dec)
    [ended] = events(dec, "ExecutionStatusChanged")
    assert ended["to"] == "failed"
    assert ended["reason"] == "step fetch failed: its task was cancelled"


def test_a_missing_template_path_fails_the_step_naming_the_path(run: Run) -> None:
    world = run.world

    dec = world.run(run.task("fetch"), {"n": 1})  # no "text"

    failed = [e for e in events(dec, "StepStatusChanged") if e["to"] == "failed"]
    assert [e["step_id"] for e in failed] == ["sum1"]
    assert "${steps.fetch.output.text}" in failed[0]["error"]
    [ended] = events(dec, "ExecutionStatusChanged")
    assert ended["to"] == "failed"
    assert "${steps.fetch.output.text}" in ended["reason"]
    assert world.execution(run.id) is None
    assert not any(k.startswith("task:") for k in world.state.records)


def test_a_missing_context_path_fails_the_execution_at_once(world: SchedulerDriver) -> None:
    world.agent("Fetcher", ["http"])
    world.agent("Writer", ["llm", "write"])
    workflow_id = world.define(PIPELINE)

    dec = world.execute_dec(workflow_id, {"meta": {}})

    assert dec.answer is not None and dec.answer.resource is not None
    assert dec.answer.resource["status"] == "failed"
    assert "${context.url}" in dec.answer.resource["steps"]["fetch"]["error"]
    assert events(dec, "TaskQueued") == []


def test_control_of_an_unknown_execution_is_404(world: SchedulerDriver) -> None:
    world.refused("CancelExecution", 404, "execution_not_found", execution_id="nope", by=world.user)


def test_pausing_a_completed_execution_is_404_and_points_at_the_read_model(
    world: SchedulerDriver,
) -> None:
    world.agent("Any", [])
    workflow_id = world.define({"steps": [{"id": "only"}]})
    execution_id = world.execute(workflow_id)
    world.run(step_task_id(execution_id, "only"))

    refusal = world.refused(
        "PauseExecution", 404, "execution_not_found", execution_id=execution_id, by=world.user
    )
    assert f"GET /api/executions/{execution_id}" in refusal.message


def test_a_step_whose_agent_is_lost_is_queued_again(run: Run) -> None:
    # The step's task goes back to the queue when its agent times out: the execution's view
    # must say the step is queued again, not still running.
    world = run.world
    world.start(run.task("fetch"))
    world.later(HEARTBEAT_TIMEOUT_S + 1)

    dec = world.tick()

    assert [e["reason"] for e in events(dec, "TaskReleased")] == ["heartbeat_timeout"]
    assert run.step("fetch") == "queued"
    assert ("fetch", "running", "queued") in run.steps_changed(dec)
