"""The WebSocket to the edge: connect, hello/welcome, heartbeats, the send pump, reconnects."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from dafnck_sdk import protocol
from dafnck_sdk.errors import AgentAuthError, DeliveryError
from dafnck_sdk.outbox import Outbox
from dafnck_sdk.protocol import Welcome

log = logging.getLogger("dafnck_sdk")

BACKOFF_INITIAL_S = 0.2
BACKOFF_MAX_S = 5.0
WELCOME_TIMEOUT_S = 10.0
DEFAULT_HEARTBEAT_S = 5.0
PING_INTERVAL_S = 10.0  # WebSocket pings: a silently dead TCP connection is noticed
MAX_FRAME_BYTES = 64 * 1024 * 1024  # task inputs can be big; a refused frame would loop
# Frames are JSON text; JSON in a binary frame is read the same (cheap tolerance).
_DATA = (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY)


@dataclass
class _Outcome:
    welcomed: bool
    reason: str
    replaced: bool = False


class Connection:
    """Keeps one agent connected to the edge until closed, replaced or refused."""

    def __init__(
        self,
        edge_url: str,
        api_key: str,
        outbox: Outbox,
        *,
        hello: Callable[[], dict[str, Any]],
        on_frame: Callable[[dict[str, Any]], None],
        running_count: Callable[[], int],
    ) -> None:
        self.url = edge_url.rstrip("/") + protocol.CONNECT_PATH
        self._headers = {"Authorization": f"AgentKey {api_key}"}
        self._outbox = outbox
        self._hello = hello
        self._on_frame = on_frame
        self._running_count = running_count
        self.welcome: Welcome | None = None
        self._closing = False
        self._wake = asyncio.Event()
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._last_error = ""  # an error frame's detail: the reason of a 4003 close after it

    async def run(self) -> bool:
        """Stay connected until ``close()``; True when replaced by a newer connection (4001).

        Raises AgentAuthError when the edge refuses the key or the hello: retrying cannot
        fix credentials.
        """
        delay = BACKOFF_INITIAL_S
        timeout = aiohttp.ClientTimeout(total=None, connect=15, sock_connect=10)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while not self._closing:
                outcome = await self._attempt(session)
                if outcome.replaced:
                    return True
                if self._closing:
                    break
                if outcome.welcomed:
                    delay = BACKOFF_INITIAL_S
                pause = delay * (0.5 + random.random() / 2)  # jitter: agents don't stampede
                log.warning(
                    "%s; reconnecting in %.1fs (%d task(s) running, %d report(s) unconfirmed)",
                    outcome.reason,
                    pause,
                    self._running_count(),
                    len(self._outbox),
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), pause)
                delay = min(delay * 2, BACKOFF_MAX_S)
        return False

    async def close(self) -> None:
        """Leave: no reconnect; a connected socket is closed normally."""
        self._closing = True
        self._wake.set()
        ws = self._ws
        if ws is not None and not ws.closed:
            await ws.close(code=aiohttp.WSCloseCode.OK, message=b"agent stopping")

    async def _attempt(self, session: aiohttp.ClientSession) -> _Outcome:
        log.debug("connecting to %s", self.url)
        try:
            ws = await session.ws_connect(
                self.url,
                headers=self._headers,
                heartbeat=PING_INTERVAL_S,
                max_msg_size=MAX_FRAME_BYTES,
            )
        except aiohttp.WSServerHandshakeError as exc:
            if exc.status in (401, 403):
                reason = await self._refusal(session, exc.status)
                raise AgentAuthError(reason, status=exc.status) from None
            return _Outcome(False, f"the edge at {self.url} answered HTTP {exc.status}")
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            why = str(exc) or type(exc).__name__
            return _Outcome(False, f"cannot reach the edge at {self.url}: {why}")
        self._ws = ws
        try:
            if self._closing:  # close() came during the handshake
                return _Outcome(False, "closing")
            return await self._converse(ws)
        finally:
            self._ws = None
            if not ws.closed:
                await ws.close()

    async def _refusal(self, session: aiohttp.ClientSession, status: int) -> str:
        # ws_connect drops the 401 body; ask again without the upgrade to read its detail.
        detail = ""
        url = "http" + self.url[2:] if self.url.startswith(("ws://", "wss://")) else self.url
        with contextlib.suppress(Exception):
            async with session.get(
                url, headers=self._headers, timeout=aiohttp.ClientTimeout(total=5)
            ) as resp:
                if resp.status == status:
                    body = await resp.json(content_type=None)
                    detail = str(body.get("detail") or body.get("title") or "")
        return f"the edge refused the agent key (HTTP {status})" + (f": {detail}" if detail else "")

    async def _converse(self, ws: aiohttp.ClientWebSocketResponse) -> _Outcome:
        self._last_error = ""
        await ws.send_str(protocol.encode(self._hello()))
        try:
            async with asyncio.timeout(WELCOME_TIMEOUT_S):
                while True:
                    msg = await ws.receive()
                    if msg.type not in _DATA:
                        return self._closed(ws, msg, welcomed=False)
                    frame = self._decode(msg.data)
                    if frame is None:
                        continue
                    if frame["type"] == "welcome":
                        break
                    if frame["type"] == "error":
                        self._refused(frame)
                        continue
                    log.debug("before the welcome, ignored a %s frame", frame["type"])
        except TimeoutError:
            return _Outcome(False, f"no welcome from the edge within {WELCOME_TIMEOUT_S:g}s")
        first = self.welcome is None
        self.welcome = Welcome.parse(frame, DEFAULT_HEARTBEAT_S)
        resent = self._outbox.rewind()
        log.info(
            "%s to %s as agent %s (session %s); heartbeat every %gs; resending %d report(s)",
            "connected" if first else "reconnected",
            self.url,
            self.welcome.agent_id,
            self.welcome.session_id,
            self.welcome.heartbeat_interval_s,
            resent,
        )
        lock = asyncio.Lock()  # one writer at a time on the socket
        helpers = [
            asyncio.create_task(self._pump(ws, lock)),
            asyncio.create_task(self._beat(ws, lock, self.welcome.heartbeat_interval_s)),
        ]
        try:
            while True:
                msg = await ws.receive()
                if msg.type not in _DATA:
                    return self._closed(ws, msg, welcomed=True)
                frame = self._decode(msg.data)
                if frame is not None:
                    self._dispatch(frame)
        finally:
            for helper in helpers:
                helper.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)

    def _closed(
        self, ws: aiohttp.ClientWebSocketResponse, msg: aiohttp.WSMessage, *, welcomed: bool
    ) -> _Outcome:
        code = ws.close_code
        said = msg.extra if msg.type == aiohttp.WSMsgType.CLOSE and msg.extra else ""
        if code == protocol.CLOSE_REJECTED:
            reason = self._last_error or said or "the edge refused the hello (close 4003)"
            raise AgentAuthError(reason, close_code=code)
        if code == protocol.CLOSE_REPLACED:
            log.warning("replaced by a newer connection of this agent (close 4001): stopping")
            return _Outcome(welcomed, "replaced", replaced=True)
        if msg.type == aiohttp.WSMsgType.ERROR:
            return _Outcome(welcomed, f"connection to the edge failed: {ws.exception()}")
        because = f"code {code}: {said}" if said else f"code {code}"
        return _Outcome(welcomed, f"disconnected from the edge ({because})")

    def _decode(self, text: Any) -> dict[str, Any] | None:
        try:
            return protocol.decode(text)
        except protocol.ProtocolError as exc:
            log.warning("ignored a frame from the edge: %s", exc)
            return None

    def _dispatch(self, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        if kind == "ok":
            if isinstance(frame.get("ref"), int):
                self._outbox.ack(frame["ref"])
        elif kind == "error":
            self._refused(frame)
        elif kind != "welcome":
            self._on_frame(frame)

    def _refused(self, frame: dict[str, Any]) -> None:
        detail = str(frame.get("detail") or "error")
        ref = frame.get("ref")
        if isinstance(ref, int) and frame.get("code") == protocol.TOO_LARGE:
            # Too large stays too large: drop it now (a result's task was failed for it).
            if self._outbox.pending_ref(ref):
                sent = self._outbox.reject(ref, DeliveryError(detail))
                log.error("the edge refused our %s frame (ref %d): %s", sent["type"], ref, detail)
            return
        refused = self._outbox.refused(ref, DeliveryError(detail)) if isinstance(ref, int) else None
        if refused is None:
            self._last_error = detail
            log.warning("the edge reported an error: %s", detail)
            return
        sent, retry_in = refused
        if retry_in is None:
            log.error(
                "the edge refused our %s frame (ref %d): %s; dropped", sent["type"], ref, detail
            )
        else:
            log.warning(
                "the edge refused our %s frame (ref %d): %s; sending it again in %gs",
                sent["type"], ref, detail, retry_in,
            )  # fmt: skip

    async def _pump(self, ws: aiohttp.ClientWebSocketResponse, lock: asyncio.Lock) -> None:
        # Sends reports in ref order: first what the outbox rewound to, then each new one.
        try:
            while True:
                frame = await self._outbox.next_to_send()
                try:
                    text = protocol.encode(frame)
                except (TypeError, ValueError) as exc:
                    # Not JSON: it can never be sent; drop it rather than stall the reports.
                    self._outbox.reject(frame["ref"], DeliveryError(f"not JSON: {exc}"))
                    log.error("dropped a %s frame that is not JSON: %s", frame["type"], exc)
                    continue
                async with lock:
                    await ws.send_str(text)
        except (ConnectionError, aiohttp.ClientError, RuntimeError) as exc:
            log.debug("send failed (%s); the read loop sees the close", exc)

    async def _beat(
        self, ws: aiohttp.ClientWebSocketResponse, lock: asyncio.Lock, interval: float
    ) -> None:
        try:
            while True:
                await asyncio.sleep(interval)
                async with lock:
                    await ws.send_str(protocol.encode(protocol.heartbeat()))
        except (ConnectionError, aiohttp.ClientError, RuntimeError) as exc:
            log.debug("heartbeat failed (%s); the read loop sees the close", exc)
