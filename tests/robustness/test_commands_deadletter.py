"""A command the service dead-letters is answered as rejected, never left pending.

HTTP → command topic → a real worker whose handler fails every attempt → dead letter and
CommandRejected → the waiting request answers 422 with the reason; the status says so.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from streams import deadletter
from streams.envelope import decode
from tests.support.streams import command_worker as cw
from tests.support.streams.harness import headers_of, read_until

pytestmark = pytest.mark.integration
PROBLEM = "application/problem+json"
CALLER = {"X-Test-Principal": "user-1"}
# Three attempts with sub-second backoff, on a loaded machine: generous, but far from "never".
ANSWERED_WITHIN_S = 20.0


@pytest.fixture(scope="module")
async def run(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[cw.CommandRun]:
    """A running command worker on the module's own topics."""
    async with cw.command_run(kafka_bootstrap, tmp_path_factory.mktemp("deadletter")) as run:
        yield run


@pytest.fixture(scope="module")
async def client(run: cw.CommandRun, redis_url: str) -> AsyncIterator[TestClient]:
    """The edge, waiting long enough for any answer."""
    async with cw.edge_client(run, redis_url, timeout_s=30.0) as client:
        yield client


@pytest.fixture(scope="module")
async def impatient(run: cw.CommandRun, redis_url: str) -> AsyncIterator[TestClient]:
    """The edge with a deadline too short for the service to answer in."""
    async with cw.edge_client(run, redis_url, timeout_s=0.05) as client:
        yield client


def _poison() -> str:
    return f"{cw.POISON_PREFIX}{uuid.uuid4().hex[:8]}"


async def _status(client: TestClient, command_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/commands/{command_id}", headers=CALLER)
    assert response.status == 200, await response.text()
    return dict(await response.json())


async def test_a_dead_lettered_command_answers_422_with_the_reason_not_202(
    run: cw.CommandRun, client: TestClient
) -> None:
    name = _poison()
    started = time.monotonic()
    response = await client.post("/things", json={"name": name}, headers=CALLER)
    elapsed = time.monotonic() - started

    assert response.status == 422, await response.text()
    assert response.content_type == PROBLEM and elapsed < ANSWERED_WITHIN_S
    problem = await response.json()
    assert problem["code"] == "handler_error" and "dead-lettered" in problem["detail"]
    command_id = response.headers["X-Command-Id"]
    assert problem["command_id"] == command_id

    status = await _status(client, command_id)
    assert (status["status"], status["http_status"]) == ("rejected", 422)
    assert status["error"]["code"] == "handler_error"

    # Set aside once and answered once: nothing doubled.
    spec = cw.commands_topic(run.prefix)

    def dead(rs: list[Any]) -> list[Any]:
        return [r for r in rs if decode(r.value).id == command_id]

    [record] = dead(await read_until(run.bootstrap, spec.dlq, lambda rs: bool(dead(rs))))
    assert headers_of(record)[deadletter.REASON] == deadletter.HANDLER_ERROR

    def answers(rs: list[Any]) -> list[Any]:
        return [r for r in rs if r.key == command_id.encode()]

    replies = cw.replies_topic(run.prefix).name
    assert len(answers(await read_until(run.bootstrap, replies, lambda rs: bool(answers(rs))))) == 1


async def test_a_command_left_pending_reads_rejected_once_it_is_dead_lettered(
    client: TestClient, impatient: TestClient
) -> None:
    response = await impatient.post("/things", json={"name": _poison()}, headers=CALLER)
    assert response.status == 202, await response.text()
    command_id = response.headers["X-Command-Id"]

    deadline = time.monotonic() + ANSWERED_WITHIN_S
    status = await _status(client, command_id)
    while status["status"] == "pending" and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        status = await _status(client, command_id)

    assert status["status"] == "rejected", status
    assert status["error"]["code"] == "handler_error" and status["http_status"] == 422


async def test_a_good_command_after_a_poisoned_one_is_carried_out(client: TestClient) -> None:
    poisoned = await client.post("/things", json={"name": _poison()}, headers=CALLER)
    assert poisoned.status == 422
    good = await client.post("/things", json={"name": f"fine-{uuid.uuid4().hex[:8]}"})
    assert good.status == 201, await good.text()
