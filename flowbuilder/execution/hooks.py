"""Hooks outer apps register at start-up, so execution never imports them (see ``flows.hooks``).

``run_started(run)`` is called by ``execution.actions.start_run`` after a run row is stored, inside the
caller's transaction where there is one: the observability app indexes the business ids a run carries
(``observability.trace.index_run``). A hook must be cheap (it is on the webhook path) and must not fail
the start: an exception is logged and swallowed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.db import connection, transaction

if TYPE_CHECKING:
    from .models import Run

log = logging.getLogger(__name__)

RunHook = Callable[["Run"], None]

_on_start: list[RunHook] = []


def on_run_started(hook: RunHook) -> RunHook:
    """Register ``hook(run)`` to be called for every started run (idempotent)."""
    if hook not in _on_start:
        _on_start.append(hook)
    return hook


def run_started(run: Run) -> None:
    for hook in _on_start:
        try:
            if connection.in_atomic_block:
                with transaction.atomic():  # a savepoint: a failing hook leaves the start intact
                    hook(run)
            else:
                hook(run)
        except Exception:  # an index is not worth a lost run
            log.exception("run start hook %s failed for run %s", getattr(hook, "__name__", hook), run.pk)
