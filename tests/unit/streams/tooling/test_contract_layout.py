"""Sorting files of a schema root into versioned schemas, envelope files and misfits."""

from __future__ import annotations

from pathlib import Path

from streams.tooling.contract.layout import SchemaFile, classify
from streams.tooling.contract.problems import Problem, display_path, sort_problems


def test_classify() -> None:
    tree = classify(
        [
            "user-events/UserCreated/v1.json",
            "user-events/UserCreated/v10.json",
            "envelope/v1.json",
            "models/thing.json",
            "user-events/UserCreated/v0.json",
            "stray.json",
            "user-events/UserCreated/notes.txt",
        ]
    )
    assert tree.versioned == [
        SchemaFile("user-events/UserCreated/v1.json", "user-events", "UserCreated", 1),
        SchemaFile("user-events/UserCreated/v10.json", "user-events", "UserCreated", 10),
    ]
    assert tree.special == ["envelope/v1.json"]
    assert sorted(p.file for p in tree.problems) == [
        "stray.json",
        "user-events/UserCreated/v0.json",
    ]
    assert {p.rule for p in tree.problems} == {"LAYOUT_INVALID"}


def test_problem_rendering_and_order(tmp_path: Path) -> None:
    problem = Problem("t/T/v2.json", "$.properties.a", "TYPE_CHANGED", "why")
    assert (
        problem.render(tmp_path, cwd=tmp_path) == "t/T/v2.json: $.properties.a: TYPE_CHANGED: why"
    )
    assert problem.render(tmp_path, cwd=tmp_path.parent).startswith(f"{tmp_path.name}/t/T/v2.json")
    assert display_path(tmp_path, "t/T/", cwd=Path("/nonexistent-elsewhere")) == "t/T/"
    ordered = sort_problems([Problem("t/T/v10.json", "$", "R", ""), problem])
    assert [p.file for p in ordered] == ["t/T/v2.json", "t/T/v10.json"]
