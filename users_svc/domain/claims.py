"""The email claim: one aggregate per normalized email, keyed ``email:<normalized email>``.

Emails are unique across users, which no user aggregate can decide alone. CreateUser is
therefore keyed by the claim key: one partition decides each email, one command at a time,
and the claim names the only user id that may register with it. A claim held by the same
user id is no conflict, so a retried CreateUser goes through again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from users_svc.domain.errors import require_aware
from users_svc.domain.profile import clean_uuid, normalize_email

CLAIM_PREFIX = "email:"


@dataclass(frozen=True)
class EmailClaim:
    """An email reserved for one user id."""

    email_normalized: str
    user_id: str
    claimed_at: datetime

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the Faust table."""
        return {
            "email_normalized": self.email_normalized,
            "user_id": self.user_id,
            "claimed_at": self.claimed_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> EmailClaim:
        """Read back ``to_dict``'s form."""
        return cls(
            raw["email_normalized"], raw["user_id"], datetime.fromisoformat(raw["claimed_at"])
        )


def claim_key(email: str) -> str:
    """The aggregate key (and CreateUser's subject) of an email: ``email:<normalized>``."""
    return CLAIM_PREFIX + normalize_email(email)


def is_taken(claim: EmailClaim | None, user_id: str) -> bool:
    """True when another user id holds the claim."""
    return claim is not None and claim.user_id != clean_uuid(user_id, "user_id")


def claim_email(
    claim: EmailClaim | None, *, email: str, user_id: str, now: datetime
) -> EmailClaim:
    """The claim after ``user_id`` takes the email (the caller checked ``is_taken`` first)."""
    require_aware(now)
    if is_taken(claim, user_id):
        raise ValueError("the email is claimed by another user; check is_taken first")
    if claim is not None:
        return claim  # already this user's: keep when it was first claimed
    return EmailClaim(normalize_email(email), clean_uuid(user_id, "user_id"), now)
