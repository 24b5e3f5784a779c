"""Serving the edge app so that requests the HTTP parser refuses still get problem+json.

aiohttp answers a request it cannot parse (a header or request line past ``edge.limits``,
too many headers, a malformed line) before any middleware runs, as ``400`` text/plain, and
logs it at error level with a traceback. Here it is 431 (headers), 414 (request line) or
400 problem+json like every other error, logged as a warning: it is the client's fault.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from http import HTTPStatus

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMessage, LineTooLong
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

from streams.http.limits import MAX_HEADER_BYTES, MAX_HEADERS, MAX_REQUEST_LINE_BYTES
from streams.http.problem import problem

log = logging.getLogger("dafnck.edge")


def parse_failure(status: int, exc: BaseException | None) -> web.Response:
    """The problem+json answer to a request the HTTP parser refused (or a crash outside it)."""
    if isinstance(exc, LineTooLong):
        limit = exc.args[1] if len(exc.args) > 1 else None
        if limit == MAX_HEADER_BYTES:
            detail = f"a request header is longer than {MAX_HEADER_BYTES} bytes"
            return problem(431, "Request Header Fields Too Large", detail)
        detail = f"the request line (path and query) is longer than {MAX_REQUEST_LINE_BYTES} bytes"
        return problem(414, "URI Too Long", detail)
    if isinstance(exc, BadHttpMessage) and "Too many headers" in exc.message:
        detail = f"the request has more than {MAX_HEADERS} headers"
        return problem(431, "Request Header Fields Too Large", detail)
    if isinstance(exc, BadHttpMessage):
        return problem(400, "Bad Request", f"malformed HTTP request: {exc.message}")
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    return problem(status, phrase, phrase.lower())


class _ProblemRequestHandler(RequestHandler):
    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if request.writer.output_size > 0:
            # Part of a response is out: nothing valid can follow (as aiohttp does).
            raise ConnectionError("response already started; cannot send an error")
        response = parse_failure(status, exc)
        if response.status >= 500:
            log.error("error handling request", exc_info=exc)
        else:
            log.warning(
                "refused unparsable request",
                extra={"status": response.status, "error": str(exc) if exc else message},
            )
        response.force_close()
        return response


class _ProblemServer(web.Server):
    def __call__(self) -> RequestHandler:
        return _ProblemRequestHandler(self, loop=self._loop, **self._kwargs)


class EdgeRunner(web.AppRunner):
    """An ``AppRunner`` whose connections answer parser errors with problem+json."""

    async def _make_server(self) -> web.Server:
        made = await super()._make_server()
        # The same server aiohttp built for the app (handler, factory, settings), whose
        # connections use the request handler above.
        return _ProblemServer(
            made.request_handler,
            request_factory=made.request_factory,
            handler_cancellation=made.handler_cancellation,
            loop=made._loop,
            **made._kwargs,
        )


async def serve(app: web.Application, host: str, port: int) -> None:
    """Serve ``app`` until cancelled (SIGINT/SIGTERM end it), then clean up."""
    # access_log=None: the request_context middleware logs each request once, with its
    # request id; aiohttp's access log would repeat it with every header.
    runner = EdgeRunner(app, handle_signals=True, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def run(app: web.Application, host: str, port: int) -> None:
    """Serve ``app`` in the foreground until SIGINT/SIGTERM."""
    with contextlib.suppress(web.GracefulExit, KeyboardInterrupt):
        asyncio.run(serve(app, host, port))
