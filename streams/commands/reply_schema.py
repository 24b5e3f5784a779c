"""The JSON Schemas of the two reply types, the same on every ``<context>-replies`` topic.

They are the source of the ``schemas/<context>-replies/<Type>/v1.json`` files; tests write
them into their own schema trees for throwaway topics.
"""

from __future__ import annotations

from typing import Any

from schemas import schema_id
from streams.commands.replies import REJECTED, SUCCEEDED

_DRAFT = "https://json-schema.org/draft/2020-12/schema"

_COMMON: dict[str, Any] = {
    "command_id": {
        "type": "string",
        "minLength": 1,
        "description": "Id of the command answered (also the record key and causationid).",
    },
    "command_type": {"type": "string", "minLength": 1, "description": "Type of that command."},
}


def _error() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "Why the command was not carried out.",
        "required": ["code", "message"],
        "additionalProperties": False,
        "properties": {
            "code": {
                "type": "string",
                "pattern": "^[a-z][a-z0-9_]*$",
                "description": "Stable machine-readable reason, e.g. name_taken.",
            },
            "message": {"type": "string", "minLength": 1, "description": "For people."},
            "field": {
                "type": "string",
                "minLength": 1,
                "description": "The command field at fault, when one is.",
            },
        },
    }


def succeeded_schema(topic: str, version: int = 1) -> dict[str, Any]:
    """CommandSucceeded: the command was carried out; ``resource`` is what it produced."""
    return {
        "$schema": _DRAFT,
        "$id": schema_id(topic, SUCCEEDED, version),
        "title": SUCCEEDED,
        "description": "A command was carried out.",
        "type": "object",
        "required": ["command_id", "command_type", "status"],
        "additionalProperties": False,
        "properties": {
            **_COMMON,
            "status": {"type": "string", "const": "succeeded", "description": "Always succeeded."},
            "http_status": {
                "type": "integer",
                "minimum": 200,
                "maximum": 299,
                "description": "What the edge answers; absent: the route's success status.",
            },
            "resource": {"type": "object", "description": "The resulting resource."},
        },
        "examples": [
            {
                "command_id": "0b0f8f5e-5f4e-4a53-9f62-2f0b7a4b1c11",
                "command_type": "CreateUser",
                "status": "succeeded",
                "http_status": 201,
                "resource": {"id": "u-1", "email": "ada@example.com"},
            }
        ],
    }


def rejected_schema(topic: str, version: int = 1) -> dict[str, Any]:
    """CommandRejected: the service refused (rejected) or could not carry it out (failed)."""
    return {
        "$schema": _DRAFT,
        "$id": schema_id(topic, REJECTED, version),
        "title": REJECTED,
        "description": "A command was refused by the domain, or failed.",
        "type": "object",
        "required": ["command_id", "command_type", "status", "http_status", "error"],
        "additionalProperties": False,
        "properties": {
            **_COMMON,
            "status": {
                "type": "string",
                "enum": ["rejected", "failed"],
                "description": "rejected: the domain refused it; failed: it could not be done.",
            },
            "http_status": {
                "type": "integer",
                "minimum": 400,
                "maximum": 599,
                "description": "What the edge answers, e.g. 404, 409, 422.",
            },
            "resource": {"type": "object", "description": "The resource as it stands, if any."},
            "error": _error(),
        },
        "examples": [
            {
                "command_id": "0b0f8f5e-5f4e-4a53-9f62-2f0b7a4b1c12",
                "command_type": "CreateUser",
                "status": "rejected",
                "http_status": 409,
                "error": {"code": "email_taken", "message": "email in use", "field": "email"},
            }
        ],
    }


def reply_schemas(topic: str) -> dict[str, dict[str, Any]]:
    """Both reply schemas (v1) for a replies topic, by type name."""
    return {SUCCEEDED: succeeded_schema(topic), REJECTED: rejected_schema(topic)}
