"""Model of the ``data`` on ``agent-clock``, mirroring schemas/agent-clock/Tick/v1.json."""

from __future__ import annotations

from typing import ClassVar

from schemas.models.agent_common import CLOCK
from schemas.models.common import EventData, Timestamp


class Tick(EventData):
    """The scheduler's clock: decisions that depend on time use ``now``."""

    TOPIC: ClassVar[str] = CLOCK
    TYPE: ClassVar[str] = "Tick"
    VERSION: ClassVar[int] = 1

    now: Timestamp


AGENT_CLOCK_MODELS: tuple[type[EventData], ...] = (Tick,)
