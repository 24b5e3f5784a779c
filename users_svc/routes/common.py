"""Small helpers the identity routes share: domain errors as 422, path ids, read-your-writes."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any

from aiohttp import web
from redis.exceptions import RedisError

from streams.commands import Outcome
from streams.http.commands import outcome_response
from streams.http.principal import Principal
from streams.http.problem import problem
from streams.readmodel_pool import ReadModelUnavailable
from users_svc.domain.errors import DomainError
from users_svc.domain.rbac import permissions_cover
from users_svc.domain.throttle import FailureCounter, ThrottleKeys
from users_svc.routes.identity import Identity

POLL_S = 0.05
REDIS_ERRORS = (RedisError, OSError, TimeoutError)
log = logging.getLogger("dafnck.users.http")


def domain_problem(exc: DomainError, field: str | None = None) -> web.Response:
    """422 with the rule's code and message, naming the field (``field`` overrides)."""
    extra: dict[str, object] = {"code": exc.code}
    named = field or exc.field
    if named is not None:
        extra["field"] = named
    return problem(422, "Unprocessable Content", exc.message, **extra)


def user_id_param(request: web.Request) -> str:
    """The ``{id}`` path parameter as a canonical UUID; 404 when it cannot name a user."""
    raw = request.match_info["id"]
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise web.HTTPNotFound(text=f"no user {raw}") from None


def not_found(user_id: str) -> web.Response:
    """404 for a user the read model does not know."""
    return problem(404, "Not Found", f"no user {user_id}", code="user_not_found")


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


def view_matches(view: dict[str, Any] | None, resource: dict[str, Any] | None) -> bool:
    """Whether the read model shows the command's effect (or a later one)."""
    if view is None:
        return False
    if resource is None:
        return True
    if "updated_at" in view and "updated_at" in resource:
        # A newer change of the same user may already have overwritten this one's values;
        # the read model has caught up once it is at least as recent as the reply.
        return _instant(view["updated_at"]) >= _instant(resource["updated_at"])
    keys = ("display_name", "roles", "status")
    return all(
        sorted(view[k]) == sorted(resource[k]) if k == "roles" else view[k] == resource[k]
        for k in keys
        if k in resource
    )


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def throttle_counters(
    identity: Identity, keys: ThrottleKeys
) -> tuple[FailureCounter, FailureCounter] | None:
    """The failure counters, or None when Redis does not answer (then nothing is enforced)."""
    try:
        return await identity.throttle.counters(keys)
    except REDIS_ERRORS as exc:
        # Like the rate limiter: a Redis outage must not lock everybody out.
        log.warning("login throttle unavailable, not enforced", extra={"error": str(exc)})
        return None


async def count_failure(identity: Identity, keys: ThrottleKeys) -> None:
    """Count a failed password check (best effort)."""
    try:
        await identity.throttle.failed(keys)
    except REDIS_ERRORS as exc:
        log.warning("password failure not counted", extra={"error": str(exc)})


def throttled(retry_after: int, code: str, detail: str) -> web.Response:
    """429 with Retry-After."""
    response = problem(
        429, "Too Many Requests", f"{detail}; try again in {retry_after} s", code=code
    )
    response.headers["Retry-After"] = str(retry_after)
    return response


async def revoke_tokens(identity: Identity, user_id: str) -> web.Response | None:
    """Refuse the user's current access tokens; a 503 to answer when Redis would not."""
    try:
        await identity.revocations.revoke_before(user_id)
    except REDIS_ERRORS as exc:
        log.error("tokens not revoked", extra={"user_id": user_id, "error": str(exc)})
        response = problem(
            503,
            "Service Unavailable",
            "the change was made, but current access tokens could not be revoked; "
            "repeat the request",
            code="revocation_unavailable",
        )
        response.headers["Retry-After"] = "1"
        return response
    return None


def respond(outcome: Outcome | web.Response, *, created_status: int = 200) -> web.Response:
    """The HTTP answer to what ``ask`` returned."""
    if isinstance(outcome, web.Response):
        return outcome
    return outcome_response(outcome, created_status=created_status)


def _covers(granted: Iterable[str], wanted: str) -> bool:
    try:
        return permissions_cover(granted, wanted)
    except DomainError:
        return False  # a malformed grant (or request) covers nothing


async def beyond_caller(
    identity: Identity, principal: Principal, wanted: Iterable[str]
) -> str | None:
    """The first permission the caller does not hold (roles and token scope), if any."""
    # Nobody hands out more than they hold: no escalation through keys or role definitions.
    held = await identity.custom_roles.permissions(principal.roles)
    for permission in wanted:
        scoped = principal.scopes is None or _covers(principal.scopes, permission)
        if not (scoped and _covers(held, permission)):
            return permission
    return None
