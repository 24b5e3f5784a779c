"""Tasks offered to an SDK agent: run once each, within the concurrency, reported with refs."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from dafnck_sdk import PermanentFailure, Task
from tests.unit.dafnck_sdk.fake_edge import make_agent, running_edge, serving, until


async def test_a_task_runs_and_its_started_and_result_reports_carry_increasing_refs() -> None:
    async def handler(task: Task) -> dict[str, Any]:
        await task.progress(0.5, "halfway")
        return {"seen": task.input["text"], "project": task.project_id}

    async with running_edge() as edge:
        agent = make_agent(edge, handler, concurrency=3)
        async with serving(agent, edge):
            await edge.offer("t1", input={"text": "hello"})
            await until(lambda: edge.frames("result"))
            assert agent.agent_id == "agent-1"
    assert edge.hellos[0] == {
        "type": "hello",
        "name": "tester",
        "capabilities": ["x"],
        "concurrency": 3,
        "running": [],
    }
    reports = [f for f in edge.received if "ref" in f]
    assert [(f["type"], f["ref"]) for f in reports] == [
        ("started", 1),
        ("progress", 2),
        ("result", 3),
    ]
    assert reports[1]["progress"] == 0.5 and reports[1]["message"] == "halfway"
    assert reports[2]["task_id"] == "t1" and reports[2]["attempt"] == 1
    assert reports[2]["output"] == {"seen": "hello", "project": "p1"}


async def test_a_redelivered_offer_is_not_run_twice_but_answered_again() -> None:
    calls: list[tuple[str, int]] = []
    release = asyncio.Event()

    async def handler(task: Task) -> dict[str, Any]:
        calls.append((task.task_id, task.attempt))
        await release.wait()
        return {"n": len(calls)}

    async with running_edge() as edge, serving(make_agent(edge, handler), edge):
        await edge.offer("t1")
        await until(lambda: edge.frames("started"))
        await edge.offer("t1")  # while it runs
        release.set()
        await until(lambda: edge.frames("result"))
        await edge.offer("t1")  # after it finished: the result is said again
        await until(lambda: len(edge.frames("result")) == 2)
        await edge.offer("t1", attempt=2)  # a new attempt does run
        await until(lambda: len(edge.frames("result")) == 3)
    assert calls == [("t1", 1), ("t1", 2)]
    first, again, _ = edge.frames("result")
    assert again["output"] == first["output"] and again["ref"] > first["ref"]


async def test_never_more_than_concurrency_handlers_run_at_once() -> None:
    now = peak = 0

    async def handler(task: Task) -> dict[str, Any]:
        nonlocal now, peak
        now += 1
        peak = max(peak, now)
        await asyncio.sleep(0.03)
        now -= 1
        return {}

    async with running_edge() as edge, serving(make_agent(edge, handler, concurrency=2), edge):
        for i in range(5):
            await edge.offer(f"t{i}")
        await until(lambda: len(edge.frames("result")) == 5)
    assert peak == 2


async def test_a_revoke_cancels_the_handler_reports_nothing_for_it_and_frees_the_slot() -> None:
    cancelled = asyncio.Event()

    async def handler(task: Task) -> dict[str, Any]:
        if task.task_id == "slow":
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                cancelled.set()
                raise
        return {"task": task.task_id}

    async with running_edge() as edge, serving(make_agent(edge, handler, concurrency=1), edge):
        await edge.offer("slow")
        await until(lambda: edge.frames("started"))
        await edge.offer("next")  # waits for the only slot
        await edge.send({"type": "revoke", "task_id": "slow", "attempt": 1, "reason": "x"})
        await asyncio.wait_for(cancelled.wait(), 2)
        await until(lambda: edge.frames("result"))
    assert [f["task_id"] for f in edge.frames("result")] == ["next"]
    assert edge.frames("failure") == []


async def test_a_handler_exception_is_a_retryable_failure_and_permanent_failure_is_not() -> None:
    async def handler(task: Task) -> dict[str, Any]:
        if task.task_id == "boom":
            raise ValueError("boom")
        if task.task_id == "long":
            raise RuntimeError("x" * 5000)
        raise PermanentFailure("input.text is required")

    async with running_edge() as edge, serving(make_agent(edge, handler, concurrency=3), edge):
        for task_id in ("boom", "long", "bad"):
            await edge.offer(task_id)
        await until(lambda: len(edge.frames("failure")) == 3)
    failures = {f["task_id"]: f for f in edge.frames("failure")}
    assert failures["boom"]["error"] == "ValueError: boom"
    assert failures["boom"]["retryable"] is True
    assert len(failures["long"]["error"]) == 2000
    assert failures["long"]["error"].startswith("RuntimeError: xxx")
    assert failures["bad"]["error"] == "PermanentFailure: input.text is required"
    assert failures["bad"]["retryable"] is False


async def test_a_sync_handler_runs_in_a_thread_and_a_non_dict_output_fails_for_good() -> None:
    threads: list[bool] = []

    def handler(task: Task) -> Any:
        threads.append(threading.current_thread() is threading.main_thread())
        task.progress_threadsafe(1.0)
        return {"ok": True} if task.task_id == "good" else "just text"

    async with running_edge() as edge, serving(make_agent(edge, handler, concurrency=2), edge):
        await edge.offer("good")
        await edge.offer("text")
        await until(lambda: edge.frames("result") and edge.frames("failure"))
    assert threads == [False, False]
    assert edge.frames("result")[0]["output"] == {"ok": True}
    failure = edge.frames("failure")[0]
    assert failure["retryable"] is False and "returned str, not a dict" in failure["error"]


async def test_a_handler_past_the_task_timeout_fails_retryably() -> None:
    async def handler(task: Task) -> dict[str, Any]:
        await asyncio.sleep(5)
        return {}

    async with running_edge() as edge, serving(make_agent(edge, handler), edge):
        await edge.offer("t1", timeout_s=0.05)
        await until(lambda: edge.frames("failure"))
    failure = edge.frames("failure")[0]
    assert failure["retryable"] is True
    assert failure["error"] == "TimeoutError: the handler did not finish within 0.05s"
