"""Business time: an organisation's working days and hours, minus its country's public holidays.

An SLA such as "invoice within one business day of time approval" is due on the next working day at the
same clock time: approved Friday 15:00 in London, due Monday 15:00 (Tuesday if Monday is a bank holiday).
A clock that starts outside working hours starts at the next opening. Holidays come from the maintained
``holidays`` library for ``Organisation.country`` (and the calendar's subdivision), plus the calendar's own
extra dates; all arithmetic is on the organisation's wall clock (``Organisation.timezone``), so daylight
saving changes do not move a due time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays

from flowbuilder.core.errors import InvalidInputError

MAX_DAYS_SCANNED = 3660  # ten years of days: a calendar with no working day is refused, not looped over


@lru_cache(maxsize=256)
def _public_holidays(country: str, subdivision: str) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=subdivision or None)


def check_country(country: str, subdivision: str = "") -> None:
    """InvalidInputError naming the field when ``holidays`` does not know the country or subdivision."""
    if not country:
        return
    try:
        _public_holidays(country.upper(), subdivision.upper())
    except NotImplementedError as exc:
        field_name = "subdivision" if subdivision else "country"
        raise InvalidInputError(
            f"No public holidays are known for {country}{'-' + subdivision if subdivision else ''}.",
            field=field_name,
        ) from exc


@dataclass(frozen=True)
class Calendar:
    tz: ZoneInfo
    working_days: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    day_start: dt.time = dt.time(9, 0)
    day_end: dt.time = dt.time(17, 0)
    country: str = ""
    subdivision: str = ""
    extra_holidays: frozenset[dt.date] = field(default_factory=frozenset)

    def is_holiday(self, day: dt.date) -> bool:
        if day in self.extra_holidays:
            return True
        return bool(self.country) and day in _public_holidays(self.country, self.subdivision)

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() in self.working_days and not self.is_holiday(day)

    @property
    def hours_per_day(self) -> float:
        return _seconds(self.day_start, self.day_end) / 3600

    def opening(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, self.day_start, tzinfo=self.tz)

    def closing(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, self.day_end, tzinfo=self.tz)

    def next_working_day(self, day: dt.date) -> dt.date:
        for _ in range(MAX_DAYS_SCANNED):
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                return day
        raise InvalidInputError("The business calendar has no working day.", field="working_days")

    def clock_start(self, moment: dt.datetime) -> dt.datetime:
        """The first business moment at or after ``moment`` (local time)."""
        local = moment.astimezone(self.tz)
        day = local.date()
        if self.is_working_day(day):
            if local.timetz().replace(tzinfo=None) < self.day_start:
                return self.opening(day)
            if local.timetz().replace(tzinfo=None) < self.day_end:
                return local
        return self.opening(self.next_working_day(day))


def _seconds(a: dt.time, b: dt.time) -> float:
    return (dt.datetime.combine(dt.date.min, b) - dt.datetime.combine(dt.date.min, a)).total_seconds()


def calendar_for(organisation: Any, calendar: Any = None) -> Calendar:
    """The organisation's calendar (its BusinessCalendar row, else Monday-Friday 9-17 with holidays)."""
    if calendar is None:
        from .insight_models import BusinessCalendar

        calendar = BusinessCalendar.objects.filter(organisation_id=organisation.pk).first()
    tz = ZoneInfo(organisation.timezone or "UTC")
    country = (organisation.country or "").upper()
    if calendar is None:
        return Calendar(tz=tz, country=country)
    extra = frozenset(dt.date.fromisoformat(d) for d in calendar.extra_holidays or [])
    return Calendar(
        tz=tz,
        working_days=frozenset(int(d) for d in calendar.working_days),
        day_start=calendar.day_start,
        day_end=calendar.day_end,
        country=country if calendar.public_holidays else "",
        subdivision=(calendar.subdivision or "").upper(),
        extra_holidays=extra,
    )


def add_business_hours(cal: Calendar, start: dt.datetime, hours: float | Decimal) -> dt.datetime:
    """``start`` plus ``hours`` of working time."""
    remaining = float(hours) * 3600
    cursor = cal.clock_start(start)
    for _ in range(MAX_DAYS_SCANNED):
        available = (cal.closing(cursor.date()) - cursor).total_seconds()
        if remaining <= available:
            return (cursor + dt.timedelta(seconds=remaining)).astimezone(dt.UTC)
        remaining -= available
        cursor = cal.opening(cal.next_working_day(cursor.date()))
    raise InvalidInputError("The SLA target is too far in business time.", field="target")


def add_business_days(cal: Calendar, start: dt.datetime, days: float | Decimal) -> dt.datetime:
    """``start`` plus ``days`` working days at the same clock time (a fraction counts in working hours)."""
    cursor = cal.clock_start(start)
    whole = int(days)
    for _ in range(whole):
        day = cal.next_working_day(cursor.date())
        cursor = dt.datetime.combine(day, cursor.timetz().replace(tzinfo=None), tzinfo=cal.tz)
    fraction = float(days) - whole
    if fraction > 0:
        return add_business_hours(cal, cursor, fraction * cal.hours_per_day)
    return cursor.astimezone(dt.UTC)


def due_at(cal: Calendar, start: dt.datetime, target: float | Decimal, unit: str) -> dt.datetime:
    """When a clock started at ``start`` with ``target`` ``unit``s runs out."""
    if unit == "business_days":
        return add_business_days(cal, start, target)
    if unit == "business_hours":
        return add_business_hours(cal, start, target)
    return start + dt.timedelta(hours=float(target))
