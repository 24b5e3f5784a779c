"""Tailing and following the servers' logs."""

from __future__ import annotations

from pathlib import Path

from streams.tooling.stack.errors import ComponentError
from streams.tooling.stack.logs import follow, mark_start, tail_lines


def test_tail_returns_the_last_lines_of_a_long_file(tmp_path: Path) -> None:
    log = tmp_path / "kafka.log"
    log.write_text("".join(f"line {i}\n" for i in range(20000)))
    assert tail_lines(log, 3) == ["line 19997", "line 19998", "line 19999"]
    assert tail_lines(tmp_path / "missing.log", 3) == []


def test_follow_prints_only_new_complete_lines(tmp_path: Path) -> None:
    log = tmp_path / "redis.log"
    log.write_text("old\n")
    seen: list[str] = []
    rounds = iter(range(3))

    def step() -> bool:
        # Append between polls, the way a running server would.
        round_no = next(rounds, None)
        if round_no == 1:
            with log.open("a") as out:
                out.write("new 1\nnew 2\npartial")
        return round_no is None

    follow({"redis": log}, seen.append, poll_seconds=0.0, should_stop=step)
    assert seen == ["new 1", "new 2"]


def test_a_start_failure_names_the_server_and_shows_its_log(tmp_path: Path) -> None:
    log = tmp_path / "postgres.log"
    log.write_text("FATAL:  could not bind IPv4 address\n")
    message = str(ComponentError("postgres", "pg_ctl start exited 1", log))
    assert message.startswith("postgres failed to start: pg_ctl start exited 1")
    assert "FATAL:  could not bind IPv4 address" in message


def test_a_start_failure_shows_the_cause_logged_before_the_tail(tmp_path: Path) -> None:
    log = tmp_path / "kafka.log"
    log.write_text("ERROR an old failure from an earlier run\n")
    mark_start(log, "kafka")
    with log.open("a") as out:
        out.write("INFO starting\nERROR Fatal error during broker startup\n")
        out.write("org.apache.kafka.common.KafkaException: Failed to acquire lock\n")
        out.write("".join(f"INFO shutting down part {i}\n" for i in range(40)))
    message = str(ComponentError("kafka", "the broker process exited with code 1", log))
    assert "Failed to acquire lock" in message
    assert "INFO shutting down part 39" in message
    assert "old failure" not in message
