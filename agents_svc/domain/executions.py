"""Executions: a workflow version run over a context, one task per step as the DAG allows.

Running, a step whose dependencies have all completed is queued as a task. Paused, nothing
new is queued and queued tasks are held; assigned and running ones finish and are recorded.
Resumed, it continues exactly where it stopped. A step that fails for good fails the
execution, which cancels its other active tasks.
"""

from __future__ import annotations

import uuid
from typing import Any

from agents_svc.domain.decision import SchedulerDecision
from agents_svc.domain.errors import not_active, not_found
from agents_svc.domain.state import EXECUTION, WORKFLOW, Record
from agents_svc.domain.tasks import finish, queue, revoke, task_key
from agents_svc.domain.templating import MissingValue, resolve
from agents_svc.domain.views import execution_view

TERMINAL = frozenset({"completed", "failed", "cancelled"})
STEP_NAMESPACE = uuid.UUID("5d0c8c52-6f0e-4a7b-9d7e-2f1f3c1e4b60")


def get_execution(dec: SchedulerDecision, execution_id: str) -> Record:
    """The active execution, or 404 (finished ones live in the read model only)."""
    ex = dec.get(EXECUTION + execution_id)
    if ex is None:
        raise not_active(
            "execution", execution_id, f"/api/executions/{execution_id}", "execution_id"
        )
    return ex


def execute(dec: SchedulerDecision, data: dict[str, Any]) -> None:
    """ExecuteWorkflow: start an execution of a version (the latest by default)."""
    existing = dec.get(EXECUTION + data["execution_id"])
    if existing is not None:
        dec.reply(execution_view(existing), 201)
        return
    wf = dec.get(WORKFLOW + data["workflow_id"])
    if wf is None:
        raise not_found("workflow", data["workflow_id"], "workflow_id")
    version = data.get("version") or wf["version"]
    definition = wf["versions"].get(str(version))
    if definition is None:
        raise not_found("version", f"{version} of workflow {wf['id']}", "version")
    ex: Record = {
        "id": data["execution_id"],
        "workflow_id": wf["id"],
        "workflow_version": int(version),
        "project_id": wf["project_id"],
        "definition": definition,
        "context": data["context"],
        "status": "running",
        "started_by": data["started_by"],
        "created_at": dec.now,
        "updated_at": dec.now,
        "steps": {s["id"]: {"status": "waiting", "attempts": 0} for s in definition["steps"]},
    }
    dec.put(EXECUTION + ex["id"], ex)
    dec.event(
        "ExecutionStarted",
        ex["id"],
        {
            "execution_id": ex["id"],
            "workflow_id": wf["id"],
            "workflow_version": int(version),
            "project_id": ex["project_id"],
            "context": ex["context"],
            "step_ids": list(ex["steps"]),
            "started_by": ex["started_by"],
        },
    )
    ex = advance(dec, ex)
    dec.reply(execution_view(ex), 201)


def advance(dec: SchedulerDecision, ex: Record) -> Record:
    """Queue every step whose dependencies have completed (while running)."""
    if ex["status"] != "running":
        return ex
    steps = ex["steps"]
    for step in ex["definition"]["steps"]:
        state = steps[step["id"]]
        if state["status"] != "waiting":
            continue
        if any(steps[d]["status"] != "completed" for d in step["depends_on"]):
            continue
        scope = {
            "context": ex["context"],
            "steps": {sid: {"output": s.get("output")} for sid, s in steps.items()},
        }
        try:
            task_input = resolve(step["input"], scope)
        except MissingValue as exc:
            ex = step_changed(dec, ex, step["id"], "failed", error=str(exc))
            return fail_execution(dec, ex, f"step {step['id']}: {exc}")
        task_id = str(uuid.uuid5(STEP_NAMESPACE, f"{ex['id']}/{step['id']}"))
        queue(
            dec,
            {
                "task_id": task_id,
                "project_id": ex["project_id"],
                "capabilities": step["capabilities"],
                "input": task_input,
                "priority": step["priority"],
                "max_attempts": step["retry"]["attempts"],
                "backoff_s": step["retry"]["backoff_s"],
                "timeout_s": step["timeout_s"],
                "submitted_by": ex["started_by"],
            },
            execution_id=ex["id"],
            step_id=step["id"],
        )
        ex = step_changed(dec, ex, step["id"], "queued", task_id=task_id)
    return ex


def fail_execution(dec: SchedulerDecision, ex: Record, reason: str) -> Record:
    """End the execution as failed, the reason cut to 500 characters."""
    return finish_execution(dec, ex, "failed", reason=reason[:500])


def finish_execution(
    dec: SchedulerDecision,
    ex: Record,
    status: str,
    *,
    outputs: dict[str, Any] | None = None,
    by: str | None = None,
    reason: str | None = None,
) -> Record:
    """End the execution: its active tasks are revoked and cancelled, then it leaves."""
    for task in tasks_of_execution(dec, ex):
        revoke(dec, task, f"execution {status}")
        dec.event(
            "TaskCancelled",
            task["id"],
            {"task_id": task["id"], "by": by, "reason": f"execution {status}"},
        )
        finish(dec, task)
        ex = step_changed(dec, ex, task["step_id"], "cancelled", finished_at=dec.now)
    dec.event(
        "ExecutionStatusChanged",
        ex["id"],
        {
            "execution_id": ex["id"],
            "from": ex["status"],
            "to": status,
            "reason": reason,
            "by": by,
            "outputs": outputs,
        },
    )
    done = {**ex, "status": status, "updated_at": dec.now, "finished_at": dec.now}
    dec.put(EXECUTION + ex["id"], None)
    return done


def tasks_of_execution(dec: SchedulerDecision, ex: Record) -> list[Record]:
    """The execution's tasks still on the write side (queued, assigned or running)."""
    found = []
    for state in ex["steps"].values():
        task = dec.get(task_key(state["task_id"])) if state.get("task_id") else None
        if task is not None:
            found.append(task)
    return found


def step_changed(
    dec: SchedulerDecision, ex: Record, step_id: str, to: str, **fields: Any
) -> Record:
    """Move one step to ``to`` (StepStatusChanged) and store the execution with it."""
    old = ex["steps"][step_id]
    new = {**old, **fields, "status": to}
    dec.event(
        "StepStatusChanged",
        ex["id"],
        {
            "execution_id": ex["id"],
            "step_id": step_id,
            "from": old["status"],
            "to": to,
            "task_id": new.get("task_id"),
            "attempt": int(new.get("attempts", 0)),
            "output": new.get("output") if to == "completed" else None,
            "error": new.get("error") if to in ("failed", "queued") else None,
        },
    )
    return dec.update(EXECUTION + ex["id"], steps={**ex["steps"], step_id: new}, updated_at=dec.now)
