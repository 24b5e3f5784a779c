"""Profile fields: email (with its normalized uniqueness key) and display name."""

from __future__ import annotations

import re
import unicodedata
import uuid

from users_svc.domain.errors import DomainError

EMAIL_MAX = 254
DISPLAY_NAME_MAX = 100
REASON_MAX = 500
# The same shape the user-events schemas require, so an accepted email always validates.
_EMAIL_SHAPE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def clean_email(email: str) -> str:
    """The email as the user typed it, stripped, or ``invalid_email`` on field ``email``."""
    if not isinstance(email, str):
        raise DomainError("invalid_email", "Email must be a string.", "email")
    cleaned = email.strip()
    if not cleaned:
        raise DomainError("email_required", "Email is required.", "email")
    if len(cleaned) > EMAIL_MAX:
        raise DomainError(
            "invalid_email", f"Email must be at most {EMAIL_MAX} characters.", "email"
        )
    if not _EMAIL_SHAPE.match(cleaned):
        raise DomainError(
            "invalid_email", "Email must look like name@example.com.", "email"
        )
    return cleaned


def normalize_email(email: str) -> str:
    """The uniqueness key: stripped and casefolded (``Ada@X.com`` and ``ada@x.com`` collide)."""
    return email.strip().casefold()


def clean_display_name(name: str) -> str:
    """The display name stripped, 1 to 100 characters, no control characters."""
    if not isinstance(name, str):
        raise DomainError("invalid_display_name", "Display name must be a string.", "display_name")
    cleaned = name.strip()
    if not cleaned:
        raise DomainError("display_name_required", "Display name is required.", "display_name")
    if len(cleaned) > DISPLAY_NAME_MAX:
        raise DomainError(
            "invalid_display_name",
            f"Display name must be at most {DISPLAY_NAME_MAX} characters.",
            "display_name",
        )
    if any(unicodedata.category(ch).startswith("C") for ch in cleaned):
        raise DomainError(
            "invalid_display_name",
            "Display name must not contain control characters.",
            "display_name",
        )
    return cleaned


def clean_reason(reason: str) -> str:
    """A non-blank audit reason of at most 500 characters."""
    cleaned = reason.strip() if isinstance(reason, str) else ""
    if not cleaned:
        raise DomainError("reason_required", "Give a reason (kept in the audit trail).", "reason")
    if len(cleaned) > REASON_MAX:
        raise DomainError(
            "invalid_reason", f"Reason must be at most {REASON_MAX} characters.", "reason"
        )
    return cleaned


def clean_uuid(value: str, field: str) -> str:
    """A UUID in canonical lowercase hyphenated form (the schemas' ``format: uuid``)."""
    try:
        return str(uuid.UUID(value))
    except (ValueError, TypeError, AttributeError):
        raise DomainError("invalid_id", f"{field} must be a UUID.", field) from None
