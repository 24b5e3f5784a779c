"""``dafnck keys rotate|list``: the operator's hand on the access-token signing keys.

``rotate`` makes a new key active in the key directory the edge replicas read; each picks
it up within ``DAFNCK_KEYS_RELOAD_S`` and signs with it from then on. The previous key stays
in the JWKS, so tokens it signed keep verifying, until the longest of them has expired.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from users_svc.api.settings import keys_dir_from_env

if TYPE_CHECKING:
    from users_svc.api.signing.ring import KeyRing

LOCK_FILE = ".rotate.lock"


def register(subparsers: Any) -> None:
    """Add ``keys rotate`` and ``keys list`` to the ``dafnck`` parser."""
    parser = subparsers.add_parser("keys", help="rotate and list the access-token signing keys")
    parser.set_defaults(func=lambda _args: _usage(parser))
    commands = parser.add_subparsers(dest="keys_command", metavar="SUBCOMMAND")
    where = {
        "type": Path,
        "default": None,
        "help": "the key directory (default $DAFNCK_KEYS_DIR, else $DAFNCK_STATE_DIR/keys)",
    }
    rotate = commands.add_parser(
        "rotate",
        help="make a new key active; the previous one verifies until its tokens expire",
    )
    rotate.add_argument("--keys-dir", **where)
    rotate.set_defaults(func=run_rotate)
    listing = commands.add_parser("list", help="every key: kid, created, retiring")
    listing.add_argument("--keys-dir", **where)
    listing.add_argument("--json", action="store_true", help="one JSON object per key")
    listing.set_defaults(func=run_list)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _directory(args: argparse.Namespace) -> Path:
    chosen: Path | None = args.keys_dir
    return chosen.expanduser().resolve() if chosen is not None else keys_dir_from_env(os.environ)


def _when(moment: float | None) -> str:
    if moment is None:
        return "-"
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    # Two rotations at once would each retire the same key and one new key would be lost.
    fd = os.open(directory / LOCK_FILE, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _load(directory: Path) -> KeyRing | None:
    # Imported here: building the dafnck parser must not need the edge's crypto stack.
    from users_svc.api.signing.ring import RING_FILE, KeyRing

    if not (directory / RING_FILE).exists():
        print(
            f"no signing keys in {directory} (the edge creates them on its first start; "
            "--keys-dir or DAFNCK_KEYS_DIR names another directory)",
            file=sys.stderr,
        )
        return None
    return KeyRing.load(directory)


def run_rotate(args: argparse.Namespace) -> int:
    """Rotate the ring in place; exit 1 when there is none."""
    directory = _directory(args)
    if _load(directory) is None:
        return 1
    with _locked(directory):
        ring = _load(directory)  # again, under the lock
        assert ring is not None
        previous = ring.active
        kid = ring.rotate()
        ring.save(directory)
    print(f"new active key {kid}")
    print(
        f"previous key {previous.kid} stays published until {_when(previous.retire_at)} "
        f"(its tokens live at most {ring.max_token_lifetime_s} s)"
    )
    return 0


def key_rows(ring: KeyRing) -> list[dict[str, Any]]:
    """What ``list`` shows of each key, the active one first."""
    return [
        {
            "kid": key.kid,
            "active": key.kid == ring.active.kid,
            "created": _when(key.created_at),
            "retiring": _when(key.retire_at) if key.retire_at is not None else None,
        }
        for key in ring.keys
    ]


def run_list(args: argparse.Namespace) -> int:
    """Print the keys; exit 1 when there are none."""
    ring = _load(_directory(args))
    if ring is None:
        return 1
    rows = key_rows(ring)
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return 0
    print(f"{'KID':<45} {'CREATED':<21} RETIRING")
    for row in rows:
        kid = row["kid"] + (" *" if row["active"] else "")
        print(f"{kid:<45} {row['created']:<21} {row['retiring'] or '- (active)'}")
    return 0
