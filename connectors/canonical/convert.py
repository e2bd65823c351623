"""Value converters shared by the connectors' field tables (``connectors.canonical.fields``).

Each takes one value, None included (a missing field), and returns None when there is nothing to map.
System-specific ones (Kantata cents, NetSuite references) live in that connector's ``canonical.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def num(value: Any) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def or_none(value: Any) -> Any:
    """Empty values ("", 0, [], False) count as unset."""
    return value or None


def negate(value: Any) -> bool | None:
    """``archived`` <-> ``active``, keeping "unknown" (None) unknown."""
    return None if value is None else not value


def always(value: Any) -> Callable[[Any], Any]:
    """A constant, for ``Computed``/``Composed`` entries (e.g. ``source_system``)."""
    return lambda _source: value


def iso_datetime(value: Any) -> str | None:
    """Normalise ``2026-01-05T10:00:00.000+0000`` (Salesforce) to RFC 3339 ``...+00:00``."""
    if value in (None, ""):
        return None
    raw = str(value)
    if len(raw) >= 5 and raw[-5] in "+-" and raw[-3] != ":" and raw[-4:].isdigit():
        raw = raw[:-2] + ":" + raw[-2:]
    return raw
