"""The agents routes' own query parameter: a capability token (the rest is the kernel's)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from streams.http.query_params import InvalidQuery

TOKEN = re.compile(r"^[a-z0-9][a-z0-9_.:-]{0,63}$")


def token_param(params: Mapping[str, str], name: str) -> str | None:
    """An optional capability token (lowercase letters, digits and . _ : -)."""
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not TOKEN.match(raw):
        raise InvalidQuery(name, f"{name} is not a capability (lowercase letters, digits, ._:-)")
    return raw
