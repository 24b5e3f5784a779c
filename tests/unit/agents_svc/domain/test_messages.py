"""Agent messages: broadcast, direct, per-recipient order, acknowledgement, mailbox limit."""

from __future__ import annotations

from tests.support.agents_svc.scheduler_driver import SchedulerDriver, deliveries, events, new_id


def _broadcast(world: SchedulerDriver, **filters: object) -> tuple[str, list[str]]:
    message_id = new_id()
    resource = world.answer(
        "BroadcastMessage",
        201,
        message_id=message_id,
        sender=f"user:{world.user}",
        capability=filters.get("capability"),
        project_id=filters.get("project_id"),
        body={"note": "deploy at noon"},
    )
    return message_id, list(resource["recipients"])


def test_broadcast_reaches_every_agent_matching_the_filter(world: SchedulerDriver) -> None:
    other_project = new_id()
    gpu_here = world.agent("GpuHere", ["gpu", "llm"])
    gpu_offline = world.agent("GpuOffline", ["gpu"], connect=False)
    world.agent("CpuHere", ["cpu"])
    world.agent("GpuThere", ["gpu"], project_id=other_project)

    _, recipients = _broadcast(world, capability="gpu", project_id=world.project)

    assert sorted(recipients) == sorted([gpu_here, gpu_offline])


def test_broadcast_without_filter_reaches_every_agent(world: SchedulerDriver) -> None:
    everyone = [
        world.agent("A", ["x"]),
        world.agent("B", [], connect=False),
        world.agent("C", ["y"], project_id=new_id()),
    ]
    message_id = new_id()

    dec = world.ok(
        "BroadcastMessage",
        message_id=message_id,
        sender=f"agent:{everyone[0]}",
        capability=None,
        project_id=None,
        body={"k": 1},
    )

    assert dec.answer is not None and dec.answer.resource is not None
    assert sorted(dec.answer.resource["recipients"]) == sorted(everyone)
    delivered = deliveries(dec, "MessageDelivered")
    assert sorted(d["agent_id"] for d in delivered) == sorted(everyone)
    assert {(d["message_id"], d["seq"], d["sender"]) for d in delivered} == {
        (message_id, 1, f"agent:{everyone[0]}")
    }
    [sent] = events(dec, "MessageSent")
    assert sent["broadcast"] is True
    assert sorted(sent["recipients"]) == sorted(everyone)


def test_direct_message_reaches_only_its_target(world: SchedulerDriver) -> None:
    target = world.agent("Target")
    world.agent("Bystander")

    dec = world.send(target, {"text": "hello"})

    assert dec.answer is not None and dec.answer.http_status == 201
    assert dec.answer.resource is not None and dec.answer.resource["recipients"] == [target]
    [delivered] = deliveries(dec, "MessageDelivered")
    assert delivered["agent_id"] == target
    assert delivered["body"] == {"text": "hello"}
    assert delivered["sent_at"] == "2026-01-01T00:00:00Z"
    [sent] = events(dec, "MessageSent")
    assert (sent["recipients"], sent["broadcast"]) == ([target], False)


def test_direct_message_to_an_unknown_agent_is_404(world: SchedulerDriver) -> None:
    refusal = world.refused(
        "SendDirectMessage",
        404,
        "agent_not_found",
        message_id=new_id(),
        sender=f"user:{world.user}",
        to_agent_id=new_id(),
        body={},
    )

    assert refusal.field == "to_agent_id"


def test_sequence_numbers_increase_per_recipient(world: SchedulerDriver) -> None:
    first = world.agent("First")
    second = world.agent("Second")
    world.send(first)
    world.send(first)

    dec = world.ok(
        "BroadcastMessage",
        message_id=new_id(),
        sender=f"user:{world.user}",
        capability=None,
        project_id=None,
        body={},
    )
    fourth = world.send(first)

    assert {d["agent_id"]: d["seq"] for d in deliveries(dec, "MessageDelivered")} == {
        first: 3,
        second: 1,
    }
    assert [d["seq"] for d in deliveries(fourth, "MessageDelivered")] == [4]


def test_ack_removes_the_message_and_it_is_not_delivered_again(world: SchedulerDriver) -> None:
    agent_id = world.agent("Scout")
    message_id = events(world.send(agent_id), "MessageSent")[0]["message_id"]
    kept_id = events(world.send(agent_id), "MessageSent")[0]["message_id"]

    dec = world.ok("AckMessage", agent_id=agent_id, message_id=message_id)
    again = world.ok("AckMessage", agent_id=agent_id, message_id=message_id)
    reconnected = world.connect(agent_id)

    assert events(dec, "MessageAcknowledged") == [{"message_id": message_id, "agent_id": agent_id}]
    assert again.outputs == [] and again.changes() == {}
    assert [d["message_id"] for d in deliveries(reconnected, "MessageDelivered")] == [kept_id]


def test_an_offline_agent_gets_a_broadcast_when_it_connects(world: SchedulerDriver) -> None:
    agent_id = world.agent("Sleeper", connect=False)
    message_id, recipients = _broadcast(world)

    dec = world.connect(agent_id)

    assert recipients == [agent_id]
    assert [d["message_id"] for d in deliveries(dec, "MessageDelivered", agent_id)] == [message_id]


def test_a_mailbox_holds_at_most_1000_unacknowledged_messages(world: SchedulerDriver) -> None:
    agent_id = world.agent("Hoarder")
    other = world.agent("Reader")
    first = ""
    for n in range(1000):
        dec = world.send(agent_id, {"n": n})
        first = first or events(dec, "MessageSent")[0]["message_id"]

    refusal = world.refused(
        "SendDirectMessage",
        429,
        "mailbox_full",
        message_id=new_id(),
        sender=f"user:{world.user}",
        to_agent_id=agent_id,
        body={},
    )
    _, recipients = _broadcast(world)

    assert refusal.field == "to_agent_id"
    assert recipients == [other]  # the full mailbox is skipped
    world.ok("AckMessage", agent_id=agent_id, message_id=first)
    assert [d["seq"] for d in deliveries(world.send(agent_id), "MessageDelivered")] == [1001]
