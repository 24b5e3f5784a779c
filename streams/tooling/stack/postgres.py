"""The local private PostgreSQL cluster as a stack component."""

from __future__ import annotations

import subprocess
from pathlib import Path

from streams.tooling.stack import pg_setup
from streams.tooling.stack.component import StackContext
from streams.tooling.stack.endpoints import PG_DATABASE, postgres_url
from streams.tooling.stack.errors import ComponentError, StackError
from streams.tooling.stack.logs import mark_start
from streams.tooling.stack.paths import StackPaths
from streams.tooling.stack.ports import ensure_port
from streams.tooling.stack.probes import postgres_answers
from streams.tooling.stack.procs import is_alive, is_same_process, read_pidfile, terminate
from streams.tooling.stack.state import ComponentState
from streams.tooling.stack.syspkg import POSTGRES_PACKAGE, find_postgres_bindir
from streams.tooling.stack.waiting import WaitResult, wait_for


class PostgresComponent:
    """A Postgres cluster under the state directory, started with pg_ctl."""

    name = "postgres"
    ready_timeout = 60.0

    def log_path(self, paths: StackPaths) -> Path:
        """The server log pg_ctl writes."""
        return paths.log_file(self.name)

    def address(self, state: ComponentState) -> str | None:
        """DATABASE_URL of the dafnck database."""
        port = state.ports.get("main")
        return postgres_url(port) if port else None

    def running_pid(self, ctx: StackContext) -> int | None:
        """The postmaster's pid (from postmaster.pid) when it runs on our data directory."""
        pid = read_pidfile(ctx.paths.pg_data / "postmaster.pid")
        if not is_same_process(pid, ["postgres", str(ctx.paths.pg_data)]):
            return None
        ctx.component(self.name).pid = pid
        return pid

    def missing_packages(self, ctx: StackContext) -> list[str]:
        """postgresql, when initdb/pg_ctl/postgres are nowhere to be found."""
        return [] if find_postgres_bindir() else [POSTGRES_PACKAGE]

    def _bindir(self) -> Path:
        bindir = find_postgres_bindir()
        if bindir is None:
            raise StackError("PostgreSQL server binaries not found (install postgresql)")
        return bindir

    def launch(self, ctx: StackContext) -> None:
        """initdb on first use, then pg_ctl start on a free loopback port."""
        paths, state = ctx.paths, ctx.component(self.name)
        bindir = self._bindir()
        user = pg_setup.pg_os_user(ctx.report)
        state.extra["os_user"] = user or ""
        pg_dir = paths.component_dir(self.name)
        pg_setup.prepare_dir(pg_dir, user, ctx.report)
        log = self.log_path(paths)
        if not (paths.pg_data / "PG_VERSION").exists():
            ctx.report(f"initialising a Postgres cluster in {paths.pg_data}")
            pg_setup.initdb(bindir, paths.pg_data, user, pg_dir / "initdb.log")
        # A postmaster.pid left by a crash could name a recycled pid; running_pid said no.
        (paths.pg_data / "postmaster.pid").unlink(missing_ok=True)
        port = ensure_port(
            state, "main", ctx.state.ports_in_use(except_component=self.name), report=ctx.report
        )
        ctx.report(f"starting postgres on 127.0.0.1:{port}")
        mark_start(log, self.name)
        pg_setup.give_to_user(log, user)  # pg_ctl appends to it as that user
        options = pg_setup.server_options(port, pg_setup.socket_dir_for(pg_dir, port))
        argv = pg_setup.pg_ctl_start_argv(bindir, paths.pg_data, log, options, self.ready_timeout)
        done = subprocess.run(
            pg_setup.as_user(argv, user), capture_output=True, text=True,
            cwd=pg_dir, start_new_session=True, check=False,
        )  # fmt: skip
        state.pid = read_pidfile(paths.pg_data / "postmaster.pid")
        ctx.save()
        if done.returncode != 0:
            reason = (done.stdout + done.stderr).strip().splitlines()
            raise ComponentError(self.name, reason[-1] if reason else "pg_ctl start failed", log)

    def wait_ready(self, ctx: StackContext, timeout: float) -> None:
        """Wait until it accepts connections, then make sure the dafnck database exists."""
        state = ctx.component(self.name)
        port = state.ports.get("main")
        if port is None:
            raise StackError("postgres has no port recorded; run `dafnck stack up`")
        admin_url = postgres_url(port, "postgres")
        pid = state.pid
        result = wait_for(
            lambda: postgres_answers(admin_url, timeout=2.0),
            timeout=timeout,
            alive=lambda: pid is not None and is_alive(pid),
        )
        log = self.log_path(ctx.paths)
        if result is not WaitResult.READY:
            what = "the server exited" if result is WaitResult.DIED else "no answer"
            raise ComponentError(self.name, f"{what} on 127.0.0.1:{port}", log)
        self._create_database(admin_url, ctx)

    def _create_database(self, admin_url: str, ctx: StackContext) -> None:
        import psycopg2  # only needed here, and slow to import for every `dafnck` command

        conn = psycopg2.connect(admin_url, connect_timeout=5)
        try:
            conn.autocommit = True  # CREATE DATABASE cannot run inside a transaction
            with conn.cursor() as cur:
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (PG_DATABASE,))
                if cur.fetchone() is None:
                    ctx.report(f"creating database {PG_DATABASE!r}")
                    cur.execute(f'CREATE DATABASE "{PG_DATABASE}"')
        finally:
            conn.close()

    def stop(self, ctx: StackContext) -> bool:
        """pg_ctl stop -m fast; signals as a fallback."""
        pid = self.running_pid(ctx)
        state = ctx.component(self.name)
        if pid is None:
            state.pid = None
            return False
        ctx.report(f"stopping postgres (pid {pid})...")
        user = state.extra.get("os_user") or None
        bindir = find_postgres_bindir()
        if bindir is not None:
            argv = pg_setup.pg_ctl_stop_argv(bindir, ctx.paths.pg_data)
            subprocess.run(
                pg_setup.as_user(argv, user), capture_output=True,
                cwd=ctx.paths.component_dir(self.name), check=False,
            )  # fmt: skip
        # Signals as a fallback when pg_ctl is gone or could not stop it.
        if is_alive(pid) and not terminate(pid, grace_seconds=20.0):
            raise StackError(f"postgres (pid {pid}) did not exit even after SIGKILL")
        state.pid = None
        ctx.save()
        return True
