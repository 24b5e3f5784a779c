"""The edge's /ready?deep=1 reports each context worker's own readiness."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

import edge.app
from edge.app import EdgeConfig, build_app
from edge.checks import ProbeResult

CONFIG = EdgeConfig(kafka_bootstrap="k:1", database_url="postgresql://x/y", redis_url="redis://z")


async def _all_answer(kafka: str, database_url: str, redis_url: str) -> list[ProbeResult]:
    return [ProbeResult(name, True, 1.0) for name in ("kafka", "postgres", "redis")]


def _worker(ready: bool, problems: list[str]) -> web.Application:
    async def view(request: web.Request) -> web.Response:
        body = {"ready": ready, "problems": problems}
        return web.json_response(body, status=200 if ready else 503)

    app = web.Application()
    app.router.add_get("/ready", view)
    return app


@pytest.fixture
async def workers() -> AsyncIterator[dict[str, str]]:
    users = TestServer(_worker(True, []))
    agents = TestServer(_worker(False, ["tables recovering"]))
    async with users, agents:
        yield {
            "users": str(users.make_url("")).rstrip("/"),
            "agents": str(agents.make_url("")).rstrip("/"),
        }


async def _ready(monkeypatch: pytest.MonkeyPatch, urls: str, query: str) -> tuple[int, Any]:
    monkeypatch.setattr(edge.app, "probe_all", _all_answer)
    monkeypatch.setenv("DAFNCK_WORKER_URLS", urls)
    async with TestClient(TestServer(build_app(CONFIG))) as client:
        response = await client.get(f"/ready{query}")
        return response.status, await response.json()


async def test_deep_ready_is_503_naming_the_worker_that_is_not_ready(
    workers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    urls = ",".join(f"{name}={url}" for name, url in workers.items())
    status, body = await _ready(monkeypatch, urls, "?deep=1")
    assert status == 503 and body["ready"] is False
    assert body["workers"] == {
        "users": {"ready": True, "problems": []},
        "agents": {"ready": False, "problems": ["tables recovering"]},
    }
    # Without deep the edge answers for itself and its dependencies only.
    status, body = await _ready(monkeypatch, urls, "")
    assert status == 200 and "workers" not in body


async def test_deep_ready_counts_a_silent_worker_as_not_ready(
    workers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    urls = f"users={workers['users']},notify=http://127.0.0.1:9"
    status, body = await _ready(monkeypatch, urls, "?deep=1")
    assert status == 503
    assert body["workers"]["users"]["ready"] is True
    assert body["workers"]["notify"]["ready"] is False
    assert "not answering" in body["workers"]["notify"]["problems"][0]
