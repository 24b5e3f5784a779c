"""The exceptions a worker's code sees or raises."""

from __future__ import annotations


class PermanentFailure(Exception):
    """Raise from a handler when retrying cannot help: the task fails with retryable=False."""


class AgentAuthError(Exception):
    """The edge refused this agent for good (bad or revoked key, wrong name); not retried."""

    def __init__(self, reason: str, *, status: int | None = None, close_code: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.close_code = close_code


class DeliveryError(Exception):
    """The edge refused a frame this agent sent (e.g. a direct message to an unknown agent)."""


class AgentStopped(Exception):
    """The agent stopped before the edge accepted something it was waiting for."""
