"""Agents: registration, unique names, configuration, deletion, draining and keys."""

from __future__ import annotations

from tests.support.agents_svc.scheduler_driver import (
    SchedulerDriver,
    deliveries,
    events,
    new_id,
    types,
)


def _update(world: SchedulerDriver, agent_id: str, **changes: object) -> dict[str, object]:
    return world.answer("UpdateAgent", agent_id=agent_id, changes=changes, updated_by=world.user)


# -- create -----------------------------------------------------------------------------


def test_create_answers_201_with_a_registered_agent(world: SchedulerDriver) -> None:
    dec = world.create_agent("Scout", ["fetch", "parse"], capacity=3, labels={"tier": "gold"})

    assert dec.answer is not None and dec.answer.http_status == 201
    view = dec.answer.resource
    assert view is not None
    assert view["name"] == "Scout"
    assert view["project_id"] == world.project
    assert view["capabilities"] == ["fetch", "parse"]
    assert view["capacity"] == 3
    assert view["labels"] == {"tier": "gold"}
    assert view["status"] == "registered"
    assert view["in_flight"] == 0
    assert view["created_by"] == world.user
    assert view["created_at"] == "2026-01-01T00:00:00Z"
    assert view["last_seen_at"] is None
    [created] = events(dec, "AgentCreated")
    assert created["agent_id"] == view["id"]
    assert created["status"] == "registered"
    assert created["name"] == "Scout"
    assert created["capacity"] == 3
    assert created["project_id"] == world.project
    assert types(dec) == ["AgentCreated"]


def test_name_is_unique_per_project_ignoring_case(world: SchedulerDriver) -> None:
    world.create_agent("Scout")

    refusal = world.refused(
        "CreateAgent",
        409,
        "agent_name_taken",
        agent_id=new_id(),
        project_id=world.project,
        name="  sCOUT ",
        capabilities=[],
        capacity=1,
        labels={},
        model_settings={},
        created_by=world.user,
    )
    assert refusal.field == "name"


def test_same_name_is_fine_in_another_project(world: SchedulerDriver) -> None:
    world.create_agent("Scout")

    dec = world.create_agent("Scout", project_id=new_id())

    assert dec.answer is not None and dec.answer.http_status == 201


def test_retried_create_gets_the_same_answer_and_announces_nothing(world: SchedulerDriver) -> None:
    agent_id = new_id()
    first = world.create_agent("Scout", ["fetch"], agent_id=agent_id)
    world.later(5)

    again = world.create_agent("Scout", ["fetch"], agent_id=agent_id)

    assert again.answer == first.answer
    assert again.outputs == []
    assert again.changes() == {}


def test_create_with_a_known_id_and_other_content_is_refused(world: SchedulerDriver) -> None:
    agent_id = new_id()
    world.create_agent("Scout", ["fetch"], agent_id=agent_id)

    world.refused(
        "CreateAgent",
        409,
        "agent_exists",
        agent_id=agent_id,
        project_id=world.project,
        name="Scout",
        capabilities=["fetch", "gpu"],
        capacity=2,
        labels={},
        model_settings={"model": "m1"},
        created_by=world.user,
    )


# -- update -----------------------------------------------------------------------------


def test_update_announces_only_the_fields_that_changed(world: SchedulerDriver) -> None:
    agent_id = world.agent("Scout", ["fetch"], capacity=2)
    world.later(10)

    dec = world.ok(
        "UpdateAgent",
        agent_id=agent_id,
        changes={"name": "Scout", "capacity": 4, "labels": {"tier": "gold"}},
        updated_by=world.user,
    )

    [updated] = events(dec, "AgentUpdated")
    assert updated == {
        "agent_id": agent_id,
        "changes": {"capacity": 4, "labels": {"tier": "gold"}},
        "updated_by": world.user,
    }
    assert dec.answer is not None and dec.answer.resource is not None
    assert dec.answer.resource["capacity"] == 4
    assert dec.answer.resource["labels"] == {"tier": "gold"}
    assert dec.answer.resource["updated_at"] == "2026-01-01T00:00:10Z"


def test_update_that_changes_nothing_announces_nothing(world: SchedulerDriver) -> None:
    agent_id = world.agent("Scout", ["fetch"], capacity=2)

    dec = world.ok(
        "UpdateAgent",
        agent_id=agent_id,
        changes={"name": "Scout", "capacity": 2, "capabilities": ["fetch"]},
        updated_by=world.user,
    )

    assert dec.answer is not None and dec.answer.http_status == 200
    assert dec.outputs == []
    assert dec.changes() == {}


