"""The shapes the service answers with (and the read model serves): agent, task, workflow,
execution. Records keep times as epoch seconds; views speak RFC 3339."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agents_svc.domain.state import Record, SchedulerState


def iso(ts: float | None) -> str | None:
    """Epoch seconds as an RFC 3339 UTC timestamp (None stays None)."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def parse_time(text: str) -> float:
    """An RFC 3339 timestamp (an envelope's ``time``) as epoch seconds."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def effective_capabilities(agent: Record) -> list[str]:
    """What the agent is matched on (its connection may have replaced its configured ones)."""
    return list(agent["capabilities"])


def effective_capacity(agent: Record) -> int:
    """How many tasks it may hold: its configured capacity, capped by its connection's."""
    concurrency = agent.get("concurrency")
    capacity = int(agent["capacity"])
    return min(capacity, int(concurrency)) if concurrency else capacity


def agent_view(agent: Record, state: SchedulerState) -> dict[str, Any]:
    """An agent as the API shows it."""
    return {
        "id": agent["id"],
        "project_id": agent["project_id"],
        "name": agent["name"],
        "capabilities": effective_capabilities(agent),
        "capacity": agent["capacity"],
        "labels": agent["labels"],
        "model_settings": agent["model_settings"],
        "status": agent["status"],
        "in_flight": state.load_of(agent["id"]),
        "created_by": agent["created_by"],
        "created_at": iso(agent["created_at"]),
        "updated_at": iso(agent["updated_at"]),
        "last_seen_at": iso(agent.get("last_seen")),
    }


def task_view(task: Record) -> dict[str, Any]:
    """A task as the API shows it."""
    return {
        "id": task["id"],
        "project_id": task["project_id"],
        "capabilities": task["capabilities"],
        "input": task["input"],
        "priority": task["priority"],
        "status": task["status"],
        "agent_id": task.get("agent_id"),
        "attempt": task["attempt"],
        "failures": task["failures"],
        "max_attempts": task["max_attempts"],
        "progress": task.get("progress"),
        "output": task.get("output"),
        "error": task.get("error"),
        "execution_id": task.get("execution_id"),
        "step_id": task.get("step_id"),
        "submitted_by": task["submitted_by"],
        "created_at": iso(task["created_at"]),
        "assigned_at": iso(task.get("assigned_at")),
        "started_at": iso(task.get("started_at")),
        "finished_at": iso(task.get("finished_at")),
    }


def workflow_view(wf: Record, version: int | None = None) -> dict[str, Any]:
    """A workflow (its latest version unless one is named) as the API shows it."""
    number = version or wf["version"]
    return {
        "id": wf["id"],
        "project_id": wf["project_id"],
        "name": wf["name"],
        "version": number,
        "definition": wf["versions"][str(number)],
        "defined_by": wf["defined_by"],
        "created_at": iso(wf["created_at"]),
        "updated_at": iso(wf["updated_at"]),
    }


def execution_view(ex: Record) -> dict[str, Any]:
    """An execution with each step's state, as the API shows it."""
    steps = {
        sid: {
            "status": s["status"],
            "task_id": s.get("task_id"),
            "attempts": s.get("attempts", 0),
            "started_at": iso(s.get("started_at")),
            "finished_at": iso(s.get("finished_at")),
            "output": s.get("output"),
            "error": s.get("error"),
        }
        for sid, s in ex["steps"].items()
    }
    return {
        "id": ex["id"],
        "workflow_id": ex["workflow_id"],
        "workflow_version": ex["workflow_version"],
        "project_id": ex["project_id"],
        "status": ex["status"],
        "context": ex["context"],
        "steps": steps,
        "started_by": ex["started_by"],
        "created_at": iso(ex["created_at"]),
        "updated_at": iso(ex["updated_at"]),
        "finished_at": iso(ex.get("finished_at")),
    }
