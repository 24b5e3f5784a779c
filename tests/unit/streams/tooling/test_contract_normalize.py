"""The writer-side normal form: intersections of schemas."""

from __future__ import annotations

from streams.tooling.contract.normalize import intersect, is_unconstrained, type_set, writer_normal
from streams.tooling.contract.refs import Document


def test_intersect_combines_bounds_types_and_required() -> None:
    merged = intersect(
        {"type": ["number", "string"], "minimum": 0, "maxLength": 9, "required": ["a"]},
        {"type": "integer", "minimum": 5, "maxLength": 3, "required": ["b", "a"]},
    )
    assert merged == {"type": ["integer"], "minimum": 5, "maxLength": 3, "required": ["a", "b"]}


def test_intersect_of_disjoint_types_or_enums_is_false() -> None:
    assert intersect({"type": "string"}, {"type": "integer"}) is False
    assert intersect({"enum": [1, 2]}, {"enum": [True]}) is False


def test_intersect_properties_overlap_becomes_all_of() -> None:
    merged = intersect(
        {"properties": {"a": {"type": "string"}}}, {"properties": {"a": {"minLength": 1}}}
    )
    assert merged == {"properties": {"a": {"allOf": [{"type": "string"}, {"minLength": 1}]}}}


def test_writer_normal_merges_all_of_and_reads_const_and_one_of() -> None:
    root = {"$defs": {"S": {"type": "string"}}}
    doc = Document(root)
    node = {"allOf": [{"$ref": "#/$defs/S"}, {"maxLength": 4}], "const": "ab"}
    assert writer_normal(doc, node) == {"enum": ["ab"], "type": "string", "maxLength": 4}
    assert writer_normal(doc, {"oneOf": [{"type": "string"}]}) == {"anyOf": [{"type": "string"}]}


def test_helpers() -> None:
    assert is_unconstrained(True) and is_unconstrained({"description": "x"})
    assert not is_unconstrained({"type": "string"}) and not is_unconstrained(False)
    assert type_set({"type": "string"}) == frozenset({"string"})
    assert type_set({}) is None
