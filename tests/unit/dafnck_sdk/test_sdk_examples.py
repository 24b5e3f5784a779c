"""The example handlers shipped with the SDK."""

from __future__ import annotations

from typing import Any

import pytest

from dafnck_sdk import PermanentFailure, Task
from dafnck_sdk.examples.summarizer import echo, noop, summarize
from dafnck_sdk.protocol import Offer


def _task(data: dict[str, Any], progress: list[float] | None = None) -> Task:
    offer = Offer("t1", 1, data, "p1", ["summarize"], 60, None, None)
    reported = progress if progress is not None else []
    return Task(offer, lambda _key, fraction, _msg: reported.append(fraction))


async def test_summarize_returns_the_first_sentence_and_counts_words() -> None:
    progress: list[float] = []
    text = "Kafka keeps the log. Agents read it. Nothing is lost."
    output = await summarize(_task({"text": text, "delay_s": 0}, progress))
    assert output == {"summary": "Kafka keeps the log.", "words": 10, "model": "simulated"}
    assert progress == [0.1, 0.9]


async def test_summarize_cuts_a_long_sentence_at_200_chars() -> None:
    output = await summarize(_task({"text": "word " * 100, "delay_s": 0}))
    assert len(output["summary"]) == 200 and output["words"] == 100


@pytest.mark.parametrize("data", [{}, {"text": "  "}, {"text": 3}, {"text": "x", "delay_s": -1}])
async def test_summarize_without_usable_input_fails_for_good(data: dict[str, Any]) -> None:
    with pytest.raises(PermanentFailure):
        await summarize(_task(data))


async def test_echo_names_the_agent_and_noop_returns_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DAFNCK_AGENT_NAME", "echoer")
    assert await echo(_task({"a": 1})) == {"echo": {"a": 1}, "agent": "echoer"}
    assert await noop(_task({})) == {}
