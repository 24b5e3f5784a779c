"""The reply contract: the model, its two JSON Schemas, and how they agree."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest
from jsonschema import Draft202012Validator

from schemas import schema_id
from streams.commands import REJECTED, SUCCEEDED, Reply, ReplyError, ReplyInvalid, reply_schemas
from streams.commands.replies import replies_topic_name

TOPIC = "user-replies"
SCHEMAS = reply_schemas(TOPIC)
GOOD = [
    Reply("c1", "CreateUser", "succeeded", 201, {"id": "u1"}),
    Reply("c2", "UpdateUser", "succeeded"),
    Reply("c3", "CreateUser", "rejected", 409, None, ReplyError("email_taken", "in use", "email")),
    Reply("c4", "CreateUser", "failed", 503, None, ReplyError("unavailable", "try later")),
    Reply("c5", "DeleteUser", "rejected", 404, {"id": "u1"}, ReplyError("not_found", "gone")),
]


def _valid(type_name: str, data: Any) -> bool:
    return bool(jsonschema_rs.validator_for(SCHEMAS[type_name]).is_valid(data))


@pytest.mark.parametrize("type_name", [SUCCEEDED, REJECTED])
def test_schemas_are_draft_2020_12_closed_documented_with_valid_examples(type_name: str) -> None:
    schema = SCHEMAS[type_name]
    Draft202012Validator.check_schema(schema)
    assert schema["$id"] == schema_id(TOPIC, type_name, 1)
    assert schema["title"] == type_name and schema["description"]
    assert schema["additionalProperties"] is False
    assert all("description" in p for p in schema["properties"].values())
    assert schema["examples"] and all(_valid(type_name, e) for e in schema["examples"])


@pytest.mark.parametrize("reply", GOOD, ids=lambda r: r.command_id)
def test_every_reply_the_model_builds_is_valid_for_its_type_only(reply: Reply) -> None:
    data = reply.to_data()
    assert _valid(reply.type_name, data)
    other = REJECTED if reply.type_name == SUCCEEDED else SUCCEEDED
    assert not _valid(other, data)
    assert Reply.from_data(data) == reply


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "succeeded", "http_status": 409},
        {"status": "succeeded", "http_status": 200, "error": ReplyError("x", "y")},
        {"status": "rejected", "http_status": 409},
        {"status": "rejected", "http_status": 201, "error": ReplyError("x", "y")},
        {"status": "failed", "error": ReplyError("x", "y")},
        {"status": "done"},
    ],
)
def test_contradictory_replies_are_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(ReplyInvalid):
        Reply("c", "T", **fields)


@pytest.mark.parametrize(
    "data",
    [
        {"command_type": "T", "status": "succeeded"},
        {"command_id": "c", "command_type": "T", "status": "succeeded", "http_status": "201"},
        {"command_id": "c", "command_type": "T", "status": "rejected", "http_status": 409},
        {"command_id": "c", "command_type": "T", "status": "succeeded", "resource": [1]},
        {
            "command_id": "c",
            "command_type": "T",
            "status": "failed",
            "http_status": 500,
            "error": 1,
        },
    ],
)
def test_data_that_is_not_a_reply_is_refused(data: dict[str, Any]) -> None:
    with pytest.raises(ReplyInvalid):
        Reply.from_data(data)


def test_reply_topics_are_named_after_the_command_topic() -> None:
    assert replies_topic_name("user-commands") == "user-replies"
    with pytest.raises(ValueError, match="not a command topic"):
        replies_topic_name("user-events")
