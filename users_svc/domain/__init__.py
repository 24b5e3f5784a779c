"""Pure domain of the identity context: users, passwords, sessions, roles, throttling, API keys.

Nothing here does I/O, reads the clock or draws randomness on its own: callers pass ``now``
and, where a secret is minted, a ``secrets``-like generator. Handlers in ``users_svc`` own
the tables, the topics and Redis; these modules only decide.
"""

from __future__ import annotations

from users_svc.domain.errors import DomainError

__all__ = ["DomainError"]
