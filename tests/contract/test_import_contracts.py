"""The package boundaries of DESIGN.md §2-3 hold: `lint-imports` keeps every contract."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _lint_imports() -> subprocess.CompletedProcess[str]:
    exe = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    return subprocess.run(
        [exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )


def test_every_import_contract_is_kept() -> None:
    """A context importing the edge or another context, or a domain importing I/O, fails here."""
    result = _lint_imports()
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "BROKEN" not in result.stdout
    # The contracts that matter are the ones configured: each is named and kept.
    for name in (
        "Contexts are independent of each other",
        "Nothing imports the edge",
        "Domains are pure: no I/O library",
        "The edge reaches contexts only through its one list",
    ):
        assert name in result.stdout, f"contract {name!r} is not configured"
