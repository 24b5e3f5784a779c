"""Read-model statements for executions, their steps and tasks (see ``agent_statements``).

Out-of-order safety, where it is cheap: nothing moves a finished task, step or execution
again, and a task never goes back to an older attempt. A task's events share its key, so
they arrive in order anyway; the guards make a replay or a stray duplicate harmless.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agents_svc.worker.projector.agent_statements import Apply, Statement, as_json, maybe_json

TERMINAL = ("completed", "failed", "cancelled")
_OPEN_TASK = "status NOT IN ('completed', 'failed', 'cancelled')"


def _step(status: str = "waiting") -> dict[str, Any]:
    return {
        "status": status,
        "task_id": None,
        "attempts": 0,
        "started_at": None,
        "finished_at": None,
        "output": None,
        "error": None,
    }


def execution_started(data: dict[str, Any], at: datetime) -> list[Statement]:
    """A running execution whose steps all wait."""
    steps = {step_id: _step() for step_id in data["step_ids"]}
    return [
        (
            "INSERT INTO agents.executions (id, workflow_id, workflow_version, project_id,"
            " status, context, steps, started_by, created_at, updated_at) VALUES (%(id)s,"
            " %(workflow)s, %(version)s, %(project)s, 'running', %(context)s::jsonb,"
            " %(steps)s::jsonb, %(by)s, %(at)s, %(at)s) ON CONFLICT (id) DO NOTHING",
            {
                "id": data["execution_id"],
                "workflow": data["workflow_id"],
                "version": data["workflow_version"],
                "project": data["project_id"],
                "context": as_json(data["context"]),
                "steps": as_json(steps),
                "by": data["started_by"],
                "at": at,
            },
        )
    ]


def execution_status_changed(data: dict[str, Any], at: datetime) -> list[Statement]:
    """The new status (a finished execution stays finished)."""
    return [
        (
            "UPDATE agents.executions SET status = %(to)s,"
            " updated_at = GREATEST(updated_at, %(at)s),"
            " finished_at = CASE WHEN %(done)s THEN %(at)s ELSE finished_at END,"
            " outputs = COALESCE(%(outputs)s::jsonb, outputs)"
            " WHERE id = %(id)s AND status NOT IN ('completed', 'failed', 'cancelled')",
            {
                "id": data["execution_id"],
                "to": data["to"],
                "done": data["to"] in TERMINAL,
                "outputs": maybe_json(data.get("outputs")),
                "at": at,
            },
        )
    ]


def step_status_changed(data: dict[str, Any], at: datetime) -> list[Statement]:
    """``steps[step_id]`` takes the event's status, task, attempt, output and error."""
    # started_at is the first time the step ran; finished_at the time it ended for good.
    moment = as_json(at.astimezone(UTC).isoformat().replace("+00:00", "Z"))
    return [
        (
            "UPDATE agents.executions SET steps = jsonb_set(steps, ARRAY[%(step)s]::text[],"
            " COALESCE(steps -> %(step)s, '{}'::jsonb) || jsonb_build_object("
            "'status', %(to)s::text,"
            " 'task_id', COALESCE(to_jsonb(%(task)s::text), steps -> %(step)s -> 'task_id',"
            " 'null'::jsonb),"
            " 'attempts', %(attempt)s::integer,"
            " 'started_at', CASE WHEN %(running)s THEN COALESCE(NULLIF(steps -> %(step)s ->"
            " 'started_at', 'null'::jsonb), %(moment)s::jsonb) ELSE COALESCE(steps -> %(step)s"
            " -> 'started_at', 'null'::jsonb) END,"
            " 'finished_at', CASE WHEN %(done)s THEN %(moment)s::jsonb ELSE 'null'::jsonb END,"
            " 'output', %(output)s::jsonb, 'error', to_jsonb(%(error)s::text))),"
            " updated_at = GREATEST(updated_at, %(at)s)"
            " WHERE id = %(id)s AND COALESCE(steps -> %(step)s ->> 'status', 'waiting')"
            " NOT IN ('completed', 'failed', 'cancelled')",
            {
                "id": data["execution_id"],
                "step": data["step_id"],
                "to": data["to"],
                "task": data.get("task_id"),
                "attempt": data.get("attempt") or 0,
                "running": data["to"] == "running",
                "done": data["to"] in TERMINAL,
                "moment": moment,
                "output": as_json(data.get("output")),
                "error": data.get("error"),
                "at": at,
            },
        )
    ]


