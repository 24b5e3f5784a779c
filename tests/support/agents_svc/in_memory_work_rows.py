"""Executions, their steps and tasks into ``FakeAgentsReadModel``'s rows.

Each applier does to the rows what its statement in
``agents_svc/worker/projector/work_statements.py`` does, guards included: nothing moves a
finished task, step or execution again, and a task never goes back to an older attempt.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.support.agents_svc.fake_backends import FakeAgentsReadModel, Row
from tests.support.agents_svc.in_memory_agent_rows import Apply, later

TERMINAL = ("completed", "failed", "cancelled")


def _step() -> Row:
    return {
        "status": "waiting",
        "task_id": None,
        "attempts": 0,
        "started_at": None,
        "finished_at": None,
        "output": None,
        "error": None,
    }


def execution_started(rm: FakeAgentsReadModel, d: dict[str, Any], at: datetime) -> None:
    rm.executions_by_id.setdefault(
        d["execution_id"],
        {
            "id": d["execution_id"],
            "workflow_id": d["workflow_id"],
            "workflow_version": d["workflow_version"],
            "project_id": d["project_id"],
            "status": "running",
            "context": d["context"],
            "steps": {step_id: _step() for step_id in d["step_ids"]},
            "started_by": d["started_by"],
            "created_at": at,
            "updated_at": at,
            "finished_at": None,
            "outputs": None,
        },
    )


def execution_status_changed(rm: FakeAgentsReadModel, d: dict[str, Any], at: datetime) -> None:
    execution = rm.executions_by_id.get(d["execution_id"])
    if execution is None or execution["status"] in TERMINAL:
        return
    execution.update(status=d["to"], updated_at=later(execution["updated_at"], at))
    if d["to"] in TERMINAL:
        execution["finished_at"] = at
    if d.get("outputs") is not None:
        execution["outputs"] = d["outputs"]


def step_status_changed(rm: FakeAgentsReadModel, d: dict[str, Any], at: datetime) -> None:
    execution = rm.executions_by_id.get(d["execution_id"])
    if execution is None:
        return
    old = execution["steps"].get(d["step_id"], {})
    if old.get("status", "waiting") in TERMINAL:
        return
    moment = at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    started = old.get("started_at")
    execution["steps"][d["step_id"]] = {
        **old,
        "status": d["to"],
        "task_id": d.get("task_id") or old.get("task_id"),
        "attempts": d.get("attempt") or 0,
        "started_at": (started or moment) if d["to"] == "running" else started,
        "finished_at": moment if d["to"] in TERMINAL else None,
        "output": d.get("output"),
        "error": d.get("error"),
    }
    execution["updated_at"] = later(execution["updated_at"], at)


def task_queued(rm: FakeAgentsReadModel, d: dict[str, Any], at: datetime) -> None:
    fields = ("project_id", "input", "priority", "max_attempts", "backoff_s", "timeout_s")
    rm.tasks_by_id.setdefault(
        d["task_id"],
        {
            "id": d["task_id"],
            **{k: d[k] for k in fields},
            "capabilities": list(d["capabilities"]),
            "status": "pending",
            "agent_id": None,
            "attempt": 0,
            "failures": 0,
            "progress": None,
            "output": None,
            "error": None,
            "execution_id": d.get("execution_id"),
            "step_id": d.get("step_id"),
            "submitted_by": d["submitted_by"],
            "created_at": at,
            "updated_at": at,
            "assigned_at": None,
            "started_at": None,
            "finished_at": None,
            "retry_at": None,
        },
    )


def _open_task(rm: FakeAgentsReadModel, d: dict[str, Any]) -> Row | None:
    """The task an update may change: open, and not past the event's attempt."""
    task = rm.tasks_by_id.get(d["task_id"])
    if task is None or task["status"] in TERMINAL or task["attempt"] > (d.get("attempt") or 0):
        return None
    return task


def _update(rm: FakeAgentsReadModel, d: dict[str, Any], at: datetime, **fields: Any) -> None:
    task = _open_task(rm, d)
    if task is not None:
        task.update(fields, updated_at=later(task["updated_at"], at))


def task_assigned(rm: FakeAgentsReadModel, d: dict[str, Any], at: datetime) -> None:
    _update(
        rm,
        d,
        at,
        status="assigned",
        agent_id=d["agent_id"],
        attempt=d["attempt"],
        assigned_at=at,
        started_at=None,
        progress=None,
        retry_at=None,
    )


def task_started(rm: FakeAgentsReadModel, d: dict[str, Any], at: datetime) -> None:
    _update(
        rm, d, at, status="running", agent_id=d["agent_id"], attempt=d["attempt"], started_at=at
    )


def task_progressed(rm: FakeAgentsReadModel, d: dict[str, Any], at: datetime) -> None:
    task = _open_task(rm, d)
    if task is not None and task["attempt"] == (d.get("attempt") or 0):
        task.update(progress=d["progress"], updated_at=later(task["updated_at"], at))


def task_completed(rm: FakeAgentsReadModel, d: dict[str, Any], at: datetime) -> None:
    _update(
        rm,
        d,
        at,
        status="completed",
        agent_id=d["agent_id"],
        attempt=d["attempt"],
        output=d["output"],
        error=None,
        finished_at=at,
    )


def task_failed(rm: FakeAgentsReadModel, d: dict[str, Any], at: datetime) -> None:
    task = _open_task(rm, d)
    if task is None:
        return
    failures = task["failures"] + 1
    if d["final"]:
        _update(rm, d, at, status="failed", failures=failures, error=d["error"], finished_at=at)
        return
    retry_at = datetime.fromisoformat(d["retry_at"]) if d.get("retry_at") else None
    _update(
        rm,
        d,
        at,
        status="pending",
        failures=failures,
        error=d["error"],
        agent_id=None,
        assigned_at=None,
        started_at=None,
        progress=None,
        retry_at=retry_at,
    )


def task_released(rm: FakeAgentsReadModel, d: dict[str, Any], at: datetime) -> None:
    _update(
        rm,
        d,
        at,
        status="pending",
        agent_id=None,
        assigned_at=None,
        started_at=None,
        progress=None,
    )


def task_cancelled(rm: FakeAgentsReadModel, d: dict[str, Any], at: datetime) -> None:
    task = rm.tasks_by_id.get(d["task_id"])
    if task is not None and task["status"] not in TERMINAL:
        task.update(status="cancelled", finished_at=at, updated_at=later(task["updated_at"], at))


APPLIERS: dict[str, Apply] = {
    "ExecutionStarted": execution_started,
    "ExecutionStatusChanged": execution_status_changed,
    "StepStatusChanged": step_status_changed,
    "TaskQueued": task_queued,
    "TaskAssigned": task_assigned,
    "TaskStarted": task_started,
    "TaskProgressed": task_progressed,
    "TaskCompleted": task_completed,
    "TaskFailed": task_failed,
    "TaskReleased": task_released,
    "TaskCancelled": task_cancelled,
}
