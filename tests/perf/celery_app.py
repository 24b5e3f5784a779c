"""The Celery baseline: a no-op task on a Redis broker; each run counts itself in Redis.

celery -A tests.perf.celery_app worker -c 32 --without-heartbeat --without-gossip
"""

from __future__ import annotations

import os

import redis
from celery import Celery

BROKER = os.environ.get("BENCH_CELERY_BROKER", "redis://127.0.0.1:6379/15")
COUNTER = "bench:celery:done"

app = Celery("bench", broker=BROKER)
app.conf.update(
    task_ignore_result=True,
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
)
_redis: redis.Redis | None = None


@app.task(name="bench.noop")
def noop() -> None:
    """Do nothing but count (the counter is how the benchmark knows all N ran)."""
    global _redis
    if _redis is None:
        _redis = redis.Redis.from_url(BROKER)
    _redis.incr(COUNTER)
