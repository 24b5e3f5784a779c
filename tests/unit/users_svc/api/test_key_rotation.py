"""Signing-key rotation: ``dafnck keys`` on a key directory, and the edge re-reading it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jwt
import pytest

from streams.tooling.cli.main import main
from users_svc.api.signing.disk_ring import DiskRing, RingJwksProvider, load_or_create_ring
from users_svc.api.signing.ring import RING_FILE, KeyRing

ISSUER, AUDIENCE = "dafnck-users", "dafnck-api"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _kid(token: str) -> str:
    return str(jwt.get_unverified_header(token)["kid"])


def _rotate(directory: Path) -> str:
    ring = KeyRing.load(directory)
    kid = ring.rotate()
    ring.save(directory)
    # A second-resolution file system could hide a change within the same second.
    stat = (directory / RING_FILE).stat()
    os.utime(directory / RING_FILE, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    return kid


def test_the_edge_picks_a_rotation_up_at_its_next_check(tmp_path: Path) -> None:
    first = load_or_create_ring(tmp_path, ISSUER, 900)
    clock = Clock()
    ring = DiskRing(tmp_path, first, check_every_s=5, clock=clock)
    old_token = ring.sign("u", audience=AUDIENCE)
    new_kid = _rotate(tmp_path)
    clock.now += 4
    assert _kid(ring.sign("u", audience=AUDIENCE)) == first.active.kid  # not looked yet
    clock.now += 1
    assert _kid(ring.sign("u", audience=AUDIENCE)) == new_kid
    kids = [k["kid"] for k in ring.jwks()["keys"]]
    assert kids == [new_kid, _kid(old_token)]  # the old key verifies until its tokens expire


async def test_an_unknown_kid_makes_the_edge_look_at_once(tmp_path: Path) -> None:
    first = load_or_create_ring(tmp_path, ISSUER, 900)
    clock = Clock()
    ring = DiskRing(tmp_path, first, check_every_s=5, clock=clock)
    provider = RingJwksProvider(ring)
    new_kid = _rotate(tmp_path)  # another replica already signs with it
    assert new_kid not in [k["kid"] for k in (await provider())["keys"]]
    assert new_kid in [k["kid"] for k in (await provider(refresh=True))["keys"]]


def test_an_unreadable_ring_keeps_the_keys_in_use(tmp_path: Path) -> None:
    first = load_or_create_ring(tmp_path, ISSUER, 900)
    clock = Clock()
    ring = DiskRing(tmp_path, first, check_every_s=0, clock=clock)
    (tmp_path / RING_FILE).write_text("{not json")
    clock.now += 1
    assert ring.active.kid == first.active.kid


def test_the_jwks_document_is_reused_between_checks(tmp_path: Path) -> None:
    ring = DiskRing(tmp_path, load_or_create_ring(tmp_path, ISSUER, 900), check_every_s=5,
                    clock=Clock())
    assert ring.jwks() is ring.jwks()  # so the verifier keeps its parsed keys


def test_a_reloaded_ring_keeps_the_edge_s_terms(tmp_path: Path) -> None:
    load_or_create_ring(tmp_path, ISSUER, 900)
    longer = load_or_create_ring(tmp_path, ISSUER, 86400)
    clock = Clock()
    ring = DiskRing(tmp_path, longer, check_every_s=0, clock=clock)
    short = KeyRing.load(tmp_path)
    short = KeyRing(ISSUER, short.keys, short.active.kid, max_token_lifetime_s=60)
    short.rotate()
    short.save(tmp_path)
    clock.now += 1
    token = ring.sign("u", audience=AUDIENCE, lifetime_s=86400)  # still allowed
    assert jwt.decode(token, options={"verify_signature": False})["exp"] > 0


def test_keys_rotate_and_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = load_or_create_ring(tmp_path, ISSUER, 900).active.kid
    assert main(["keys", "rotate", "--keys-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    new = KeyRing.load(tmp_path).active.kid
    assert f"new active key {new}" in out and f"previous key {first}" in out
    assert main(["keys", "list", "--keys-dir", str(tmp_path), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["kid"], r["active"]) for r in rows] == [(new, True), (first, False)]
    assert rows[0]["retiring"] is None and rows[1]["retiring"].endswith("Z")
    assert main(["keys", "list", "--keys-dir", str(tmp_path)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["KID", "CREATED", "RETIRING"] and f"{new} *" in table[1]


def test_keys_default_to_the_state_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DAFNCK_KEYS_DIR", raising=False)
    monkeypatch.setenv("DAFNCK_STATE_DIR", str(tmp_path))
    assert main(["keys", "list"]) == 1
    assert "no signing keys in" in capsys.readouterr().err
    kid = load_or_create_ring(tmp_path / "keys", ISSUER, 900).active.kid
    assert main(["keys", "list"]) == 0 and kid in capsys.readouterr().out
