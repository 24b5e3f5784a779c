"""Automatic assignment: capabilities, load relative to capacity, priority and fairness."""

from __future__ import annotations

from tests.support.agents_svc.scheduler_driver import (
    SchedulerDriver,
    assignments,
    events,
    new_id,
    ordered_id,
)


def test_a_task_goes_only_to_an_agent_offering_every_capability_it_needs(
    world: SchedulerDriver,
) -> None:
    # The partial match sorts first and is idle: only capability matching keeps it out.
    partial = world.agent("Partial", ["a"], capacity=5, agent_id=ordered_id(1))
    full = world.agent("Full", ["a", "b", "c"], capacity=5, agent_id=ordered_id(2))

    needs_both = world.submit(["b", "a"])
    needs_a = world.submit(["a"])

    assert world.holder(needs_both) == full
    assert world.holder(needs_a) == partial


def test_tasks_go_to_the_least_loaded_agent_relative_to_capacity(world: SchedulerDriver) -> None:
    small = world.agent("Small", ["x"], capacity=2, agent_id=ordered_id(1))
    big = world.agent("Big", ["x"], capacity=4, agent_id=ordered_id(2))

    placed = [world.holder(world.submit(["x"])) for _ in range(3)]

    # 1st: both idle, tie broken by id -> small (1/2 full); 2nd: big (0/4); 3rd: big at 1/4
    # is less loaded than small at 1/2, although both hold one task.
    assert placed == [small, big, big]


def test_capacity_is_honoured_and_a_freed_slot_is_refilled(world: SchedulerDriver) -> None:
    agent_id = world.agent("Scout", ["x"], capacity=3, concurrency=2)

    tasks = [world.submit(["x"]) for _ in range(3)]

    assert [world.holder(t) for t in tasks] == [agent_id, agent_id, None]
    assert world.state.load_of(agent_id) == 2
    dec = world.run(tasks[0])
    assert assignments(dec) == {tasks[2]: agent_id}


def test_agent_is_busy_at_capacity_and_online_again_below_it(world: SchedulerDriver) -> None:
    agent_id = world.agent("Scout", ["x"], capacity=1)

    submitted = world.submit_dec(["x"])
    task_id = events(submitted, "TaskQueued")[0]["task_id"]

    assert [(e["from"], e["to"]) for e in events(submitted, "AgentStatusChanged")] == [
        ("online", "busy")
    ]
    assert world.status(agent_id) == "busy"
    done = world.run(task_id)
    assert [(e["from"], e["to"]) for e in events(done, "AgentStatusChanged")] == [
        ("busy", "online")
    ]
    assert world.status(agent_id) == "online"


def test_view_shows_in_flight_tasks(world: SchedulerDriver) -> None:
    agent_id = world.agent("Scout", ["x"], capacity=3)
    world.submit(["x"])
    world.submit(["x"])

    view = world.answer(
        "UpdateAgent", agent_id=agent_id, changes={"labels": {"a": 1}}, updated_by=world.user
    )

    assert view["in_flight"] == 2


def _drain_queue(world: SchedulerDriver, agent_id: str, first: str) -> list[str]:
    """Complete tasks one by one on a capacity-1 agent; the order they ran in."""
    order = [first]
    current = first
    while True:
        dec = world.run(current)
        nxt = [t for t, a in assignments(dec).items() if a == agent_id]
        if not nxt:
            return order
        [current] = nxt
        order.append(current)


def test_higher_priority_first_then_first_come_first_served(world: SchedulerDriver) -> None:
    agent_id = world.agent("Scout", ["x"], capacity=1)
    first = world.submit(["x"])
    low = world.submit(["x"], priority=1)
    urgent = world.submit(["x"], priority=9)
    normal = world.submit(["x"], priority=5)
    urgent_later = world.submit(["x"], priority=9)

    assert _drain_queue(world, agent_id, first) == [first, urgent, urgent_later, normal, low]


def test_projects_take_turns(world: SchedulerDriver) -> None:
    project_a, project_b = new_id(), new_id()
    agent_id = world.agent("Shared", ["x"], capacity=1, project_id=project_a)
    a_tasks = [world.submit(["x"], project_id=project_a) for _ in range(5)]
    b_task = world.submit(["x"], project_id=project_b)
    assert world.holder(a_tasks[0]) == agent_id

    order = _drain_queue(world, agent_id, a_tasks[0])

    assert order == [a_tasks[0], b_task, *a_tasks[1:]]


def test_no_task_goes_to_a_registered_but_never_connected_agent(world: SchedulerDriver) -> None:
    world.agent("Idle", ["x"], connect=False)

    task_id = world.submit(["x"])

    assert world.holder(task_id) is None
    rec = world.task(task_id)
    assert rec is not None and rec["status"] == "pending"


def test_queued_work_starts_when_a_capable_agent_connects(world: SchedulerDriver) -> None:
    agent_id = world.agent("Scout", ["x"], connect=False)
    tasks = [world.submit(["x"]) for _ in range(3)]

    dec = world.connect(agent_id, concurrency=2)

    assert assignments(dec) == {tasks[0]: agent_id, tasks[1]: agent_id}
    offered = [o.data["task_id"] for o in dec.outputs if o.type == "TaskOffered"]
    assert offered == tasks[:2]
