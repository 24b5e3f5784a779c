"""The reply a service sends for each command, and the naming of reply topics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, cast

SUCCEEDED = "CommandSucceeded"
REJECTED = "CommandRejected"
REPLY_TYPES = (SUCCEEDED, REJECTED)
COMMANDS_SUFFIX = "-commands"
REPLIES_SUFFIX = "-replies"

ReplyStatus = Literal["succeeded", "rejected", "failed"]
STATUSES: tuple[ReplyStatus, ...] = ("succeeded", "rejected", "failed")


class ReplyInvalid(ValueError):
    """A reply whose fields contradict each other or the contract."""


def replies_topic_name(commands_topic: str) -> str:
    """``user-commands`` → ``user-replies``: where the answers to a command topic travel."""
    if not commands_topic.endswith(COMMANDS_SUFFIX):
        raise ValueError(f"{commands_topic!r} is not a command topic (no {COMMANDS_SUFFIX!r})")
    return commands_topic.removesuffix(COMMANDS_SUFFIX) + REPLIES_SUFFIX


@dataclass(frozen=True)
class ReplyError:
    """Why a command was not carried out, in terms a client can act on."""

    code: str
    message: str
    field: str | None = None

    def to_data(self) -> dict[str, str]:
        """The ``error`` object of the reply data."""
        out = {"code": self.code, "message": self.message}
        if self.field is not None:
            out["field"] = self.field
        return out


@dataclass(frozen=True)
class Reply:
    """The outcome of one command, as the service decided it."""

    # http_status is what the edge answers; a success may leave it to the route (None),
    # which then answers its own success status (201 for a create, 200 otherwise).

    command_id: str
    command_type: str
    status: ReplyStatus
    http_status: int | None = None
    resource: dict[str, Any] | None = None
    error: ReplyError | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ReplyInvalid(f"status must be one of {', '.join(STATUSES)}, got {self.status!r}")
        if self.status == "succeeded":
            if self.http_status is not None and not 200 <= self.http_status <= 299:
                raise ReplyInvalid(f"a success answers 2xx, not {self.http_status}")
            if self.error is not None:
                raise ReplyInvalid("a success carries no error")
            return
        # A rejection that looked like a success would be exactly the lie callers must not get.
        if self.http_status is None or not 400 <= self.http_status <= 599:
            raise ReplyInvalid(f"a {self.status} reply answers 4xx or 5xx, not {self.http_status}")
        if self.error is None:
            raise ReplyInvalid(f"a {self.status} reply says why: error is required")

    @property
    def type_name(self) -> str:
        """The CloudEvents type this reply travels as."""
        return SUCCEEDED if self.status == "succeeded" else REJECTED

    def to_data(self) -> dict[str, Any]:
        """The envelope's ``data`` object."""
        out: dict[str, Any] = {
            "command_id": self.command_id,
            "command_type": self.command_type,
            "status": self.status,
        }
        if self.http_status is not None:
            out["http_status"] = self.http_status
        if self.resource is not None:
            out["resource"] = self.resource
        if self.error is not None:
            out["error"] = self.error.to_data()
        return out

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Reply:
        """Read reply data back; ReplyInvalid when it is not a reply."""
        try:
            raw_error = data.get("error")
            error = None
            if raw_error is not None:
                error = ReplyError(
                    str(raw_error["code"]), str(raw_error["message"]), raw_error.get("field")
                )
            http_status = data.get("http_status")
            resource = data.get("resource")
            if http_status is not None and not isinstance(http_status, int):
                raise ReplyInvalid("http_status must be an integer")
            if resource is not None and not isinstance(resource, dict):
                raise ReplyInvalid("resource must be an object")
            return cls(
                command_id=str(data["command_id"]),
                command_type=str(data["command_type"]),
                status=cast(ReplyStatus, data["status"]),
                http_status=http_status,
                resource=resource,
                error=error,
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ReplyInvalid(f"not a reply: {exc!r}") from None
