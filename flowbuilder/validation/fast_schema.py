"""A compiled yes/no checker for the plain subset of JSON Schema our node configs use.

jsonschema takes ~45 us per small config; a 5,000-node flow would spend 200 ms there. This compiles a
schema into nested closures (~2 us) that answer only "valid?". Anything outside the subset
(``$ref``, ``pattern``, ``uniqueItems``, ...) makes :func:`compile_checker` return ``None`` and the
caller uses jsonschema. A ``False`` answer also goes to jsonschema, which explains the error, so this
module only has to be exact on the keywords it accepts (tests compare it with jsonschema).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Check = Callable[[Any], bool]

ANNOTATIONS = {
    "title", "description", "default", "examples", "$comment", "format", "readOnly", "writeOnly",
    "deprecated", "$schema", "$id",
}  # fmt: skip


def _is_type(name: str) -> Check:
    if name == "object":
        return lambda v: isinstance(v, dict)
    if name == "array":
        return lambda v: isinstance(v, list)
    if name == "string":
        return lambda v: isinstance(v, str)
    if name == "boolean":
        return lambda v: isinstance(v, bool)
    if name == "null":
        return lambda v: v is None
    if name == "number":
        return lambda v: isinstance(v, int | float) and not isinstance(v, bool)
    if name == "integer":
        return lambda v: (
            (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer())
        )
    raise _Unsupported(name)


def _equal(a: Any, b: Any) -> bool:
    """JSON equality as jsonschema sees it: booleans never equal numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict | list) or isinstance(b, dict | list):
        return False
    if isinstance(a, str) != isinstance(b, str):
        return False
    return a == b


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


class _Unsupported(Exception):
    pass


_MISSING = object()
_OBJECT_KEYS = {"type", "properties", "required", "additionalProperties"}


def _compile(schema: Any) -> Check:
    if schema is True or schema == {}:
        return lambda v: True
    if schema is False:
        return lambda v: False
    if not isinstance(schema, dict):
        raise _Unsupported("schema")
    keys = {k for k in schema if k not in ANNOTATIONS and not k.startswith("x-")}
    if schema.get("type") == "object" and keys <= _OBJECT_KEYS:
        return _object(schema)  # the common case, as one tight loop
    checks: list[Check] = [_keyword(key, schema[key], schema) for key in keys]
    if not checks:
        return lambda v: True
    if len(checks) == 1:
        return checks[0]
    checks_t = tuple(checks)

    def check_all(v: Any) -> bool:
        for c in checks_t:
            if not c(v):
                return False
        return True

    return check_all


def _object(schema: dict[str, Any]) -> Check:
    props = tuple((name, _compile(sub)) for name, sub in (schema.get("properties") or {}).items())
    required = tuple(schema.get("required") or ())
    extra_schema = schema.get("additionalProperties", True)
    known = frozenset(name for name, _ in props)
    extra = None if extra_schema is True else _compile(extra_schema)

    def check(v: Any) -> bool:
        if v.__class__ is not dict and not isinstance(v, dict):
            return False
        for name in required:
            if name not in v:
                return False
        for name, sub in props:
            x = v.get(name, _MISSING)
            if x is not _MISSING and not sub(x):
                return False
        if extra is not None:
            for k, x in v.items():
                if k not in known and not extra(x):
                    return False
        return True

    return check


def _keyword(key: str, arg: Any, schema: dict[str, Any]) -> Check:  # noqa: C901 - a flat dispatch
    if key == "type":
        names = arg if isinstance(arg, list) else [arg]
        type_checks = [_is_type(n) for n in names]
        if len(type_checks) == 1:
            return type_checks[0]
        return lambda v: any(c(v) for c in type_checks)
    if key == "enum":
        options = list(arg)
        if all(isinstance(o, str) for o in options):
            strings = frozenset(options)
            return lambda v: isinstance(v, str) and v in strings
        return lambda v: any(_equal(v, o) for o in options)
    if key == "const":
        return lambda v: _equal(v, arg)
    if key == "properties":
        props = [(name, _compile(sub)) for name, sub in arg.items()]
        return lambda v: not isinstance(v, dict) or all(c(v[n]) for n, c in props if n in v)
    if key == "required":
        names = list(arg)
        return lambda v: not isinstance(v, dict) or all(n in v for n in names)
    if key == "additionalProperties":
        if "patternProperties" in schema:
            raise _Unsupported(key)
        known = set(schema.get("properties", {}))
        extra = _compile(arg)
        return lambda v: not isinstance(v, dict) or all(extra(x) for k, x in v.items() if k not in known)
    if key == "items":
        if not isinstance(arg, dict | bool) or "prefixItems" in schema:
            raise _Unsupported(key)
        each = _compile(arg)

        def check_items(v: Any) -> bool:
            if isinstance(v, list):
                for x in v:
                    if not each(x):
                        return False
            return True

        return check_items
    if key in ("minItems", "maxItems", "minLength", "maxLength", "minProperties", "maxProperties"):
        kind = {"I": list, "L": str, "P": dict}[key[3]]
        bound = arg
        if key.startswith("min"):
            return lambda v: not isinstance(v, kind) or len(v) >= bound
        return lambda v: not isinstance(v, kind) or len(v) <= bound
    if key == "minimum":
        return lambda v: not _is_number(v) or v >= arg
    if key == "maximum":
        return lambda v: not _is_number(v) or v <= arg
    if key == "exclusiveMinimum":
        return lambda v: not _is_number(v) or v > arg
    if key == "exclusiveMaximum":
        return lambda v: not _is_number(v) or v < arg
    if key in ("anyOf", "allOf", "oneOf"):
        subs = [_compile(s) for s in arg]
        if key == "anyOf":
            return lambda v: any(s(v) for s in subs)
        if key == "allOf":
            return lambda v: all(s(v) for s in subs)
        return lambda v: sum(1 for s in subs if s(v)) == 1
    if key == "not":
        sub = _compile(arg)
        return lambda v: not sub(v)
    raise _Unsupported(key)


def compile_checker(schema: Any) -> Check | None:
    """A fast ``valid?`` function for ``schema``, or ``None`` if it uses unsupported keywords."""
    try:
        return _compile(schema)
    except (_Unsupported, TypeError, AttributeError, KeyError):
        return None
