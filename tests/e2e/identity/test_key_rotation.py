"""Signing-key rotation on a running `dafnck up` (DAFNCK_KEYS_RELOAD_S=1): `dafnck keys rotate`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jwt
import pytest

from tests.e2e.identity.platform import Edge, eventually

pytestmark = pytest.mark.e2e
REPO_ROOT = Path(__file__).resolve().parents[3]


def _dafnck(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "streams", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _kid(token: str) -> str:
    return str(jwt.get_unverified_header(token)["kid"])


def test_after_a_rotation_old_tokens_verify_and_new_ones_carry_the_new_kid(edge: Edge) -> None:
    keys = str(edge.state_dir / "keys")
    before = edge.admin_token()
    rotated = _dafnck("keys", "rotate", "--keys-dir", keys)
    assert rotated.returncode == 0, rotated.stderr
    listed = _dafnck("keys", "list", "--keys-dir", keys, "--json")
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    new_kid = next(r["kid"] for r in rows if r["active"])
    assert next(r["kid"] for r in rows if not r["active"]) == _kid(before)
    assert new_kid in rotated.stdout

    def signed_with_the_new_key() -> str | None:
        token = edge.admin_token()
        return token if _kid(token) == new_kid else None

    # The edge re-reads the directory within DAFNCK_KEYS_RELOAD_S (1 s here).
    after = eventually(signed_with_the_new_key, timeout=10)
    assert after, "the edge still signs with the old key"
    assert edge.call("GET", "/api/me", token=before).status == 200
    assert edge.call("GET", "/api/me", token=after).status == 200
    published = [k["kid"] for k in edge.call("GET", "/.well-known/jwks.json").body["keys"]]
    assert published[0] == new_kid and _kid(before) in published
