"""Pydantic v2 models of event data, one per schema file; ``MODELS`` maps each to its key.

The JSON Schema files are the contract; these models mirror them and
``tests/contract/test_models_match_schemas.py`` fails when the two drift.
"""

from __future__ import annotations

from pydantic import BaseModel

from schemas.models.agent_events import (
    AGENT_EVENT_MODELS,
    AgentChanges,
    AgentCreated,
    AgentDeleted,
    AgentStatus,
    AgentStatusChanged,
    AgentUpdated,
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
    "AgentChanges",
    "AgentCreated",
    "AgentDeleted",
    "AgentStatus",
    "AgentStatusChanged",
    "AgentUpdated",
    "ApiKeyChanged",
    "ApiKeyIssued",
    "ApiKeyRevoked",
    "AssignRole",
    "ChangePassword",
    "CreateServiceAccount",
    "CreateUser",
    "CredentialsChanged",
    "CustomRoleGrant",
    "DeactivateUser",
    "DefineRole",
    "DeleteRole",
    "EndAllSessions",
    "EndSession",
    "EventData",
    "IssueApiKey",
    "LoggedOut",
    "LoginFailed",
    "LoginSucceeded",
    "PasswordChanged",
    "RecordLoginFailure",
    "RefreshSession",
    "RevokeApiKey",
    "RevokeRole",
    "RoleAssigned",
    "RoleDefined",
    "RoleDeleted",
    "RoleRevoked",
    "ServiceAccountCreated",
    "StartSession",
    "TokenReuseDetected",
    "UpdateUser",
    "UserChanges",
    "UserCreated",
    "UserDeactivated",
    "UserRegistration",
    "UserUpdated",
    "model_for",
]
