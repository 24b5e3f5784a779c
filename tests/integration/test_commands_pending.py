"""A command whose service is stopped answers 202 and completes once the service is back."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.support.streams import command_worker as cw

pytestmark = pytest.mark.integration


@pytest.fixture
async def stopped(kafka_bootstrap: str, tmp_path: Path) -> AsyncIterator[cw.CommandRun]:
    """The run's topics, with its worker not started."""
    async with cw.command_run(kafka_bootstrap, tmp_path, start=False) as run:
        yield run


async def _status_until_done(client: TestClient, url: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        response = await client.get(url)
        assert response.status == 200, await response.text()
        body = await response.json()
        if body["status"] != "pending" or time.monotonic() > deadline:
            return body
        assert response.headers["Retry-After"]
        await asyncio.sleep(0.25)


async def test_stopped_service_answers_202_then_the_status_and_a_retry_give_the_result(
    stopped: cw.CommandRun, redis_url: str
) -> None:
    name = f"late-{uuid.uuid4().hex[:8]}"
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    async with cw.edge_client(stopped, redis_url, timeout_s=1.0) as client:
        response = await client.post("/things", json={"name": name}, headers=headers)
        assert response.status == 202
        body = await response.json()
        command_id = body["command_id"]
        assert body == {
            "command_id": command_id,
            "status": "pending",
            "status_url": f"/api/commands/{command_id}",
        }
        assert response.headers["Location"] == body["status_url"]
        still = await client.get(body["status_url"])
        assert (await still.json())["status"] == "pending"
        unknown = await client.get(f"/api/commands/{uuid.uuid4()}")
        assert unknown.status == 404

        await asyncio.to_thread(stopped.start_worker)
        done = await _status_until_done(client, body["status_url"])
        assert done["status"] == "succeeded", done
        assert done["http_status"] == 201
        assert done["resource"]["name"] == name

        # The client's retry gets the result, not a second command.
        retry = await client.post("/things", json={"name": name}, headers=headers)
        assert retry.status == 201
        assert retry.headers["X-Command-Id"] == command_id
        assert await retry.json() == done["resource"]
    assert stopped.things()[name]["commands"] == 1
