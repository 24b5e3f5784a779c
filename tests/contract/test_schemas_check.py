"""``dafnck schemas check`` on temporary schema trees (and once on the repository's own)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import topics
from schemas import SCHEMA_ROOT, schema_id
from streams.tooling.contract.check import check_schema_tree
from streams.tooling.contract.history import HistoryError
from streams.tooling.contract.problems import Problem
from topics import Compatibility

DIALECT = "https://json-schema.org/draft/2020-12/schema"
REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Topic:
    """The slice of topics.TopicSpec the checker reads."""

    name: str
    types: tuple[str, ...]
    compatibility: Compatibility = Compatibility.BACKWARD


def user(**extra_props: Any) -> dict[str, Any]:
    """A UserCreated-like body: id and name, plus ``extra_props``."""
    return {
        "type": "object",
        "required": ["user_id", "name"],
        "properties": {
            "user_id": {"type": "string", "format": "uuid"},
            "name": {"type": "string", "maxLength": 100},
            "plan": {"enum": ["free", "pro", "team"]},
            **extra_props,
        },
        "additionalProperties": False,
    }


def write(root: Path, topic: str, type_name: str, version: int, body: Any) -> Path:
    """Write one versioned schema file with the right $schema and $id."""
    doc = {"$schema": DIALECT, "$id": schema_id(topic, type_name, version), **body}
    path = root / topic / type_name / f"v{version}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return path


CATALOG = (Topic("user-events", ("UserCreated",)), Topic("agent-events", ("AgentCreated",)))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A clean tree: UserCreated v1 and a compatible v2, AgentCreated v1, an envelope."""
    base = tmp_path / "schemas"
    write(base, "user-events", "UserCreated", 1, user())
    write(base, "user-events", "UserCreated", 2, user(nickname={"type": "string"}))
    write(base, "agent-events", "AgentCreated", 1, {"type": "object"})
    envelope = base / "envelope" / "v1.json"
    envelope.parent.mkdir()
    envelope.write_text(json.dumps({"$schema": DIALECT, "type": "object"}), encoding="utf-8")
    (base / "models").mkdir()
    (base / "models" / "not-a-schema.json").write_text("{ python models live here", "utf-8")
    return base


def rules_of(problems: list[Problem]) -> set[str]:
    return {p.rule for p in problems}


def test_clean_tree_passes(root: Path) -> None:
    assert check_schema_tree(root, catalog=CATALOG) == []


@pytest.mark.parametrize(
    ("v2", "rule", "field"),
    [
        pytest.param(
            user(email={"type": "string"}) | {"required": ["user_id", "name", "email"]},
            "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
            "email",
            id="required-property-added",
        ),
        pytest.param(
            user(name={"type": "integer"}), "TYPE_CHANGED", "name", id="property-type-changed"
        ),
        pytest.param(
            user(plan={"enum": ["free", "pro"]}), "ENUM_NARROWED", "plan", id="enum-narrowed"
        ),
    ],
)
def test_backward_topic_rejects_incompatible_v2(
    root: Path, v2: dict[str, Any], rule: str, field: str
) -> None:
    write(root, "user-events", "UserCreated", 2, v2)
    problems = check_schema_tree(root, catalog=CATALOG)
    assert [p.rule for p in problems] == [rule]
    (problem,) = problems
    assert problem.file == "user-events/UserCreated/v2.json"
    assert problem.path == f"$.properties.{field}"
    assert "v1" in problem.message and "BACKWARD" in problem.message
    rendered = problem.render(root)
    assert rendered.startswith("user-events/UserCreated/v2.json: $.properties.")
    assert f": {rule}: " in rendered


@pytest.mark.parametrize("mode", [Compatibility.BACKWARD, Compatibility.BACKWARD_TRANSITIVE])
def test_transitive_mode_checks_every_earlier_version(root: Path, mode: Compatibility) -> None:
    # v2 shortened the name (a known, already-reported break); v3 keeps v2's limit, so it
    # reads v2's data but not v1's: only a transitive mode notices.
    write(root, "user-events", "UserCreated", 2, user(name={"type": "string", "maxLength": 50}))
    write(
        root,
        "user-events",
        "UserCreated",
        3,
        user(name={"type": "string", "maxLength": 50}, nickname={}),
    )
    catalog = (Topic("user-events", ("UserCreated",), mode), CATALOG[1])
    problems = check_schema_tree(root, catalog=catalog)
    on_v3 = [p for p in problems if p.file.endswith("v3.json")]
    on_v2 = [p for p in problems if p.file.endswith("v2.json")]
    assert rules_of(on_v2) == {"MAX_LENGTH_DECREASED"}
    if mode.transitive:
        assert [(p.rule, p.path) for p in on_v3] == [("MAX_LENGTH_DECREASED", "$.properties.name")]
        assert "v1" in on_v3[0].message
    else:
        assert on_v3 == []


