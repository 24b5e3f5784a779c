"""Benchmark: turning one validated ``data`` payload into a typed object, per library.

For a few real schemas (an agent event, a task command, a user event) it times, per object,
  - msgspec: ``convert`` of the validated dict, and ``json.decode(type=...)`` of the bytes,
  - pydantic v2 ``TypeAdapter`` of the schemas/models mirrors (rules included), of a plain
    BaseModel and of a stdlib dataclass (shapes only), ``validate_python`` and ``validate_json``,
  - frozen slotted dataclasses built by a generated constructor (no checks at all),
and prints µs/object and the ratio to the cheapest. The dict routes are what the kernel
would pay (it already holds the validated dict); the bytes routes are for comparison.

Then it times ``EventPipeline.process`` itself (no broker: decode, validate, handle, emit,
with and without aggregate state) with a plain and a typed handler, in ABBA order, best
of several rounds: the kernel's own µs/event, without Faust and Kafka's noise.

    python tests/perf/bench_typed_payloads.py [--rounds 20000] [--records 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
import timeit
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

import msgspec
import orjson
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, create_model

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from schemas import schema_path
from schemas.models import MODELS
from schemas.models.structs import STRUCTS
from tests.perf.pipeline_process import pipeline_us, status_records

Key = tuple[str, str, int]
KEYS: tuple[Key, ...] = (
    ("agent-events", "AgentStatusChanged", 1),
    ("agent-events", "AgentCreated", 1),
    ("agent-commands", "SubmitTask", 1),
    ("user-events", "UserCreated", 1),
)


def sample(key: Key) -> dict[str, Any]:
    """The schema file's richest example (most fields)."""
    examples: list[dict[str, Any]] = json.loads(schema_path(*key).read_text())["examples"]
    richest: dict[str, Any] = max(examples, key=len)
    return dict(richest)


def _hints(struct: type[msgspec.Struct]) -> dict[str, Any]:
    module = sys.modules[struct.__module__]
    return typing.get_type_hints(struct, vars(module))


def _wire(struct: type[msgspec.Struct]) -> dict[str, tuple[str, bool]]:
    # attribute -> (wire name, required)
    return {
        f.name: (f.encode_name, f.required) for f in msgspec.structs.fields(struct)
    }


def _map_type(hint: Any, convert: Callable[[type[msgspec.Struct]], Any]) -> Any:
    if isinstance(hint, type) and issubclass(hint, msgspec.Struct):
        return convert(hint)
    origin, args = get_origin(hint), get_args(hint)
    # Rebuilt at run time with the mapped arguments (typing objects are subscriptable).
    if origin is list:
        return list.__class_getitem__(_map_type(args[0], convert))
    if origin is dict:
        return dict.__class_getitem__((args[0], _map_type(args[1], convert)))
    if origin in (Union, types.UnionType):
        return Union.__getitem__(tuple(_map_type(a, convert) for a in args))
    return hint


def pydantic_model(struct: type[msgspec.Struct], cache: dict[str, Any]) -> Any:
    """A plain pydantic BaseModel with the Struct's shape (no rules)."""
    if struct.__name__ in cache:
        return cache[struct.__name__]
    fields: dict[str, Any] = {}
    for attr, hint in _hints(struct).items():
        wire, required = _wire(struct)[attr]
        mapped = _map_type(hint, lambda s: pydantic_model(s, cache))
        fields[attr] = (mapped, Field(alias=wire) if required else Field(None, alias=wire))
    model = create_model(
        f"Plain{struct.__name__}",
        __config__=ConfigDict(frozen=True, extra="forbid"),
        **fields,
    )
    cache[struct.__name__] = model
    return model


def std_dataclass(struct: type[msgspec.Struct], cache: dict[str, Any], alias: bool) -> Any:
    """A frozen slotted stdlib dataclass with the Struct's shape."""
    key = f"{struct.__name__}:{alias}"
    if key in cache:
        return cache[key]
    specs: list[Any] = []
    for attr, hint in _hints(struct).items():
        wire, required = _wire(struct)[attr]
        mapped = _map_type(hint, lambda s: std_dataclass(s, cache, alias))
        if alias and wire != attr:
            mapped = Annotated[mapped, Field(alias=wire)]
        optional = dataclasses.field(default=None)
        specs.append((attr, mapped) if required else (attr, mapped, optional))
    cls = dataclasses.make_dataclass(
        f"Dc{struct.__name__}", specs, frozen=True, slots=True, kw_only=True
    )
    cache[key] = cls
    return cls


def _builder_expr(hint: Any, value: str, builders: dict[str, Any], cache: dict[str, Any]) -> str:
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return f"{constructor(hint, builders, cache)}({value})"
    origin, args = get_origin(hint), get_args(hint)
    if origin is list and _needs_build(args[0]):
        return f"[{_builder_expr(args[0], 'i', builders, cache)} for i in {value}]"
    if origin is dict and _needs_build(args[1]):
        return f"{{k: {_builder_expr(args[1], 'v', builders, cache)} for k, v in {value}.items()}}"
    if args and type(None) in args:
        inner = [a for a in args if a is not type(None)]
        if len(inner) == 1 and _needs_build(inner[0]):
            built = _builder_expr(inner[0], "_v", builders, cache)
            return f"(None if (_v := {value}) is None else {built})"
    return value


