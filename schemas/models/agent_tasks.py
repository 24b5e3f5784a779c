"""Models of the task events on ``agent-events``, mirroring schemas/agent-events/Task*/.

A task's life: queued (pending), assigned to an agent (an attempt), started, progressing,
then completed, failed (retried after a backoff unless final) or cancelled; released back
to pending when its agent goes away. The event's subject is task_id.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from schemas.models.agent_common import (
    AgentEvent,
    Attempt,
    AttemptOrZero,
    BackoffS,
    ErrorText,
    FreeObject,
    MaxAttempts,
    Priority,
    Progress,
    ProgressMessage,
    ReasonCode,
    Seconds,
    StepId,
    TimeoutS,
)
from schemas.models.common import (
    EventData,
    Reason,
    StrictBool,
    Timestamp,
    UniqueTokens,
    Uuid,
)


class TaskQueued(AgentEvent):
    """A task was submitted (or a workflow step dispatched) and waits for an agent."""

    TYPE: ClassVar[str] = "TaskQueued"

    task_id: Uuid
    project_id: Uuid
    capabilities: UniqueTokens
    input: FreeObject
    priority: Priority
    max_attempts: MaxAttempts
    backoff_s: BackoffS
    timeout_s: TimeoutS
    execution_id: Uuid | None
    step_id: StepId | None
    submitted_by: Uuid


class TaskAssigned(AgentEvent):
    """A task was assigned to an agent: a new attempt, offered to the agent."""

    TYPE: ClassVar[str] = "TaskAssigned"

    task_id: Uuid
    agent_id: Uuid
    attempt: Attempt
    assigned_by: Literal["scheduler"] | Uuid


class TaskStarted(AgentEvent):
    """The agent started running its attempt of the task."""

    TYPE: ClassVar[str] = "TaskStarted"

    task_id: Uuid
    agent_id: Uuid
    attempt: Attempt


class TaskProgressed(AgentEvent):
    """The agent reported progress on its attempt of the task."""

    TYPE: ClassVar[str] = "TaskProgressed"

    task_id: Uuid
    agent_id: Uuid
    attempt: Attempt
    progress: Progress
    message: ProgressMessage | None


class TaskCompleted(AgentEvent):
    """The agent completed the task with an output."""

    TYPE: ClassVar[str] = "TaskCompleted"

    task_id: Uuid
    agent_id: Uuid
    attempt: Attempt
    output: FreeObject
    duration_s: Seconds


class TaskFailed(AgentEvent):
    """An attempt of the task failed; final, or retried at retry_at."""

    TYPE: ClassVar[str] = "TaskFailed"

    task_id: Uuid
    agent_id: Uuid | None
    attempt: AttemptOrZero
    error: ErrorText
    final: StrictBool
    retry_at: Timestamp | None


class TaskReleased(AgentEvent):
    """An assigned or running task was taken from its agent and is pending again."""

    TYPE: ClassVar[str] = "TaskReleased"

    task_id: Uuid
    agent_id: Uuid
    attempt: Attempt
    reason: ReasonCode


class TaskCancelled(AgentEvent):
    """A task was cancelled before it finished."""

    TYPE: ClassVar[str] = "TaskCancelled"

    task_id: Uuid
    by: Uuid | None
    reason: Reason | None


AGENT_TASK_EVENT_MODELS: tuple[type[EventData], ...] = (
    TaskQueued,
    TaskAssigned,
    TaskStarted,
    TaskProgressed,
    TaskCompleted,
    TaskFailed,
    TaskReleased,
    TaskCancelled,
)
