"""Rate-limit rules, caller keys and the middleware's responses, with an in-memory store."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request
from redis.exceptions import ConnectionError as RedisConnectionError

from edge.app import METRICS, EdgeMetrics, request_context
from edge.ratelimit.gcra import RateDecision
from edge.ratelimit.middleware import RateLimiter
from streams.http.client_address import client_address
from streams.http.rate_rules import (
    DEFAULT_RULES,
    RATE_LIMITS_ENV,
    RateRule,
    match_rule,
    parse_rules,
    rule,
    rules_from_env,
)


class CountingStore:
    """Counts per (caller, rule) like a fixed window; enough to test the middleware."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], int] = {}
        self.down = False

    async def hit(self, caller: str, rule: RateRule) -> RateDecision:
        if self.down:
            raise RedisConnectionError("Connection refused")
        count = self.counts.get((caller, rule.prefix), 0) + 1
        allowed = count <= rule.limit
        if allowed:
            self.counts[(caller, rule.prefix)] = count
        return RateDecision(
            allowed=allowed,
            limit=rule.limit,
            remaining=max(0, rule.limit - count),
            reset_s=rule.window_s,
            retry_after_s=0 if allowed else 7,
            policy=rule.policy,
        )


def test_the_seed_rules() -> None:
    seed = (RateRule("/api/agents", 1000, 3600), RateRule("/api/users", 500, 3600))
    assert seed == DEFAULT_RULES
    assert rules_from_env({}) == DEFAULT_RULES


def test_rules_parse_from_configuration() -> None:
    text = "/api/agents/*=1000/hour, /api/users/* = 500/1h,/api/agents/bulk=10/30s"
    assert parse_rules(text) == (
        RateRule("/api/agents", 1000, 3600),
        RateRule("/api/users", 500, 3600),
        RateRule("/api/agents/bulk", 10, 30),
    )
    assert rules_from_env({RATE_LIMITS_ENV: "/x/*=5/min"}) == (RateRule("/x", 5, 60),)
    for bad in ("/api=ten/hour", "api/*=5/hour", "/api/*=5/fortnight", "/api/*=0/hour"):
        with pytest.raises(ValueError):
            parse_rules(bad)


def test_the_most_specific_prefix_wins_and_prefixes_stop_at_segments() -> None:
    rules = (rule("/api/agents/*", 100, 60), rule("/api/agents/bulk/*", 5, 60))
    assert match_rule(rules, "/api/agents") == rules[0]
    assert match_rule(rules, "/api/agents/{agent_id}") == rules[0]
    assert match_rule(rules, "/api/agents/bulk/import") == rules[1]
    assert match_rule(rules, "/api/agentsx") is None
    assert match_rule(rules, "/health") is None


def test_forwarded_for_is_only_believed_from_trusted_proxies() -> None:
    headers = {"X-Forwarded-For": "6.6.6.6, 203.0.113.7"}
    request = make_mocked_request("GET", "/", headers=headers).clone(remote="10.0.0.1")
    assert client_address(request) == "10.0.0.1"
    assert client_address(request, trusted_proxy_hops=1) == "203.0.113.7"
    assert client_address(request, trusted_proxy_hops=2) == "6.6.6.6"
    assert client_address(request, trusted_proxy_hops=5) == "6.6.6.6"


async def ok(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def broken(request: web.Request) -> web.Response:
    raise web.HTTPBadRequest(text="bad input")


@pytest.fixture
def store() -> CountingStore:
    return CountingStore()


@pytest.fixture
async def client(store: CountingStore) -> AsyncIterator[TestClient]:
    limiter = RateLimiter(store, [rule("/api/agents/*", 2, 60)])
    app = web.Application(middlewares=[request_context, limiter.middleware])
    app[METRICS] = EdgeMetrics()
    limiter.install(app)
    app.router.add_get("/api/agents", ok)
    app.router.add_get("/api/agents/broken", broken)
    app.router.add_get("/health", ok)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def test_limited_responses_carry_the_headers_and_the_excess_is_429(
    client: TestClient,
) -> None:
    remaining = []
    for _ in range(2):
        response = await client.get("/api/agents")
        assert response.status == 200
        assert response.headers["RateLimit-Limit"] == "2"
        assert response.headers["RateLimit-Policy"] == "2;w=60"
        remaining.append(response.headers["RateLimit-Remaining"])
    assert remaining == ["1", "0"]
    response = await client.get("/api/agents")
    assert response.status == 429
    assert response.content_type == "application/problem+json"
    assert response.headers["Retry-After"] == "7"
    assert response.headers["RateLimit-Remaining"] == "0"
    assert "retry in 7 s" in (await response.json(content_type=None))["detail"]


async def test_error_responses_raised_by_handlers_keep_the_headers(client: TestClient) -> None:
    response = await client.get("/api/agents/broken")
    assert response.status == 400
    assert response.headers["RateLimit-Remaining"] == "1"


async def test_unlimited_paths_have_no_headers(client: TestClient) -> None:
    response = await client.get("/health")
    assert response.status == 200
    assert "RateLimit-Limit" not in response.headers


async def test_a_store_outage_fails_open(
    client: TestClient, store: CountingStore, caplog: pytest.LogCaptureFixture
) -> None:
    store.down = True
    responses = [await client.get("/api/agents") for _ in range(5)]
    assert [r.status for r in responses] == [200] * 5
    assert all("RateLimit-Limit" not in r.headers for r in responses)
    warnings = [r for r in caplog.records if "failing open" in r.getMessage()]
    assert len(warnings) == 1  # throttled, not one per request
