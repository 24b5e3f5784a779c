"""The reader/writer check: can a consumer validating with one schema read another's data?

``check_reader_can_read(writer, reader)`` asks whether every instance valid under the
writer schema is valid under the reader schema, and when not, lists why. It works on
the schemas' structure (plus exact validation for enum-like writers), so it is sound
for the keywords it knows and conservative where it must approximate.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from streams.tooling.contract import rules
from streams.tooling.contract.arrays import array_keywords
from streams.tooling.contract.incompat import Incompatibility, Labels, dedupe
from streams.tooling.contract.jsonutil import Schema, canonical, child, short
from streams.tooling.contract.normalize import (
    JSON_TYPES,
    accepts_type,
    intersect_types,
    is_unconstrained,
    type_set,
    writer_normal,
)
from streams.tooling.contract.objects import object_keywords
from streams.tooling.contract.refs import Document, iter_refs
from streams.tooling.contract.scalars import number_keywords, string_keywords
from streams.tooling.contract.values import ValueChecker, finite_values, value_incompatibilities

# Deeper than this the schemas are recursive in a way the pair memo did not catch (or
# absurdly nested); each level costs several Python frames, so stay well under the limit.
_MAX_DEPTH = 64


def check_reader_can_read(
    writer_schema: Schema, reader_schema: Schema, labels: Labels | None = None
) -> list[Incompatibility]:
    """Why data valid under ``writer_schema`` may fail ``reader_schema``; empty when it can't."""
    return _ReaderCheck(writer_schema, reader_schema, labels or Labels()).check(
        writer_schema, reader_schema, "$"
    )


