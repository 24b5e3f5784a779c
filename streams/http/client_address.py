"""Who is calling, by network address: the peer, or the forwarded hop our proxies vouch for."""

from __future__ import annotations

from aiohttp import web


def client_address(request: web.Request, trusted_proxy_hops: int = 0) -> str:
    """The caller's address: the peer, or the ``X-Forwarded-For`` hop our proxies vouch for."""
    peer = request.remote or "unknown"
    if trusted_proxy_hops <= 0:
        # Without trusted proxies the header is client-written and would let anyone pick a key.
        return peer
    forwarded = [hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",")]
    chain = [hop for hop in forwarded if hop] + [peer]
    return chain[max(0, len(chain) - 1 - trusted_proxy_hops)]
