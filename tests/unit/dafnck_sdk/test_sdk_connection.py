"""The SDK's connection: resending unconfirmed reports, heartbeats, refusals, stopping."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest

from dafnck_sdk import AgentAuthError, Task
from tests.unit.dafnck_sdk.fake_edge import make_agent, running_edge, serving, until


async def test_confirmed_reports_are_not_resent_after_a_reconnect_unconfirmed_ones_are() -> None:
    async def handler(task: Task) -> dict[str, Any]:
        return {"done": task.task_id}

    async with running_edge() as edge:
        edge.ok = lambda frame: frame["type"] == "started"  # the result's ok never comes
        async with serving(make_agent(edge, handler), edge):
            await edge.offer("t1")
            await until(lambda: edge.frames("result"))
            edge.ok = lambda frame: True
            await edge.drop()
            await until(lambda: edge.frames("result", conn=2))
            resent = [
                (f["type"], f["ref"]) for f in edge.received if f["_conn"] == 2 and "ref" in f
            ]
    first = [(f["type"], f["ref"]) for f in edge.received if f["_conn"] == 1 and "ref" in f]
    assert first == [("started", 1), ("result", 2)]
    assert resent == [("result", 2)]
    # The finished task is still named in the hello so the scheduler accepts its result.
    assert edge.hellos[1]["running"] == ["t1"]


async def test_a_report_the_edge_could_not_record_is_sent_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("dafnck_sdk.outbox.REFUSAL_RETRIES_S", (0.01,))
    refusals: list[int] = []

    def kafka_hiccup(frame: dict[str, Any]) -> str | None:
        if frame["type"] != "result" or refusals:
            return None
        refusals.append(frame["ref"])
        return "not recorded: KafkaTimeoutError"

    async def handler(task: Task) -> dict[str, Any]:
        return {"done": True}

    async with running_edge() as edge:
        edge.errors = kafka_hiccup
        async with serving(make_agent(edge, handler), edge):
            await edge.offer("t1")
            await until(lambda: len(edge.frames("result")) == 2)
            await asyncio.sleep(0.05)
    assert [f["ref"] for f in edge.frames("result")] == [2, 2]  # once more, then confirmed


async def test_a_task_finishing_while_the_edge_is_unreachable_is_reported_once_back() -> None:
    release = asyncio.Event()

    async def handler(task: Task) -> dict[str, Any]:
        await release.wait()
        await task.progress(0.3)
        await task.progress(0.6)
        return {"ok": 1}

    async with running_edge() as edge, serving(make_agent(edge, handler), edge):
        await edge.offer("t1")
        await until(lambda: edge.frames("started"))
        edge.down = True
        await edge.drop()
        release.set()
        await until(lambda: edge.handshakes >= 2)  # refused while down
        edge.down = False
        await until(lambda: edge.frames("result", conn=2), timeout=5)
        back = [f["type"] for f in edge.received if f["_conn"] == 2 and "ref" in f]
    assert edge.hellos[1]["running"] == ["t1"]
    # Only the newest progress of the attempt is resent, before the result.
    assert back == ["progress", "result"]
    assert edge.frames("progress", conn=2)[0]["progress"] == 0.6


async def test_heartbeats_go_out_at_the_interval_the_welcome_gives() -> None:
    async def handler(task: Task) -> dict[str, Any]:
        return {}

    async with (
        running_edge(heartbeat_interval_s=0.05) as edge,
        serving(make_agent(edge, handler), edge),
    ):
        await until(lambda: len(edge.frames("heartbeat")) >= 4)
    beats = [f["_at"] for f in edge.frames("heartbeat")]
    gaps = [later - earlier for earlier, later in itertools.pairwise(beats)]
    assert all(0.03 < gap < 0.5 for gap in gaps), gaps  # not the 5 s default


async def test_a_refused_key_raises_the_edges_reason_without_retrying() -> None:
    async def handler(task: Task) -> dict[str, Any]:
        return {}

    async with running_edge() as edge:
        agent = make_agent(edge, handler, api_key="dka_k1_wrong")
        with pytest.raises(AgentAuthError) as refused:
            await asyncio.wait_for(agent.serve(), 3)
    assert refused.value.status == 401
    assert "unknown or revoked agent key" in refused.value.reason
    assert edge.handshakes == 2  # the upgrade, then one plain GET to read the reason


async def test_a_refused_hello_close_4003_raises_with_the_error_frames_detail() -> None:
    async def handler(task: Task) -> dict[str, Any]:
        return {}

    async with running_edge() as edge:
        edge.reject_hello = "name 'tester' is not the name of this key's agent"
        with pytest.raises(AgentAuthError) as refused:
            await asyncio.wait_for(make_agent(edge, handler).serve(), 3)
    assert refused.value.close_code == 4003
    assert refused.value.reason == "name 'tester' is not the name of this key's agent"
    assert edge.connections == 1


async def test_a_newer_connection_replacing_this_one_stops_the_agent() -> None:
    async def handler(task: Task) -> dict[str, Any]:
        return {}

    async with running_edge() as edge:
        job = asyncio.create_task(make_agent(edge, handler).serve())
        await until(lambda: edge.ws is not None)
        await edge.drop(code=4001)
        await asyncio.wait_for(job, 3)  # returns, no error
        assert edge.connections == 1


async def test_stop_lets_the_running_task_finish_reports_it_and_takes_no_new_one() -> None:
    release = asyncio.Event()

    async def handler(task: Task) -> dict[str, Any]:
        await release.wait()
        return {"task": task.task_id}

    async with running_edge() as edge:
        agent = make_agent(edge, handler, concurrency=2)
        job = asyncio.create_task(agent.serve())
        await until(lambda: edge.ws is not None)
        await edge.offer("t1")
        await until(lambda: edge.frames("started"))
        agent.stop()
        await asyncio.sleep(0.02)
        await edge.offer("t2")  # too late: not taken
        assert not job.done()
        release.set()
        await asyncio.wait_for(job, 3)
    assert [f["task_id"] for f in edge.frames("result")] == ["t1"]
    assert [f["task_id"] for f in edge.frames("started")] == ["t1"]


async def test_a_task_still_running_after_the_grace_period_is_failed_retryably() -> None:
    async def handler(task: Task) -> dict[str, Any]:
        await asyncio.sleep(60)
        return {}

    async with running_edge() as edge:
        agent = make_agent(edge, handler, grace_s=0.05)
        job = asyncio.create_task(agent.serve())
        await until(lambda: edge.ws is not None)
        await edge.offer("t1")
        await until(lambda: edge.frames("started"))
        agent.stop()
        await asyncio.wait_for(job, 3)
    failure = edge.frames("failure")[0]
    assert failure["retryable"] is True and failure["error"].startswith("AgentStopped")


async def test_an_unreachable_edge_is_retried_and_stop_still_returns_promptly() -> None:
    async def handler(task: Task) -> dict[str, Any]:
        return {}

    async with running_edge() as edge:
        edge.down = True
        agent = make_agent(edge, handler)
        job = asyncio.create_task(agent.serve())
        await until(lambda: edge.handshakes >= 2)  # retried after the backoff
        agent.stop()
        await asyncio.wait_for(job, 2)
    assert edge.connections == 0