class _ReaderCheck:
    def __init__(self, writer_root: Schema, reader_root: Schema, labels: Labels) -> None:
        self.labels = labels
        self.writer_doc = Document(writer_root)
        self.reader_doc = Document(reader_root)
        self._writer_values = ValueChecker(writer_root)
        self._reader_values = ValueChecker(reader_root)
        self._active: set[tuple[str, str]] = set()

    def check(self, writer: Schema, reader: Schema, path: str) -> list[Incompatibility]:
        """Reasons ``reader`` cannot read every value of ``writer``, both nodes of their roots."""
        # Keyed on resolved nodes so a recursive $ref meets itself one level down.
        writer, reader = self.writer_doc.resolve(writer), self.reader_doc.resolve(reader)
        key = (canonical(writer), canonical(reader))
        if key[0] == key[1] and not self._has_local_ref(writer):
            return []
        # Coinduction: meeting the same pair again inside itself means a recursive schema;
        # assuming it compatible is sound because any real difference shows up elsewhere.
        if key in self._active:
            return []
        if len(self._active) > _MAX_DEPTH:
            # Refuse rather than guess: an unchecked difference must not pass as compatible.
            msg = f"schemas nest deeper than {_MAX_DEPTH} levels here; not checked further"
            return [Incompatibility(path, rules.NESTING_TOO_DEEP, msg)]
        self._active.add(key)
        try:
            return dedupe(self._check(writer, reader, path))
        finally:
            self._active.discard(key)

    def _has_local_ref(self, node: Schema) -> bool:
        """Whether ``node`` holds a $ref into its document (equal text may then differ)."""
        docs = (self.writer_doc, self.reader_doc)
        return any(doc.lookup(ref) is not None for ref in iter_refs(node) for doc in docs)

    def check_values(
        self, values: list[object], from_enum: bool, reader: Schema, path: str
    ) -> list[Incompatibility]:
        """Reasons ``reader`` rejects some of ``values`` (a writer's complete value set)."""
        return value_incompatibilities(
            self._reader_values, values, from_enum, reader, path, self.labels
        )

    def _check(self, writer: Schema, reader: Schema, path: str) -> list[Incompatibility]:
        w = writer_normal(self.writer_doc, writer)
        if w is False:
            return []
        w = {} if w is True else w
        r = self.reader_doc.resolve(reader)
        if is_unconstrained(r):
            return []
        if "anyOf" in w:
            rest = {k: v for k, v in w.items() if k != "anyOf"}
            found = [self.check({"allOf": [rest, alt]}, reader, path) for alt in w["anyOf"]]
            return _narrowed_not_changed(found, path)
        finite = finite_values(w)
        if finite is not None:
            values = self._writer_values.allowed(w, finite[0])
            return self.check_values(values, finite[1], reader, path)
        if r is False:
            msg = f"the {self.labels.reader} schema is false and accepts nothing"
            return [Incompatibility(path, rules.SCHEMA_REJECTS_ALL, msg)]
        if "$ref" in r:
            msg = f"cannot follow $ref {short(r['$ref'])} of the {self.labels.reader} schema"
            return [Incompatibility(path, rules.REF_UNRESOLVED, msg)]
        return self._against_reader(w, r, path)

    def _against_reader(
        self, w: dict[str, Any], r: dict[str, Any], path: str
    ) -> list[Incompatibility]:
        out: list[Incompatibility] = []
        for i, part in enumerate(r.get("allOf", [])):
            out += self.check(w, part, child(child(path, "allOf"), i))
        for keyword in ("anyOf", "oneOf"):
            if keyword in r:
                out += self._against_union(w, keyword, r[keyword], path)
        if "const" in r or "enum" in r:
            keyword = "const" if "const" in r else "enum"
            rule = rules.CONST_ADDED if keyword == "const" else rules.ENUM_ADDED
            msg = (
                f"{self.labels.reader} schema only accepts {short(r[keyword])}; the "
                f"{self.labels.writer} schema allows other values"
            )
            return [*out, Incompatibility(path, rule, msg)]
        common, type_problems = self._types(w, r, path)
        out += type_problems
        if "string" in common:
            out += string_keywords(w, r, path, self.labels)
        if common & {"number", "integer"}:
            out += number_keywords(w, r, "number" not in common, path, self.labels)
        if "array" in common:
            out += array_keywords(self, w, r, path)
        if "object" in common:
            out += object_keywords(self, w, r, path)
        return out + self._not_and_conditionals(w, r, path)

    def _types(
        self, w: dict[str, Any], r: dict[str, Any], path: str
    ) -> tuple[frozenset[str], list[Incompatibility]]:
        """The types both schemas admit, and a problem if the reader drops any writer type."""
        wt, rt = type_set(w), type_set(r)
        writer_types = wt if wt is not None else JSON_TYPES
        common = intersect_types(writer_types, rt) or frozenset()
        lost = sorted(t for t in writer_types if not accepts_type(rt, t))
        if not lost or rt is None:
            return common, []
        # number -> integer still shares the integers, so it narrows rather than changes.
        rule = rules.TYPE_NARROWED if common else rules.TYPE_CHANGED
        msg = f"type: {self.labels.writer} schema allows "
        msg += "any type" if wt is None else short(w["type"])
        msg += f", {self.labels.reader} schema accepts only {short(r['type'])}"
        if wt is not None:
            msg += f" (no longer: {', '.join(lost)})"
        return common, [Incompatibility(path, rule, msg)]

    def _against_union(
        self, w: dict[str, Any], keyword: str, alternatives: list[Schema], path: str
    ) -> list[Incompatibility]:
        wt = type_set(w)
        if wt is not None and len(wt) > 1:
            # ["string", "null"] against anyOf[string, null]: each type may match its own branch.
            out: list[Incompatibility] = []
            for json_type in sorted(wt):
                out += self._against_union({**w, "type": json_type}, keyword, alternatives, path)
            return out
        tried = []
        for i, alt in enumerate(alternatives):
            problems = self.check(w, alt, child(child(path, keyword), i))
            if not problems:
                return []
            tried.append((alt, problems))
        plausible = [p for alt, p in tried if self._types_overlap(wt, alt)]
        if len(plausible) == 1:
            return plausible[0]
        what = f"{'/'.join(sorted(wt))} value" if wt else "value"
        msg = (
            f"no {keyword} alternative of the {self.labels.reader} schema accepts every "
            f"{what} the {self.labels.writer} schema allows"
        )
        return [Incompatibility(child(path, keyword), rules.SUM_TYPE_NARROWED, msg)]

    def _types_overlap(self, wt: frozenset[str] | None, alt: Schema) -> bool:
        alt_types = type_set(writer_normal(self.reader_doc, alt))
        return intersect_types(wt, alt_types) != frozenset()

    def _not_and_conditionals(
        self, w: dict[str, Any], r: dict[str, Any], path: str
    ) -> list[Incompatibility]:
        labels = self.labels
        out = []
        if "not" in r:
            where = child(path, "not")
            if "not" not in w:
                msg = f"{labels.reader} schema adds not {short(r['not'])}"
                out.append(Incompatibility(where, rules.NOT_ADDED, msg))
            else:
                # W ⊆ ¬A and ¬A ⊆ ¬B iff B ⊆ A: the excluded sets compare the other way round.
                flipped = _ReaderCheck(self.reader_doc.root, self.writer_doc.root, labels)
                if flipped.check(r["not"], w["not"], where):
                    msg = (
                        f"not: {labels.writer} schema excludes {short(w['not'])}, "
                        f"{labels.reader} schema excludes {short(r['not'])}"
                    )
                    out.append(Incompatibility(where, rules.NOT_CHANGED, msg))
        conditional = {k: r[k] for k in ("if", "then", "else") if k in r}
        if conditional and canonical(conditional) != canonical(
            {k: w[k] for k in ("if", "then", "else") if k in w}
        ):
            msg = f"{labels.reader} schema's if/then/else differs from the {labels.writer}'s"
            out.append(Incompatibility(child(path, "if"), rules.CONDITIONAL_CHANGED, msg))
        return out


def _narrowed_not_changed(found: list[list[Incompatibility]], path: str) -> list[Incompatibility]:
    """Flatten per-alternative results; a type lost by some writer alternatives only narrows."""

    def changed(problem: Incompatibility) -> bool:
        return problem.rule == rules.TYPE_CHANGED and problem.path == path

    some_kept = any(not any(changed(p) for p in problems) for problems in found)
    out = []
    for problems in found:
        for problem in problems:
            narrowed = some_kept and changed(problem)
            out.append(replace(problem, rule=rules.TYPE_NARROWED) if narrowed else problem)
    return out
