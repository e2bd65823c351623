"""Fair sharing on real parts: while one organisation floods the workers with a backlog, another
organisation's single run is taken within seconds, not after the backlog.

A real Celery worker (2 threads) runs the flows, PostgreSQL holds the backlog (runs beyond the flooding
organisation's share wait there, undispatched) and Redis carries only what was admitted. The flood's runs
each call a local HTTP endpoint that answers after 100 ms, so the backlog lasts far longer than the test's
deadline for the other organisation's run.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.conf import settings

from flowbuilder.execution import actions as run_actions
from flowbuilder.execution.models import Run, RunStatus
from tests.support.documents import document, edge, node
from tests.support.flows import published_flow
from tests.support.http_endpoint import Endpoint
from tests.support.live_stack import Proc, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

FLOOD = 300


def test_a_flood_from_one_organisation_does_not_hold_back_anothers_single_run(
    make_org: Any, make_user: Any, worker: Proc, endpoint: Endpoint
) -> None:
    endpoint.slow("/work", 0.1)
    flooding = make_org("Flooding customer")
    alice = make_user("alice", flooding, "admin")
    busy = published_flow(
        alice,
        flooding,
        "Nightly import",
        document(
            [
                node("t", "trigger.manual"),
                node("call", "http.request", {"method": "POST", "url": endpoint.url + "/work"}),
            ],
            [edge("t", "call")],
        ),
    )
    quiet = make_org("Quiet customer")
    bob = make_user("bob", quiet, "admin")
    single = published_flow(
        bob,
        quiet,
        "Invoice",
        document([node("t", "trigger.manual"), node("m", "transform.map", {"fields": []})], [edge("t", "m")]),
    )

    flood = [run_actions.start_run(actor=alice, flow=busy, input_items=[{"i": i}]) for i in range(FLOOD)]
    # The backlog waits in the database: only the organisation's share went to the broker.
    assert endpoint.wait_for_calls("/work", 1, timeout=30), "the worker never started the flood"
    dispatched = Run.objects.filter(flow=busy, dispatched_at__isnull=False).count()
    assert dispatched <= settings.FLOWBUILDER_ORG_ACTIVE_RUNS + endpoint.calls["/work"]

    started = time.monotonic()
    other = run_actions.start_run(actor=bob, flow=single, input_items=[{"invoice": 1}])
    done = wait_until(
        lambda: Run.objects.filter(pk=other.pk, status__in=[RunStatus.SUCCEEDED, RunStatus.FAILED]).first(),
        30,
        "the other organisation's run never finished",
    )
    waited = time.monotonic() - started
    assert done.status == RunStatus.SUCCEEDED
    backlog = Run.objects.filter(pk__in=[r.pk for r in flood], status=RunStatus.QUEUED).count()
    # "Within a few seconds", and long before the flood is through: most of it is still waiting.
    assert waited < 5, f"the other organisation's run took {waited:.1f} s behind the flood"
    assert backlog > FLOOD // 2, f"only {backlog} of the flood's {FLOOD} runs were still waiting"
