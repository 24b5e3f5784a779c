"""Tasks on real agent processes: a killed agent's task moves on, a result counts once."""

from __future__ import annotations

import asyncio
import signal
from contextlib import ExitStack

from streams.tooling.stack import Endpoints
from tests.e2e.agents.conftest import HEARTBEAT_TIMEOUT_S
from tests.support.agents_svc.e2e_client import AgentsApiClient, RawAgent, agent_process, events_of


def submit(agents: AgentsApiClient, capabilities: list[str], task_input: dict[str, object]) -> str:
    answer = agents.post(
        "/api/tasks",
        {"project_id": agents.project_id, "capabilities": capabilities, "input": task_input},
    )
    assert answer.status == 201, answer.body
    return str(answer.body["id"])


def test_a_killed_agents_task_completes_once_on_another_agent(
    agents: AgentsApiClient, endpoints: Endpoints
) -> None:
    with ExitStack() as stack:
        procs, ids = {}, {}
        for name in ("first", "second"):
            agent = agents.create(name, ["crunch"], capacity=1)
            ids[name] = agent["id"]
            procs[name] = stack.enter_context(
                agent_process(agents.edge, name, ["crunch"], agents.key(agent["id"]), concurrency=1)
            )
            agents.until(f"/api/agents/{agent['id']}", lambda a: a["status"] == "online")
        task_id = submit(agents, ["crunch"], {"delay_s": 3})
        running = agents.until(f"/api/tasks/{task_id}", lambda t: t["status"] == "running")
        victim = next(n for n, i in ids.items() if i == running["agent_id"])
        survivor = next(n for n in ids if n != victim)

        procs[victim].send_signal(signal.SIGKILL)
        done = agents.until(
            f"/api/tasks/{task_id}",
            lambda t: t["status"] == "completed",
            timeout=HEARTBEAT_TIMEOUT_S + 30,
        )
        offline = agents.until(f"/api/agents/{ids[victim]}", lambda a: a["status"] == "offline")

    assert done["agent_id"] == ids[survivor]
    assert done["output"]["agent"] == survivor
    assert done["attempt"] == 2  # a second delivery; the retry budget is untouched
    assert done["failures"] == 0
    assert offline["status"] == "offline"
    completions = events_of(endpoints.kafka_bootstrap, task_id, {"TaskCompleted"})
    assert len(completions) == 1
    released = events_of(endpoints.kafka_bootstrap, task_id, {"TaskReleased"})
    assert [e["data"]["reason"] for e in released] == ["heartbeat_timeout"]


def test_a_result_reported_twice_completes_the_task_once(
    agents: AgentsApiClient, endpoints: Endpoints
) -> None:
    agent = agents.create("twice", ["echo"])
    raw = RawAgent(agents.edge, agents.key(agent["id"]), "twice")

    async def report_twice() -> tuple[str, list[dict[str, object]]]:
        await raw.connect()
        try:
            task_id = await asyncio.to_thread(submit, agents, ["echo"], {"n": 1})
            offer = await raw.next_of("task")
            assert offer["task_id"] == task_id
            base = {"task_id": task_id, "attempt": offer["attempt"]}
            await raw.send({"type": "started", **base})
            for n in (1, 2):  # the same result, reported twice (a retry after a lost ok)
                await raw.send({"type": "result", **base, "output": {"answer": 42, "copy": n}})
            acks = [await raw.next_of("ok") for _ in range(3)]
            return task_id, acks
        finally:
            await raw.close()

    task_id, acks = asyncio.run(report_twice())
    assert sorted(a["ref"] for a in acks) == [1, 2, 3]
    done = agents.until(f"/api/tasks/{task_id}", lambda t: t["status"] == "completed")
    assert done["output"] == {"answer": 42, "copy": 1}  # the first report wins
    completions = events_of(endpoints.kafka_bootstrap, task_id, {"TaskCompleted"})
    assert len(completions) == 1
