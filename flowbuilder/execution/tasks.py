"""Celery tasks: they carry ids and a claim token, never objects or secrets."""

from __future__ import annotations

import logging

from celery import shared_task

from .engine import Engine

log = logging.getLogger(__name__)

TASK_OPTIONS = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}


@shared_task(name="execution.advance_run", bind=True, **TASK_OPTIONS)
def advance_run(self, run_id: int) -> None:
    if (self.request.delivery_info or {}).get("redelivered"):
        from .durability import count_delivery

        if not count_delivery(run_id):
            return
    Engine(run_id).drive()


@shared_task(name="execution.run_branch", **TASK_OPTIONS)
def run_branch(run_id: int, node_id: str, claim: int) -> None:
    Engine(run_id).drive(branch_node=node_id, branch_claim=claim)


@shared_task(name="execution.sweep", ignore_result=True)
def sweep() -> dict:
    from .durability import sweep as do_sweep

    return do_sweep()


def enqueue_advance(run_id: int, countdown: float = 0.0) -> None:
    if countdown > 0 and advance_run.app.conf.task_always_eager:
        return  # eager mode (unit tests) cannot wait; the test wakes the run itself
    advance_run.apply_async((run_id,), countdown=countdown or None)


def enqueue_branch(run_id: int, node_id: str, claim: int) -> None:
    run_branch.apply_async((run_id, node_id, claim))
