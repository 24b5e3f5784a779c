"""Pydantic v2 models of event data, one per schema file; ``MODELS`` maps each to its key.

The JSON Schema files are the contract; these models mirror them and
``tests/contract/test_models_match_schemas.py`` fails when the two drift. The msgspec
Structs that typed handlers receive are generated from the same files into ``structs``
(``python -m schemas.models.struct_codegen``), and held to them by the same test module.
"""

from __future__ import annotations

from pydantic import BaseModel

from schemas.models.agent_clock import AGENT_CLOCK_MODELS, Tick
from schemas.models.agent_commands import (
    AGENT_COMMAND_MODELS,
    AckMessage,
    AgentHeartbeat,
    BroadcastMessage,
    ConnectAgent,
    CreateAgent,
    DeleteAgent,
    DisconnectAgent,
    DrainAgent,
    IssueAgentKey,
    RevokeAgentKey,
    SendDirectMessage,
    UpdateAgent,
)
from schemas.models.agent_common import (
    AgentStatus,
    ExecutionStatus,
    StepRetry,
    StepStatus,
    WorkflowDefinition,
    WorkflowStep,
)
from schemas.models.agent_deliveries import (
    AGENT_DELIVERY_MODELS,
    MessageDelivered,
    TaskOffered,
    TaskRevoked,
)
from schemas.models.agent_events import (
    AGENT_EVENT_MODELS,
    AgentChanges,
    AgentCreated,
    AgentDeleted,
    AgentKeyIssued,
    AgentKeyRevoked,
    AgentStatusChanged,
    AgentUpdated,
    MessageAcknowledged,
    MessageSent,
)
from schemas.models.agent_task_commands import (
    AGENT_TASK_COMMAND_MODELS,
    AssignTask,
    CancelExecution,
    CancelTask,
    CompleteTask,
    DefineWorkflow,
    ExecuteWorkflow,
    FailTask,
    PauseExecution,
    RedistributeTasks,
    ReportProgress,
    ResumeExecution,
    StartTask,
    SubmitTask,
)
from schemas.models.agent_tasks import (
    AGENT_TASK_EVENT_MODELS,
    TaskAssigned,
    TaskCancelled,
    TaskCompleted,
    TaskFailed,
    TaskProgressed,
    TaskQueued,
    TaskReleased,
    TaskStarted,
)
from schemas.models.agent_workflows import (
    AGENT_WORKFLOW_EVENT_MODELS,
    ExecutionStarted,
    ExecutionStatusChanged,
    StepStatusChanged,
    WorkflowDefined,
)
from schemas.models.common import BUILTIN_ROLES, EventData
from schemas.models.replies import REPLY_MODELS
from schemas.models.user_access import (
    USER_ACCESS_MODELS,
    ApiKeyChanged,
    ApiKeyIssued,
    ApiKeyRevoked,
    CreateServiceAccount,
    CustomRoleGrant,
    DefineRole,
    DeleteRole,
    IssueApiKey,
    RevokeApiKey,
    RoleDefined,
    RoleDeleted,
    ServiceAccountCreated,
)
from schemas.models.user_commands import (
    USER_COMMAND_MODELS,
    AssignRole,
    ChangePassword,
    CreateUser,
    DeactivateUser,
    EndAllSessions,
    EndSession,
    RecordLoginFailure,
    RefreshSession,
    RevokeRole,
    StartSession,
    UpdateUser,
)
from schemas.models.user_events import (
    USER_EVENT_MODELS,
    LoggedOut,
    LoginFailed,
    LoginSucceeded,
    PasswordChanged,
    RoleAssigned,
    RoleRevoked,
    TokenReuseDetected,
    UserChanges,
    UserCreated,
    UserDeactivated,
    UserUpdated,
)
from schemas.models.user_internal import (
    USER_INTERNAL_MODELS,
    CredentialsChanged,
    UserRegistration,
)

MODELS: dict[tuple[str, str, int], type[BaseModel]] = {
    m.key(): m
    for m in (
        *AGENT_EVENT_MODELS,
        *AGENT_TASK_EVENT_MODELS,
        *AGENT_WORKFLOW_EVENT_MODELS,
        *AGENT_COMMAND_MODELS,
        *AGENT_TASK_COMMAND_MODELS,
        *AGENT_DELIVERY_MODELS,
        *AGENT_CLOCK_MODELS,
        *USER_EVENT_MODELS,
        *USER_COMMAND_MODELS,
        *USER_INTERNAL_MODELS,
        *USER_ACCESS_MODELS,
        *REPLY_MODELS,
    )
}


def model_for(topic: str, type_name: str, version: int) -> type[EventData]:
    """The model of (topic, type, version); KeyError naming the known keys when absent."""
    model = MODELS.get((topic, type_name, version))
    if model is None or not issubclass(model, EventData):
        known = ", ".join(f"{t}/{n}/v{v}" for t, n, v in sorted(MODELS))
        raise KeyError(f"no model for {topic}/{type_name}/v{version}; known: {known}")
    return model


__all__ = [
    "BUILTIN_ROLES",
    "MODELS",
    "AckMessage",
    "AgentChanges",
    "AgentCreated",
    "AgentDeleted",
    "AgentHeartbeat",
    "AgentKeyIssued",
    "AgentKeyRevoked",
    "AgentStatus",
    "AgentStatusChanged",
    "AgentUpdated",
    "ApiKeyChanged",
    "ApiKeyIssued",
    "ApiKeyRevoked",
    "AssignRole",
    "AssignTask",
    "BroadcastMessage",
    "CancelExecution",
    "CancelTask",
    "ChangePassword",
    "CompleteTask",
    "ConnectAgent",
    "CreateAgent",
    "CreateServiceAccount",
    "CreateUser",
    "CredentialsChanged",
    "CustomRoleGrant",
    "DeactivateUser",
    "DefineRole",
    "DefineWorkflow",
    "DeleteAgent",
    "DeleteRole",
    "DisconnectAgent",
    "DrainAgent",
    "EndAllSessions",
    "EndSession",
    "EventData",
    "ExecuteWorkflow",
    "ExecutionStarted",
    "ExecutionStatus",
    "ExecutionStatusChanged",
    "FailTask",
    "IssueAgentKey",
    "IssueApiKey",
    "LoggedOut",
    "LoginFailed",
    "LoginSucceeded",
    "MessageAcknowledged",
    "MessageDelivered",
    "MessageSent",
    "PasswordChanged",
    "PauseExecution",
    "RecordLoginFailure",
    "RedistributeTasks",
    "RefreshSession",
    "ReportProgress",
    "ResumeExecution",
    "RevokeAgentKey",
    "RevokeApiKey",
    "RevokeRole",
    "RoleAssigned",
    "RoleDefined",
    "RoleDeleted",
    "RoleRevoked",
    "SendDirectMessage",
    "ServiceAccountCreated",
    "StartSession",
    "StartTask",
    "StepRetry",
    "StepStatus",
    "StepStatusChanged",
    "SubmitTask",
    "TaskAssigned",
    "TaskCancelled",
    "TaskCompleted",
    "TaskFailed",
    "TaskOffered",
    "TaskProgressed",
    "TaskQueued",
    "TaskReleased",
    "TaskRevoked",
    "TaskStarted",
    "Tick",
    "TokenReuseDetected",
    "UpdateAgent",
    "UpdateUser",
    "UserChanges",
    "UserCreated",
    "UserDeactivated",
    "UserRegistration",
    "UserUpdated",
    "WorkflowDefined",
    "WorkflowDefinition",
    "WorkflowStep",
    "model_for",
]
