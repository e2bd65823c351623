"""The lifecycle templates end to end on real parts: the sandbox over HTTP, Celery worker and beat
subprocesses (polling triggers), PostgreSQL and Redis. Nothing is mocked.

The partner's fixture templates (fixtures/templates/*.json) are installed and cloned into a customer with
connections to a fresh sandbox, exactly as ``manage.py load_demo`` does, and published. Then:

1. Quote to project: an opportunity marked closed-won in Salesforce gets a NetSuite customer (an existing
   one with the same name is reused), a NetSuite project, a Kantata project with a task per line, and
   carries the ids.
2. Project to billing: after February's cut-off the billing run drafts ONE NetSuite invoice for the
   project and February (pending approval, nothing invoiced yet): approved T&M time x the PSA's rate, the
   expense at cost and the accepted fixed-fee milestone at its price, with the entity's items and tax code
   in the project's currency; time booked on the fixed-fee milestone is not billed. A person approves it
   (the approval request shows the lines and totals); then it posts and Kantata invoices the work. A
   February entry approved after that lands on March's invoice; February's is never edited. March's draft
   is rejected first: it is not drafted again (an exception in the failure inbox) until its hours are
   corrected in Kantata, then drafted again and approved.
3. Billing to cash: a payment recorded in NetSuite shows on the opportunity and on the Kantata project's
   billing custom fields.
4. A correction is a credit memo; a write-off is not cash.
5. Master data from the ERP side: a billing address changed in NetSuite reaches the linked account, and the
   two master-sync flows fall quiet instead of starting each other.

Each runs twice (an operator replay of the run, and the record touched again): nothing is duplicated.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.utils import timezone

from connectors.psa.kantata import client as kantata_client
from flowbuilder.credentials import runtime
from flowbuilder.crossref.models import SyncLink
from flowbuilder.devtools.demo import KANTATA_NETSUITE
from flowbuilder.execution import actions as run_actions
from flowbuilder.execution import approvals
from flowbuilder.execution.models import ApprovalRequest, ApprovalStatus, FailureRecord, NodeRun, Run
from flowbuilder.triggers.manual import run_manually
from flowbuilder.triggers.models import PollingState
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

# The sandbox NetSuite account's setup (sandbox/netsuite/seed.py): items and SuiteTax codes per subsidiary.
BILLING_SETUP = {
    "billing_cycles": {"default": {"cycle": "monthly", "cutoff_days": 3}},
    "items": {
        "1": {"time": "10", "expense": "13", "milestone": "11"},
        "2": {"time": "10", "expense": "13", "milestone": "11"},
    },
    "tax_codes": {"1": "15", "2": "16"},
}

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="session")
def subprocess_env(subprocess_env: dict[str, str]) -> dict[str, str]:
    """Beat looks for due polling triggers every second."""
    return {**subprocess_env, "FLOWBUILDER_POLL_TICK_S": "1"}


def test_lifecycle_templates_quote_to_cash_twice_without_duplicates(
    worker, start_beat, sandbox, make_org, make_user, login
):
    runtime.clear_cache()
    tag = f"LC{uuid.uuid4().hex[:8]}"

    def values_for(spec: dict[str, Any]) -> dict[str, Any]:
        # The billing run reads every approved entry of the (seeded) sandbox, a few seconds' work: its
        # runs must not overlap, and the other flows' runs need quiet moments to settle.
        values: dict[str, Any] = {"poll_seconds": 5 if spec["key"] == "project_to_billing" else 1}
        if spec["key"] == "project_to_billing":
            values.update(BILLING_SETUP)
        if spec["key"] == "quote_to_project":
            values["won_filter"] = f"StageName = 'Closed Won' AND Name LIKE '{tag}%'"
        return values

    live = live_lifecycle(
        sandbox=sandbox,
        make_org=make_org,
        make_user=make_user,
        name="Lifecycle",
        systems=KANTATA_NETSUITE,
        values_for=values_for,
    )
    actor, customer, conns, flows = live.actor, live.customer, live.connections, live.flows
    approver = make_user(f"controller-{tag.lower()}", customer, "approver")
    assert set(flows) >= {"quote_to_project", "project_to_billing", "billing_to_cash", "invoice_correction"}
    sf = runtime.open_connection(customer.pk, conns["salesforce"].ref)
    ns = runtime.open_connection(customer.pk, conns["netsuite"].ref)
    kt = runtime.open_connection(customer.pk, conns["kantata"].ref)

    start_beat()
    wait_for_first_polls(flows)

    # ------------------------------------------------------------------ 1. quote to project
    name = f"{tag} Contoso Rail"
    # Finance set the customer up for billing (payment terms; currency and subsidiary come with it).
    existing = ns.run_action(
        "create_record", {"record_type": "customer", "fields": {"companyName": name, "terms": {"id": "2"}}}
    )
    account, opp = close_won_deal(
        sf,
        account_name=name,
        opportunity_name=f"{tag} Rail rollout",
        extra_lines=(("Monthly advisory", 1, 3000, "Retainer"),),  # a billing type the template does not map
    )

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
    assert customer_id == existing["id"]  # the existing NetSuite customer was reused, not duplicated
    account_row = sf.run_action(
        "query", {"soql": f"SELECT NetSuite_Id__c FROM Account WHERE Id = '{account['id']}'"}
    )[0]
    assert account_row["NetSuite_Id__c"] == customer_id
    job = ns.run_action("get_record", {"record_type": "job", "id": job_id})
    assert job["parent"]["id"] == customer_id
    tasks = kt.run_action("list_stories", {"workspace_id": project_id})
    assert sorted((t["title"], t["story_type"]) for t in tasks) == [
        ("Discovery workshop", "task"),
        ("Rollout FIXED fee", "milestone"),
    ]

    def workspace_currency(workspace_id: str) -> str:
        return kt.run_action("get_workspace", {"id": workspace_id})["currency"]

    def handover_counts() -> tuple:
        customers = ns.run_action(
            "suiteql", {"query": f"SELECT COUNT(*) AS n FROM customer WHERE companyname = '{name}'"}
        )
        jobs = ns.run_action(
            "suiteql", {"query": f"SELECT COUNT(*) AS n FROM job WHERE externalid = '{opp['id']}'"}
        )
        workspaces = [w for w in kt.run_action("list_workspaces", {"search": tag}) if tag in w["title"]]
        stories = kt.run_action("list_stories", {"workspace_id": project_id})
        return int(customers[0]["n"]), int(jobs[0]["n"]), len(workspaces), len(stories)

    assert handover_counts() == (1, 1, 1, 2)
    assert workspace_currency(project_id) == "USD"  # the customer's NetSuite currency
    # The retainer line got no task: its billing type is not declared, so it is an exception, not a guess.
    unmapped = NodeRun.objects.filter(
        run__flow=flows["quote_to_project"], node_id="line_exception", status="succeeded"
    ).first()
    [line_problem] = unmapped.output_items["main"]
    assert (line_problem["billing_type"], line_problem["exception"]["category"]) == (
        "Retainer",
        "validation",
    )  # the customer's NetSuite currency

    # A deal whose NetSuite customer has no payment terms gets no project: an exception says what to do.
    _, bare = close_won_deal(sf, account_name=f"{tag} Bare Ltd", opportunity_name=f"{tag} Bare deal")
    blocked = wait_for_flows(
        flows,
        lambda: NodeRun.objects.filter(
            run__flow=flows["quote_to_project"], node_id="setup_exception", status="succeeded"
        ).first(),
        45,
        "no billing-setup exception",
    )
    settle_flows(flows)
    [problem] = blocked.output_items["main"]
    assert problem["Id"] == bare["id"] and problem["setup_missing"] == ["payment terms"]
    assert problem["exception"]["category"] == "billing_setup"
    assert "payment terms" in problem["exception"]["what_to_fix"]
    # A UK customer (a VAT subsidiary) without a tax registration: no project either, and the exception
    # waits in the failure inbox under billing_setup, saying what is missing.
    vat_name = f"{tag} Thames Ltd"
    ns.run_action(
        "create_record",
        {
            "record_type": "customer",
            "fields": {"companyName": vat_name, "subsidiary": {"id": "2"}, "terms": {"id": "2"}},
        },
    )
    _, vat_opp = close_won_deal(sf, account_name=vat_name, opportunity_name=f"{tag} Thames deal")
    api = login(actor.username)

    def vat_failure() -> dict[str, Any] | None:
        rows = api.get(f"/api/failures/?organisation={customer.pk}&category=billing_setup").json()["results"]
        return next((r for r in rows if vat_opp["id"] in r["message"]), None)

    failure = wait_for_flows(flows, vat_failure, 45, "no billing_setup failure in the inbox")
    settle_flows(flows)
    assert failure["node_id"] == "setup_exception" and failure["kind"] == "item"
    assert "has no tax registration" in failure["message"] and "Complete the customer" in failure["message"]
    groups = api.get(f"/api/inbox/?organisation={customer.pk}").json()["groups"]
    setup = next(g for g in groups if g["key"] == "category:billing_setup")
    assert setup["count"] >= 2 and "billing setup" in setup["next_step"]  # the bare deal's and this one
    assert not [w for w in kt.run_action("list_workspaces", {"search": "Thames"}) if tag in w["title"]]
    assert not [w for w in kt.run_action("list_workspaces", {"search": "Bare"}) if tag in w["title"]]
    assert not sf.run_action(
        "query", {"soql": f"SELECT PSA_Project_Id__c FROM Opportunity WHERE Id = '{bare['id']}'"}
    )[0]["PSA_Project_Id__c"]
    creates = sandbox.requests_by_object(("POST", "PUT"))
    handover = Run.objects.filter(flow=flows["quote_to_project"], status="succeeded").order_by("id")
    first = next(r for r in handover if r.input_items)
    # Twice: the operator replays the handover run, and sales moves the deal back and forth.
    replay = wait_for_run_row(run_actions.replay_run(actor=actor, run=first))
    assert replay.status == "succeeded", node_errors(replay)
    before = Run.objects.filter(flow=flows["quote_to_project"]).count()
    sf.run_action(
        "update", {"sobject": "Opportunity", "id": opp["id"], "fields": {"StageName": "Negotiation/Review"}}
    )
    sf.run_action(
        "update", {"sobject": "Opportunity", "id": opp["id"], "fields": {"StageName": "Closed Won"}}
    )
    wait_until(
        lambda: Run.objects.filter(flow=flows["quote_to_project"]).count() > before,
        30,
        "no second handover run",
    )
    settle_flows(flows)
    assert handover_counts() == (1, 1, 1, 2)
    after = sandbox.requests_by_object(("POST", "PUT"))
    for key in ("kantata POST workspaces", "kantata POST stories", "netsuite POST customer"):
        assert after.get(key, 0) == creates.get(key, 0), key
    assert read_opp() == won

    # ------------------------------------------------------------------ 2. project to billing
    # The billing run waits while the week is approved: time on T&M work and on the fixed-fee
    # milestone, an expense, and the milestone signed off. Then one run drafts one invoice for the
    # project's February, a person approves it, and only then it posts and Kantata invoices the work.
    billing_run = PollingState.objects.filter(flow=flows["project_to_billing"])
    billing_run.update(enabled=False)
    settle_flows(flows)
    task = {t["story_type"]: t for t in tasks}
    milestone = task["milestone"]
    assert milestone["budget_estimate_in_cents"] == 4_000_000  # the FIXED line's price, 40000.00
    workspace = kt.run_action("get_workspace", {"id": project_id})
    entries = [
        kt.run_action(
            "create_time_entry",
            {
                "workspace_id": project_id,
                "story_id": story["id"],
                "date_performed": day,
                "time_in_minutes": minutes,
                "rate_in_cents": 20000,
                "notes": note,
            },
        )
        for story, day, minutes, note in (
            (task["task"], "2026-02-03", 90, "Kick-off"),
            (task["task"], "2026-02-04", 240, "Workshop"),
            (milestone, "2026-02-05", 180, "Rollout work"),  # fixed-fee work: not billed as T&M
            (task["task"], "2026-02-10", 120, "Review"),  # approved late, after February is invoiced
        )
    ]

    def approve_time(entry: dict[str, Any]) -> None:
        # Approval is Kantata's own workflow (timesheets), not an attribute the API writes: a person approves.
        sandbox.admin(
            "POST",
            "/_admin/actions",
            {"tenant": "default", "system": "kantata", "action": "approve_time_entry", "id": entry["id"]},
        )

    for entry in entries[:3]:
        approve_time(entry)
    travel = next(c for c in kt.run_action("list_expense_categories", {}) if c["name"] == "Travel")
    expense = kt.run_action(
        "create_expense",
        {
            "workspace_id": project_id,
            "date": "2026-02-04",
            "expense_category_id": travel["id"],
            "category": "Travel",
            "notes": "Train to site",
            "amount_in_cents": 24550,
            "billable": True,
        },
    )
    kt.run_action(
        "update_story",
        {"id": milestone["id"], "state": "completed", "percentage_complete": 100, "due_date": "2026-02-27"},
    )
    billing_run.update(enabled=True, next_poll_at=timezone.now())

    def invoices() -> list[dict[str, Any]]:
        rows = ns.run_action(
            "suiteql", {"query": f"SELECT id FROM transaction WHERE type = 'CustInvc' AND job = {job_id}"}
        )
        return [ns.run_action("get_record", {"record_type": "invoice", "id": r["id"]}) for r in rows]

    def invoice_lines(invoice: dict[str, Any]) -> list[tuple]:
        return sorted(
            (
                line["item"]["id"],
                line["description"],
                line["quantity"],
                line["rate"],
                line["amount"],
                line["taxCode"]["id"],
            )
            for line in invoice["item"]["items"]
        )

    def marked() -> tuple[bool, ...]:
        return (
            *(kt.run_action("get_time_entry", {"id": e["id"]})["is_invoiced"] for e in entries),
            kt.run_action("get_expense", {"id": expense["id"]})["is_invoiced"],
        )

    pending = ApprovalRequest.objects.filter(
        run__flow=flows["project_to_billing"], status=ApprovalStatus.PENDING
    )
    february = f"FB-BILL-{project_id}-2026-02"

    def approval_for(key: str) -> ApprovalRequest:
        return wait_for_flows(
            flows,
            lambda: next((r for r in pending.all() if any(i["key"] == key for i in r.items)), None),
            45,
            f"no approval request for {key}",
        )

    request = approval_for(february)
    # The draft exists in NetSuite, pending approval: it posts nothing, and the work is not invoiced yet.
    [draft] = invoices()
    assert (draft["externalId"], draft["approvalStatus"]["id"], draft["status"]["id"]) == (
        february,
        "1",
        "pendingApproval",
    )
    assert marked() == (False, False, False, False, False)
    # The approver sees the lines and the totals a controller checks: time x rate + expenses + fee.
    [item] = [i for i in request.items if i["key"] == february]
    total = 41345.5  # T&M (1.5 + 4) h x 200 + expense 245.50 + fixed fee 40000; the 3 h rollout excluded
    assert (item["total"], item["hours"], item["time_amount"], item["expenses"], item["fixed_fees"]) == (
        total,
        5.5,
        1100.0,
        245.5,
        40000.0,
    )
    assert (item["currency"], item["tax_code"]) == (workspace["currency"], "15")
    assert request.totals["total"] == total and "Workshop" in item["line_summary"]
    approvals.decide(actor=approver, request=request, decision="approve")

    milestone_links = SyncLink.objects.filter(
        organisation=customer, entity="milestone_invoice", system="kantata"
    )

    def all_invoiced() -> bool:
        time_1, time_2, _fixed_fee_work, _late, expense_done = marked()
        return time_1 and time_2 and expense_done and milestone_links.exists()

    wait_for_flows(flows, all_invoiced, 45, "the time, expense and milestone were not invoiced")
    settle_flows(flows)
    [invoice] = invoices()
    assert invoice["entity"]["id"] == customer_id
    assert (invoice["approvalStatus"]["id"], invoice["currency"]["symbol"]) == ("2", workspace["currency"])
    expected_lines = [
        ("10", "2026-02-03 Kick-off", 1.5, 200.0, 300.0, "15"),
        ("10", "2026-02-04 Workshop", 4.0, 200.0, 800.0, "15"),
        ("11", "Milestone: Rollout FIXED fee", 1.0, 40000.0, 40000.0, "15"),
        ("13", "2026-02-04 Travel: Train to site", 1.0, 245.5, 245.5, "15"),
    ]
    assert invoice_lines(invoice) == expected_lines
    assert invoice["total"] == total
    assert marked() == (True, True, False, False, True)  # fixed-fee work never; the late entry not yet
    assert milestone_links.count() == 1
    writes = sandbox.requests_by_object(("POST", "PUT", "PATCH"))

    # Late approval: the February entry approved after February was posted goes on March's invoice;
    # February's invoice is neither edited nor doubled.
    approve_time(entries[3])
    march_key = f"FB-BILL-{project_id}-2026-03"
    march = approval_for(march_key)
    [late] = march.items
    assert (late["time_entry_ids"], late["total"]) == ([int(entries[3]["id"])], 400.0)
    # The controller rejects it (the review took one hour, not two). The next runs do not draft the same
    # work again: the period is held as an exception in the failure inbox saying who, why and what to do.
    approvals.decide(actor=approver, request=march, decision="reject", reason="The review took 1 h")
    held = FailureRecord.objects.filter(
        flow=flows["project_to_billing"], node_id="plan", category="needs_review", state="open"
    )
    [rejection] = wait_for_flows(flows, lambda: list(held.all()), 45, "no exception for the rejected period")
    assert (rejection.item["key"], rejection.item["rejected_by"]) == (march_key, approver.get_username())
    assert "The review took 1 h" in rejection.message and "Fix the work in the PSA" in rejection.message
    seen = Run.objects.filter(flow=flows["project_to_billing"]).order_by("-id").first().pk
    wait_for_flows(
        flows,
        lambda: (
            Run.objects.filter(flow=flows["project_to_billing"], pk__gt=seen, status="succeeded").count() >= 2
        ),
        45,
        "no billing runs after the rejection",
    )
    assert not pending.exists() and held.all().get().occurrences >= 2  # held, not sent to the approver again
    rejected = next(i for i in invoices() if i["externalId"] == march_key)
    assert rejected["approvalStatus"]["id"] == "3"
    assert rejected["memo"].startswith(f"Rejected by {approver.get_username()}: The review took 1 h [work ")
    # The work is fixed in Kantata: the period is drafted again (the same NetSuite draft, its lines
    # replaced), the held exception clears, and the corrected invoice is approved.
    kt.run_action("update_time_entry", {"id": entries[3]["id"], "time_in_minutes": 60})
    march = approval_for(march_key)
    [late] = march.items
    assert (late["time_entry_ids"], late["total"]) == ([int(entries[3]["id"])], 200.0)
    assert str(late["invoice_id"]) == str(rejected["id"])
    wait_for_flows(flows, lambda: not held.all().exists(), 45, "the rejection exception did not clear")
    approvals.decide(actor=approver, request=march, decision="approve")
    wait_for_flows(flows, lambda: marked()[3], 45, "the late entry was not invoiced")
    settle_flows(flows)
    by_key = {i["externalId"]: i for i in invoices()}
    assert sorted(by_key) == [february, f"FB-BILL-{project_id}-2026-03"]
    assert (by_key[february]["total"], invoice_lines(by_key[february])) == (total, expected_lines)
    after = sandbox.requests_by_object(("POST", "PUT", "PATCH"))
    assert (
        after.get("netsuite PATCH invoice", 0) == writes.get("netsuite PATCH invoice", 0) + 2
    )  # March's rejection and its post
    assert (
        after.get("netsuite PUT invoice", 0) == writes.get("netsuite PUT invoice", 0) + 2
    )  # March's draft and its re-draft after the fix

    # Twice: the operator replays the invoicing run, and every record is touched again: nothing new.
    billing = next(
        r
        for r in Run.objects.filter(flow=flows["project_to_billing"]).order_by("id")
        if NodeRun.objects.filter(run=r, node_id="post", status="succeeded").exists()
    )
    replay = wait_for_run_row(run_actions.replay_run(actor=actor, run=billing))
    assert replay.status in ("succeeded", "waiting"), node_errors(replay)
    kt.run_action("update_time_entry", {"id": entries[0]["id"], "notes": "Kick-off (edited)"})
    kt.run_action("update_expense", {"id": expense["id"], "notes": "Train to site (edited)"})
    touched = Run.objects.filter(flow=flows["project_to_billing"]).order_by("-id").first().pk
    wait_until(
        lambda: Run.objects.filter(flow=flows["project_to_billing"], pk__gt=touched).exists(),
        30,
        "no billing run after the records were touched",
    )
    assert not pending.exists()
    settle_flows(flows)
    assert len(invoices()) == 2 and milestone_links.count() == 1
    assert sandbox.requests_by_object(("PUT", "PATCH")).get("netsuite PUT invoice", 0) == after.get(
        "netsuite PUT invoice", 0
    )

    # ------------------------------------------------------------------ 3. billing to cash
    # The posted invoices reach the opportunity's dedicated billing fields; a partial payment shows as
    # partially paid with the cash received, the rest of it as paid. Sales' NextStep is left alone.
    def billing() -> dict[str, Any]:
        soql = (
            "SELECT Billing_Status__c, Billing_Invoice__c, Billing_Total__c, Billing_Cash_Received__c, "
            "Billing_Credited__c, Billing_Written_Off__c, Billing_Open_Amount__c, Billing_Days_Overdue__c, "
            f"NextStep, Description FROM Opportunity WHERE Id = '{opp['id']}'"
        )
        return sf.run_action("query", {"soql": soql})[0]

    def pay(amount: float) -> None:
        ns.run_action(
            "create_record",
            {
                "record_type": "customerpayment",
                "fields": {
                    "customer": {"id": customer_id},
                    "payment": amount,
                    "apply": {"items": [{"doc": {"id": invoice["id"]}, "amount": amount, "apply": True}]},
                },
            },
        )

    def shows(status: str, tran_id: str) -> Any:
        return lambda: (b := billing())["Billing_Status__c"] == status and b["Billing_Invoice__c"] == tran_id

    pay(10000)
    wait_for_flows(flows, shows("Partially paid", invoice["tranId"]), 45, "the partial payment is not shown")
    settle_flows(flows)
    partial = billing()
    assert (partial["Billing_Cash_Received__c"], partial["Billing_Open_Amount__c"]) == (10000.0, 31345.5)
    assert (partial["Billing_Total__c"], partial["Billing_Credited__c"]) == (total, 0.0)
    assert partial["NextStep"] == won["NextStep"] and not (partial["Description"] or "").startswith("Billing")
    pay(total - 10000)
    wait_for_flows(flows, shows("Paid", invoice["tranId"]), 45, "the payment did not reach the CRM")
    settle_flows(flows)
    paid = billing()
    assert (paid["Billing_Cash_Received__c"], paid["Billing_Open_Amount__c"]) == (total, 0.0)
    assert paid["Billing_Days_Overdue__c"] == 0
    cash = Run.objects.filter(flow=flows["billing_to_cash"], status="succeeded").order_by("-id").first()
    replay = wait_for_run_row(run_actions.replay_run(actor=actor, run=cash))
    assert replay.status == "succeeded", node_errors(replay)
    settle_flows(flows)
    assert billing() == paid
    # The Kantata project shows the same in its dedicated billing custom fields, not in a task.
    shown = kantata_client.list_records(
        kt.context(), "custom_field_values", {"subject_type": "Workspace", "with_subject_id": project_id}
    )
    values = {v["custom_field_name"]: v["value"] for v in shown}
    assert (values.pop("Billing status"), values.pop("Billing invoice")) == ("Paid", invoice["tranId"])
    assert {name: float(value) for name, value in values.items()} == {
        "Billing total": total,
        "Billing cash received": total,
        "Billing credited": 0,
        "Billing open amount": 0,
        "Billing days overdue": 0,
    }
    assert len(invoices()) == 2  # February and March
    assert handover_counts() == (1, 1, 1, 2)  # the two line tasks, no task per invoice
    links = SyncLink.objects.filter(organisation=customer, entity="project")
    assert links.values("canonical_id").distinct().count() == 1
    assert sorted(links.values_list("system", flat=True)) == ["kantata", "netsuite", "salesforce"]

    # ------------------------------------------------------------------ 4. a correction
    # March's review hour was billed at 200; it should have been 150: a credit memo against the posted
    # invoice, with the reason, approved by a person; the invoice is not edited. Twice: nothing doubles.
    march_invoice = next(i for i in invoices() if i["externalId"].endswith("2026-03"))
    request_body = {
        "correction_id": "CASE-7",
        "invoice_id": march_invoice["id"],
        "reason": "Review hour billed at the senior rate",
        "lines": [
            {"item": "10", "description": "2026-02-10 Review: rate correction", "quantity": 1, "rate": 50}
        ],
    }
    patches = sandbox.requests_by_object(("PATCH", "PUT")).get("netsuite PATCH invoice", 0)
    correction = flows["invoice_correction"]
    first_run = run_manually(actor=actor, flow=correction, input_data=request_body)
    credit_request = wait_for_flows(
        flows,
        lambda: ApprovalRequest.objects.filter(run=first_run, status=ApprovalStatus.PENDING).first(),
        45,
        "no approval request for the credit memo",
    )
    assert credit_request.totals["total"] == 50.0
    approvals.decide(actor=approver, request=credit_request, decision="approve")
    assert wait_for_run_row(first_run).status == "succeeded", node_errors(first_run)

    def credit_memos() -> list[dict[str, Any]]:
        rows = ns.run_action(
            "suiteql",
            {"query": f"SELECT id FROM transaction WHERE type = 'CustCred' AND job = {job_id}"},
        )
        return [ns.run_action("get_record", {"record_type": "creditmemo", "id": r["id"]}) for r in rows]

    [memo] = credit_memos()
    assert (memo["createdFrom"]["id"], memo["total"], memo["currency"]["symbol"]) == (
        march_invoice["id"],
        50.0,
        workspace["currency"],
    )
    assert memo["memo"] == f"Correction of {march_invoice['tranId']}: Review hour billed at the senior rate"
    assert [(a["doc"]["id"], a["amount"]) for a in memo["apply"]["items"]] == [(march_invoice["id"], 50.0)]
    assert [line["taxCode"]["id"] for line in memo["item"]["items"]] == ["15"]
    march_after = ns.run_action("get_record", {"record_type": "invoice", "id": march_invoice["id"]})
    assert (march_after["total"], march_after["amountRemaining"]) == (200.0, 150.0)  # credited, not edited
    assert sandbox.requests_by_object(("PATCH", "PUT")).get("netsuite PATCH invoice", 0) == patches
    replay = run_actions.replay_run(actor=actor, run=first_run)
    again = wait_for_flows(
        flows,
        lambda: ApprovalRequest.objects.filter(run=replay, status=ApprovalStatus.PENDING).first(),
        45,
        "no approval request on the replay",
    )
    approvals.decide(actor=approver, request=again, decision="approve")
    assert wait_for_run_row(replay).status == "succeeded", node_errors(replay)
    assert len(credit_memos()) == 1
    # The credit reduces what is open on March's invoice, and it is not cash.
    wait_for_flows(
        flows,
        lambda: (
            (b := billing())["Billing_Invoice__c"] == march_invoice["tranId"] and b["Billing_Credited__c"]
        ),
        45,
        "the credit memo did not reach the CRM",
    )
    settle_flows(flows)
    credited = billing()
    assert (credited["Billing_Credited__c"], credited["Billing_Cash_Received__c"]) == (50.0, 0.0)
    assert credited["Billing_Open_Amount__c"] == 150.0
    assert credited["Billing_Status__c"] == ("Overdue" if credited["Billing_Days_Overdue__c"] else "Open")

    # Finance writes the rest off (a credit memo marked as a write-off): written off, still no cash.
    ns.run_action(
        "create_record",
        {
            "record_type": "creditmemo",
            "fields": {
                "externalId": f"WO-{march_invoice['id']}",
                "entity": {"id": customer_id},
                "createdFrom": {"id": march_invoice["id"]},
                "memo": "Write-off: uncollectible",
                "item": {"items": [{"item": {"id": "10"}, "quantity": 1, "rate": 150}]},
                "apply": {"items": [{"doc": {"id": march_invoice["id"]}, "amount": 150, "apply": True}]},
            },
        },
    )
    wait_for_flows(
        flows, lambda: billing()["Billing_Status__c"] == "Written off", 45, "no write-off in the CRM"
    )
    settle_flows(flows)
    written_off = billing()
    assert (written_off["Billing_Written_Off__c"], written_off["Billing_Credited__c"]) == (150.0, 50.0)
    assert (written_off["Billing_Cash_Received__c"], written_off["Billing_Open_Amount__c"]) == (0.0, 0.0)

    # ------------------------------------------------------------------ 5. master data from the ERP side
    # Finance changes the customer's billing address in NetSuite (NetSuite owns it): it reaches the linked
    # account at once. The two master-sync flows write only what differs, so they do not keep starting each
    # other on their own writes: after the change has gone round, they fall quiet.
    # NetSuite keeps addresses in the customer's address book (defaultAddress is a read-only summary).
    street = f"1 Quay Street {tag}"
    address = {"addr1": street, "city": "Bristol", "zip": "BS1 4DJ", "country": {"id": "GB"}}
    line = {"defaultBilling": True, "label": "Billing", "addressBookAddress": address}
    ns.run_action(
        "update_record",
        {"record_type": "customer", "id": customer_id, "fields": {"addressBook": {"items": [line]}}},
    )

    def billing_address() -> tuple[str, ...]:
        soql = (
            "SELECT BillingStreet, BillingCity, BillingPostalCode, BillingCountry FROM Account "
            f"WHERE Id = '{account['id']}'"
        )
        row = sf.run_action("query", {"soql": soql})[0]
        return tuple(row[k] for k in ("BillingStreet", "BillingCity", "BillingPostalCode", "BillingCountry"))

    moved = (street, "Bristol", "BS1 4DJ", "United Kingdom")
    wait_for_flows(
        flows, lambda: billing_address() == moved, 45, "the billing address did not reach the account"
    )
    wait_until_quiet(
        [flows["customer_master_sync"], flows["customer_master_sync_netsuite_side"]],
        "the master-sync flows keep starting each other",
    )
    settle_flows(flows)
    assert billing_address() == moved
    assert ns.run_action("get_record", {"record_type": "customer", "id": customer_id})["defaultAddress"] == (
        f"{street}\nBristol BS1 4DJ\nUnited Kingdom"
    )
    runtime.clear_cache()