def _needs_build(hint: Any) -> bool:
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return True
    return any(_needs_build(a) for a in get_args(hint))


def constructor(cls: Any, builders: dict[str, Any], cache: dict[str, Any]) -> str:
    """Generate ``build_<cls>(data)`` (once) and return its name."""
    name = f"build_{cls.__name__}"
    if name in builders:
        return name
    builders[name] = None  # recursion guard
    wires = cache[f"wire:{cls.__name__}"]
    hints = typing.get_type_hints(cls)
    args = []
    for f in dataclasses.fields(cls):
        wire, required = wires[f.name]
        value = f"d[{wire!r}]" if required else f"d.get({wire!r})"
        args.append(f"{f.name}={_builder_expr(hints[f.name], value, builders, cache)}")
    source = f"def {name}(d):\n    return _cls({', '.join(args)})\n"
    scope: dict[str, Any] = {"_cls": cls}
    exec(source, builders | scope, scope)  # trusted: built from our own schema files
    builders[name] = scope[name]
    return name


def generated_constructor(struct: type[msgspec.Struct]) -> Callable[[dict[str, Any]], Any]:
    """A constructor of plain frozen dataclasses written out for the Struct's shape."""
    cache: dict[str, Any] = {}
    cls = std_dataclass(struct, cache, alias=False)
    for s in _all_structs(struct):
        cache[f"wire:Dc{s.__name__}"] = _wire(s)
    builders: dict[str, Any] = {}
    name = constructor(cls, builders, cache)
    for fn in builders.values():
        fn.__globals__.update(builders)
    return typing.cast(Callable[[dict[str, Any]], Any], builders[name])


def _all_structs(struct: type[msgspec.Struct]) -> list[type[msgspec.Struct]]:
    found = [struct]
    for hint in _hints(struct).values():
        stack = [hint]
        while stack:
            h = stack.pop()
            if isinstance(h, type) and issubclass(h, msgspec.Struct):
                found += _all_structs(h)
            stack += list(get_args(h))
    return found


def routes(key: Key) -> dict[str, tuple[Callable[[Any], Any], bool]]:
    """Name -> (convert, takes bytes) for one schema."""
    struct = STRUCTS[key]
    rules_model: type[BaseModel] = MODELS[key]
    plain = TypeAdapter(pydantic_model(struct, {}))
    dc = TypeAdapter(std_dataclass(struct, {}, alias=True))
    rules = TypeAdapter(rules_model)
    decoder = msgspec.json.Decoder(struct)
    return {
        "msgspec convert(dict)": (lambda d: msgspec.convert(d, struct), False),
        "msgspec json.decode(bytes)": (decoder.decode, True),
        "dataclass, generated constructor(dict)": (generated_constructor(struct), False),
        "pydantic TypeAdapter[BaseModel] validate_python": (plain.validate_python, False),
        "pydantic TypeAdapter[BaseModel] validate_json": (plain.validate_json, True),
        "pydantic TypeAdapter[dataclass] validate_python": (dc.validate_python, False),
        "pydantic TypeAdapter[dataclass] validate_json": (dc.validate_json, True),
        "pydantic schemas.models mirror validate_python": (rules.validate_python, False),
        "reference: orjson.loads(bytes) to a dict": (orjson.loads, True),
    }


def time_us(fn: Callable[[Any], Any], arg: Any, rounds: int) -> float:
    """Best of five runs, µs per call."""
    fn(arg)  # fails loudly if the route cannot take the sample
    return min(timeit.repeat(lambda: fn(arg), number=rounds, repeat=5)) / rounds * 1e6


def main(rounds: int) -> None:
    """Print µs/object per route and schema, and each route's ratio to the cheapest."""
    table: dict[str, list[float]] = {}
    for key in KEYS:
        data = sample(key)
        raw = orjson.dumps(data)
        print(f"{key[0]}/{key[1]}/v{key[2]}: {len(raw)} bytes")
        for name, (fn, takes_bytes) in routes(key).items():
            table.setdefault(name, []).append(time_us(fn, raw if takes_bytes else data, rounds))
    typed = {n: sum(v) / len(v) for n, v in table.items() if not n.startswith("reference")}
    cheapest = min(typed.values())
    header = "".join(f"{k[1][:14]:>16}" for k in KEYS)
    print(f"\n{'µs/object':<50}{header}{'mean':>10}{'x cheapest':>12}")
    for name, values in sorted(table.items(), key=lambda kv: sum(kv[1])):
        mean = sum(values) / len(values)
        cells = "".join(f"{v:>16.2f}" for v in values)
        print(f"{name:<50}{cells}{mean:>10.2f}{mean / cheapest:>12.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20_000, help="calls per timing run")
    parser.add_argument("--records", type=int, default=10_000, help="records per pipeline run")
    options = parser.parse_args()
    main(options.rounds)
    print(f"\nEventPipeline.process, AgentStatusChanged, {options.records:,} records per run:")
    for kind, micros in asyncio.run(pipeline_us(status_records(options.records))).items():
        print(f"  {kind:<28}{micros:>8.1f} µs/event")
