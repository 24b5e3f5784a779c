"""Redis calls the routes make best effort: login throttle counters, failure counts, revocation."""

from __future__ import annotations

import logging

from aiohttp import web
from redis.exceptions import RedisError

from streams.http.problem import problem
from users_svc.api.deps import UsersApiDeps
from users_svc.domain.throttle import FailureCounter, ThrottleKeys

REDIS_ERRORS = (RedisError, OSError, TimeoutError)
log = logging.getLogger("dafnck.users.http")


async def throttle_counters(
    deps: UsersApiDeps, keys: ThrottleKeys
) -> tuple[FailureCounter, FailureCounter] | None:
    """The failure counters, or None when Redis does not answer (then nothing is enforced)."""
    try:
        return await deps.throttle.counters(keys)
    except REDIS_ERRORS as exc:
        # Like the rate limiter: a Redis outage must not lock everybody out.
        log.warning("login throttle unavailable, not enforced", extra={"error": str(exc)})
        return None


async def count_failure(deps: UsersApiDeps, keys: ThrottleKeys) -> None:
    """Count a failed password check (best effort)."""
    try:
        await deps.throttle.failed(keys)
    except REDIS_ERRORS as exc:
        log.warning("password failure not counted", extra={"error": str(exc)})


async def revoke_tokens(deps: UsersApiDeps, user_id: str) -> web.Response | None:
    """Refuse the user's current access tokens; a 503 to answer when Redis would not."""
    try:
        await deps.revocations.revoke_before(user_id)
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
