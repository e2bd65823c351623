"""Celery tasks of the failure inbox: ids in, the work in ``inbox_actions``."""

from __future__ import annotations

from celery import shared_task

from .inbox_actions import RUN_BATCH, run_batch


@shared_task(name=RUN_BATCH, ignore_result=True, acks_late=True)
def run_inbox_batch(batch_id: int) -> int:
    return run_batch(batch_id).done


@shared_task(name="observability.evaluate_alerts", ignore_result=True)
def evaluate_alerts() -> int:
    """Beat, every minute: every enabled alert rule."""
    from .alerts import evaluate_all

    return evaluate_all()


@shared_task(name="observability.prune_run_data", ignore_result=True)
def prune_run_data() -> int:
    """Beat, daily: delete run data past each organisation's retention; returns the bytes saved."""
    from .retention import prune

    return prune().bytes_saved
