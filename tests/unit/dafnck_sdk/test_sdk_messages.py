"""Messages to an SDK agent (once each, acked) and direct messages from it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from dafnck_sdk import DeliveryError, Message, Task
from tests.unit.dafnck_sdk.fake_edge import make_agent, running_edge, serving, until


async def _idle(task: Task) -> dict[str, Any]:
    return {}


def _message(message_id: str, seq: int) -> dict[str, Any]:
    return {
        "type": "message",
        "agent_id": "agent-1",
        "message_id": message_id,
        "seq": seq,
        "sender": "user:u1",
        "body": {"text": f"hello {seq}"},
        "sent_at": "2024-01-01T00:00:00Z",
    }


async def test_each_message_reaches_the_callback_once_and_every_delivery_is_acked() -> None:
    seen: list[Message] = []

    async def on_message(message: Message) -> None:
        seen.append(message)

    async with (
        running_edge() as edge,
        serving(make_agent(edge, _idle, on_message=on_message), edge),
    ):
        await edge.send(_message("m1", 1))
        await edge.send(_message("m2", 2))
        await until(lambda: len(edge.frames("message_ack")) == 2)
        await edge.send(_message("m1", 1))  # redelivered: acked again, not handled again
        await until(lambda: len(edge.frames("message_ack")) == 3)
    assert [(m.message_id, m.seq, m.sender, m.body) for m in seen] == [
        ("m1", 1, "user:u1", {"text": "hello 1"}),
        ("m2", 2, "user:u1", {"text": "hello 2"}),
    ]
    acks = edge.frames("message_ack")
    assert [a["message_id"] for a in acks] == ["m1", "m2", "m1"]
    assert [a["ref"] for a in acks] == sorted({a["ref"] for a in acks})


async def test_a_sync_callback_works_and_a_failing_one_still_gets_its_message_acked() -> None:
    seen: list[str] = []

    def on_message(message: Message) -> None:
        seen.append(message.message_id)
        if message.message_id == "bad":
            raise RuntimeError("cannot handle it")

    async with (
        running_edge() as edge,
        serving(make_agent(edge, _idle, on_message=on_message), edge),
    ):
        await edge.send(_message("bad", 1))
        await edge.send(_message("good", 2))
        await until(lambda: len(edge.frames("message_ack")) == 2)
    assert seen == ["bad", "good"]


async def test_send_returns_once_the_edge_accepts_and_raises_when_it_keeps_refusing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("dafnck_sdk.outbox.REFUSAL_RETRIES_S", (0.01, 0.01))
    async with running_edge() as edge:
        edge.errors = lambda f: "agent_not_found" if f.get("to") == "nobody" else None
        agent = make_agent(edge, _idle)
        async with serving(agent, edge):
            await asyncio.wait_for(agent.send("agent-2", {"hi": 1}), 2)
            with pytest.raises(DeliveryError, match="agent_not_found"):
                await asyncio.wait_for(agent.send("nobody", {"hi": 2}), 2)
    sends = [(f["to"], f["ref"]) for f in edge.frames("send")]
    assert sends == [("agent-2", 1), ("nobody", 2), ("nobody", 2), ("nobody", 2)]  # 2 retries
