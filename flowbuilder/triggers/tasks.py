"""Celery tasks for triggers: one beat tick finds due triggers, one task per trigger polls it.

Beat only sends ``triggers.poll_due`` (a static entry in ``CELERY_BEAT_SCHEDULE``); all work, and any
error, happens in workers, so a failing system can never stop beat.
"""

from __future__ import annotations

from celery import shared_task

from flowbuilder.execution import dispatch

from . import actions, subscriptions


@shared_task(name="triggers.poll_due", ignore_result=True)
def poll_due() -> int:
    ids = actions.claim_due()  # committed: the leases hold before any poll starts
    for state_id in ids:
        dispatch.poll_trigger(state_id)
    return len(ids)


# acks_late: a worker killed mid-poll gets the task redelivered; the generation check in
# actions.poll_trigger makes a second poll of the same cursor commit nothing.
@shared_task(name=dispatch.POLL_TRIGGER, ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def poll_trigger(state_id: int) -> str:
    return actions.poll_trigger(state_id).status


@shared_task(name="triggers.prune_ingress_marks", ignore_result=True)
def prune_ingress_marks() -> dict[str, int]:
    """Beat, hourly: expired webhook delivery ids, seen record versions and write marks go."""
    return actions.prune_ingress_marks()


@shared_task(name="triggers.renew_bc_subscriptions", ignore_result=True)
def renew_bc_subscriptions() -> dict[str, int]:
    """Beat, twice a day: Business Central webhook subscriptions expiring soon are renewed."""
    return subscriptions.renew_business_central_subscriptions()
