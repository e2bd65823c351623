"""The Certinia + Business Central lifecycle templates end to end on real parts: the sandbox over HTTP,
Celery worker and beat subprocesses (polling and schedule triggers), PostgreSQL and Redis. Nothing is
mocked. Modelled on test_lifecycle.py (the Kantata + NetSuite stack).

The partner's Certinia/BC templates are installed and cloned into a customer with connections to a fresh
sandbox, exactly as ``manage.py load_demo`` does, and published. Then:

1. Quote to project: an opportunity marked closed-won in Salesforce gets a Business Central customer (an
   existing one with the same name is reused), a Business Central project, and a Certinia project with a
   milestone per line (the fixed-fee line's carries its price), all linked in the cross-reference store;
   the ids go back to the opportunity and the account. A replay and a second closed-won change duplicate
   nothing; a namesake account gets a customer of its own, which, not set up for billing yet, is a
   billing_setup exception in the inbox until finance completes it and the run is replayed.
2. Project to billing: approved billable timecard splits (a week across a month end has one per month), an
   expense and the approved fixed-fee milestone become one draft sales invoice per project and month,
   with its lines in one deep insert; time on the fixed-fee milestone, unapproved and non-billable time are
   not billed; a timecard without a bill rate is not billed at a made-up rate but waits in the inbox as a
   missing_reference exception, and so does its month's invoice. A person sees the drafts' lines and
   totals and, through the approvals API, edits February's customer PO reference and March's due date
   and approves: the drafts are PATCHed with the edits; the first post is refused (an injected error),
   the operator retries the run, the invoices post carrying the edits, and Certinia invoices the work
   through one billing event per invoice. Then a replay,
   edited records and another billing run bill nothing twice; the Invoiced flag cannot be cleared.
3. Billing to cash: a partial payment, a credit memo and the rest of the payment applied to February's
   invoice in Business Central show on the opportunity's and the Certinia project's billing fields as
   partially paid (with the cash received), credited (not cash) and paid.
4. The missing bill rate is added in Certinia: the next billing run drafts January's invoice and the
   exception clears itself from the inbox.
5. A correction of March's invoice is a credit memo with the reason, approved, posted and applied to the
   invoice, which is not edited; a replay makes no second one.
6. Master data from the ERP side: an address changed in Business Central reaches the linked account, and
   the two master-sync flows fall quiet instead of starting each other.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from connectors.crm.salesforce.client import SalesforceError
from flowbuilder.credentials import runtime
from flowbuilder.crossref.models import SyncLink
from flowbuilder.devtools.demo import (
    CERTINIA_BC,
    load_template_file,
    template_files,
)
from flowbuilder.execution import actions as run_actions
from flowbuilder.execution import approvals
from flowbuilder.execution.models import ApprovalRequest, ApprovalStatus, FailureRecord, NodeRun, Run
from flowbuilder.flows import templates as template_actions
from flowbuilder.triggers.manual import run_manually
from flowbuilder.triggers.models import PollingState
from flowbuilder.validation import validate_document
from tests.support.live_stack import wait_until

from .conftest import (
    close_won_deal,
    live_lifecycle,
    node_errors,
    settle_flows,
    wait_for_first_polls,
    wait_for_flows,
    wait_for_run_row,
    wait_until_quiet,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

KEYS = {
    "quote_to_project_certinia_bc",
    "project_to_billing_certinia_bc",
    "billing_to_cash_certinia_bc",
    "invoice_correction_certinia_bc",
    "customer_master_sync_certinia_bc",
    "customer_master_sync_dynamics_side",
}


@pytest.fixture(scope="session")
def subprocess_env(subprocess_env: dict[str, str]) -> dict[str, str]:
    """Beat looks for due polling triggers every second."""
    return {**subprocess_env, "FLOWBUILDER_POLL_TICK_S": "1"}


def test_certinia_bc_templates_validate_and_declare_their_connections():
    paths = template_files(systems=CERTINIA_BC)
    assert {load_template_file(p)["key"] for p in paths} == KEYS
    assert not set(map(str, paths)) & set(map(str, template_files()))  # not in the Kantata/NetSuite stack
    for path in paths:
        spec = load_template_file(path)
        params = template_actions.check_parameters(spec["parameters"], spec["document"])
        slots = [p for p in params if p["kind"] == "connection"]
        assert {p["connector"] for p in slots} <= set(CERTINIA_BC)
        nodes = {n["id"]: n for n in spec["document"]["nodes"]}
        with_connection = {nid for nid, n in nodes.items() if "connection" in n["config"]}
        assert with_connection == {nid for p in slots for nid in p["nodes"]}
        assert all(n["label"] and n["position"] for n in nodes.values())
        doc = template_actions.render_document(spec["document"], params, {p["name"]: 7 for p in slots})
        assert [f.as_dict() for f in validate_document(doc)] == []


def test_certinia_bc_lifecycle_quote_to_invoice_twice_without_duplicates(
    worker, start_beat, sandbox, make_org, make_user
):
    runtime.clear_cache()
    tag = f"CB{uuid.uuid4().hex[:8]}"

    def values_for(spec: dict[str, Any]) -> dict[str, Any]:
        # The billing run reads every approved timecard of the (seeded) sandbox: its runs must not
        # overlap, and the handover's runs need quiet moments to settle.
        billing = spec["key"] == "project_to_billing_certinia_bc"
        values: dict[str, Any] = {"poll_seconds": 5 if billing else 1}
        if not billing:
            values["won_filter"] = f"StageName = 'Closed Won' AND Name LIKE '{tag}%'"
        return values

    live = live_lifecycle(
        sandbox=sandbox,
        make_org=make_org,
        make_user=make_user,
        name="Certinia",
        systems=CERTINIA_BC,
        values_for=values_for,
    )
    actor, customer, conns, flows = live.actor, live.customer, live.connections, live.flows
    approver = make_user(f"controller-{tag.lower()}", customer, "approver")
    assert set(flows) == KEYS
    sf = runtime.open_connection(customer.pk, conns["salesforce"].ref)
    psa = runtime.open_connection(customer.pk, conns["certinia"].ref)
    bc = runtime.open_connection(customer.pk, conns["dynamics"].ref)

    start_beat()
    wait_for_first_polls(flows)

    # ------------------------------------------------------------------ 1. quote to project
    name = f"{tag} Fabrikam Rail"
    # Finance set the customer up for billing (payment terms, a VAT registration number).
    setup = {"paymentTermsId": "3bb5b4b6-ea4c-43ca-ba1c-3b69e29a6668", "taxRegistrationNumber": "GB987654321"}
    existing = bc.run_action(
        "create_record", {"entity_set": "customers", "fields": {"displayName": name, **setup}}
    )
    account, opp = close_won_deal(sf, account_name=name, opportunity_name=f"{tag} Rail rollout")

    def read_opp() -> dict[str, Any]:
        soql = (
            "SELECT Id, NextStep, Description, Flowbuilder_Id__c, PSA_Project_Id__c, ERP_Customer_Id__c, "
            f"ERP_Project_Id__c FROM Opportunity WHERE Id = '{opp['id']}'"
        )
        return sf.run_action("query", {"soql": soql})[0]

    won = wait_for_flows(flows, lambda: (o := read_opp()).get("Flowbuilder_Id__c") and o, 45, "no handover")
    settle_flows(flows)
    # The ids land in the handover fields; sales' NextStep and Description are not touched.
    assert (won["NextStep"], won["Description"]) == (None, None)
    project_id, customer_id, job_id = (
        won["PSA_Project_Id__c"],
        won["ERP_Customer_Id__c"],
        won["ERP_Project_Id__c"],
    )
    assert customer_id == existing["id"]  # the existing Business Central customer was reused
    account_row = sf.run_action(
        "query", {"soql": f"SELECT Dynamics_Id__c FROM Account WHERE Id = '{account['id']}'"}
    )[0]
    assert account_row["Dynamics_Id__c"] == customer_id
    job = bc.run_action("get_record", {"entity_set": "projects", "id": job_id})
    assert job["displayName"] == f"{name} - {tag} Rail rollout"
    project = psa.run_action("get_project", {"id": project_id})
    assert (project["pse__Account__c"], project["pse__Opportunity__c"]) == (account["id"], opp["id"])
    assert (project["pse__Project_ID__c"], project["External_Id__c"]) == (job["number"], opp["id"])
    milestones = psa.run_action("list_milestones", {"project_id": project_id})
    assert sorted((m["Name"], m["pse__Milestone_Amount__c"]) for m in milestones) == [
        ("Discovery workshop", 0.0),
        ("Rollout FIXED fee", 40000.0),
    ]
    project_links = SyncLink.objects.filter(organisation=customer, entity="project")
    assert project_links.values("canonical_id").distinct().count() == 1
    assert dict(project_links.values_list("system", "external_id")) == {
        "salesforce": opp["id"],
        "dynamics": job_id,
        "certinia": project_id,
    }
    customer_links = SyncLink.objects.filter(organisation=customer, entity="customer")
    assert dict(customer_links.values_list("system", "external_id")) == {
        "salesforce": account["id"],
        "dynamics": customer_id,
    }

    def handover_counts() -> tuple[int, ...]:
        def count(entity_set: str, flt: str) -> int:
            return len(bc.run_action("list_records", {"entity_set": entity_set, "filter": flt}))

        projects = psa.run_action("list_projects", {"where": f"pse__Opportunity__c = '{opp['id']}'"})
        return (
            count("customers", f"displayName eq '{name}'"),
            count("projects", f"displayName eq '{job['displayName']}'"),
            len(projects),
            len(psa.run_action("list_milestones", {"project_id": project_id})),
        )

    assert handover_counts() == (1, 1, 1, 2)
    before = sandbox.requests_by_object()
    handover = Run.objects.filter(flow=flows["quote_to_project_certinia_bc"], status="succeeded")
    first = next(r for r in handover.order_by("id") if r.input_items)
    # Twice: the operator replays the handover run, and sales moves the deal back and forth.
    replay = wait_for_run_row(run_actions.replay_run(actor=actor, run=first))
    assert replay.status == "succeeded", node_errors(replay)
    runs = Run.objects.filter(flow=flows["quote_to_project_certinia_bc"]).count()
    for stage in ("Negotiation/Review", "Closed Won"):
        sf.run_action("update", {"sobject": "Opportunity", "id": opp["id"], "fields": {"StageName": stage}})
    wait_until(
        lambda: Run.objects.filter(flow=flows["quote_to_project_certinia_bc"]).count() > runs,
        30,
        "no second handover run",
    )
    settle_flows(flows)
    assert handover_counts() == (1, 1, 1, 2)
    after = sandbox.requests_by_object()
    for key in (
        "dynamics POST customers",
        "dynamics POST projects",
        "salesforce POST pse__Proj__c",
        "salesforce POST pse__Milestone__c",
    ):
        assert after.get(key, 0) == before.get(key, 0), key
    assert after.get("dynamics PATCH projects", 0) > before.get("dynamics PATCH projects", 0)  # updated
    assert read_opp()["PSA_Project_Id__c"] == won["PSA_Project_Id__c"]

    # A namesake account (won without lines) gets a customer of its own: the one with the same name
    # already belongs to the first account.
    namesake = sf.run_action("create", {"sobject": "Account", "fields": {"Name": name}})
    depot = sf.run_action(
        "create",
        {
            "sobject": "Opportunity",
            "fields": {
                "Name": f"{tag} Depot study",
                "AccountId": namesake["id"],
                "StageName": "Closed Won",
                "CloseDate": "2026-02-10",
                "Amount": 5000,
            },
        },
    )
    # Its new Business Central customer is not set up for billing yet: no project, a billing_setup
    # exception in the inbox saying what is missing. Finance completes the customer; the replay hands over.
    blocked = wait_for_flows(
        flows,
        lambda: FailureRecord.objects.filter(
            organisation=customer, category="billing_setup", message__contains=depot["id"]
        ).first(),
        45,
        "no billing_setup exception for the namesake's new customer",
    )
    settle_flows(flows)
    assert blocked.node_id == "setup_exception"
    assert "has no tax registration, payment terms" in blocked.message
    new_customer = blocked.item["bc_setup_customer_id"]
    assert new_customer != customer_id
    assert not psa.run_action("list_projects", {"where": f"pse__Opportunity__c = '{depot['id']}'"})
    bc.run_action("update_record", {"entity_set": "customers", "id": new_customer, "fields": setup})
    replayed = wait_for_run_row(run_actions.replay_run(actor=actor, run=blocked.run))
    assert replayed.status == "succeeded", node_errors(replayed)
    soql = (
        "SELECT Flowbuilder_Id__c, PSA_Project_Id__c, ERP_Customer_Id__c FROM Opportunity "
        f"WHERE Id = '{depot['id']}'"
    )
    depot_won = wait_for_flows(
        flows,
        lambda: (o := sf.run_action("query", {"soql": soql})[0]).get("Flowbuilder_Id__c") and o,
        45,
        "no handover of the namesake's opportunity",
    )
    settle_flows(flows)
    depot_ids = {
        "Business Central customer": depot_won["ERP_Customer_Id__c"],
        "Certinia project": depot_won["PSA_Project_Id__c"],
    }
    assert depot_ids["Business Central customer"] not in (customer_id, "", None)
    namesake_row = sf.run_action(
        "query", {"soql": f"SELECT Dynamics_Id__c FROM Account WHERE Id = '{namesake['id']}'"}
    )[0]
    assert namesake_row["Dynamics_Id__c"] == depot_ids["Business Central customer"]
    assert psa.run_action("list_milestones", {"project_id": depot_ids["Certinia project"]}) == []
    assert handover_counts()[0] == 2  # two customers of that name now, one per account

    # ------------------------------------------------------------------ 2. project to billing
    # The billing run waits while the weeks are approved and the fixed fee signed off; then it runs.
    billing_flow = flows["project_to_billing_certinia_bc"]
    billing_run = PollingState.objects.filter(flow=billing_flow)
    billing_run.update(enabled=False)
    settle_flows(flows)
    by_amount = {m["pse__Milestone_Amount__c"] > 0: m for m in milestones}
    fixed_fee, tm_work = by_amount[True], by_amount[False]
    resource = sf.run_action(
        "query", {"soql": "SELECT Id FROM Contact WHERE pse__Is_Resource__c = true LIMIT 1"}
    )[0]["Id"]

    def timecard(week: str, milestone: dict, hours: dict, **extra: Any) -> dict[str, Any]:
        created = psa.run_action(
            "create_timecard",
            {
                "project_id": project_id,
                "resource_id": resource,
                "milestone_id": milestone["Id"],
                "start_date": week,
                "approved": True,
                "billable": True,
                **{f"{day}_hours": h for day, h in hours.items()},
                **extra,
            },
        )
        return psa.run_action("get_timecard", {"id": created["id"]})

    across = timecard(  # Mon 23 Feb to Sun 1 Mar: 12 h in February, 2 h in March
        "2026-02-23",
        tm_work,
        {"monday": 8, "tuesday": 4, "sunday": 2},
        bill_rate=200,
        notes="Workshop week",
    )
    no_rate = timecard("2026-01-05", tm_work, {"wednesday": 6})  # no bill rate: January's invoice waits
    on_fixed_fee = timecard("2026-02-16", fixed_fee, {"monday": 8}, bill_rate=200)  # covered by the fee
    unapproved = timecard("2026-02-23", tm_work, {"friday": 5}, bill_rate=200, approved=False)
    not_billable = timecard("2026-02-23", tm_work, {"thursday": 3}, bill_rate=200, billable=False)
    report = psa.run_action(
        "create_expense_report", {"name": f"{tag} travel", "project_id": project_id, "resource_id": resource}
    )
    expense = psa.run_action(
        "create_expense",
        {
            "expense_report_id": report["id"],
            "project_id": project_id,
            "resource_id": resource,
            "amount": 245.5,
            "type": "Airfare",
            "date": "2026-02-04",
            "billable": True,
            "approved": True,
            "description": "Train to site",
        },
    )
    psa.run_action(
        "update_milestone",
        {"id": fixed_fee["Id"], "status": "Approved", "approved": True, "actual_date": "2026-02-27"},
    )

    def adjustment(amount: float, what: str, **extra: Any) -> str:  # a write-up or write-down
        fields = {
            "project_id": project_id,
            "amount": amount,
            "transaction_category": "Ready-to-Bill Revenue",
            "effective_date": "2026-02-20",
            "description": what,
            "approved_for_billing": True,
            **extra,
        }
        return psa.run_action("create_misc_adjustment", fields)["id"]

    adjustments = {
        "write_up": adjustment(500, "Out-of-scope workshop"),
        "write_down": adjustment(-500, "Goodwill credit: workshop overran"),
        "on_hold": adjustment(-100, "Disputed", billing_hold=True),  # not billed while held
    }
    # The first post is refused (an injected error): the run stops there, the operator retries it.
    company = next(
        c["id"]
        for c in bc.http.get("/api/v2.0/companies").json()["value"]
        if c["name"] == "Northwind Advisory Ltd"
    )
    fault = {
        "system": "dynamics",
        "method": "POST",
        "path_prefix": f"/api/v2.0/companies({company})/salesInvoices(",
        "kind": "status",
        "status": 400,
        "count": 1,
    }
    sandbox.admin("POST", "/_admin/faults", fault)
    billing_run.update(enabled=True, next_poll_at=timezone.now())

    def invoices() -> dict[str, dict[str, Any]]:
        rows = bc.run_action(
            "list_records",
            {
                "entity_set": "salesInvoices",
                "filter": f"customerId eq {customer_id}",
                "expand": "salesInvoiceLines",
            },
        )
        by_ref = {row["externalDocumentNumber"]: row for row in rows}
        assert len(by_ref) == len(rows), [(r["number"], r["externalDocumentNumber"]) for r in rows]
        return by_ref

    def lines(invoice: dict[str, Any]) -> list[tuple]:
        return sorted(
            (line["lineObjectNumber"], line["quantity"], line["unitPrice"], line["amountExcludingTax"])
            for line in invoice["salesInvoiceLines"]
        )

    def flags() -> dict[str, bool]:
        cards = {
            "across": across,
            "no_rate": no_rate,
            "on_fixed_fee": on_fixed_fee,
            "unapproved": unapproved,
            "not_billable": not_billable,
        }
        out = {
            k: bool(psa.run_action("get_timecard", {"id": c["Id"]})["pse__Invoiced__c"])
            for k, c in cards.items()
        }
        out["fixed_fee"] = bool(psa.run_action("get_milestone", {"id": fixed_fee["Id"]})["pse__Invoiced__c"])
        out["expense"] = bool(psa.run_action("get_expense", {"id": expense["id"]})["pse__Invoiced__c"])
        for name, rid in adjustments.items():  # no Invoiced box: the formula over its billing event
            got = psa.run_action("get_misc_adjustment", {"id": rid})
            out[name] = got["pse__Billing_Event_Invoiced__c"] == "Yes"
        return out

    feb, mar = f"CB-{job['number']}-2026-02", f"CB-{job['number']}-2026-03"
    pending = ApprovalRequest.objects.filter(run__flow=billing_flow, status=ApprovalStatus.PENDING)
    request = wait_for_flows(flows, lambda: pending.first(), 45, "no approval request for the drafts")
    # The drafts exist in Business Central, one per project and month, not posted; nothing is invoiced.
    drafts = invoices()
    assert set(drafts) == {feb, mar} and {d["status"] for d in drafts.values()} == {"Draft"}
    expected = {
        feb: [
            ("CONS-HR", 12, 200, 2400),
            ("EXPENSES", 1, 245.5, 245.5),
            ("FIXED-FEE", 1, 40000, 40000),
            ("ADJUSTMENT", 1, 500, 500),  # the write-up
            ("ADJUSTMENT", -1, 500, -500),  # the write-down: a negative line
        ],
        mar: [("CONS-HR", 2, 200, 400)],
    }
    totals = {feb: 42645.5, mar: 400.0}
    for ref, draft in drafts.items():
        assert (lines(draft), draft["totalAmountExcludingTax"]) == (sorted(expected[ref]), totals[ref]), ref
        assert draft["customerId"] == customer_id
    assert not any(flags().values())
    # The approver sees each draft's lines and totals.
    by_key = {i["key"]: i for i in request.items}
    assert {k: by_key[k]["total"] for k in (feb, mar)} == totals
    assert (by_key[feb]["hours"], by_key[feb]["expenses"], by_key[feb]["fixed_fees"]) == (12, 245.5, 40000)
    assert by_key[feb]["adjustments"] == 0.0 and by_key[feb]["line_count"] == 5
    assert request.totals["total"] == sum(totals.values())
    # ... and the tax and total with tax as Business Central computed them on each draft.
    assert {k: (by_key[k]["tax"], by_key[k]["total_with_tax"]) for k in (feb, mar)} == {
        k: (drafts[k]["totalTaxAmount"], drafts[k]["totalAmountIncludingTax"]) for k in (feb, mar)
    }
    assert request.totals["total_with_tax"] == sum(d["totalAmountIncludingTax"] for d in drafts.values())
    # The timecard without a bill rate is not billed at a made-up rate: it waits in the inbox saying what
    # to fix, and so does its month's invoice (no partial invoice for a period).
    no_rate_failure = FailureRecord.objects.filter(
        organisation=customer, node_id="plan", message__contains="has no bill rate"
    ).first()
    assert no_rate_failure is not None and no_rate_failure.category == "missing_reference"
    assert "rate card" in no_rate_failure.message
    # The approver edits and approves through the approvals API: February gets the customer's PO
    # reference, March a later due date (the drafts show Business Central's values, nothing else changes).
    assert {k: (by_key[k]["po_reference"], by_key[k]["due_date"]) for k in (feb, mar)} == {
        k: ("", drafts[k]["dueDate"]) for k in (feb, mar)
    }
    po_reference, due_date = f"PO-{tag}", "2026-04-30"
    edits = {feb: {"po_reference": po_reference}, mar: {"due_date": due_date}}
    api = APIClient()
    api.force_authenticate(approver)
    decided = api.post(
        f"/api/approvals/{request.pk}/decide/",
        {"decision": "approve", "items": [{**i, **edits.get(i["key"], {})} for i in request.items]},
        format="json",
    )
    assert decided.status_code == 200 and decided.json()["status"] == "approved", decided.content

    failed_run = wait_for_flows(
        flows,
        lambda: Run.objects.filter(flow=billing_flow, status="failed").first(),
        45,
        "the billing run did not stop at the refused post",
    )
    assert [node for node, _ in node_errors(failed_run)] == ["post"]
    assert not any(flags().values())  # nothing invoiced in Certinia before the invoice posts
    retry = wait_for_run_row(run_actions.retry_run(actor=actor, run=failed_run))
    assert retry.status == "succeeded", node_errors(retry)
    settle_flows(flows, expected_failures=frozenset({failed_run.pk}))
    posted = invoices()
    assert {ref: (inv["id"], inv["status"]) for ref, inv in posted.items()} == {
        ref: (drafts[ref]["id"], "Open") for ref in (feb, mar)
    }
    # The edits were applied to the drafts before they posted, and only the edited properties changed.
    assert {ref: (inv["customerPurchaseOrderReference"], inv["dueDate"]) for ref, inv in posted.items()} == {
        feb: (po_reference, drafts[feb]["dueDate"]),
        mar: ("", due_date),
    }
    edit_steps = NodeRun.objects.filter(run=failed_run, node_id="apply_edit")
    assert list(edit_steps.values_list("status", flat=True)) == ["succeeded"]  # before the refused post
    assert flags() == {
        "across": True,  # both its splits invoiced, each on its month's invoice
        "no_rate": False,  # never billed at a made-up rate
        "on_fixed_fee": False,  # time on the fixed-fee milestone is not billed as T&M
        "unapproved": False,
        "not_billable": False,
        "fixed_fee": True,
        "expense": True,
        "write_up": True,
        "write_down": True,
        "on_hold": False,
    }
    # Certinia's side: one billing event per invoice, released and invoiced with the posted number, an
    # item per split, expense and milestone.
    events = psa.run_action("list_billing_events", {"project_id": project_id})
    assert sorted(e["pse__Invoice_Number__c"] for e in events) == sorted(
        inv["number"] for inv in posted.values()
    )
    assert all(e["pse__Is_Released__c"] and e["pse__Invoiced__c"] for e in events)
    items = [
        i for e in events for i in psa.run_action("list_billing_event_items", {"billing_event_id": e["Id"]})
    ]
    assert sorted(i["pse__Category__c"] for i in items) == [
        "Expense",
        "Milestone",
        "Miscellaneous Adjustment",
        "Miscellaneous Adjustment",
        "Timecard",
        "Timecard",
    ]

    # Again: the operator replays the invoicing run, records are edited, someone clears a flag, and
    # another billing run comes: nothing is drafted, posted or invoiced twice.
    before = sandbox.requests_by_object()
    invoicing = next(
        r
        for r in Run.objects.filter(flow=billing_flow).order_by("id")
        if NodeRun.objects.filter(run=r, node_id="draft", status="succeeded").exists()
    )
    replay = wait_for_run_row(run_actions.replay_run(actor=actor, run=invoicing))
    assert replay.status == "succeeded", node_errors(replay)
    psa.run_action("update_timecard", {"id": across["Id"], "notes": "Workshop week (edited)"})
    psa.run_action("update_milestone", {"id": fixed_fee["Id"], "description": "Signed off"})
    # Invoiced is Certinia's (set by the invoiced billing event): clearing it is refused.
    with pytest.raises(SalesforceError) as refused:
        psa.run_action("update_timecard", {"id": across["Id"], "fields": {"pse__Invoiced__c": False}})
    assert refused.value.error_code == "INVALID_FIELD_FOR_INSERT_UPDATE"
    billing_run.update(next_poll_at=timezone.now())
    wait_until(
        lambda: Run.objects.filter(flow=billing_flow, created_at__gt=replay.finished_at).exists(),
        30,
        "no billing run after the edits",
    )
    settle_flows(flows, expected_failures=frozenset({failed_run.pk}))
    assert not pending.exists()
    again = invoices()
    assert {ref: (inv["id"], inv["status"], lines(inv)) for ref, inv in again.items()} == {
        ref: (posted[ref]["id"], "Open", sorted(expected[ref])) for ref in (feb, mar)
    }
    after = sandbox.requests_by_object()
    for key in (
        "dynamics POST salesInvoices",
        "dynamics PATCH salesInvoices",
        "salesforce POST pse__Billing_Event__c",
    ):
        assert after.get(key, 0) == before.get(key, 0), key
    assert len(psa.run_action("list_billing_events", {"project_id": project_id})) == 2

    # ------------------------------------------------------------------ 3. billing to cash
    # Payments and a credit memo applied to February's invoice reach dedicated billing fields on the
    # opportunity and the Certinia project: partially paid with the cash received, then paid; the credit
    # memo reduces what is open but is not cash. Sales' NextStep is left alone.
    invoice = posted[feb]
    journal = bc.run_action(
        "create_record",
        {
            "entity_set": "customerPaymentJournals",
            "fields": {"code": tag[-8:].upper(), "displayName": "Receipts"},
        },
    )

    def pay(amount: float, ref: str) -> None:
        bc.run_action(
            "create_record",
            {
                "entity_set": "customerPayments",
                "fields": {
                    "journalId": journal["id"],
                    "customerId": customer_id,
                    "amount": amount,
                    "appliesToInvoiceId": invoice["id"],
                    "externalDocumentNumber": f"{tag}-{ref}",
                },
            },
        )
        bc.run_action("post_document", {"entity_set": "customerPaymentJournals", "id": journal["id"]})

    fields = (
        "Billing_Status__c, Billing_Invoice__c, Billing_Total__c, Billing_Cash_Received__c, "
        "Billing_Credited__c, Billing_Open_Amount__c, Billing_Days_Overdue__c"
    )

    def crm_billing() -> dict[str, Any]:
        soql = f"SELECT {fields}, NextStep FROM Opportunity WHERE Id = '{opp['id']}'"
        return sf.run_action("query", {"soql": soql})[0]

    def psa_billing() -> dict[str, Any]:
        return sf.run_action(
            "query", {"soql": f"SELECT {fields} FROM pse__Proj__c WHERE Id = '{project_id}'"}
        )[0]

    def shows(status: str) -> Any:
        return lambda: (
            (b := crm_billing())["Billing_Status__c"] == status
            and b["Billing_Invoice__c"] == invoice["number"]
        )

    pay(10000, "P1")
    wait_for_flows(flows, shows("Partially paid"), 45, "the partial payment is not shown")
    settle_flows(flows, expected_failures=frozenset({failed_run.pk}))
    partial = crm_billing()
    assert (partial["Billing_Cash_Received__c"], partial["Billing_Open_Amount__c"]) == (10000.0, 32645.5)
    assert (partial["Billing_Total__c"], partial["NextStep"]) == (42645.5, None)
    credit = bc.run_action(
        "create_record",
        {
            "entity_set": "salesCreditMemos",
            "fields": {
                "customerId": customer_id,
                "invoiceId": invoice["id"],
                "externalDocumentNumber": f"CR-{tag}",
                "salesCreditMemoLines": [
                    {"lineType": "Item", "lineObjectNumber": "EXPENSES", "quantity": 1, "unitPrice": 645.5}
                ],
            },
        },
    )
    bc.run_action("post_document", {"entity_set": "salesCreditMemos", "id": credit["id"]})
    wait_for_flows(
        flows, lambda: crm_billing()["Billing_Credited__c"] == 645.5, 45, "the credit memo is not shown"
    )
    settle_flows(flows, expected_failures=frozenset({failed_run.pk}))
    credited = crm_billing()
    assert (credited["Billing_Status__c"], credited["Billing_Cash_Received__c"]) == (
        "Partially paid",
        10000.0,
    )
    assert credited["Billing_Open_Amount__c"] == 32000.0  # the credit closes part of it, and is not cash
    pay(32000, "P2")
    wait_for_flows(flows, shows("Paid"), 45, "the payment did not reach the CRM")
    settle_flows(flows, expected_failures=frozenset({failed_run.pk}))
    paid = {k: v for k, v in crm_billing().items() if k != "NextStep"}
    assert paid == {
        "Billing_Status__c": "Paid",
        "Billing_Invoice__c": invoice["number"],
        "Billing_Total__c": 42645.5,
        "Billing_Cash_Received__c": 42000.0,
        "Billing_Credited__c": 645.5,
        "Billing_Open_Amount__c": 0.0,
        "Billing_Days_Overdue__c": 0,
    }
    wait_for_flows(flows, lambda: psa_billing() == paid, 45, "the Certinia project does not show the payment")

    # ------------------------------------------------------------------ 4. an exception fixed at the source
    # The resource's rate is added to the January timecard: the next billing run drafts January's
    # invoice, and the missing-rate exception clears itself from the inbox (the plan no longer raises it).
    # The rate first given is wrong: the controller rejects January's draft. It stays in Business Central,
    # marked rejected; the next runs do not draft the same work again (an open exception says so). The
    # rate corrected in Certinia, the rejected draft is deleted and the period drafted again, once.
    psa.run_action("update_timecard", {"id": no_rate["Id"], "bill_rate": 250})
    billing_run.update(next_poll_at=timezone.now())
    january = f"CB-{job['number']}-2026-01"

    def january_request() -> ApprovalRequest:
        return wait_for_flows(
            flows,
            lambda: next((r for r in pending.all() if any(i["key"] == january for i in r.items)), None),
            45,
            "no approval request for January",
        )

    request = january_request()
    no_rate_failure.refresh_from_db()
    assert (no_rate_failure.state, no_rate_failure.resolution) == ("resolved", "cleared")
    assert no_rate_failure.follow_up_run_id == request.run_id
    [wrong] = request.items
    assert wrong["total"] == 1500.0
    approvals.decide(actor=approver, request=request, decision="reject", reason="The rate is 200")
    held = FailureRecord.objects.filter(
        flow=billing_flow, node_id="plan", category="needs_review", state="open", item__key=january
    )
    wait_for_flows(flows, lambda: held.all().exists(), 45, "no exception for the rejected January")
    rejected = invoices()[january]
    assert (rejected["status"], rejected["customerPurchaseOrderReference"]) == (
        "Draft",
        f"Rejected {wrong['fingerprint']}",
    )
    seen = Run.objects.filter(flow=billing_flow).order_by("-id").first().pk
    billing_run.update(next_poll_at=timezone.now())
    wait_for_flows(
        flows,
        lambda: Run.objects.filter(flow=billing_flow, pk__gt=seen, status="succeeded").exists(),
        45,
        "no billing run after the rejection",
    )
    assert not pending.exists() and held.all().get().occurrences >= 2
    assert "delete the rejected draft sales invoice" in held.all().get().message
    psa.run_action("update_timecard", {"id": no_rate["Id"], "bill_rate": 200})
    billing_run.update(next_poll_at=timezone.now())
    request = january_request()
    assert not held.all().exists()
    assert january in invoices() and invoices()[january]["id"] != rejected["id"]  # drafted afresh, once
    approvals.decide(actor=approver, request=request, decision="approve")
    wait_for_flows(flows, lambda: flags()["no_rate"], 45, "January's timecard was not invoiced")
    settle_flows(flows, expected_failures=frozenset({failed_run.pk}))
    assert lines(invoices()[january]) == [("CONS-HR", 6, 200, 1200)]

    # ------------------------------------------------------------------ 5. a correction
    # March's two hours were billed at 200 and should have been 150: a credit memo applied to the posted
    # invoice, with the reason, approved by a person and posted; the invoice is not edited. Twice: one memo.
    march = posted[mar]
    body = {
        "correction_id": "CASE-9",
        "invoice_id": march["id"],
        "reason": "Workshop hours billed at the senior rate",
        "lines": [
            {
                "item": "CONS-HR",
                "description": "2026-03-01 Workshop: rate correction",
                "quantity": 2,
                "rate": 50,
            }
        ],
    }
    correction = flows["invoice_correction_certinia_bc"]

    def corrected(run: Run) -> None:
        request = wait_for_flows(
            flows,
            lambda: ApprovalRequest.objects.filter(run=run, status=ApprovalStatus.PENDING).first(),
            45,
            "no approval request for the credit memo",
        )
        assert request.totals["total"] == 100.0
        approvals.decide(actor=approver, request=request, decision="approve")
        assert wait_for_run_row(run).status == "succeeded", node_errors(run)

    first_correction = run_manually(actor=actor, flow=correction, input_data=body)
    corrected(first_correction)

    def credit_memos() -> list[dict[str, Any]]:
        return bc.run_action(
            "list_records",
            {
                "entity_set": "salesCreditMemos",
                "filter": f"invoiceId eq {march['id']}",
                "expand": "salesCreditMemoLines",
            },
        )

    [memo] = credit_memos()
    assert (memo["status"], memo["totalAmountIncludingTax"], memo["customerId"]) == (
        "Open",
        100.0,
        customer_id,
    )
    assert sorted((ln["lineType"], ln["description"]) for ln in memo["salesCreditMemoLines"]) == [
        ("Comment", "Reason: Workshop hours billed at the senior rate"),
        ("Item", "2026-03-01 Workshop: rate correction"),
    ]
    march_after = bc.run_action("get_record", {"entity_set": "salesInvoices", "id": march["id"]})
    assert (march_after["totalAmountExcludingTax"], march_after["remainingAmount"]) == (400.0, 300.0)
    corrected(run_actions.replay_run(actor=actor, run=first_correction))
    assert len(credit_memos()) == 1
    settle_flows(flows, expected_failures=frozenset({failed_run.pk}))

    # ------------------------------------------------------------------ 6. master data from the ERP side
    # Finance changes the customer's address in Business Central (it owns the billing address): it reaches
    # the linked account at once, and the two master-sync flows fall quiet instead of starting each other.
    street = f"1 Quay Street {tag}"
    bc.run_action(
        "update_record",
        {"entity_set": "customers", "id": customer_id, "fields": {"addressLine1": street, "city": "Leeds"}},
    )

    def billing_address() -> tuple:
        soql = f"SELECT BillingStreet, BillingCity FROM Account WHERE Id = '{account['id']}'"
        row = sf.run_action("query", {"soql": soql})[0]
        return row["BillingStreet"], row["BillingCity"]

    wait_for_flows(
        flows, lambda: billing_address() == (street, "Leeds"), 45, "the address did not reach the account"
    )
    wait_until_quiet(
        [flows["customer_master_sync_certinia_bc"], flows["customer_master_sync_dynamics_side"]],
        "the master-sync flows keep starting each other",
    )
    settle_flows(flows, expected_failures=frozenset({failed_run.pk}))
    assert billing_address() == (street, "Leeds")
    runtime.clear_cache()
