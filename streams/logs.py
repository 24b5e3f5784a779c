"""JSON structured logs: one object per line with service, version and environment."""

from __future__ import annotations

import logging
import sys
from typing import Any

import orjson

_RESERVED = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """Formats records as JSON with fixed service fields plus any ``extra=`` fields."""

    def __init__(self, service: str, version: str, environment: str) -> None:
        super().__init__()
        self.static = {"service": service, "version": version, "env": environment}

    def format(self, record: logging.LogRecord) -> str:
        """Render one record as a JSON line."""
        out: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            **self.static,
        }
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(out, default=str).decode()


def configure_json_logging(
    service: str, version: str, environment: str, level: str = "INFO"
) -> None:
    """Send every log record of this process to stderr as JSON lines."""
    import time

    handler = logging.StreamHandler(sys.stderr)
    formatter = JsonFormatter(service, version, environment)
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Faust's own loggers are chatty at INFO about every rebalance step.
    for noisy in ("aiokafka", "faust.transport", "mode"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
