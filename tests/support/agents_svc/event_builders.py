"""Agent-events for read-model tests: built and checked against the real schemas."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from streams.envelope import Envelope, new_envelope
from streams.registry import default_registry

TOPIC = "agent-events"
USER = "6a0d7c3b-5e2f-4b8a-9c1d-7e6f5a4b3c2d"
T0 = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
_SUBJECTS = ("task_id", "execution_id", "workflow_id", "message_id", "agent_id")


def new_id() -> str:
    """A fresh UUID as text."""
    return str(uuid.uuid4())


def at(seconds: float) -> str:
    """RFC 3339 time ``seconds`` after T0 (with the Z the services write)."""
    return (T0 + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def event(type_name: str, data: dict[str, Any], seconds: float = 0) -> Envelope:
    """An agent-events envelope whose data the schema accepts, dated T0 + ``seconds``."""
    registry = default_registry()
    entry = registry.latest(TOPIC, type_name)
    registry.validate_data(entry, data)
    subject = next(data[k] for k in _SUBJECTS if data.get(k))
    envelope = new_envelope(
        source="/dafnck/agents-svc", type=type_name, subject=subject, dataschema=entry.id, data=data
    )
    envelope.time = at(seconds)
    return envelope


def agent_created(agent_id: str, project_id: str, name: str, **extra: Any) -> dict[str, Any]:
    """AgentCreated data with defaults."""
    return {
        "agent_id": agent_id,
        "project_id": project_id,
        "name": name,
        "capabilities": extra.get("capabilities", ["http"]),
        "capacity": extra.get("capacity", 2),
        "labels": extra.get("labels", {}),
        "model_settings": extra.get("model_settings", {}),
        "created_by": USER,
        "status": "registered",
    }


def task_queued(task_id: str, project_id: str, **extra: Any) -> dict[str, Any]:
    """TaskQueued data with defaults."""
    return {
        "task_id": task_id,
        "project_id": project_id,
        "capabilities": extra.get("capabilities", ["http"]),
        "input": extra.get("input", {"url": "https://example.com"}),
        "priority": extra.get("priority", 5),
        "max_attempts": extra.get("max_attempts", 3),
        "backoff_s": 1,
        "timeout_s": 300,
        "execution_id": extra.get("execution_id"),
        "step_id": extra.get("step_id"),
        "submitted_by": USER,
    }
