"""Hostile input against a running platform: every case a 4xx problem+json, the edge never stalls.

Each case is what a careless or hostile client sends: NUL bytes in sign-in and filters, forged
page cursors on every list route, bodies nested hundreds or thousands deep, a YAML alias bomb,
repeated keys, oversized headers. Each must answer 4xx problem+json with ``type``, ``title``,
``status``, ``detail`` and ``code`` (``field`` naming what to fix where there is one), with a
status ``/openapi.json`` lists for the route, while ``/health`` keeps answering within 0.5 s.
"""

from __future__ import annotations

import base64
import dataclasses
import http.client
import itertools
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson
import pytest

from streams.tooling.stack import Endpoints
from tests.e2e.identity.platform import Edge
from tests.support.platform_run import running_platform

FIVE = {"type", "title", "status", "detail", "code"}
HEALTH_BOUND_S = 0.5
SEND_TIMEOUT_S = 20
PROJECT = str(uuid.uuid4())
ROW = str(uuid.uuid4())
LIST_ROUTES = (
    "/api/agents",
    "/api/workflows",
    "/api/executions",
    "/api/tasks",
    "/api/users",
    "/api/service-accounts",
)


def _cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(value)).decode().rstrip("=")


FORGED_CURSORS = {
    "offset +23:59": _cursor(["2024-01-01T00:00:00+23:59", ROW]),
    "garbage": "bm90IGEgY3Vyc29y!!",
}


def alias_bomb() -> bytes:
    """ "Billion laughs": nine levels of nine aliases each, about 400 bytes."""
    names = "abcdefghi"
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in itertools.pairwise(names):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return ("\n".join(lines) + "\n").encode()


def _task(input_json: bytes) -> bytes:
    return b'{"project_id": "%s", "capabilities": ["x"], "input": %s}' % (
        PROJECT.encode(),
        input_json,
    )


def _nested(levels: int) -> bytes:
    return b'{"a": ' + b"[" * levels + b"]" * levels + b"}"


def _workflow_yaml(definition: bytes) -> bytes:
    return b"project_id: %s\nname: w\ndefinition: %s\n" % (PROJECT.encode(), definition)


@dataclass(frozen=True)
class Case:
    """One bad request and what it must be answered."""

    name: str
    method: str
    route: str  # the route's path template in /openapi.json
    target: str  # what is sent: path and query
    status: int
    field: str | None = None
    code: str | None = None
    body: bytes | None = None
    content_type: str = "application/json"
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    token: bool = True


