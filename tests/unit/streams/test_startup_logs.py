"""Start-up noise from aiokafka and Faust is logged at info, not as errors."""

from __future__ import annotations

import logging

from streams.logs import StartupNoiseFilter


def _record(name: str, level: int, msg: str) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, msg, None, None)


def test_known_start_up_messages_are_downgraded_to_info() -> None:
    noise = StartupNoiseFilter()
    for name, level, msg in [
        ("aiokafka.consumer.group_coordinator", logging.ERROR,
         "Group Coordinator Request failed: [Error 15] GroupCoordinatorNotAvailableError"),
        ("aiokafka.consumer.group_coordinator", logging.WARNING,
         "Marking the coordinator dead (node 1)for group users-svc."),
        ("faust.tables.base", logging.ERROR,
         "Topic agents-svc-agents-scheduler-changelog not found in cluster metadata"),
    ]:  # fmt: skip
        record = _record(name, level, msg)
        assert noise.filter(record)
        assert (record.levelno, record.levelname) == (logging.INFO, "INFO"), msg


def test_our_own_errors_and_unknown_library_errors_keep_their_level() -> None:
    noise = StartupNoiseFilter()
    ours = _record("dafnck.pipeline", logging.ERROR, "Marking the coordinator dead")
    other = _record("aiokafka.producer", logging.ERROR, "MessageSizeTooLargeError")
    for record in (ours, other):
        assert noise.filter(record)
        assert record.levelno == logging.ERROR


def test_after_the_start_up_window_a_lost_coordinator_is_a_warning_again() -> None:
    noise = StartupNoiseFilter(window_s=0)
    record = _record(
        "aiokafka.consumer.group_coordinator", logging.WARNING, "Marking the coordinator dead"
    )
    assert noise.filter(record)
    assert record.levelno == logging.WARNING
