"""Task commands: submit, assign, redistribute, cancel, and what agents report about them.

Reports are accepted only from the agent that holds the task, for its current attempt:
a duplicated or late report (the task finished, moved or was retried) changes nothing, which
is what makes completion idempotent.
"""

from __future__ import annotations

from typing import Any

from agents_svc.domain import execution_steps
from agents_svc.domain.agents import get_agent, satisfiable
from agents_svc.domain.decision import SchedulerDecision
from agents_svc.domain.dispatch import ACCEPTING, AVOID_FIELD, dispatch
from agents_svc.domain.errors import conflict, not_active, unprocessable
from agents_svc.domain.state import ACTIVE, Record
from agents_svc.domain.tasks import (
    assign,
    fail_attempt,
    finish,
    queue,
    revoke,
    task_key,
)
from agents_svc.domain.views import effective_capabilities, task_view

SPEC_FIELDS = (
    "project_id",
    "capabilities",
    "input",
    "priority",
    "max_attempts",
    "backoff_s",
    "timeout_s",
)


def submit(dec: SchedulerDecision, data: dict[str, Any]) -> None:
    """SubmitTask: queue a standalone task (dispatch follows the command)."""
    existing = dec.get(task_key(data["task_id"]))
    if existing is not None:
        same = all(
            existing[f] == (sorted(data[f]) if f == "capabilities" else data[f])
            for f in SPEC_FIELDS
        )
        if not same:
            raise conflict(
                "task_exists", f"task {data['task_id']} exists with other content", "task_id"
            )
        dec.reply(task_view(existing))
        return
    if not satisfiable(dec, data["capabilities"]):
        wanted = ", ".join(sorted(data["capabilities"]))
        raise unprocessable(
            "unsatisfiable_capabilities",
            f"no agent offers every capability of [{wanted}]",
            "capabilities",
        )
    task = queue(dec, data)
    dec.reply(task_view(task), 201)


def get_task(dec: SchedulerDecision, task_id: str) -> Record:
    """The unfinished task, or 404."""
    task = dec.get(task_key(task_id))
    if task is None:
        raise not_active("task", task_id, f"/api/tasks/{task_id}", "task_id")
    return task


def assign_explicitly(dec: SchedulerDecision, data: dict[str, Any]) -> None:
    """AssignTask: an operator puts a task on a given agent."""
    task = get_task(dec, data["task_id"])
    agent = get_agent(dec, data["agent_id"], "agent_id")
    if task["status"] == "running":
        raise conflict("task_not_pending", f"task {task['id']} is already running", "task_id")
    if agent["status"] not in ACCEPTING or not agent.get("session_id"):
        raise conflict(
            "agent_unavailable",
            f"agent {agent['id']} is {agent['status']} and not connected"
            if not agent.get("session_id")
            else f"agent {agent['id']} is {agent['status']}",
            "agent_id",
        )
    if not set(task["capabilities"]).issubset(effective_capabilities(agent)):
        raise unprocessable(
            "capability_mismatch",
            f"agent {agent['id']} lacks some of {task['capabilities']}",
            "agent_id",
        )
    if task["status"] == "assigned" and task["agent_id"] == agent["id"]:
        dec.reply(task_view(task))
        return
    if task["status"] == "assigned":
        task = execution_steps.release_task(dec, task, "reassigned")
    task = assign(dec, task, agent["id"], by=data["by"])
    dec.reply(task_view(task))


def redistribute(dec: SchedulerDecision, data: dict[str, Any]) -> None:
    """RedistributeTasks: release the matching tasks and assign them again, elsewhere."""
    chosen: list[Record] = []
    for task in list(dec.state.tasks()):
        if _matches(dec, task, data):
            chosen.append(task)
    previous: dict[str, str] = {}
    for task in sorted(chosen, key=lambda t: t["seq"]):
        if task["status"] in ACTIVE:
            previous[task["id"]] = task["agent_id"]
            released = execution_steps.release_task(dec, task, "redistributed")
            # Remembered past this dispatch round: a later one must not hand it back either.
            dec.update(task_key(released["id"]), **{AVOID_FIELD: task["agent_id"]})
    made = dict(dispatch(dec, exclude=previous))
    dec.reply(
        {
            "assignments": [
                {
                    "task_id": t["id"],
                    "from_agent_id": previous.get(t["id"]),
                    "to_agent_id": made.get(t["id"]),
                }
                for t in sorted(chosen, key=lambda t: t["seq"])
            ]
        }
    )


