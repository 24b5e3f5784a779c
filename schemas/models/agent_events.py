"""Models of the ``data`` of events on ``agent-events``, mirroring schemas/agent-events/."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from schemas.models.common import (
    JSON_INTEGER,
    Changes,
    DisplayText,
    EventData,
    Reason,
    UniqueTokens,
    Uuid,
)

TOPIC = "agent-events"

AgentStatus = Literal["registered", "online", "busy", "draining", "offline"]
Capacity = Annotated[int, Field(ge=1, le=1000), JSON_INTEGER]
LabelKey = Annotated[str, Field(min_length=1, max_length=63)]
LabelValue = Annotated[str, Field(max_length=256)]
Labels = Annotated[dict[LabelKey, LabelValue], Field(max_length=64)]
ModelSettings = dict[str, Any]


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


AGENT_EVENT_MODELS: tuple[type[EventData], ...] = (
    AgentCreated,
    AgentUpdated,
    AgentDeleted,
    AgentStatusChanged,
)
