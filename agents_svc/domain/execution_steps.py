"""What a workflow step's task does to its execution: started, requeued, completed, failed."""

from __future__ import annotations

from typing import Any

from agents_svc.domain.decision import SchedulerDecision
from agents_svc.domain.executions import advance, fail_execution, finish_execution, step_changed
from agents_svc.domain.state import EXECUTION, Record
from agents_svc.domain.tasks import release, task_key


def step_started(dec: SchedulerDecision, task: Record) -> None:
    """The step's task started on an agent."""
    ex = _execution_of(dec, task)
    if ex is not None:
        step_changed(
            dec,
            ex,
            task["step_id"],
            "running",
            task_id=task["id"],
            attempts=task["attempt"],
            started_at=dec.now,
        )


def release_task(dec: SchedulerDecision, task: Record, reason: str) -> Record:
    """Take a task back from its agent; a workflow step shows it is queued again."""
    task = release(dec, task, reason)
    step_requeued(dec, task)
    return task


def step_requeued(dec: SchedulerDecision, task: Record, error: str | None = None) -> None:
    """The step's task went back to the queue (a retry, or its agent was lost)."""
    ex = _execution_of(dec, task)
    if ex is None:
        return
    if ex["status"] == "paused":
        # Back in the queue while paused: held like every other queued task of the execution.
        dec.update(task_key(task["id"]), held=True)
    if ex["steps"][task["step_id"]]["status"] != "queued":
        step_changed(dec, ex, task["step_id"], "queued", task_id=task["id"], error=error)


def step_completed(dec: SchedulerDecision, task: Record, output: dict[str, Any]) -> None:
    """Record the step's output; the execution completes or moves on."""
    ex = _execution_of(dec, task)
    if ex is None:
        return
    ex = step_changed(
        dec,
        ex,
        task["step_id"],
        "completed",
        task_id=task["id"],
        attempts=task["attempt"],
        output=output,
        finished_at=dec.now,
        error=None,
    )
    if all(s["status"] == "completed" for s in ex["steps"].values()):
        outputs = {sid: s.get("output") for sid, s in ex["steps"].items()}
        finish_execution(dec, ex, "completed", outputs=outputs)
    else:
        advance(dec, ex)


def step_failed(dec: SchedulerDecision, task: Record, error: str) -> None:
    """The step failed for good: so does its execution."""
    ex = _execution_of(dec, task)
    if ex is not None:
        ex = step_changed(
            dec,
            ex,
            task["step_id"],
            "failed",
            task_id=task["id"],
            attempts=task["attempt"],
            error=error,
            finished_at=dec.now,
        )
        fail_execution(dec, ex, f"step {task['step_id']} failed: {error}")


def _execution_of(dec: SchedulerDecision, task: Record) -> Record | None:
    if not task.get("execution_id"):
        return None
    return dec.get(EXECUTION + task["execution_id"])
