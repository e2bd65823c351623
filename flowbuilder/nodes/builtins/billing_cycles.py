"""Billing cycles and periods: which period a day of work belongs to, when a period may be invoiced.

A customer bills monthly, semi-monthly, weekly or on milestone acceptance. A period has an id that is safe
in an ERP external id (``2026-02``, ``2026-02-H1``, ``2026-W06``, ``M<milestone id>``), a first and a last
day, and closes for billing ``cutoff_days`` after its last day: work approved by then is on its invoice,
work approved later goes to the next period's invoice (see :mod:`.billing`). Pure functions, no clock.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

CYCLES = ("monthly", "semi-monthly", "weekly", "milestone")


@dataclass(frozen=True)
class Period:
    id: str
    start: date
    end: date


def period_of(day: date, cycle: str) -> Period:
    """The calendar period of ``day`` in a time-based cycle."""
    if cycle == "monthly":
        last = calendar.monthrange(day.year, day.month)[1]
        return Period(f"{day:%Y-%m}", day.replace(day=1), day.replace(day=last))
    if cycle == "semi-monthly":
        if day.day <= 15:
            return Period(f"{day:%Y-%m}-H1", day.replace(day=1), day.replace(day=15))
        last = calendar.monthrange(day.year, day.month)[1]
        return Period(f"{day:%Y-%m}-H2", day.replace(day=16), day.replace(day=last))
    if cycle == "weekly":
        monday = day - timedelta(days=day.weekday())
        year, week, _ = monday.isocalendar()
        return Period(f"{year}-W{week:02d}", monday, monday + timedelta(days=6))
    raise ValueError(f"{cycle!r} is not a calendar billing cycle")


def next_period(period: Period, cycle: str) -> Period:
    """The period right after ``period``."""
    return period_of(period.end + timedelta(days=1), cycle)


def is_closed(period: Period, cutoff_days: int, today: date) -> bool:
    """Whether the period's cut-off has passed, so its invoice may be drafted."""
    return today > period.end + timedelta(days=max(0, cutoff_days))


def parse_day(value: object) -> date | None:
    """An ISO date (or the date part of an ISO timestamp); None when it is not one."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None
