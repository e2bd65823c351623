"""Celery tasks: they carry ids and a claim token, never objects or secrets."""

from __future__ import annotations

import logging

from celery import shared_task

from . import actions, dispatch, durability
from .durability import count_delivery
from .engine import Engine

log = logging.getLogger(__name__)

TASK_OPTIONS = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}


@shared_task(name=dispatch.ADVANCE_RUN, bind=True, **TASK_OPTIONS)
def advance_run(self, run_id: int) -> None:
    if (self.request.delivery_info or {}).get("redelivered"):
        if not count_delivery(run_id):
            return
    Engine(run_id).drive()


@shared_task(name=dispatch.RUN_BRANCH, **TASK_OPTIONS)
def run_branch(run_id: int, node_id: str, claim: int) -> None:
    Engine(run_id).drive(branch_node=node_id, branch_claim=claim)


@shared_task(name="execution.sweep", ignore_result=True)
def sweep() -> dict:
    return durability.sweep()


@shared_task(name=dispatch.START_ERROR_FLOW, **TASK_OPTIONS)
def start_error_flow(run_id: int) -> None:
    actions.start_error_flow(run_id)
