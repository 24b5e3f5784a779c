"""Commands over HTTP: ``run_command`` for routes, and ``GET /api/commands/{id}``.

A route parses and authorizes, then hands the command to ``run_command``, which publishes
it through the app's CommandBus and answers what the service decided: its status and
resource, its reason as problem+json, or 202 with a status URL when the deadline passes
first. Never a success the service did not report.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from aiohttp import web
from aiokafka.errors import KafkaError
from redis.exceptions import RedisError

from streams.commands import (
    CommandBus,
    CommandInDoubt,
    CommandNotSent,
    CommandStatus,
    Completed,
    IdempotencyConflict,
    IdempotencyKey,
    InvalidIdempotencyKey,
    Outcome,
    Reply,
    fingerprint,
)
from streams.http.problem import UNAVAILABLE_RETRY_AFTER_S, problem
from streams.http.request_ids import CORRELATION_ID
from streams.registry import SchemaViolation
from topics import TopicSpec

# Who sends a request's commands (the verified principal's ``sub``), None when anonymous.
ActorOf = Callable[[web.Request], str | None]
ANONYMOUS = "anonymous"
IDEMPOTENCY_HEADER = "Idempotency-Key"
COMMAND_ID_HEADER = "X-Command-Id"
STATUS_ROUTE = "/api/commands/{command_id}"
RETRY_AFTER_S = "1"

log = logging.getLogger("dafnck.edge.commands")


@dataclass(frozen=True)
class Commands:
    """What ``run_command`` needs of the app: the bus, and who the caller is."""

    bus: CommandBus
    actor_of: ActorOf


COMMANDS = web.AppKey("commands", Commands)


def status_url(command_id: str) -> str:
    """Where a command's status can be read."""
    return f"/api/commands/{command_id}"


async def run_command(
    request: web.Request,
    spec: TopicSpec,
    type: str,
    subject: str,
    data: dict[str, Any],
    *,
    created_status: int = 201,
) -> web.Response:
    """Send a command and answer the service's decision (``created_status``: a bare success)."""
    outcome = await send_command(request, spec, type, subject, data)
    if isinstance(outcome, web.Response):
        return outcome
    return outcome_response(outcome, created_status=created_status)


async def send_command(
    request: web.Request,
    spec: TopicSpec,
    type: str,
    subject: str,
    data: dict[str, Any],
    *,
    actor: str | None = None,
    timeout_s: float | None = None,
) -> Outcome | web.Response:
    """Send a command; its outcome, or the problem response when it could not be sent.

    ``actor`` defaults to the caller; routes acting for someone not yet signed in (login)
    name them. The request's ``Idempotency-Key`` applies as in ``run_command``.
    """
    commands = request.app[COMMANDS]
    bus = commands.bus
    actor = actor or commands.actor_of(request)
    try:
        envelope = bus.build(
            spec,
            type,
            subject,
            data,
            actor=actor,
            correlationid=request.get(CORRELATION_ID),
        )
    except SchemaViolation as exc:
        if exc.reason != "schema-invalid":
            raise  # an unknown command type is the route's bug, not the client's
        return invalid_command(exc)
    try:
        key = await _idempotency_key(request, type, actor)
        return await bus.send(spec, envelope, idempotency=key, timeout_s=timeout_s)
    except InvalidIdempotencyKey as exc:
        return problem(400, "Bad Request", str(exc), code="invalid_idempotency_key")
    except IdempotencyConflict as exc:
        return problem(
            422,
            "Unprocessable Content",
            f"this {IDEMPOTENCY_HEADER} was already used for a different request",
            code="idempotency_key_reused",
            command_id=exc.command_id,
        )
    except CommandNotSent as exc:
        log.warning("command not sent", extra={"type": type, "error": str(exc)})
        return unavailable(exc.dependency)
    except CommandInDoubt as exc:
        return in_doubt(exc.command_id)
    except RedisError:
        log.warning("command not sent", extra={"type": type}, exc_info=True)
        return unavailable("redis")
    except (KafkaError, OSError):
        log.warning("command not sent", extra={"type": type}, exc_info=True)
        return unavailable("kafka")


async def command_status(request: web.Request) -> web.Response:
    """``GET /api/commands/{id}``: pending, or the service's reply; 404 when unknown."""
    command_id = request.match_info["command_id"]
    commands = request.app[COMMANDS]
    try:
        known = await commands.bus.status(command_id)
    except RedisError:
        log.warning("command status unavailable", extra={"command_id": command_id})
        return unavailable("redis")
    # Another principal's command is as good as unknown: its result may hold their data.
    if known is None or known.actor not in (None, commands.actor_of(request)):
        return problem(404, "Not Found", f"no command {command_id} (unknown or expired)")
    response = web.json_response(status_body(known))
    if known.pending:
        response.headers["Retry-After"] = RETRY_AFTER_S
    return response


