"""The infrastructure integration tests run against: all three servers answer and behave."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import psycopg2
import pytest
import redis
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from streams.tooling.stack import ensure_stack, stack_status

pytestmark = pytest.mark.integration


def test_status_reports_all_three_answering(stack_info: Any) -> None:
    if stack_info.source == "testcontainers":
        pytest.skip("`dafnck stack status` describes the local or external stack")
    statuses = stack_status(stack_info.state_dir)
    assert [(s.name, s.answering) for s in statuses] == [
        ("kafka", True),
        ("postgres", True),
        ("redis", True),
    ]
    if stack_info.source == "local":
        assert all(s.mode == "local" and s.pid for s in statuses)


def test_a_second_ensure_stack_is_harmless(stack_info: Any) -> None:
    if stack_info.source == "testcontainers":
        pytest.skip("containers are not managed by ensure_stack")
    lines: list[str] = []
    assert ensure_stack(stack_info.state_dir, progress=lines.append) == stack_info.endpoints
    assert not any(line.startswith("starting") for line in lines), lines


def test_postgres_accepts_a_query(database_url: str) -> None:
    conn = psycopg2.connect(database_url, connect_timeout=5)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT current_database(), 40 + 2")
            database, answer = cur.fetchone()
    finally:
        conn.close()
    assert answer == 42
    assert database == database_url.rsplit("/", 1)[-1]


def test_redis_answers_ping(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url, socket_timeout=5)
    try:
        assert client.ping() is True
    finally:
        client.close()


async def test_kafka_answers_metadata_and_round_trips_a_message(kafka_bootstrap: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    topic = f"stack-test-{uuid.uuid4().hex[:8]}"
    try:
        cluster = await admin.describe_cluster()
        assert cluster["brokers"], cluster
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
        await producer.start()
        try:
            await producer.send_and_wait(topic, b"hello", key=b"k")
        finally:
            await producer.stop()
        # A consumer group exercises __consumer_offsets, which needs the one-node settings.
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=kafka_bootstrap,
            group_id=f"{topic}-group",
            auto_offset_reset="earliest",
        )
        await consumer.start()
        try:
            message = await asyncio.wait_for(consumer.getone(), timeout=30)
            await consumer.commit()
        finally:
            await consumer.stop()
        assert (message.key, message.value) == (b"k", b"hello")
    finally:
        await admin.delete_topics([topic])
        await admin.close()
