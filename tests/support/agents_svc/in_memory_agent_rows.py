"""Agents, keys, workflows and messages into ``FakeAgentsReadModel``'s rows.

Each applier does to the rows what its statement in
``agents_svc/worker/projector/agent_statements.py`` does to the tables.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from tests.support.agents_svc.fake_backends import FakeAgentsReadModel

_SEEN = ("online", "busy")
Apply = Callable[[FakeAgentsReadModel, dict[str, Any], datetime], None]


def later(old: datetime | None, new: datetime) -> datetime:
    return new if old is None or new > old else old  # GREATEST, which skips NULL


def agent_created(rm: FakeAgentsReadModel, d: dict[str, Any], at: datetime) -> None:
    fields = ("project_id", "name", "capacity", "labels", "model_settings", "created_by")
    rm.agents_by_id.setdefault(
        d["agent_id"],
        {
            "id": d["agent_id"],
            **{k: d[k] for k in fields},
            "capabilities": list(d["capabilities"]),
            "status": "registered",
            "created_at": at,
            "updated_at": at,
            "last_seen_at": None,
            "deleted_at": None,
        },
    )


def agent_updated(rm: FakeAgentsReadModel, d: dict[str, Any], at: datetime) -> None:
    agent = rm.agents_by_id.get(d["agent_id"])
    if agent is None:
        return
    for name, value in d["changes"].items():
        if value is not None:
            agent[name] = list(value) if name == "capabilities" else value
    agent["updated_at"] = later(agent["updated_at"], at)


def agent_deleted(rm: FakeAgentsReadModel, d: dict[str, Any], at: datetime) -> None:
    agent = rm.agents_by_id.get(d["agent_id"])
    if agent is not None:
        agent["deleted_at"] = agent["deleted_at"] or at
        agent["updated_at"] = later(agent["updated_at"], at)


def agent_status_changed(rm: FakeAgentsReadModel, d: dict[str, Any], at: datetime) -> None:
    agent = rm.agents_by_id.get(d["agent_id"])
    if agent is None or agent["deleted_at"] is not None:
        return
    agent.update(status=d["to"], updated_at=later(agent["updated_at"], at))
    if d["to"] in _SEEN:
        agent["last_seen_at"] = later(agent["last_seen_at"], at)


def agent_key_issued(rm: FakeAgentsReadModel, d: dict[str, Any], at: datetime) -> None:
    rm.keys.setdefault(
        d["key_id"],
        {
            "key_id": d["key_id"],
            "agent_id": d["agent_id"],
            "secret_hash": d["secret_hash"],
            "issued_by": d.get("issued_by"),
            "created_at": at,
            "revoked_at": None,
        },
    )


def agent_key_revoked(rm: FakeAgentsReadModel, d: dict[str, Any], at: datetime) -> None:
    key = rm.keys.get(d["key_id"])
    if key is not None and key["agent_id"] == d["agent_id"]:
        key["revoked_at"] = key["revoked_at"] or at


def workflow_defined(rm: FakeAgentsReadModel, d: dict[str, Any], at: datetime) -> None:
    version = d["version"]
    rm.workflow_versions.setdefault(
        (d["workflow_id"], version),
        {
            "name": d["name"],
            "definition": d["definition"],
            "defined_by": d["defined_by"],
            "defined_at": at,
        },
    )
    latest = rm.workflows_by_id.get(d["workflow_id"])
    shown = {"name": d["name"], "version": version, "definition": d["definition"]}
    if latest is None:
        rm.workflows_by_id[d["workflow_id"]] = {
            "id": d["workflow_id"],
            "project_id": d["project_id"],
            **shown,
            "defined_by": d["defined_by"],
            "created_at": at,
            "updated_at": at,
        }
    elif latest["version"] < version:
        latest.update(shown, defined_by=d["defined_by"], updated_at=at)


def message_sent(rm: FakeAgentsReadModel, d: dict[str, Any], at: datetime) -> None:
    fields = ("message_id", "sender", "body", "broadcast")
    rm.messages_by_id.setdefault(
        d["message_id"],
        {
            **{k: d[k] for k in fields},
            "recipients": list(d["recipients"]),
            "acknowledged_by": [],
            "created_at": at,
        },
    )


def message_acknowledged(rm: FakeAgentsReadModel, d: dict[str, Any], at: datetime) -> None:
    message = rm.messages_by_id.get(d["message_id"])
    if message is not None and d["agent_id"] not in message["acknowledged_by"]:
        message["acknowledged_by"].append(d["agent_id"])


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
