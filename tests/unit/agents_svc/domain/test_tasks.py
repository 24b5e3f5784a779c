"""Tasks: submission, explicit assignment, redistribution, cancellation, reports, retries
and timeouts."""

from __future__ import annotations

from tests.support.agents_svc.scheduler_driver import (
    SchedulerDriver,
    assignments,
    deliveries,
    events,
    new_id,
    types,
)

# -- submit -----------------------------------------------------------------------------


def test_submit_answers_201_with_the_task_and_queues_it(world: SchedulerDriver) -> None:
    world.agent("Scout", ["x"], connect=False)

    dec = world.submit_dec(["x"], priority=7, max_attempts=4, task_input={"q": 1})

    assert dec.answer is not None and dec.answer.http_status == 201
    view = dec.answer.resource
    assert view is not None
    assert view["status"] == "pending"
    assert view["priority"] == 7
    assert view["max_attempts"] == 4
    assert view["input"] == {"q": 1}
    assert view["attempt"] == 0
    assert view["agent_id"] is None
    assert view["submitted_by"] == world.user
    [queued] = events(dec, "TaskQueued")
    assert queued["task_id"] == view["id"]
    assert queued["capabilities"] == ["x"]
    assert queued["execution_id"] is None


def test_submitted_task_is_offered_to_a_free_agent_at_once(world: SchedulerDriver) -> None:
    agent_id = world.agent("Scout", ["x"])

    dec = world.submit_dec(["x"], task_input={"q": 1}, timeout_s=30)

    task_id = events(dec, "TaskQueued")[0]["task_id"]
    assert events(dec, "TaskAssigned") == [
        {"task_id": task_id, "agent_id": agent_id, "attempt": 1, "assigned_by": "scheduler"}
    ]
    [offer] = deliveries(dec, "TaskOffered", agent_id)
    assert offer["task_id"] == task_id
    assert offer["input"] == {"q": 1}
    assert offer["timeout_s"] == 30
    assert offer["attempt"] == 1


def test_submit_needing_capabilities_no_agent_has_is_422(world: SchedulerDriver) -> None:
    world.agent("Scout", ["x"])
    world.agent("Other", ["y"])

    refusal = world.refused(
        "SubmitTask", 422, "unsatisfiable_capabilities", **world.task_spec(["x", "y"])
    )

    assert refusal.field == "capabilities"
    assert "x, y" in refusal.message


def test_retried_submit_answers_200_and_other_content_is_409(world: SchedulerDriver) -> None:
    world.agent("Scout", ["x", "y"], connect=False)
    spec = world.task_spec(["y", "x"])
    world.ok("SubmitTask", **spec)

    again = world.ok("SubmitTask", **{**spec, "capabilities": ["x", "y"]})

    assert again.answer is not None and again.answer.http_status == 200
    assert again.answer.resource is not None and again.answer.resource["id"] == spec["task_id"]
    assert again.outputs == []
    world.refused("SubmitTask", 409, "task_exists", **{**spec, "priority": 9})


# -- assign -----------------------------------------------------------------------------


def _assign(world: SchedulerDriver, task_id: str, agent_id: str) -> dict[str, object]:
    return world.answer("AssignTask", task_id=task_id, agent_id=agent_id, by=world.user)


def test_assign_to_a_never_connected_agent_is_409(world: SchedulerDriver) -> None:
    world.agent("Busy", ["x"], capacity=1)
    world.submit(["x"])
    queued = world.submit(["x"])
    idle = world.agent("Idle", ["x"], connect=False)

    refusal = world.refused(
        "AssignTask", 409, "agent_unavailable", task_id=queued, agent_id=idle, by=world.user
    )

    assert refusal.field == "agent_id"


def test_assign_to_an_agent_lacking_a_capability_is_422(world: SchedulerDriver) -> None:
    world.agent("Scout", ["x", "y"], connect=False)
    task_id = world.submit(["x", "y"])
    partial = world.agent("Partial", ["x"])

    world.refused(
        "AssignTask", 422, "capability_mismatch", task_id=task_id, agent_id=partial, by=world.user
    )


