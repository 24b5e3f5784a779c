"""kill -9 of the Kafka broker under a stream of user creations over HTTP.

Clients behave as the README asks: one Idempotency-Key per intended user, a 503 retried after
its Retry-After with the same key, a 202 followed to its end. Once the broker is back every
intended user exists exactly once, and no command is left pending.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest

from streams.tooling.stack import Endpoints
from tests.conftest import StackInfo
from tests.e2e.identity.platform import PASSWORD, Edge, eventually
from tests.support.outage_stack import kill_component, restart_stack
from tests.support.platform_run import running_platform

pytestmark = pytest.mark.e2e

USERS = 40
CLIENTS = 4
KILL_AFTER = 10  # users confirmed before the broker is killed
PER_USER_BOUND_S = 180.0
RESUME_BOUND_S = 90.0


@dataclass
class Tally:
    """What the clients saw, shared between their threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    confirmed: dict[str, str] = field(default_factory=dict)  # email → user id
    confirmed_at: dict[str, float] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    doubled: list[str] = field(default_factory=list)
    stuck: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def saw(self, status: int) -> None:
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1


@pytest.fixture(scope="module")
def edge(
    stack_info: StackInfo, endpoints: Endpoints, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Edge]:
    assert stack_info.state_dir is not None, "killing the broker needs the local stack"
    # The default session (45 s) outlasts the broker's restart: a session that expires
    # meanwhile makes a worker re-join and then consume nothing.
    settings = {"DAFNCK_EDGE_SEND_TIMEOUT_S": "3", "DAFNCK_CONSUMER_SESSION_TIMEOUT_S": "45"}
    with running_platform(endpoints, tmp_path_factory.mktemp("broker-kill"), settings) as up:
        yield up


def _follow(edge: Edge, admin: str, url: str) -> dict[str, Any] | None:
    """A pending command's final status (None if it stays pending)."""
    def done() -> dict[str, Any] | None:
        answer = edge.call("GET", url, token=admin)
        if answer.status == 200 and answer.body.get("status") != "pending":
            return dict(answer.body)
        return None

    result = eventually(done, timeout=60, every=0.5)
    return dict(result) if result else None


def _create(edge: Edge, admin: str, email: str, tally: Tally) -> None:
    body = {"email": email, "password": PASSWORD, "display_name": "Kill", "roles": ["viewer"]}
    key = str(uuid.uuid4())
    deadline = time.monotonic() + PER_USER_BOUND_S
    while time.monotonic() < deadline:
        try:
            answer = edge.call(
                "POST", "/api/users", body, token=admin, **{"Idempotency-Key": key}
            )
        except OSError as exc:  # the edge itself must never go away
            with tally.lock:
                tally.errors.append(f"{email}: {exc!r}")
            return
        tally.saw(answer.status)
        if answer.status == 201:
            result: dict[str, Any] = {"resource": answer.body, "status": "succeeded"}
        elif answer.status == 202:
            followed = _follow(edge, admin, answer.body["status_url"])
            if followed is None:
                with tally.lock:
                    tally.stuck.append(email)
                return
            result = followed
        elif answer.status == 503:
            time.sleep(min(float(answer.headers.get("Retry-After", "1")), 5.0))
            continue
        elif answer.status == 409:
            with tally.lock:  # the same key answers the first command: a 409 is a second send
                tally.doubled.append(email)
            return
        else:
            with tally.lock:
                tally.errors.append(f"{email}: {answer.status} {answer.body}")
            return
        if result.get("status") != "succeeded":
            with tally.lock:
                tally.errors.append(f"{email}: {result}")
            return
        with tally.lock:
            tally.confirmed[email] = str(result["resource"]["id"])
            tally.confirmed_at[email] = time.monotonic()
        return
    with tally.lock:
        tally.stuck.append(email)


def _listed(edge: Edge, admin: str, prefix: str) -> list[str]:
    emails: list[str] = []
    path = f"/api/users?email={prefix}&limit=100"
    while path:
        answer = edge.call("GET", path, token=admin)
        assert answer.status == 200, answer.body
        emails += [u["email"] for u in answer.body["items"]]
        cursor = answer.body.get("next_cursor")
        path = f"/api/users?email={prefix}&limit=100&cursor={cursor}" if cursor else ""
    return emails


def test_killing_the_broker_loses_doubles_and_strands_no_user(
    edge: Edge, stack_info: StackInfo
) -> None:
    assert stack_info.state_dir is not None
    admin = edge.admin_token()
    prefix = f"kill{uuid.uuid4().hex[:8]}"
    wanted = [f"{prefix}-{n:03d}@e2e.test" for n in range(USERS)]
    tally = Tally()

    with ThreadPoolExecutor(CLIENTS) as pool:
        futures = [pool.submit(_create, edge, admin, email, tally) for email in wanted]
        assert eventually(lambda: len(tally.confirmed) >= KILL_AFTER, timeout=120)
        kill_component(stack_info.state_dir, "kafka")
        killed_at = time.monotonic()
        time.sleep(3.0)  # requests meet the dead broker
        restart_stack(stack_info.state_dir)
        back_at = time.monotonic()
        for future in futures:
            future.result()

    after = [t for t in tally.confirmed_at.values() if t > back_at]
    resumed_s = (min(after) - back_at) if after else None
    print(
        f"\n[broker kill] statuses {tally.statuses}; down {back_at - killed_at:.1f} s; "
        f"first user confirmed {resumed_s and round(resumed_s, 1)} s after the broker was back"
    )
    assert not tally.errors, tally.errors
    assert not tally.doubled, f"doubled: {tally.doubled}"
    assert not tally.stuck, f"stuck: {tally.stuck}"
    assert resumed_s is not None and resumed_s <= RESUME_BOUND_S
    # The read model holds each intended user exactly once.
    def complete() -> list[str] | None:
        listed = _listed(edge, admin, prefix)
        return listed if len(set(listed)) >= USERS else None

    listed = eventually(complete, timeout=60) or _listed(edge, admin, prefix)
    lost = sorted(set(wanted) - set(listed))
    doubled = sorted({e for e in listed if listed.count(e) > 1})
    assert not lost, f"lost: {lost}"
    assert not doubled, f"doubled: {doubled}"
    assert set(tally.confirmed) == set(wanted)
