"""``dafnck schemas compat OLD NEW --mode MODE`` run as a user would: output and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema(**props: Any) -> dict[str, Any]:
    """A closed object schema with ``props``."""
    return {
        "$schema": DIALECT,
        "type": "object",
        "properties": props,
        "additionalProperties": False,
    }


def compat(tmp_path: Path, old: Any, new: Any, mode: str) -> subprocess.CompletedProcess[str]:
    """Write OLD/NEW (JSON values, or raw text when a str) and run the command."""
    for name, body in (("a.json", old), ("b.json", new)):
        if body is not None:
            text = body if isinstance(body, str) else json.dumps(body)
            (tmp_path / name).write_text(text, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "streams", "schemas", "compat", "a.json", "b.json", "--mode", mode],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )


OLD = schema(name={"type": "string", "maxLength": 20})
NEW = schema(name={"type": "string", "maxLength": 10}, nick={"type": "string"})


def test_compatible_exits_0(tmp_path: Path) -> None:
    longer = schema(name={"type": "string", "maxLength": 40})
    done = compat(tmp_path, OLD, longer, "backward")
    assert (done.returncode, done.stdout, done.stderr) == (0, "compatible\n", "")
    done = compat(tmp_path, OLD, OLD | {"title": "same data, new title"}, "FULL")
    assert (done.returncode, done.stdout) == (0, "compatible\n")


def test_incompatible_exits_1_with_one_reason_per_line(tmp_path: Path) -> None:
    done = compat(tmp_path, OLD, NEW, "FULL")
    assert done.returncode == 1
    first, *reasons = done.stdout.splitlines()
    assert first == "incompatible"
    assert reasons == [
        "BACKWARD: $.properties.name: MAX_LENGTH_DECREASED: maxLength (characters): "
        "old schema has 20, new schema has 10",
        "FORWARD: $.properties.nick: PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL: 'nick' is in "
        "the new schema but the old schema's closed model (additionalProperties: false) "
        "rejects it",
    ]


def test_none_mode_is_always_compatible(tmp_path: Path) -> None:
    done = compat(tmp_path, OLD, {"$schema": DIALECT, "type": "integer"}, "none")
    assert (done.returncode, done.stdout) == (0, "compatible\n")


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        pytest.param(None, "b.json: no such file", id="missing"),
        pytest.param('{"type": ', "b.json: not JSON: line 1", id="not-json"),
        pytest.param(
            {"type": "strin"},
            "b.json: not a valid draft-07 JSON Schema: at $.type",
            id="not-a-schema",
        ),
        pytest.param(
            {"$schema": "https://json-schema.org/draft/2019-09/schema"},
            "only draft 2020-12",
            id="other-dialect",
        ),
        pytest.param(
            {"properties": {"a": {"$ref": "#/$defs/missing"}}},
            "points nowhere",
            id="dangling-ref",
        ),
    ],
)
def test_unreadable_input_exits_2(tmp_path: Path, new: Any, expected: str) -> None:
    done = compat(tmp_path, OLD, new, "BACKWARD")
    assert done.returncode == 2
    assert done.stdout == ""
    assert expected in done.stderr


def test_unknown_mode_exits_2(tmp_path: Path) -> None:
    done = compat(tmp_path, OLD, OLD, "SIDEWAYS")
    assert done.returncode == 2
    assert "invalid choice" in done.stderr
