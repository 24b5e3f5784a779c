"""Who a verified access token speaks for."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    """The verified identity of a request: subject, roles, optional scopes and token ids."""

    sub: str
    roles: frozenset[str]
    # None for an unscoped token; a set (possibly empty) narrows what the roles allow.
    scopes: frozenset[str] | None
    jti: str
    exp: int
    iat: int
    # The session (refresh-token family) the token was issued for, when it came from one.
    sid: str | None = None
