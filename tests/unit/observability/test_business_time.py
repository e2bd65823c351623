"""Business time: working days and hours, weekends and the country's public holidays."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from flowbuilder.core.errors import InvalidInputError
from flowbuilder.observability import business_time as bt

LONDON = ZoneInfo("Europe/London")
UK = bt.Calendar(tz=LONDON, country="GB", subdivision="ENG")  # Easter Monday is not a Scottish holiday


def at(*args):
    return dt.datetime(*args, tzinfo=LONDON)


def test_one_business_day_skips_the_weekend():
    assert bt.add_business_days(UK, at(2026, 3, 13, 15, 0), 1) == at(2026, 3, 16, 15, 0)  # Fri -> Mon


def test_bank_holidays_do_not_count():
    # Good Friday 2026-04-03 and Easter Monday 2026-04-06 are English bank holidays.
    assert bt.add_business_days(UK, at(2026, 4, 2, 10, 0), 1) == at(2026, 4, 7, 10, 0)
    assert UK.is_holiday(dt.date(2026, 12, 25))
    assert not bt.Calendar(tz=LONDON).is_holiday(dt.date(2026, 12, 25))


def test_a_clock_started_out_of_hours_starts_at_the_next_opening():
    assert bt.add_business_hours(UK, at(2026, 3, 14, 11, 0), 2) == at(2026, 3, 16, 11, 0)  # Saturday
    assert bt.add_business_hours(UK, at(2026, 3, 16, 7, 0), 1) == at(2026, 3, 16, 10, 0)
    assert bt.add_business_hours(UK, at(2026, 3, 16, 16, 0), 3) == at(2026, 3, 17, 11, 0)  # over the night


def test_fractions_of_a_day_and_calendar_hours():
    assert bt.add_business_days(UK, at(2026, 3, 16, 9, 0), 1.5) == at(2026, 3, 17, 13, 0)
    assert bt.due_at(UK, at(2026, 3, 14, 9, 0), 24, "hours") == at(2026, 3, 15, 9, 0)


def test_daylight_saving_keeps_the_wall_clock():
    # Clocks go forward on Sunday 2026-03-29: Friday 10:00 + 1 business day is Monday 10:00 local time.
    due = bt.add_business_days(UK, at(2026, 3, 27, 10, 0), 1)
    assert due.astimezone(LONDON).hour == 10 and due.astimezone(LONDON).day == 30


def test_unknown_country_and_empty_week_are_refused():
    with pytest.raises(InvalidInputError) as err:
        bt.check_country("ZZ")
    assert err.value.field == "country"
    with pytest.raises(InvalidInputError):
        bt.add_business_days(bt.Calendar(tz=LONDON, working_days=frozenset()), at(2026, 3, 16, 9, 0), 1)
