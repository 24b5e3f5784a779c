"""Building blocks shared by the event-data models: base class, ids, tokens, text bounds."""

from __future__ import annotations

import re
from collections.abc import Hashable
from datetime import datetime
from ipaddress import IPv4Address, IPv6Address
from typing import Annotated, Any, ClassVar, Literal, TypeVar
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    model_validator,
)

from schemas import schema_id

# Patterns are written so Python `re`, Rust `regex` (pydantic) and ECMA-262 (JSON Schema)
# read them the same way: plain character classes, explicit anchors, no look-arounds.
TOKEN_PATTERN = r"^[a-z0-9][a-z0-9_.:-]{0,63}$"
ROLE_PATTERN = r"^[a-z][a-z0-9_-]{0,63}$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
NOT_BLANK_PATTERN = r"\S"
SHA256_HEX_PATTERN = r"^[0-9a-f]{64}$"
ARGON2ID_PATTERN = r"^\$argon2id\$"
PERMISSION_PATTERN = r"^([*]|[a-z][a-z_]{0,31}):([*]|[a-z][a-z_]{0,31})$"
API_KEY_ID_PATTERN = r"^[a-z0-9]{8}$"

BUILTIN_ROLES: tuple[str, ...] = ("admin", "operator", "member", "viewer")

_HEX = "[0-9a-fA-F]"
_UUID_TEXT = re.compile(f"{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}")


def _uuid_text(value: Any) -> Any:
    # pydantic's lax UUID also takes bytes, braces, urn:uuid: and unhyphenated text, which
    # JSON Schema's `format: uuid` refuses; a consumer must not accept what the contract forbids.
    if isinstance(value, UUID) or (isinstance(value, str) and _UUID_TEXT.fullmatch(value)):
        return value
    raise ValueError("must be a UUID in 8-4-4-4-12 hex form")


def _json_integer(value: Any) -> Any:
    # Lax int would coerce "4" and True; JSON Schema's integer refuses both (and accepts 4.0,
    # which lax int also accepts, so strict mode would be too strict).
    if isinstance(value, bool | str | bytes):
        raise ValueError("must be a JSON integer, not a string or boolean")
    return value


def _json_number(value: Any) -> Any:
    # Lax float would coerce "1.5" and True; JSON Schema's number refuses both.
    if isinstance(value, bool | str | bytes):
        raise ValueError("must be a JSON number, not a string or boolean")
    return value


def _ip_text(value: Any) -> Any:
    # Lax IPv4Address also takes integers and bytes; the schema's ipv4/ipv6 formats take text.
    if value is None or isinstance(value, IPv4Address | IPv6Address | str):
        return value
    raise ValueError("must be an IPv4 or IPv6 address as text, or null")


_Item = TypeVar("_Item", bound=Hashable)


def _unique(items: list[_Item]) -> list[_Item]:
    # JSON Schema's uniqueItems has no pydantic counterpart for lists; keep order, refuse dups.
    seen: set[_Item] = set()
    dups: set[_Item] = set()
    for item in items:
        (dups if item in seen else seen).add(item)
    if dups:
        repeated = ", ".join(sorted(str(d) for d in dups))
        raise ValueError(f"items must be unique; repeated: {repeated}")
    return items


