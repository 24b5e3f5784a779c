"""Does a server answer? One cheap, synchronous check per kind of server."""

from __future__ import annotations

import contextlib

from streams.tooling.stack.kafka_protocol import describe_brokers


def kafka_answers(bootstrap: str, timeout: float = 3.0) -> bool:
    """True when a broker answers a metadata request and lists at least one broker."""
    try:
        return bool(describe_brokers(bootstrap, timeout))
    except (OSError, ValueError, ConnectionError):
        return False


def postgres_answers(url: str, timeout: float = 3.0) -> bool:
    """True when Postgres accepts a connection and runs SELECT 1."""
    import psycopg2  # imported here: client libraries would slow down every `dafnck` command

    try:
        conn = psycopg2.connect(url, connect_timeout=max(1, int(timeout)))
    except psycopg2.Error:
        return False
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1")
            return bool(cur.fetchone())
    except psycopg2.Error:
        return False
    finally:
        conn.close()


def redis_answers(url: str, timeout: float = 3.0) -> bool:
    """True when Redis answers PING."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    except ValueError:  # not a redis:// URL
        return False
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError, ValueError):
        return False
    finally:
        with contextlib.suppress(Exception):
            client.close()


PROBES = {"kafka": kafka_answers, "postgres": postgres_answers, "redis": redis_answers}


def answers(component: str, address: str, timeout: float = 3.0) -> bool:
    """True when the named component answers at address."""
    return PROBES[component](address, timeout)
