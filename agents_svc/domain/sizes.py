"""Size limits of the agents context: what one input may weigh, what one record may weigh.

Sizes are measured as compact UTF-8 JSON (``orjson.dumps``), the encoding every record of
the context is written in (envelopes, the scheduler table's values), so a value measured
here is exactly as large on Kafka. The figures are documented in agents_svc/DESIGN.md
("Sizes") and the README; the SDK mirrors the result limit (dafnck_sdk.protocol).
"""

from __future__ import annotations

from typing import Any

import orjson

import topics

KIB = 1024
# An agent's result (``output`` of a result frame / CompleteTask).
RESULT_MAX_BYTES = 256 * KIB
# A task's ``input`` (SubmitTask), a workflow execution's ``context`` and a message's
# ``body``: as large as the edge lets a JSON body be.
INPUT_MAX_BYTES = 64 * KIB
# A WebSocket frame from an agent: a result frame at the limit, with room for escapes.
FRAME_MAX_BYTES = topics.MAX_MESSAGE_BYTES
# One table value, one output envelope or one journal part, so that with its key, headers
# and the envelope's own fields it stays under what the topic accepts.
RECORD_MAX_BYTES = topics.MAX_MESSAGE_BYTES - 64 * KIB
# A completion is refused below the record limit, so that the failure it becomes (which
# touches the same records, plus an error of at most 2,000 characters) always fits.
COMPLETION_MAX_BYTES = RECORD_MAX_BYTES - 64 * KIB


def json_size(value: Any) -> int:
    """Bytes of the value as compact UTF-8 JSON."""
    return len(orjson.dumps(value))


class TooLarge(ValueError):
    """An input over its limit, naming the field."""

    def __init__(self, field: str, size: int, limit: int) -> None:
        super().__init__(
            f"{field} is {size} bytes as JSON, over the limit of {limit} bytes"
        )
        self.field = field
        self.size = size
        self.limit = limit


def check_size(field: str, value: Any, limit: int) -> None:
    """Raise TooLarge when the value's JSON is over the limit."""
    size = json_size(value)
    if size > limit:
        raise TooLarge(field, size, limit)


# The field of each command that carries a caller's payload, and its limit.
COMMAND_PAYLOADS: dict[str, tuple[str, int]] = {
    "SubmitTask": ("input", INPUT_MAX_BYTES),
    "ExecuteWorkflow": ("context", INPUT_MAX_BYTES),
    "BroadcastMessage": ("body", INPUT_MAX_BYTES),
    "SendDirectMessage": ("body", INPUT_MAX_BYTES),
    "CompleteTask": ("output", RESULT_MAX_BYTES),
}


def oversized_payload(type_name: str, data: dict[str, Any]) -> TooLarge | None:
    """The command's payload field when it is over its limit (None when within)."""
    spec = COMMAND_PAYLOADS.get(type_name)
    if spec is None or spec[0] not in data:
        return None
    try:
        check_size(spec[0], data[spec[0]], spec[1])
    except TooLarge as exc:
        return exc
    return None
