"""Fixtures for the scheduling shard's unit tests."""

from __future__ import annotations

import pytest

from tests.support.agents_svc.scheduler_driver import SchedulerDriver


@pytest.fixture
def world() -> SchedulerDriver:
    """A fresh scheduler (heartbeat timeout HEARTBEAT_TIMEOUT_S) at 2026-01-01T00:00:00Z."""
    return SchedulerDriver()
