"""Task handlers the e2e agents run (``--handler tests.e2e.agents.handlers:work``)."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from dafnck_sdk import Task


async def work(task: Task) -> dict[str, Any]:
    """Take ``input.delay_s`` (default 0), then say who did what with which input."""
    delay_s = float(task.input.get("delay_s", 0))
    if delay_s:
        await task.progress(0.5, "working")
        await asyncio.sleep(delay_s)
    return {"agent": os.environ.get("DAFNCK_AGENT_NAME"), "step": task.step_id, "input": task.input}
