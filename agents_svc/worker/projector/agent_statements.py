"""Read-model statements for agents, their keys, workflows and messages.

Each applier turns one event's data (and its time) into SQL statements without running
them: the projector binds them all and sends a whole batch in a few round trips, so none of
these may depend on what an earlier statement returned.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson

Statement = tuple[str, dict[str, Any]]
Apply = Callable[[dict[str, Any], datetime], list[Statement]]

# The statuses in which an agent has been seen alive (AgentStatusChanged carries no
# heartbeat time, so its own time is the best "last seen" the read model has).
_SEEN = ("online", "busy")


def as_json(value: Any) -> str:
    """A JSON text for a ``%s::jsonb`` parameter."""
    return orjson.dumps(value).decode()


def maybe_json(value: Any) -> str | None:
    """JSON text, or SQL NULL for an absent (None) value (never JSON ``null``)."""
    return None if value is None else as_json(value)


def agent_created(data: dict[str, Any], at: datetime) -> list[Statement]:
    """A new agent row (status registered)."""
    return [
        (
            "INSERT INTO agents.agents (id, project_id, name, capabilities, capacity, labels,"
            " model_settings, status, created_by, created_at, updated_at) VALUES (%(id)s,"
            " %(project)s, %(name)s, %(caps)s::text[], %(capacity)s, %(labels)s::jsonb,"
            " %(settings)s::jsonb, 'registered', %(by)s, %(at)s, %(at)s)"
            " ON CONFLICT (id) DO NOTHING",
            {
                "id": data["agent_id"],
                "project": data["project_id"],
                "name": data["name"],
                "caps": list(data["capabilities"]),
                "capacity": data["capacity"],
                "labels": as_json(data["labels"]),
                "settings": as_json(data["model_settings"]),
                "by": data["created_by"],
                "at": at,
            },
        )
    ]


def agent_updated(data: dict[str, Any], at: datetime) -> list[Statement]:
    """Only the changed fields; collections are replaced whole."""
    changes = data["changes"]
    caps = changes.get("capabilities")
    return [
        (
            "UPDATE agents.agents SET name = COALESCE(%(name)s, name),"
            " capabilities = COALESCE(%(caps)s::text[], capabilities),"
            " capacity = COALESCE(%(capacity)s, capacity),"
            " labels = COALESCE(%(labels)s::jsonb, labels),"
            " model_settings = COALESCE(%(settings)s::jsonb, model_settings),"
            " updated_at = GREATEST(updated_at, %(at)s) WHERE id = %(id)s",
            {
                "id": data["agent_id"],
                "name": changes.get("name"),
                "caps": list(caps) if caps is not None else None,
                "capacity": changes.get("capacity"),
                "labels": maybe_json(changes.get("labels")),
                "settings": maybe_json(changes.get("model_settings")),
                "at": at,
            },
        )
    ]


def agent_deleted(data: dict[str, Any], at: datetime) -> list[Statement]:
    """Kept (its tasks still name it) but marked deleted: lists and lookups skip it."""
    return [
        (
            "UPDATE agents.agents SET deleted_at = COALESCE(deleted_at, %(at)s),"
            " updated_at = GREATEST(updated_at, %(at)s) WHERE id = %(id)s",
            {"id": data["agent_id"], "at": at},
        )
    ]


def agent_status_changed(data: dict[str, Any], at: datetime) -> list[Statement]:
    """The new status; a deleted agent stays as it was."""
    return [
        (
            "UPDATE agents.agents SET status = %(to)s, updated_at = GREATEST(updated_at, %(at)s),"
            " last_seen_at = CASE WHEN %(seen)s THEN GREATEST(last_seen_at, %(at)s)"
            " ELSE last_seen_at END WHERE id = %(id)s AND deleted_at IS NULL",
            {"id": data["agent_id"], "to": data["to"], "seen": data["to"] in _SEEN, "at": at},
        )
    ]


def agent_key_issued(data: dict[str, Any], at: datetime) -> list[Statement]:
    """The stored half of a key: what the edge checks a connecting agent's secret against."""
    return [
        (
            "INSERT INTO agents.agent_keys (key_id, agent_id, secret_hash, issued_by, created_at)"
            " VALUES (%(key)s, %(agent)s, %(hash)s, %(by)s, %(at)s)"
            " ON CONFLICT (key_id) DO NOTHING",
            {
                "key": data["key_id"],
                "agent": data["agent_id"],
                "hash": data["secret_hash"],
                "by": data.get("issued_by"),
                "at": at,
            },
        )
    ]


