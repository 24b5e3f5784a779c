"""Idempotency keys: which requests count as "the same", and how keys are scoped."""

from __future__ import annotations

from typing import Any

import pytest

from streams.commands.idempotency import (
    MAX_KEY_LENGTH,
    IdempotencyConflict,
    IdempotencyKey,
    IdempotencyStore,
    InvalidIdempotencyKey,
    fingerprint,
)

BODY = b'{"name": "alpha", "labels": {"team": "a", "tier": 1}}'


def _fp(body: bytes = BODY, **parts: str) -> str:
    args = {"method": "POST", "path": "/api/things", "command_type": "CreateThing", **parts}
    return fingerprint(args["method"], args["path"], args["command_type"], body)


def test_the_same_json_spelled_differently_is_the_same_request() -> None:
    respelled = b'{ "labels" : {"tier":1,"team":"a"},\n  "name":"alpha" }'
    assert _fp(respelled) == _fp()


@pytest.mark.parametrize(
    "body",
    [
        b'{"name": "beta", "labels": {"team": "a", "tier": 1}}',
        b'{"name": "alpha", "labels": {"team": "a", "tier": "1"}}',
        b'{"name": "alpha", "labels": {"team": "a"}}',
        b'{"name": "alpha", "labels": {"team": "a", "tier": 1}, "x": null}',
    ],
)
def test_any_change_of_value_is_a_different_request(body: bytes) -> None:
    assert _fp(body) != _fp()


@pytest.mark.parametrize(
    "parts",
    [{"path": "/api/other"}, {"method": "PUT"}, {"command_type": "RenameThing"}],
    ids=["path", "method", "type"],
)
def test_another_route_or_command_is_a_different_request(parts: dict[str, str]) -> None:
    assert _fp(**parts) != _fp()


def test_method_case_does_not_matter() -> None:
    assert _fp(method="post") == _fp()


def test_parts_cannot_run_into_each_other() -> None:
    assert fingerprint("POST", "/a", "bC", b"") != fingerprint("POST", "/ab", "C", b"")


def test_a_non_json_body_is_compared_byte_for_byte() -> None:
    assert _fp(b"name=alpha") == _fp(b"name=alpha")
    assert _fp(b"name=alpha") != _fp(b"name=alpha ")


@pytest.mark.parametrize("key", ["", " ", "has space", "ünïcode", "x" * (MAX_KEY_LENGTH + 1)])
def test_unusable_keys_are_refused(key: str) -> None:
    with pytest.raises(InvalidIdempotencyKey):
        IdempotencyKey("user-1", key, _fp())


def test_keys_are_scoped_by_principal_and_hashed() -> None:
    key = "9b2f1e0c-retry"
    mine, theirs = IdempotencyKey("user-1", key, _fp()), IdempotencyKey("user-2", key, _fp())
    assert mine.redis_key != theirs.redis_key
    assert mine.redis_key == IdempotencyKey("user-1", key, _fp(b"x")).redis_key
    assert key not in mine.redis_key and mine.redis_key.startswith("idem:")
    # "a:b" + "c" and "a" + "b:c" must not share a claim.
    assert IdempotencyKey("a:b", "c", "f").redis_key != IdempotencyKey("a", "b:c", "f").redis_key
    assert IdempotencyKey("u", "x" * MAX_KEY_LENGTH, "f").redis_key


class FakeRedis:
    """SET NX / GET of redis-py, in memory."""

    def __init__(self) -> None:
        self.values: dict[str, bytes] = {}

    async def set(self, name: str, value: bytes, *, ex: int, nx: bool = False) -> bool | None:
        if nx and name in self.values:
            return None
        self.values[name] = value
        return True

    async def get(self, name: str) -> bytes | None:
        return self.values.get(name)


async def test_the_first_claim_wins_and_later_ones_get_its_command() -> None:
    fake: Any = FakeRedis()
    store = IdempotencyStore(fake)
    key = IdempotencyKey("user-1", "k-1", _fp())
    assert await store.claim(key, "cmd-1") is None
    assert await store.claim(key, "cmd-2") == "cmd-1"
    with pytest.raises(IdempotencyConflict) as conflict:
        await store.claim(IdempotencyKey("user-1", "k-1", _fp(b"{}")), "cmd-3")
    assert conflict.value.command_id == "cmd-1"
    assert await store.claim(IdempotencyKey("user-2", "k-1", _fp()), "cmd-4") is None
