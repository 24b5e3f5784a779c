"""External mode: env vars replace local servers, one component at a time."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.tooling.stack import (
    Endpoints,
    current_endpoints,
    ensure_stack,
    external_from_env,
    stack_status,
    stop_stack,
)
from streams.tooling.stack.endpoints import redact
from streams.tooling.stack.paths import StackPaths
from streams.tooling.stack.ports import choose_port
from streams.tooling.stack.state import StackState, save_state


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(var, raising=False)


def _closed_port() -> int:
    return choose_port()  # free means nothing listens there


def _all_external(monkeypatch: pytest.MonkeyPatch, port: int) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{port}")
    monkeypatch.setenv("DATABASE_URL", f"postgresql://u:secret@127.0.0.1:{port}/db")
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{port}/0")


def test_each_env_var_switches_one_component() -> None:
    env = {"REDIS_URL": "redis://cache:6379/1", "DATABASE_URL": "  "}
    assert external_from_env(env) == {"redis": "redis://cache:6379/1"}


def test_fully_external_stack_starts_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = _closed_port()
    _all_external(monkeypatch, port)
    state_dir = tmp_path / "state"
    expected = Endpoints(
        f"127.0.0.1:{port}",
        f"postgresql://u:secret@127.0.0.1:{port}/db",
        f"redis://127.0.0.1:{port}/0",
    )
    assert ensure_stack(state_dir, progress=lambda _: None) == expected
    assert current_endpoints(state_dir) == expected
    assert not state_dir.exists()


def test_status_checks_external_servers_and_fails_when_they_do_not_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _all_external(monkeypatch, _closed_port())
    statuses = stack_status(tmp_path, timeout=1.0)
    assert [(s.name, s.mode, s.answering) for s in statuses] == [
        ("kafka", "external", False),
        ("postgres", "external", False),
        ("redis", "external", False),
    ]


def test_current_endpoints_is_none_before_the_first_start(tmp_path: Path) -> None:
    assert current_endpoints(tmp_path) is None


def test_current_endpoints_mixes_env_and_recorded_ports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = StackState()
    state.component("kafka").ports.update(broker=24001, controller=24002)
    state.component("postgres").ports["main"] = 24003
    state.component("redis").ports["main"] = 24004
    save_state(StackPaths(tmp_path), state)
    monkeypatch.setenv("REDIS_URL", "redis://elsewhere:6379/2")
    assert current_endpoints(tmp_path) == Endpoints(
        "127.0.0.1:24001", "postgresql://dafnck@127.0.0.1:24003/dafnck", "redis://elsewhere:6379/2"
    )


def test_down_leaves_external_components_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_state(StackPaths(tmp_path), StackState())
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "broker:9092")
    lines: list[str] = []
    stop_stack(tmp_path, progress=lines.append)
    assert lines[0] == "kafka is external (KAFKA_BOOTSTRAP_SERVERS); leaving it alone"


def test_passwords_are_hidden_when_printed() -> None:
    assert redact("postgresql://u:secret@db:5432/x") == "postgresql://u:***@db:5432/x"
    assert redact("127.0.0.1:9092") == "127.0.0.1:9092"
    assert redact("redis://cache:6379/0") == "redis://cache:6379/0"
