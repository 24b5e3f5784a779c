"""Service-account API keys: format, shown once, scoped within the owner, verification."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from users_svc.domain.api_keys import (
    ApiKey,
    api_key_allows,
    hash_secret,
    issue_api_key,
    parse_api_key,
    revoke_api_key,
    verify_api_key,
)
from users_svc.domain.errors import DomainError
from users_svc.domain.rbac import BUILTIN_ROLES

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
OWNER = "c4e8a1f2-3b5d-4e6f-8a9b-0c1d2e3f4a5b"
OPERATOR = sorted(BUILTIN_ROLES["operator"])


def _issue(**overrides: Any) -> tuple[ApiKey, str]:
    args: dict[str, Any] = {
        "owner_id": OWNER,
        "name": "ci pipeline",
        "scopes": ["workflows:execute", "tasks:read"],
        "owner_permissions": OPERATOR,
        "now": T0,
        "prefix_factory": lambda n: "0a1b2c3d"[: 2 * n],
        "secret_factory": lambda n: "s3cr_et-" + "x" * n,
    }
    args.update(overrides)
    issued = issue_api_key(**args)
    return issued.record, issued.key


def test_key_format_and_what_is_stored() -> None:
    record, key = _issue()
    assert key == "dk_0a1b2c3d_s3cr_et-" + "x" * 32
    assert record.prefix == "0a1b2c3d"
    assert record.secret_hash == hash_secret("s3cr_et-" + "x" * 32)
    assert "s3cr_et-" not in str(record.to_dict())
    assert record.scopes == ("tasks:read", "workflows:execute")
    assert ApiKey.from_dict(record.to_dict()) == record


def test_real_generators_give_a_parseable_key() -> None:
    issued = issue_api_key(owner_id=OWNER, name="k", scopes=["tasks:read"],
                           owner_permissions=OPERATOR, now=T0)
    parsed = parse_api_key(issued.key)
    assert parsed is not None and parsed[0] == issued.record.prefix
    assert verify_api_key(issued.record, issued.key, now=T0)


def test_the_right_key_verifies() -> None:
    record, key = _issue()
    assert verify_api_key(record, key, now=T0 + timedelta(days=30))


@pytest.mark.parametrize(
    "presented",
    [
        "dk_0a1b2c3d_s3cr_et-" + "x" * 31,  # wrong secret
        "dk_0a1b2c3e_s3cr_et-" + "x" * 32,  # wrong prefix, right secret
        "dk_0a1b2c3d",
        "0a1b2c3d_s3cr_et-",
        "",
    ],
)
def test_wrong_or_malformed_keys_are_rejected(presented: str) -> None:
    record, _ = _issue()
    assert not verify_api_key(record, presented, now=T0)


def test_unknown_prefix_is_rejected() -> None:
    _, key = _issue()
    assert not verify_api_key(None, key, now=T0)


def test_revoked_and_expired_keys_stop_working() -> None:
    record, key = _issue(expires_at=T0 + timedelta(days=1))
    assert verify_api_key(record, key, now=T0 + timedelta(hours=23))
    assert not verify_api_key(record, key, now=T0 + timedelta(days=1))
    revoked = revoke_api_key(record, now=T0 + timedelta(hours=1))
    assert not verify_api_key(revoked, key, now=T0 + timedelta(hours=2))
    assert revoke_api_key(revoked, now=T0 + timedelta(hours=5)) == revoked


@pytest.mark.parametrize(
    ("override", "code", "field"),
    [
        ({"scopes": ["users:delete"]}, "scope_exceeds_owner", "scopes"),
        ({"scopes": ["agents:*"]}, "scope_exceeds_owner", "scopes"),
        ({"scopes": ["agents:read"], "owner_permissions": []}, "scope_exceeds_owner", "scopes"),
        ({"scopes": ["agents-read"]}, "invalid_permission", "scopes"),
        ({"scopes": []}, "scopes_required", "scopes"),
        ({"name": " "}, "invalid_name", "name"),
        ({"expires_at": T0}, "invalid_expiry", "expires_at"),
        ({"owner_id": "me"}, "invalid_id", "owner_id"),
    ],
)
def test_issue_errors_name_the_field(override: dict[str, Any], code: str, field: str) -> None:
    with pytest.raises(DomainError) as caught:
        _issue(**override)
    assert (caught.value.code, caught.value.field) == (code, field)


def test_an_admin_may_delegate_wildcards() -> None:
    record, _ = _issue(scopes=["agents:*"], owner_permissions=["*:*"])
    assert api_key_allows(record, ["*:*"], "agents", "delete")


def test_a_key_allows_only_its_scopes_and_shrinks_with_its_owner() -> None:
    record, _ = _issue()
    assert api_key_allows(record, OPERATOR, "workflows", "execute")
    assert not api_key_allows(record, OPERATOR, "workflows", "pause")  # owner may, key may not
    viewer_now = sorted(BUILTIN_ROLES["viewer"])
    assert not api_key_allows(record, viewer_now, "workflows", "execute")  # owner demoted
    assert api_key_allows(record, viewer_now, "tasks", "read")
