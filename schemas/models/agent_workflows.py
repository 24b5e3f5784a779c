"""Models of the workflow and execution events on ``agent-events``.

Mirrors schemas/agent-events/{WorkflowDefined,ExecutionStarted,ExecutionStatusChanged,
StepStatusChanged}/. The event's subject is workflow_id or execution_id.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from schemas.models.agent_common import (
    AgentEvent,
    AttemptOrZero,
    ErrorText,
    ExecutionStatus,
    FreeObject,
    StepId,
    StepIds,
    StepOutputs,
    StepStatus,
    Version,
    WorkflowDefinition,
)
from schemas.models.common import DisplayText, EventData, Reason, Uuid


class WorkflowDefined(AgentEvent):
    """A workflow was defined: version 1, or a new version of a known workflow."""

    TYPE: ClassVar[str] = "WorkflowDefined"

    workflow_id: Uuid
    project_id: Uuid
    name: DisplayText
    version: Version
    definition: WorkflowDefinition
    defined_by: Uuid


class ExecutionStarted(AgentEvent):
    """An execution of a workflow version started (status running)."""

    TYPE: ClassVar[str] = "ExecutionStarted"

    execution_id: Uuid
    workflow_id: Uuid
    workflow_version: Version
    project_id: Uuid
    context: FreeObject
    step_ids: StepIds
    started_by: Uuid


class ExecutionStatusChanged(AgentEvent):
    """An execution moved from one status to another."""

    TYPE: ClassVar[str] = "ExecutionStatusChanged"

    execution_id: Uuid
    # `from` is a Python keyword: `from_` in code, `from` on the wire (see AgentStatusChanged).
    from_: ExecutionStatus = Field(validation_alias="from", serialization_alias="from")
    to: ExecutionStatus
    reason: Reason | None
    by: Uuid | None
    outputs: StepOutputs | None


class StepStatusChanged(AgentEvent):
    """A step of an execution moved from one status to another."""

    TYPE: ClassVar[str] = "StepStatusChanged"

    execution_id: Uuid
    step_id: StepId
    from_: StepStatus = Field(validation_alias="from", serialization_alias="from")
    to: StepStatus
    task_id: Uuid | None
    attempt: AttemptOrZero
    output: FreeObject | None
    error: ErrorText | None


AGENT_WORKFLOW_EVENT_MODELS: tuple[type[EventData], ...] = (
    WorkflowDefined,
    ExecutionStarted,
    ExecutionStatusChanged,
    StepStatusChanged,
)
