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
from schemas.models.user_events import (
    USER_EVENT_MODELS,
    RoleAssigned,
    RoleRevoked,
    UserChanges,
    UserCreated,
    UserDeactivated,
    UserUpdated,
)

MODELS: dict[tuple[str, str, int], type[BaseModel]] = {
    m.key(): m for m in (*AGENT_EVENT_MODELS, *USER_EVENT_MODELS, *REPLY_MODELS)
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
    "EventData",
    "RoleAssigned",
    "RoleRevoked",
    "UserChanges",
    "UserCreated",
    "UserDeactivated",
    "UserUpdated",
    "model_for",
]
