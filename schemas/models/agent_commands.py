"""Models of the agent, key, connection and message commands on ``agent-commands``.

The edge sends them, every one keyed ``scheduler`` (one scheduling shard decides the whole
agents context). HTTP-originated commands are answered on ``agent-replies``; those an agent's
connection produces (ConnectAgent, AgentHeartbeat, DisconnectAgent, AckMessage) are not.
Task and workflow commands are in ``agent_task_commands``.
"""

from __future__ import annotations

from typing import ClassVar

from schemas.models.agent_common import (
    AgentCommand,
    AgentKeyId,
    Capacity,
    FreeObject,
    Labels,
    ModelSettings,
    RunningTasks,
    Sender,
)
from schemas.models.agent_events import AgentChanges
from schemas.models.common import (
    DisplayText,
    EventData,
    Reason,
    Sha256Hex,
    Token,
    UniqueTokens,
    Uuid,
)


class CreateAgent(AgentCommand):
    """Register an agent in a project."""

    TYPE: ClassVar[str] = "CreateAgent"

    agent_id: Uuid
    project_id: Uuid
    name: DisplayText
    capabilities: UniqueTokens
    capacity: Capacity
    labels: Labels
    model_settings: ModelSettings
    created_by: Uuid


class UpdateAgent(AgentCommand):
    """Change some of an agent's settings."""

    TYPE: ClassVar[str] = "UpdateAgent"

    agent_id: Uuid
    changes: AgentChanges
    updated_by: Uuid


class DeleteAgent(AgentCommand):
    """Remove an agent: its tasks are released and reassigned, its keys stop working."""

    TYPE: ClassVar[str] = "DeleteAgent"

    agent_id: Uuid
    deleted_by: Uuid
    reason: Reason | None


class DrainAgent(AgentCommand):
    """Let an agent finish its running tasks and take no new ones."""

    TYPE: ClassVar[str] = "DrainAgent"

    agent_id: Uuid
    by: Uuid


class IssueAgentKey(AgentCommand):
    """Store a new connection key of an agent (only its secret's hash travels)."""

    TYPE: ClassVar[str] = "IssueAgentKey"

    agent_id: Uuid
    key_id: AgentKeyId
    secret_hash: Sha256Hex
    issued_by: Uuid


class RevokeAgentKey(AgentCommand):
    """Revoke an agent's connection key."""

    TYPE: ClassVar[str] = "RevokeAgentKey"

    agent_id: Uuid
    key_id: AgentKeyId
    revoked_by: Uuid


class ConnectAgent(AgentCommand):
    """An agent connected (a new session): it is online with the given concurrency."""

    TYPE: ClassVar[str] = "ConnectAgent"

    agent_id: Uuid
    session_id: Uuid
    capabilities: UniqueTokens | None
    concurrency: Capacity
    running: RunningTasks


class AgentHeartbeat(AgentCommand):
    """A connected agent is still there."""

    TYPE: ClassVar[str] = "AgentHeartbeat"

    agent_id: Uuid
    session_id: Uuid


class DisconnectAgent(AgentCommand):
    """An agent's connection closed."""

    TYPE: ClassVar[str] = "DisconnectAgent"

    agent_id: Uuid
    session_id: Uuid


class BroadcastMessage(AgentCommand):
    """Send a message to every live agent matching a filter."""

    TYPE: ClassVar[str] = "BroadcastMessage"

    message_id: Uuid
    sender: Sender
    capability: Token | None
    project_id: Uuid | None
    body: FreeObject


class SendDirectMessage(AgentCommand):
    """Send a message to one agent."""

    TYPE: ClassVar[str] = "SendDirectMessage"

    message_id: Uuid
    sender: Sender
    to_agent_id: Uuid
    body: FreeObject


class AckMessage(AgentCommand):
    """An agent acknowledged a message delivered to it."""

    TYPE: ClassVar[str] = "AckMessage"

    agent_id: Uuid
    message_id: Uuid


AGENT_COMMAND_MODELS: tuple[type[EventData], ...] = (
    CreateAgent,
    UpdateAgent,
    DeleteAgent,
    DrainAgent,
    IssueAgentKey,
    RevokeAgentKey,
    ConnectAgent,
    AgentHeartbeat,
    DisconnectAgent,
    BroadcastMessage,
    SendDirectMessage,
    AckMessage,
)
