"""Which dependency an error says is down: the error middleware answers it 503, not 500.

Routes that know a dependency is down answer so themselves; this catches what reaches the
error middleware instead (a Redis call in the security layer, a read model's Postgres), so a
client is told to come back rather than that the edge is broken.
"""

from __future__ import annotations

import psycopg2
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from streams.readmodel_pool import ReadModelUnavailable

RETRY_AFTER_S = "5"  # a broker or database restart takes seconds, not one
_MAX_CHAIN = 8

_UNAVAILABLE: tuple[tuple[str, tuple[type[BaseException], ...]], ...] = (
    ("redis", (RedisConnectionError, RedisTimeoutError)),
    ("postgres", (ReadModelUnavailable, psycopg2.OperationalError, psycopg2.InterfaceError)),
    ("kafka", (KafkaConnectionError, KafkaTimeoutError)),
)


def unavailable_dependency(exc: BaseException) -> str | None:
    """The dependency whose outage ``exc`` (or an exception it came from) reports, if any."""
    seen: BaseException | None = exc
    for _ in range(_MAX_CHAIN):
        if seen is None:
            return None
        for dependency, types in _UNAVAILABLE:
            if isinstance(seen, types):
                return dependency
        seen = seen.__cause__ or seen.__context__
    return None
