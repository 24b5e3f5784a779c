"""Hostile input at the edge, in-process: bodies, YAML, query strings, cursors, headers, errors."""

from __future__ import annotations

import asyncio
import base64
import itertools
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from edge.app import EdgeConfig, build_app
from edge.server import serve
from streams.http.access import public
from streams.http.body import accepts, json_body
from streams.http.limits import MAX_JSON_DEPTH
from streams.http.openapi import openapi_document
from streams.http.paging import decode_cursor as agents_cursor
from streams.http.paging import decode_cursor as users_cursor
from streams.http.paging import encode_cursor
from streams.http.query_params import InvalidQuery, time_param
from streams.http.yaml_body import YamlRefused, load_yaml
from tests.support.streams.harness import free_port

CONFIG = EdgeConfig("kafka.test:9092", "postgresql://db.test/dafnck", "redis://redis.test:6379/0")
FIVE = {"type", "title", "status", "detail", "code"}
ANY_OBJECT = {"type": "object"}


@public
@accepts(ANY_OBJECT)
async def _echo(request: web.Request) -> web.Response:
    return web.json_response(json_body(request))


@public
async def _listing(request: web.Request) -> web.Response:
    return web.json_response(dict(request.query))


async def _protected(request: web.Request) -> web.Response:
    return web.json_response({})


def _app() -> web.Application:
    app = build_app(CONFIG)
    app.router.add_post("/test/echo", _echo)
    app.router.add_get("/test/list", _listing)
    app.router.add_get("/test/protected", _protected)
    return app


@pytest.fixture
async def client() -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(_app())) as test_client:
        yield test_client


async def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status == status, await response.text()
    assert response.content_type == "application/problem+json"
    body = await response.json(content_type=None)
    assert set(body) >= FIVE, body
    return dict(body)


def _nested(levels: int) -> bytes:
    return b'{"input": ' + b"[" * levels + b"]" * levels + b"}"


async def _post(client: TestClient, raw: bytes) -> Any:
    return await client.post("/test/echo", data=raw, headers={"Content-Type": "application/json"})


async def test_a_body_within_the_depth_limit_is_accepted(client: TestClient) -> None:
    response = await _post(client, _nested(MAX_JSON_DEPTH - 1))
    assert response.status == 200


@pytest.mark.parametrize("levels", [MAX_JSON_DEPTH, 300, 1100, 20_000])
async def test_a_body_nested_too_deep_is_422_naming_the_field(
    client: TestClient, levels: int
) -> None:
    body = await _problem(await _post(client, _nested(levels)), 422)
    assert (body["code"], body["field"]) == ("too_deep", "input")


async def test_nul_in_a_body_string_or_key_is_422_naming_the_field(client: TestClient) -> None:
    body = await _problem(await _post(client, b'{"email": "a\\u0000@x.test"}'), 422)
    assert (body["code"], body["field"]) == ("nul_character", "email")
    body = await _problem(await _post(client, b'{"a": [{"k\\u0000": 1}]}'), 422)
    assert body["code"] == "nul_character"


async def test_a_repeated_key_is_422_not_last_wins(client: TestClient) -> None:
    body = await _problem(await _post(client, b'{"a": {"role": "member", "role": "admin"}}'), 422)
    assert (body["code"], body["field"]) == ("duplicate_key", "role")
    assert (await _post(client, b'{"a": {"role": 1}, "b": {"role": 2}}')).status == 200


async def test_invalid_json_is_400_in_the_one_shape(client: TestClient) -> None:
    body = await _problem(await _post(client, b'{"a": '), 400)
    assert body["code"] == "invalid_json"


async def test_nul_in_a_query_parameter_is_422_naming_it(client: TestClient) -> None:
    body = await _problem(await client.get("/test/list?email=%00"), 422)
    assert (body["code"], body["field"]) == ("invalid_query", "email")
    assert (await client.get("/test/list?name=ok")).status == 200


async def test_the_auth_401_has_the_one_shape(client: TestClient) -> None:
    body = await _problem(await client.get("/test/protected"), 401)
    assert body["code"] == "token_required"
    forged = {"Authorization": "Bearer not.a.token"}
    body = await _problem(await client.get("/test/protected", headers=forged), 401)
    assert body["code"] == "invalid_token"


async def test_an_unknown_route_has_the_one_shape(client: TestClient) -> None:
    body = await _problem(await client.get("/api/nothing-here"), 404)
    assert body["code"] == "not_found"


def alias_bomb() -> bytes:
    """ "Billion laughs": nine levels of nine aliases each, about 400 bytes."""
    names = "abcdefghi"
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in itertools.pairwise(names):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return ("\n".join(lines) + "\n").encode()


def test_yaml_aliases_are_refused_without_expanding_them() -> None:
    bomb = alias_bomb()
    assert len(bomb) < 600
    started = time.perf_counter()
    with pytest.raises(YamlRefused) as refused:
        load_yaml(bomb)
    assert time.perf_counter() - started < 0.5
    assert (refused.value.fault.code, refused.value.fault.field) == ("yaml_alias", "a")


