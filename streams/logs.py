"""JSON structured logs: one object per line with service, version and environment."""

from __future__ import annotations

import logging
import sys
import time
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


# What aiokafka and Faust say while a consumer group, its coordinator and the internal
# topics come into being: expected on every start, and not a fault unless it persists.
STARTUP_NOISE = (
    "Group Coordinator Request failed",
    "Marking the coordinator dead",
    "not found in cluster metadata",
    "Ignoring missing topic",
    "Heartbeat failed for group",
    "OffsetCommit failed for group",
)
STARTUP_WINDOW_S = 120.0


class StartupNoiseFilter(logging.Filter):
    """Logs known-benign library messages at info during the first minutes of a process.

    After the window they keep their own level: a coordinator lost mid-run is worth a warning.
    """

    def __init__(self, window_s: float = STARTUP_WINDOW_S) -> None:
        super().__init__()
        self.until = time.monotonic() + window_s

    def filter(self, record: logging.LogRecord) -> bool:
        """Downgrade the record when it is start-up noise; never drops one."""
        if (
            record.levelno > logging.INFO
            and record.name.startswith(("aiokafka", "faust", "mode"))
            and time.monotonic() < self.until
        ):
            message = record.getMessage()
            if any(marker in message for marker in STARTUP_NOISE):
                record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def configure_json_logging(
    service: str, version: str, environment: str, level: str = "INFO"
) -> None:
    """Send every log record of this process to stderr as JSON lines."""
    import time

    handler = logging.StreamHandler(sys.stderr)
    formatter = JsonFormatter(service, version, environment)
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    handler.addFilter(StartupNoiseFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Faust's own loggers are chatty at INFO about every rebalance step.
    for noisy in ("aiokafka", "faust.transport", "mode"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
