"""Agent connections: connect, heartbeats, the heartbeat timeout and disconnects."""

from __future__ import annotations

from tests.support.agents_svc.scheduler_driver import HEARTBEAT_TIMEOUT_S as TIMEOUT
from tests.support.agents_svc.scheduler_driver import (
    SchedulerDriver,
    assignments,
    deliveries,
    events,
    new_id,
)


def test_connect_makes_a_registered_agent_online(world: SchedulerDriver) -> None:
    agent_id = world.agent("Scout", connect=False)
    world.later(3)

    dec = world.connect(agent_id)

    assert events(dec, "AgentStatusChanged") == [
        {"agent_id": agent_id, "from": "registered", "to": "online", "reason": "connected"}
    ]
    assert world.status(agent_id) == "online"
    assert world.agent_record(agent_id)["last_seen"] == world.now


def test_connect_of_an_unknown_agent_changes_nothing(world: SchedulerDriver) -> None:
    dec = world.connect(new_id())

    assert dec.outputs == []
    assert dec.changes() == {}


def test_reconnect_offers_assigned_but_unstarted_tasks_again(world: SchedulerDriver) -> None:
    agent_id = world.agent("Scout", ["x"])
    task_id = world.submit(["x"], task_input={"q": "why"})
    world.disconnect(agent_id)

    dec = world.connect(agent_id)

    [offer] = deliveries(dec, "TaskOffered", agent_id)
    assert (offer["task_id"], offer["attempt"], offer["input"]) == (task_id, 1, {"q": "why"})
    assert events(dec, "TaskReleased") == []
    assert world.holder(task_id) == agent_id


def test_reconnect_releases_running_tasks_it_no_longer_runs(world: SchedulerDriver) -> None:
    agent_id = world.agent("Scout", ["x"], capacity=5)
    kept = world.submit(["x"])
    lost = world.submit(["x"])
    world.start(kept)
    world.start(lost)

    dec = world.connect(agent_id, running=[kept])

    assert [(e["task_id"], e["reason"]) for e in events(dec, "TaskReleased")] == [
        (lost, "agent_restarted")
    ]
    kept_rec = world.task(kept)
    assert kept_rec is not None and kept_rec["status"] == "running"
    lost_rec = world.task(lost)
    assert lost_rec is not None and lost_rec["status"] != "running"
    assert [e["task_id"] for e in events(world.complete(kept), "TaskCompleted")] == [kept]


def test_reconnect_delivers_unacknowledged_messages_again_in_order(world: SchedulerDriver) -> None:
    agent_id = world.agent("Scout")
    sent = [world.send(agent_id, {"n": n}) for n in range(3)]
    ids = [events(d, "MessageSent")[0]["message_id"] for d in sent]
    world.ok("AckMessage", agent_id=agent_id, message_id=ids[1])
    world.disconnect(agent_id)

    dec = world.connect(agent_id)

    redelivered = deliveries(dec, "MessageDelivered", agent_id)
    assert [(m["message_id"], m["seq"], m["body"]) for m in redelivered] == [
        (ids[0], 1, {"n": 0}),
        (ids[2], 3, {"n": 2}),
    ]


def test_connect_announcing_capabilities_matches_on_them(world: SchedulerDriver) -> None:
    agent_id = world.agent("Scout", ["x"], connect=False)

    world.connect(agent_id, capabilities=["y", "z"])

    task_id = world.submit(["y", "z"])
    assert world.holder(task_id) == agent_id
    world.refused("SubmitTask", 422, "unsatisfiable_capabilities", **world.task_spec(["x"]))


def test_connect_announcing_other_capabilities_emits_agent_updated(world: SchedulerDriver) -> None:
    # DESIGN.md, ConnectAgent: capabilities non-null replaces its capabilities for matching
    # "(and emits AgentUpdated when different)" - the read model otherwise keeps showing
    # the configured ones.
    agent_id = world.agent("Scout", ["x"], connect=False)

    dec = world.connect(agent_id, capabilities=["y", "z"])

    updated = events(dec, "AgentUpdated")
    assert len(updated) == 1
    assert updated[0]["agent_id"] == agent_id
    assert sorted(updated[0]["changes"]["capabilities"]) == ["y", "z"]


