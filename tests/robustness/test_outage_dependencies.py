"""Kafka, Postgres and Redis each stopped under a running platform, then started again.

While one is down: writes answer within the deadline (503 problem+json with Retry-After when
they need it), reads that do not need it keep answering, /health answers, /ready names the
dependency that is down. Once it is back the edge recovers by itself (a write succeeds within
a bounded time, no restart) and nothing written before the outage is lost.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from streams.tooling.stack import Endpoints
from tests.conftest import StackInfo
from tests.e2e.identity.platform import PASSWORD, Edge, Response, eventually
from tests.support.outage_stack import restart_stack, stop_component
from tests.support.platform_run import running_platform

pytestmark = pytest.mark.e2e

SEND_TIMEOUT_S = 3.0
# The command bus's whole deadline (streams.commands.client.DEFAULT_TIMEOUT_S), plus slack.
BOUND_S = 5.0 + 2.0
RECOVERY_BOUND_S = 120.0
PROBLEM = "application/problem+json"


@dataclass
class Timed:
    response: Response
    seconds: float

    @property
    def status(self) -> int:
        return self.response.status


def timed(call: Callable[[], Response]) -> Timed:
    started = time.monotonic()
    response = call()
    return Timed(response, time.monotonic() - started)


@dataclass
class World:
    edge: Edge
    state_dir: Path
    admin: str
    password: str
    users: list[str]  # ids of every user created so far: none may go missing
    figures: dict[str, float]
    # Writes queued but not acknowledged before Kafka went away (503 command_in_doubt): each
    # must be carried out once Kafka is back, since the edge kept running.
    in_doubt: list[str] = field(default_factory=list)

    def create_user(self) -> Timed:
        body = {
            "email": f"outage-{uuid.uuid4().hex[:10]}@e2e.test",
            "password": PASSWORD,
            "display_name": "Outage",
            "roles": ["viewer"],
        }
        return timed(lambda: self.edge.call("POST", "/api/users", body, token=self.admin))

    def sign_in(self) -> Timed:
        body = {"email": self.edge.admin_email, "password": self.password}
        return timed(lambda: self.edge.call("POST", "/api/auth/login", body))

    def get(self, path: str) -> Timed:
        return timed(lambda: self.edge.call("GET", path, token=self.admin))

    def created(self, attempt: Timed) -> str | None:
        """The new user's id once the platform confirmed it (following a 202 to its end)."""
        if attempt.status == 201:
            return str(attempt.response.body["id"])
        if attempt.status != 202:
            return None
        url = attempt.response.body["status_url"]
        done = eventually(lambda: self.get(url).response.body.get("resource"), timeout=60)
        return str(done["id"]) if done else None


