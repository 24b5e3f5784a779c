"""The one command route: send, wait for the read model by the reply's caused events, answer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, cast

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from redis.exceptions import RedisError

from streams.commands import CommandBus, Completed, Outcome, Pending, Reply, ReplyError
from streams.commands.caused import Caused
from streams.envelope import Envelope, new_envelope
from streams.http.command_route import ReadModelView, run_command_and_wait
from streams.http.commands import COMMANDS, Commands
from streams.http.read_your_writes import APPLIED, AppliedWaiter
from topics import Compatibility, TopicKind, TopicSpec

SPEC = TopicSpec(
    "thing-commands", TopicKind.COMMANDS, 1, 1, 1, "delete", "key", "edge", ("CreateThing",),
    ("things-svc",), Compatibility.BACKWARD,
)  # fmt: skip
VIEW = ReadModelView("things", {"thing-events": {"ThingCreated", "ThingRenamed"}}, wait_s=0.5)
CREATED = {"thing-events": {"ThingCreated": 1, "ThingAudited": 4}, "thing-log": {"ThingCreated": 1}}

Decide = Callable[[Envelope], Outcome]


class FakeBus:
    """Answers each command with what ``decide`` says; raises ``fail`` instead when set."""

    def __init__(self, decide: Decide, fail: Exception | None = None) -> None:
        self.decide = decide
        self.fail = fail
        self.sent: list[Envelope] = []

    def build(
        self, spec: TopicSpec, type_name: str, subject: str, data: dict[str, Any], **kw: Any
    ) -> Envelope:
        return new_envelope(
            source="/edge", type=type_name, subject=subject, dataschema="x", data=data
        )

    async def send(self, spec: TopicSpec, envelope: Envelope, **kw: Any) -> Outcome:
        if self.fail is not None:
            raise self.fail
        self.sent.append(envelope)
        return self.decide(envelope)


class FakeWaiter:
    """Records each wait; answers ``shown``."""

    def __init__(self, shown: bool = True, log: list[str] | None = None) -> None:
        self.shown = shown
        self.waits: list[tuple[str, str, int, float]] = []
        self.log = log if log is not None else []

    async def wait(self, schema: str, command_id: str, expected: int, timeout_s: float) -> bool:
        self.waits.append((schema, command_id, expected, timeout_s))
        self.log.append("waited")
        return self.shown


def _success(caused: dict[str, dict[str, int]], cause: str | None = None) -> Decide:
    def decide(env: Envelope) -> Outcome:
        reply = Reply(env.id, env.type, "succeeded", None, {"id": env.subject})
        return Completed(reply, Caused(cause or env.id, caused))

    return decide


async def _client(
    bus: FakeBus, waiter: FakeWaiter | None, route: Callable[[web.Request], Any]
) -> TestClient:
    app = web.Application()
    app[COMMANDS] = Commands(cast(CommandBus, bus), lambda _r: "user-1")
    if waiter is not None:
        app[APPLIED] = cast(AppliedWaiter, waiter)
    app.router.add_post("/things", route)
    client = TestClient(TestServer(app))
    await client.start_server()
    return client


@pytest.fixture
async def clients() -> AsyncIterator[list[TestClient]]:
    made: list[TestClient] = []
    yield made
    for client in made:
        await client.close()


async def _post(made: list[TestClient], bus: FakeBus, waiter: FakeWaiter | None, **kw: Any) -> Any:
    async def route(request: web.Request) -> web.Response:
        data = {"name": "a"}
        return await run_command_and_wait(request, SPEC, "CreateThing", "t-1", data, **kw)

    client = await _client(bus, waiter, route)
    made.append(client)
    return await client.post("/things")


async def test_a_success_waits_for_the_events_its_read_model_applies(
    clients: list[TestClient],
) -> None:
    bus, waiter = FakeBus(_success(CREATED)), FakeWaiter()
    response = await _post(clients, bus, waiter, read_model=VIEW, location="/things/t-1")
    assert response.status == 201
    assert orjson.loads(await response.read()) == {"id": "t-1"}
    assert response.headers["Location"] == "/things/t-1"
    # One ThingCreated on thing-events: audits are not applied, thing-log is not consumed.
    assert waiter.waits == [("things", bus.sent[0].id, 1, 0.5)]


async def test_a_step_that_answers_the_command_is_waited_on_by_its_own_id(
    clients: list[TestClient],
) -> None:
    bus, waiter = FakeBus(_success(CREATED, cause="step-7")), FakeWaiter()
    await _post(clients, bus, waiter, read_model=VIEW)
    assert [w[1] for w in waiter.waits] == ["step-7"]


async def test_a_wait_that_times_out_still_answers_the_reply(clients: list[TestClient]) -> None:
    bus, waiter = FakeBus(_success(CREATED)), FakeWaiter(shown=False)
    response = await _post(clients, bus, waiter, read_model=VIEW, created_status=200)
    assert response.status == 200 and len(waiter.waits) == 1


@pytest.mark.parametrize(
    "caused", [{}, {"thing-events": {"ThingAudited": 2}}, {"thing-log": {"ThingCreated": 1}}]
)
async def test_nothing_the_read_model_applies_means_no_wait(
    clients: list[TestClient], caused: dict[str, dict[str, int]]
) -> None:
    waiter = FakeWaiter()
    response = await _post(clients, FakeBus(_success(caused)), waiter, read_model=VIEW)
    assert response.status == 201 and waiter.waits == []


async def test_a_rejection_is_answered_at_once(clients: list[TestClient]) -> None:
    def refuse(env: Envelope) -> Outcome:
        error = ReplyError("name_taken", "taken", "name")
        return Completed(Reply(env.id, env.type, "rejected", 409, None, error))

    waiter = FakeWaiter()
    response = await _post(clients, FakeBus(refuse), waiter, read_model=VIEW, location="/x")
    assert response.status == 409 and "Location" not in response.headers
    assert (await response.json(content_type=None))["code"] == "name_taken"
    assert waiter.waits == []


async def test_pending_is_202_without_waiting(clients: list[TestClient]) -> None:
    waiter = FakeWaiter()
    response = await _post(clients, FakeBus(lambda env: Pending(env.id)), waiter, read_model=VIEW)
    assert response.status == 202 and waiter.waits == []
    assert response.headers["Location"].startswith("/api/commands/")


async def test_a_command_not_sent_is_503_without_waiting(clients: list[TestClient]) -> None:
    waiter = FakeWaiter()
    bus = FakeBus(_success(CREATED), fail=RedisError("down"))
    response = await _post(clients, bus, waiter, read_model=VIEW)
    assert response.status == 503 and waiter.waits == []


async def test_without_a_waiter_or_a_read_model_the_reply_is_answered_at_once(
    clients: list[TestClient],
) -> None:
    assert (await _post(clients, FakeBus(_success(CREATED)), None, read_model=VIEW)).status == 201
    waiter = FakeWaiter()
    response = await _post(clients, FakeBus(_success(CREATED)), waiter, read_model=None)
    assert response.status == 201 and waiter.waits == []


async def test_answer_builds_the_response_from_the_outcome_after_the_wait(
    clients: list[TestClient],
) -> None:
    log: list[str] = []

    def answer(outcome: Outcome) -> web.Response:
        log.append("answered")
        assert isinstance(outcome, Completed) and outcome.reply.resource is not None
        return web.json_response({**outcome.reply.resource, "secret": "shown once"}, status=201)

    waiter = FakeWaiter(log=log)
    response = await _post(
        clients, FakeBus(_success(CREATED)), waiter, read_model=VIEW, answer=answer
    )
    assert await response.json() == {"id": "t-1", "secret": "shown once"}
    assert log == ["waited", "answered"]


async def test_location_may_be_made_from_the_reply(clients: list[TestClient]) -> None:
    def location(reply: Reply) -> str:
        assert reply.resource is not None
        return f"/things/{reply.resource['id']}"

    response = await _post(
        clients, FakeBus(_success(CREATED)), FakeWaiter(), read_model=VIEW, location=location
    )
    assert response.headers["Location"] == "/things/t-1"
