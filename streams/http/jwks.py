"""Where the verifier gets the public keys: a fixed document (tests) or the users service's URL."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import aiohttp
import orjson

log = logging.getLogger("dafnck.edge.auth")

Jwks = Mapping[str, Any]
_MAX_BYTES = 256 * 1024


class JwksUnavailable(Exception):
    """No JWKS document could be obtained, so no token can be verified."""


class JwksProvider(Protocol):
    """An async source of the JWKS document; ``refresh=True`` asks it to bypass its cache."""

    async def __call__(self, *, refresh: bool = False) -> Jwks:
        """The JWKS document; raises ``JwksUnavailable`` when there is none."""


class StaticJwksProvider:
    """A JWKS held in memory: a document, or a callable returning the current one."""

    def __init__(self, source: Jwks | Callable[[], Jwks]) -> None:
        self._source = source
        self.refreshes = 0  # how often a refresh was asked for, for tests

    async def __call__(self, *, refresh: bool = False) -> Jwks:
        """The document (re-read from the callable on every call)."""
        if refresh:
            self.refreshes += 1
        return self._source() if callable(self._source) else self._source


class HttpJwksProvider:
    """Fetches the JWKS over HTTP and caches it for ``ttl_s``; serves a stale copy on errors."""

    def __init__(
        self,
        url: str,
        ttl_s: float = 300.0,
        *,
        timeout_s: float = 5.0,
        retry_after_error_s: float = 10.0,
        session: aiohttp.ClientSession | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.ttl_s = ttl_s
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._retry_after_error_s = retry_after_error_s
        self._session = session
        self._owns_session = session is None
        self._clock = clock
        self._document: Jwks | None = None
        self._expires = float("-inf")
        self._attempted_at = float("-inf")
        self._lock = asyncio.Lock()
        self.fetches = 0

    async def __call__(self, *, refresh: bool = False) -> Jwks:
        """The cached document, fetched again when stale or when ``refresh`` is asked."""
        if not refresh and self._document is not None and self._clock() < self._expires:
            return self._document
        asked_at = self._clock()
        async with self._lock:
            # Whoever held the lock may just have fetched: one attempt serves every waiter.
            if self._attempted_at < asked_at:
                await self._fetch_or_keep_stale()
        if self._document is None:
            raise JwksUnavailable(f"no JWKS from {self.url}")
        return self._document

    async def _fetch_or_keep_stale(self) -> None:
        self._attempted_at = self._clock()
        try:
            self._document = await self._fetch()
            self._expires = self._clock() + self.ttl_s
        except Exception as exc:
            if self._document is None:
                raise JwksUnavailable(f"JWKS fetch from {self.url} failed: {exc}") from exc
            log.warning("JWKS fetch failed, keeping the cached keys", extra={"error": str(exc)})
            # Stale keys still verify tokens from unrotated keys; try again soon, not per request.
            self._expires = self._clock() + self._retry_after_error_s

    async def _fetch(self) -> Jwks:
        self.fetches += 1
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        async with self._session.get(self.url, timeout=self._timeout) as response:
            if response.status != 200:
                raise ValueError(f"HTTP {response.status}")
            if (response.content_length or 0) > _MAX_BYTES:
                raise ValueError("JWKS document too large")
            document = orjson.loads(await response.read())
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise ValueError("not a JWKS document (no 'keys' list)")
        return document

    async def close(self) -> None:
        """Close the HTTP session if this provider opened it."""
        if self._session is not None and self._owns_session:
            await self._session.close()
        self._session = None
