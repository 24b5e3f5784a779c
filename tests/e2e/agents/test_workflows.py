"""Workflows on real agent processes: a DAG with a parallel branch and a join, pause/resume,
and definitions refused with their reason."""

from __future__ import annotations

import time
import uuid
from contextlib import ExitStack
from typing import Any

from tests.support.agents_svc.e2e_client import AgentsApiClient, agent_process

FIVE_STEPS = {
    "steps": [
        {"id": "fetch", "capabilities": ["fetch"], "input": {"url": "${context.url}"}},
        {
            "id": "summarize",
            "capabilities": ["summarize"],
            "depends_on": ["fetch"],
            "input": {"text": "${steps.fetch.output.input.url}", "delay_s": 0.3},
        },
        {
            "id": "classify",
            "capabilities": ["classify"],
            "depends_on": ["fetch"],
            "input": {"label": "about ${context.topic}", "delay_s": 0.3},
        },
        {
            "id": "join",
            "capabilities": ["summarize"],
            "depends_on": ["summarize", "classify"],
            "input": {
                "summary": "${steps.summarize.output.agent}",
                "label": "${steps.classify.output.input.label}",
            },
        },
        {
            "id": "publish",
            "capabilities": ["fetch"],
            "depends_on": ["join"],
            "input": {"from": "${steps.join.output.input}"},
        },
    ]
}


def define(agents: AgentsApiClient, definition: dict[str, Any]) -> Any:
    body = {
        "project_id": agents.project_id,
        "name": f"wf-{uuid.uuid4().hex[:6]}",
        "definition": definition,
    }
    return agents.post("/api/workflows", body)


def start_agents(
    stack: ExitStack, agents: AgentsApiClient, specs: dict[str, list[str]]
) -> dict[str, Any]:
    procs = {}
    for name, caps in specs.items():
        agent = agents.create(name, caps)
        procs[name] = stack.enter_context(
            agent_process(agents.edge, name, caps, agents.key(agent["id"]))
        )
        agents.until(f"/api/agents/{agent['id']}", lambda a: a["status"] == "online")
    return procs


def test_three_agents_run_a_five_step_workflow_with_a_parallel_branch_and_a_join(
    agents: AgentsApiClient,
) -> None:
    with ExitStack() as stack:
        start_agents(
            stack, agents, {"fetcher": ["fetch"], "writer": ["summarize"], "tagger": ["classify"]}
        )
        defined = define(agents, FIVE_STEPS)
        assert defined.status == 201, defined.body
        started = agents.post(
            f"/api/workflows/{defined.body['id']}/executions",
            {"context": {"url": "https://example.test/a", "topic": "cats"}},
        )
        assert started.status == 201, started.body
        done = agents.until(
            f"/api/executions/{started.body['id']}",
            lambda e: e["status"] in ("completed", "failed"),
        )

    assert done["status"] == "completed", done
    steps = done["steps"]
    assert {sid: s["status"] for sid, s in steps.items()} == dict.fromkeys(
        ["fetch", "summarize", "classify", "join", "publish"], "completed"
    )
    # Each step ran on an agent with its capability, with input built from earlier outputs.
    assert steps["fetch"]["output"]["agent"] == "fetcher"
    assert steps["summarize"]["output"]["input"]["text"] == "https://example.test/a"
    assert steps["classify"]["output"]["agent"] == "tagger"
    assert steps["join"]["output"]["input"] == {"summary": "writer", "label": "about cats"}
    assert steps["publish"]["output"]["input"]["from"]["label"] == "about cats"
    # The branches ran side by side: both started before either finished.
    latest_start = max(steps["summarize"]["started_at"], steps["classify"]["started_at"])
    earliest_end = min(steps["summarize"]["finished_at"], steps["classify"]["finished_at"])
    assert latest_start < earliest_end
    assert all(s["attempts"] == 1 and s["finished_at"] for s in steps.values())


def test_a_paused_execution_dispatches_nothing_until_resumed(agents: AgentsApiClient) -> None:
    chain = {
        "steps": [
            {"id": "one", "capabilities": ["slow"], "input": {"delay_s": 2}},
            {"id": "two", "capabilities": ["slow"], "depends_on": ["one"], "input": {}},
            {"id": "three", "capabilities": ["slow"], "depends_on": ["two"], "input": {}},
        ]
    }
    with ExitStack() as stack:
        start_agents(stack, agents, {"plodder": ["slow"]})
        defined = define(agents, chain)
        assert defined.status == 201, defined.body
        started = agents.post(f"/api/workflows/{defined.body['id']}/executions", {"context": {}})
        path = f"/api/executions/{started.body['id']}"
        agents.until(path, lambda e: e["steps"]["one"]["status"] == "running")

        paused = agents.post(path + "/pause", {})
        assert paused.status == 200, paused.body
        assert paused.body["status"] == "paused"
        # The step in flight finishes and is recorded; nothing new is dispatched.
        agents.until(path, lambda e: e["steps"]["one"]["status"] == "completed")
        time.sleep(2)
        held = agents.get(path)
        assert held["status"] == "paused"
        assert held["steps"]["two"]["status"] == "waiting"
        assert held["steps"]["two"]["task_id"] is None

        resumed = agents.post(path + "/resume", {})
        assert resumed.status == 200, resumed.body
        done = agents.until(path, lambda e: e["status"] == "completed")
    assert [done["steps"][s]["status"] for s in ("one", "two", "three")] == ["completed"] * 3


def test_invalid_definitions_are_refused_with_the_reason(agents: AgentsApiClient) -> None:
    agents.create("solo", ["known"])
    cycle = define(
        agents,
        {
            "steps": [
                {"id": "a", "capabilities": ["known"], "depends_on": ["c"]},
                {"id": "b", "capabilities": ["known"], "depends_on": ["a"]},
                {"id": "c", "capabilities": ["known"], "depends_on": ["b"]},
            ]
        },
    )
    unknown = define(
        agents, {"steps": [{"id": "a", "capabilities": ["known"], "depends_on": ["ghost"]}]}
    )
    impossible = define(agents, {"steps": [{"id": "train", "capabilities": ["gpu"]}]})

    assert cycle.status == 422, cycle.body
    assert "cycle: a -> c -> b -> a" in cycle.body["detail"]
    assert unknown.status == 422, unknown.body
    assert "step a depends on unknown step ghost" in unknown.body["detail"]
    assert impossible.status == 422, impossible.body
    assert "no agent offers capabilities [gpu] for step train" in impossible.body["detail"]
