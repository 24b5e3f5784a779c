"""Models of the task and workflow commands on ``agent-commands`` (keyed ``scheduler``).

Submitting, assigning, redistributing and cancelling tasks, and defining, running and
steering workflows come from HTTP and are answered on ``agent-replies``; an agent's reports
on its task (StartTask, ReportProgress, CompleteTask, FailTask) are not answered.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from schemas.models.agent_common import (
    AgentCommand,
    Attempt,
    BackoffS,
    ErrorText,
    FreeObject,
    MaxAttempts,
    Priority,
    Progress,
    ProgressMessage,
    Seconds,
    TimeoutS,
    Version,
    WorkflowDefinition,
)
from schemas.models.common import (
    DisplayText,
    EventData,
    Reason,
    StrictBool,
    Token,
    UniqueTokens,
    Uuid,
)


class SubmitTask(AgentCommand):
    """Queue a task for an agent offering all its capabilities."""

    TYPE: ClassVar[str] = "SubmitTask"

    task_id: Uuid
    project_id: Uuid
    capabilities: UniqueTokens
    input: FreeObject
    priority: Priority
    max_attempts: MaxAttempts
    backoff_s: BackoffS
    timeout_s: TimeoutS
    submitted_by: Uuid


class AssignTask(AgentCommand):
    """Assign a task to a given agent (moving it when assigned elsewhere)."""

    TYPE: ClassVar[str] = "AssignTask"

    task_id: Uuid
    agent_id: Uuid
    by: Uuid


class RedistributeTasks(AgentCommand):
    """Release the matching tasks and assign them again; null filters match everything."""

    TYPE: ClassVar[str] = "RedistributeTasks"

    from_agent_id: Uuid | None
    status: Literal["pending", "assigned", "running"] | None
    older_than_s: Seconds | None
    capability: Token | None
    by: Uuid


class CancelTask(AgentCommand):
    """Cancel a task that has not finished."""

    TYPE: ClassVar[str] = "CancelTask"

    task_id: Uuid
    by: Uuid
    reason: Reason | None


class StartTask(AgentCommand):
    """An agent started its attempt of a task."""

    TYPE: ClassVar[str] = "StartTask"

    task_id: Uuid
    agent_id: Uuid
    attempt: Attempt


class ReportProgress(AgentCommand):
    """An agent reported progress on its attempt of a task."""

    TYPE: ClassVar[str] = "ReportProgress"

    task_id: Uuid
    agent_id: Uuid
    attempt: Attempt
    progress: Progress
    message: ProgressMessage | None


class CompleteTask(AgentCommand):
    """An agent completed its attempt of a task."""

    TYPE: ClassVar[str] = "CompleteTask"

    task_id: Uuid
    agent_id: Uuid
    attempt: Attempt
    output: FreeObject


class FailTask(AgentCommand):
    """An agent's attempt of a task failed."""

    TYPE: ClassVar[str] = "FailTask"

    task_id: Uuid
    agent_id: Uuid
    attempt: Attempt
    error: ErrorText
    retryable: StrictBool


class DefineWorkflow(AgentCommand):
    """Define a workflow, or a new version of a known one."""

    TYPE: ClassVar[str] = "DefineWorkflow"

    workflow_id: Uuid
    project_id: Uuid
    name: DisplayText
    definition: WorkflowDefinition
    defined_by: Uuid


class ExecuteWorkflow(AgentCommand):
    """Start an execution of a workflow version (null: the latest)."""

    TYPE: ClassVar[str] = "ExecuteWorkflow"

    execution_id: Uuid
    workflow_id: Uuid
    version: Version | None
    context: FreeObject
    started_by: Uuid


class ExecutionControl(AgentCommand):
    """Fields of PauseExecution, ResumeExecution and CancelExecution (not a type itself)."""

    execution_id: Uuid
    by: Uuid
    reason: Reason | None


class PauseExecution(ExecutionControl):
    """Dispatch no new step of an execution and hold its queued tasks."""

    TYPE: ClassVar[str] = "PauseExecution"


class ResumeExecution(ExecutionControl):
    """Resume a paused execution."""

    TYPE: ClassVar[str] = "ResumeExecution"


class CancelExecution(ExecutionControl):
    """Cancel an execution and revoke its active tasks."""

    TYPE: ClassVar[str] = "CancelExecution"


AGENT_TASK_COMMAND_MODELS: tuple[type[EventData], ...] = (
    SubmitTask,
    AssignTask,
    RedistributeTasks,
    CancelTask,
    StartTask,
    ReportProgress,
    CompleteTask,
    FailTask,
    DefineWorkflow,
    ExecuteWorkflow,
    PauseExecution,
    ResumeExecution,
    CancelExecution,
)
