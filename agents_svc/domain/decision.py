"""One command's decision: the record changes it makes and the messages it sends.

Changes are applied to the state as they are decided (later steps of the same decision see
them), with an undo log: a refusal or a failure rolls the state back to what it was, so a
refused command changes nothing. ``changes`` then lists the final value of every touched
key, which is what the journal and the table persist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from agents_svc.domain.errors import Refusal
from agents_svc.domain.state import Record, SchedulerState

OutputKind = Literal["event", "delivery"]


@dataclass(frozen=True)
class Output:
    """An event for agent-events or a delivery for agent-deliveries."""

    kind: OutputKind
    type: str
    subject: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Answer:
    """The reply to the command (HTTP-originated commands only)."""

    http_status: int
    resource: dict[str, Any] | None = None
    refusal: Refusal | None = None


@dataclass
class SchedulerDecision:
    """Accumulates the effects of one command against the scheduler state."""

    state: SchedulerState
    now: float
    actor: str | None = None
    outputs: list[Output] = field(default_factory=list)
    answer: Answer | None = None
    # Agents whose load changed: their online/busy status is settled once, at the end, so
    # a slot freed and filled again in one decision announces nothing.
    load_changed: set[str] = field(default_factory=set)
    _undo: list[tuple[str, Record | None]] = field(default_factory=list)
    _touched: dict[str, None] = field(default_factory=dict)

    def get(self, key: str) -> Record | None:
        """The record as this decision sees it so far."""
        return self.state.get(key)

    def put(self, key: str, value: Record | None) -> None:
        """Replace or delete a record."""
        self._undo.append((key, self.state.put(key, value)))
        self._touched[key] = None

    def update(self, key: str, **fields: Any) -> Record:
        """Replace a record by a copy with some fields changed; returns the new record."""
        old = self.state.get(key)
        if old is None:
            raise KeyError(key)
        new = {**old, **fields}
        self.put(key, new)
        return new

    def event(self, type_name: str, subject: str, data: dict[str, Any]) -> None:
        """Queue an event on agent-events."""
        self.outputs.append(Output("event", type_name, subject, data))

    def deliver(self, type_name: str, agent_id: str, data: dict[str, Any]) -> None:
        """Queue a delivery to one agent on agent-deliveries."""
        self.outputs.append(Output("delivery", type_name, agent_id, {"agent_id": agent_id, **data}))

    def reply(self, resource: dict[str, Any] | None, http_status: int = 200) -> None:
        """Answer the command."""
        self.answer = Answer(http_status, resource)

    def rollback(self) -> None:
        """Undo every change (a refusal or a failure): the state is as before the command."""
        for key, old in reversed(self._undo):
            self.state.put(key, old)
        self._undo.clear()
        self._touched.clear()
        self.outputs.clear()
        self.load_changed.clear()
        self.answer = None

    def changes(self) -> dict[str, Record | None]:
        """The final value of every key this decision touched (None = deleted)."""
        return {key: self.state.get(key) for key in self._touched}
