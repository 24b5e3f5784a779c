"""Finding system programs and naming the packages to install."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.tooling.stack.errors import StackError
from streams.tooling.stack.syspkg import ensure_packages, parse_java_major


def test_java_versions_are_parsed_old_and_new_style() -> None:
    assert parse_java_major('openjdk version "17.0.15" 2025-04-15') == 17
    assert parse_java_major('java version "1.8.0_392"') == 8
    assert parse_java_major('openjdk version "21" 2023-09-19') == 21
    assert parse_java_major("garbage") is None


def test_without_root_the_missing_packages_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    with pytest.raises(StackError) as info:
        ensure_packages(["redis-server", "maven"], lambda _: None, tmp_path / "apt.log")
    message = str(info.value)
    assert "missing system packages: maven, redis-server" in message
    assert "sudo apt-get install -y maven redis-server" in message


def test_nothing_missing_means_nothing_to_do(tmp_path: Path) -> None:
    ensure_packages([], lambda _: None, tmp_path / "apt.log")
    assert not (tmp_path / "apt.log").exists()
