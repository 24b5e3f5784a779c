"""Preparing a private Postgres cluster: which OS user runs it, its directory, initdb, options."""

from __future__ import annotations

import os
import pwd
import shlex
import stat
import subprocess
from collections.abc import Sequence
from pathlib import Path

from streams.tooling.stack.component import Report
from streams.tooling.stack.endpoints import PG_USER
from streams.tooling.stack.errors import ComponentError, StackError

FALLBACK_OS_USER = "dafnck"
# sun_path is 108 bytes on Linux; a longer socket path makes the postmaster refuse to start.
MAX_SOCKET_PATH = 100


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def pg_os_user(report: Report) -> str | None:
    """The OS user to run Postgres as: None (ourselves) unless root, as initdb refuses root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", FALLBACK_OS_USER):
        if _user_exists(name):
            return name
    report(f"creating system user {FALLBACK_OS_USER!r} to run Postgres (it refuses to run as root)")
    done = subprocess.run(
        ["useradd", "--system", "--user-group", "--no-create-home",
         "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", FALLBACK_OS_USER],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0 and not _user_exists(FALLBACK_OS_USER):
        raise StackError(f"useradd {FALLBACK_OS_USER} failed: {done.stderr.strip()}")
    return FALLBACK_OS_USER


def as_user(argv: Sequence[str], user: str | None) -> list[str]:
    """argv, run as ``user`` through runuser when one is given."""
    return ["runuser", "-u", user, "--", *argv] if user else list(argv)


def prepare_dir(pg_dir: Path, user: str | None, report: Report) -> None:
    """Create the component directory, owned by and reachable for the Postgres OS user."""
    pg_dir.mkdir(parents=True, exist_ok=True)
    if user is None:
        return
    entry = pwd.getpwnam(user)
    if pg_dir.stat().st_uid != entry.pw_uid:
        for path in [pg_dir, *pg_dir.rglob("*")]:
            os.chown(path, entry.pw_uid, entry.pw_gid, follow_symlinks=False)
    for parent in pg_dir.parents:
        mode = parent.stat().st_mode
        if parent.stat().st_uid != entry.pw_uid and not mode & stat.S_IXOTH:
            # Search (x) only, not read: enough for the user to reach its own directory.
            parent.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)
            report(f"made {parent} traversable (o+x) so user {user!r} can reach its data")


def give_to_user(path: Path, user: str | None) -> None:
    """Make a file we created owned by the Postgres OS user (no-op when running as ourselves)."""
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(path, entry.pw_uid, entry.pw_gid)


def initdb(bindir: Path, data_dir: Path, user: str | None, log_path: Path) -> None:
    """Create the cluster: trust auth on loopback, superuser dafnck, UTF-8."""
    argv = [
        str(bindir / "initdb"), "-D", str(data_dir), "-A", "trust", "-U", PG_USER,
        "--encoding=UTF8", "--no-locale", "--no-instructions",
    ]  # fmt: skip
    with log_path.open("ab") as out:
        done = subprocess.run(
            as_user(argv, user), stdout=out, stderr=subprocess.STDOUT,
            cwd=data_dir.parent, check=False,
        )  # fmt: skip
    if done.returncode != 0:
        raise ComponentError("postgres", f"initdb exited {done.returncode}", log_path)


def socket_dir_for(pg_dir: Path, port: int) -> str:
    """Where the Unix socket goes; empty (TCP only) when the path would be too long."""
    socket_path = pg_dir / f".s.PGSQL.{port}"
    return str(pg_dir) if len(str(socket_path).encode()) <= MAX_SOCKET_PATH else ""


def server_options(port: int, socket_dir: str) -> list[str]:
    """postgres command-line settings: loopback only, our port and socket directory."""
    return [
        "-c", "listen_addresses=127.0.0.1",
        "-c", f"port={port}",
        "-c", f"unix_socket_directories={socket_dir}",
    ]  # fmt: skip


def pg_ctl_start_argv(
    bindir: Path, data_dir: Path, log_path: Path, options: Sequence[str], timeout: float
) -> list[str]:
    """pg_ctl start, waiting up to timeout seconds for the server to accept connections."""
    # pg_ctl hands -o to a shell, hence the quoting.
    return [
        str(bindir / "pg_ctl"), "start", "-w", "-t", str(int(timeout)),
        "-D", str(data_dir), "-l", str(log_path), "-o", shlex.join(options),
    ]  # fmt: skip


def pg_ctl_stop_argv(bindir: Path, data_dir: Path) -> list[str]:
    """pg_ctl stop in fast mode (roll back open transactions, then shut down)."""
    return [str(bindir / "pg_ctl"), "stop", "-D", str(data_dir), "-m", "fast", "-w", "-t", "60"]