def test_rename_to_a_taken_name_is_refused_but_a_case_change_is_not(world: SchedulerDriver) -> None:
    world.create_agent("Scout")
    other = world.agent("Ranger")

    world.refused(
        "UpdateAgent",
        409,
        "agent_name_taken",
        agent_id=other,
        changes={"name": "SCOUT"},
        updated_by=world.user,
    )
    assert _update(world, other, name="RANGER")["name"] == "RANGER"


def test_update_of_an_unknown_agent_is_404(world: SchedulerDriver) -> None:
    world.refused(
        "UpdateAgent",
        404,
        "agent_not_found",
        agent_id=new_id(),
        changes={"capacity": 3},
        updated_by=world.user,
    )


def test_raising_capacity_takes_queued_work_at_once(world: SchedulerDriver) -> None:
    agent_id = world.agent("Scout", ["x"], capacity=1)
    world.submit(["x"])
    queued = world.submit(["x"])
    assert world.holder(queued) is None
    assert world.status(agent_id) == "busy"

    dec = world.ok("UpdateAgent", agent_id=agent_id, changes={"capacity": 2}, updated_by=world.user)

    assert world.holder(queued) == agent_id
    assert events(dec, "TaskAssigned")[0]["task_id"] == queued


# -- delete -----------------------------------------------------------------------------


def test_delete_moves_its_tasks_to_another_agent(world: SchedulerDriver) -> None:
    doomed = world.agent("Doomed", ["x"], capacity=5)
    waiting = world.submit(["x"])
    running = world.submit(["x"])
    world.start(running)
    heir = world.agent("Heir", ["x"], capacity=5)

    dec = world.ok("DeleteAgent", agent_id=doomed, deleted_by=world.user, reason="retired")

    assert dec.answer is not None and dec.answer.resource is not None
    assert dec.answer.resource["agent_id"] == doomed
    assert dec.answer.resource["deleted"] is True
    assert sorted(dec.answer.resource["moved_tasks"]) == sorted([waiting, running])
    released = events(dec, "TaskReleased")
    assert {(e["task_id"], e["agent_id"], e["reason"]) for e in released} == {
        (waiting, doomed, "agent_deleted"),
        (running, doomed, "agent_deleted"),
    }
    assigned = events(dec, "TaskAssigned")
    assert {(e["task_id"], e["agent_id"], e["attempt"]) for e in assigned} == {
        (waiting, heir, 2),
        (running, heir, 2),
    }
    for task_id in (waiting, running):
        order = [
            o.type for o in dec.outputs if o.kind == "event" and o.data.get("task_id") == task_id
        ]
        assert order == ["TaskReleased", "TaskAssigned"]
    # Both are revoked: the unstarted one's offer may already be with the agent.
    assert {r["task_id"] for r in deliveries(dec, "TaskRevoked", doomed)} == {waiting, running}
    assert {o["task_id"] for o in deliveries(dec, "TaskOffered", heir)} == {waiting, running}
    assert events(dec, "AgentDeleted") == [
        {"agent_id": doomed, "deleted_by": world.user, "reason": "retired"}
    ]
    assert world.state.get("agent:" + doomed) is None


def test_a_deleted_agents_reports_are_ignored_and_its_name_is_free(world: SchedulerDriver) -> None:
    doomed = world.agent("Doomed", ["x"])
    task_id = world.submit(["x"])
    world.start(task_id)
    world.agent("Heir", ["x"])
    world.ok("DeleteAgent", agent_id=doomed, deleted_by=world.user, reason=None)

    late = world.complete(task_id, agent_id=doomed, attempt=1)

    assert late.outputs == []
    assert world.task(task_id) is not None
    dec = world.create_agent("doomed")
    assert dec.answer is not None and dec.answer.http_status == 201


def test_delete_of_an_unknown_agent_is_404(world: SchedulerDriver) -> None:
    world.refused("DeleteAgent", 404, "agent_not_found", agent_id=new_id(), deleted_by=world.user)


# -- drain ------------------------------------------------------------------------------


def test_drain_moves_unstarted_tasks_and_keeps_running_ones(world: SchedulerDriver) -> None:
    drained = world.agent("Old", ["x"], capacity=5)
    waiting = world.submit(["x"])
    running = world.submit(["x"])
    world.start(running)
    other = world.agent("New", ["x"], capacity=5)

    dec = world.ok("DrainAgent", agent_id=drained, by=world.user)

    assert dec.answer is not None and dec.answer.resource is not None
    assert dec.answer.resource["status"] == "draining"
    [changed] = events(dec, "AgentStatusChanged")
    assert (changed["agent_id"], changed["to"]) == (drained, "draining")
    assert [(e["task_id"], e["reason"]) for e in events(dec, "TaskReleased")] == [
        (waiting, "agent_draining")
    ]
    assert world.holder(waiting) == other
    assert world.holder(running) == drained
    # Only the unstarted one is revoked on the drained agent; the running one stays.
    assert [r["task_id"] for r in deliveries(dec, "TaskRevoked")] == [waiting]