def test_forward_and_none_modes(root: Path) -> None:
    # Dropping an enum value is fine for FORWARD (old readers know every remaining value).
    write(root, "user-events", "UserCreated", 2, user(plan={"enum": ["free", "pro"]}))
    forward = (Topic("user-events", ("UserCreated",), Compatibility.FORWARD), CATALOG[1])
    assert check_schema_tree(root, catalog=forward) == []
    write(root, "user-events", "UserCreated", 3, user(plan={"type": "integer"}))
    none = (Topic("user-events", ("UserCreated",), Compatibility.NONE), CATALOG[1])
    assert check_schema_tree(root, catalog=none) == []
    full = (Topic("user-events", ("UserCreated",), Compatibility.FULL), CATALOG[1])
    assert "TYPE_CHANGED" in rules_of(check_schema_tree(root, catalog=full))


def test_meta_schema_invalid_file_is_reported(root: Path) -> None:
    write(root, "agent-events", "AgentCreated", 1, {"type": "object", "minProperties": -1})
    problems = check_schema_tree(root, catalog=CATALOG)
    assert [(p.file, p.path, p.rule) for p in problems] == [
        ("agent-events/AgentCreated/v1.json", "$.minProperties", "META_SCHEMA_INVALID")
    ]


def test_unparsable_and_misplaced_files(root: Path) -> None:
    (root / "agent-events" / "AgentCreated" / "v1.json").write_text("{nope", encoding="utf-8")
    (root / "user-events" / "UserCreated" / "latest.json").write_text("{}", encoding="utf-8")
    problems = check_schema_tree(root, catalog=CATALOG)
    by_file = {p.file: p.rule for p in problems}
    assert by_file["agent-events/AgentCreated/v1.json"] == "INVALID_JSON"
    assert by_file["user-events/UserCreated/latest.json"] == "LAYOUT_INVALID"


def test_envelope_is_only_meta_validated(root: Path) -> None:
    bad = {"$schema": DIALECT, "type": "objekt"}
    (root / "envelope" / "v1.json").write_text(json.dumps(bad), encoding="utf-8")
    problems = check_schema_tree(root, catalog=CATALOG)
    assert [(p.file, p.rule) for p in problems] == [("envelope/v1.json", "META_SCHEMA_INVALID")]


def test_catalog_type_without_schema_is_reported(root: Path) -> None:
    catalog = (Topic("user-events", ("UserCreated", "UserDeleted")), CATALOG[1])
    problems = check_schema_tree(root, catalog=catalog)
    assert [(p.file, p.rule) for p in problems] == [
        ("user-events/UserDeleted/v1.json", "MISSING_SCHEMA")
    ]
    assert "UserDeleted" in problems[0].message


def test_schema_directories_must_name_catalog_topics_and_types(root: Path) -> None:
    write(root, "billing-events", "InvoicePaid", 1, {"type": "object"})
    write(root, "user-events", "AgentCreated", 1, {"type": "object"})
    problems = check_schema_tree(root, catalog=CATALOG)
    assert {(p.file, p.rule) for p in problems} == {
        ("billing-events/InvoicePaid/", "UNKNOWN_TOPIC"),
        ("user-events/AgentCreated/", "UNKNOWN_TYPE"),
    }


def test_ids_dialect_and_version_gaps(root: Path) -> None:
    path = write(root, "agent-events", "AgentCreated", 3, {"type": "object"})
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["$id"] = "urn:dafnck:schema:agent-events/AgentCreated/v1"
    del doc["$schema"]
    path.write_text(json.dumps(doc), encoding="utf-8")
    problems = check_schema_tree(root, catalog=CATALOG)
    assert {(p.file, p.path, p.rule) for p in problems} == {
        ("agent-events/AgentCreated/v3.json", "$.$id", "ID_MISMATCH"),
        ("agent-events/AgentCreated/v3.json", "$.$schema", "SCHEMA_DIALECT"),
        ("agent-events/AgentCreated/", "$", "VERSION_GAP"),
    }


def test_foreign_id_scheme_is_not_held_to_the_project_scheme(tmp_path: Path) -> None:
    for version in (1, 2):
        path = write(tmp_path, "user-events", "UserCreated", version, user())
        doc = json.loads(path.read_text(encoding="utf-8"))
        doc["$id"] = f"https://example.com/user-created/{version}"
        path.write_text(json.dumps(doc), encoding="utf-8")
    catalog = (Topic("user-events", ("UserCreated",)),)
    assert check_schema_tree(tmp_path, catalog=catalog) == []


