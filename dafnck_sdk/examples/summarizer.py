"""Example handlers: a simulated summariser, an echo and a no-op (the benchmarks' agent).

    dafnck agent run --name summarizer --capabilities summarize \\
        --handler dafnck_sdk.examples.summarizer:summarize
"""

from __future__ import annotations

import asyncio
import os
import re
from typing import Any

from dafnck_sdk import PermanentFailure, Task

SUMMARY_CHARS = 200
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")


async def summarize(task: Task) -> dict[str, Any]:
    """Summarise ``input.text``: its first sentence (at most 200 chars), after a fake model call."""
    text = task.input.get("text")
    if not isinstance(text, str) or not text.strip():
        # Retrying the same input cannot help: fail for good, saying what is wrong.
        raise PermanentFailure("input.text is required: a non-empty string to summarise")
    delay_s = task.input.get("delay_s", 0.2)
    if isinstance(delay_s, bool) or not isinstance(delay_s, int | float) or delay_s < 0:
        raise PermanentFailure(f"input.delay_s must be a number >= 0, not {delay_s!r}")
    await task.progress(0.1, "calling the model")
    await asyncio.sleep(delay_s)  # stands in for the model call
    await task.progress(0.9, "model answered")
    return {
        "summary": first_sentence(text)[:SUMMARY_CHARS],
        "words": len(text.split()),
        "model": "simulated",
    }


def first_sentence(text: str) -> str:
    """The text up to its first sentence end (., ! or ? then a space), stripped."""
    stripped = text.strip()
    return _SENTENCE_END.split(stripped, maxsplit=1)[0].strip()


async def echo(task: Task) -> dict[str, Any]:
    """Return the input unchanged, with the name of the agent that ran it."""
    return {"echo": task.input, "agent": os.environ.get("DAFNCK_AGENT_NAME")}


async def noop(task: Task) -> dict[str, Any]:
    """Do nothing: measures the platform's own cost per task."""
    return {}