def _matches(dec: SchedulerDecision, task: Record, data: dict[str, Any]) -> bool:
    if task.get("held"):
        return False
    if data.get("from_agent_id") and task.get("agent_id") != data["from_agent_id"]:
        return False
    if data.get("status") and task["status"] != data["status"]:
        return False
    if data.get("capability") and data["capability"] not in task["capabilities"]:
        return False
    older = data.get("older_than_s")
    return older is None or dec.now - float(task["created_at"]) >= float(older)


def cancel(dec: SchedulerDecision, data: dict[str, Any]) -> None:
    """CancelTask: stop it (on its agent too); a workflow step's execution fails."""
    task = get_task(dec, data["task_id"])
    revoke(dec, task, "cancelled")
    dec.event(
        "TaskCancelled",
        task["id"],
        {"task_id": task["id"], "by": data["by"], "reason": data.get("reason")},
    )
    finish(dec, task)
    done = {**task, "status": "cancelled", "finished_at": dec.now}
    execution_steps.step_failed(dec, task, "its task was cancelled")
    dec.reply(task_view(done))


def _reported(dec: SchedulerDecision, data: dict[str, Any]) -> Record | None:
    task = dec.get(task_key(data["task_id"]))
    if task is None or task["status"] not in ACTIVE:
        return None
    if task["agent_id"] != data["agent_id"] or int(task["attempt"]) != int(data["attempt"]):
        return None
    return task


def started(dec: SchedulerDecision, data: dict[str, Any]) -> None:
    """StartTask: the agent took the task; its timeout starts now."""
    task = _reported(dec, data)
    if task is None or task["status"] == "running":
        return
    task = dec.update(
        task_key(task["id"]),
        status="running",
        started_at=dec.now,
        deadline=dec.now + float(task["timeout_s"]),
    )
    dec.event(
        "TaskStarted",
        task["id"],
        {"task_id": task["id"], "agent_id": task["agent_id"], "attempt": task["attempt"]},
    )
    execution_steps.step_started(dec, task)


def progressed(dec: SchedulerDecision, data: dict[str, Any]) -> None:
    """ReportProgress: recorded and announced."""
    task = _reported(dec, data)
    if task is None:
        return
    dec.update(task_key(task["id"]), progress=data["progress"])
    dec.event(
        "TaskProgressed",
        task["id"],
        {
            "task_id": task["id"],
            "agent_id": task["agent_id"],
            "attempt": task["attempt"],
            "progress": data["progress"],
            "message": data.get("message"),
        },
    )


def completed(dec: SchedulerDecision, data: dict[str, Any]) -> None:
    """CompleteTask: the first result of the current attempt wins; duplicates do nothing."""
    task = _reported(dec, data)
    if task is None:
        return
    began = task.get("started_at") or task.get("assigned_at") or dec.now
    dec.event(
        "TaskCompleted",
        task["id"],
        {
            "task_id": task["id"],
            "agent_id": task["agent_id"],
            "attempt": task["attempt"],
            "output": data["output"],
            "duration_s": max(0.0, dec.now - float(began)),
        },
    )
    finish(dec, task)
    execution_steps.step_completed(dec, task, data["output"])


def failed(dec: SchedulerDecision, data: dict[str, Any]) -> None:
    """FailTask: spend an attempt; retried after the backoff, or failed for good."""
    task = _reported(dec, data)
    if task is not None:
        fail_attempt_of(dec, task, data["error"], retryable=bool(data["retryable"]))


def fail_attempt_of(dec: SchedulerDecision, task: Record, error: str, *, retryable: bool) -> None:
    """A failed attempt (reported, or timed out), and what it means for its execution."""
    if fail_attempt(dec, task, error, retryable=retryable):
        execution_steps.step_failed(dec, task, error)
    else:
        execution_steps.step_requeued(dec, task, error)


def time_out(dec: SchedulerDecision) -> None:
    """Running tasks past their deadline: the attempt fails (and is revoked on the agent)."""
    for agent in dec.state.agents():
        for task_id in dec.state.tasks_of(agent["id"]):
            task = dec.get(task_key(task_id))
            if task and task["status"] == "running" and float(task["deadline"]) < dec.now:
                revoke(dec, task, "timed out")
                fail_attempt_of(
                    dec, task, f"timed out after {task['timeout_s']:g} s", retryable=True
                )
