"""Idle polling triggers back off: every empty poll waits longer, up to a cap; a found record resets it.

A trigger that has found nothing for a while is polled after half the time it has been idle (never
sooner than its own interval, never later than ``FLOWBUILDER_POLL_IDLE_CAP_S``), so consecutive empty
polls lengthen the interval geometrically (about x1.5 each) while a busy trigger keeps its interval.
"Idle since" is when the trigger last started a run (records found), else when it was created. This
spares the systems' API allowances (Salesforce counts every request against the org's daily limit).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from flowbuilder.execution.models import Run

from .models import PollingState
from .schedule import TriggerSpec


def idle_delay(interval_s: float, idle_s: float, cap_s: float) -> float:
    """Seconds until the next poll of a trigger idle for ``idle_s`` seconds (pure; see module doc)."""
    interval = max(1.0, float(interval_s))
    return min(max(interval, cap_s), max(interval, idle_s / 2.0))


def idle_due(spec: TriggerSpec, state: PollingState, now: datetime) -> datetime:
    """When an empty poll of ``state`` is next due."""
    found_at = None
    if state.last_run_id:
        found_at = Run.objects.filter(pk=state.last_run_id).values_list("created_at", flat=True).first()
    since = found_at or state.created_at or now
    idle = max(0.0, (now - since).total_seconds())
    return now + timedelta(seconds=idle_delay(spec.interval_s, idle, settings.FLOWBUILDER_POLL_IDLE_CAP_S))
