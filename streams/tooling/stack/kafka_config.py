"""Rendering the single-node KRaft broker's server.properties and java command lines."""

from __future__ import annotations

import base64
import uuid
from pathlib import Path

HEAP_MAX = "-Xmx768m"
HEAP_MIN = "-Xms256m"
TOOL_HEAP = "-Xmx256m"


def render_server_properties(*, port: int, controller_port: int, data_dir: Path) -> str:
    """server.properties for one node acting as both broker and KRaft controller."""
    settings = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@127.0.0.1:{controller_port}",
        "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
        "controller.listener.names": "CONTROLLER",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "inter.broker.listener.name": "PLAINTEXT",
        "log.dirs": str(data_dir),
        # One node: internal topics cannot have more replicas than brokers.
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "min.insync.replicas": "1",
        "group.initial.rebalance.delay.ms": "0",
        # Topics come from the catalog (and Faust creates its own through the admin API).
        "auto.create.topics.enable": "false",
        "num.partitions": "1",
    }
    lines = ["# Written by `dafnck stack up` on every start; edits are overwritten."]
    lines += [f"{key}={value}" for key, value in settings.items()]
    return "\n".join(lines) + "\n"


def new_cluster_id() -> str:
    """A KRaft cluster id: a random UUID, base64url without padding (22 chars).

    Like Kafka's own ``Uuid.randomUuid``, an id whose text starts with ``-`` is drawn again:
    command-line tools would read it as an option.
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode("ascii").rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def classpath(jars_dir: Path) -> str:
    """The JVM classpath wildcard for every cached jar."""
    return f"{jars_dir}/*"


def format_argv(java: str, jars_dir: Path, cluster_id: str, config: Path, log4j: Path) -> list[str]:
    """Command that formats the KRaft storage directory once."""
    return [
        java,
        TOOL_HEAP,
        "-cp",
        classpath(jars_dir),
        f"-Dlog4j.configuration=file:{log4j}",
        "kafka.tools.StorageTool",
        "format",
        # One token: even an id that looked like an option could not be misread.
        f"--cluster-id={cluster_id}",
        "-c",
        str(config),
    ]


def server_argv(java: str, jars_dir: Path, config: Path, log4j: Path) -> list[str]:
    """Command that runs the broker in the foreground (we detach it ourselves)."""
    return [
        java,
        HEAP_MAX,
        HEAP_MIN,
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-Djava.awt.headless=true",
        f"-Dlog4j.configuration=file:{log4j}",
        f"-Dkafka.logs.dir={config.parent}",
        "-cp",
        classpath(jars_dir),
        "kafka.Kafka",
        str(config),
    ]
