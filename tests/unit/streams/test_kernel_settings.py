"""Worker settings from the environment, and the retry backoff."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.settings import RetryPolicy, WorkerSettings

VARIABLES = (
    "KAFKA_BOOTSTRAP_SERVERS",
    "DAFNCK_STATE_DIR",
    "DAFNCK_ENV",
    "DAFNCK_WORKER_HOST",
    "DAFNCK_WORKER_PORT",
    "DAFNCK_WORKER_DATA_DIR",
    "DAFNCK_TABLE_STORE",
    "DAFNCK_LOG_LEVEL",
    "DAFNCK_PROCESSING_GUARANTEE",
    "DAFNCK_HANDLER_ATTEMPTS",
    "DAFNCK_HANDLER_BACKOFF_S",
    "DAFNCK_HANDLER_MAX_BACKOFF_S",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_every_dafnck_variable_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": "kafka-1:9092,kafka-2:9092",
        "DAFNCK_ENV": "staging",
        "DAFNCK_WORKER_HOST": "0.0.0.0",
        "DAFNCK_WORKER_PORT": "7001",
        "DAFNCK_WORKER_DATA_DIR": "/var/lib/dafnck",
        "DAFNCK_TABLE_STORE": "memory://",
        "DAFNCK_LOG_LEVEL": "debug",
        "DAFNCK_PROCESSING_GUARANTEE": "exactly_once",
        "DAFNCK_HANDLER_ATTEMPTS": "5",
        "DAFNCK_HANDLER_BACKOFF_S": "0.5",
        "DAFNCK_HANDLER_MAX_BACKOFF_S": "30",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = WorkerSettings.from_env("agents-svc")
    assert settings.service == "agents-svc"
    assert settings.kafka_bootstrap == "kafka-1:9092,kafka-2:9092"
    assert settings.environment == "staging"
    assert settings.web_host == "0.0.0.0"
    assert settings.web_port == 7001
    assert settings.data_dir == Path("/var/lib/dafnck")
    assert settings.store == "memory://"
    assert settings.log_level == "DEBUG"
    assert settings.processing_guarantee == "exactly_once"
    assert settings.retry == RetryPolicy(attempts=5, initial_backoff_s=0.5, max_backoff_s=30.0)


def test_defaults_with_only_kafka_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    settings = WorkerSettings.from_env("users-svc")
    assert settings.environment == "development"
    assert (settings.web_host, settings.web_port) == ("127.0.0.1", 6066)
    assert settings.data_dir == Path(".dafnck/workers")
    assert settings.log_level == "INFO"
    assert settings.processing_guarantee == "at_least_once"
    assert settings.retry == RetryPolicy()


def test_the_state_dir_moves_the_worker_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    monkeypatch.setenv("DAFNCK_STATE_DIR", "/srv/state")
    assert WorkerSettings.from_env("svc").data_dir == Path("/srv/state/workers")


@pytest.mark.parametrize("empty", ["", None])
def test_an_empty_port_means_the_default(
    monkeypatch: pytest.MonkeyPatch, empty: str | None
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    if empty is not None:
        monkeypatch.setenv("DAFNCK_WORKER_PORT", empty)
    assert WorkerSettings.from_env("svc").web_port == 6066


def test_a_non_integer_port_is_an_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    monkeypatch.setenv("DAFNCK_WORKER_PORT", "eighty")
    with pytest.raises(ValueError, match="DAFNCK_WORKER_PORT must be an integer, got 'eighty'"):
        WorkerSettings.from_env("svc")


def test_a_non_numeric_backoff_is_an_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    monkeypatch.setenv("DAFNCK_HANDLER_BACKOFF_S", "fast")
    with pytest.raises(ValueError, match="DAFNCK_HANDLER_BACKOFF_S must be a number, got 'fast'"):
        WorkerSettings.from_env("svc")


def test_no_kafka_address_is_an_error_saying_how_to_fix_it() -> None:
    with pytest.raises(ValueError) as info:
        WorkerSettings.from_env("svc")
    assert "KAFKA_BOOTSTRAP_SERVERS" in str(info.value)
    assert "dafnck stack up" in str(info.value)


def test_an_explicit_kafka_address_wins_over_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert WorkerSettings.from_env("svc", kafka_bootstrap="b:1").kafka_bootstrap == "b:1"
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "env:9092")
    assert WorkerSettings.from_env("svc", kafka_bootstrap="b:1").kafka_bootstrap == "b:1"


def test_the_backoff_doubles_and_is_capped_at_the_maximum() -> None:
    policy = RetryPolicy()
    assert [policy.backoff(n) for n in range(1, 8)] == [0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0]
    assert RetryPolicy(initial_backoff_s=1, max_backoff_s=3).backoff(40) == 3.0
