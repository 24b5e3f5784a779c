"""What HTTP answer each command outcome gets (no Kafka, no Redis)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from aiohttp import web

from streams.commands import Completed, Pending, Reply, ReplyError
from streams.commands.store import CommandStatus
from streams.http.commands import invalid_command, outcome_response, reply_response, status_body
from streams.registry import SchemaViolation

PROBLEM = "application/problem+json"


def _body(response: web.Response) -> Any:
    assert isinstance(response.body, bytes)
    return orjson.loads(response.body)


def test_success_answers_the_services_status_with_the_resource() -> None:
    reply = Reply("c-1", "CreateThing", "succeeded", 201, {"id": "t-1", "name": "a"})
    response = outcome_response(Completed(reply), created_status=200)
    assert response.status == 201
    assert response.content_type == "application/json"
    assert _body(response) == {"id": "t-1", "name": "a"}
    assert response.headers["X-Command-Id"] == "c-1"


@pytest.mark.parametrize("created_status", [200, 201])
def test_a_success_without_a_status_answers_the_routes(created_status: int) -> None:
    reply = Reply("c-1", "RenameThing", "succeeded", resource={"id": "t-1"})
    assert reply_response(reply, created_status=created_status).status == created_status


def test_a_success_without_a_resource_says_so() -> None:
    response = reply_response(Reply("c-1", "Ping", "succeeded", 200))
    assert _body(response) == {"command_id": "c-1", "status": "succeeded"}


def test_204_has_no_body() -> None:
    response = reply_response(Reply("c-1", "DeleteThing", "succeeded", 204))
    assert response.status == 204 and not response.body


def test_a_rejection_is_problem_json_with_the_services_reason_and_field() -> None:
    error = ReplyError("name_taken", "a thing named 'a' exists", "name")
    response = outcome_response(
        Completed(Reply("c-2", "CreateThing", "rejected", 409, None, error))
    )
    assert response.status == 409
    assert response.content_type == PROBLEM
    assert _body(response) == {
        "type": "about:blank",
        "title": "Conflict",
        "status": 409,
        "detail": "a thing named 'a' exists",
        "code": "name_taken",
        "field": "name",
        "command_id": "c-2",
    }


def test_a_failure_without_a_field_names_none() -> None:
    error = ReplyError("upstream_down", "the model host did not answer")
    response = reply_response(Reply("c-3", "RunTask", "failed", 503, error=error))
    body = _body(response)
    assert (response.status, body["title"], body["code"]) == (
        503,
        "Service Unavailable",
        "upstream_down",
    )
    assert "field" not in body


def test_pending_is_202_with_the_status_url_and_never_a_success() -> None:
    response = outcome_response(Pending("c-4"))
    assert response.status == 202
    assert _body(response) == {
        "command_id": "c-4",
        "status": "pending",
        "status_url": "/api/commands/c-4",
    }
    assert response.headers["Location"] == "/api/commands/c-4"
    assert response.headers["Retry-After"]


def test_status_body_of_a_pending_and_of_an_answered_command() -> None:
    pending = status_body(CommandStatus("c-5", "CreateThing", "u-1"))
    assert pending == {
        "command_id": "c-5",
        "command_type": "CreateThing",
        "status": "pending",
        "status_url": "/api/commands/c-5",
    }
    reply = Reply("c-5", "CreateThing", "succeeded", 201, {"id": "t"})
    done = status_body(CommandStatus("c-5", "CreateThing", "u-1", reply))
    assert (done["status"], done["http_status"], done["resource"]) == (
        "succeeded",
        201,
        {"id": "t"},
    )
    assert "actor" not in done


@pytest.mark.parametrize(
    ("path", "field"),
    [("$.data.name", "name"), ("$.data.labels.team", "labels.team"), ("$.data", None)],
)
def test_invalid_command_data_is_422_naming_the_body_field(path: str, field: str | None) -> None:
    response = invalid_command(SchemaViolation("schema-invalid", "too short", path))
    body = _body(response)
    assert (response.status, response.content_type, body["code"]) == (
        422,
        PROBLEM,
        "invalid_command",
    )
    assert body.get("field") == field
    assert body["detail"] == "too short"
