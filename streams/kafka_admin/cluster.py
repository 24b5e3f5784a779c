"""Talking to Kafka: an admin session with a deadline, topic descriptions and the three changes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaError, for_code

from streams.kafka_admin.model import ClusterTopic, TopicAdminError
from topics import TopicSpec

_FAUST_MARKERS = ("-changelog", "-repartition")
_FAUST_LEADER_SUFFIX = "__assignor-__leader"


def is_ignored(name: str) -> bool:
    """Kafka-internal (``__consumer_offsets``) or Faust-internal (changelogs, repartitions)."""
    return (
        name.startswith("__")
        or any(marker in name for marker in _FAUST_MARKERS)
        or name.endswith(_FAUST_LEADER_SUFFIX)
    )


DEFAULT_TIMEOUT_S = 20.0
TOPIC_ALREADY_EXISTS = 36
CREATED_CONCURRENTLY = "already exists: created concurrently by someone else"
# DescribeConfigs config_source value for a per-topic override (DYNAMIC_TOPIC_CONFIG).
_SOURCE_TOPIC_OVERRIDE = 1


@asynccontextmanager
async def admin_session(
    bootstrap: str, timeout: float = DEFAULT_TIMEOUT_S
) -> AsyncIterator[AIOKafkaAdminClient]:
    """A started admin client; everything inside must finish within ``timeout`` seconds."""
    client = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap,
        client_id="dafnck-topics",
        request_timeout_ms=int(timeout * 1000),
    )
    try:
        async with asyncio.timeout(timeout):
            try:
                await client.start()
            except KafkaError as exc:
                # aiokafka's own text lists resolved socket tuples; the address given reads better.
                raise TopicAdminError(
                    f"cannot reach Kafka at {bootstrap}: no broker answered "
                    f"({type(exc).__name__}); is it running?"
                ) from None
            yield client
    except TimeoutError:
        raise TopicAdminError(f"Kafka at {bootstrap} did not answer within {timeout:g} s") from None
    finally:
        await client.close()


def _error(code: int, message: str | None, what: str) -> TopicAdminError:
    name = getattr(for_code(code), "message", f"error {code}")
    return TopicAdminError(f"{what}: {name}" + (f": {message}" if message else ""))


async def _metadata(client: AIOKafkaAdminClient) -> dict[str, tuple[int, int]]:
    # Ask for all topics: naming one in a Metadata request may auto-create it on brokers
    # with auto.create.topics.enable, which would make `diff` change the cluster.
    found: dict[str, tuple[int, int]] = {}
    for entry in await client.describe_topics():
        name = entry["topic"]
        if entry["error_code"] or entry.get("is_internal") or is_ignored(name):
            continue
        partitions = entry["partitions"]
        replication = min((len(p["replicas"]) for p in partitions), default=0)
        found[name] = (len(partitions), replication)
    return found


async def _configs(
    client: AIOKafkaAdminClient, names: list[str]
) -> dict[str, tuple[dict[str, str], dict[str, str]]]:
    if not names:
        return {}
    resources = [ConfigResource(ConfigResourceType.TOPIC, name) for name in names]
    result: dict[str, tuple[dict[str, str], dict[str, str]]] = {}
    for response in await client.describe_configs(resources):
        for res in response.to_object()["resources"]:
            name = res["resource_name"]
            if res["error_code"]:
                raise _error(res["error_code"], res["error_message"], f"describing {name}")
            effective: dict[str, str] = {}
            overrides: dict[str, str] = {}
            for entry in res["config_entries"]:
                key, value = entry["config_names"], entry["config_value"]
                if value is None:  # sensitive values are not disclosed
                    continue
                effective[key] = value
                if entry.get("config_source") == _SOURCE_TOPIC_OVERRIDE:
                    overrides[key] = value
            result[name] = (effective, overrides)
    return result


async def describe(
    client: AIOKafkaAdminClient, names: Iterable[str] | None = None
) -> dict[str, ClusterTopic]:
    """Every non-internal topic; configs are fetched for ``names`` (all topics when None)."""
    shapes = await _metadata(client)
    wanted = sorted(shapes if names is None else set(names) & set(shapes))
    configs = await _configs(client, wanted)
    return {
        name: ClusterTopic(name, parts, repl, *configs.get(name, ({}, {})))
        for name, (parts, repl) in shapes.items()
    }


async def create(client: AIOKafkaAdminClient, specs: list[TopicSpec]) -> dict[str, str | None]:
    """Create topics in one request; topic -> None when created, else the reason it was not."""
    if not specs:
        return {}
    new = [
        NewTopic(s.name, s.partitions, s.replication, topic_configs=s.topic_configs())
        for s in specs
    ]
    response = await client.create_topics(new)
    outcome: dict[str, str | None] = {}
    for entry in response.to_object()["topic_errors"]:
        code, name = entry["error_code"], entry["topic"]
        if code == TOPIC_ALREADY_EXISTS:
            outcome[name] = CREATED_CONCURRENTLY
        elif code:
            outcome[name] = str(_error(code, entry.get("error_message"), f"creating {name}"))
        else:
            outcome[name] = None
    await _wait_visible(client, [n for n, reason in outcome.items() if reason is None])
    return outcome


async def _wait_visible(client: AIOKafkaAdminClient, names: list[str]) -> None:
    # A created topic reaches the brokers' metadata a moment after the controller commits it;
    # wait so whoever runs next (a second apply, a producer) sees it. The session deadline
    # bounds this loop.
    deadline = time.monotonic() + 10
    while names and time.monotonic() < deadline:
        listed = set(await client.list_topics())
        if all(name in listed for name in names):
            return
        await asyncio.sleep(0.1)


async def grow(client: AIOKafkaAdminClient, name: str, partitions: int) -> None:
    """Raise the topic's partition count to ``partitions``."""
    try:
        await client.create_partitions({name: NewPartitions(partitions)})
    except KafkaError as exc:
        raise TopicAdminError(f"growing {name} to {partitions} partitions: {exc}") from None


async def alter(client: AIOKafkaAdminClient, configs: dict[str, dict[str, str]]) -> dict[str, str]:
    """Replace each topic's overrides with the given set; topic -> reason for those that failed."""
    if not configs:
        return {}
    resources = [
        ConfigResource(ConfigResourceType.TOPIC, name, values) for name, values in configs.items()
    ]
    failed: dict[str, str] = {}
    responses: list[Any] = await client.alter_configs(resources)
    for response in responses:
        for res in response.to_object()["resources"]:
            if res["error_code"]:
                name = res["resource_name"]
                error = _error(res["error_code"], res["error_message"], f"altering {name}")
                failed[name] = str(error)
    return failed


async def delete(client: AIOKafkaAdminClient, names: list[str]) -> None:
    """Delete topics and wait until the metadata no longer lists them (tests clean up with it)."""
    if not names:
        return
    await client.delete_topics(names)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if not set(names) & set(await client.list_topics()):
            return
        await asyncio.sleep(0.1)