@pytest.fixture(scope="module")
def world(
    stack_info: StackInfo, endpoints: Endpoints, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    assert stack_info.state_dir is not None, "stopping servers needs the local stack"
    # The default session (45 s) outlasts Kafka's restart: a session that expires meanwhile
    # makes a worker re-join and then consume nothing.
    settings = {
        "DAFNCK_EDGE_SEND_TIMEOUT_S": str(SEND_TIMEOUT_S),
        "DAFNCK_CONSUMER_SESSION_TIMEOUT_S": "45",
    }
    state = tmp_path_factory.mktemp("outage-state")
    with running_platform(endpoints, state, settings) as edge:
        admin = edge.admin_token()
        text = (edge.state_dir / "bootstrap-admin.txt").read_text()
        password = next(
            line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("password")
        )
        figures: dict[str, float] = {}
        yield World(edge, stack_info.state_dir, admin, password, [], figures)
        print(f"\n[outage figures] {figures}")


def _assert_unavailable(attempt: Timed, what: str) -> None:
    assert attempt.status == 503, f"{what}: {attempt.status} {attempt.response.body}"
    assert attempt.response.headers.get("Content-Type", "").startswith(PROBLEM), what
    assert int(attempt.response.headers["Retry-After"]) >= 1, what


def _assert_answers_in_time(attempt: Timed, what: str) -> None:
    assert attempt.seconds <= BOUND_S, f"{what} took {attempt.seconds:.1f} s"
    assert attempt.status < 500 or attempt.status == 503, f"{what}: {attempt.response.body}"
    if attempt.status == 503:
        _assert_unavailable(attempt, what)


def _health_and_readiness(world: World, down: str) -> None:
    health = world.get("/health")
    assert health.status == 200 and health.seconds < 2.0
    ready = world.get("/ready")
    assert ready.status == 503 and ready.seconds <= BOUND_S
    checks = ready.response.body["checks"]
    assert checks[down]["ok"] is False, checks
    assert all(c["ok"] for name, c in checks.items() if name != down), checks


def _before_outage(world: World) -> str:
    """A user written just before the outage (and the command that wrote it)."""
    attempt = world.create_user()
    user_id = world.created(attempt)
    assert user_id is not None, attempt.response.body
    world.users.append(user_id)
    return attempt.response.headers["X-Command-Id"]


def _settle_in_doubt(world: World) -> None:
    for url in world.in_doubt:
        def settled(url: str = url) -> dict[str, Any] | None:
            answer = world.get(url).response
            done = answer.status == 200 and answer.body["status"] != "pending"
            return dict(answer.body) if done else None

        status = eventually(settled, timeout=60)
        assert status and status["status"] == "succeeded", (url, status)
        world.users.append(str(status["resource"]["id"]))
    world.in_doubt.clear()


def _after_outage(world: World, name: str, restarted_at: float) -> None:
    def write_succeeds() -> bool:
        attempt = world.create_user()
        _assert_answers_in_time(attempt, f"a write after {name} returned")
        user_id = world.created(attempt)
        if user_id is not None:
            world.users.append(user_id)
        return user_id is not None

    assert eventually(write_succeeds, timeout=RECOVERY_BOUND_S, every=1.0), (
        f"no write succeeded within {RECOVERY_BOUND_S} s of {name} being back"
    )
    world.figures[f"{name}_recovery_s"] = round(time.monotonic() - restarted_at, 1)
    _settle_in_doubt(world)
    assert eventually(lambda: world.sign_in().status == 200, timeout=30)
    for user_id in world.users:  # nothing written before (or during) the outage is lost
        read = eventually(lambda uid=user_id: world.get(f"/api/users/{uid}").status == 200)
        assert read, f"user {user_id} lost after the {name} outage"


def _outage(world: World, name: str, check: Callable[[World, str], None]) -> None:
    command_id = _before_outage(world)
    stop_component(world.state_dir, name)
    try:
        started = time.monotonic()
        check(world, command_id)
        _health_and_readiness(world, name)
        world.figures[f"{name}_checks_s"] = round(time.monotonic() - started, 1)
    finally:
        restart_stack(world.state_dir)
    _after_outage(world, name, time.monotonic())


def _kafka_down(world: World, command_id: str) -> None:
    attempts = [world.create_user(), world.sign_in(), world.create_user(), world.sign_in()]
    for attempt in attempts:
        _assert_answers_in_time(attempt, "a write while kafka is down")
        _assert_unavailable(attempt, "a write while kafka is down")
    world.figures["kafka_slowest_write_s"] = round(max(a.seconds for a in attempts), 2)
    # Only the first write can have been queued; after it the edge refuses at once.
    for attempt in attempts[1:]:
        assert attempt.seconds < 2.0, f"a write took {attempt.seconds:.1f} s after the first"
    world.in_doubt += [
        a.response.body["status_url"]
        for a in attempts
        if a.response.body.get("code") == "command_in_doubt"
    ]
    # Reads from the Postgres read models and Redis need no Kafka.
    for path in (f"/api/users/{world.users[0]}", "/api/users?limit=5"):
        read = world.get(path)
        assert read.status == 200 and read.seconds <= BOUND_S, (path, read.response.body)
    status = world.get(f"/api/commands/{command_id}")
    assert status.status == 200 and status.response.body["status"] == "succeeded"


def _postgres_down(world: World, command_id: str) -> None:
    # Sign-in reads credentials from Postgres; a user's creation may need none of it.
    attempts = [world.sign_in(), world.create_user(), world.get("/api/users?limit=5")]
    for attempt in attempts:
        _assert_answers_in_time(attempt, "a request while postgres is down")
    _assert_unavailable(attempts[0], "sign-in while postgres is down")
    _assert_unavailable(attempts[2], "a read-model read while postgres is down")
    created = world.created(attempts[1])
    if created is not None:
        world.users.append(created)
    # A command's status lives in Redis.
    status = world.get(f"/api/commands/{command_id}")
    assert status.status == 200 and status.response.body["status"] == "succeeded"


def _redis_down(world: World, command_id: str) -> None:
    attempts = [
        world.create_user(),
        world.sign_in(),
        world.get(f"/api/commands/{command_id}"),
        world.get(f"/api/users/{world.users[0]}"),
    ]
    for attempt in attempts:
        _assert_answers_in_time(attempt, "a request while redis is down")
    _assert_unavailable(attempts[0], "a write while redis is down")
    _assert_unavailable(attempts[2], "a command status while redis is down")
    assert attempts[3].status == 200, "a read-model read needs no Redis"


def test_kafka_stopped_and_started(world: World) -> None:
    _outage(world, "kafka", _kafka_down)


def test_postgres_stopped_and_started(world: World) -> None:
    _outage(world, "postgres", _postgres_down)


def test_redis_stopped_and_started(world: World) -> None:
    _outage(world, "redis", _redis_down)
