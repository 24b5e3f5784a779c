"""The SDK refuses to send what the edge would refuse for its size, and says why."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from dafnck_sdk import Task, protocol
from dafnck_sdk.errors import DeliveryError
from tests.unit.dafnck_sdk.fake_edge import make_agent, running_edge, serving, until


def of_size(size: int) -> dict[str, Any]:
    """An output whose compact JSON is exactly ``size`` bytes."""
    return {"t": "a" * (size - len('{"t":""}'))}


async def test_an_output_over_the_result_limit_fails_the_task_for_good_instead() -> None:
    async def handler(task: Task) -> dict[str, Any]:
        extra = 1 if task.task_id == "over" else 0
        return of_size(protocol.MAX_RESULT_BYTES + extra)

    async with running_edge() as edge, serving(make_agent(edge, handler, concurrency=2), edge):
        await edge.offer("at")
        await edge.offer("over")
        await until(lambda: edge.frames("result") and edge.frames("failure"))
    assert [f["task_id"] for f in edge.frames("result")] == ["at"]
    (failure,) = edge.frames("failure")
    assert failure["task_id"] == "over" and failure["retryable"] is False
    size = protocol.MAX_RESULT_BYTES + 1
    assert failure["error"] == (
        f"OutputTooLarge: the handler's output is {size} bytes as JSON, over the limit of "
        f"{protocol.MAX_RESULT_BYTES} bytes for a result"
    )


async def test_a_long_progress_note_is_cut_to_what_the_edge_accepts() -> None:
    async def handler(task: Task) -> dict[str, Any]:
        await task.progress(0.5, "n" * 5000)
        return {}

    async with running_edge() as edge, serving(make_agent(edge, handler), edge):
        await edge.offer("t")
        await until(lambda: edge.frames("result"))
    (note,) = edge.frames("progress")
    assert len(note["message"]) == protocol.MAX_PROGRESS_MESSAGE_CHARS


async def test_a_report_refused_as_too_large_is_dropped_not_sent_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("dafnck_sdk.outbox.REFUSAL_RETRIES_S", (0.01, 0.01))
    async def handler(task: Task) -> dict[str, Any]:
        return {"ok": True}

    async with running_edge() as edge:
        edge.ok = lambda frame: frame.get("type") != "result" or frame["task_id"] != "t"
        async with serving(make_agent(edge, handler), edge):
            await edge.offer("t")
            await until(lambda: edge.frames("result"))
            ref = edge.frames("result")[0]["ref"]
            await edge.send({"type": "error", "detail": "too big", "ref": ref, "code": "too_large"})
            await asyncio.sleep(0.2)  # well past any retry
            await edge.offer("u")  # a later frame proves the connection still works
            await until(lambda: edge.frames("result")[-1]["task_id"] == "u")
    assert [f["task_id"] for f in edge.frames("result")] == ["t", "u"]


async def test_a_direct_message_body_over_the_limit_is_refused_before_sending() -> None:
    async def handler(task: Task) -> dict[str, Any]:
        return {}

    async with running_edge() as edge:
        agent = make_agent(edge, handler)
        async with serving(agent, edge):
            with pytest.raises(DeliveryError, match="over the limit of 65536 bytes"):
                await agent.send("someone", of_size(protocol.MAX_BODY_BYTES + 1))
            await asyncio.wait_for(agent.send("someone", of_size(protocol.MAX_BODY_BYTES)), 2)
    assert len(edge.frames("send")) == 1
