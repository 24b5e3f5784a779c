"""Who a verified access token speaks for."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web


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


PRINCIPAL = web.RequestKey("dafnck_principal", Principal)


def principal_of(request: web.Request) -> Principal | None:
    """The verified principal of the request, if it carried a valid token."""
    return request.get(PRINCIPAL)


def require_principal(request: web.Request) -> Principal:
    """The verified principal; raises 401 (for handlers of routes declared public)."""
    principal = request.get(PRINCIPAL)
    if principal is None:
        raise web.HTTPUnauthorized(text="a bearer token is required")
    return principal
