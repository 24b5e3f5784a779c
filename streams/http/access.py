"""Route declarations: which permission a handler needs, or that it is public.

Undeclared routes need an authenticated caller but no particular permission.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

H = TypeVar("H", bound=Callable[..., Any])

_PERMISSION_ATTR = "__dafnck_permission__"
_PUBLIC_ATTR = "__dafnck_public__"
_PERMISSION = re.compile(r"^[a-z][a-z0-9_-]*:([a-z][a-z0-9_-]*|\*)$")

# Operational and discovery endpoints: probes, scrapers and clients fetching keys have no token.
PUBLIC_PATHS = frozenset(
    {"/health", "/ready", "/metrics", "/openapi.json", "/.well-known/jwks.json"}
)
PUBLIC_PREFIXES = ("/docs",)


def requires(permission: str) -> Callable[[H], H]:
    """Declare that a handler (function or ``web.View`` class) needs ``resource:action``."""
    if not _PERMISSION.match(permission):
        # Caught at import time, so a typo cannot silently leave a route under-protected.
        raise ValueError(f"permission must look like 'resource:action', got {permission!r}")

    def mark(handler: H) -> H:
        setattr(handler, _PERMISSION_ATTR, permission)
        return handler

    return mark


def public(handler: H) -> H:
    """Declare that a handler needs no token (e.g. login, token refresh)."""
    setattr(handler, _PUBLIC_ATTR, True)
    return handler


def permission_of(handler: object) -> str | None:
    """The permission declared on a handler, if any."""
    value = getattr(handler, _PERMISSION_ATTR, None)
    return value if isinstance(value, str) else None


def is_public(
    handler: object,
    route_path: str,
    paths: frozenset[str] = PUBLIC_PATHS,
    prefixes: tuple[str, ...] = PUBLIC_PREFIXES,
) -> bool:
    """Whether a route (its handler and canonical path, not the raw request path) is public."""
    if getattr(handler, _PUBLIC_ATTR, False) is True or route_path in paths:
        return True
    return any(route_path == p or route_path.startswith(p + "/") for p in prefixes)
