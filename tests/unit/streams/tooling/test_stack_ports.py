"""Port selection for the local stack and its persistence in the state file."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from streams.tooling.stack.paths import StackPaths
from streams.tooling.stack.ports import candidate_ports, choose_port, ensure_port, port_is_free
from streams.tooling.stack.state import ComponentState, StackState, load_state, save_state


@pytest.fixture
def listener() -> Iterator[int]:
    """A port something else is listening on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_a_listening_port_is_not_free(listener: int) -> None:
    assert not port_is_free(listener)


def test_chosen_ports_avoid_the_ephemeral_range_and_given_ports() -> None:
    port = choose_port()
    assert port in candidate_ports()
    assert port_is_free(port)
    others = set(candidate_ports()) - {port}
    assert choose_port(others) == port


def test_a_free_persisted_port_is_kept() -> None:
    comp = ComponentState(ports={"main": 25555})
    assert ensure_port(comp, "main", set(), is_free=lambda p: True) == 25555


def test_a_taken_persisted_port_is_replaced_and_recorded(listener: int) -> None:
    comp = ComponentState(ports={"main": listener})
    messages: list[str] = []
    new = ensure_port(comp, "main", set(), report=messages.append)
    assert new != listener and comp.ports["main"] == new
    assert str(listener) in messages[0]


def test_a_port_used_by_another_component_is_not_reused() -> None:
    comp = ComponentState(ports={"main": 25555})
    new = ensure_port(comp, "main", {25555}, is_free=lambda p: True)
    assert new != 25555


def test_ports_survive_a_save_and_load(tmp_path: Path) -> None:
    paths = StackPaths(tmp_path / "state")
    assert load_state(paths) is None
    state = StackState()
    state.component("kafka").ports.update(broker=24001, controller=24002)
    state.component("redis").pid = 4242
    save_state(paths, state)
    loaded = load_state(paths)
    assert loaded is not None
    assert loaded.component("kafka").ports == {"broker": 24001, "controller": 24002}
    assert loaded.component("redis").pid == 4242
    assert loaded.ports_in_use(except_component="redis") == {24001, 24002}
    assert (paths.root / ".gitignore").read_text().strip().endswith("*")
