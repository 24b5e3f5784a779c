"""An in-memory ``AppliedWaiter``: counts applied events per causationid, wakes who waits.

Installed as the app's ``APPLIED`` in HTTP unit tests; the in-memory projector calls
``record_applied`` with what it newly applied, counting as ``streams.readmodel_applied``
does (events without a causationid are not counted), so a route's wait ends exactly when
the real one would.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable

from streams.readmodel_applied import Caused, schema_name


class InMemoryAppliedWaiter:
    """``wait`` as ``AppliedWaiter.wait``; ``record_applied`` as the projector's call."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        self.waits: list[tuple[str, str, int, float]] = []  # what routes waited for
        self._changed = asyncio.Condition()

    def record_applied(self, schema: str, envelopes: Iterable[Caused]) -> int:
        """Count newly applied events per causationid; how many commands were counted."""
        s = schema_name(schema)
        counts = Counter(e.causationid for e in envelopes if e.causationid)
        for command_id, n in counts.items():
            self.counts[(s, command_id)] += n
        if counts:
            asyncio.get_running_loop().create_task(self._notify())
        return len(counts)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait(self, schema: str, command_id: str, expected: int, timeout_s: float) -> bool:
        """True once ``schema`` applied ``expected`` events of ``command_id``; False at timeout."""
        self.waits.append((schema, command_id, expected, timeout_s))
        if expected <= 0:
            return True
        key = (schema_name(schema), command_id)
        try:
            async with self._changed:
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: self.counts[key] >= expected), timeout_s
                )
        except TimeoutError:
            return False
        return True
