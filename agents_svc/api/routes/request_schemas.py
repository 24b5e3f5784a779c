"""JSON Schemas (2020-12) of the agents routes' request bodies, published in /openapi.json.

Bounds match the commands' schemas (schemas/agent-commands), so a body that passes here is
refused by the command schema only for what it checks in more depth (workflow steps).
"""

from __future__ import annotations

from typing import Any

UUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
_UUID = {"type": "string", "pattern": UUID_PATTERN}
_NAME = {"type": "string", "minLength": 1, "maxLength": 100, "pattern": "\\S"}
_REASON = {"type": "string", "minLength": 1, "maxLength": 500, "pattern": "\\S"}
_CAPABILITY = {
    "type": "string",
    "pattern": "^[a-z0-9][a-z0-9_.:-]{0,63}$",
    "description": "lowercase letters, digits and . _ : - (1 to 64 characters).",
}
_CAPABILITIES = {"type": "array", "items": _CAPABILITY, "maxItems": 64, "uniqueItems": True}
_CAPACITY = {"type": "integer", "minimum": 1, "maximum": 1000}
_LABELS = {
    "type": "object",
    "maxProperties": 64,
    "propertyNames": {"minLength": 1, "maxLength": 63},
    "additionalProperties": {"type": "string", "maxLength": 256},
}
_OBJECT = {"type": "object"}


def _object(title: str, description: str, properties: dict[str, Any], *required: str) -> Any:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        "description": description,
        "type": "object",
        "required": list(required),
        "additionalProperties": False,
        "properties": properties,
    }


CREATE_AGENT = _object(
    "CreateAgentRequest",
    "A new agent of a project (capabilities default to [], capacity to 1, labels and "
    "model_settings to {}).",
    {
        "project_id": _UUID,
        "name": _NAME,
        "capabilities": _CAPABILITIES,
        "capacity": _CAPACITY,
        "labels": _LABELS,
        "model_settings": {**_OBJECT, "description": "Never holds credentials."},
    },
    "project_id",
    "name",
)
UPDATE_AGENT = {
    **_object(
        "UpdateAgentRequest",
        "The settings to change (collections are replaced whole); at least one.",
        {
            "name": _NAME,
            "capabilities": _CAPABILITIES,
            "capacity": _CAPACITY,
            "labels": _LABELS,
            "model_settings": _OBJECT,
        },
    ),
    "minProperties": 1,
}
_STEP = {
    "type": "object",
    "required": ["id"],
    "properties": {
        "id": {"type": "string", "pattern": "^[a-z][a-z0-9_-]{0,62}$"},
        "capabilities": _CAPABILITIES,
        "input": _OBJECT,
        "depends_on": {"type": "array", "items": {"type": "string"}, "maxItems": 99},
        "retry": _OBJECT,
        "timeout_s": {"type": "number", "minimum": 1, "maximum": 86400},
        "priority": {"type": "integer", "minimum": 0, "maximum": 9},
    },
}
DEFINE_WORKFLOW = _object(
    "DefineWorkflowRequest",
    "A workflow: its project, name and definition (steps, a DAG by depends_on). Send it as "
    "JSON, or as the same document in YAML (Content-Type application/yaml).",
    {
        "project_id": _UUID,
        "name": _NAME,
        "definition": {
            "type": "object",
            "required": ["steps"],
            "properties": {
                "steps": {"type": "array", "items": _STEP, "minItems": 1, "maxItems": 100}
            },
        },
    },
    "project_id",
    "name",
    "definition",
)
EXECUTE_WORKFLOW = _object(
    "ExecuteWorkflowRequest",
    "Run a workflow: its context (default {}) and version (default: the latest).",
    {"context": _OBJECT, "version": {"type": ["integer", "null"], "minimum": 1}},
)
SUBMIT_TASK = _object(
    "SubmitTaskRequest",
    "A task for an agent offering all its capabilities (priority 5, max_attempts 3, "
    "backoff_s 1 and timeout_s 300 unless given).",
    {
        "project_id": _UUID,
        "capabilities": _CAPABILITIES,
        "input": _OBJECT,
        "priority": {"type": "integer", "minimum": 0, "maximum": 9},
        "max_attempts": {"type": "integer", "minimum": 1, "maximum": 10},
        "backoff_s": {"type": "number", "minimum": 0, "maximum": 3600},
        "timeout_s": {"type": "number", "minimum": 1, "maximum": 86400},
    },
    "project_id",
    "capabilities",
    "input",
)
ASSIGN_TASK = _object(
    "AssignTaskRequest", "The agent to run the task.", {"agent_id": _UUID}, "agent_id"
)
REASON = _object("ReasonRequest", "Why (optional; the body may be left out).", {"reason": _REASON})
REDISTRIBUTE = _object(
    "RedistributeTasksRequest",
    "Which tasks to release and assign again; a filter left out matches everything.",
    {
        "from_agent_id": _UUID,
        "status": {"enum": ["pending", "assigned", "running"]},
        "older_than_s": {"type": "number", "minimum": 0},
        "capability": _CAPABILITY,
    },
)
BROADCAST = _object(
    "BroadcastMessageRequest",
    "A message to every live agent, or only those with a capability and/or of a project.",
    {"body": _OBJECT, "capability": _CAPABILITY, "project_id": _UUID},
    "body",
)
DIRECT_MESSAGE = _object(
    "DirectMessageRequest", "A message to one agent.", {"body": _OBJECT}, "body"
)
