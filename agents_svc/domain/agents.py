"""Agents: registration, configuration, keys, connections and draining."""

from __future__ import annotations

from typing import Any

from agents_svc.domain.decision import SchedulerDecision
from agents_svc.domain.errors import conflict, not_found
from agents_svc.domain.execution_steps import release_task
from agents_svc.domain.state import Record, name_key
from agents_svc.domain.tasks import agent_key, offer, refresh_status, set_status
from agents_svc.domain.views import agent_view, effective_capabilities, iso

MAX_LIVE_KEYS = 10
CONFIG_FIELDS = ("name", "capabilities", "capacity", "labels", "model_settings")


def get_agent(dec: SchedulerDecision, agent_id: str, field: str | None = None) -> Record:
    """The live agent, or 404."""
    agent = dec.get(agent_key(agent_id))
    if agent is None:
        raise not_found("agent", agent_id, field)
    return agent


def satisfiable(dec: SchedulerDecision, capabilities: list[str]) -> bool:
    """True when some live agent offers every one of these capabilities."""
    needs = set(capabilities)
    return any(needs.issubset(effective_capabilities(a)) for a in dec.state.agents())


def _check_name(dec: SchedulerDecision, project_id: str, name: str, agent_id: str) -> None:
    holder = dec.state.names.get(name_key(project_id, name))
    if holder is not None and holder != agent_id:
        raise conflict(
            "agent_name_taken", f"project {project_id} already has an agent named {name!r}", "name"
        )


def create(dec: SchedulerDecision, data: dict[str, Any]) -> None:
    """CreateAgent: register an agent (status registered until it connects)."""
    existing = dec.get(agent_key(data["agent_id"]))
    if existing is not None:
        # A retried create is answered with the agent it made.
        if all(existing[f] == data[f] for f in CONFIG_FIELDS):
            dec.reply(agent_view(existing, dec.state), 201)
            return
        raise conflict("agent_exists", f"agent {data['agent_id']} already exists", "agent_id")
    _check_name(dec, data["project_id"], data["name"], data["agent_id"])
    agent: Record = {
        "id": data["agent_id"],
        "project_id": data["project_id"],
        "name": data["name"],
        "capabilities": data["capabilities"],
        "capacity": data["capacity"],
        "labels": data["labels"],
        "model_settings": data["model_settings"],
        "status": "registered",
        "created_by": data["created_by"],
        "created_at": dec.now,
        "updated_at": dec.now,
        "last_seen": None,
        "session_id": None,
        "concurrency": None,
        "keys": {},
    }
    dec.put(agent_key(agent["id"]), agent)
    dec.event(
        "AgentCreated",
        agent["id"],
        {
            "agent_id": agent["id"],
            **{f: data[f] for f in CONFIG_FIELDS},
            "project_id": data["project_id"],
            "created_by": data["created_by"],
            "status": "registered",
        },
    )
    dec.reply(agent_view(agent, dec.state), 201)


def update(dec: SchedulerDecision, data: dict[str, Any]) -> None:
    """UpdateAgent: change configuration fields; only real changes are announced."""
    agent = get_agent(dec, data["agent_id"])
    changes = {k: v for k, v in data["changes"].items() if agent.get(k) != v}
    if "name" in changes:
        _check_name(dec, agent["project_id"], changes["name"], agent["id"])
    if changes:
        agent = dec.update(agent_key(agent["id"]), **changes, updated_at=dec.now)
        dec.event(
            "AgentUpdated",
            agent["id"],
            {
                "agent_id": agent["id"],
                "changes": changes,
                "updated_by": data["updated_by"],
            },
        )
        refresh_status(dec, agent["id"])
    dec.reply(agent_view(agent, dec.state))


def delete(dec: SchedulerDecision, data: dict[str, Any]) -> None:
    """DeleteAgent: its tasks go elsewhere, its keys stop working, its name is free again."""
    agent = get_agent(dec, data["agent_id"])
    moved = move_tasks(dec, agent["id"], "agent_deleted", include_running=True)
    dec.put(agent_key(agent["id"]), None)
    dec.put("mbox:" + agent["id"], None)
    dec.event(
        "AgentDeleted",
        agent["id"],
        {
            "agent_id": agent["id"],
            "deleted_by": data["deleted_by"],
            "reason": data.get("reason"),
        },
    )
    dec.reply({"agent_id": agent["id"], "deleted": True, "moved_tasks": moved})


def drain(dec: SchedulerDecision, data: dict[str, Any]) -> None:
    """DrainAgent: no new tasks; queued ones go elsewhere; running ones finish here."""
    agent = get_agent(dec, data["agent_id"])
    agent = set_status(dec, agent, "draining", "drained by an operator")
    agent = dec.update(agent_key(agent["id"]), draining=True)  # survives going offline
    move_tasks(dec, agent["id"], "agent_draining", include_running=False)
    dec.reply(agent_view(agent, dec.state))


def move_tasks(
    dec: SchedulerDecision, agent_id: str, reason: str, *, include_running: bool
) -> list[str]:
    """Release the agent's tasks back to the queue (dispatch then places them elsewhere)."""
    moved = []
    for task_id in dec.state.tasks_of(agent_id):
        task = dec.get("task:" + task_id)
        if task is None or (task["status"] == "running" and not include_running):
            continue
        release_task(dec, task, reason)
        moved.append(task_id)
    return moved


