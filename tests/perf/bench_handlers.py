"""What the benchmark's agents and Celery workers run: nothing but a timestamp."""

from __future__ import annotations

import time
from typing import Any

from dafnck_sdk import Task


async def stamp(task: Task) -> dict[str, Any]:
    """A no-op that says when it started (enqueue-to-start latency is measured from it)."""
    return {"sent_at": task.input.get("sent_at"), "started_at": time.time()}