def agent_key_revoked(data: dict[str, Any], at: datetime) -> list[Statement]:
    """A revocation is never undone, and keeps its first time."""
    return [
        (
            "UPDATE agents.agent_keys SET revoked_at = COALESCE(revoked_at, %(at)s)"
            " WHERE key_id = %(key)s AND agent_id = %(agent)s",
            {"key": data["key_id"], "agent": data["agent_id"], "at": at},
        )
    ]


def workflow_defined(data: dict[str, Any], at: datetime) -> list[Statement]:
    """Every version is kept; the workflow row shows the highest one."""
    params = {
        "id": data["workflow_id"],
        "project": data["project_id"],
        "name": data["name"],
        "version": data["version"],
        "definition": as_json(data["definition"]),
        "by": data["defined_by"],
        "at": at,
    }
    return [
        (
            "INSERT INTO agents.workflow_versions (workflow_id, version, name, definition,"
            " defined_by, defined_at) VALUES (%(id)s, %(version)s, %(name)s,"
            " %(definition)s::jsonb, %(by)s, %(at)s) ON CONFLICT DO NOTHING",
            params,
        ),
        (
            "INSERT INTO agents.workflows (id, project_id, name, version, definition,"
            " defined_by, created_at, updated_at) VALUES (%(id)s, %(project)s, %(name)s,"
            " %(version)s, %(definition)s::jsonb, %(by)s, %(at)s, %(at)s)"
            " ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, version = EXCLUDED.version,"
            " definition = EXCLUDED.definition, defined_by = EXCLUDED.defined_by,"
            " updated_at = EXCLUDED.updated_at"
            " WHERE agents.workflows.version < EXCLUDED.version",
            params,
        ),
    ]


def message_sent(data: dict[str, Any], at: datetime) -> list[Statement]:
    """A direct or broadcast message and who it went to."""
    return [
        (
            "INSERT INTO agents.messages (message_id, sender, recipients, body, broadcast,"
            " created_at) VALUES (%(id)s, %(sender)s, %(to)s::text[]::uuid[], %(body)s::jsonb,"
            " %(broadcast)s, %(at)s) ON CONFLICT (message_id) DO NOTHING",
            {
                "id": data["message_id"],
                "sender": data["sender"],
                "to": list(data["recipients"]),
                "body": as_json(data["body"]),
                "broadcast": bool(data["broadcast"]),
                "at": at,
            },
        )
    ]


def message_acknowledged(data: dict[str, Any], at: datetime) -> list[Statement]:
    """One more recipient has acknowledged the message (each counted once)."""
    return [
        (
            "UPDATE agents.messages SET acknowledged_by = array_append(acknowledged_by,"
            " %(agent)s::uuid) WHERE message_id = %(id)s"
            " AND NOT (%(agent)s::uuid = ANY(acknowledged_by))",
            {"id": data["message_id"], "agent": data["agent_id"]},
        )
    ]


APPLIERS: dict[str, Apply] = {
    "AgentCreated": agent_created,
    "AgentUpdated": agent_updated,
    "AgentDeleted": agent_deleted,
    "AgentStatusChanged": agent_status_changed,
    "AgentKeyIssued": agent_key_issued,
    "AgentKeyRevoked": agent_key_revoked,
    "WorkflowDefined": workflow_defined,
    "MessageSent": message_sent,
    "MessageAcknowledged": message_acknowledged,
}
