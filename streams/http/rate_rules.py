"""Which paths are limited, how much: ``(path prefix, limit, window)`` rules from configuration."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

RATE_LIMITS_ENV = "DAFNCK_RATE_LIMITS"
_UNITS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60}
_UNITS |= {"h": 3600, "hour": 3600, "d": 86400, "day": 86400}
_SPEC = re.compile(
    r"^\s*(?P<path>/\S*)\s*=\s*(?P<limit>\d+)\s*/\s*(?P<n>\d*)\s*(?P<unit>[a-z]+)\s*$"
)


@dataclass(frozen=True)
class RateRule:
    """At most ``limit`` requests per ``window_s`` seconds under ``prefix``, per caller."""

    prefix: str
    limit: int
    window_s: int

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window_s < 1:
            raise ValueError(f"rate rule for {self.prefix} needs a positive limit and window")
        if not self.prefix.startswith("/"):
            raise ValueError(f"rate rule prefix must start with '/': {self.prefix!r}")

    def matches(self, path: str) -> bool:
        """Whether ``path`` is the prefix or below it (``/api/agents/1``, not ``/api/agentsx``)."""
        return path == self.prefix or path.startswith(self.prefix.rstrip("/") + "/")

    @property
    def policy(self) -> str:
        """The ``RateLimit-Policy`` value, e.g. ``1000;w=3600``."""
        return f"{self.limit};w={self.window_s}"


def rule(pattern: str, limit: int, window_s: int) -> RateRule:
    """A rule from a pattern such as ``/api/agents/*``."""
    prefix = pattern.removesuffix("*").rstrip("/") or "/"
    return RateRule(prefix, limit, window_s)


DEFAULT_RULES: tuple[RateRule, ...] = (
    rule("/api/agents/*", 1000, 3600),
    rule("/api/users/*", 500, 3600),
)


def parse_rules(text: str) -> tuple[RateRule, ...]:
    """Rules from ``/api/agents/*=1000/hour, /api/users/*=500/1h`` (units s, m, h, d)."""
    rules = []
    for spec in filter(str.strip, text.split(",")):
        found = _SPEC.match(spec.lower())
        if found is None or found["unit"] not in _UNITS:
            raise ValueError(f"bad rate limit {spec.strip()!r}; expected '/path/*=N/unit'")
        window = int(found["n"] or 1) * _UNITS[found["unit"]]
        rules.append(rule(found["path"], int(found["limit"]), window))
    return tuple(rules)


def rules_from_env(env: Mapping[str, str] = os.environ) -> tuple[RateRule, ...]:
    """``DAFNCK_RATE_LIMITS`` when set, else the seed rules."""
    text = env.get(RATE_LIMITS_ENV, "").strip()
    return parse_rules(text) if text else DEFAULT_RULES


def match_rule(rules: Iterable[RateRule], path: str) -> RateRule | None:
    """The most specific (longest-prefix) rule covering ``path``."""
    covering = [r for r in rules if r.matches(path)]
    return max(covering, key=lambda r: len(r.prefix)) if covering else None
