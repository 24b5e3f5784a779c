"""Where the platform keeps its local state (stack data, signing keys): one rule for every part."""

from __future__ import annotations

import os
from pathlib import Path

STATE_DIR_ENV = "DAFNCK_STATE_DIR"
DEFAULT_DIR_NAME = ".dafnck"


def default_state_dir() -> Path:
    """The state directory: $DAFNCK_STATE_DIR, else .dafnck/ in the current directory."""
    configured = os.environ.get(STATE_DIR_ENV, "").strip()
    base = Path(configured).expanduser() if configured else Path.cwd() / DEFAULT_DIR_NAME
    return base.resolve()
