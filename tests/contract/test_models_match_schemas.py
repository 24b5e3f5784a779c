"""The pydantic models, the generated msgspec Structs and the JSON Schema files describe the
same data, field by field."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args, get_origin

import msgspec
import pytest
from pydantic import BaseModel

from schemas import SCHEMA_ROOT
from schemas.models import MODELS, EventData, struct_codegen
from schemas.models.structs import STRUCTS
from topics.catalog import CATALOG

Key = tuple[str, str, int]
STRUCTS_FILE = struct_codegen.TARGET

# Keywords that decide which instances are valid; compared as they are.
_ASSERTIONS = {
    "type",
    "enum",
    "format",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "required",
}
# Keywords holding one subschema; normalized recursively.
_SUBSCHEMAS = {"items", "additionalProperties", "propertyNames"}
# Documentation: free to differ between a schema file and the model.
_ANNOTATIONS = {
    "$schema",
    "$id",
    "$defs",
    "$comment",
    "title",
    "description",
    "examples",
    "default",
}


def schema_files() -> dict[Key, Path]:
    """Every data schema file under schemas/, by (topic, type, version)."""
    found: dict[Key, Path] = {}
    for path in sorted(SCHEMA_ROOT.glob("*/*/v*.json")):
        version = path.stem.removeprefix("v")
        if version.isdigit():
            found[(path.parent.parent.name, path.parent.name, int(version))] = path
    return found


def _resolve(ref: str, root: dict[str, Any]) -> dict[str, Any]:
    if not ref.startswith("#/"):
        raise AssertionError(f"only local $refs are expected, got {ref!r}")
    node: Any = root
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return dict(node)


def normalize(node: Any, root: dict[str, Any]) -> Any:
    """Reduce a (sub)schema to its validation keywords, refs inlined, `anyOf [X, null]` folded."""
    if not isinstance(node, dict):
        return node
    while "$ref" in node:
        # Siblings of $ref (a property's own description) are annotations; the target decides.
        node = {**_resolve(node["$ref"], root), **{k: v for k, v in node.items() if k != "$ref"}}
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _ANNOTATIONS:
            continue
        if key == "const":
            out["enum"] = [value]
        elif key in _ASSERTIONS:
            out[key] = value
        elif key == "properties":
            out[key] = {name: normalize(sub, root) for name, sub in value.items()}
        elif key in _SUBSCHEMAS:
            # `additionalProperties: true` says nothing; `false` (a closed content model,
            # what extra="forbid" emits) is kept and compared like any other assertion.
            if value is not True:
                out[key] = normalize(value, root)
        elif key == "anyOf":
            out.update(_fold_any_of([normalize(b, root) for b in value]))
        else:
            # A keyword this test does not understand would otherwise be compared by nobody.
            raise AssertionError(f"normalizer does not handle keyword {key!r}; teach it")
    if "type" in out:
        types = out["type"] if isinstance(out["type"], list) else [out["type"]]
        out["type"] = sorted(types)
    if "enum" in out:
        out["enum"] = sorted(out["enum"], key=json.dumps)
    if "required" in out:
        out["required"] = sorted(out["required"])
    return out


def _fold_any_of(branches: list[dict[str, Any]]) -> dict[str, Any]:
    # pydantic writes Optional[X] as anyOf [X, {type: null}]; a hand-written schema says
    # type [x, "null"]. Fold the first into the second so both read the same.
    others = [b for b in branches if b != {"type": ["null"]}]
    if len(others) == 1:
        merged = dict(others[0])
        if len(others) < len(branches):
            merged["type"] = sorted({*merged.get("type", []), "null"})
            if "enum" in merged:
                merged["enum"] = sorted([*merged["enum"], None], key=json.dumps)
        return merged
    return {"anyOf": sorted(branches, key=lambda b: json.dumps(b, sort_keys=True))}


def differences(schema: Any, model: Any, path: str = "") -> Iterator[str]:
    """Each place the normalized schema file and model schema disagree, as readable lines."""
    where = path or "(root)"
    if isinstance(schema, dict) and isinstance(model, dict):
        for key in sorted(schema.keys() | model.keys()):
            sub = f"{path}.{key}" if path else key
            if key not in model:
                yield f"{sub}: in the schema file ({schema[key]!r}), not in the model"
            elif key not in schema:
                yield f"{sub}: in the model ({model[key]!r}), not in the schema file"
            else:
                yield from differences(schema[key], model[key], sub)
    elif schema != model:
        yield f"{where}: schema file says {schema!r}, model says {model!r}"


def schema_content_models(node: Any, root: dict[str, Any], path: str = "") -> dict[str, bool]:
    """Whether each object schema with fixed ``properties`` is closed, by property path."""
    if not isinstance(node, dict):
        return {}
    while "$ref" in node:
        node = _resolve(node["$ref"], root)
    out: dict[str, bool] = {}
    if "properties" in node:
        out[path or "(root)"] = node.get("additionalProperties", True) is False
        for name, sub in node["properties"].items():
            out |= schema_content_models(sub, root, f"{path}.{name}" if path else name)
    for key in ("items", "additionalProperties"):
        out |= schema_content_models(node.get(key), root, f"{path}[{key}]")
    for branch in node.get("anyOf", []):
        out |= schema_content_models(branch, root, path)
    return out


def _submodels(annotation: Any, path: str) -> Iterator[tuple[type[BaseModel], str]]:
    # Each model inside an annotation, with the path schema_content_models gives its object:
    # a list's items are at `[items]`, a dict's values at `[additionalProperties]`.
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation, path
        return
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is list:
        yield from _submodels(args[0], f"{path}[items]")
    elif origin is dict:
        yield from _submodels(args[1], f"{path}[additionalProperties]")
    else:
        for arg in args:
            yield from _submodels(arg, path)


def model_content_models(model: type[BaseModel], path: str = "") -> dict[str, bool]:
    """Whether each (nested) model forbids extra fields, by wire property path."""
    out = {path or "(root)": model.model_config.get("extra") == "forbid"}
    for name, info in model.model_fields.items():
        wire = info.serialization_alias or info.alias or name
        for sub, where in _submodels(info.annotation, f"{path}.{wire}" if path else wire):
            out |= model_content_models(sub, where)
    return out


def _name(key: Key) -> str:
    return f"{key[0]}/{key[1]}/v{key[2]}"


def test_schema_files_follow_the_layout() -> None:
    misplaced = [
        str(p.relative_to(SCHEMA_ROOT))
        for p in SCHEMA_ROOT.rglob("*.json")
        if p.parent.name != "envelope" and p not in schema_files().values()
    ]
    assert not misplaced, f"not at schemas/<topic>/<Type>/v<N>.json: {misplaced}"


def test_every_schema_has_a_model_and_every_model_a_schema() -> None:
    files, models = set(schema_files()), set(MODELS)
    assert not files - models, f"schemas without a model: {sorted(map(_name, files - models))}"
    assert not models - files, f"models without a schema: {sorted(map(_name, models - files))}"


def test_every_type_in_the_catalog_has_a_schema() -> None:
    have = {(topic, type_name) for topic, type_name, _ in schema_files()}
    missing = [f"{t.name}/{n}" for t in CATALOG for n in t.types if (t.name, n) not in have]
    assert not missing, f"types the catalog declares without a schema: {missing}"


@pytest.mark.parametrize("key", sorted(MODELS), ids=_name)
def test_model_knows_its_key(key: Key) -> None:
    model = MODELS[key]
    assert issubclass(model, EventData)
    assert model.key() == key


@pytest.mark.parametrize("key", sorted(set(schema_files()) & set(MODELS)), ids=_name)
def test_model_mirrors_schema(key: Key) -> None:
    schema = json.loads(schema_files()[key].read_text())
    generated = MODELS[key].model_json_schema()
    ours, theirs = normalize(schema, schema), normalize(generated, generated)
    # Names and required sets first, so the commonest drift reads plainly ...
    for what in ("properties", "required"):
        mine, its = set(ours.get(what, ())), set(theirs.get(what, ()))
        assert mine == its, (
            f"{what}: only in the schema file {mine - its}, only in the model {its - mine}"
        )
    # ... then every validation keyword, down the tree.
    drift = list(differences(ours, theirs))
    assert not drift, f"{_name(key)}: model and schema drifted:\n  " + "\n  ".join(drift)


@pytest.mark.parametrize("key", sorted(set(schema_files()) & set(MODELS)), ids=_name)
def test_closed_schema_objects_are_forbidding_models(key: Key) -> None:
    # additionalProperties: false in the file <-> extra="forbid" on the model, at every
    # object with fixed properties (top level, `changes`); free-form maps are neither.
    schema = json.loads(schema_files()[key].read_text())
    in_file, in_model = schema_content_models(schema, schema), model_content_models(MODELS[key])
    assert in_file == in_model, (
        f"{_name(key)}: closed (True) / open (False) differ:\n"
        f"  schema file: {in_file}\n  model:       {in_model}"
    )


def test_normalizer_compares_closed_content_models() -> None:
    # A closed schema file against an open model (extra="allow" emits true, "ignore" nothing).
    closed: dict[str, Any] = {"type": "object", "additionalProperties": False}
    for open_model in ({"type": "object", "additionalProperties": True}, {"type": "object"}):
        found = list(differences(normalize(closed, closed), normalize(open_model, open_model)))
        assert found == ["additionalProperties: in the schema file (False), not in the model"]
    assert not list(differences(normalize(closed, closed), normalize(closed, closed)))


def test_normalizer_folds_optional_and_inlines_refs() -> None:
    hand: dict[str, Any] = {
        "type": "object",
        "properties": {
            "a": {"type": ["string", "null"], "format": "uuid", "description": "x"},
            "b": {"$ref": "#/$defs/S", "description": "y"},
        },
        "$defs": {"S": {"type": "string", "enum": ["p", "q"]}},
    }
    pyd: dict[str, Any] = {
        "type": "object",
        "title": "T",
        "additionalProperties": True,
        "properties": {
            "a": {"anyOf": [{"type": "string", "format": "uuid"}, {"type": "null"}]},
            "b": {"enum": ["q", "p"], "type": "string", "title": "B"},
        },
    }
    assert normalize(hand, hand) == normalize(pyd, pyd)
    pyd["properties"]["b"]["enum"] = ["p"]
    assert list(differences(normalize(hand, hand), normalize(pyd, pyd))) == [
        "properties.b.enum: schema file says ['p', 'q'], model says ['p']"
    ]


# The msgspec Structs typed handlers receive (schemas/models/structs.py) are generated from
# the schema files; these fail when the files changed and the Structs were not regenerated.


def test_structs_are_generated_from_the_schema_files_as_they_are() -> None:
    assert STRUCTS_FILE.read_text() == struct_codegen.generate(), (
        "schemas/models/structs.py drifted from the schema files: "
        "run python -m schemas.models.struct_codegen"
    )


def test_every_schema_has_a_struct_and_every_struct_a_schema() -> None:
    files, structs = set(schema_files()), set(STRUCTS)
    assert files == structs, (
        f"without a Struct: {sorted(map(_name, files - structs))}; "
        f"without a schema: {sorted(map(_name, structs - files))}"
    )


@pytest.mark.parametrize("key", sorted(set(schema_files()) & set(STRUCTS)), ids=_name)
def test_struct_takes_every_example_and_gives_it_back(key: Key) -> None:
    schema = json.loads(schema_files()[key].read_text())
    for example in schema.get("examples", []):
        payload = msgspec.convert(example, STRUCTS[key])
        # Optional fields left out come back as null; nothing else may change.
        assert _without_added_nulls(msgspec.to_builtins(payload), example) == example


def _without_added_nulls(back: Any, sent: Any) -> Any:
    # A Struct gives a left-out optional field back as null, at any depth.
    if isinstance(back, dict) and isinstance(sent, dict):
        return {
            k: _without_added_nulls(v, sent.get(k))
            for k, v in back.items()
            if k in sent or v is not None
        }
    if isinstance(back, list) and isinstance(sent, list) and len(back) == len(sent):
        return [_without_added_nulls(b, s) for b, s in zip(back, sent, strict=True)]
    return back


@pytest.mark.parametrize("key", sorted(set(schema_files()) & set(STRUCTS)), ids=_name)
def test_struct_fields_are_the_schema_properties(key: Key) -> None:
    # The generator check above already implies this; it is stated so a hand edit of the
    # generator that drops or renames fields reads plainly here.
    schema = json.loads(schema_files()[key].read_text())
    fields = {f.encode_name: f.required for f in msgspec.structs.fields(STRUCTS[key])}
    required = set(schema.get("required", ()))
    assert fields == {name: name in required for name in schema["properties"]}