def test_assign_moves_an_assigned_task_to_the_named_agent(world: SchedulerDriver) -> None:
    first = world.agent("First", ["x"])
    task_id = world.submit(["x"])
    second = world.agent("Second", ["x"])

    dec = world.ok("AssignTask", task_id=task_id, agent_id=second, by=world.user)

    assert types(dec)[:3] == ["TaskRevoked", "TaskReleased", "TaskAssigned"]
    [released] = events(dec, "TaskReleased")
    assert (released["agent_id"], released["attempt"]) == (first, 1)
    assert events(dec, "TaskAssigned") == [
        {"task_id": task_id, "agent_id": second, "attempt": 2, "assigned_by": world.user}
    ]
    assert [o["task_id"] for o in deliveries(dec, "TaskOffered", second)] == [task_id]
    assert dec.answer is not None and dec.answer.resource is not None
    assert dec.answer.resource["agent_id"] == second
    assert dec.answer.resource["status"] == "assigned"
    # The first agent's report for its old attempt no longer counts.
    assert world.start(task_id, agent_id=first, attempt=1).outputs == []


def test_assign_to_the_agent_already_holding_it_changes_nothing(world: SchedulerDriver) -> None:
    agent_id = world.agent("Scout", ["x"])
    task_id = world.submit(["x"])

    dec = world.ok("AssignTask", task_id=task_id, agent_id=agent_id, by=world.user)

    assert dec.outputs == []
    assert dec.answer is not None and dec.answer.http_status == 200


def test_assign_refusals(world: SchedulerDriver) -> None:
    agent_id = world.agent("Scout", ["x"])
    task_id = world.submit(["x"])
    world.start(task_id)

    world.refused(
        "AssignTask", 409, "task_not_pending", task_id=task_id, agent_id=agent_id, by=world.user
    )
    world.refused(
        "AssignTask", 404, "task_not_found", task_id=new_id(), agent_id=agent_id, by=world.user
    )
    world.refused(
        "AssignTask", 404, "agent_not_found", task_id=task_id, agent_id=new_id(), by=world.user
    )


# -- redistribute -----------------------------------------------------------------------


def test_redistribute_from_an_agent_moves_its_tasks_to_others(world: SchedulerDriver) -> None:
    source = world.agent("Source", ["x"], capacity=5)
    waiting = world.submit(["x"])
    running = world.submit(["x"])
    world.start(running)
    target = world.agent("Target", ["x"], capacity=5)

    dec = world.ok("RedistributeTasks", from_agent_id=source, by=world.user)

    assert dec.answer is not None and dec.answer.resource is not None
    assert dec.answer.resource == {
        "assignments": [
            {"task_id": waiting, "from_agent_id": source, "to_agent_id": target},
            {"task_id": running, "from_agent_id": source, "to_agent_id": target},
        ]
    }
    assert {r["task_id"] for r in deliveries(dec, "TaskRevoked", source)} == {waiting, running}
    assert {e["reason"] for e in events(dec, "TaskReleased")} == {"redistributed"}
    assert world.holder(waiting) == world.holder(running) == target


def test_redistribute_leaves_a_task_pending_when_nobody_can_take_it(world: SchedulerDriver) -> None:
    source = world.agent("Source", ["x"])
    task_id = world.submit(["x"])
    world.disconnect(source)

    resource = world.answer("RedistributeTasks", from_agent_id=source, by=world.user)

    assert resource == {
        "assignments": [{"task_id": task_id, "from_agent_id": source, "to_agent_id": None}]
    }
    rec = world.task(task_id)
    assert rec is not None and rec["status"] == "pending"


def test_redistribute_never_hands_a_task_back_to_the_agent_it_came_from(
    world: SchedulerDriver,
) -> None:
    source = world.agent("Source", ["x"])
    task_id = world.submit(["x"])
    world.agent("Unfit", ["y"])

    resource = world.answer("RedistributeTasks", from_agent_id=source, by=world.user)

    assert resource["assignments"] == [
        {"task_id": task_id, "from_agent_id": source, "to_agent_id": None}
    ]
    # Later dispatch rounds (the clock, other work) leave it queued, not back on the source.
    world.tick()
    world.submit(["y"])
    rec = world.task(task_id)
    assert rec is not None and rec["status"] == "pending" and world.holder(task_id) is None


def test_a_redistributed_task_goes_to_the_next_agent_that_can_take_it(
    world: SchedulerDriver,
) -> None:
    source = world.agent("Source", ["x"])
    task_id = world.submit(["x"])
    world.ok("RedistributeTasks", from_agent_id=source, by=world.user)

    target = world.agent("Target", ["x"])

    assert world.holder(task_id) == target


# -- cancel -----------------------------------------------------------------------------


