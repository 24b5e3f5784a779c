"""Waiting, after a change succeeds, until the agents read model shows it (read-your-writes)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from streams.readmodel_pool import ReadModelUnavailable

POLL_S = 0.05


async def settle(check: Callable[[], Awaitable[bool]], timeout_s: float) -> bool:
    """Poll the read model until ``check`` holds (read-your-writes), at most ``timeout_s``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        try:
            if await check():
                return True
        except ReadModelUnavailable:
            pass
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(POLL_S)


def newer_or_equal(view: Mapping[str, Any] | None, resource: Mapping[str, Any] | None) -> bool:
    """Whether the read model's view is at least as recent as the reply's (updated_at)."""
    if view is None:
        return False
    if resource is None or "updated_at" not in resource or "updated_at" not in view:
        return True
    return _instant(view["updated_at"]) >= _instant(resource["updated_at"])


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
