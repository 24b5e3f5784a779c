"""The agents platform: `dafnck up` with a short heartbeat timeout, and an administrator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from streams.tooling.stack import Endpoints
from tests.e2e.identity.platform import Edge
from tests.support.agents_svc.e2e_client import AgentsApiClient
from tests.support.platform_run import running_platform

HEARTBEAT_TIMEOUT_S = 3


@pytest.fixture(scope="package")
def edge(endpoints: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edge]:
    settings = {"DAFNCK_AGENT_HEARTBEAT_TIMEOUT_S": str(HEARTBEAT_TIMEOUT_S)}
    with running_platform(endpoints, tmp_path_factory.mktemp("agents-state"), settings) as up:
        yield up


@pytest.fixture(scope="package")
def admin(edge: Edge) -> str:
    return edge.admin_token()


@pytest.fixture
def agents(edge: Edge, admin: str) -> AgentsApiClient:
    """The agents API in a project of its own (names and work never collide across tests)."""
    return AgentsApiClient(edge, admin)
