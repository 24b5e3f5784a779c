"""Telling an outage from a fault: which dependency an error says is down, if any.

A record whose handler meets Postgres or Redis down is not poison: the pipeline waits the
outage out instead of dead-lettering it, and the edge answers 503 instead of 500.
"""

from __future__ import annotations

import psycopg2
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError
from psycopg2.extensions import QueryCanceledError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from streams.readmodel_pool import ReadModelUnavailable

_MAX_CHAIN = 8

_OUTAGES: tuple[tuple[str, tuple[type[BaseException], ...]], ...] = (
    ("redis", (RedisConnectionError, RedisTimeoutError)),
    ("postgres", (ReadModelUnavailable, psycopg2.OperationalError, psycopg2.InterfaceError)),
    ("kafka", (KafkaConnectionError, KafkaTimeoutError)),
)
# An OperationalError that a query causes, not an outage: retrying forever would stall.
_NOT_OUTAGES: tuple[type[BaseException], ...] = (QueryCanceledError,)


def outage_of(exc: BaseException) -> str | None:
    """The dependency whose outage ``exc`` (or an exception it came from) reports, if any."""
    seen: BaseException | None = exc
    for _ in range(_MAX_CHAIN):
        if seen is None or isinstance(seen, _NOT_OUTAGES):
            return None
        for dependency, types in _OUTAGES:
            if isinstance(seen, types):
                return dependency
        seen = seen.__cause__ or seen.__context__
    return None
