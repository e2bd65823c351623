"""Duplicate detection through real parts: PostgreSQL, Redis, a Celery worker, the ASGI server and the
sandbox's NetSuite over HTTP.

NetSuite already has "<Word> Inc" (no website). A Salesforce account "<Word>, Inc." arrives: the match node
finds the customer through SuiteQL, judges it a near match (same name once punctuation and the legal form
are ignored; no domain or tax id to confirm it), opens a review and holds the item, which shows in the
failure inbox as needing review; nothing is created. Run again, it is held again: the same inbox record,
seen twice. A person links it over the API and asks for a replay:
the replayed run follows the decision, updates the existing customer and creates no second one.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from flowbuilder.credentials import actions as credential_actions
from flowbuilder.credentials import runtime
from flowbuilder.crossref import actions as crossref
from flowbuilder.crossref.models import MatchReview
from flowbuilder.execution import actions as run_actions
from flowbuilder.execution.models import FailureRecord, NodeRun, Run
from flowbuilder.flows import actions as flow_actions
from tests.support.documents import document, edge, node
from tests.support.live_stack import ApiSession, Proc

from .conftest import node_errors, wait_for_run_row

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@dataclass
class HeldCustomer:
    """A NetSuite customer "<Word> Inc", a published flow that matches accounts against NetSuite's customers,
    and the Salesforce account "<Word>, Inc." it is given."""

    org: Any
    operator: Any
    flow: Any
    account: dict[str, Any]
    existing_id: str
    customers: Callable[[], list[dict[str, Any]]]


def held_customer_setup(sandbox: Any, make_org: Any, make_user: Any, username: str) -> HeldCustomer:
    runtime.clear_cache()
    org = make_org("Match Co")
    operator = make_user(username, org, "admin")
    credential_type, secrets = sandbox.credentials("netsuite")
    conn = credential_actions.create_connection(
        actor=operator,
        organisation=org,
        name="NetSuite sandbox",
        connector="netsuite",
        base_url=f"{sandbox.url}/netsuite",
        credential_type=credential_type,
        credentials=secrets,
        config={"subsidiary_id": "1"},
    )
    ns = runtime.open_connection(org.pk, conn.ref)
    word = "Acme" + "".join(random.choices(string.ascii_lowercase, k=6))  # noqa: S311 - a test name
    existing = ns.run_action(
        "create_record", {"record_type": "customer", "fields": {"companyName": f"{word} Inc"}}
    )
    existing_id = str(existing["id"])

    def customers() -> list[dict[str, Any]]:
        return ns.run_action(
            "suiteql",
            {"query": f"SELECT id, phone FROM customer WHERE UPPER(companyname) LIKE '{word.upper()}%'"},
        )

    doc = document(
        [
            node("t", "trigger.manual"),
            node(
                "canon",
                "canonical.to",
                {"system": "salesforce", "entity": "customer", "target_field": "customer"},
            ),
            node(
                "match",
                "sync.match_customer",
                {
                    "connection": conn.ref,
                    "source_system": "salesforce",
                    "source_id": "{{ $item.Id }}",
                    "target_system": "netsuite",
                    "target_field": "netsuite_customer_id",
                },
            ),
            node(
                "update",
                "erp.netsuite.update_record",
                {
                    "connection": conn.ref,
                    "record_type": "customer",
                    "id": "{{ $item.netsuite_customer_id }}",
                    "fields": {"phone": "{{ $item.customer.phone }}"},
                },
            ),
            node(
                "create",
                "sync.upsert_crossref",
                {
                    "connection": conn.ref,
                    "entity": "customer",
                    "source_system": "salesforce",
                    "source_id": "{{ $item.Id }}",
                    "target_system": "netsuite",
                    "create_action": "upsert_record",
                    "values": {
                        "record_type": "customer",
                        "external_id": "{{ $item.Id }}",
                        "fields": {"companyName": "{{ $item.customer.name }}"},
                    },
                },
            ),
        ],
        [
            edge("t", "canon"),
            edge("canon", "match"),
            edge("match", "update"),
            edge("match", "create", source_port="create"),
        ],
    )
    flow = flow_actions.create_flow(actor=operator, organisation=org, name="Customer sync", document=doc)
    flow_actions.publish_flow(actor=operator, flow=flow)
    flow.refresh_from_db()
    account = {"Id": "001E2EMATCH0001", "Name": f"{word}, Inc.", "Phone": "+1 415 555 0199"}
    return HeldCustomer(org, operator, flow, account, existing_id, customers)


def test_a_near_duplicate_waits_in_review_and_a_linked_replay_creates_no_second_customer(
    sandbox, make_org: Any, make_user: Any, login: Callable[..., ApiSession], worker: Proc
) -> None:
    held = held_customer_setup(sandbox, make_org, make_user, "mara")
    org, operator, flow, account = held.org, held.operator, held.flow, held.account
    existing_id, customers = held.existing_id, held.customers

    run = wait_for_run_row(
        run_actions.start_run(actor=operator, flow=flow, input_items=[account]), timeout=90
    )
    assert run.status == "succeeded", node_errors(run)
    # Held, not created: one review, one inbox item saying what to do, still one customer in NetSuite
    review = MatchReview.objects.get(organisation=org)
    assert (review.status, review.source_id, review.run_id) == ("pending", account["Id"], run.pk)
    assert [c["id"] for c in review.candidates] == [existing_id]
    assert review.candidates[0]["verdict"] == "near" and review.candidates[0]["fields"]["name"] == "same"
    failure = FailureRecord.objects.get(run=run)
    assert failure.category == "needs_review" and failure.node_id == "match" and failure.state == "open"
    assert "Match reviews" in failure.message
    assert not NodeRun.objects.filter(run=run, node_id__in=["update", "create"], status="succeeded").exists()
    assert len(customers()) == 1

    # The next scheduled run holds it again: still one open inbox record, seen twice, now on that run
    again = wait_for_run_row(
        run_actions.start_run(actor=operator, flow=flow, input_items=[account]), timeout=90
    )
    assert again.status == "succeeded", node_errors(again)
    failure.refresh_from_db()
    review.refresh_from_db()
    assert (failure.occurrences, failure.run_id, review.run_id) == (2, again.pk, again.pk)
    assert FailureRecord.objects.filter(flow=flow).count() == 1 and failure.state == "open"
    run = again

    # A person decides over the API: link to the existing customer, and replay the held item
    api = login("mara")
    listed = api.get("/api/match-reviews/?status=pending").json()["results"]
    assert [r["id"] for r in listed] == [review.pk]
    bad = api.post(f"/api/match-reviews/{review.pk}/decide/", json={"decision": "link"})
    assert bad.status_code == 400 and "target_id" in bad.json()["errors"]
    answer = api.post(
        f"/api/match-reviews/{review.pk}/decide/",
        json={"decision": "link", "target_id": existing_id, "replay": True},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["review"]["status"] == "linked" and body["review"]["decided_by"] == "mara"
    replay = Run.objects.get(pk=body["replay"]["run"])
    assert replay.replay_of_id == run.pk
    replay = wait_for_run_row(replay, timeout=90)
    assert replay.status == "succeeded", node_errors(replay)

    # The replay followed the decision: the existing customer was updated, no second one was created
    assert NodeRun.objects.get(run=replay, node_id="update").status == "succeeded"
    assert crossref.counterpart(org, "customer", "salesforce", account["Id"], "netsuite") == existing_id
    rows = customers()
    assert [(str(r["id"]), r.get("phone")) for r in rows] == [(existing_id, account["Phone"])]
    assert not FailureRecord.objects.filter(run=replay).exists()
    failure.refresh_from_db()
    assert failure.state == "resolved" and failure.follow_up_run_id == replay.pk
    assert failure.note == f"Decided: link to netsuite {existing_id} — replay to apply."
