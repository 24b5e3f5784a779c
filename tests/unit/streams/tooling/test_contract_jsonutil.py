"""JSON equality, paths and diffs used in messages and the published-version check."""

from __future__ import annotations

from streams.tooling.contract.jsonutil import child, diff_paths, json_equal


def test_json_equal_distinguishes_booleans_from_numbers() -> None:
    assert json_equal(1, 1.0)
    assert not json_equal(True, 1)
    assert not json_equal({"a": [True]}, {"a": [1]})
    assert json_equal({"a": [1, {"b": None}]}, {"a": [1.0, {"b": None}]})


def test_child_paths() -> None:
    assert child("$", "properties") == "$.properties"
    assert child("$.items", 2) == "$.items[2]"
    assert child("$", "agent-id") == "$.agent-id"
    assert child("$", "has space") == '$["has space"]'


def test_diff_paths_names_each_change() -> None:
    old = {"type": "object", "properties": {"a": {"maxLength": 5}, "b": {}}, "required": ["a"]}
    new = {"type": "object", "properties": {"a": {"maxLength": 6}, "c": {}}, "required": ["a", "c"]}
    assert diff_paths(old, new) == [
        ("$.properties.a.maxLength", 5, 6),
        ("$.properties.b", {}, ...),
        ("$.properties.c", ..., {}),
        ("$.required", ["a"], ["a", "c"]),
    ]
    assert diff_paths(old, old) == []
