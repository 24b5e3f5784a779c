"""The API document against the running edge: generated requests, no 5xx, no undocumented status.

Schemathesis reads ``/openapi.json`` and generates requests for every operation, valid ones
(as a client following the document would send) and invalid ones (what it forbids). Each is
sent with an administrator's token, so requests get past authentication and reach the routes.
Whatever they carry, the answer must be one the document lists for that operation, and never
a server error. The number of examples is bounded so the run stays short.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode

from tests.e2e.identity.platform import Edge
from tests.support.platform_run import fresh_platform

EXAMPLES_PER_MODE = 300
# Requests that end the administrator's own session would turn the rest of the run into 401s.
SELF_ENDING = re.compile(r"^/api/(auth/(logout|logout-all)|me/sessions)")


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edge]:
    # Servers of its own: generated tasks and agents (a task needing no capability matches any
    # agent) and throttled sign-ins must not reach the other tests' platforms. The edge counts
    # failed sign-ins per client address; trusting X-Forwarded-For gives them their own.
    trust = {"DAFNCK_TRUSTED_PROXY_HOPS": "1"}
    with fresh_platform(tmp_path_factory.mktemp("api-fuzz-state"), trust) as up:
        yield up


@pytest.fixture(scope="module")
def admin(edge: Edge) -> str:
    # Signed in once, before any generated sign-in can have the address throttled.
    return edge.admin_token()


def _documented(operation: Any, status: int) -> bool:
    listed = {str(code) for code in operation.definition.raw.get("responses", {})}
    return str(status) in listed or "default" in listed or f"{status // 100}XX" in listed


def _fuzz(edge: Edge, token: str, mode: GenerationMode) -> tuple[int, list[str]]:
    document = schemathesis.openapi.from_url(f"{edge.url}/openapi.json")
    schema = document.exclude(path_regex=SELF_ENDING.pattern)
    session = requests.Session()
    headers = {"Authorization": f"Bearer {token}", "X-Forwarded-For": edge.address}
    faults: list[str] = []
    sent = 0

    @settings(
        max_examples=EXAMPLES_PER_MODE,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=schema.as_strategy(mode))
    def send(case: Any) -> None:
        nonlocal sent
        sent += 1
        answer = case.call(base_url=edge.url, session=session, headers=headers, timeout=30)
        where = f"{case.method} {case.formatted_path} -> {answer.status_code}"
        if answer.status_code >= 500:
            faults.append(f"server error: {where}: {answer.text[:300]}")
        elif not _documented(case.operation, answer.status_code):
            faults.append(f"undocumented status: {where}: {answer.text[:300]}")

    send()
    return sent, faults


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_generated_requests_get_documented_answers_and_no_server_error(
    edge: Edge, admin: str, mode: GenerationMode
) -> None:
    sent, faults = _fuzz(edge, admin, mode)
    assert sent >= EXAMPLES_PER_MODE // 2, f"only {sent} requests were generated"
    assert not faults, f"{len(faults)} of {sent} answers are wrong:\n" + "\n".join(faults[:40])