def test_a_draining_agent_takes_no_new_task_but_finishes_its_running_one(
    world: SchedulerDriver,
) -> None:
    drained = world.agent("Old", ["x"], capacity=5)
    running = world.submit(["x"])
    world.start(running)
    world.ok("DrainAgent", agent_id=drained, by=world.user)

    fresh = world.submit(["x"])
    assert world.holder(fresh) is None
    done = world.complete(running, {"answer": 42})

    [completed] = events(done, "TaskCompleted")
    assert (completed["agent_id"], completed["output"]) == (drained, {"answer": 42})
    assert world.holder(fresh) is None
    assert world.status(drained) == "draining"
    world.refused(
        "AssignTask", 409, "agent_unavailable", task_id=fresh, agent_id=drained, by=world.user
    )


def test_drain_of_an_unknown_agent_is_404(world: SchedulerDriver) -> None:
    world.refused("DrainAgent", 404, "agent_not_found", agent_id=new_id(), by=world.user)


# -- keys -------------------------------------------------------------------------------


def _issue(world: SchedulerDriver, agent_id: str, key_id: str) -> dict[str, object]:
    return world.answer(
        "IssueAgentKey",
        201,
        agent_id=agent_id,
        key_id=key_id,
        secret_hash="ab" * 32,
        issued_by=world.user,
    )


def test_issue_key_answers_the_key_and_announces_its_hash(world: SchedulerDriver) -> None:
    agent_id = world.agent("Scout")

    dec = world.ok(
        "IssueAgentKey",
        agent_id=agent_id,
        key_id="k0000001",
        secret_hash="ab" * 32,
        issued_by=world.user,
    )

    assert dec.answer is not None and dec.answer.http_status == 201
    assert dec.answer.resource == {
        "key_id": "k0000001",
        "agent_id": agent_id,
        "created_at": "2026-01-01T00:00:00Z",
        "revoked_at": None,
    }
    assert events(dec, "AgentKeyIssued") == [
        {
            "agent_id": agent_id,
            "key_id": "k0000001",
            "secret_hash": "ab" * 32,
            "issued_by": world.user,
        }
    ]


def test_an_agent_has_at_most_ten_live_keys(world: SchedulerDriver) -> None:
    agent_id = world.agent("Scout")
    for n in range(10):
        _issue(world, agent_id, f"k{n:07d}")

    world.refused(
        "IssueAgentKey",
        409,
        "too_many_keys",
        agent_id=agent_id,
        key_id="k0000010",
        secret_hash="cd" * 32,
        issued_by=world.user,
    )
    world.answer("RevokeAgentKey", agent_id=agent_id, key_id="k0000003", revoked_by=world.user)
    assert _issue(world, agent_id, "k0000010")["revoked_at"] is None


def test_revoke_is_idempotent(world: SchedulerDriver) -> None:
    agent_id = world.agent("Scout")
    _issue(world, agent_id, "k0000001")
    world.later(60)

    first = world.ok("RevokeAgentKey", agent_id=agent_id, key_id="k0000001", revoked_by=world.user)
    world.later(60)
    second = world.ok("RevokeAgentKey", agent_id=agent_id, key_id="k0000001", revoked_by=world.user)

    assert first.answer is not None and first.answer.resource is not None
    assert first.answer.resource["revoked_at"] == "2026-01-01T00:01:00Z"
    assert events(first, "AgentKeyRevoked") == [
        {"agent_id": agent_id, "key_id": "k0000001", "revoked_by": world.user}
    ]
    assert second.answer == first.answer
    assert second.outputs == []
    assert second.changes() == {}


def test_key_refusals(world: SchedulerDriver) -> None:
    agent_id = world.agent("Scout")
    _issue(world, agent_id, "k0000001")

    world.refused(
        "IssueAgentKey",
        409,
        "key_exists",
        agent_id=agent_id,
        key_id="k0000001",
        secret_hash="cd" * 32,
        issued_by=world.user,
    )
    world.refused(
        "RevokeAgentKey",
        404,
        "key_not_found",
        agent_id=agent_id,
        key_id="k9999999",
        revoked_by=world.user,
    )
    world.refused(
        "IssueAgentKey",
        404,
        "agent_not_found",
        agent_id=new_id(),
        key_id="k0000002",
        secret_hash="cd" * 32,
        issued_by=world.user,
    )
