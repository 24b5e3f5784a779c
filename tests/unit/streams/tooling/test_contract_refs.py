"""$ref resolution inside one schema document."""

from __future__ import annotations

from streams.tooling.contract.refs import Document, unresolved_refs

ROOT = {
    "$id": "urn:dafnck:schema:t/T/v1",
    "$defs": {"A": {"type": "string"}, "a/b": {"type": "integer"}, "C": {"$ref": "#/$defs/A"}},
    "definitions": {"Old": {"type": "boolean"}},
    "properties": {"x": {"$anchor": "ex", "type": "null"}},
}


def test_pointers_anchors_and_own_id() -> None:
    doc = Document(ROOT)
    assert doc.lookup("#/$defs/A") == {"type": "string"}
    assert doc.lookup("#/$defs/a~1b") == {"type": "integer"}
    assert doc.lookup("#/definitions/Old") == {"type": "boolean"}
    assert doc.lookup("#ex") == {"$anchor": "ex", "type": "null"}
    assert doc.lookup("urn:dafnck:schema:t/T/v1#/$defs/A") == {"type": "string"}
    assert doc.lookup("#") is ROOT


def test_other_documents_and_missing_targets_do_not_resolve() -> None:
    doc = Document(ROOT)
    assert doc.lookup("urn:dafnck:schema:other/T/v1#/$defs/A") is None
    assert doc.lookup("#/$defs/Nope") is None


def test_resolve_follows_chains_and_keeps_siblings() -> None:
    doc = Document(ROOT)
    assert doc.resolve({"$ref": "#/$defs/C"}) == {"type": "string"}
    assert doc.resolve({"$ref": "#/$defs/A", "maxLength": 3, "description": "d"}) == {
        "allOf": [{"type": "string"}, {"maxLength": 3}]
    }
    external = {"$ref": "https://example.com/s.json"}
    assert doc.resolve(external) is external


def test_ref_cycle_terminates() -> None:
    cyclic = {"$defs": {"A": {"$ref": "#/$defs/B"}, "B": {"$ref": "#/$defs/A"}}}
    node = Document(cyclic).resolve({"$ref": "#/$defs/A"})
    assert "$ref" in node


def test_unresolved_refs_lists_dangling_local_refs() -> None:
    schema = {"properties": {"a": {"$ref": "#/$defs/gone"}, "b": {"$ref": "#/properties/a"}}}
    assert unresolved_refs(schema) == [("$.properties.a.$ref", "#/$defs/gone")]