def test_connection_concurrency_caps_capacity(world: SchedulerDriver) -> None:
    agent_id = world.agent("Scout", ["x"], capacity=3, concurrency=1)

    first = world.submit(["x"])
    second = world.submit(["x"])

    assert world.holder(first) == agent_id
    assert world.holder(second) is None
    assert world.status(agent_id) == "busy"


def test_heartbeats_keep_an_agent_alive(world: SchedulerDriver) -> None:
    agent_id = world.agent("Scout", ["x"])
    task_id = world.submit(["x"])
    for _ in range(4):
        world.later(TIMEOUT * 0.8)
        world.heartbeat(agent_id)
        assert world.tick().outputs == []
    assert world.status(agent_id) == "online"
    assert world.holder(task_id) == agent_id

    world.later(TIMEOUT)
    assert world.tick().outputs == []  # silent exactly the timeout: still alive
    world.later(0.5)
    dec = world.tick()

    assert world.status(agent_id) == "offline"
    assert events(dec, "AgentStatusChanged")[0]["reason"] == f"no heartbeat for {TIMEOUT:g} s"


def test_heartbeat_of_an_old_session_does_not_count(world: SchedulerDriver) -> None:
    agent_id = world.agent("Scout")
    old = world.sessions[agent_id]
    world.connect(agent_id)
    world.later(TIMEOUT * 0.8)
    world.heartbeat(agent_id, session_id=old)
    world.later(TIMEOUT * 0.8)

    world.tick()

    assert world.status(agent_id) == "offline"


def test_silent_agent_goes_offline_and_its_tasks_go_to_another_capable_agent(
    world: SchedulerDriver,
) -> None:
    silent = world.agent("Silent", ["x"], capacity=5)
    assigned = world.submit(["x"])
    running = world.submit(["x"])
    world.start(running)
    world.agent("Unfit", ["y"], capacity=5)
    capable = world.agent("Capable", ["x"], capacity=5)
    world.later(TIMEOUT + 1)
    for agent_id in world.sessions:
        if agent_id != silent:
            world.heartbeat(agent_id)

    dec = world.tick()

    [offline] = events(dec, "AgentStatusChanged")
    assert (offline["agent_id"], offline["to"]) == (silent, "offline")
    assert world.status(silent) == "offline"
    assert {(e["task_id"], e["reason"]) for e in events(dec, "TaskReleased")} == {
        (assigned, "heartbeat_timeout"),
        (running, "heartbeat_timeout"),
    }
    assert {r["task_id"] for r in deliveries(dec, "TaskRevoked", silent)} == {assigned, running}
    assert assignments(dec) == {assigned: capable, running: capable}
    assert {e["attempt"] for e in events(dec, "TaskAssigned")} == {2}


def test_offline_agent_reconnects_online_and_takes_work(world: SchedulerDriver) -> None:
    agent_id = world.agent("Scout", ["x"])
    world.later(TIMEOUT + 1)
    world.tick()
    task_id = world.submit(["x"])
    assert world.holder(task_id) is None

    dec = world.connect(agent_id)

    assert events(dec, "AgentStatusChanged")[0]["to"] == "online"
    assert world.holder(task_id) == agent_id


def test_disconnect_of_a_stale_session_is_ignored(world: SchedulerDriver) -> None:
    agent_id = world.agent("Scout", ["x"])
    stale = world.sessions[agent_id]
    world.connect(agent_id)

    dec = world.disconnect(agent_id, session_id=stale)

    assert dec.outputs == []
    assert dec.changes() == {}
    task_id = world.submit(["x"])
    assert world.holder(task_id) == agent_id


def test_disconnected_agent_takes_no_new_task_but_keeps_its_own_until_timeout(
    world: SchedulerDriver,
) -> None:
    agent_id = world.agent("Scout", ["x"])
    kept = world.submit(["x"])

    world.disconnect(agent_id)
    fresh = world.submit(["x"])

    assert world.holder(fresh) is None
    assert world.holder(kept) == agent_id
    world.refused(
        "AssignTask", 409, "agent_unavailable", task_id=fresh, agent_id=agent_id, by=world.user
    )
    world.later(TIMEOUT)
    world.tick()
    assert world.holder(kept) == agent_id
    world.later(1)
    dec = world.tick()
    assert world.status(agent_id) == "offline"
    assert [e["task_id"] for e in events(dec, "TaskReleased")] == [kept]
