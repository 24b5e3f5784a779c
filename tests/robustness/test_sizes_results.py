"""No result size stops the agents worker: results at, over and far over the limit, a decision
larger than a Kafka message, and a restart that replays it all."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from agents_svc.domain.sizes import RESULT_MAX_BYTES
from streams.tooling.stack import Endpoints
from tests.support.agents_svc.e2e_client import AgentsApiClient as Agents
from tests.support.agents_svc.e2e_client import RawAgent
from tests.support.platform_run import running_platform

SETTINGS = {"DAFNCK_AGENT_HEARTBEAT_TIMEOUT_S": "120"}  # raw agents here do not beat
BULK_TASKS = 16
BULK_INPUT_BYTES = 60_000  # just under what the edge takes as a request body


def of_size(size: int) -> dict[str, Any]:
    """An output whose compact JSON is exactly ``size`` bytes."""
    return {"t": "a" * (size - len('{"t":""}'))}


def submit(agents: Agents, capability: str, task_input: dict[str, Any]) -> str:
    answer = agents.post(
        "/api/tasks",
        {"project_id": agents.project_id, "capabilities": [capability], "input": task_input},
    )
    assert answer.status == 201, answer.body
    return str(answer.body["id"])


def finished(agents: Agents, task_id: str) -> dict[str, Any]:
    return dict(
        agents.until(
            f"/api/tasks/{task_id}",
            lambda t: t["status"] in ("completed", "failed"),
            timeout=90,
        )
    )


async def connect(raw: RawAgent, concurrency: int) -> None:
    """RawAgent.connect with a concurrency of our choosing."""
    raw.session = aiohttp.ClientSession()
    raw.ws = await raw.session.ws_connect(
        raw.url, headers={"Authorization": f"AgentKey {raw.key}"}
    )
    hello: dict[str, Any] = {"type": "hello", "name": raw.name, "capabilities": None}
    await raw.send({**hello, "concurrency": concurrency, "running": []})
    welcome = await raw.receive()
    assert welcome["type"] == "welcome", welcome


async def answer_to(raw: RawAgent, ref: int) -> dict[str, Any]:
    """The edge's ok or error frame for our frame ``ref``."""
    while True:
        frame = await raw.receive(timeout=60)
        if frame["type"] in ("ok", "error") and frame.get("ref") == ref:
            return frame


async def report(raw: RawAgent, agents: Agents, output: dict[str, Any]) -> tuple[str, Any]:
    """Submit a task, take it, report ``output``; (task id, the edge's answer to the result)."""
    task_id = await asyncio.to_thread(submit, agents, raw.name, {"n": 1})
    offer = await raw.next_of("task", timeout=60)
    assert offer["task_id"] == task_id
    base = {"task_id": task_id, "attempt": offer["attempt"]}
    await raw.send({"type": "started", **base})
    ref = await raw.send({"type": "result", **base, "output": output})
    return task_id, await answer_to(raw, ref)


async def results_of_every_size(agents: Agents, key: str) -> dict[str, tuple[str, Any]]:
    raw = RawAgent(agents.edge, key, "sizes")
    await connect(raw, 1)
    try:
        return {
            "700 KB": await report(raw, agents, of_size(700_000)),
            "at the limit": await report(raw, agents, of_size(RESULT_MAX_BYTES)),
            "one byte over": await report(raw, agents, of_size(RESULT_MAX_BYTES + 1)),
            "normal": await report(raw, agents, {"answer": 42}),
        }
    finally:
        await raw.close()


async def take_offers(agents: Agents, key: str, complete: bool) -> list[str]:
    """Connect the bulk agent, take every offer; complete them when told to."""
    raw = RawAgent(agents.edge, key, "bulk")
    await connect(raw, BULK_TASKS)
    try:
        offers = [await raw.next_of("task", timeout=90) for _ in range(BULK_TASKS)]
        for offer in offers if complete else []:
            base = {"task_id": offer["task_id"], "attempt": offer["attempt"]}
            await raw.send({"type": "started", **base})
            await answer_to(raw, await raw.send({"type": "result", **base, "output": {"ok": 1}}))
        return sorted(o["task_id"] for o in offers)
    finally:
        await raw.close()


def refused_clearly(answer: dict[str, Any], task: dict[str, Any]) -> None:
    limit = f"over the limit of {RESULT_MAX_BYTES} bytes"
    assert answer["type"] == "error" and answer["code"] == "too_large", answer
    assert limit in answer["detail"]
    assert task["status"] == "failed", task
    assert limit in task["error"] and task["output"] is None


def test_results_are_bounded_and_the_agents_worker_replays_cleanly_after_a_restart(
    endpoints: Endpoints, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    state.mkdir()
    with running_platform(endpoints, state, SETTINGS) as edge:
        agents = Agents(edge, edge.admin_token())
        sizes = agents.create("sizes", ["sizes"], capacity=1)
        # One decision offering sixteen tasks of 60 KB inputs: ~2 MB journaled for it.
        bulk = agents.create("bulk", ["bulk"], capacity=BULK_TASKS)
        bulk_key = agents.key(bulk["id"])
        bulk_ids = sorted(
            submit(agents, "bulk", of_size(BULK_INPUT_BYTES)) for _ in range(BULK_TASKS)
        )
        assert asyncio.run(take_offers(agents, bulk_key, complete=False)) == bulk_ids
        assigned = {
            t: agents.until(f"/api/tasks/{t}", lambda v: v["status"] == "assigned")["assigned_at"]
            for t in bulk_ids
        }
        # The worker goes on: results of every size, each answered, then a normal task.
        answers = asyncio.run(results_of_every_size(agents, agents.key(sizes["id"])))
        tasks = {case: finished(agents, task_id) for case, (task_id, _a) in answers.items()}

        refused_clearly(answers["700 KB"][1], tasks["700 KB"])
        refused_clearly(answers["one byte over"][1], tasks["one byte over"])
        assert answers["at the limit"][1]["type"] == "ok"
        assert tasks["at the limit"]["status"] == "completed"
        assert len(orjson.dumps(tasks["at the limit"]["output"])) == RESULT_MAX_BYTES
        assert tasks["normal"]["status"] == "completed"
        assert tasks["normal"]["output"] == {"answer": 42}

        project = agents.project_id

    # The same state and Kafka: the worker replays its journal, parts included.
    with running_platform(endpoints, state, SETTINGS) as edge:
        agents = Agents(edge, edge.admin_token(), project_id=project)
        # Assigned before the restart, offered again on reconnecting, completed now.
        assert asyncio.run(take_offers(agents, bulk_key, complete=True)) == bulk_ids
        for task_id in bulk_ids:
            done = finished(agents, task_id)
            assert done["status"] == "completed"
            # The assignment journaled before the restart stood: not decided a second time.
            assert (done["attempt"], done["assigned_at"]) == (1, assigned[task_id])
        again = asyncio.run(later_result(agents, agents.key(sizes["id"])))
        assert again["status"] == "completed"


async def later_result(agents: Agents, key: str) -> dict[str, Any]:
    raw = RawAgent(agents.edge, key, "sizes")
    await connect(raw, 1)
    try:
        task_id, answer = await report(raw, agents, of_size(RESULT_MAX_BYTES))
        assert answer["type"] == "ok", answer
    finally:
        await raw.close()
    return await asyncio.to_thread(finished, agents, task_id)
