"""JSON from outside (API bodies, webhook bodies), parsed into what the rest of the system can store.

Two valid JSON documents used to end as a 500: a NUL character (``\\u0000``), which PostgreSQL's jsonb
and text refuse, and nesting thousands of levels deep, which overflows Python's recursive decoder (and
would overflow every recursive walk after it). Both are refused here with a 400 naming the field.

The check costs nothing for ordinary bodies: the decoded document is walked only when the raw text
could hold a NUL escape or more brackets than the depth limit allows.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import InvalidInputError

MAX_DEPTH = 100
NUL = "\x00"


def loads(raw: bytes | str, *, field: str = "body") -> Any:
    """Decode ``raw``; InvalidInputError (a 400) names the field at fault when it is not JSON, is nested
    deeper than MAX_DEPTH, or holds a NUL character. Paths inside the document are ``field.key.0.key``
    (``field`` empty: ``key.0.key``, as API field errors name them)."""
    try:
        data = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise _too_deep(field or "body") from None
    except ValueError as exc:
        message = f"The {field or 'body'} is not valid JSON: {exc}."
        raise InvalidInputError(message, field=field or "body") from exc
    if _may_be_unstorable(raw):
        check(data, field=field)
    return data


def _may_be_unstorable(raw: bytes | str) -> bool:
    if isinstance(raw, bytes):
        return b"\\u0000" in raw or raw.count(b"[") + raw.count(b"{") > MAX_DEPTH
    return "\\u0000" in raw or NUL in raw or raw.count("[") + raw.count("{") > MAX_DEPTH


def check(data: Any, *, field: str = "body") -> None:
    """Refuse a decoded document that cannot be stored: deeper than MAX_DEPTH (named by its top-level
    field), or a NUL in any key or string (named by its full path). Iterative: a document of any depth
    is walked without recursion."""
    stack: list[tuple[Any, str, int]] = [(data, field, 1)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            if NUL in value:
                raise _nul(path or "body")
            continue
        if not isinstance(value, dict | list):
            continue
        if depth > MAX_DEPTH:
            raise _too_deep(field or path.split(".")[0] or "body")
        if isinstance(value, dict):
            for key, child in value.items():
                if NUL in key:
                    raise _nul(path or "body", in_key=True)
                stack.append((child, _join(path, key), depth + 1))
        else:
            stack.extend((child, _join(path, index), depth + 1) for index, child in enumerate(value))


def check_text(value: str, *, field: str) -> None:
    if NUL in value:
        raise _nul(field)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")  # NaN and Infinity: Python accepts them, JSON does not


def _join(path: str, step: str | int) -> str:
    return f"{path}.{step}" if path else str(step)


def _nul(path: str, *, in_key: bool = False) -> InvalidInputError:
    where = "A key in " if in_key else ""
    return InvalidInputError(
        f"{where}{path} contains a NUL character (\\u0000), which cannot be stored; remove it.",
        field=path,
    )


def _too_deep(path: str) -> InvalidInputError:
    return InvalidInputError(f"{path} is nested deeper than {MAX_DEPTH} levels.", field=path)
