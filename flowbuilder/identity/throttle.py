"""Fixed-window request budgets kept in the database (shared by every web process).

Used for password-reset requests: per client address and per e-mail address, so neither one machine
nor many machines aiming at one mailbox can make us send mail without limit.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .models import RequestBudget


def budget_key(scope: str, value: str) -> str:
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:40]
    return f"{scope}:{digest}"


def spend(scope: str, value: str, *, limit: int, window_s: float) -> bool:
    """Count one request for ``value`` in ``scope``; False once ``limit`` were made in the window."""
    if limit <= 0:
        return True
    now = timezone.now()
    key = budget_key(scope, value)
    with transaction.atomic():
        row, _ = RequestBudget.objects.select_for_update().get_or_create(
            key=key, defaults={"window_start": now, "count": 0}
        )
        if now - row.window_start >= timedelta(seconds=window_s):
            row.window_start, row.count = now, 0
        if row.count >= limit:
            row.save(update_fields=["window_start", "count"])
            return False
        row.count += 1
        row.save(update_fields=["window_start", "count"])
    return True


def retry_after(scope: str, value: str, *, window_s: float) -> int:
    """Seconds until the current window of ``value`` ends (0 if there is none)."""
    row = RequestBudget.objects.filter(key=budget_key(scope, value)).first()
    if row is None:
        return 0
    left = (row.window_start + timedelta(seconds=window_s) - timezone.now()).total_seconds()
    return max(0, int(left) + 1)
