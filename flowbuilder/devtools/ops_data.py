"""Synthetic run history for the demo, the browser tests and ``bench/ops_scale.py``: runs with outcomes and
durations spread over time, failed items, and the business ids the trace follows, written in bulk.

Rows are inserted directly (``bulk_create``), not started: nothing is dispatched to a worker, so the
history stays as written. Only for demos, tests and benchmarks.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from flowbuilder.execution import failure_records
from flowbuilder.execution.models import FailureRecord, NodeRun, NodeStatus, Run, RunEvent, RunStatus
from flowbuilder.observability.insight_models import TraceKey

BATCH = 5000
ERRORS = [
    ("Salesforce refused the value: INVALID_EMAIL_ADDRESS", "refused_value"),
    ("NetSuite answered 429: concurrency limit exceeded", "rate_limit"),
    ("Kantata token expired (401)", "connection"),
    ("The customer record does not exist in NetSuite", "missing_reference"),
]


@dataclass
class Mix:
    """How a flow's runs turn out: the share that fail, stay active, and their typical duration."""

    failure_rate: float = 0.05
    active_rate: float = 0.01
    median_s: float = 3.0


def sf_id(prefix: str, n: int) -> str:
    """A Salesforce-shaped 18-character id (the trace recognises ids by their key prefix)."""
    return f"{prefix}5g{n:013d}"[:18].ljust(18, "A")


def _chunks(rows: list[Any], size: int = BATCH) -> Iterator[list[Any]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def bulk_runs(
    flow: Any,
    count: int,
    *,
    hours: float = 24.0,
    mix: Mix | None = None,
    now: dt.datetime | None = None,
    rng: random.Random | None = None,
    deal_offset: int = 0,
    failed_items: int = 0,
) -> list[int]:
    """``count`` top-level runs of ``flow`` created over the last ``hours``; returns their ids.

    Each run carries one opportunity id (``sf_id("006", deal_offset + i)``) in its input item and is indexed
    for the trace; ``failed_items`` of the succeeded runs get a failed item (a continued node failure).
    """
    mix = mix or Mix()
    rng = rng or random.Random(flow.pk)
    now = now or timezone.now()
    runs: list[Run] = []
    created_at: list[dt.datetime] = []
    for i in range(count):
        created = now - dt.timedelta(seconds=rng.uniform(0, hours * 3600))
        roll = rng.random()
        status = (
            RunStatus.FAILED
            if roll < mix.failure_rate
            else (
                rng.choice([RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.WAITING])
                if roll < mix.failure_rate + mix.active_rate
                else RunStatus.SUCCEEDED
            )
        )
        seconds = rng.lognormvariate(0, 0.8) * mix.median_s
        finished = (
            created + dt.timedelta(seconds=seconds)
            if status in (RunStatus.FAILED, RunStatus.SUCCEEDED)
            else None
        )
        if finished and finished > now:
            finished = now
        message, category = rng.choice(ERRORS)
        created_at.append(created)
        runs.append(
            Run(
                organisation_id=flow.organisation_id,
                flow_id=flow.pk,
                version_id=flow.published_version_id,
                status=status,
                origin="webhook",
                input_items=[{"Id": sf_id("006", deal_offset + i), "Name": f"Deal {deal_offset + i}"}],
                error={"message": message, "category": category, "node_id": "upsert"}
                if status == RunStatus.FAILED
                else None,
                started_at=created if status != RunStatus.QUEUED else None,
                finished_at=finished,
                dispatched_at=created if status != RunStatus.QUEUED or rng.random() < 0.5 else None,
                last_seq=1,
            )
        )
    ids: list[int] = []
    with transaction.atomic():
        for chunk in _chunks(runs):
            made = Run.objects.bulk_create(chunk)
            ids += [r.pk for r in made]
        # created_at is auto_now_add: set the spread afterwards, in one statement per chunk.
        for r, created in zip(runs, created_at, strict=True):
            r.created_at = created
        for chunk in _chunks(runs):
            Run.objects.bulk_update(chunk, ["created_at"], batch_size=BATCH)
        events = [
            RunEvent(run_id=r.pk, seq=1, type="run.queued", payload={"status": "queued"}, at=r.created_at)
            for r in runs
        ]
        for chunk in _chunks(events):
            RunEvent.objects.bulk_create(chunk)
        keys = [
            TraceKey(
                organisation_id=flow.organisation_id,
                system="salesforce",
                entity="opportunity",
                external_id=r.input_items[0]["Id"],
                thread=f"item:{r.pk}:0",
                run_id=r.pk,
                at=r.created_at,
            )
            for r in runs
        ]
        for chunk in _chunks(keys):
            TraceKey.objects.bulk_create(chunk, ignore_conflicts=True)
        succeeded = [r for r in runs if r.status == RunStatus.SUCCEEDED][:failed_items]
        nodes = []
        for r in succeeded:
            message, category = rng.choice(ERRORS)
            nodes.append(
                NodeRun(
                    run_id=r.pk,
                    node_id="upsert",
                    status=NodeStatus.FAILED,
                    error={"message": message, "category": category, "continued": True},
                    started_at=r.started_at,
                    finished_at=r.finished_at,
                )
            )
        for chunk in _chunks(nodes):
            NodeRun.objects.bulk_create(chunk)
        # The failure inbox's rows, as the engine writes them: one per failed run, one per failed item.
        failures = [failure_records.for_run(r, r.error) for r in runs if r.status == RunStatus.FAILED] + [
            failure_records.for_items(r, "upsert", node.error, [r.input_items[0]])[0]
            for r, node in zip(succeeded, nodes, strict=True)
        ]
        for chunk in _chunks(failures):
            FailureRecord.objects.bulk_create(chunk)
        by_run = {r.pk: r.created_at for r in runs}
        for f in failures:
            f.created_at = by_run[f.run_id]
        for chunk in _chunks(failures):
            FailureRecord.objects.bulk_update(chunk, ["created_at"], batch_size=BATCH)
    return ids
