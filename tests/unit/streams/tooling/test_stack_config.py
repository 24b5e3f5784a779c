"""Rendering of the local stack's server configs and command lines."""

from __future__ import annotations

import base64
import uuid
from pathlib import Path

import pytest

from streams.tooling.stack import kafka_config, pg_setup
from streams.tooling.stack.redis_server import redis_argv


def _props(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return {key: value for key, value in pairs}


def test_server_properties_describe_a_single_kraft_node_on_loopback(tmp_path: Path) -> None:
    props = _props(
        kafka_config.render_server_properties(
            port=24001, controller_port=24002, data_dir=tmp_path / "data"
        )
    )
    assert props["process.roles"] == "broker,controller"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:24002"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:24001,CONTROLLER://127.0.0.1:24002"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:24001"
    assert props["log.dirs"] == str(tmp_path / "data")
    for key in (
        "offsets.topic.replication.factor",
        "transaction.state.log.replication.factor",
        "transaction.state.log.min.isr",
        "min.insync.replicas",
    ):
        assert props[key] == "1", key
    assert props["auto.create.topics.enable"] == "false"


def test_cluster_id_is_base64url_of_16_bytes_without_padding() -> None:
    cluster_id = kafka_config.new_cluster_id()
    assert len(cluster_id) == 22 and "=" not in cluster_id
    assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16
    assert kafka_config.new_cluster_id() != cluster_id


def test_broker_command_bounds_the_heap_and_uses_our_logging(tmp_path: Path) -> None:
    argv = kafka_config.server_argv(
        "/usr/bin/java", tmp_path / "jars", tmp_path / "server.properties", tmp_path / "l.props"
    )
    assert "-Xmx768m" in argv
    assert f"-Dlog4j.configuration=file:{tmp_path / 'l.props'}" in argv
    assert argv[argv.index("-cp") + 1] == f"{tmp_path / 'jars'}/*"
    assert argv[-2:] == ["kafka.Kafka", str(tmp_path / "server.properties")]


def test_format_command_formats_with_the_given_cluster_id(tmp_path: Path) -> None:
    argv = kafka_config.format_argv("java", tmp_path, "abc", tmp_path / "s.properties", tmp_path)
    tail = argv[argv.index("kafka.tools.StorageTool") + 1 :]
    assert tail == ["format", "--cluster-id=abc", "-c", str(tmp_path / "s.properties")]
    assert any(arg.startswith("-Xmx") for arg in argv)


def test_cluster_id_never_starts_with_a_dash() -> None:
    # One random id in 64 starts with "-" and the storage tool took it for an option.
    ids = [kafka_config.new_cluster_id() for _ in range(5000)]
    assert not [i for i in ids if i.startswith("-")]
    assert len(set(ids)) == len(ids)


def test_cluster_id_starting_with_a_dash_is_drawn_again(monkeypatch: pytest.MonkeyPatch) -> None:
    dashed = uuid.UUID(bytes=base64.urlsafe_b64decode("-0MRJrEMRISP0TtckRPQNw=="))
    plain = uuid.UUID(int=1)
    draws = iter([dashed, dashed, plain])
    monkeypatch.setattr(kafka_config.uuid, "uuid4", lambda: next(draws))
    assert kafka_config.new_cluster_id() == "AAAAAAAAAAAAAAAAAAAAAQ"


def test_postgres_listens_on_loopback_with_our_socket_dir() -> None:
    options = pg_setup.server_options(25001, "/state/postgres")
    assert options == [
        "-c", "listen_addresses=127.0.0.1",
        "-c", "port=25001",
        "-c", "unix_socket_directories=/state/postgres",
    ]  # fmt: skip


def test_postgres_falls_back_to_tcp_only_when_the_socket_path_is_too_long(tmp_path: Path) -> None:
    assert pg_setup.socket_dir_for(Path("/s/postgres"), 25001) == "/s/postgres"
    assert pg_setup.socket_dir_for(tmp_path / ("x" * 120), 25001) == ""


def test_pg_ctl_start_quotes_options_for_its_shell() -> None:
    argv = pg_setup.pg_ctl_start_argv(
        Path("/bin"), Path("/d"), Path("/l"), ["-c", "unix_socket_directories=/a b"], 30
    )
    assert argv[argv.index("-o") + 1] == "-c 'unix_socket_directories=/a b'"
    assert argv[argv.index("-t") + 1] == "30"


def test_commands_run_as_the_postgres_user_only_when_one_is_given() -> None:
    assert pg_setup.as_user(["initdb"], None) == ["initdb"]
    assert pg_setup.as_user(["initdb"], "postgres") == ["runuser", "-u", "postgres", "--", "initdb"]


def test_redis_binds_loopback_daemonizes_and_skips_snapshots(tmp_path: Path) -> None:
    argv = redis_argv("redis-server", 26001, tmp_path, tmp_path / "p", tmp_path / "l")
    pairs = dict(zip(argv[1::2], argv[2::2], strict=True))
    assert pairs["--bind"] == "127.0.0.1"
    assert pairs["--port"] == "26001"
    assert pairs["--daemonize"] == "yes"
    assert pairs["--save"] == ""
    assert pairs["--pidfile"] == str(tmp_path / "p")
