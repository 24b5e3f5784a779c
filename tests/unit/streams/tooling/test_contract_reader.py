"""Edge cases of the reader/writer check beyond the compatibility table."""

from __future__ import annotations

from typing import Any

from streams.tooling.contract.incompat import Labels
from streams.tooling.contract.reader import check_reader_can_read


def rules(writer: Any, reader: Any) -> list[str]:
    return [i.rule for i in check_reader_can_read(writer, reader)]


def linked_list(value_type: str) -> dict[str, Any]:
    return {
        "$defs": {
            "A": {
                "type": "object",
                "properties": {"v": {"type": value_type}, "next": {"$ref": "#/$defs/B"}},
            },
            "B": {"type": "object", "properties": {"prev": {"$ref": "#/$defs/A"}}},
        },
        "$ref": "#/$defs/A",
    }


def test_mutually_recursive_schemas_terminate() -> None:
    assert rules(linked_list("integer"), linked_list("integer")) == []
    assert rules(linked_list("integer"), linked_list("number")) == []
    assert "TYPE_CHANGED" in rules(linked_list("integer"), linked_list("string"))


def test_booleans_as_schemas() -> None:
    assert rules(False, {"type": "string"}) == []
    assert rules({"type": "string"}, True) == []
    assert rules({"type": "string"}, False) == ["SCHEMA_REJECTS_ALL"]
    assert rules(True, {"type": "string"}) == ["TYPE_NARROWED"]


def test_external_refs_compare_by_name() -> None:
    ext = {"$ref": "urn:dafnck:schema:envelope/v1"}
    assert rules({"properties": {"e": ext}}, {"properties": {"e": ext}}) == []
    other = {"$ref": "urn:dafnck:schema:envelope/v2"}
    assert rules({"properties": {"e": ext}}, {"properties": {"e": other}}) == ["REF_UNRESOLVED"]


def test_not_compares_excluded_sets() -> None:
    writer = {"type": "string", "not": {"enum": ["", "x"]}}
    assert rules(writer, {"type": "string", "not": {"const": ""}}) == []
    assert rules({"type": "string", "not": {"const": ""}}, writer) == ["NOT_CHANGED"]


def test_union_writer_against_union_reader_matches_branch_by_branch() -> None:
    writer = {"oneOf": [{"type": "string", "maxLength": 3}, {"type": "integer", "minimum": 0}]}
    reader = {"anyOf": [{"type": "integer"}, {"type": "string"}]}
    assert rules(writer, reader) == []
    assert set(rules(reader, writer)) == {"MINIMUM_ADDED", "MAX_LENGTH_ADDED"}


def test_labels_appear_in_messages() -> None:
    found = check_reader_can_read(
        {"type": "integer"}, {"type": "string"}, Labels(writer="v1", reader="v2")
    )
    assert len(found) == 1 and "v1" in found[0].message and "v2" in found[0].message


def test_recursion_through_all_of_wrapped_refs_terminates() -> None:
    def node(value_type: str) -> dict[str, Any]:
        child = {"allOf": [{"$ref": "#/$defs/N"}], "description": "pydantic v1 style"}
        props = {"v": {"type": value_type}, "c": child, "cs": {"type": "array", "items": child}}
        return {"$defs": {"N": {"type": "object", "properties": props}}, "$ref": "#/$defs/N"}

    assert rules(node("integer"), node("number")) == []
    assert set(rules(node("number"), node("integer"))) == {"TYPE_NARROWED"}


def test_deeply_nested_schema_does_not_overflow() -> None:
    writer: dict[str, Any] = {"type": "string"}
    reader: dict[str, Any] = {"type": "string", "maxLength": 1}
    for _ in range(150):
        writer = {"type": "object", "properties": {"x": writer}}
        reader = {"type": "object", "properties": {"x": reader}}
    assert rules(writer, reader) == ["NESTING_TOO_DEEP"]