def test_an_alias_alone_is_refused_naming_its_field() -> None:
    with pytest.raises(YamlRefused) as refused:
        load_yaml(b"steps: []\nother: *x\n")
    assert (refused.value.fault.code, refused.value.fault.field) == ("yaml_alias", "other")


@pytest.mark.parametrize(
    "doc",
    [
        b"steps: " + b"[" * 20_000 + b"]" * 20_000,
        b"steps:\n" + b"".join(b"  " * i + b"- k:\n" for i in range(1, 200)),
        b"steps: " + b"{a: " * 70 + b"1" + b"}" * 70,
    ],
)
def test_yaml_nested_too_deep_is_refused_naming_the_field(doc: bytes) -> None:
    with pytest.raises(YamlRefused) as refused:
        load_yaml(doc)
    assert (refused.value.fault.code, refused.value.fault.field) == ("too_deep", "steps")


def test_yaml_repeated_keys_and_nul_are_refused() -> None:
    with pytest.raises(YamlRefused) as refused:
        load_yaml(b"name: a\nname: b\n")
    assert refused.value.fault.code == "duplicate_key"
    with pytest.raises(YamlRefused) as refused:
        load_yaml(b'name: "a\\0b"\n')
    assert (refused.value.fault.code, refused.value.fault.field) == ("nul_character", "name")


def test_ordinary_yaml_still_loads_as_json_types() -> None:
    doc = b"name: w\nwhen: 2026-01-02\nsteps:\n  - {name: s, input: {n: 1}}\n"
    assert load_yaml(doc) == {
        "name": "w",
        "when": "2026-01-02",
        "steps": [{"name": "s", "input": {"n": 1}}],
    }


def _cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(value)).decode().rstrip("=")


ROW = "8d0c2a4e-8f43-4f7c-9d33-1f0e4a1b2c3d"


@pytest.mark.parametrize("decode", [agents_cursor, users_cursor])
def test_a_cursor_in_utc_decodes_as_utc(decode: Any) -> None:
    assert decode(_cursor(["2024-01-01T00:00:00Z", ROW])) == ("2024-01-01T00:00:00+00:00", ROW)


@pytest.mark.parametrize("decode", [agents_cursor, users_cursor])
@pytest.mark.parametrize(
    "cursor",
    [
        _cursor(["2024-01-01T00:00:00+23:59", ROW]),  # Postgres takes 15:59 at most
        _cursor(["2024-01-01T00:00:00+01:00", ROW]),  # the API writes UTC only
        _cursor(["0001-01-01T00:00:00+23:59", ROW]),  # before year 1 in UTC
        _cursor(["2024-01-01T00:00:00", ROW]),  # no offset
        _cursor(["2024-01-01T00:00:00Z", "not-a-uuid"]),
        _cursor({"a": 1}),
        "%%%",
        "\x00",
        base64.urlsafe_b64encode(b"\xff\xfe\x00").decode(),
    ],
)
def test_a_cursor_the_api_did_not_give_out_is_refused(decode: Any, cursor: str) -> None:
    assert decode(cursor) is None


def test_a_cursor_the_api_gave_out_still_decodes() -> None:
    from datetime import UTC, datetime

    cursor = encode_cursor(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), ROW)
    assert agents_cursor(cursor) == ("2026-01-02T03:04:05+00:00", ROW)


def test_openapi_lists_the_statuses_the_edge_answers_by_itself() -> None:
    app = _app()
    paths = openapi_document(app)["paths"]
    echo = paths["/test/echo"]["post"]["responses"]
    assert {"400", "413", "414", "415", "422", "431"} <= set(echo)
    assert {"414", "431"} <= set(paths["/health"]["get"]["responses"])
    problem = openapi_document(app)["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == FIVE


async def _raw(port: int, request: bytes) -> tuple[int, dict[str, Any]]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    data = await reader.read()
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split()[1])
    assert b"application/problem+json" in head
    return status, orjson.loads(body)


async def test_oversized_headers_are_431_problem_json_from_the_served_edge() -> None:
    port = free_port()
    task = asyncio.create_task(serve(_app(), "127.0.0.1", port))
    try:
        for _ in range(100):
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            except OSError:
                await asyncio.sleep(0.05)
        big = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n"
        status, body = await _raw(port, big)
        assert (status, body["code"]) == (431, "headers_too_large")
        many = b"".join(b"X-%d: 1\r\n" % i for i in range(200))
        status, body = await _raw(port, b"GET /health HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n")
        assert status == 431
        long_url = b"GET /health?" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        status, body = await _raw(port, long_url)
        assert (status, body["code"]) == (414, "request_line_too_long")
        assert set(body) >= FIVE
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def test_a_time_filter_reaches_postgres_as_utc() -> None:
    moment = time_param({"created_after": "2024-01-01T00:00:00+23:59"}, "created_after")
    assert moment is not None and moment.isoformat() == "2023-12-31T00:01:00+00:00"


@pytest.mark.parametrize("raw", ["0001-01-01T00:00:00+23:59", "2024-01-01T00:00:00", "soon"])
def test_a_time_filter_that_cannot_be_a_moment_is_refused_naming_it(raw: str) -> None:
    with pytest.raises(InvalidQuery) as refused:
        time_param({"created_after": raw}, "created_after")
    assert refused.value.field == "created_after"