def test_cancel_revokes_the_task_on_its_agent_and_frees_the_slot(world: SchedulerDriver) -> None:
    agent_id = world.agent("Scout", ["x"], capacity=1)
    task_id = world.submit(["x"])
    world.start(task_id)
    queued = world.submit(["x"])

    dec = world.ok("CancelTask", task_id=task_id, by=world.user, reason="not needed")

    assert dec.answer is not None and dec.answer.resource is not None
    assert dec.answer.resource["status"] == "cancelled"
    assert [(r["task_id"], r["reason"]) for r in deliveries(dec, "TaskRevoked", agent_id)] == [
        (task_id, "cancelled")
    ]
    assert events(dec, "TaskCancelled") == [
        {"task_id": task_id, "by": world.user, "reason": "not needed"}
    ]
    assert world.task(task_id) is None
    assert assignments(dec) == {queued: agent_id}
    assert world.complete(task_id, agent_id=agent_id, attempt=1).outputs == []


def test_cancel_of_a_pending_task_revokes_nothing(world: SchedulerDriver) -> None:
    world.agent("Scout", ["x"], connect=False)
    task_id = world.submit(["x"])

    dec = world.ok("CancelTask", task_id=task_id, by=world.user, reason=None)

    assert deliveries(dec, "TaskRevoked") == []
    assert world.task(task_id) is None


def test_cancel_of_an_unknown_task_is_404(world: SchedulerDriver) -> None:
    world.refused("CancelTask", 404, "task_not_found", task_id=new_id(), by=world.user)


def test_cancel_of_a_completed_task_is_404_and_points_at_the_read_model(
    world: SchedulerDriver,
) -> None:
    # Finished tasks leave the write side; the answer says where to read them.
    world.agent("Scout", ["x"])
    task_id = world.submit(["x"])
    world.run(task_id)

    refusal = world.refused("CancelTask", 404, "task_not_found", task_id=task_id, by=world.user)
    assert f"GET /api/tasks/{task_id}" in refusal.message


# -- reports ----------------------------------------------------------------------------


def test_only_the_holding_agent_for_the_current_attempt_can_start_or_complete(
    world: SchedulerDriver,
) -> None:
    holder = world.agent("Holder", ["x"])
    task_id = world.submit(["x"])
    other = world.agent("Other", ["x"])

    assert world.start(task_id, agent_id=other, attempt=1).outputs == []
    assert world.start(task_id, agent_id=holder, attempt=2).outputs == []
    assert world.complete(task_id, agent_id=other, attempt=1).outputs == []
    assert world.complete(task_id, agent_id=holder, attempt=7).outputs == []
    rec = world.task(task_id)
    assert rec is not None and rec["status"] == "assigned"

    world.later(2)
    started = world.start(task_id, agent_id=holder, attempt=1)
    assert events(started, "TaskStarted") == [
        {"task_id": task_id, "agent_id": holder, "attempt": 1}
    ]
    world.later(3)
    done = world.complete(task_id, {"answer": 42}, agent_id=holder, attempt=1)
    assert events(done, "TaskCompleted") == [
        {
            "task_id": task_id,
            "agent_id": holder,
            "attempt": 1,
            "output": {"answer": 42},
            "duration_s": 3.0,
        }
    ]
    assert world.task(task_id) is None


def test_a_duplicated_completion_completes_once(world: SchedulerDriver) -> None:
    agent_id = world.agent("Scout", ["x"])
    task_id = world.submit(["x"])
    world.start(task_id)

    first = world.complete(task_id, {"v": 1}, agent_id=agent_id, attempt=1)
    second = world.complete(task_id, {"v": 2}, agent_id=agent_id, attempt=1)

    assert len(events(first, "TaskCompleted")) == 1
    assert second.outputs == []
    assert second.changes() == {}


def test_progress_is_recorded_and_announced(world: SchedulerDriver) -> None:
    agent_id = world.agent("Scout", ["x"])
    task_id = world.submit(["x"])
    world.start(task_id)

    dec = world.ok(
        "ReportProgress",
        task_id=task_id,
        agent_id=agent_id,
        attempt=1,
        progress=0.5,
        message="halfway",
    )

    assert events(dec, "TaskProgressed") == [
        {
            "task_id": task_id,
            "agent_id": agent_id,
            "attempt": 1,
            "progress": 0.5,
            "message": "halfway",
        }
    ]
    rec = world.task(task_id)
    assert rec is not None and rec["progress"] == 0.5


