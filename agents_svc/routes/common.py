"""What the agents routes share: sending commands, path ids, query filters, pages, waiting.

Every agents command goes to ``agent-commands`` keyed ``scheduler``: one scheduling shard
decides them all (agents_svc/DESIGN.md). The edge's ``send_command`` builds it (schema
checked: 422 naming the field), honours ``Idempotency-Key``, and gives back the reply or
``Pending`` (answered 202 with a status URL).
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

import topics
from agents_svc.routes.paging import Page, decode_cursor
from streams.commands import Completed, Outcome, Reply
from streams.http.commands import outcome_response, send_command
from streams.http.openapi import QueryParam
from streams.http.problem import problem
from streams.readmodel_pool import ReadModelUnavailable

SUBJECT = "scheduler"
MAX_LIMIT = 200
DEFAULT_LIMIT = 50
POLL_S = 0.05
PENDING = {202: "Accepted: the service has not answered yet; poll status_url"}
TOKEN = re.compile(r"^[a-z0-9][a-z0-9_.:-]{0,63}$")

PAGE_QUERY = (
    QueryParam("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, "page size"),
    QueryParam("cursor", {"type": "string"}, "from the previous page's next link"),
)


class InvalidQuery(Exception):
    """A query parameter the API cannot use; answered 422 naming it."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field
        self.detail = detail

    def response(self) -> web.Response:
        """422 problem+json naming the parameter."""
        return problem(
            422, "Unprocessable Content", self.detail, code="invalid_query", field=self.field
        )


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


async def settle(check: Callable[[], Awaitable[bool]], timeout_s: float) -> bool:
    """Poll the read model until ``check`` holds (read-your-writes), at most ``timeout_s``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        try:
            if await check():
                return True
        except ReadModelUnavailable:
            pass
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(POLL_S)


def not_ready() -> web.Response:
    """503 while the agents read model cannot be queried."""
    response = problem(
        503,
        "Service Unavailable",
        "the agents read model is not available yet; try again",
        code="read_model_unavailable",
    )
    response.headers["Retry-After"] = "2"
    return response


def path_id(request: web.Request, name: str = "id", what: str = "resource") -> str:
    """A UUID path parameter in canonical form; 404 when it cannot name anything."""
    raw = request.match_info[name]
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise web.HTTPNotFound(text=f"no {what} {raw}") from None


def not_found(what: str, code: str, ident: str) -> web.Response:
    """404 for something the read model does not know."""
    return problem(404, "Not Found", f"no {what} {ident}", code=code)


def uuid_param(params: Mapping[str, str], name: str) -> str | None:
    """An optional UUID query parameter."""
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise InvalidQuery(name, f"{name} must be a UUID") from None


def enum_param(params: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str | None:
    """An optional query parameter taking one of ``allowed``."""
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if raw not in allowed:
        raise InvalidQuery(name, f"{name} must be one of {', '.join(allowed)}")
    return raw


def token_param(params: Mapping[str, str], name: str) -> str | None:
    """An optional capability token (lowercase letters, digits and . _ : -)."""
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not TOKEN.match(raw):
        raise InvalidQuery(name, f"{name} is not a capability (lowercase letters, digits, ._:-)")
    return raw


def time_param(params: Mapping[str, str], name: str) -> datetime | None:
    """An optional RFC 3339 time with a time zone."""
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        moment = datetime.fromisoformat(raw)
        # Postgres takes offsets up to 15:59 only; Python up to 23:59: hand it UTC.
        utc = moment.astimezone(UTC) if moment.tzinfo is not None else None
    except (ValueError, OverflowError):
        utc = None
    if utc is None:
        raise InvalidQuery(name, f"{name} must be an RFC 3339 time with a time zone")
    return utc


def page_params(params: Mapping[str, str]) -> tuple[int, tuple[str, str] | None]:
    """``limit`` (1..200, default 50) and the decoded ``cursor``."""
    try:
        limit = int(params.get("limit", DEFAULT_LIMIT))
    except ValueError:
        raise InvalidQuery("limit", "limit must be an integer") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidQuery("limit", f"limit must be between 1 and {MAX_LIMIT}")
    cursor = None
    if "cursor" in params:
        cursor = decode_cursor(params["cursor"])
        if cursor is None:
            raise InvalidQuery("cursor", "cursor is not one this API gave out")
    return limit, cursor


async def list_response(
    request: web.Request, limit: int, fetch: Callable[[], Awaitable[Page]]
) -> web.Response:
    """A page as ``{items, next, limit}`` with a ``Link: rel=next`` header (as /api/users)."""
    try:
        page = await fetch()
    except ReadModelUnavailable:
        return not_ready()
    next_url = None
    if page.next_cursor is not None:
        next_url = str(request.rel_url.update_query(cursor=page.next_cursor))
    response = web.json_response({"items": page.items, "next": next_url, "limit": limit})
    if next_url is not None:
        response.headers["Link"] = f'<{next_url}>; rel="next"'
    return response


async def one(
    fetch: Callable[[], Awaitable[dict[str, Any] | None]], missing: web.Response
) -> web.Response:
    """The view ``fetch`` finds, ``missing`` when None, 503 when the read model is down."""
    try:
        found = await fetch()
    except ReadModelUnavailable:
        return not_ready()
    return web.json_response(found) if found is not None else missing


def newer_or_equal(view: Mapping[str, Any] | None, resource: Mapping[str, Any] | None) -> bool:
    """Whether the read model's view is at least as recent as the reply's (updated_at)."""
    if view is None:
        return False
    if resource is None or "updated_at" not in resource or "updated_at" not in view:
        return True
    return _instant(view["updated_at"]) >= _instant(resource["updated_at"])


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
