"""Every Celery task is enqueued from here, by name, with ids only.

Callers never import the tasks modules (tasks import the engine, so the engine importing tasks was a
cycle): they call these functions, which send by task name. Enqueueing after a commit is the caller's
transaction's business: :func:`after_commit` wraps ``transaction.on_commit`` with ``robust=True`` so a
broker that is down is logged and never fails the request; the sweeper finds the stored run later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from celery import current_app
from django.db import transaction

log = logging.getLogger(__name__)

ADVANCE_RUN = "execution.advance_run"
RUN_BRANCH = "execution.run_branch"
POLL_TRIGGER = "triggers.poll_trigger"
START_ERROR_FLOW = "execution.start_error_flow"


def _send(
    name: str, args: tuple[Any, ...], countdown: float | None = None, priority: int | None = None
) -> None:
    app = current_app
    if app.conf.task_always_eager:
        # Unit tests run tasks inline; autodiscovery imports the tasks modules as a worker would.
        if name not in app.tasks:
            app.loader.import_default_modules()
        app.tasks[name].apply(args=args)
        return
    app.send_task(name, args=args, countdown=countdown or None, priority=priority)


def advance_run(run_id: int, countdown: float = 0.0, priority: int | None = None) -> None:
    """Ring the worker's doorbell for a run (now, or after ``countdown`` seconds); lower priority numbers
    are taken first (execution.admission.PRIORITY)."""
    if countdown > 0 and current_app.conf.task_always_eager:
        return  # eager mode (unit tests) cannot wait; the test wakes the run itself
    _send(ADVANCE_RUN, (run_id,), countdown, priority)


def run_branch(run_id: int, node_id: str, claim: int) -> None:
    """Run one claimed node of a run in another worker (a parallel branch); carries its claim token."""
    _send(RUN_BRANCH, (run_id, node_id, claim))


def start_error_flow(run_id: int) -> None:
    """A run failed finally: start its error flow (if it has one) in a worker."""
    _send(START_ERROR_FLOW, (run_id,))


def poll_trigger(state_id: int) -> None:
    """Poll one polling/schedule trigger row now."""
    _send(POLL_TRIGGER, (state_id,))


def after_commit(send: Callable[[], None]) -> None:
    """Send once the current transaction commits (at once outside one); a broker error is only logged."""
    transaction.on_commit(send, robust=True)


def send(name: str, *args: Any) -> None:
    """Enqueue an outer app's task by name (e.g. ``observability.run_reconciliation``), ids only."""
    _send(name, args)
