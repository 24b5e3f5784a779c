"""Refusals: the domain's answer when a command cannot be carried out."""

from __future__ import annotations


class Refusal(Exception):
    """A command refused with an HTTP status, a stable code, a message and the field at fault."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.field = field


def not_found(kind: str, ident: str, field: str | None = None) -> Refusal:
    """404 for an unknown agent, task, workflow, execution or key."""
    return Refusal(404, f"{kind}_not_found", f"no {kind} {ident}", field)


def not_active(kind: str, ident: str, path: str, field: str) -> Refusal:
    """404 for a task or execution that is unknown or already finished (write side forgets)."""
    return Refusal(
        404,
        f"{kind}_not_found",
        f"no active {kind} {ident} (a finished one is read with GET {path})",
        field,
    )


def conflict(code: str, message: str, field: str | None = None) -> Refusal:
    """409: the command conflicts with the current state."""
    return Refusal(409, code, message, field)


def unprocessable(code: str, message: str, field: str | None = None) -> Refusal:
    """422: the command is well-formed but cannot be satisfied."""
    return Refusal(422, code, message, field)
