"""Small pure helpers shared by the mappings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def compact(data: Mapping[str, Any]) -> dict[str, Any]:
    """Drop keys whose value is None (a write must not blank fields the canonical record left unset)."""
    return {k: v for k, v in data.items() if v is not None}


def num(value: Any) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def cents(value: Any) -> float | None:
    amount = num(value)
    return None if amount is None else round(amount / 100.0, 2)


def to_cents(value: Any) -> int | None:
    amount = num(value)
    return None if amount is None else int(round(amount * 100))


def text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def ref_id(value: Any) -> str | None:
    """NetSuite references are ``{"id": "12", "refName": ...}``; plain ids pass through."""
    if isinstance(value, Mapping):
        return text(value.get("id"))
    return text(value)


def ref_name(value: Any) -> str | None:
    return text(value.get("refName")) if isinstance(value, Mapping) else None


def date_part(value: Any) -> str | None:
    return None if value in (None, "") else str(value)[:10]


def iso_datetime(value: Any) -> str | None:
    """Normalise ``2026-01-05T10:00:00.000+0000`` (Salesforce) to RFC 3339 ``...+00:00``."""
    if value in (None, ""):
        return None
    raw = str(value)
    if len(raw) >= 5 and raw[-5] in "+-" and raw[-3] != ":" and raw[-4:].isdigit():
        raw = raw[:-2] + ":" + raw[-2:]
    return raw
