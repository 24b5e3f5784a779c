"""Typed payloads: which Struct each (type, version) decodes to, and the handlers that want one.

A handler opts in by being wrapped with ``typed``: the pipeline then converts the event's
data, once and after the compiled validator has accepted it, into the generated msgspec
Struct of its schema (``schemas/models/structs.py``) and hands it over as ``ctx.payload``.
Handlers that are not wrapped keep receiving ``ctx.data`` as a dict, and pay nothing.

msgspec was chosen by ``tests/perf/bench_typed_payloads.py``: converting a validated dict
costs ~0.7 µs/object, against ~1.9 µs for frozen dataclasses (a generated constructor or a
pydantic ``TypeAdapter``), ~2.2 µs for a plain pydantic model and ~5.4 µs for the pydantic
mirrors with their rules; the kernel path spends ~200 µs on an event.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Generic, TypeVar

import msgspec

from streams.context import HandlerContext
from streams.registry import SchemaEntry, SchemaViolation

P = TypeVar("P", bound=msgspec.Struct)
PayloadKey = tuple[str, int]  # (type name, schema version)


class PayloadTypes:
    """(type name, version) -> the Struct that type's data is decoded to."""

    def __init__(self, structs: Mapping[PayloadKey, type[msgspec.Struct]] | None = None) -> None:
        self._structs: dict[PayloadKey, type[msgspec.Struct]] = dict(structs or {})
        self._names = {name for name, _ in self._structs}

    def register(self, type_name: str, version: int, struct: type[msgspec.Struct]) -> None:
        """Decode ``type_name`` at ``version`` to ``struct`` from now on."""
        self._structs[(type_name, version)] = struct
        self._names.add(type_name)

    def knows(self, type_name: str) -> bool:
        """Whether any version of ``type_name`` has a Struct."""
        return type_name in self._names

    def decode(self, entry: SchemaEntry, data: dict[str, Any]) -> msgspec.Struct:
        """The typed payload of data already valid against ``entry``; SchemaViolation if not."""
        struct = self._structs.get((entry.type, entry.version))
        if struct is None:
            raise SchemaViolation(
                "unknown-type", f"no payload type for {entry.type} v{entry.version}", "$.dataschema"
            )
        try:
            return msgspec.convert(data, struct)
        except msgspec.ValidationError as exc:
            # Valid JSON Schema data the Struct refuses means the two drifted: a contract
            # problem of this record's schema version, set aside like any invalid data.
            detail = f"payload type refused the data: {exc}"
            raise SchemaViolation("schema-invalid", detail, "$.data") from None


@lru_cache(maxsize=1)
def default_payload_types() -> PayloadTypes:
    """The Structs generated from the installed ``schemas/`` tree, by (type, version)."""
    from schemas.models.structs import STRUCTS

    # A type name on several topics (the reply types) has one shape: the generator checks it.
    return PayloadTypes({(type_name, version): s for (_, type_name, version), s in STRUCTS.items()})


@dataclass(kw_only=True)
class TypedContext(HandlerContext, Generic[P]):
    """A handler context that also carries the event's data as its typed payload."""

    payload: P


class TypedHandler(Generic[P]):
    """A handler that takes a ``TypedContext``; the pipeline decodes its payload first."""

    def __init__(self, handle: Callable[[TypedContext[P]], Awaitable[None]]) -> None:
        self.handle = handle
        self.__name__ = getattr(handle, "__name__", type(self).__name__)

    def __call__(self, ctx: HandlerContext) -> Awaitable[None]:
        """Run the wrapped handler; only a pipeline that decoded the payload may call it."""
        if not isinstance(ctx, TypedContext):
            raise TypeError(f"{self.__name__} takes a typed payload; run it through EventPipeline")
        # The handler's own coroutine, not one wrapping it: one frame less per event.
        return self.handle(ctx)


def typed(handle: Callable[[TypedContext[P]], Awaitable[None]]) -> TypedHandler[P]:
    """Opt a handler in to typed payloads: it reads ``ctx.payload`` instead of ``ctx.data``."""
    return TypedHandler(handle)
