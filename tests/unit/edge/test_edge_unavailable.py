"""A dependency that does not answer is 503 with Retry-After, whichever route meets it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import psycopg2
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from redis.exceptions import ConnectionError as RedisConnectionError

from edge.core import METRICS, EdgeMetrics, request_context
from streams.readmodel_pool import ReadModelUnavailable


def _raising(exc: BaseException) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(_request: web.Request) -> web.Response:
        raise exc

    return handler


def _wrapped() -> ReadModelUnavailable:
    try:
        raise psycopg2.OperationalError("connection refused")
    except psycopg2.OperationalError as exc:
        try:
            raise ReadModelUnavailable("postgres") from exc
        except ReadModelUnavailable as outer:
            return outer


@pytest.fixture
async def client() -> AsyncIterator[TestClient]:
    app = web.Application(middlewares=[request_context])
    app[METRICS] = EdgeMetrics()
    app.router.add_get("/redis", _raising(RedisConnectionError("Connection refused")))
    app.router.add_get("/postgres", _raising(psycopg2.OperationalError("server closed")))
    app.router.add_get("/readmodel", _raising(_wrapped()))
    app.router.add_get("/bug", _raising(RuntimeError("a bug")))
    async with TestClient(TestServer(app)) as client:
        yield client


@pytest.mark.parametrize(
    ("path", "dependency"),
    [("/redis", "redis"), ("/postgres", "postgres"), ("/readmodel", "postgres")],
)
async def test_an_unreachable_dependency_is_503_naming_it(
    client: TestClient, path: str, dependency: str
) -> None:
    response = await client.get(path)
    assert response.status == 503
    assert response.content_type == "application/problem+json"
    assert int(response.headers["Retry-After"]) >= 1
    body = await response.json()
    assert (body["code"], body["dependency"]) == ("dependency_unavailable", dependency)


async def test_a_bug_is_still_500(client: TestClient) -> None:
    response = await client.get("/bug")
    assert response.status == 500 and "Retry-After" not in response.headers