def task_queued(data: dict[str, Any], at: datetime) -> list[Statement]:
    """A new pending task."""
    return [
        (
            "INSERT INTO agents.tasks (id, project_id, capabilities, input, priority,"
            " max_attempts, backoff_s, timeout_s, status, execution_id, step_id, submitted_by,"
            " created_at, updated_at) VALUES (%(id)s, %(project)s, %(caps)s::text[],"
            " %(input)s::jsonb, %(priority)s, %(max_attempts)s, %(backoff)s, %(timeout)s,"
            " 'pending', %(execution)s, %(step)s, %(by)s, %(at)s, %(at)s)"
            " ON CONFLICT (id) DO NOTHING",
            {
                "id": data["task_id"],
                "project": data["project_id"],
                "caps": list(data["capabilities"]),
                "input": as_json(data["input"]),
                "priority": data["priority"],
                "max_attempts": data["max_attempts"],
                "backoff": data["backoff_s"],
                "timeout": data["timeout_s"],
                "execution": data.get("execution_id"),
                "step": data.get("step_id"),
                "by": data["submitted_by"],
                "at": at,
            },
        )
    ]


def _task_update(assignments: str, data: dict[str, Any], at: datetime, **params: Any) -> Statement:
    # Never a finished task, never an older attempt than the one shown.
    return (
        f"UPDATE agents.tasks SET {assignments}, updated_at = GREATEST(updated_at, %(at)s)"
        f" WHERE id = %(id)s AND {_OPEN_TASK} AND attempt <= %(attempt)s",
        {"id": data["task_id"], "attempt": data.get("attempt") or 0, "at": at, **params},
    )


def task_assigned(data: dict[str, Any], at: datetime) -> list[Statement]:
    """Offered to an agent for this attempt."""
    return [
        _task_update(
            "status = 'assigned', agent_id = %(agent)s, attempt = %(attempt)s,"
            " assigned_at = %(at)s, started_at = NULL, progress = NULL, retry_at = NULL",
            data,
            at,
            agent=data["agent_id"],
        )
    ]


def task_started(data: dict[str, Any], at: datetime) -> list[Statement]:
    """The agent runs it."""
    return [
        _task_update(
            "status = 'running', agent_id = %(agent)s, attempt = %(attempt)s, started_at = %(at)s",
            data,
            at,
            agent=data["agent_id"],
        )
    ]


def task_progressed(data: dict[str, Any], at: datetime) -> list[Statement]:
    """How far the running attempt got (a report of an older attempt is dropped)."""
    statement, params = _task_update("progress = %(progress)s", data, at, progress=data["progress"])
    return [(f"{statement} AND attempt = %(attempt)s", params)]


def task_completed(data: dict[str, Any], at: datetime) -> list[Statement]:
    """Done, with its output."""
    return [
        _task_update(
            "status = 'completed', agent_id = %(agent)s, attempt = %(attempt)s,"
            " output = %(output)s::jsonb, error = NULL, finished_at = %(at)s",
            data,
            at,
            agent=data["agent_id"],
            output=as_json(data["output"]),
        )
    ]


def task_failed(data: dict[str, Any], at: datetime) -> list[Statement]:
    """A failure consumes an attempt: failed for good (final), else pending until retry_at."""
    if data["final"]:
        assignments = (
            "status = 'failed', failures = failures + 1, error = %(error)s, finished_at = %(at)s"
        )
    else:
        assignments = (
            "status = 'pending', failures = failures + 1, error = %(error)s, agent_id = NULL,"
            " assigned_at = NULL, started_at = NULL, progress = NULL, retry_at = %(retry_at)s"
        )
    retry_at = data.get("retry_at")
    return [
        _task_update(
            assignments,
            data,
            at,
            error=data["error"],
            retry_at=datetime.fromisoformat(retry_at) if retry_at else None,
        )
    ]


def task_released(data: dict[str, Any], at: datetime) -> list[Statement]:
    """Taken back from its agent: pending again."""
    return [
        _task_update(
            "status = 'pending', agent_id = NULL, assigned_at = NULL, started_at = NULL,"
            " progress = NULL",
            data,
            at,
        )
    ]


def task_cancelled(data: dict[str, Any], at: datetime) -> list[Statement]:
    """Cancelled for good (whatever attempt it was at)."""
    return [
        (
            "UPDATE agents.tasks SET status = 'cancelled', finished_at = %(at)s,"
            f" updated_at = GREATEST(updated_at, %(at)s) WHERE id = %(id)s AND {_OPEN_TASK}",
            {"id": data["task_id"], "at": at},
        )
    ]


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
