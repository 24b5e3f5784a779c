"""Read-model rows as the API's views (agents_svc/DESIGN.md "Views"): columns and mappers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agents_svc.api.readmodel.sql_filters import iso_utc

# in_flight is derived, not stored: the agent's tasks that are assigned or running now.
AGENT_COLUMNS = (
    "a.id, a.project_id, a.name, a.capabilities, a.capacity, a.labels, a.model_settings,"
    " a.status, (SELECT count(*) FROM agents.tasks t WHERE t.agent_id = a.id"
    " AND t.status IN ('assigned', 'running')), a.created_by, a.created_at, a.updated_at,"
    " a.last_seen_at"
)
WORKFLOW_COLUMNS = (
    "w.id, w.project_id, w.name, w.version, w.definition, w.defined_by, w.created_at, w.updated_at"
)
# A given version: its own name, definition and author; updated_at is when it was defined.
WORKFLOW_VERSION_COLUMNS = (
    "w.id, w.project_id, v.name, v.version, v.definition, v.defined_by, w.created_at, v.defined_at"
)
EXECUTION_COLUMNS = (
    "e.id, e.workflow_id, e.workflow_version, e.project_id, e.status, e.context, e.steps,"
    " e.started_by, e.created_at, e.updated_at, e.finished_at"
)
TASK_COLUMNS = (
    "t.id, t.project_id, t.capabilities, t.input, t.priority, t.status, t.agent_id,"
    " t.attempt, t.failures, t.max_attempts, t.progress, t.output, t.error, t.execution_id,"
    " t.step_id, t.submitted_by, t.created_at, t.assigned_at, t.started_at, t.finished_at"
)
KEY_COLUMNS = "k.key_id, k.agent_id, k.secret_hash, k.created_at, k.revoked_at"


def _id(value: Any) -> str | None:
    return str(value) if value is not None else None


def agent_from_row(row: Sequence[Any]) -> dict[str, Any]:
    """An ``agents.agents`` row (AGENT_COLUMNS) as the Agent view."""
    (
        agent_id,
        project_id,
        name,
        capabilities,
        capacity,
        labels,
        model_settings,
        status,
        in_flight,
        created_by,
        created_at,
        updated_at,
        last_seen_at,
    ) = row
    return {
        "id": str(agent_id),
        "project_id": str(project_id),
        "name": name,
        "capabilities": list(capabilities or []),
        "capacity": capacity,
        "labels": labels,
        "model_settings": model_settings,
        "status": status,
        "in_flight": int(in_flight),
        "created_by": created_by,
        "created_at": iso_utc(created_at),
        "updated_at": iso_utc(updated_at),
        "last_seen_at": iso_utc(last_seen_at),
    }


def workflow_from_row(row: Sequence[Any]) -> dict[str, Any]:
    """A workflow row (WORKFLOW_COLUMNS or WORKFLOW_VERSION_COLUMNS) as the Workflow view."""
    workflow_id, project_id, name, version, definition, defined_by, created_at, updated_at = row
    return {
        "id": str(workflow_id),
        "project_id": str(project_id),
        "name": name,
        "version": version,
        "definition": definition,
        "defined_by": defined_by,
        "created_at": iso_utc(created_at),
        "updated_at": iso_utc(updated_at),
    }


def execution_from_row(row: Sequence[Any]) -> dict[str, Any]:
    """An ``agents.executions`` row as the Execution view."""
    (
        execution_id,
        workflow_id,
        version,
        project_id,
        status,
        context,
        steps,
        started_by,
        created_at,
        updated_at,
        finished_at,
    ) = row
    return {
        "id": str(execution_id),
        "workflow_id": str(workflow_id),
        "workflow_version": version,
        "project_id": str(project_id),
        "status": status,
        "context": context,
        "steps": steps,
        "started_by": started_by,
        "created_at": iso_utc(created_at),
        "updated_at": iso_utc(updated_at),
        "finished_at": iso_utc(finished_at),
    }


def task_from_row(row: Sequence[Any]) -> dict[str, Any]:
    """An ``agents.tasks`` row as the Task view."""
    (
        task_id,
        project_id,
        capabilities,
        input_,
        priority,
        status,
        agent_id,
        attempt,
        failures,
        max_attempts,
        progress,
        output,
        error,
        execution_id,
        step_id,
        submitted_by,
        created_at,
        assigned_at,
        started_at,
        finished_at,
    ) = row
    return {
        "id": str(task_id),
        "project_id": str(project_id),
        "capabilities": list(capabilities or []),
        "input": input_,
        "priority": priority,
        "status": status,
        "agent_id": _id(agent_id),
        "attempt": attempt,
        "failures": failures,
        "max_attempts": max_attempts,
        # Agents report progress while working and rarely a last 1.0; done is done.
        "progress": 1.0 if status == "completed" else progress,
        "output": output,
        "error": error,
        "execution_id": _id(execution_id),
        "step_id": step_id,
        "submitted_by": submitted_by,
        "created_at": iso_utc(created_at),
        "assigned_at": iso_utc(assigned_at),
        "started_at": iso_utc(started_at),
        "finished_at": iso_utc(finished_at),
    }


def key_from_row(row: Sequence[Any]) -> dict[str, Any]:
    """An ``agents.agent_keys`` row (KEY_COLUMNS) as the key view; never the hash."""
    key_id, agent_id, _hash, created_at, revoked_at = row[:5]
    return {
        "key_id": key_id,
        "agent_id": str(agent_id),
        "created_at": iso_utc(created_at),
        "revoked_at": iso_utc(revoked_at),
    }
