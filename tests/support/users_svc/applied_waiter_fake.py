"""``AppliedWaiter``'s in-memory stand-in: counts applied events per causationid, wakes waits.

The in-memory projector calls ``record_applied`` with the envelopes it newly applied, as the
real projector calls ``streams.readmodel_applied.record_applied`` in its transaction; a
route's ``wait`` returns as soon as the count reaches what the reply said was caused.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable

from streams.readmodel_applied import Caused, schema_name


class InMemoryAppliedWaiter:
    """Installed under ``streams.http.read_your_writes.APPLIED`` in HTTP unit tests."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        self.waits: list[tuple[str, str, int]] = []  # (schema, causationid, expected) asked
        self._woken: dict[tuple[str, str], set[asyncio.Event]] = {}

    def record_applied(self, schema: str, envelopes: Iterable[Caused]) -> int:
        """Count newly applied events per causationid (none without one) and wake the waits."""
        counts = Counter(e.causationid for e in envelopes if e.causationid)
        s = schema_name(schema)
        for cause, n in counts.items():
            self.counts[(s, cause)] += n
            for woken in self._woken.get((s, cause), ()):
                woken.set()
        return len(counts)

    def applied(self, schema: str, causationid: str) -> int:
        """How many events of ``causationid`` the read model ``schema`` applied."""
        return self.counts[(schema, causationid)]

    async def wait(self, schema: str, command_id: str, expected: int, timeout_s: float) -> bool:
        """True once ``expected`` events of ``command_id`` are applied; False at timeout."""
        self.waits.append((schema, command_id, expected))
        key = (schema_name(schema), command_id)
        woken = asyncio.Event()
        self._woken.setdefault(key, set()).add(woken)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        try:
            while self.counts[key] < expected:
                woken.clear()
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return False
                try:
                    await asyncio.wait_for(woken.wait(), remaining)
                except TimeoutError:
                    return False
            return True
        finally:
            self._woken[key].discard(woken)
