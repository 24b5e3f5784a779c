"""Models of the ``data`` of command replies, mirroring schemas/<context>-replies/.

Every ``<context>-replies`` topic carries the same two types; one pair of models per topic.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from schemas.models.common import JSON_INTEGER, EventData, NonEmpty

REPLY_TOPICS = (
    "agent-replies",
    "user-replies",
    "project-replies",
    "notification-replies",
    "analytics-replies",
)
SuccessStatus = Annotated[int, Field(ge=200, le=299), JSON_INTEGER]
FailureStatus = Annotated[int, Field(ge=400, le=599), JSON_INTEGER]


class ReplyErrorData(BaseModel):
    """Why a command was not carried out."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    message: NonEmpty
    field: NonEmpty | SkipJsonSchema[None] = None


class CommandSucceeded(EventData):
    """A command was carried out."""

    TYPE: ClassVar[str] = "CommandSucceeded"
    VERSION: ClassVar[int] = 1

    command_id: NonEmpty
    command_type: NonEmpty
    status: Literal["succeeded"]
    http_status: SuccessStatus | SkipJsonSchema[None] = None
    resource: dict[str, Any] | SkipJsonSchema[None] = None


class CommandRejected(EventData):
    """A command was refused by the domain, or failed."""

    TYPE: ClassVar[str] = "CommandRejected"
    VERSION: ClassVar[int] = 1

    command_id: NonEmpty
    command_type: NonEmpty
    status: Literal["rejected", "failed"]
    http_status: FailureStatus
    resource: dict[str, Any] | SkipJsonSchema[None] = None
    error: ReplyErrorData


def _on(topic: str, base: type[EventData]) -> type[EventData]:
    # One subclass per topic: the schema files are per topic, and MODELS is keyed by topic.
    return type(base.__name__, (base,), {"TOPIC": topic, "__module__": __name__})


REPLY_MODELS: tuple[type[EventData], ...] = tuple(
    _on(topic, base) for topic in REPLY_TOPICS for base in (CommandSucceeded, CommandRejected)
)