# -- failures ---------------------------------------------------------------------------


def test_retryable_failure_retries_after_the_backoff(world: SchedulerDriver) -> None:
    agent_id = world.agent("Scout", ["x"])
    task_id = world.submit(["x"], backoff_s=10, max_attempts=3)
    world.start(task_id)

    failed = world.fail(task_id, "flaky upstream", retryable=True)

    assert events(failed, "TaskFailed") == [
        {
            "task_id": task_id,
            "agent_id": agent_id,
            "attempt": 1,
            "error": "flaky upstream",
            "final": False,
            "retry_at": "2026-01-01T00:00:10Z",
        }
    ]
    assert events(failed, "TaskAssigned") == []
    world.later(9.5)
    assert events(world.tick(), "TaskAssigned") == []
    world.later(1)
    retried = world.tick()
    assert events(retried, "TaskAssigned") == [
        {"task_id": task_id, "agent_id": agent_id, "attempt": 2, "assigned_by": "scheduler"}
    ]
    rec = world.task(task_id)
    assert rec is not None and rec["failures"] == 1

    world.start(task_id)
    again = world.fail(task_id, "flaky again")
    # The backoff doubles with each failure: 10 s, then 20 s.
    assert events(again, "TaskFailed")[0]["retry_at"] == "2026-01-01T00:00:30.500000Z"


def test_non_retryable_failure_is_final(world: SchedulerDriver) -> None:
    agent_id = world.agent("Scout", ["x"], capacity=1)
    task_id = world.submit(["x"], max_attempts=5)
    world.start(task_id)

    dec = world.fail(task_id, "bad input", retryable=False)

    [failed] = events(dec, "TaskFailed")
    assert (failed["final"], failed["retry_at"], failed["error"]) == (True, None, "bad input")
    assert world.task(task_id) is None
    assert world.status(agent_id) == "online"
    world.later(100)
    assert events(world.tick(), "TaskAssigned") == []


def test_the_last_allowed_attempt_failing_is_final(world: SchedulerDriver) -> None:
    world.agent("Scout", ["x"])
    task_id = world.submit(["x"], max_attempts=2, backoff_s=0)
    world.start(task_id)

    first = world.fail(task_id, "one")
    assert events(first, "TaskFailed")[0]["final"] is False
    assert events(first, "TaskAssigned")[0]["attempt"] == 2  # no backoff: at once
    world.start(task_id)
    second = world.fail(task_id, "two")

    assert [(e["attempt"], e["final"]) for e in events(second, "TaskFailed")] == [(2, True)]
    assert world.task(task_id) is None


def test_a_failure_report_for_an_old_attempt_is_ignored(world: SchedulerDriver) -> None:
    agent_id = world.agent("Scout", ["x"])
    task_id = world.submit(["x"], backoff_s=0)
    world.start(task_id)
    world.fail(task_id)

    late = world.fail(task_id, agent_id=agent_id, attempt=1)

    assert late.outputs == []
    rec = world.task(task_id)
    assert rec is not None and (rec["attempt"], rec["failures"]) == (2, 1)


def test_a_running_task_past_its_timeout_fails_its_attempt_and_is_revoked(
    world: SchedulerDriver,
) -> None:
    agent_id = world.agent("Scout", ["x"])
    task_id = world.submit(["x"], timeout_s=5, backoff_s=1)
    world.start(task_id)

    world.later(5)
    assert world.tick().outputs == []
    world.later(1)
    dec = world.tick()

    assert [(r["task_id"], r["reason"]) for r in deliveries(dec, "TaskRevoked", agent_id)] == [
        (task_id, "timed out")
    ]
    [failed] = events(dec, "TaskFailed")
    assert failed["error"] == "timed out after 5 s"
    assert failed["final"] is False
    rec = world.task(task_id)
    assert rec is not None and rec["status"] == "pending"
    # Its late result does not count.
    assert world.complete(task_id, agent_id=agent_id, attempt=1).outputs == []


def test_an_assigned_but_unstarted_task_does_not_time_out(world: SchedulerDriver) -> None:
    agent_id = world.agent("Scout", ["x"])
    task_id = world.submit(["x"], timeout_s=5)

    world.later(20)
    world.heartbeat(agent_id)
    dec = world.tick()

    assert dec.outputs == []
    assert world.holder(task_id) == agent_id
