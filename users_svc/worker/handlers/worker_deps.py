"""What the users handlers need beyond the record: a clock, the token policy, the custom roles."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from users_svc.domain.rbac import CustomRole
from users_svc.domain.token_family import DEFAULT_POLICY, TokenPolicy


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class UsersWorkerDeps:
    """The users handlers' dependencies (real ones in the worker, a hand-moved clock in tests)."""

    clock: Callable[[], datetime] = utc_now
    policy: TokenPolicy = DEFAULT_POLICY
    custom_roles: Mapping[str, CustomRole] = field(default_factory=dict)
