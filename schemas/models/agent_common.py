"""Building blocks of the agents context's models: agent settings, task bounds, workflows.

Shared by the models of ``agent-commands``, ``agent-events``, ``agent-deliveries`` and
``agent-clock`` (see agents_svc/DESIGN.md).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema, WithJsonSchema

from schemas.models.common import (
    _UNIQUE_ITEMS,
    API_KEY_ID_PATTERN,
    JSON_INTEGER,
    JSON_NUMBER,
    EventData,
    UniqueTokens,
    Uuid,
    _unique,
)

COMMANDS = "agent-commands"
EVENTS = "agent-events"
DELIVERIES = "agent-deliveries"
CLOCK = "agent-clock"

# `user:<uuid>` or `agent:<uuid>`: who sent an agent message.
SENDER_PATTERN = (
    r"^(user|agent):[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
STEP_ID_PATTERN = r"^[a-z][a-z0-9_-]{0,62}$"
# Machine-readable reasons (agent_deleted, agent_restarted, ...): snake_case codes.
REASON_CODE_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"

AgentStatus = Literal["registered", "online", "busy", "draining", "offline"]
ExecutionStatus = Literal["running", "paused", "completed", "failed", "cancelled"]
StepStatus = Literal["waiting", "queued", "running", "completed", "failed", "cancelled"]

Capacity = Annotated[int, Field(ge=1, le=1000), JSON_INTEGER]
LabelKey = Annotated[str, Field(min_length=1, max_length=63)]
LabelValue = Annotated[str, Field(max_length=256)]
Labels = Annotated[dict[LabelKey, LabelValue], Field(max_length=64)]
FreeObject = dict[str, Any]
ModelSettings = FreeObject

AgentKeyId = Annotated[str, Field(pattern=API_KEY_ID_PATTERN)]
Sender = Annotated[str, Field(pattern=SENDER_PATTERN)]
StepId = Annotated[str, Field(pattern=STEP_ID_PATTERN)]
ReasonCode = Annotated[str, Field(pattern=REASON_CODE_PATTERN)]
UniqueUuids = Annotated[list[Uuid], AfterValidator(_unique), Field(json_schema_extra=_UNIQUE_ITEMS)]
RunningTasks = Annotated[
    list[Uuid], AfterValidator(_unique), Field(max_length=1000, json_schema_extra=_UNIQUE_ITEMS)
]

Priority = Annotated[int, Field(ge=0, le=9), JSON_INTEGER]
MaxAttempts = Annotated[int, Field(ge=1, le=10), JSON_INTEGER]
BackoffS = Annotated[float, Field(ge=0, le=3600), JSON_NUMBER]
TimeoutS = Annotated[float, Field(ge=1, le=86400), JSON_NUMBER]
Progress = Annotated[float, Field(ge=0, le=1), JSON_NUMBER]
Seconds = Annotated[float, Field(ge=0), JSON_NUMBER]
# An assignment of a task to an agent (1, 2, ...); 0 where a task was never assigned.
Attempt = Annotated[int, Field(ge=1), JSON_INTEGER]
AttemptOrZero = Annotated[int, Field(ge=0), JSON_INTEGER]
Version = Annotated[int, Field(ge=1), JSON_INTEGER]
Seq = Annotated[int, Field(ge=1), JSON_INTEGER]
ErrorText = Annotated[str, Field(min_length=1, max_length=2000)]
ProgressMessage = Annotated[str, Field(max_length=1000)]


def _refuse_nulls(cls: type[BaseModel], data: Any) -> Any:
    # Optional fields of a closed object are typed `X | SkipJsonSchema[None] = None`: absent
    # means "not given"; the schema allows no null there, so neither does the model.
    if isinstance(data, dict):
        nulls = sorted(k for k, v in data.items() if v is None and k in cls.model_fields)
        if nulls:
            raise ValueError(f"omit these fields instead of sending null: {nulls}")
    return data


class Closed(BaseModel):
    """A nested object with fixed fields: unknown fields refused, optional ones never null."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        return _refuse_nulls(cls, data)


class StepRetry(Closed):
    """How a step's task is retried after a retryable failure."""

    attempts: MaxAttempts | SkipJsonSchema[None] = None
    backoff_s: BackoffS | SkipJsonSchema[None] = None


class WorkflowStep(Closed):
    """One step of a workflow: a task to run once the steps it depends on completed."""

    id: StepId
    capabilities: UniqueTokens | SkipJsonSchema[None] = None
    input: FreeObject | SkipJsonSchema[None] = None
    depends_on: (
        Annotated[
            list[StepId],
            AfterValidator(_unique),
            Field(max_length=99, json_schema_extra=_UNIQUE_ITEMS),
        ]
        | SkipJsonSchema[None]
    ) = None
    retry: StepRetry | SkipJsonSchema[None] = None
    timeout_s: TimeoutS | SkipJsonSchema[None] = None
    priority: Priority | SkipJsonSchema[None] = None


class WorkflowDefinition(Closed):
    """A workflow's steps (a DAG by their depends_on), at most 100."""

    steps: Annotated[list[WorkflowStep], Field(min_length=1, max_length=100)]


StepIds = Annotated[
    list[StepId],
    AfterValidator(_unique),
    Field(min_length=1, max_length=100, json_schema_extra=_UNIQUE_ITEMS),
]
# pydantic would describe pattern-constrained keys as patternProperties, which lets other keys
# through; propertyNames says what the model enforces.
StepOutputs = Annotated[
    dict[StepId, FreeObject],
    WithJsonSchema(
        {
            "type": "object",
            "propertyNames": {"pattern": STEP_ID_PATTERN},
            "additionalProperties": {"type": "object"},
        }
    ),
]


class AgentCommand(EventData):
    """Base of the commands on ``agent-commands`` (version 1), all keyed ``scheduler``."""

    TOPIC: ClassVar[str] = COMMANDS
    VERSION: ClassVar[int] = 1


class AgentEvent(EventData):
    """Base of the events on ``agent-events`` (version 1)."""

    TOPIC: ClassVar[str] = EVENTS
    VERSION: ClassVar[int] = 1


class AgentDelivery(EventData):
    """Base of the deliveries on ``agent-deliveries`` (version 1), keyed by agent id."""

    TOPIC: ClassVar[str] = DELIVERIES
    VERSION: ClassVar[int] = 1
