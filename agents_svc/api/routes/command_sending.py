"""Sending an agents command from a route and answering with what came back.

Every agents command goes to ``agent-commands`` keyed ``scheduler``: one scheduling shard
decides them all (agents_svc/DESIGN.md). The kernel's ``send_command`` builds it (schema
checked: 422 naming the field), honours ``Idempotency-Key``, and gives back the reply or
``Pending`` (answered 202 with a status URL).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

import topics
from streams.commands import Completed, Outcome, Reply
from streams.http.commands import outcome_response, send_command

SUBJECT = "scheduler"
PENDING = {202: "Accepted: the service has not answered yet; poll status_url"}


async def ask(request: web.Request, type_name: str, data: dict[str, Any]) -> Outcome | web.Response:
    """Send an agents command (subject ``scheduler``) and await its reply or ``Pending``."""
    return await send_command(request, topics.AGENT_COMMANDS, type_name, SUBJECT, data)


def succeeded(outcome: Outcome | web.Response) -> Reply | None:
    """The reply when the service carried the command out, else None."""
    if isinstance(outcome, Completed) and outcome.reply.status == "succeeded":
        return outcome.reply
    return None


def respond(
    outcome: Outcome | web.Response, *, created_status: int = 200, location: str | None = None
) -> web.Response:
    """The HTTP answer to what ``ask`` returned (``location`` on a success)."""
    if isinstance(outcome, web.Response):
        return outcome
    response = outcome_response(outcome, created_status=created_status)
    if location is not None and succeeded(outcome) is not None:
        response.headers["Location"] = location
    return response