def issue_key(dec: SchedulerDecision, data: dict[str, Any]) -> None:
    """IssueAgentKey: remember a key (its hash travels to the read model the edge checks)."""
    agent = get_agent(dec, data["agent_id"])
    keys = dict(agent["keys"])
    if data["key_id"] in keys:
        raise conflict("key_exists", f"key {data['key_id']} already exists", "key_id")
    if sum(1 for k in keys.values() if k["revoked_at"] is None) >= MAX_LIVE_KEYS:
        raise conflict("too_many_keys", f"an agent may have at most {MAX_LIVE_KEYS} live keys")
    keys[data["key_id"]] = {"created_at": dec.now, "revoked_at": None}
    dec.update(agent_key(agent["id"]), keys=keys)
    dec.event(
        "AgentKeyIssued",
        agent["id"],
        {
            "agent_id": agent["id"],
            "key_id": data["key_id"],
            "secret_hash": data["secret_hash"],
            "issued_by": data["issued_by"],
        },
    )
    dec.reply(_key_view(agent["id"], data["key_id"], keys[data["key_id"]]), 201)


def revoke_key(dec: SchedulerDecision, data: dict[str, Any]) -> None:
    """RevokeAgentKey: idempotent; a revoked key never works again."""
    agent = get_agent(dec, data["agent_id"])
    key = agent["keys"].get(data["key_id"])
    if key is None:
        raise not_found("key", data["key_id"], "key_id")
    if key["revoked_at"] is None:
        key = {**key, "revoked_at": dec.now}
        dec.update(agent_key(agent["id"]), keys={**agent["keys"], data["key_id"]: key})
        dec.event(
            "AgentKeyRevoked",
            agent["id"],
            {
                "agent_id": agent["id"],
                "key_id": data["key_id"],
                "revoked_by": data["revoked_by"],
            },
        )
    dec.reply(_key_view(agent["id"], data["key_id"], key))


def _key_view(agent_id: str, key_id: str, key: Record) -> dict[str, Any]:
    return {
        "key_id": key_id,
        "agent_id": agent_id,
        "created_at": iso(key["created_at"]),
        "revoked_at": iso(key["revoked_at"]),
    }


def connect(dec: SchedulerDecision, data: dict[str, Any]) -> None:
    """ConnectAgent: online again; unstarted tasks and unread messages are offered again."""
    agent = dec.get(agent_key(data["agent_id"]))
    if agent is None:
        return
    fields: dict[str, Any] = {
        "session_id": data["session_id"],
        "last_seen": dec.now,
        "concurrency": data["concurrency"],
    }
    caps = data.get("capabilities")
    if caps is not None and sorted(caps) != sorted(agent["capabilities"]):
        # What the agent process says it can do is what it is matched on from now on.
        fields["capabilities"] = caps
        dec.event(
            "AgentUpdated",
            agent["id"],
            {
                "agent_id": agent["id"],
                "changes": {"capabilities": caps},
                "updated_by": agent["id"],
            },
        )
    agent = dec.update(agent_key(agent["id"]), **fields)
    if agent["status"] in ("registered", "offline"):
        back = "draining" if agent.get("draining") else "online"
        agent = set_status(dec, agent, back, "connected")
    running = set(data.get("running") or [])
    for task_id in dec.state.tasks_of(agent["id"]):
        task = dec.get("task:" + task_id)
        if task is None:
            continue
        if task["status"] == "assigned":
            offer(dec, task)
        elif task["id"] not in running:
            release_task(dec, task, "agent_restarted")
    refresh_status(dec, agent["id"])
    mailbox = dec.get("mbox:" + agent["id"])
    for message in (mailbox or {}).get("unacked", []):
        dec.deliver("MessageDelivered", agent["id"], message)


def heartbeat(dec: SchedulerDecision, data: dict[str, Any]) -> None:
    """AgentHeartbeat: the agent is alive now."""
    agent = dec.get(agent_key(data["agent_id"]))
    if agent is not None and agent.get("session_id") == data["session_id"]:
        dec.update(agent_key(agent["id"]), last_seen=dec.now)


def disconnect(dec: SchedulerDecision, data: dict[str, Any]) -> None:
    """DisconnectAgent: no new tasks; it keeps its own until the heartbeat timeout."""
    agent = dec.get(agent_key(data["agent_id"]))
    if agent is not None and agent.get("session_id") == data["session_id"]:
        dec.update(agent_key(agent["id"]), session_id=None, last_seen=dec.now)


def expire(dec: SchedulerDecision, timeout_s: float) -> None:
    """Agents silent past the timeout go offline and their tasks are redistributed."""
    for agent in dec.state.agents():
        if agent["status"] in ("registered", "offline") or agent.get("last_seen") is None:
            continue
        if dec.now - float(agent["last_seen"]) <= timeout_s:
            continue
        agent = dec.update(agent_key(agent["id"]), session_id=None)
        set_status(dec, agent, "offline", f"no heartbeat for {timeout_s:g} s")
        move_tasks(dec, agent["id"], "heartbeat_timeout", include_running=True)
