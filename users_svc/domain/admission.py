"""Admitting a new account: its fields checked and cleaned before any password work."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from users_svc.domain.errors import DomainError
from users_svc.domain.profile import clean_display_name, clean_email, clean_uuid
from users_svc.domain.rbac import CustomRole, require_role

DEFAULT_ROLES: tuple[str, ...] = ("member",)
MAX_ROLES = 32  # the UserCreated schema's maxItems


@dataclass(frozen=True)
class Admitted:
    """A new account's fields, clean: canonical ids, stripped text, known roles in order."""

    user_id: str
    email: str
    display_name: str
    roles: tuple[str, ...]
    created_by: str | None


def admit(
    user_id: str,
    email: str,
    display_name: str,
    roles: Iterable[str] | None,
    custom_roles: Mapping[str, CustomRole] | None,
    created_by: str | None,
) -> Admitted:
    """Check a new account's fields, raising the first broken rule as a ``DomainError``."""
    user_id = clean_uuid(user_id, "user_id")
    if created_by is not None:
        created_by = clean_uuid(created_by, "created_by")
    email = clean_email(email)
    display_name = clean_display_name(display_name)
    wanted = DEFAULT_ROLES if roles is None else tuple(dict.fromkeys(roles))
    for role in wanted:
        require_role(role, custom_roles or {}, "roles")
    if len(wanted) > MAX_ROLES:
        raise DomainError("too_many_roles", f"At most {MAX_ROLES} roles per user.", "roles")
    return Admitted(user_id, email, display_name, tuple(sorted(wanted)), created_by)
