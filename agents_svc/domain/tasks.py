"""Task primitives: queue, assign, release, finish. Every transition is an event.

A task is pending (queued), assigned (offered to an agent), running (the agent started it),
then gone from the write side once finished: completed, failed or cancelled (the read model
keeps it). ``attempt`` counts deliveries (each assignment is a new attempt an agent reports
against); ``failures`` counts the attempts that failed, which is what the retry policy
spends.
"""

from __future__ import annotations

from typing import Any

from agents_svc.domain.decision import SchedulerDecision
from agents_svc.domain.state import AGENT, TASK, Record
from agents_svc.domain.views import effective_capacity, iso

SCHEDULER = "scheduler"


def task_key(task_id: str) -> str:
    """Table key of a task."""
    return TASK + task_id


def agent_key(agent_id: str) -> str:
    """Table key of an agent."""
    return AGENT + agent_id


def queue(
    dec: SchedulerDecision,
    spec: dict[str, Any],
    *,
    execution_id: str | None = None,
    step_id: str | None = None,
    held: bool = False,
) -> Record:
    """Create a pending task from a SubmitTask-shaped spec and announce it."""
    seq = dec.state.next_seq
    task: Record = {
        "id": spec["task_id"],
        "seq": seq,
        "project_id": spec["project_id"],
        "capabilities": sorted(spec["capabilities"]),
        "input": spec["input"],
        "priority": spec["priority"],
        "max_attempts": spec["max_attempts"],
        "backoff_s": spec["backoff_s"],
        "timeout_s": spec["timeout_s"],
        "execution_id": execution_id,
        "step_id": step_id,
        "submitted_by": spec["submitted_by"],
        "created_at": dec.now,
        "queued_at": dec.now,
        "status": "pending",
        "agent_id": None,
        "attempt": 0,
        "failures": 0,
        "not_before": None,
        "held": held,
    }
    dec.put(task_key(task["id"]), task)
    dec.event(
        "TaskQueued",
        task["id"],
        {
            "task_id": task["id"],
            "project_id": task["project_id"],
            "capabilities": task["capabilities"],
            "input": task["input"],
            "priority": task["priority"],
            "max_attempts": task["max_attempts"],
            "backoff_s": task["backoff_s"],
            "timeout_s": task["timeout_s"],
            "execution_id": execution_id,
            "step_id": step_id,
            "submitted_by": task["submitted_by"],
        },
    )
    return task


def assign(dec: SchedulerDecision, task: Record, agent_id: str, by: str = SCHEDULER) -> Record:
    """Give a pending task to an agent: a new attempt, offered over its connection."""
    attempt = int(task["attempt"]) + 1
    task = dec.update(
        task_key(task["id"]),
        status="assigned",
        agent_id=agent_id,
        attempt=attempt,
        assigned_at=dec.now,
        not_before=None,
        avoid_agent_id=None,
    )
    dec.event(
        "TaskAssigned",
        task["id"],
        {
            "task_id": task["id"],
            "agent_id": agent_id,
            "attempt": attempt,
            "assigned_by": by,
        },
    )
    offer(dec, task)
    refresh_status(dec, agent_id)
    return task


def offer(dec: SchedulerDecision, task: Record) -> None:
    """(Re)send the task to its agent's connection."""
    dec.deliver(
        "TaskOffered",
        task["agent_id"],
        {
            "task_id": task["id"],
            "attempt": task["attempt"],
            "project_id": task["project_id"],
            "capabilities": task["capabilities"],
            "input": task["input"],
            "timeout_s": task["timeout_s"],
            "execution_id": task.get("execution_id"),
            "step_id": task.get("step_id"),
        },
    )


def revoke(dec: SchedulerDecision, task: Record, reason: str) -> None:
    """Tell the task's agent to stop working on this attempt."""
    if task.get("agent_id"):
        dec.deliver(
            "TaskRevoked",
            task["agent_id"],
            {
                "task_id": task["id"],
                "attempt": task["attempt"],
                "reason": reason,
            },
        )


def release(dec: SchedulerDecision, task: Record, reason: str) -> Record:
    """Take an assigned or running task back from its agent: pending again, no attempt spent."""
    agent_id = task["agent_id"]
    # Revoked even when not started: the agent may have the offer and must not run it.
    revoke(dec, task, reason)
    dec.event(
        "TaskReleased",
        task["id"],
        {
            "task_id": task["id"],
            "agent_id": agent_id,
            "attempt": task["attempt"],
            "reason": reason,
        },
    )
    task = dec.update(
        task_key(task["id"]),
        status="pending",
        agent_id=None,
        queued_at=dec.now,
        started_at=None,
        deadline=None,
        progress=None,
    )
    refresh_status(dec, agent_id)
    return task


def finish(dec: SchedulerDecision, task: Record) -> None:
    """Drop a finished task from the write side and free its agent's slot."""
    dec.put(task_key(task["id"]), None)
    if task.get("agent_id"):
        refresh_status(dec, task["agent_id"])


def fail_attempt(dec: SchedulerDecision, task: Record, error: str, *, retryable: bool) -> bool:
    """Spend an attempt on a failure; True when the task failed for good."""
    failures = int(task["failures"]) + 1
    final = not retryable or failures >= int(task["max_attempts"])
    retry_at = None if final else dec.now + float(task["backoff_s"]) * 2 ** (failures - 1)
    dec.event(
        "TaskFailed",
        task["id"],
        {
            "task_id": task["id"],
            "agent_id": task.get("agent_id"),
            "attempt": task["attempt"],
            "error": error[:2000],
            "final": final,
            "retry_at": iso(retry_at),
        },
    )
    if final:
        finish(dec, {**task, "failures": failures})
        return True
    agent_id = task.get("agent_id")
    dec.update(
        task_key(task["id"]),
        status="pending",
        agent_id=None,
        failures=failures,
        not_before=retry_at,
        queued_at=retry_at,
        started_at=None,
        deadline=None,
        error=error[:2000],
    )
    if agent_id:
        refresh_status(dec, agent_id)
    return False


def refresh_status(dec: SchedulerDecision, agent_id: str) -> None:
    """Note that the agent's load changed; ``settle_statuses`` decides online or busy."""
    dec.load_changed.add(agent_id)


def settle_statuses(dec: SchedulerDecision) -> None:
    """Online or busy follows each changed agent's load; other statuses change explicitly."""
    for agent_id in sorted(dec.load_changed):
        agent = dec.get(agent_key(agent_id))
        if agent is None or agent["status"] not in ("online", "busy"):
            continue
        busy = dec.state.load_of(agent_id) >= effective_capacity(agent)
        set_status(dec, agent, "busy" if busy else "online")
    dec.load_changed.clear()


def set_status(
    dec: SchedulerDecision, agent: Record, status: str, reason: str | None = None
) -> Record:
    """Change an agent's status, announcing it when it actually changes."""
    if agent["status"] == status:
        return agent
    dec.event(
        "AgentStatusChanged",
        agent["id"],
        {
            "agent_id": agent["id"],
            "from": agent["status"],
            "to": status,
            "reason": reason,
        },
    )
    return dec.update(agent_key(agent["id"]), status=status, updated_at=dec.now)
