"""The rate-limit middleware: per user when authenticated, else per client address.

If Redis cannot be reached the request is let through (fail open) with a throttled warning:
an outage of the limiter's store should not become an outage of the API. Place it after
``AuthGate.authenticate`` (to see the principal) and before ``AuthGate.authorize`` (so
failed authentications are counted too).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from aiohttp import web
from redis.exceptions import RedisError

from edge.auth.outage import FailOpen
from edge.ratelimit.gcra import RateDecision, RateStore
from streams.http.client_address import client_address
from streams.http.principal import PRINCIPAL
from streams.http.problem import problem
from streams.http.rate_rules import DEFAULT_RULES, RateRule, match_rule

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
RATE_LIMIT = web.RequestKey("dafnck_rate_limit", RateDecision)


def _route_path(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else request.path


class RateLimiter:
    """Applies the first matching rule's limit to each request and reports it in headers."""

    def __init__(
        self,
        store: RateStore,
        rules: Iterable[RateRule] = DEFAULT_RULES,
        *,
        trusted_proxy_hops: int = 0,
    ) -> None:
        self._store = store
        self.rules = tuple(rules)
        self._hops = trusted_proxy_hops
        self._outage = FailOpen("rate limiter (Redis)")

    def caller(self, request: web.Request) -> str:
        """The bucket owner: ``user:<sub>`` when authenticated, else ``addr:<address>``."""
        principal = request.get(PRINCIPAL)
        if principal is not None:
            return f"user:{principal.sub}"
        return f"addr:{client_address(request, self._hops)}"

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Count the request; 429 with ``Retry-After`` once the caller's quota is spent."""
        rule = match_rule(self.rules, _route_path(request))
        if rule is None or self._outage.skipping():
            return await handler(request)
        try:
            decision = await self._store.hit(self.caller(request), rule)
        except (RedisError, OSError, TimeoutError) as exc:
            self._outage.failed(exc)
            return await handler(request)
        request[RATE_LIMIT] = decision
        if not decision.allowed:
            return problem(
                429,
                "Too Many Requests",
                f"rate limit of {rule.limit} requests per {rule.window_s} s exceeded; "
                f"retry in {decision.retry_after_s} s",
                headers=decision.headers(),
            )
        response = await handler(request)
        if not response.prepared:
            response.headers.update(decision.headers())
        return response

    def install(self, app: web.Application) -> None:
        """Also stamp the headers on responses built outside this middleware (raised errors)."""
        app.on_response_prepare.append(_stamp_headers)


async def _stamp_headers(request: web.Request, response: web.StreamResponse) -> None:
    decision = request.get(RATE_LIMIT)
    if decision is not None:
        response.headers.update(decision.headers())
