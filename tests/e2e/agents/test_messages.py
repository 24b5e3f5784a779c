"""Agent messaging: broadcast to all, direct to one, redelivery until acknowledged."""

from __future__ import annotations

import asyncio

from tests.support.agents_svc.e2e_client import AgentsApiClient, RawAgent


def test_broadcast_reaches_every_agent_and_a_direct_message_only_its_target(
    agents: AgentsApiClient,
) -> None:
    raws = []
    for name in ("ann", "bob", "cy"):
        agent = agents.create(name, ["chat"])
        raws.append((agent["id"], RawAgent(agents.edge, agents.key(agent["id"]), name)))

    async def scenario() -> dict[str, list[dict[str, object]]]:
        for _id, raw in raws:
            await raw.connect()
        try:
            sent = await asyncio.to_thread(
                agents.post,
                "/api/messages/broadcast",
                {"body": {"hello": "all"}, "project_id": agents.project_id},
            )
            assert sent.status == 201, sent.body
            assert sorted(sent.body["recipients"]) == sorted(i for i, _ in raws)
            target = raws[1][0]
            direct = await asyncio.to_thread(
                agents.post, f"/api/agents/{target}/messages", {"body": {"just": "bob"}}
            )
            assert direct.status == 201, direct.body
            # Read side by side: an idle reader would not answer the edge's pings.
            frames = await asyncio.gather(*(raw.frames_within(3) for _id, raw in raws))
            return {
                raw.name: [f for f in got if f["type"] == "message"]
                for (_id, raw), got in zip(raws, frames, strict=True)
            }
        finally:
            for _id, raw in raws:
                await raw.close()

    got = asyncio.run(scenario())
    assert [m["body"] for m in got["ann"]] == [{"hello": "all"}]
    assert [m["body"] for m in got["bob"]] == [{"hello": "all"}, {"just": "bob"}]
    assert [m["body"] for m in got["cy"]] == [{"hello": "all"}]
    assert [m["seq"] for m in got["bob"]] == [1, 2]  # ordered per recipient


def test_an_agent_gets_again_what_it_did_not_acknowledge_after_reconnecting(
    agents: AgentsApiClient,
) -> None:
    agent = agents.create("forgetful", ["chat"])
    raw = RawAgent(agents.edge, agents.key(agent["id"]), "forgetful")

    async def scenario() -> tuple[list[object], list[object], list[object]]:
        await raw.connect()
        for body in ({"n": 1}, {"n": 2}):
            answer = await asyncio.to_thread(
                agents.post, f"/api/agents/{agent['id']}/messages", {"body": body}
            )
            assert answer.status == 201, answer.body
        first = [await raw.next_of("message") for _ in range(2)]
        await raw.send({"type": "message_ack", "message_id": first[0]["message_id"]})
        await raw.next_of("ok")
        await raw.close()
        await asyncio.sleep(0.5)  # the ack is on its way to the scheduler

        await raw.connect()  # only the unacknowledged one comes back
        again = [f for f in await raw.frames_within(3) if f["type"] == "message"]
        for message in again:
            await raw.send({"type": "message_ack", "message_id": message["message_id"]})
        await raw.next_of("ok")
        await raw.close()
        await asyncio.sleep(0.5)

        await raw.connect()  # nothing is left
        last = [f for f in await raw.frames_within(2) if f["type"] == "message"]
        await raw.close()
        return [m["body"] for m in first], [m["body"] for m in again], last

    first, again, last = asyncio.run(scenario())
    assert first == [{"n": 1}, {"n": 2}]
    assert again == [{"n": 2}]
    assert last == []
