"""Agent messages: broadcast and direct, kept per recipient until acknowledged.

Each recipient has a mailbox with its own sequence numbers, so delivery is ordered per
recipient; what is not acknowledged is delivered again whenever the agent reconnects.
"""

from __future__ import annotations

from typing import Any

from agents_svc.domain.agents import get_agent
from agents_svc.domain.decision import SchedulerDecision
from agents_svc.domain.errors import Refusal
from agents_svc.domain.state import MAILBOX, Record
from agents_svc.domain.views import effective_capabilities, iso

MAILBOX_LIMIT = 1000


def _post(
    dec: SchedulerDecision, agent_id: str, message_id: str, sender: str, body: dict[str, Any]
) -> None:
    box = dec.get(MAILBOX + agent_id) or {"next_seq": 1, "unacked": []}
    delivery = {
        "message_id": message_id,
        "seq": box["next_seq"],
        "sender": sender,
        "body": body,
        "sent_at": iso(dec.now),
    }
    dec.put(
        MAILBOX + agent_id,
        {"next_seq": box["next_seq"] + 1, "unacked": [*box["unacked"], delivery]},
    )
    dec.deliver("MessageDelivered", agent_id, delivery)


def _full(dec: SchedulerDecision, agent_id: str) -> bool:
    box = dec.get(MAILBOX + agent_id)
    return box is not None and len(box["unacked"]) >= MAILBOX_LIMIT


def broadcast(dec: SchedulerDecision, data: dict[str, Any]) -> None:
    """BroadcastMessage: every live agent matching the filter (offline ones on reconnect)."""
    recipients: list[str] = []
    for agent in sorted(dec.state.agents(), key=lambda a: a["id"]):
        if not _selected(agent, data) or _full(dec, agent["id"]):
            continue
        recipients.append(agent["id"])
        _post(dec, agent["id"], data["message_id"], data["sender"], data["body"])
    _announce(dec, data, recipients, broadcast=True)


def _selected(agent: Record, data: dict[str, Any]) -> bool:
    if data.get("project_id") and agent["project_id"] != data["project_id"]:
        return False
    return not data.get("capability") or data["capability"] in effective_capabilities(agent)


def direct(dec: SchedulerDecision, data: dict[str, Any]) -> None:
    """SendDirectMessage: to one agent only."""
    agent = get_agent(dec, data["to_agent_id"], "to_agent_id")
    if _full(dec, agent["id"]):
        raise Refusal(
            429,
            "mailbox_full",
            f"agent {agent['id']} has {MAILBOX_LIMIT} unacknowledged messages",
            "to_agent_id",
        )
    _post(dec, agent["id"], data["message_id"], data["sender"], data["body"])
    _announce(dec, data, [agent["id"]], broadcast=False)


def _announce(
    dec: SchedulerDecision, data: dict[str, Any], recipients: list[str], *, broadcast: bool
) -> None:
    dec.event(
        "MessageSent",
        data["message_id"],
        {
            "message_id": data["message_id"],
            "sender": data["sender"],
            "recipients": recipients,
            "body": data["body"],
            "broadcast": broadcast,
        },
    )
    dec.reply({"message_id": data["message_id"], "recipients": recipients}, 201)


def acknowledge(dec: SchedulerDecision, data: dict[str, Any]) -> None:
    """AckMessage: the agent has it; it is not delivered again."""
    box = dec.get(MAILBOX + data["agent_id"])
    if box is None:
        return
    left = [m for m in box["unacked"] if m["message_id"] != data["message_id"]]
    if len(left) == len(box["unacked"]):
        return
    dec.put(MAILBOX + data["agent_id"], {**box, "unacked": left})
    dec.event(
        "MessageAcknowledged",
        data["message_id"],
        {
            "message_id": data["message_id"],
            "agent_id": data["agent_id"],
        },
    )
