"""The identity platform: `dafnck up` with a per-run bootstrap administrator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from streams.tooling.stack import Endpoints
from tests.e2e.identity.platform import ORIGIN, Edge
from tests.support.platform_run import running_platform


# One platform for every module of this package (startup is the slow part); it stops when
# the package is done, before another package starts its own on the same broker.
@pytest.fixture(scope="package")
def edge(endpoints: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edge]:
    settings = {
        "DAFNCK_REFRESH_GRACE_S": "1",
        "DAFNCK_CORS_ORIGINS": ORIGIN,
        "DAFNCK_TRUSTED_PROXY_HOPS": "1",
        "DAFNCK_SELF_SIGNUP": "true",
        "DAFNCK_KEYS_RELOAD_S": "1",
    }
    with running_platform(endpoints, tmp_path_factory.mktemp("identity-state"), settings) as up:
        yield up
