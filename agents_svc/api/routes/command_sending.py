"""Sending an agents command from a route: one rule for the answer and the wait behind it.

Every agents command goes to ``agent-commands`` keyed ``scheduler``: one scheduling shard
decides them all (agents_svc/DESIGN.md). The kernel's ``run_command_and_wait`` builds it
(schema checked: 422 naming the field), honours ``Idempotency-Key``, answers 202 with a
status URL while pending, and holds a success until the agents read model has applied the
events the command caused (``AgentsApiDeps.read_model_view``), so a GET right after shows it.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

import topics
from agents_svc.api.deps import agents_of
from streams.http.command_route import Answer, run_command_and_wait

SUBJECT = "scheduler"
PENDING = {202: "Accepted: the service has not answered yet; poll status_url"}


async def run_agents_command(
    request: web.Request,
    type_name: str,
    data: dict[str, Any],
    *,
    created_status: int = 200,
    location: str | None = None,
    answer: Answer | None = None,
) -> web.Response:
    """Send an agents command; answer its outcome once the read model shows a success."""
    return await run_command_and_wait(
        request,
        topics.AGENT_COMMANDS,
        type_name,
        SUBJECT,
        data,
        read_model=agents_of(request).read_model_view,
        created_status=created_status,
        location=location,
        answer=answer,
    )
