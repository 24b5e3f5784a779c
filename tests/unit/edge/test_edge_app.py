"""The edge's operational endpoints and middleware, served in-process (no Kafka, no database)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

import edge.app
from edge.app import EdgeConfig, build_app
from edge.checks import ProbeResult
from streams.http.access import public

# edge/app.py uses string keys for app/request storage; aiohttp only recommends AppKey.

CONFIG = EdgeConfig(
    kafka_bootstrap="kafka.test:9092",
    database_url="postgresql://db.test/dafnck",
    redis_url="redis://redis.test:6379/0",
)


# Public: these routes test error handling, not authentication (build_app installs the gate).
@public
async def _boom(request: web.Request) -> web.Response:
    raise RuntimeError("secret internal detail")


@public
async def _bad_request(request: web.Request) -> web.Response:
    raise web.HTTPBadRequest(text="field 'name' is required")


def _app() -> web.Application:
    app = build_app(CONFIG)
    # Routes a service would mount, to see how the middleware treats their failures.
    app.router.add_get("/test/boom", _boom)
    app.router.add_get("/test/bad", _bad_request)
    return app


@pytest.fixture
async def client() -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(_app())) as test_client:
        yield test_client


async def _json(response: Any) -> Any:
    return await response.json(content_type=None)


async def test_health_answers_200_with_json(client: TestClient) -> None:
    response = await client.get("/health")
    assert response.status == 200
    assert response.content_type == "application/json"
    body = await response.json()
    assert body["status"] == "ok"
    assert body["service"] == "edge"
    assert body["version"]


def _probes(**failures: str) -> Any:
    calls: list[tuple[str, str, str]] = []

    async def probe_all(kafka: str, database_url: str, redis_url: str) -> list[ProbeResult]:
        calls.append((kafka, database_url, redis_url))
        return [
            ProbeResult(name, name not in failures, 1.234, failures.get(name))
            for name in ("kafka", "postgres", "redis")
        ]

    probe_all.calls = calls  # type: ignore[attr-defined]
    return probe_all


async def test_ready_is_200_when_every_dependency_answers(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _probes()
    monkeypatch.setattr(edge.app, "probe_all", fake)
    response = await client.get("/ready")
    assert response.status == 200
    body = await response.json()
    assert body["ready"] is True
    assert set(body["checks"]) == {"kafka", "postgres", "redis"}
    assert all(check["ok"] and check["error"] is None for check in body["checks"].values())
    # The configured addresses are what gets probed.
    assert fake.calls == [(CONFIG.kafka_bootstrap, CONFIG.database_url, CONFIG.redis_url)]


async def test_ready_is_503_naming_the_failing_dependency(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(edge.app, "probe_all", _probes(postgres="connection refused"))
    response = await client.get("/ready")
    assert response.status == 503
    body = await response.json()
    assert body["ready"] is False
    assert body["checks"]["postgres"] == {
        "ok": False,
        "latency_ms": 1.2,
        "error": "connection refused",
    }
    assert body["checks"]["kafka"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is True


async def test_an_unknown_path_is_a_problem_json_404_naming_the_path(client: TestClient) -> None:
    response = await client.get("/no/such/thing")
    assert response.status == 404
    assert response.content_type == "application/problem+json"
    body = await _json(response)
    assert body["status"] == 404
    assert body["title"] == "Not Found"
    assert "/no/such/thing" in body["detail"]


async def test_a_wrong_method_on_a_known_path_is_405(client: TestClient) -> None:
    response = await client.post("/health")
    assert response.status == 405
    assert "GET" in response.headers.get("Allow", "")


async def test_an_http_error_from_a_route_becomes_problem_json(client: TestClient) -> None:
    response = await client.get("/test/bad")
    assert response.status == 400
    assert response.content_type == "application/problem+json"
    body = await _json(response)
    assert body["detail"] == "field 'name' is required"


async def test_an_unhandled_error_is_a_500_without_internals(client: TestClient) -> None:
    response = await client.get("/test/boom")
    assert response.status == 500
    assert response.content_type == "application/problem+json"
    body = await _json(response)
    assert "secret internal detail" not in str(body)
    # The id to quote to an operator is in the body and in the header.
    assert body["request_id"] == response.headers["X-Request-Id"]


@pytest.mark.parametrize("path", ["/health", "/nowhere", "/openapi.json", "/test/boom"])
async def test_every_response_carries_a_request_id(client: TestClient, path: str) -> None:
    first = await client.get(path)
    second = await client.get(path)
    assert first.headers["X-Request-Id"]
    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]
    # Without an incoming correlation id the request is its own correlation root.
    assert first.headers["X-Correlation-Id"] == first.headers["X-Request-Id"]


async def test_incoming_request_and_correlation_ids_are_echoed(client: TestClient) -> None:
    response = await client.get(
        "/health", headers={"X-Request-Id": "req-abc", "X-Correlation-Id": "flow-123"}
    )
    assert response.headers["X-Request-Id"] == "req-abc"
    assert response.headers["X-Correlation-Id"] == "flow-123"


async def test_openapi_is_3_1_and_lists_the_routes(client: TestClient) -> None:
    response = await client.get("/openapi.json")
    assert response.status == 200
    document = await response.json()
    assert document["openapi"].startswith("3.1")
    assert document["info"]["title"]
    assert "get" in document["paths"]["/health"]
    assert {"/health", "/ready", "/metrics", "/openapi.json"} <= set(document["paths"])
    assert document["paths"]["/health"]["get"]["summary"]


async def test_metrics_count_requests_by_route_and_status(client: TestClient) -> None:
    for path in ("/health", "/health", "/nope", "/elsewhere", "/test/boom"):
        await client.get(path)
    response = await client.get("/metrics")
    assert response.status == 200
    counts = {
        (s.labels["method"], s.labels["route"], s.labels["status"]): s.value
        for family in text_string_to_metric_families(await response.text())
        for s in family.samples
        if s.name == "dafnck_http_requests_total"
    }
    assert counts[("GET", "/health", "200")] == 2
    assert counts[("GET", "/test/boom", "500")] == 1
    # Unknown paths share one route label, so scanners cannot blow up the label set.
    not_found = {k: v for k, v in counts.items() if k[2] == "404"}
    assert list(not_found.values()) == [2]
    assert "/nope" not in str(counts) and "/elsewhere" not in str(counts)


async def test_each_app_counts_only_its_own_requests(client: TestClient) -> None:
    await client.get("/health")
    async with TestClient(TestServer(_app())) as other:
        text = await (await other.get("/metrics")).text()
    assert 'route="/health"' not in text


async def test_without_services_every_undeclared_route_needs_a_token() -> None:
    async def secret(request: web.Request) -> web.Response:
        return web.json_response({"secret": True})

    app = _app()
    app.router.add_get("/test/secret", secret)
    async with TestClient(TestServer(app)) as other:
        response = await other.get("/test/secret", headers={"Authorization": "Bearer x.y.z"})
        assert response.status == 401
        assert response.content_type == "application/problem+json"
        assert (await other.get("/docs")).status == 200
