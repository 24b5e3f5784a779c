"""The agents context's Prometheus metrics, observed from each decision's events."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from agents_svc.domain.decision import SchedulerDecision
from agents_svc.domain.state import TASK, SchedulerState

AGENTS_CREATED = Counter("agents_created_total", "Agents registered.")
WORKFLOW_EXECUTIONS = Counter(
    "workflow_executions_total",
    "Workflow executions, by how they ended (started counts all).",
    ["status"],
)
TASK_COMPLETION = Histogram(
    "task_completion_duration_seconds",
    "From a task's start on an agent to its result.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800),
)
TASKS_IN_FLIGHT = Gauge("tasks_in_flight", "Tasks assigned to or running on an agent.")
TASKS_QUEUED = Gauge("tasks_queued", "Tasks waiting for an agent.")
DISPATCH_LATENCY = Histogram(
    "task_dispatch_latency_seconds",
    "From a task being queued to its assignment to an agent.",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 300),
)
TASKS_FINISHED = Counter("tasks_finished_total", "Tasks finished, by outcome.", ["outcome"])


def observe(decision: SchedulerDecision, state: SchedulerState) -> None:
    """Count what a decision did."""
    for out in decision.outputs:
        if out.kind != "event":
            continue
        if out.type == "AgentCreated":
            AGENTS_CREATED.inc()
        elif out.type == "ExecutionStarted":
            WORKFLOW_EXECUTIONS.labels("started").inc()
        elif out.type == "ExecutionStatusChanged" and out.data["to"] in (
            "completed",
            "failed",
            "cancelled",
        ):
            WORKFLOW_EXECUTIONS.labels(out.data["to"]).inc()
        elif out.type == "TaskCompleted":
            TASK_COMPLETION.observe(out.data["duration_s"])
            TASKS_FINISHED.labels("completed").inc()
        elif out.type == "TaskFailed" and out.data["final"]:
            TASKS_FINISHED.labels("failed").inc()
        elif out.type == "TaskCancelled":
            TASKS_FINISHED.labels("cancelled").inc()
        elif out.type == "TaskAssigned":
            task = state.get(TASK + out.data["task_id"])
            if task is not None and task.get("queued_at") is not None:
                DISPATCH_LATENCY.observe(max(0.0, decision.now - float(task["queued_at"])))
    TASKS_IN_FLIGHT.set(sum(len(v) for v in state.load.values()))
    TASKS_QUEUED.set(sum(len(q) for q in state.pending.values()))