# --- published versions (--since) -------------------------------------------------------


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` with a throwaway identity; return stdout."""
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    done = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return done.stdout


@pytest.fixture
def published(root: Path) -> Path:
    """``root`` inside a git repository with everything committed (so published)."""
    repo = root.parent
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "publish v1")
    return root


def test_untouched_published_tree_passes_since(published: Path) -> None:
    assert check_schema_tree(published, since="HEAD", catalog=CATALOG) == []


def test_edited_published_version_is_caught(published: Path) -> None:
    write(
        published, "user-events", "UserCreated", 1, user(name={"type": "string", "maxLength": 50})
    )
    assert check_schema_tree(published, catalog=CATALOG) == []  # valid on its own
    problems = check_schema_tree(published, since="HEAD", catalog=CATALOG)
    assert [(p.file, p.rule) for p in problems] == [
        ("user-events/UserCreated/v1.json", "PUBLISHED_SCHEMA_MODIFIED")
    ]
    assert problems[0].path == "$.properties.name.maxLength"
    assert "$.properties.name.maxLength changed 100 -> 50" in problems[0].message


def test_reformatting_a_published_version_is_fine(published: Path) -> None:
    path = published / "user-events" / "UserCreated" / "v1.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(doc, separators=(",", ":")), encoding="utf-8")
    assert check_schema_tree(published, since="HEAD", catalog=CATALOG) == []


def test_deleted_published_version_is_caught(published: Path) -> None:
    (published / "agent-events" / "AgentCreated" / "v1.json").unlink()
    problems = check_schema_tree(published, since="HEAD", catalog=CATALOG)
    assert ("agent-events/AgentCreated/v1.json", "PUBLISHED_SCHEMA_DELETED") in {
        (p.file, p.rule) for p in problems
    }


def test_new_version_is_checked_against_what_was_published(published: Path) -> None:
    # v1 was edited to make room for v3's shorter name; v3 must still read published v1.
    short_name = {"type": "string", "maxLength": 10}
    write(published, "user-events", "UserCreated", 1, user(name=short_name))
    write(published, "user-events", "UserCreated", 2, user(name=short_name))
    write(published, "user-events", "UserCreated", 3, user(name=short_name))
    transitive = (
        Topic("user-events", ("UserCreated",), Compatibility.BACKWARD_TRANSITIVE),
        CATALOG[1],
    )
    assert check_schema_tree(published, catalog=transitive) == []
    problems = check_schema_tree(published, since="HEAD", catalog=transitive)
    found = {(p.file, p.rule) for p in problems}
    assert ("user-events/UserCreated/v1.json", "PUBLISHED_SCHEMA_MODIFIED") in found
    assert ("user-events/UserCreated/v3.json", "MAX_LENGTH_DECREASED") in found


def test_unknown_revision_is_an_error(published: Path) -> None:
    with pytest.raises(HistoryError, match="unknown git revision"):
        check_schema_tree(published, since="no-such-rev", catalog=CATALOG)


# --- the command line and the real tree -------------------------------------------------


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python -m streams schemas ...`` as a user would run it."""
    return subprocess.run(
        [sys.executable, "-m", "streams", "schemas", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )


def test_cli_check_reports_problems_one_per_line(root: Path) -> None:
    write(root, "user-events", "UserCreated", 2, user(plan={"enum": ["free"]}))
    done = run_cli("check", "--root", str(root), cwd=root.parent)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert (
        "schemas/user-events/UserCreated/v2.json: $.properties.plan: ENUM_NARROWED: "
        in "\n".join(lines)
    )
    # The real catalog names types this small tree lacks.
    assert any(": MISSING_SCHEMA: " in line for line in lines)


def test_cli_check_clean_tree_prints_summary(tmp_path: Path) -> None:
    count = 0
    for spec in topics.all_topics():
        for type_name in spec.types:
            write(tmp_path, spec.name, type_name, 1, {"type": "object"})
            count += 1
    done = run_cli("check", "--root", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == f"{count} schema files, {count} types, all compatible"


def test_cli_check_bad_revision_exits_2(published: Path) -> None:
    done = run_cli("check", "--root", str(published), "--since", "nope", cwd=published)
    assert done.returncode == 2
    assert "unknown git revision" in done.stderr


def test_repo_schemas_pass_check() -> None:
    problems = check_schema_tree(SCHEMA_ROOT)
    assert problems == [], "\n".join(p.render(SCHEMA_ROOT) for p in problems)
