"""``dafnck up`` log lines: JSON records shortened for people, anything else untouched."""

from __future__ import annotations

import logging

import orjson
import pytest

from streams.logs import JsonFormatter
from streams.tooling.cli.logview import LogPrinter

RECORD = {
    "ts": "2024-05-01T12:34:56.789Z",
    "level": "warning",
    "logger": "dafnck.pipeline",
    "msg": "record dead-lettered",
    "service": "agents-svc",
    "version": "0.1.0",
    "env": "development",
    "topic": "agent-events",
    "offset": 42,
}


@pytest.fixture
def printer() -> LogPrinter:
    printer = LogPrinter()
    printer.colour = False
    return printer


def _words(text: str) -> str:
    return " ".join(text.split())


def test_a_json_record_is_shortened_to_time_level_message_and_fields(printer: LogPrinter) -> None:
    text = printer.format(orjson.dumps(RECORD).decode())
    assert text.startswith("12:34:56 warning ")
    assert _words(text) == "12:34:56 warning record dead-lettered topic=agent-events offset=42"
    for hidden in ("agents-svc", "dafnck.pipeline", "development", "0.1.0", "2024-05-01"):
        assert hidden not in text


def test_a_record_without_extra_fields_ends_with_its_message(printer: LogPrinter) -> None:
    line = orjson.dumps({"ts": "2024-05-01T08:00:01.000Z", "level": "info", "msg": "ready"})
    assert printer.format(line.decode()).rstrip() == "08:00:01 info    ready"


def test_an_exception_is_shown_below_the_line(printer: LogPrinter) -> None:
    line = orjson.dumps({**RECORD, "level": "error", "exc": "Traceback...\nKeyError: 'x'"})
    first, *rest = printer.format(line.decode()).splitlines()
    assert first.startswith("12:34:56 error ")
    assert "exc=" not in first
    assert rest == ["Traceback...", "KeyError: 'x'"]


def test_a_line_from_the_json_log_formatter_is_shortened(printer: LogPrinter) -> None:
    formatter = JsonFormatter("edge", "0.1.0", "development")
    log_record = logging.makeLogRecord(
        {"name": "dafnck.edge", "levelname": "INFO", "msg": "request", "status": 200}
    )
    text = printer.format(formatter.format(log_record))
    assert _words(text).split(" ", 1)[1] == "info request status=200"


@pytest.mark.parametrize(
    "line",
    [
        "[2024-05-01 12:00:00,000] INFO Kafka started (kafka.server.KafkaServer)",
        "{not json at all",
        "",
    ],
    ids=["plain", "broken-json", "empty"],
)
def test_other_lines_pass_through(printer: LogPrinter, line: str) -> None:
    assert printer.format(line) == line


def test_raw_mode_passes_json_through() -> None:
    line = orjson.dumps(RECORD).decode()
    assert LogPrinter(raw=True).format(line) == line


def test_printed_lines_are_prefixed_with_the_process_name(
    printer: LogPrinter, capsys: pytest.CaptureFixture[str]
) -> None:
    printer.print("edge", "plain text")
    printer.print("kafka", orjson.dumps(RECORD).decode())
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "edge     | plain text"
    assert lines[1].startswith("kafka    | 12:34:56 warning")


def test_colour_marks_warnings_and_errors_only() -> None:
    printer = LogPrinter()
    printer.colour = True
    warning = printer.format(orjson.dumps(RECORD).decode())
    info = printer.format(orjson.dumps({**RECORD, "level": "info"}).decode())
    assert warning.startswith("\x1b[33m") and warning.endswith("\x1b[0m")
    assert "\x1b[" not in info
