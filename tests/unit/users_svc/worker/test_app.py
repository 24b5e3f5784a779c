"""The users worker's wiring and settings, without starting it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

import topics
from streams.settings import WorkerSettings
from streams.worker import aggregate_table_name
from users_svc.worker.app import build_app, command_handlers, token_policy_from_env
from users_svc.worker.handlers.worker_deps import UsersWorkerDeps


def test_every_command_type_of_the_catalog_has_a_handler() -> None:
    assert set(command_handlers(UsersWorkerDeps())) == set(topics.USER_COMMANDS.types)


def test_the_app_consumes_its_four_topics_with_one_shared_aggregate_table(
    tmp_path: Path,
) -> None:
    settings = WorkerSettings("users-svc", "127.0.0.1:1", data_dir=tmp_path, store="memory://")
    app = build_app(settings, database_url="postgresql://unused/db")
    assert app.conf.id == "users-svc"
    assert {a.split(".", 1)[1] for a in app.agents} == {
        "user-commands",
        "user-registrations",
        "user-events",
        "user-credentials",
    }
    assert [t.name for t in app.tables.values()] == [aggregate_table_name(topics.USER_COMMANDS)]


def test_the_refresh_lifetime_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DAFNCK_REFRESH_TTL_S", raising=False)
    assert token_policy_from_env().ttl == timedelta(days=7)
    monkeypatch.setenv("DAFNCK_REFRESH_TTL_S", "900")
    assert token_policy_from_env().ttl == timedelta(minutes=15)
    for bad in ("soon", "0", "-5"):
        monkeypatch.setenv("DAFNCK_REFRESH_TTL_S", bad)
        with pytest.raises(ValueError, match="DAFNCK_REFRESH_TTL_S"):
            token_policy_from_env()


def test_no_database_url_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings = WorkerSettings("users-svc", "127.0.0.1:1", data_dir=tmp_path, store="memory://")
    with pytest.raises(ValueError, match="DATABASE_URL"):
        build_app(settings)
