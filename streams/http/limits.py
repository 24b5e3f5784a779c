"""Every limit the edge puts on what a client sends, in one place (README "Limits" lists them).

A request beyond one of these is answered 4xx problem+json naming what was too big, before
anything downstream (Kafka, Postgres, a worker) sees it.
"""

from __future__ import annotations

# Any request body; aiohttp refuses more itself (413).
MAX_BODY_BYTES = 1024 * 1024
# A JSON request body (413).
MAX_JSON_BYTES = 64 * 1024
# A workflow definition, JSON or YAML: workflows run to 100 steps with their inputs (413).
MAX_DOCUMENT_BYTES = 256 * 1024
# Objects and arrays inside one another in a JSON or YAML body (422). Commands wrap a body
# in a few more levels before they are serialized, and orjson stops at 255.
MAX_JSON_DEPTH = 64
# YAML bodies up to this size are parsed on the event loop; larger ones in a thread.
YAML_INLINE_BYTES = 4 * 1024
# The request line: method, path and query string (414).
MAX_REQUEST_LINE_BYTES = 8190
# One header line, name and value (431). Differs from the request line's limit on purpose:
# the HTTP parser reports which of the two a too-long line broke.
MAX_HEADER_BYTES = 8192
# Header lines in one request (431).
MAX_HEADERS = 128

# Postgres text and jsonb cannot hold U+0000, so no query parameter, body string or key may.
NUL = "\x00"


def parser_settings() -> dict[str, int]:
    """The HTTP parser's limits, as aiohttp's ``handler_args``."""
    return {
        "max_line_size": MAX_REQUEST_LINE_BYTES,
        "max_field_size": MAX_HEADER_BYTES,
        "max_headers": MAX_HEADERS,
    }
