"""aiohttp middlewares: ``authenticate`` says who is calling, ``authorize`` says whether they may.

They are two so the rate limiter can sit between them: it keys on the principal when there is
one, and still counts anonymous or badly-authenticated callers (by address) before the 401.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from aiohttp import web
from redis.exceptions import RedisError

from edge.auth.outage import FailOpen
from edge.auth.verify import InvalidToken
from streams.http.access import PUBLIC_PATHS, PUBLIC_PREFIXES, is_public, permission_of
from streams.http.denylist import DenyChecker
from streams.http.jwks import JwksUnavailable
from streams.http.permissions import PermissionChecker, scope_allows
from streams.http.principal import PRINCIPAL, Principal
from streams.http.problem import problem

log = logging.getLogger("dafnck.edge.auth")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_QUOTE_UNSAFE = re.compile(r'["\\\r\n]')


@dataclass(frozen=True)
class AuthFailure:
    """Why a presented token gave no principal: 401 (bad token) or 503 (keys unavailable)."""

    status: int
    description: str


AUTH_FAILURE = web.RequestKey("dafnck_auth_failure", AuthFailure)


class Verifier(Protocol):
    """What the gate needs of ``TokenVerifier``."""

    async def verify(self, token: str) -> Principal:
        """The principal of a valid token; raises ``InvalidToken`` or ``JwksUnavailable``."""


def bearer_token(request: web.Request) -> str | None:
    """The credential of an ``Authorization: Bearer`` header, None without one."""
    scheme, _, credential = request.headers.get("Authorization", "").strip().partition(" ")
    return credential.strip() if scheme.lower() == "bearer" else None


class AuthGate:
    """Token authentication and per-route authorization for the edge."""

    def __init__(
        self,
        verifier: Verifier,
        checker: PermissionChecker,
        deny: DenyChecker | None = None,
        *,
        realm: str = "dafnck",
        public_paths: frozenset[str] = PUBLIC_PATHS,
        public_prefixes: tuple[str, ...] = PUBLIC_PREFIXES,
        deny_fail_open: bool = True,
    ) -> None:
        self._verifier = verifier
        self._checker = checker
        self._deny = deny
        self._realm = _quoted(realm)
        self._public_paths = public_paths
        self._public_prefixes = public_prefixes
        self._deny_fail_open = deny_fail_open
        self._deny_outage = FailOpen("token deny list (Redis)")

    @web.middleware
    async def authenticate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Verify a presented bearer token; store the principal or why there is none."""
        token = bearer_token(request)
        if token is not None:
            outcome = await self._identify(token)
            if isinstance(outcome, Principal):
                request[PRINCIPAL] = outcome
            else:
                request[AUTH_FAILURE] = outcome
        return await handler(request)

    @web.middleware
    async def authorize(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Refuse protected routes without a principal (401) or the permission (403)."""
        match = request.match_info
        if match.http_exception is not None:
            return await handler(request)  # 404/405 stay what they are
        resource = match.route.resource
        # The matched route decides, not the raw path, which a client can dress up.
        route_path = resource.canonical if resource is not None else request.path
        if is_public(match.handler, route_path, self._public_paths, self._public_prefixes):
            return await handler(request)
        principal = request.get(PRINCIPAL)
        if principal is None:
            return self._unauthorized(request.get(AUTH_FAILURE))
        permission = permission_of(match.handler)
        if permission is not None and not await self._permits(principal, permission):
            return self._forbidden(permission)
        return await handler(request)

    async def _identify(self, token: str) -> Principal | AuthFailure:
        try:
            principal = await self._verifier.verify(token)
        except InvalidToken as exc:
            return AuthFailure(401, exc.description)
        except JwksUnavailable as exc:
            log.error("cannot verify tokens: no signing keys", extra={"error": str(exc)})
            return AuthFailure(503, "token signing keys are unavailable")
        if self._deny is None or self._deny_outage.skipping():
            return principal
        try:
            reason = await self._deny.denied(principal)
        except (RedisError, OSError, TimeoutError) as exc:
            self._deny_outage.failed(exc)
            if not self._deny_fail_open:
                return AuthFailure(503, "token revocation list is unavailable")
            return principal
        return principal if reason is None else AuthFailure(401, reason)

    async def _permits(self, principal: Principal, permission: str) -> bool:
        # A scoped token is a narrowed grant: it never exceeds its scopes, whatever the roles.
        return scope_allows(principal.scopes, permission) and await self._checker.allowed(
            principal, permission
        )

    def _unauthorized(self, failure: AuthFailure | None) -> web.Response:
        if failure is not None and failure.status == 503:
            return problem(
                503,
                "Service Unavailable",
                failure.description,
                headers={"Retry-After": "5"},
                code="auth_unavailable",
            )
        if failure is None:
            # RFC 6750 §3.1: a request with no credentials gets no error code.
            challenge = f'Bearer realm="{self._realm}"'
            return problem(
                401,
                "Unauthorized",
                "a bearer token is required",
                headers={"WWW-Authenticate": challenge},
                code="token_required",
            )
        description = _quoted(failure.description)
        challenge = (
            f'Bearer realm="{self._realm}", error="invalid_token", '
            f'error_description="{description}"'
        )
        return problem(
            401,
            "Unauthorized",
            failure.description,
            headers={"WWW-Authenticate": challenge},
            code="invalid_token",
            error="invalid_token",
        )

    def _forbidden(self, permission: str) -> web.Response:
        challenge = (
            f'Bearer realm="{self._realm}", error="insufficient_scope", '
            f'error_description="missing permission {permission}", scope="{permission}"'
        )
        return problem(
            403,
            "Forbidden",
            f"permission '{permission}' is required",
            headers={"WWW-Authenticate": challenge},
            code="permission_denied",
            permission=permission,
        )


def _quoted(text: str) -> str:
    return _QUOTE_UNSAFE.sub("'", text)
