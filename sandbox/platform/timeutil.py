"""Time helpers shared by the emulated systems (each system formats timestamps its own way)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

_ISO_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?"
    r"\s*(Z|z|[+-]\d{2}:?\d{2})?)?$"
)


def utcnow() -> datetime:
    return datetime.now(UTC)


def parse_iso(text: str) -> datetime | None:
    """Parse ISO 8601 date or date-time (Z, +0000, +00:00 offsets); naive values are taken as UTC."""
    m = _ISO_RE.match(text.strip()) if isinstance(text, str) else None
    if not m:
        return None
    year, month, day, hh, mm, ss, frac, tz = m.groups()
    try:
        value = datetime(
            int(year),
            int(month),
            int(day),
            int(hh or 0),
            int(mm or 0),
            int(ss or 0),
            int((frac or "0")[:6].ljust(6, "0")),
            tzinfo=UTC,
        )
    except ValueError:
        return None
    if tz and tz not in ("Z", "z"):
        sign = 1 if tz[0] == "+" else -1
        digits = tz[1:].replace(":", "")
        value -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return value


def parse_date(text: str) -> date | None:
    value = parse_iso(text) if isinstance(text, str) and len(text) == 10 else None
    return value.date() if value else None


def sf_datetime(value: datetime) -> str:
    """Salesforce REST format: 2026-01-05T10:00:00.000+0000."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


def iso_z(value: datetime, millis: bool = False) -> str:
    """ISO with Z suffix (NetSuite record API, Business Central with millis)."""
    value = value.astimezone(UTC)
    if millis:
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_offset(value: datetime) -> str:
    """Kantata format: 2026-01-05T10:00:00+00:00."""
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


def start_of_day(value: date) -> datetime:
    return datetime(value.year, value.month, value.day, tzinfo=UTC)
