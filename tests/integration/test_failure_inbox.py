"""The failure inbox through real parts: a Celery worker runs the flows and the bulk batch, the API starts
the batch and is polled for its progress, PostgreSQL and Redis in between; the outside world is a local
HTTP endpoint that refuses every item until it is "fixed", then counts each item it receives."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from flowbuilder.execution import actions as run_actions
from flowbuilder.execution.models import FailureRecord, Run, RunStatus
from tests.support.documents import document, edge, node
from tests.support.flows import published_flow
from tests.support.http_endpoint import Endpoint
from tests.support.live_stack import ApiSession, Proc, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TERMINAL = {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED}


def call_doc(url: str, on_error: str) -> dict:
    return document(
        [
            node("t", "trigger.manual"),
            node(
                "call",
                "http.request",
                {"method": "POST", "url": url, "body": {"id": "{{ $item.id }}"}},
                on_error=on_error,
            ),
        ],
        [edge("t", "call")],
    )


def test_a_batch_of_200_failed_items_is_retried_with_progress_nothing_lost_or_doubled(
    make_org: Any, make_user: Any, login: Callable[..., ApiSession], worker: Proc, endpoint: Endpoint
) -> None:
    fixed = {"on": False}
    received: Counter[str] = Counter()

    def answer(n: int, body: Any) -> tuple[int, dict, Any]:
        if not fixed["on"]:
            return 400, {}, {"error": "customer unknown"}
        received[str((body or {}).get("id"))] += 1
        return 200, {}, {"ok": True}

    endpoint.route("/erp", answer)
    org = make_org("Customer A")
    operator = make_user("olga", org, "admin")
    # 100 runs that fail on their one item, and one run that carries on past 100 items it failed on.
    strict = published_flow(operator, org, "Invoices", call_doc(endpoint.url + "/erp", "fail"))
    lenient = published_flow(operator, org, "Time entries", call_doc(endpoint.url + "/erp", "continue"))
    failed_runs = [
        run_actions.start_run(actor=operator, flow=strict, input_items=[{"id": f"r{i}"}]) for i in range(100)
    ]
    carried = run_actions.start_run(
        actor=operator, flow=lenient, input_items=[{"id": f"i{i}"} for i in range(100)]
    )
    originals = [r.pk for r in [*failed_runs, carried]]
    wait_until(
        lambda: Run.objects.filter(pk__in=originals, status__in=TERMINAL).count() == 101,
        120,
        "the first runs to finish",
    )
    assert Run.objects.get(pk=carried.pk).status == RunStatus.SUCCEEDED
    assert FailureRecord.objects.filter(organisation=org, state="open").count() == 200

    api = login("olga")
    groups = api.get(f"/api/inbox/?organisation={org.pk}").json()
    assert groups["total"] == 200
    [group] = groups["groups"]
    assert group["key"] == "category:refused_value" and group["runs"] == 101 and group["items"] == 100

    fixed["on"] = True
    started = api.post(
        "/api/inbox-batches/", json={"organisation": org.pk, "action": "retry", "group": group["key"]}
    )
    assert started.status_code == 201, started.text
    batch_id = started.json()["id"]
    seen: list[int] = []

    def finished() -> bool:
        batch = api.get(f"/api/inbox-batches/{batch_id}/").json()
        seen.append(batch["done"])
        return batch["status"] == "done"

    wait_until(finished, 120, "the batch to finish", interval=0.02)
    batch = api.get(f"/api/inbox-batches/{batch_id}/").json()
    assert (batch["total"], batch["done"], batch["succeeded"], batch["new_runs"], batch["errors"]) == (
        200,
        200,
        200,
        101,
        [],
    )
    assert seen == sorted(seen), "progress never goes back"
    assert any(0 < done < 200 for done in seen), f"progress was shown on the way: {sorted(set(seen))}"

    retries = Run.objects.filter(replay_of__in=originals)
    wait_until(lambda: retries.filter(status__in=TERMINAL).count() == 101, 120, "the retried runs to finish")
    assert set(retries.values_list("status", flat=True)) == {RunStatus.SUCCEEDED}
    assert sorted(retries.values_list("replay_of", flat=True)) == sorted(originals)  # one retry per run
    # Every item reached the system exactly once after the fix: nothing lost, nothing doubled.
    expected = {f"r{i}" for i in range(100)} | {f"i{i}" for i in range(100)}
    time.sleep(0.5)
    assert set(received) == expected and set(received.values()) == {1}
    assert FailureRecord.objects.filter(organisation=org, state="open").count() == 0
    assert api.get(f"/api/inbox/?organisation={org.pk}").json()["total"] == 0
