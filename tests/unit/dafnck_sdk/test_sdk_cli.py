"""``dafnck agent run``: handler loading, usage errors and exit codes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from streams.tooling.cli.agent_cmd import HandlerError, load_handler
from streams.tooling.cli.main import main
from tests.unit.dafnck_sdk.fake_edge import GOOD_KEY, running_edge, until

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = "dafnck_sdk.examples.summarizer"
# `dafnck` with only the agent command: the full parser imports every command (seconds).
ONLY_AGENT_CMD = """
import argparse, sys
from streams.tooling.cli import agent_cmd
parser = argparse.ArgumentParser(prog="dafnck")
agent_cmd.register(parser.add_subparsers())
args = parser.parse_args()
sys.exit(args.func(args))
"""


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("summarize", "must be MODULE:FUNCTION"),
        (":summarize", "must be MODULE:FUNCTION"),
        (f"{EXAMPLE}:", "must be MODULE:FUNCTION"),
        ("no_such_module_xyz:run", "cannot import module 'no_such_module_xyz'"),
        (f"{EXAMPLE}:summarise", "has no 'summarise'"),
        (f"{EXAMPLE}:SUMMARY_CHARS", "is a int, not a function"),
    ],
)
def test_a_bad_handler_is_refused_with_what_failed(spec: str, says: str) -> None:
    with pytest.raises(HandlerError, match=says):
        load_handler(spec)


def test_a_missing_function_lists_what_the_module_offers() -> None:
    with pytest.raises(HandlerError) as refused:
        load_handler(f"{EXAMPLE}:summarise")
    assert "echo" in str(refused.value) and "summarize" in str(refused.value)


def test_a_module_in_the_current_directory_is_importable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = f"my_agent_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text("async def handle(task):\n    return {}\n")
    (tmp_path / f"{name}_broken.py").write_text("import no_such_dependency_xyz\n")
    (tmp_path / f"{name}_raises.py").write_text("raise RuntimeError('needs OPENAI_API_KEY')\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    assert load_handler(f"{name}:handle").__name__ == "handle"
    with pytest.raises(HandlerError, match=r"no_such_dependency_xyz.*a module it imports"):
        load_handler(f"{name}_broken:handle")
    with pytest.raises(HandlerError, match="RuntimeError: needs OPENAI_API_KEY"):
        load_handler(f"{name}_raises:handle")


def test_without_a_key_it_says_how_to_get_one_and_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DAFNCK_AGENT_KEY", raising=False)
    assert main(["agent", "run", "--name", "a", "--handler", f"{EXAMPLE}:noop"]) == 2
    assert "POST /api/agents/{agent_id}/keys" in capsys.readouterr().err


def test_a_bad_handler_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DAFNCK_AGENT_KEY", "dka_x_y")
    assert main(["agent", "run", "--name", "a", "--handler", "nope"]) == 2
    assert "must be MODULE:FUNCTION" in capsys.readouterr().err


@pytest.mark.parametrize(
    "extra", [["--concurrency", "0"], ["--capabilities", " , "], ["--concurrency", "two"]]
)
def test_bad_options_are_usage_errors(extra: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["agent", "run", "--name", "a", "--handler", f"{EXAMPLE}:noop", *extra])
    assert exited.value.code == 2


async def test_a_refused_key_prints_the_reason_and_exits_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    async with running_edge() as edge:
        argv = ["agent", "run", "--name", "a", "--handler", f"{EXAMPLE}:noop"]
        argv += ["--edge", edge.url, "--key", "dka_k1_wrong", "--log-level", "ERROR"]
        code = await asyncio.to_thread(main, argv)
    assert code == 1
    assert "unknown or revoked agent key" in capsys.readouterr().err


async def test_sigterm_stops_the_agent_and_exits_0() -> None:
    async with running_edge() as edge:
        env = {**os.environ, "DAFNCK_AGENT_KEY": GOOD_KEY, "DAFNCK_EDGE_URL": edge.url}
        env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", ONLY_AGENT_CMD, "agent", "run", "--name", "tester",
            "--capabilities", "x", "--handler", f"{EXAMPLE}:echo",
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            await until(lambda: edge.ws is not None, timeout=20)
            await edge.offer("t1", input={"n": 1})
            await until(lambda: edge.frames("result"))
            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(process.wait(), 5) == 0
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    assert edge.frames("result")[0]["output"] == {"echo": {"n": 1}, "agent": "tester"}
