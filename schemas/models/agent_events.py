"""Models of the ``data`` of events on ``agent-events``, mirroring schemas/agent-events/.

Agents, their keys and agent messages here; tasks in ``agent_tasks``, workflows and
executions in ``agent_workflows``.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from schemas.models.agent_common import (
    EVENTS,
    AgentEvent,
    AgentKeyId,
    AgentStatus,
    Capacity,
    FreeObject,
    Labels,
    ModelSettings,
    Sender,
    UniqueUuids,
)
from schemas.models.common import (
    Changes,
    DisplayText,
    EventData,
    Reason,
    Sha256Hex,
    StrictBool,
    UniqueTokens,
    Uuid,
)

TOPIC = EVENTS


class AgentCreated(EventData):
    """An agent was registered in a project."""

    TOPIC: ClassVar[str] = TOPIC
    TYPE: ClassVar[str] = "AgentCreated"
    VERSION: ClassVar[int] = 1

    agent_id: Uuid
    project_id: Uuid
    name: DisplayText
    capabilities: UniqueTokens
    capacity: Capacity
    labels: Labels
    model_settings: ModelSettings
    created_by: Uuid
    status: Literal["registered"]


class AgentChanges(Changes):
    """The agent fields an update changed, with their new values."""

    name: DisplayText | SkipJsonSchema[None] = None
    capabilities: UniqueTokens | SkipJsonSchema[None] = None
    capacity: Capacity | SkipJsonSchema[None] = None
    labels: Labels | SkipJsonSchema[None] = None
    model_settings: ModelSettings | SkipJsonSchema[None] = None


class AgentUpdated(EventData):
    """Some of an agent's settings changed."""

    TOPIC: ClassVar[str] = TOPIC
    TYPE: ClassVar[str] = "AgentUpdated"
    VERSION: ClassVar[int] = 1

    agent_id: Uuid
    changes: AgentChanges
    updated_by: Uuid


class AgentDeleted(EventData):
    """An agent was removed; its id is never reused."""

    TOPIC: ClassVar[str] = TOPIC
    TYPE: ClassVar[str] = "AgentDeleted"
    VERSION: ClassVar[int] = 1

    agent_id: Uuid
    deleted_by: Uuid
    reason: Reason | None = None


class AgentStatusChanged(EventData):
    """An agent moved from one lifecycle status to another."""

    TOPIC: ClassVar[str] = TOPIC
    TYPE: ClassVar[str] = "AgentStatusChanged"
    VERSION: ClassVar[int] = 1

    agent_id: Uuid
    # `from` is a Python keyword; split aliases keep `from_` as the constructor name for
    # type checkers while the wire (and the schema) says `from`.
    from_: AgentStatus = Field(validation_alias="from", serialization_alias="from")
    to: AgentStatus
    reason: Reason | None = None


class AgentKeyIssued(AgentEvent):
    """A connection key was issued to an agent (its secret's hash: the edge checks keys)."""

    TYPE: ClassVar[str] = "AgentKeyIssued"

    agent_id: Uuid
    key_id: AgentKeyId
    secret_hash: Sha256Hex
    issued_by: Uuid


class AgentKeyRevoked(AgentEvent):
    """An agent's connection key was revoked."""

    TYPE: ClassVar[str] = "AgentKeyRevoked"

    agent_id: Uuid
    key_id: AgentKeyId
    revoked_by: Uuid


class MessageSent(AgentEvent):
    """A message was sent to agents, directly or by broadcast."""

    TYPE: ClassVar[str] = "MessageSent"

    message_id: Uuid
    sender: Sender
    recipients: UniqueUuids
    body: FreeObject
    broadcast: StrictBool


class MessageAcknowledged(AgentEvent):
    """A recipient agent acknowledged a message."""

    TYPE: ClassVar[str] = "MessageAcknowledged"

    message_id: Uuid
    agent_id: Uuid


AGENT_EVENT_MODELS: tuple[type[EventData], ...] = (
    AgentCreated,
    AgentUpdated,
    AgentDeleted,
    AgentStatusChanged,
    AgentKeyIssued,
    AgentKeyRevoked,
    MessageSent,
    MessageAcknowledged,
)
