"""The one command route: send, answer the service's decision, after its read model shows it.

Every command route does the same: send the command, map the outcome to a status (202 with
the status URL while pending, problem+json for a refusal), and on success hold the answer
until the context's read model has applied the events the command caused, so a GET right
after sees the write. The reply says what the command caused (``Completed.caused``), the
read model declares which of those it applies (``ReadModelView``), and the wait is one rule
for every route: ``applied_commands`` counts at least that many events of the command. The
wait only delays the answer, bounded by the view's ``wait_s``; it never changes it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from streams.commands import Completed, Outcome, Reply
from streams.http.commands import outcome_response, send_command
from streams.http.read_your_writes import APPLIED
from topics import TopicSpec

DEFAULT_WAIT_S = 3.0

log = logging.getLogger("dafnck.edge.commands")

Answer = Callable[[Outcome], web.Response]
Location = str | Callable[[Reply], str | None]


@dataclass(frozen=True)
class ReadModelView:
    """A context's read model: its Postgres schema, and the event types its projectors apply.

    ``applies`` maps each topic the projectors consume to the types they apply (the same
    handler maps the worker wires them with); ``wait_s`` bounds a route's wait for it.
    """

    schema: str
    applies: Mapping[str, Collection[str]]
    wait_s: float = DEFAULT_WAIT_S

    def expected(self, done: Completed) -> int:
        """How many events of this command the read model will have applied once it shows it."""
        return done.caused.count(self.applies)


async def run_command_and_wait(
    request: web.Request,
    spec: TopicSpec,
    type: str,
    subject: str,
    data: dict[str, Any],
    *,
    read_model: ReadModelView | None,
    created_status: int = 201,
    location: Location | None = None,
    answer: Answer | None = None,
    actor: str | None = None,
) -> web.Response:
    """Send a command; once its read model shows a success, answer the service's decision.

    ``location`` (a URL, or one made from the reply) is set on a success. ``answer`` builds
    the response itself from the outcome (a resource to post-process, a secret shown once);
    by default the reply's status and resource, or 202 with the status URL.
    """
    outcome = await send_command(request, spec, type, subject, data, actor=actor)
    if isinstance(outcome, web.Response):
        return outcome  # not sent: 4xx/503 problem, nothing to wait for
    if read_model is not None and _succeeded(outcome):
        assert isinstance(outcome, Completed)
        await wait_for_read_model(request, read_model, outcome)
    if answer is not None:
        return answer(outcome)
    response = outcome_response(outcome, created_status=created_status)
    if location is not None and isinstance(outcome, Completed) and _succeeded(outcome):
        url = location if isinstance(location, str) else location(outcome.reply)
        if url is not None:
            response.headers["Location"] = url
    return response


async def wait_for_read_model(
    request: web.Request, read_model: ReadModelView, done: Completed
) -> bool:
    """Wait (at most ``read_model.wait_s``) until it applied what ``done`` caused; True if so."""
    expected = read_model.expected(done)
    if expected == 0:
        return True  # nothing it applies was caused (or the worker did not say)
    waiter = request.config_dict.get(APPLIED)
    if waiter is None:
        return False  # no read-your-writes in this app: answer at once
    cause = done.caused.causationid or done.reply.command_id
    shown = await waiter.wait(read_model.schema, cause, expected, read_model.wait_s)
    if not shown:
        log.info(
            "read model did not show the command in time",
            extra={"schema": read_model.schema, "command_id": done.reply.command_id},
        )
    return shown


def _succeeded(outcome: Outcome) -> bool:
    return isinstance(outcome, Completed) and outcome.reply.status == "succeeded"
