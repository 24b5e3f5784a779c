"""Read-your-writes: wait until the read model shows what a command's reply said."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
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


def view_matches(view: dict[str, Any] | None, resource: dict[str, Any] | None) -> bool:
    """Whether the read model shows the command's effect (or a later one)."""
    if view is None:
        return False
    if resource is None:
        return True
    if "updated_at" in view and "updated_at" in resource:
        # A newer change of the same user may already have overwritten this one's values;
        # the read model has caught up once it is at least as recent as the reply.
        return _instant(view["updated_at"]) >= _instant(resource["updated_at"])
    keys = ("display_name", "roles", "status")
    return all(
        sorted(view[k]) == sorted(resource[k]) if k == "roles" else view[k] == resource[k]
        for k in keys
        if k in resource
    )


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