Uuid = Annotated[UUID, BeforeValidator(_uuid_text)]
# Use as the LAST Annotated item, after Field bounds: bounds placed after a before-validator
# leak into the JSON schema as raw `ge`/`le` instead of minimum/maximum.
JSON_INTEGER = BeforeValidator(_json_integer)
# The same for numbers (floats): last Annotated item, after the Field bounds.
JSON_NUMBER = BeforeValidator(_json_number)
# The schema side of _unique: pydantic emits no uniqueItems for a list on its own.
_UNIQUE_ITEMS: dict[str, Any] = {"uniqueItems": True}
Token = Annotated[str, Field(pattern=TOKEN_PATTERN)]
UniqueTokens = Annotated[
    list[Token], AfterValidator(_unique), Field(max_length=64, json_schema_extra=_UNIQUE_ITEMS)
]
DisplayText = Annotated[str, Field(min_length=1, max_length=100, pattern=NOT_BLANK_PATTERN)]
Reason = Annotated[str, Field(min_length=1, max_length=500, pattern=NOT_BLANK_PATTERN)]
# EmailStr needs email-validator, which the platform does not ship; a pattern is enough
# to refuse obvious garbage, and `format: email` tells other validators what it is.
Email = Annotated[
    str, Field(pattern=EMAIL_PATTERN, max_length=254, json_schema_extra={"format": "email"})
]
# Hashes only: what may travel between the edge and the users worker instead of a secret.
Sha256Hex = Annotated[str, Field(pattern=SHA256_HEX_PATTERN)]
PasswordHash = Annotated[str, Field(max_length=512, pattern=ARGON2ID_PATTERN)]
ClientIp = Annotated[IPv4Address | IPv6Address | None, BeforeValidator(_ip_text)]
UserAgent = Annotated[str, Field(max_length=1024)] | None
CredentialsVersion = Annotated[int, Field(ge=1), JSON_INTEGER]
StrictBool = Annotated[bool, Strict()]
NonEmpty = Annotated[str, Field(min_length=1)]
BuiltinRole = Literal["admin", "operator", "member", "viewer"]
CustomRole = Annotated[str, Field(pattern=ROLE_PATTERN)]
# Built-in roles also match ROLE_PATTERN; the Literal branch is there to name them in the schema.
Role = BuiltinRole | CustomRole
UniqueRoles = Annotated[
    list[Role], AfterValidator(_unique), Field(max_length=32, json_schema_extra=_UNIQUE_ITEMS)
]
# ``resource:action``, either side ``*``; which resources and actions exist is the users
# domain's rule (it answers unknown ones with a reason), the contract only fixes the shape.
Permission = Annotated[str, Field(pattern=PERMISSION_PATTERN)]
Permissions = Annotated[
    list[Permission],
    AfterValidator(_unique),
    Field(min_length=1, max_length=64, json_schema_extra=_UNIQUE_ITEMS),
]
ApiKeyId = Annotated[str, Field(pattern=API_KEY_ID_PATTERN)]


def _rfc3339(value: str) -> str:
    # JSON Schema's date-time: a full date, a time and an offset (``Z`` or ``+hh:mm``).
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError("must be an RFC 3339 date-time") from None
    if "T" not in value.upper() or moment.tzinfo is None:
        raise ValueError("must be an RFC 3339 date-time with a time zone offset")
    return value


# Kept as the text that was sent, so a consumer re-emits exactly what it read.
Timestamp = Annotated[
    str, AfterValidator(_rfc3339), Field(json_schema_extra={"format": "date-time"})
]


class EventData(BaseModel):
    """The ``data`` of one event type and version; subclasses set TOPIC, TYPE and VERSION."""

    # Closed content model, like the schema files (additionalProperties: false): unknown
    # fields are refused. Under Confluent's JSON Schema rules only a closed model lets a
    # BACKWARD topic add an optional field in a new version; free-form fields (labels,
    # model_settings) stay free-form through their own types.
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, serialize_by_alias=True
    )

    TOPIC: ClassVar[str]
    TYPE: ClassVar[str]
    VERSION: ClassVar[int]

    @classmethod
    def key(cls) -> tuple[str, str, int]:
        """The (topic, type, version) this model mirrors."""
        return (cls.TOPIC, cls.TYPE, cls.VERSION)

    @classmethod
    def schema_id(cls) -> str:
        """The ``$id`` of the mirrored schema: the envelope's ``dataschema``."""
        return schema_id(cls.TOPIC, cls.TYPE, cls.VERSION)

    def to_data(self) -> dict[str, Any]:
        """The JSON-ready ``data`` payload: wire names, omitted optional fields left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


class Changes(BaseModel):
    """A partial update: only the changed fields, each with its new value; at least one."""

    # Closed, like the ``changes`` schemas: a field this version does not list is refused.
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"minProperties": 1})

    # Fields of a Changes model are typed `X | SkipJsonSchema[None] = None`: absent means
    # unchanged. An explicit null would be ambiguous (clear it? keep it?), so it is refused,
    # exactly as the schema (which does not allow null there) refuses it.
    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            # Only declared fields: an unknown field is refused as unknown (extra="forbid"),
            # whatever its value, and the error should say so rather than talk about nulls.
            nulls = sorted(k for k, v in data.items() if v is None and k in cls.model_fields)
            if nulls:
                raise ValueError(f"omit unchanged fields instead of sending null: {nulls}")
        return data

    @model_validator(mode="after")
    def _not_empty(self) -> Changes:
        if not self.model_fields_set:
            raise ValueError("changes must name at least one field")
        return self