def install_commands(app: web.Application, bus: CommandBus, *, actor_of: ActorOf) -> None:
    """Give the app its CommandBus (started and stopped with it) and the status route."""
    app[COMMANDS] = Commands(bus, actor_of)

    async def lifecycle(_app: web.Application) -> AsyncIterator[None]:
        await bus.start()
        yield
        await bus.stop()

    app.cleanup_ctx.append(lifecycle)
    app.router.add_get(STATUS_ROUTE, command_status)


def outcome_response(outcome: Outcome, *, created_status: int = 201) -> web.Response:
    """The HTTP answer to an outcome: the reply's, or 202 pointing at the status URL."""
    if isinstance(outcome, Completed):
        return reply_response(outcome.reply, created_status=created_status)
    url = status_url(outcome.command_id)
    body = {"command_id": outcome.command_id, "status": "pending", "status_url": url}
    response = web.json_response(body, status=202)
    response.headers["Location"] = url
    response.headers["Retry-After"] = RETRY_AFTER_S
    response.headers[COMMAND_ID_HEADER] = outcome.command_id
    return response


def reply_response(reply: Reply, *, created_status: int = 201) -> web.Response:
    """A success as its status and resource; a refusal as RFC 9457 problem+json."""
    if reply.status == "succeeded":
        status = reply.http_status or created_status
        if status == 204:
            response = web.Response(status=204)
        else:
            body = reply.resource
            if body is None:
                body = {"command_id": reply.command_id, "status": "succeeded"}
            response = web.json_response(body, status=status)
    else:
        assert reply.error is not None and reply.http_status is not None  # Reply guarantees it
        extra: dict[str, object] = {"code": reply.error.code, "command_id": reply.command_id}
        if reply.error.field is not None:
            extra["field"] = reply.error.field
        status = reply.http_status
        response = problem(status, _phrase(status), reply.error.message, **extra)
    response.headers[COMMAND_ID_HEADER] = reply.command_id
    return response


def status_body(known: CommandStatus) -> dict[str, Any]:
    """The JSON of a command's status resource."""
    body: dict[str, Any] = {
        "command_id": known.command_id,
        "command_type": known.command_type,
        "status": "pending",
        "status_url": status_url(known.command_id),
    }
    if known.reply is not None:
        body.update(known.reply.to_data())
    return body


def invalid_command(exc: SchemaViolation) -> web.Response:
    """422 naming the field the command's schema refused."""
    extra: dict[str, object] = {"code": "invalid_command"}
    field = _field(exc.path)
    if field is not None:
        extra["field"] = field
    return problem(422, "Unprocessable Content", exc.detail, **extra)


def unavailable(dependency: str | None = None) -> web.Response:
    """503: the command machinery cannot be reached; nothing was sent, retrying is safe."""
    cause = f"{dependency} is unavailable: " if dependency else ""
    extra: dict[str, object] = {"code": "commands_unavailable"}
    if dependency is not None:
        extra["dependency"] = dependency
    response = problem(
        503,
        "Service Unavailable",
        f"{cause}the command was not sent; retry later (with the same {IDEMPOTENCY_HEADER})",
        **extra,
    )
    response.headers["Retry-After"] = UNAVAILABLE_RETRY_AFTER_S
    return response


def in_doubt(command_id: str) -> web.Response:
    """503: queued but not acknowledged by Kafka in time; its status URL says what became of it."""
    url = status_url(command_id)
    response = problem(
        503,
        "Service Unavailable",
        "kafka did not acknowledge the command in time; it is carried out if Kafka comes "
        f"back soon, see {url}; retry only with the same {IDEMPOTENCY_HEADER}",
        code="command_in_doubt",
        dependency="kafka",
        command_id=command_id,
        status_url=url,
    )
    response.headers["Retry-After"] = UNAVAILABLE_RETRY_AFTER_S
    response.headers[COMMAND_ID_HEADER] = command_id
    response.headers["Location"] = url
    return response


async def _idempotency_key(
    request: web.Request, type_name: str, actor: str | None
) -> IdempotencyKey | None:
    raw = request.headers.get(IDEMPOTENCY_HEADER)
    if raw is None:
        return None
    body = await request.read()  # aiohttp caches the body the route already parsed
    digest = fingerprint(request.method, request.path, type_name, body)
    return IdempotencyKey(actor or ANONYMOUS, raw, digest)


def _field(path: str) -> str | None:
    # "$.data.name" -> "name": the client knows its body's fields, not our envelope.
    field = path.removeprefix("$.data").removeprefix(".")
    return field or None


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
