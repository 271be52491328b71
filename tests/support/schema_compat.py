"""Is a new JSON Schema BACKWARD compatible with the old one?

Backward here means: every event valid under the old schema is still valid under the new one,
and no field the old schema described has gone away (consumers and views rely on it). Where
inclusion cannot be decided cheaply (a changed regex or format) the change is reported, so the
answer errs on the side of a version bump. Handles what msgspec generates: local `$ref`s into
`$defs`, `anyOf`, `enum`, objects, arrays and the usual bounds.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

ALL_TYPES = frozenset({"null", "boolean", "integer", "number", "string", "array", "object"})
LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
EXACT = ("pattern", "format", "multipleOf", "const")


def backward_problems(old: Schema, new: Schema) -> list[str]:
    """Empty when `new` is backward compatible with `old`, else one line per problem."""
    return _Comparison(old, new).problems


def _types(schema: Schema) -> frozenset[str]:
    """The JSON types a schema admits; `number` admits integers too."""
    if "type" in schema:
        declared = schema["type"]
        types = frozenset([declared] if isinstance(declared, str) else declared)
    elif "enum" in schema:
        types = frozenset(_JSON_TYPES[type(value)] for value in schema["enum"])
    else:
        types = ALL_TYPES
    return types | {"integer"} if "number" in types else types


_JSON_TYPES = {
    type(None): "null",
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
}


class _Comparison:
    def __init__(self, old: Schema, new: Schema) -> None:
        self._docs = (old, new)
        self.problems: list[str] = []
        self._followed: set[tuple[str, str]] = set()
        self._schema("$", old, new)

    def _resolve(self, side: int, schema: Schema) -> Schema:
        while "$ref" in schema:
            node: Any = self._docs[side]
            for part in schema["$ref"].removeprefix("#/").split("/"):
                node = node[part]
            schema = {**{k: v for k, v in schema.items() if k != "$ref"}, **node}
        return schema

    def _branches(self, side: int, schema: Schema) -> list[Schema]:
        schema = self._resolve(side, schema)
        if "anyOf" not in schema:
            return [schema]
        rest = {k: v for k, v in schema.items() if k != "anyOf"}
        return [b for one in schema["anyOf"] for b in self._branches(side, {**rest, **one})]

    def _schema(self, path: str, old: Schema, new: Schema) -> None:
        refs = (old.get("$ref", ""), new.get("$ref", ""))
        if all(refs):  # a pair of definitions is compared once, which also ends recursion
            if refs in self._followed:
                return
            self._followed.add(refs)
        new_branches = self._branches(1, new)
        for branch in self._branches(0, old):
            wider = [b for b in new_branches if _types(branch) <= _types(b)]
            if not wider:
                self.problems.append(
                    f"{path}: type narrowed, {sorted(_types(branch))} no longer allowed"
                )
            else:
                self._constraints(path, branch, wider[0])

    def _constraints(self, path: str, old: Schema, new: Schema) -> None:
        report = self.problems.append
        if "enum" in new:
            if "enum" not in old:
                report(f"{path}: enum added where any value was allowed")
            elif removed := [v for v in old["enum"] if v not in new["enum"]]:
                report(f"{path}: enum values removed: {removed}")
        for key in LOWER_BOUNDS:
            if key in new and (key not in old or new[key] > old[key]):
                report(f"{path}: {key} narrowed from {old.get(key)} to {new[key]}")
        for key in UPPER_BOUNDS:
            if key in new and (key not in old or new[key] < old[key]):
                report(f"{path}: {key} narrowed from {old.get(key)} to {new[key]}")
        for key in EXACT:
            if key in new and new[key] != old.get(key):
                report(f"{path}: {key} changed from {old.get(key)!r} to {new[key]!r}")
        if (
            new.get("additionalProperties") is False
            and old.get("additionalProperties") is not False
        ):
            report(f"{path}: additional properties no longer allowed")
        if new.get("uniqueItems") and not old.get("uniqueItems"):
            report(f"{path}: items must now be unique")
        self._object(path, old, new)
        if "items" in old or "items" in new:
            self._schema(f"{path}[]", old.get("items", {}), new.get("items", {}))

    def _object(self, path: str, old: Schema, new: Schema) -> None:
        old_fields, new_fields = old.get("properties", {}), new.get("properties", {})
        old_required = set(old.get("required", []))
        for name in sorted(set(new.get("required", [])) - old_required):
            was = "optional field became" if name in old_fields else "new"
            self.problems.append(f"{path}.{name}: {was} required")
        for name, schema in old_fields.items():
            if name not in new_fields:
                self.problems.append(f"{path}.{name}: field removed")
            else:
                self._schema(f"{path}.{name}", schema, new_fields[name])
