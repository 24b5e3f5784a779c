"""Finding the system programs the stack runs, and installing the missing Debian packages."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

from streams.tooling.stack.errors import StackError
from streams.tooling.stack.logs import tail_lines

JAVA_PACKAGE = "openjdk-17-jre-headless"
MAVEN_PACKAGE = "maven"
POSTGRES_PACKAGE = "postgresql"
REDIS_PACKAGE = "redis-server"
MIN_JAVA = 17

_VERSION_RE = re.compile(r'version "(\d+)(?:\.(\d+))?')


def parse_java_major(version_output: str) -> int | None:
    """Major Java version from `java -version` output ("1.8.0" -> 8, "17.0.15" -> 17)."""
    match = _VERSION_RE.search(version_output)
    if match is None:
        return None
    major = int(match.group(1))
    if major == 1 and match.group(2):
        return int(match.group(2))
    return major


def java_major(java: str) -> int | None:
    """Major version of the given java binary, or None when it does not run."""
    try:
        done = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return parse_java_major(done.stderr + done.stdout)


def find_java() -> str | None:
    """A java binary of version 17 or newer: $JAVA_HOME, PATH, then /usr/lib/jvm."""
    candidates: list[str] = []
    if home := os.environ.get("JAVA_HOME"):
        candidates.append(str(Path(home) / "bin" / "java"))
    if on_path := shutil.which("java"):
        candidates.append(on_path)
    candidates.extend(str(p) for p in sorted(Path("/usr/lib/jvm").glob("*/bin/java"), reverse=True))
    seen: set[str] = set()
    for candidate in candidates:
        if candidate in seen or not os.access(candidate, os.X_OK):
            continue
        seen.add(candidate)
        major = java_major(candidate)
        if major is not None and major >= MIN_JAVA:
            return candidate
    return None


def find_postgres_bindir() -> Path | None:
    """Directory holding initdb/pg_ctl/postgres: pg_config, newest /usr/lib/postgresql, PATH."""
    candidates: list[Path] = []
    if pg_config := shutil.which("pg_config"):
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=False
            ).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            out = ""
        if out:
            candidates.append(Path(out))
    versions = [p for p in Path("/usr/lib/postgresql").glob("*/bin") if p.parent.name.isdigit()]
    candidates.extend(sorted(versions, key=lambda p: int(p.parent.name), reverse=True))
    if initdb := shutil.which("initdb"):
        candidates.append(Path(initdb).parent)
    for bindir in candidates:
        if all((bindir / tool).exists() for tool in ("initdb", "pg_ctl", "postgres")):
            return bindir
    return None


def install_hint(packages: Sequence[str]) -> str:
    """The command a user should run to install packages."""
    return f"sudo apt-get install -y {' '.join(packages)}"


def ensure_packages(
    packages: Sequence[str], report: Callable[[str], None], log_path: Path
) -> None:
    """Install missing packages with apt-get when root; otherwise explain what to install."""
    wanted = sorted(set(packages))
    if not wanted:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise StackError(
            f"missing system packages: {', '.join(wanted)}\n"
            f"install them with: {install_hint(wanted)}\nthen run the command again"
        )
    report(f"installing missing system packages with apt-get: {' '.join(wanted)} (log: {log_path})")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        for argv in (["apt-get", "update"], ["apt-get", "install", "-y", *wanted]):
            done = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT, env=env, check=False)
            if done.returncode != 0:
                tail = "\n".join(tail_lines(log_path, 20))
                raise StackError(
                    f"`{' '.join(argv)}` failed (exit {done.returncode}); "
                    f"last lines of {log_path}:\n{tail}"
                )
    report(f"installed {' '.join(wanted)}")
