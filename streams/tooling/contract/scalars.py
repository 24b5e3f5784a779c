"""Keyword checks for strings and numbers, and the count bounds arrays and objects share."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from streams.tooling.contract import rules
from streams.tooling.contract.incompat import Incompatibility, Labels
from streams.tooling.contract.jsonutil import short

# (keyword, rule when the reader adds it, rule when the reader tightens it, unit)
LOWER_COUNTS = {
    "minLength": (rules.MIN_LENGTH_ADDED, rules.MIN_LENGTH_INCREASED, "characters"),
    "minItems": (rules.MIN_ITEMS_ADDED, rules.MIN_ITEMS_INCREASED, "items"),
    "minProperties": (rules.MIN_PROPERTIES_ADDED, rules.MIN_PROPERTIES_INCREASED, "properties"),
}
UPPER_COUNTS = {
    "maxLength": (rules.MAX_LENGTH_ADDED, rules.MAX_LENGTH_DECREASED, "characters"),
    "maxItems": (rules.MAX_ITEMS_ADDED, rules.MAX_ITEMS_DECREASED, "items"),
    "maxProperties": (rules.MAX_PROPERTIES_ADDED, rules.MAX_PROPERTIES_DECREASED, "properties"),
}


def count_bounds(
    w: dict[str, Any], r: dict[str, Any], keywords: tuple[str, ...], path: str, labels: Labels
) -> list[Incompatibility]:
    """minLength/maxLength-style bounds: the reader's range must contain the writer's."""
    out = []
    for kw in keywords:
        rv, wv = r.get(kw), w.get(kw)
        if rv is None:
            continue
        if kw in LOWER_COUNTS:
            added, tightened, unit = LOWER_COUNTS[kw]
            if rv <= 0 or (wv is not None and wv >= rv):
                continue
            was = f"{wv}" if wv is not None else "no minimum"
            out.append(_bound(path, kw, added if wv is None else tightened, was, rv, unit, labels))
        else:
            added, tightened, unit = UPPER_COUNTS[kw]
            if wv is not None and wv <= rv:
                continue
            was = f"{wv}" if wv is not None else "no maximum"
            out.append(_bound(path, kw, added if wv is None else tightened, was, rv, unit, labels))
    return out


def _bound(
    path: str, kw: str, rule: str, was: Any, now: Any, unit: str, labels: Labels
) -> Incompatibility:
    msg = f"{kw} ({unit}): {labels.writer} schema has {was}, {labels.reader} schema has {now}"
    return Incompatibility(path, rule, msg)


def string_keywords(
    w: dict[str, Any], r: dict[str, Any], path: str, labels: Labels
) -> list[Incompatibility]:
    """Length, pattern and format of strings."""
    out = count_bounds(w, r, ("minLength", "maxLength"), path, labels)
    for kw, added, changed in (
        ("pattern", rules.PATTERN_ADDED, rules.PATTERN_CHANGED),
        ("format", rules.FORMAT_ADDED, rules.FORMAT_CHANGED),
    ):
        if kw in r and w.get(kw) != r[kw]:
            was = short(w[kw]) if kw in w else f"no {kw}"
            msg = f"{kw}: {labels.writer} schema has {was}, {labels.reader} schema has "
            msg += short(r[kw])
            out.append(Incompatibility(path, added if kw not in w else changed, msg))
    return out


def number_keywords(
    w: dict[str, Any], r: dict[str, Any], integers_only: bool, path: str, labels: Labels
) -> list[Incompatibility]:
    """Ranges (inclusive and exclusive) and multipleOf of numbers."""
    out = []
    for side in ("minimum", "maximum"):
        problem = _range_side(w, r, side, path, labels)
        if problem:
            out.append(problem)
    step = r.get("multipleOf")
    if step is not None and not (integers_only and Fraction(str(step)) == 1):
        wstep = w.get("multipleOf")
        if wstep is None:
            msg = f"{labels.reader} schema requires multipleOf {step}; "
            msg += f"{labels.writer} schema has none"
            out.append(Incompatibility(path, rules.MULTIPLE_OF_ADDED, msg))
        elif (Fraction(str(wstep)) / Fraction(str(step))).denominator != 1:
            msg = (
                f"multipleOf: {labels.writer} schema has {wstep}, {labels.reader} schema has "
                f"{step} ({wstep} is not a multiple of {step})"
            )
            out.append(Incompatibility(path, rules.MULTIPLE_OF_CHANGED, msg))
    return out


def _effective(node: dict[str, Any], side: str) -> tuple[Any, bool, str] | None:
    """The tightest bound on one side as (value, exclusive, keyword), or None."""
    exclusive_kw = "exclusiveMinimum" if side == "minimum" else "exclusiveMaximum"
    candidates = [(node[k], k == exclusive_kw, k) for k in (side, exclusive_kw) if k in node]
    if not candidates:
        return None
    lower = side == "minimum"

    def tightness(c: tuple[Any, bool, str]) -> tuple[Any, bool]:
        value, exclusive, _ = c
        # An exclusive bound at the same value is tighter than an inclusive one.
        return (value, exclusive) if lower else (-value, exclusive)

    return max(candidates, key=tightness)


def _range_side(
    w: dict[str, Any], r: dict[str, Any], side: str, path: str, labels: Labels
) -> Incompatibility | None:
    rb, wb = _effective(r, side), _effective(w, side)
    if rb is None:
        return None
    r_value, r_excl, r_kw = rb
    lower = side == "minimum"
    if wb is not None:
        w_value, w_excl, _ = wb
        inside = w_value > r_value if lower else w_value < r_value
        if inside or (w_value == r_value and (w_excl or not r_excl)):
            return None
    tightened = {
        "minimum": rules.MINIMUM_INCREASED,
        "exclusiveMinimum": rules.EXCLUSIVE_MINIMUM_INCREASED,
        "maximum": rules.MAXIMUM_DECREASED,
        "exclusiveMaximum": rules.EXCLUSIVE_MAXIMUM_DECREASED,
    }
    added = {
        "minimum": rules.MINIMUM_ADDED,
        "exclusiveMinimum": rules.EXCLUSIVE_MINIMUM_ADDED,
        "maximum": rules.MAXIMUM_ADDED,
        "exclusiveMaximum": rules.EXCLUSIVE_MAXIMUM_ADDED,
    }
    rule = tightened[r_kw] if r_kw in w else added[r_kw]
    was = f"{wb[2]} {wb[0]}" if wb is not None else f"no {side}"
    msg = f"{labels.writer} schema has {was}, {labels.reader} schema has {r_kw} {r_value}"
    return Incompatibility(path, rule, msg)