def _cases(admin_email: str) -> list[Case]:
    cases = [
        Case(
            "sign-in with NUL in the email",
            "POST",
            "/api/auth/login",
            "/api/auth/login",
            422,
            "email",
            "nul_character",
            b'{"email": "a\\u0000@x.test", "password": "whatever-1234"}',
            token=False,
        ),
        Case(
            "sign-in with NUL in the password",
            "POST",
            "/api/auth/login",
            "/api/auth/login",
            422,
            "password",
            "nul_character",
            orjson.dumps({"email": admin_email, "password": "pass\u0000word-1234"}),
            token=False,
        ),
        Case(
            "NUL in the users email filter",
            "GET",
            "/api/users",
            "/api/users?email=%00",
            422,
            "email",
            "invalid_query",
        ),
        Case(
            "NUL in the agents name filter",
            "GET",
            "/api/agents",
            "/api/agents?name=a%00",
            422,
            "name",
            "invalid_query",
        ),
        Case(
            "NUL in the workflows name filter",
            "GET",
            "/api/workflows",
            "/api/workflows?name=%00",
            422,
            "name",
            "invalid_query",
        ),
    ]
    for route in LIST_ROUTES:
        for kind, cursor in FORGED_CURSORS.items():
            cases.append(
                Case(
                    f"{kind} cursor on {route}",
                    "GET",
                    route,
                    f"{route}?cursor={cursor}",
                    422,
                    "cursor",
                    "invalid_query",
                )
            )
    cases += [
        Case(
            "a time filter at +23:59 before year 1 in UTC",
            "GET",
            "/api/tasks",
            "/api/tasks?created_after=0001-01-01T00:00:00%2B23:59",
            422,
            "created_after",
            "invalid_query",
        ),
        Case(
            "task input nested 300 deep",
            "POST",
            "/api/tasks",
            "/api/tasks",
            422,
            "input",
            "too_deep",
            _task(_nested(300)),
        ),
        Case(
            "task input nested 5,000 deep",
            "POST",
            "/api/tasks",
            "/api/tasks",
            422,
            "input",
            "too_deep",
            _task(_nested(5000)),
        ),
        Case(
            "task with a repeated key",
            "POST",
            "/api/tasks",
            "/api/tasks",
            422,
            "project_id",
            "duplicate_key",
            b'{"project_id": "%s", "project_id": "%s", "capabilities": ["x"], "input": {}}'
            % (PROJECT.encode(), str(uuid.uuid4()).encode()),
        ),
        Case(
            "task body that is not JSON",
            "POST",
            "/api/tasks",
            "/api/tasks",
            400,
            None,
            "invalid_json",
            b'{"project_id": ',
        ),
        Case(
            "task body too large",
            "POST",
            "/api/tasks",
            "/api/tasks",
            413,
            None,
            "body_too_large",
            _task(b'{"text": "' + b"x" * 70_000 + b'"}'),
        ),
        Case(
            "task body as text/plain",
            "POST",
            "/api/tasks",
            "/api/tasks",
            415,
            None,
            "unsupported_media_type",
            b"{}",
            "text/plain",
        ),
        Case(
            "workflow YAML alias bomb",
            "POST",
            "/api/workflows",
            "/api/workflows",
            422,
            "a",
            "yaml_alias",
            alias_bomb(),
            "application/yaml",
        ),
        Case(
            "workflow YAML nested 20,000 deep",
            "POST",
            "/api/workflows",
            "/api/workflows",
            422,
            "definition",
            "too_deep",
            _workflow_yaml(b"[" * 20_000 + b"]" * 20_000),
            "application/yaml",
        ),
        Case(
            "workflow YAML with a repeated key",
            "POST",
            "/api/workflows",
            "/api/workflows",
            422,
            "name",
            "duplicate_key",
            _workflow_yaml(b"{steps: [{id: a}]}\nname: v"),
            "application/yaml",
        ),
        Case(
            "a 9 KB header",
            "GET",
            "/api/agents",
            "/api/agents",
            431,
            None,
            "headers_too_large",
            headers={"X-Padding": "p" * 9000},
        ),
        Case(
            "200 headers",
            "GET",
            "/api/agents",
            "/api/agents",
            431,
            None,
            "headers_too_large",
            headers={f"X-Pad-{i}": "1" for i in range(200)},
        ),
        Case(
            "a 9 KB query string",
            "GET",
            "/api/agents",
            "/api/agents?name=" + "a" * 9000,
            414,
            None,
            "request_line_too_long",
        ),
        Case(
            "no token",
            "GET",
            "/api/agents",
            "/api/agents",
            401,
            None,
            "token_required",
            token=False,
        ),
        Case(
            "a forged token",
            "GET",
            "/api/agents",
            "/api/agents",
            401,
            None,
            "invalid_token",
            headers={"Authorization": "Bearer e30.e30.c2ln"},
            token=False,
        ),
    ]
    return cases


@dataclass
class Answer:
    status: int
    content_type: str
    body: Any


