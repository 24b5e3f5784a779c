"""Which internal topics a worker creates before it starts, and the settings that name them."""

from __future__ import annotations

from pathlib import Path

import pytest

import topics
from streams.app import create_app
from streams.readiness import HandlerHealth
from streams.settings import WorkerSettings
from streams.startup import internal_topics
from streams.worker import aggregate_table


def _settings(tmp_path: Path, **kw: object) -> WorkerSettings:
    return WorkerSettings(
        service="users-svc",
        kafka_bootstrap="127.0.0.1:1",
        data_dir=tmp_path,
        store="memory://",
        **kw,  # type: ignore[arg-type]
    )


def test_every_table_changelog_and_the_leader_topic_with_their_partitions(tmp_path: Path) -> None:
    app = create_app(_settings(tmp_path, group_prefix="run7-"))
    aggregate_table(app, topics.USER_COMMANDS)
    app.Table("scheduler", default=None, partitions=3, key_type=str)
    found = {t.name: t for t in internal_topics(app)}
    assert set(found) == {
        "run7-users-svc-aggregates-user-commands-changelog",
        "run7-users-svc-scheduler-changelog",
        "run7-users-svc-__assignor-__leader",
    }
    changelog = found["run7-users-svc-aggregates-user-commands-changelog"]
    assert changelog.partitions == topics.USER_COMMANDS.partitions
    assert changelog.configs["cleanup.policy"] == "compact"
    assert found["run7-users-svc-__assignor-__leader"].partitions == 1


def test_group_prefix_session_and_instance_id_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "k:9092")
    monkeypatch.setenv("DAFNCK_GROUP_PREFIX", "ci-42-")
    monkeypatch.setenv("DAFNCK_CONSUMER_SESSION_TIMEOUT_S", "8")
    monkeypatch.setenv("DAFNCK_GROUP_INSTANCE_ID", "users-1")
    settings = WorkerSettings.from_env("users-svc")
    assert settings.app_id == "ci-42-users-svc"
    assert (settings.session_timeout_s, settings.group_instance_id) == (8.0, "users-1")
    for name in ("DAFNCK_GROUP_PREFIX", "DAFNCK_GROUP_INSTANCE_ID"):
        monkeypatch.delenv(name)
    plain = WorkerSettings.from_env("users-svc")
    assert (plain.app_id, plain.group_instance_id) == ("users-svc", None)


def test_the_consumer_group_uses_the_session_and_static_membership(tmp_path: Path) -> None:
    app = create_app(
        _settings(tmp_path, session_timeout_s=9.0, group_instance_id="users", web_port=6061)
    )
    assert app.conf.id == "users-svc"
    assert app.conf.broker_session_timeout == 9.0
    assert app.conf.broker_heartbeat_interval == 3.0
    # The address is part of the id: Faust refuses an assignment made for another URL.
    assert app.conf.consumer_group_instance_id == "users@127.0.0.1:6061"
    plain = create_app(_settings(tmp_path / "plain"))
    assert plain.conf.consumer_group_instance_id is None


def test_a_crashed_handler_is_reported_until_a_record_succeeds() -> None:
    health = HandlerHealth()
    health.crashed("users-svc.user-commands", RuntimeError("changelog has 0 partitions"))
    assert health.crashes == {
        "users-svc.user-commands": "RuntimeError: changelog has 0 partitions"
    }
    health.succeeded("users-svc.user-events")
    assert health.crashes
    health.succeeded("users-svc.user-commands")
    assert health.crashes == {}
