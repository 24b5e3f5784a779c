"""Sending a command while Kafka does not acknowledge: a deadline, a gate, no double send."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson
import pytest

import topics
from schemas import SCHEMA_ROOT
from streams.commands import (
    CommandBus,
    CommandInDoubt,
    CommandNotSent,
    IdempotencyKey,
    Pending,
)
from streams.commands.gate import KafkaGate
from streams.envelope import Envelope

SPEC = topics.USER_COMMANDS


class FakeRedis:
    """The few Redis calls the bus makes, in memory."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}

    async def set(self, key: str, value: bytes, ex: int | None = None, nx: bool = False) -> bool:
        if nx and key in self.data:
            return False
        self.data[key] = value
        return True

    async def get(self, key: str) -> bytes | None:
        return self.data.get(key)

    async def delete(self, key: str) -> int:
        return 1 if self.data.pop(key, None) is not None else 0

    async def eval(self, _script: str, _n: int, key: str, value: bytes) -> int:
        if self.data.get(key) == value:
            del self.data[key]
            return 1
        return 0


class SilentKafka:
    """A producer whose records are queued but never acknowledged (the broker is down)."""

    def __init__(self) -> None:
        self.queued: list[tuple[Envelope, asyncio.Future[Any]]] = []
        self.reachable = False
        self.probes = 0

    async def send_soon(self, _spec: Any, envelope: Envelope) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.queued.append((envelope, future))
        return future

    async def probe(self) -> bool:
        self.probes += 1
        return self.reachable


def _bus(kafka: SilentKafka, redis: FakeRedis) -> CommandBus:
    bus = CommandBus("127.0.0.1:1", redis, timeout_s=5.0, send_timeout_s=0.3)  # type: ignore[arg-type]
    bus.publisher.send_soon = kafka.send_soon  # type: ignore[method-assign]
    bus.gate = KafkaGate(kafka.probe, probe_interval_s=0.05)
    return bus


EXAMPLE = orjson.loads((SCHEMA_ROOT / "user-commands/StartSession/v1.json").read_bytes())


def _command(bus: CommandBus) -> Envelope:
    data = EXAMPLE["examples"][0]
    return bus.build(SPEC, "StartSession", data["user_id"], data, actor="user-1")


@pytest.fixture
def kafka() -> SilentKafka:
    return SilentKafka()


async def test_an_unacknowledged_command_answers_in_doubt_by_the_send_deadline(
    kafka: SilentKafka,
) -> None:
    redis = FakeRedis()
    bus = _bus(kafka, redis)
    command = _command(bus)
    key = IdempotencyKey("user-1", "k-1", "fp")

    started = time.monotonic()
    with pytest.raises(CommandInDoubt) as raised:
        await bus.send(SPEC, command, idempotency=key)
    assert time.monotonic() - started < 1.0
    assert raised.value.command_id == command.id
    # It may still be delivered: its status and its key stay, so a retry cannot double it.
    assert (await bus.status(command.id)) is not None
    assert await bus.idempotency.claim(key, "another-id") == command.id


async def test_while_kafka_is_down_commands_are_refused_at_once_and_not_queued(
    kafka: SilentKafka,
) -> None:
    bus = _bus(kafka, FakeRedis())
    with pytest.raises(CommandInDoubt):
        await bus.send(SPEC, _command(bus))
    assert len(kafka.queued) == 1

    for _ in range(5):
        started = time.monotonic()
        later = _command(bus)
        with pytest.raises(CommandNotSent) as raised:
            await bus.send(SPEC, later)
        assert raised.value.dependency == "kafka"
        assert time.monotonic() - started < 0.3
        assert await bus.status(later.id) is None  # never sent, so never known
    assert len(kafka.queued) == 1


async def test_once_kafka_answers_again_commands_are_sent(kafka: SilentKafka) -> None:
    bus = _bus(kafka, FakeRedis())
    with pytest.raises(CommandInDoubt):
        await bus.send(SPEC, _command(bus))
    kafka.reachable = True
    await asyncio.sleep(0.1)  # past the probe interval

    with pytest.raises(CommandInDoubt):  # admitted and queued (this fake never acknowledges)
        await bus.send(SPEC, _command(bus))
    assert len(kafka.queued) == 2 and kafka.probes >= 1


async def test_a_command_whose_delivery_fails_for_good_is_forgotten_and_its_key_freed(
    kafka: SilentKafka,
) -> None:
    bus = _bus(kafka, FakeRedis())
    command = _command(bus)
    key = IdempotencyKey("user-1", "k-2", "fp")
    with pytest.raises(CommandInDoubt):
        await bus.send(SPEC, command, idempotency=key)

    [(_envelope, delivery)] = kafka.queued
    delivery.set_exception(ConnectionError("gave up"))
    await asyncio.sleep(0.05)

    assert await bus.status(command.id) is None
    assert await bus.idempotency.claim(key, "retry-id") is None  # a retry sends afresh


async def test_the_gate_probes_at_most_once_per_interval() -> None:
    probes = 0

    async def down() -> bool:
        nonlocal probes
        probes += 1
        await asyncio.sleep(0.01)
        return False

    gate = KafkaGate(down, probe_interval_s=60.0)
    gate.close("test")
    results = await asyncio.gather(*(gate.admit() for _ in range(10)), return_exceptions=True)
    assert all(isinstance(r, CommandNotSent) for r in results)
    assert probes <= 1 and not gate.open


class SlowKafka(SilentKafka):
    """A healthy producer: each record is acknowledged ``delay_s`` after it is queued."""

    def __init__(self, delay_s: float) -> None:
        super().__init__()
        self.reachable = True
        self.delay_s = delay_s

    async def send_soon(self, spec: Any, envelope: Envelope) -> asyncio.Future[Any]:
        future = await super().send_soon(spec, envelope)
        asyncio.get_running_loop().call_later(self.delay_s, future.set_result, None)
        return future


async def test_a_fire_and_forget_command_does_not_take_a_healthy_kafka_for_down() -> None:
    # A reply deadline far shorter than Kafka's usual acknowledgement (a background command
    # nobody waits on) answers pending; it neither raises nor closes the gate to others.
    kafka = SlowKafka(delay_s=0.05)
    bus = _bus(kafka, FakeRedis())
    for _ in range(3):
        outcome = await bus.send(SPEC, _command(bus), timeout_s=0.01)
        assert isinstance(outcome, Pending)
    assert bus.gate.open and len(kafka.queued) == 3