def _send(edge: Edge, case: Case, token: str) -> Answer:
    """Send ``case``; no answer within the timeout is status 0, an unreadable body its text."""
    url = urlsplit(edge.url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=SEND_TIMEOUT_S)
    headers = {"X-Forwarded-For": edge.address, **case.headers}
    if case.body is not None:
        headers["Content-Type"] = case.content_type
    if case.token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        connection.request(case.method, case.target, body=case.body, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        content_type = response.getheader("Content-Type", "")
    except OSError as exc:
        return Answer(0, "", f"no answer: {exc!r}")
    finally:
        connection.close()
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        body = raw[:200].decode(errors="replace")
    return Answer(response.status, content_type, body)


class HealthPoller:
    """Polls ``/health`` in a thread; records each answer's latency (or the failure)."""

    def __init__(self, edge: Edge) -> None:
        self._url = urlsplit(edge.url)
        self._stop = threading.Event()
        self.latencies: list[float] = []
        self.failures: list[str] = []
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                connection = http.client.HTTPConnection(
                    self._url.hostname, self._url.port, timeout=5
                )
                connection.request("GET", "/health")
                status = connection.getresponse().status
                connection.close()
                if status != 200:
                    self.failures.append(f"status {status}")
            except OSError as exc:
                self.failures.append(repr(exc))
            self.latencies.append(time.monotonic() - started)
            self._stop.wait(0.05)

    def __enter__(self) -> HealthPoller:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)


@pytest.fixture(scope="module")
def edge(endpoints: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edge]:
    with running_platform(endpoints, tmp_path_factory.mktemp("bad-input-state"), {}) as up:
        yield up


@pytest.fixture(scope="module")
def admin(edge: Edge) -> str:
    return edge.admin_token()


@pytest.fixture(scope="module")
def documented(edge: Edge) -> dict[str, Any]:
    answer = edge.call("GET", "/openapi.json")
    assert answer.status == 200
    return dict(answer.body["paths"])


def _faults(case: Case, answer: Answer, documented: dict[str, Any]) -> list[str]:
    """What is wrong with the answer to ``case`` (nothing, when it is as it must be)."""
    body = answer.body if isinstance(answer.body, dict) else {}
    listed = documented[case.route][case.method.lower()]["responses"]
    faults = []
    if answer.status != case.status:
        faults.append(f"status {answer.status}")
    if not answer.content_type.startswith("application/problem+json"):
        faults.append(f"content type {answer.content_type}")
    if not set(body) >= FIVE:
        faults.append(f"members {sorted(body)}")
    if case.code is not None and body.get("code") != case.code:
        faults.append(f"code {body.get('code')}")
    if case.field is not None and body.get("field") != case.field:
        faults.append(f"field {body.get('field')}")
    if str(answer.status) not in listed:
        faults.append("status not in /openapi.json")
    return faults


def test_every_bad_request_is_a_documented_4xx_problem_and_health_never_stalls(
    edge: Edge, admin: str, documented: dict[str, Any]
) -> None:
    wrong: list[str] = []
    with HealthPoller(edge) as health:
        for case in _cases(edge.admin_email):
            answer = _send(edge, case, admin)
            faults = _faults(case, answer, documented)
            if faults:
                wrong.append(f"{case.name}: {', '.join(faults)} -> {answer.body}")
    assert not wrong, "\n".join(wrong)
    assert health.latencies, "the health poller never ran"
    assert not health.failures, health.failures
    slowest = max(health.latencies)
    assert slowest < HEALTH_BOUND_S, f"/health took {slowest:.3f} s at worst"


def test_the_platform_still_serves_after_the_bad_input(edge: Edge, admin: str) -> None:
    assert edge.call("GET", "/health").status == 200
    listed = edge.call("GET", f"/api/agents?project_id={PROJECT}", token=admin)
    assert listed.status == 200, listed.body
    assert listed.body["items"] == []


def test_every_error_status_in_the_document_comes_with_the_problem_shape(
    documented: dict[str, Any],
) -> None:
    for path, operations in documented.items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert "application/problem+json" in response.get("content", {}), (
                        f"{method.upper()} {path} {status}"
                    )
