"""User commands from routes: their keys, fire-and-forget sends (``post``), 503 answers.

Commands whose reply a route awaits go through ``streams.http.command_route`` (or
``send_command`` where the reply is not answered as is).
"""

from __future__ import annotations

import hashlib
from typing import Any

from aiohttp import web

import topics
from streams.commands import Completed, Outcome, Reply
from streams.http.commands import COMMANDS
from streams.http.problem import problem
from streams.http.request_ids import CORRELATION_ID
from users_svc.api.deps import users_api_deps
from users_svc.domain.profile import normalize_email

USER_COMMANDS = topics.USER_COMMANDS
# A fire-and-forget command still goes through the bus (so its status is recorded) but
# nobody waits on the reply: the shortest deadline that is still a deadline.
POST_TIMEOUT_S = 0.01


def email_subject(email: str) -> str:
    """The key of the email-claim aggregate: ``email:<normalized email>``."""
    return f"email:{normalize_email(email)}"


def email_hash(email: str) -> str:
    """SHA-256 hex of the normalized email (what login-failure records carry)."""
    return hashlib.sha256(normalize_email(email).encode("utf-8")).hexdigest()


def post(request: web.Request, type_name: str, subject: str, data: dict[str, Any]) -> None:
    """Send a user command in the background; the response does not wait for it."""
    bus = request.app[COMMANDS].bus
    correlation = request.get(CORRELATION_ID)

    async def send() -> None:
        envelope = bus.build(USER_COMMANDS, type_name, subject, data, correlationid=correlation)
        await bus.send(USER_COMMANDS, envelope, timeout_s=POST_TIMEOUT_S)

    users_api_deps(request).spawn(send())


def succeeded(outcome: Outcome | web.Response) -> Reply | None:
    """The reply when the service carried the command out, else None."""
    if isinstance(outcome, Completed) and outcome.reply.status == "succeeded":
        return outcome.reply
    return None


def still_pending() -> web.Response:
    """503 for flows that cannot answer 202 (token issuance): nothing to poll for."""
    response = problem(
        503,
        "Service Unavailable",
        "the identity service did not answer in time; try again",
        code="identity_busy",
    )
    response.headers["Retry-After"] = "2"
    return response
