"""Cron expressions in a time zone, evaluated by a maintained library (cronsim) instead of by hand.

Schedules run in the customer's time zone (``Organisation.zone``): "0 6 * * 1-5" is 06:00 on weekdays
where the customer is, in winter and in summer. Daylight saving follows cronsim's documented behaviour,
which is Debian cron's:

* Spring forward (the clock jumps 02:00 -> 03:00): a job at a time that does not exist that day
  (02:30) runs once, at the moment the clock jumps (03:00 local).
* Fall back (03:00 -> 02:00): a job at a fixed hour in the repeated hour (02:30) runs once, on the first
  pass; a job whose hour is a wildcard (``*/30 * * * *``) runs in both passes, as the clock shows them.

Times come back as aware datetimes in the zone; callers store and compare them in UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

UTC = ZoneInfo("UTC")
FIELDS = "minute hour day-of-month month day-of-week"
# cronsim gives up on expressions that never match (30 February) after this many years.
_NEVER = (CronSimError, StopIteration)


def zone_named(name: str | None) -> tzinfo:
    """The IANA zone ``name`` (UTC when empty or unknown on this machine, as ``Organisation.zone``)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def check(expression: str) -> str | None:
    """None if ``expression`` is a valid five-field cron expression, else what is wrong."""
    fields = str(expression or "").split()
    if len(fields) != 5:
        return f"A cron expression has five fields: {FIELDS}."
    try:
        CronSim(" ".join(fields), datetime(2000, 1, 1, tzinfo=UTC))
    except CronSimError as exc:
        return f"{exc}."
    return None


def fire_times(expression: str, after: datetime, zone: tzinfo = UTC) -> Iterator[datetime]:
    """Fire times strictly after ``after``, in ``zone`` (ValueError for an invalid expression)."""
    problem = check(expression)
    if problem:
        raise ValueError(problem)
    start = after.astimezone(zone)
    # cronsim yields times >= start + a minute boundary; strictly after ``after`` is what a tick wants.
    for when in CronSim(" ".join(expression.split()), start):
        if when > after:
            yield when


def next_fire_time(expression: str, after: datetime, zone: tzinfo = UTC) -> datetime:
    """The first fire time strictly after ``after`` (in ``zone``); ValueError if there is none within
    cronsim's search horizon (e.g. "0 0 30 2 *")."""
    try:
        return next(fire_times(expression, after, zone))
    except _NEVER as exc:
        raise ValueError(f"The cron expression {expression!r} never matches.") from exc


def next_fire_times(expression: str, after: datetime, zone: tzinfo = UTC, count: int = 5) -> list[datetime]:
    times: list[datetime] = []
    iterator = fire_times(expression, after, zone)
    try:
        while len(times) < count:
            times.append(next(iterator))
    except _NEVER as exc:
        if not times:
            raise ValueError(f"The cron expression {expression!r} never matches.") from exc
    return times


def every(interval_s: int, after: datetime, count: int = 5) -> list[datetime]:
    """The next ``count`` ticks of an interval schedule starting now."""
    return [after + timedelta(seconds=interval_s * (i + 1)) for i in range(count)]
