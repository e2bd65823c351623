"""The invoice planner's rules, as a controller reads them (pure: no database, no clock)."""

from __future__ import annotations

from datetime import date

from flowbuilder.nodes.builtins.billing import plan_invoices
from flowbuilder.nodes.builtins.billing_cycles import is_closed, next_period, period_of

PROJECT = {
    "workspace_id": "7",
    "netsuite_project_id": "1201",
    "customer_id": "1101",
    "subsidiary_id": "2",
    "currency": "GBP",
}
ITEMS = {"2": {"time": "10", "expense": "13", "milestone": "11"}}
TAX = {"2": "16"}


def entry(eid: int, day: str, minutes: int, rate: int | None = 20000, **extra) -> dict:
    return {
        "id": eid,
        "workspace_id": 7,
        "date_performed": day,
        "time_in_minutes": minutes,
        "rate_in_cents": rate,
        "approved": True,
        "billable": True,
        "is_invoiced": False,
        "currency": "GBP",
        "notes": f"work {eid}",
        **extra,
    }


def plan(time=(), expenses=(), existing=(), *, cycle="monthly", today="2026-03-10", **kw):
    args = {
        "time": list(time),
        "expenses": list(expenses),
        "stories": [],
        "milestones": [],
        "projects": [PROJECT],
        "existing": list(existing),
        "cycles": {"default": {"cycle": cycle, "cutoff_days": 3}},
        "items": ITEMS,
        "tax_codes": TAX,
        "expense_currency": {"rule": "split"},
        "key_prefix": "FB-BILL",
        "today": date.fromisoformat(today),
    }
    return plan_invoices(**{**args, **kw})


def test_periods_per_cycle():
    day = date(2026, 2, 17)
    assert period_of(day, "monthly").id == "2026-02"
    assert period_of(day, "semi-monthly").id == "2026-02-H2"
    assert period_of(date(2026, 2, 15), "semi-monthly").id == "2026-02-H1"
    assert period_of(day, "weekly").id == "2026-W08"
    assert next_period(period_of(date(2026, 12, 20), "monthly"), "monthly").id == "2027-01"
    feb = period_of(day, "monthly")
    assert not is_closed(feb, 3, date(2026, 3, 3)) and is_closed(feb, 3, date(2026, 3, 4))


def test_one_invoice_per_project_and_period_with_time_times_rate_plus_expenses():
    out = plan(
        [entry(1, "2026-02-03", 90), entry(2, "2026-02-20", 240), entry(3, "2026-03-02", 60)],
        [
            {
                "id": 9,
                "workspace_id": 7,
                "date": "2026-02-04",
                "amount_in_cents": 24550,
                "is_billable": True,
                "currency": "GBP",
                "category": "Travel",
            }
        ],
    )
    assert out["exceptions"] == []
    [invoice] = out["invoices"]  # March is before its cut-off: it waits
    assert invoice["key"] == "FB-BILL-7-2026-02"
    assert (invoice["currency"], invoice["tax_code"]) == ("GBP", "16")
    assert invoice["total"] == 1.5 * 200 + 4 * 200 + 245.5
    assert {line["taxCode"]["id"] for line in invoice["lines"]} == {"16"}
    assert [line["item"]["id"] for line in invoice["lines"]] == ["10", "10", "13"]
    assert (invoice["time_entry_ids"], invoice["expense_ids"]) == ([1, 2], [9])
    assert [w["ref"] for w in out["waiting"]] == ["T3"]


def test_late_approval_goes_to_the_next_open_period_never_the_posted_one():
    posted = [{"externalid": "FB-BILL-7-2026-01", "approvalstatus": "2"}]
    out = plan([entry(4, "2026-01-30", 60)], existing=posted)
    [invoice] = out["invoices"]
    assert invoice["key"] == "FB-BILL-7-2026-02" and invoice["time_entry_ids"] == [4]


def test_work_of_a_period_whose_draft_waits_for_approval_waits():
    pending = [{"externalid": "FB-BILL-7-2026-02", "approvalstatus": "1"}]
    out = plan([entry(5, "2026-02-10", 60)], existing=pending)
    assert out["invoices"] == [] and out["waiting"][0]["reason"].startswith("its period's draft")


def test_a_missing_rate_item_or_tax_code_is_an_exception_never_a_default():
    out = plan([entry(6, "2026-02-10", 60, rate=None), entry(7, "2026-02-11", 60)])
    assert out["invoices"] == []  # the period's invoice waits for the fix: no partial invoice
    [problem] = out["exceptions"]
    assert problem["exception"]["category"] == "missing_reference"
    assert "rate card" in problem["exception"]["what_to_fix"]
    out = plan([entry(7, "2026-02-11", 60)], items={}, tax_codes={})
    fixes = sorted(p["exception"]["what_to_fix"] for p in out["exceptions"])
    assert fixes == [
        "Set items['2']['time'] in the template's parameters.",
        "Set tax_codes['2'] in the template's parameters.",
    ]


def test_expenses_in_another_currency_split_or_convert_never_summed_raw():
    usd = {
        "id": 11,
        "workspace_id": 7,
        "date": "2026-02-05",
        "amount_in_cents": 10000,
        "is_billable": True,
        "currency": "USD",
        "category": "Hotel",
    }
    split = plan([entry(8, "2026-02-05", 60)], [usd])
    assert sorted((i["key"], i["currency"], i["total"]) for i in split["invoices"]) == [
        ("FB-BILL-7-2026-02", "GBP", 200.0),
        ("FB-BILL-7-2026-02-USD", "USD", 100.0),
    ]
    converted = plan(
        [entry(8, "2026-02-05", 60)], [usd], expense_currency={"rule": "convert", "rates": {"USD:GBP": 0.79}}
    )
    [invoice] = converted["invoices"]
    assert (invoice["currency"], invoice["total"]) == ("GBP", 279.0)
    missing = plan([], [usd], expense_currency={"rule": "convert", "rates": {}})
    assert "USD:GBP" in missing["exceptions"][0]["exception"]["what_to_fix"]


def test_weekly_and_milestone_cycles():
    weekly = plan(
        [entry(1, "2026-03-02", 60), entry(2, "2026-03-04", 60)], cycle="weekly", today="2026-03-12"
    )
    assert [i["period"] for i in weekly["invoices"]] == ["2026-W10"]
    stories = [
        {
            "id": 50,
            "workspace_id": 7,
            "story_type": "milestone",
            "state": "completed",
            "budget_estimate_in_cents": 4_000_000,
            "title": "Go-live",
            "due_date": "2026-03-09",
        }
    ]
    out = plan(
        [entry(3, "2026-03-05", 60, story_id=50)], stories=stories, milestones=stories, cycle="milestone"
    )
    [invoice] = out["invoices"]
    assert (invoice["key"], invoice["total"], invoice["hours"]) == ("FB-BILL-7-M50", 40000.0, 0)


def test_an_unlinked_project_waits_and_a_customer_without_cycle_is_an_exception():
    out = plan([entry(1, "2026-02-03", 60)], projects=[])
    assert out["invoices"] == out["exceptions"] == [] and out["waiting"][0]["ref"] == "T1"
    out = plan([entry(1, "2026-02-03", 60)], cycles={})
    assert "billing cycles" in out["exceptions"][0]["exception"]["what_to_fix"]


def test_lines_over_the_not_to_exceed_cap_are_held_as_exceptions_not_billed():
    capped = {**PROJECT, "not_to_exceed": 1000}
    # Already billed 500 (a posted invoice) and 100 on a rejected one, which does not count.
    existing = [
        {"externalid": "FB-BILL-7-2026-01", "approvalstatus": "2", "foreigntotal": 500},
        {"externalid": "FB-BILL-7-2025-12", "approvalstatus": "3", "foreigntotal": 100},
        {"externalid": "FB-BILL-8-2026-01", "approvalstatus": "2", "foreigntotal": 9000},  # another project
    ]
    # 200/h: 1 h (200) fits (700), 2 h (400) would make 1100: over by 100; 0.5 h (100) still fits.
    out = plan(
        [entry(1, "2026-02-02", 60), entry(2, "2026-02-03", 120), entry(3, "2026-02-04", 30)],
        existing=existing,
        projects=[capped],
    )
    [invoice] = out["invoices"]
    assert invoice["time_entry_ids"] == [1, 3] and invoice["total"] == 300.0
    [held] = out["exceptions"]
    assert held["ref"] == "T2" and held["exception"]["category"] == "not_to_exceed"
    assert held["exception"]["problem"].startswith("T2: over NTE cap by 100.00 GBP")
    assert held["over"] == 100.0


def usd_expense(eid: int, cents: int, day: str = "2026-02-05") -> dict:
    return {
        "id": eid,
        "workspace_id": 7,
        "date": day,
        "amount_in_cents": cents,
        "is_billable": True,
        "currency": "USD",
        "category": "Hotel",
    }


def test_split_invoices_in_another_currency_count_against_the_cap_at_the_declared_rate():
    capped = [{**PROJECT, "not_to_exceed": 500}]
    rates = {"rule": "split", "rates": {"USD:GBP": 0.8}}
    # Billed so far: 100 GBP and a 200 USD split invoice (160 GBP at 0.8), never 300 "raw".
    existing = [
        {"externalid": "FB-BILL-7-2026-01", "approvalstatus": "2", "foreigntotal": 100},
        {"externalid": "FB-BILL-7-2026-01-USD", "approvalstatus": "2", "foreigntotal": 200},
    ]
    # February: 1 h at 200 GBP (used 460) and a 100 USD expense (80 GBP): 540 is over the 500 cap by 40.
    out = plan(
        [entry(1, "2026-02-02", 60)],
        [usd_expense(11, 10000)],
        existing,
        projects=capped,
        expense_currency=rates,
    )
    assert [(i["key"], i["total"]) for i in out["invoices"]] == [("FB-BILL-7-2026-02", 200.0)]
    [held] = out["exceptions"]
    assert (held["ref"], held["exception"]["category"], held["over"]) == ("E11", "not_to_exceed", 40.0)
    assert "this line 80.00 (100.00 USD at 0.8)" in held["exception"]["problem"]
    # A smaller USD expense fits: its split invoice stays in USD.
    out = plan([], [usd_expense(12, 5000)], existing, projects=capped, expense_currency=rates)
    assert [(i["key"], i["currency"], i["total"]) for i in out["invoices"]] == [
        ("FB-BILL-7-2026-02-USD", "USD", 50.0)
    ]


def test_without_a_rate_a_capped_projects_other_currency_lines_are_held_never_counted_raw():
    capped = [{**PROJECT, "not_to_exceed": 5000}]
    out = plan([entry(1, "2026-02-02", 60)], [usd_expense(11, 10000)], projects=capped)
    assert [i["key"] for i in out["invoices"]] == ["FB-BILL-7-2026-02"]  # the GBP invoice is fine
    [held] = out["exceptions"]
    assert (held["ref"], held["exception"]["category"]) == ("E11", "missing_reference")
    assert "'USD:GBP'" in held["exception"]["what_to_fix"]
    # An invoice already billed in USD without a rate: the headroom is unknown, nothing is drafted.
    billed_usd = [{"externalid": "FB-BILL-7-2026-01-USD", "approvalstatus": "2", "foreigntotal": 200}]
    out = plan([entry(1, "2026-02-02", 60)], existing=billed_usd, projects=capped)
    assert out["invoices"] == []
    [held] = out["exceptions"]
    assert held["key"] == "FB-BILL-7-2026-02" and held["refs"] == ["T1"]
    assert "already billed in USD" in held["exception"]["problem"]
    # Without a cap, currencies never meet: nothing is held.
    out = plan([entry(1, "2026-02-02", 60)], [usd_expense(11, 10000)], existing=billed_usd)
    assert len(out["invoices"]) == 2 and out["exceptions"] == []


def test_a_project_without_a_cap_bills_everything_and_a_fully_held_invoice_is_not_drafted():
    out = plan([entry(1, "2026-02-02", 600)])
    assert out["invoices"][0]["total"] == 2000.0 and out["exceptions"] == []
    out = plan([entry(1, "2026-02-02", 600)], projects=[{**PROJECT, "not_to_exceed": 500}])
    assert out["invoices"] == []
    assert [e["exception"]["category"] for e in out["exceptions"]] == ["not_to_exceed"]


def test_the_cap_counts_periods_in_order():
    capped = {**PROJECT, "not_to_exceed": 400}
    out = plan([entry(1, "2026-01-10", 60), entry(2, "2026-02-10", 120)], projects=[capped])
    assert [i["key"] for i in out["invoices"]] == ["FB-BILL-7-2026-01"]
    assert [e["ref"] for e in out["exceptions"]] == ["T2"]


def test_a_rejected_period_is_not_drafted_again_until_its_work_changes():
    work = [entry(1, "2026-02-03", 90), entry(2, "2026-02-20", 240)]
    [first] = plan(work)["invoices"]
    memo = f"Rejected by ana@example.com: wrong rate for the workshop [work {first['fingerprint']}]"
    rejected = {
        "id": "881",
        "externalid": first["key"],
        "approvalstatus": "3",
        "foreigntotal": 0,
        "memo": memo,
    }
    held = plan(work, existing=[rejected])
    assert held["invoices"] == [] and held["replace"] == []
    [problem] = held["exceptions"]
    assert (problem["key"], problem["period"], problem["workspace_id"]) == (first["key"], "2026-02", "7")
    assert (problem["rejected_by"], problem["reason"]) == ("ana@example.com", "wrong rate for the workshop")
    assert problem["exception"]["category"] == "needs_review"
    assert "rejected by ana@example.com: wrong rate for the workshop" in problem["exception"]["problem"]
    fix = problem["exception"]["what_to_fix"]
    assert fix.startswith(
        "Fix the work in the PSA (time, expenses, rates); when it changes the period is drafted"
    )
    assert f"delete the rejected invoice {first['key']} in NetSuite" in fix
    # The work changed (hours corrected): drafted again, in place (the upsert by external id).
    [again] = plan([entry(1, "2026-02-03", 90), entry(2, "2026-02-20", 180)], existing=[rejected])["invoices"]
    assert again["key"] == first["key"] and again["fingerprint"] != first["fingerprint"]
    assert again["total"] == 1.5 * 200 + 3 * 200
    # A new entry changes the work too; a changed note does not.
    assert plan([*work, entry(3, "2026-02-21", 60)], existing=[rejected])["invoices"]
    renamed = [entry(1, "2026-02-03", 90, notes="Kick-off"), entry(2, "2026-02-20", 240)]
    assert plan(renamed, existing=[rejected])["invoices"] == []
    # Rejected in NetSuite without the flow's note: the work it held is unknown, so it is held too.
    bare = plan(work, existing=[{**rejected, "memo": "customer disputes"}])
    assert bare["invoices"] == [] and "not recorded" in bare["exceptions"][0]["exception"]["problem"]


def test_a_rejected_period_does_not_count_against_the_cap_and_is_held_before_it():
    work = [entry(1, "2026-02-03", 60)]
    [first] = plan(work)["invoices"]
    rejected = {
        "externalid": first["key"],
        "approvalstatus": "3",
        "foreigntotal": 200,
        "memo": f"Rejected by bo: no PO [work {first['fingerprint']}]",
    }
    out = plan(work, existing=[rejected], projects=[{**PROJECT, "not_to_exceed": 100}])
    assert [p["exception"]["category"] for p in out["exceptions"]] == ["needs_review"]


def test_every_exception_leaves_on_a_port_the_engine_records_in_the_inbox():
    from flowbuilder.nodes.builtins.billing import PlanInvoices

    assert PlanInvoices.exception_ports == ("exceptions",)


# --- Certinia work, Business Central invoices -------------------------------------------------------------

CB_PROJECT = {
    "workspace_id": "a1H000000000001AAA",
    "key_id": "PR00012",
    "erp_project_id": "bc-project-guid",
    "customer_id": "bc-customer-guid",
    "customer_name": "Depot Ltd",
    "currency": "",
}
CB_ITEMS = {"default": {"time": "SERVICES", "expense": "EXPENSES", "milestone": "FIXED-FEE"}}


def split(sid: str, start: str, end: str, hours: float, rate: float | None = 150.0, **extra) -> dict:
    return {
        "Id": sid,
        "Name": f"TC-{sid[-3:]}",
        "pse__Project__c": CB_PROJECT["workspace_id"],
        "pse__Start_Date__c": start,
        "pse__End_Date__c": end,
        "pse__Total_Hours__c": hours,
        "pse__Bill_Rate__c": rate,
        "pse__Approved__c": True,
        "pse__Billable__c": True,
        "pse__Billed__c": False,
        "pse__Invoiced__c": False,
        **extra,
    }


def cb_plan(time=(), expenses=(), milestones=(), existing=(), *, today="2026-03-10", **kw):
    args = {
        "time": list(time),
        "expenses": list(expenses),
        "stories": list(milestones),
        "milestones": list(milestones),
        "projects": [CB_PROJECT],
        "existing": list(existing),
        "cycles": {"default": {"cycle": "monthly", "cutoff_days": 3}},
        "items": CB_ITEMS,
        "tax_codes": {},
        "expense_currency": {"rule": "split"},
        "key_prefix": "CB",
        "today": date.fromisoformat(today),
        "psa": "certinia",
        "erp": "dynamics",
    }
    return plan_invoices(**{**args, **kw})


def test_certinia_splits_expenses_and_milestones_become_one_business_central_draft_per_period():
    milestone = {
        "Id": "a1F000000000001AAA",
        "Name": "Go-live",
        "pse__Project__c": CB_PROJECT["workspace_id"],
        "pse__Milestone_Amount__c": 5000,
        "pse__Actual_Date__c": "2026-02-27",
        "pse__Approved__c": True,
    }
    on_fixed_fee = split(
        "a2A000000000009AAA", "2026-02-23", "2026-02-27", 10, pse__Milestone__c=milestone["Id"]
    )
    expense = {
        "Id": "a16000000000001AAA",
        "pse__Project__c": CB_PROJECT["workspace_id"],
        "pse__Amount__c": 245.5,
        "pse__Expense_Date__c": "2026-02-04",
        "pse__Type__c": "Travel",
        "pse__Approved__c": True,
        "pse__Billable__c": True,
    }
    # A week across the month end: Certinia's two splits, one per month; March is not closed yet.
    feb = split("a2A000000000001AAA", "2026-02-23", "2026-02-28", 12)
    mar = split("a2A000000000002AAA", "2026-03-01", "2026-03-01", 4)
    out = cb_plan([feb, mar, on_fixed_fee], [expense], [milestone])
    [invoice] = out["invoices"]
    assert invoice["key"] == "CB-PR00012-2026-02" and invoice["erp_project_id"] == "bc-project-guid"
    assert [(line["lineObjectNumber"], line["quantity"], line["unitPrice"]) for line in invoice["lines"]] == [
        ("SERVICES", 12, 150.0),
        ("EXPENSES", 1.0, 245.5),
        ("FIXED-FEE", 1.0, 5000.0),
    ]
    assert [line["sequence"] for line in invoice["lines"]] == [10000, 20000, 30000]
    assert all("amount" not in line and "taxCode" not in line for line in invoice["lines"])
    assert (invoice["hours"], invoice["total"]) == (12, 1800 + 245.5 + 5000)
    assert (invoice["time_entry_ids"], invoice["expense_ids"], invoice["milestone_ids"]) == (
        [feb["Id"]],
        [expense["Id"]],
        [milestone["Id"]],
    )
    assert [w["ref"] for w in out["waiting"]] == [f"T{mar['Id']}"]  # March's split waits for its cut-off


def test_business_central_drafts_wait_and_posted_invoices_close_their_period():
    late = split("a2A000000000003AAA", "2026-02-09", "2026-02-13", 8)
    draft = {"externalDocumentNumber": "CB-PR00012-2026-02", "status": "Draft", "totalAmountExcludingTax": 0}
    waiting = cb_plan([late], existing=[draft])
    assert (
        waiting["invoices"] == []
        and waiting["waiting"][0]["reason"] == "its period's draft waits for approval"
    )
    posted = {**draft, "status": "Open", "totalAmountExcludingTax": 1800}
    later = cb_plan([late], existing=[posted], today="2026-04-10")
    assert [i["key"] for i in later["invoices"]] == ["CB-PR00012-2026-03"]  # late work: the next period


def test_a_certinia_split_without_a_bill_rate_holds_its_invoice_and_a_too_long_key_is_an_exception():
    out = cb_plan([split("a2A000000000004AAA", "2026-02-09", "2026-02-13", 8, rate=None)])
    assert out["invoices"] == [] and out["exceptions"][0]["exception"]["category"] == "missing_reference"
    long_key = cb_plan(
        [split("a2A000000000005AAA", "2026-02-09", "2026-02-13", 8)],
        projects=[{**CB_PROJECT, "key_id": "P" * 30}],
    )
    assert (
        long_key["invoices"] == []
        and "longer than the ERP's 35" in long_key["exceptions"][0]["exception"]["problem"]
    )


def test_billed_or_invoiced_certinia_work_is_not_billed_again():
    done = [
        split("a2A000000000006AAA", "2026-02-09", "2026-02-13", 8, pse__Billed__c=True),
        split("a2A000000000007AAA", "2026-02-09", "2026-02-13", 8, pse__Invoiced__c=True),
        split("a2A000000000008AAA", "2026-02-09", "2026-02-13", 8, pse__Approved__c=False),
    ]
    assert cb_plan(done) == {"invoices": [], "exceptions": [], "waiting": [], "replace": []}


def test_a_rejected_business_central_draft_is_held_then_replaced_when_the_work_changes():
    work = [split("a2A000000000001AAA", "2026-02-09", "2026-02-13", 8)]
    [first] = cb_plan(work)["invoices"]
    mark = f"Rejected {first['fingerprint']}"
    assert len(mark) <= 35  # customerPurchaseOrderReference: Text[35]
    rejected = {
        "id": "bc-draft-guid",
        "externalDocumentNumber": first["key"],
        "status": "Draft",
        "totalAmountExcludingTax": 1200,
        "customerPurchaseOrderReference": mark,
    }
    held = cb_plan(work, existing=[rejected])
    assert held["invoices"] == [] and held["replace"] == []
    [problem] = held["exceptions"]
    assert problem["exception"]["category"] == "needs_review" and problem["key"] == first["key"]
    assert "Business Central" in problem["exception"]["what_to_fix"]
    # Changed work: the rejected draft is deleted first (a create by its key would keep its old lines);
    # the next run, not finding it, drafts the period afresh.
    changed = [split("a2A000000000001AAA", "2026-02-09", "2026-02-13", 6)]
    out = cb_plan(changed, existing=[rejected])
    assert out["invoices"] == [] and out["exceptions"] == []
    assert out["replace"] == [
        {"key": first["key"], "invoice_id": "bc-draft-guid", "workspace_id": CB_PROJECT["workspace_id"]}
    ]
    assert [i["total"] for i in cb_plan(changed)["invoices"]] == [900.0]
    # A draft waiting for approval (no mark) still holds its period's work.
    pending = {**rejected, "customerPurchaseOrderReference": ""}
    assert (
        cb_plan(changed, existing=[pending])["waiting"][0]["reason"]
        == "its period's draft waits for approval"
    )


CB_EXPENSE = {
    "Id": "a16000000000002AAA",
    "pse__Project__c": "a0X000000000001AAA",
    "pse__Amount__c": 80.0,
    "pse__Expense_Date__c": "2026-02-05",
    "pse__Type__c": "Meals",
    "pse__Approved__c": True,
    "pse__Billable__c": True,
}


def test_business_central_lines_carry_the_vat_code_of_their_kind():
    """A company that uses VAT: the entity's table gives each kind of line its VAT product posting group."""
    vat = {"default": {"time": "STANDARD", "expense": "ZERO", "milestone": "STANDARD"}}
    expense = {**CB_EXPENSE, "pse__Project__c": CB_PROJECT["workspace_id"]}
    out = cb_plan([split("a2A000000000011AAA", "2026-02-09", "2026-02-13", 8)], [expense], tax_codes=vat)
    assert out["exceptions"] == []
    [invoice] = out["invoices"]
    assert [(line["lineObjectNumber"], line["taxCode"]) for line in invoice["lines"]] == [
        ("SERVICES", "STANDARD"),
        ("EXPENSES", "ZERO"),
    ]
    assert invoice["tax_code"] == "STANDARD, ZERO"
    # One code for every line of the entity works too.
    out = cb_plan([split("a2A000000000012AAA", "2026-02-09", "2026-02-13", 8)], tax_codes={"default": "ZERO"})
    assert [line["taxCode"] for line in out["invoices"][0]["lines"]] == ["ZERO"]


def test_a_kind_without_a_tax_code_in_the_entitys_table_is_an_exception_never_a_default():
    vat = {"default": {"time": "STANDARD"}}
    expense = {**CB_EXPENSE, "pse__Project__c": CB_PROJECT["workspace_id"]}
    out = cb_plan([split("a2A000000000013AAA", "2026-02-09", "2026-02-13", 8)], [expense], tax_codes=vat)
    assert out["invoices"] == []  # the period's invoice waits: no line without its code, no partial invoice
    [problem] = out["exceptions"]
    assert problem["exception"]["category"] == "missing_reference"
    assert (
        problem["exception"]["what_to_fix"]
        == "Set tax_codes['default']['expense'] in the template's parameters."
    )
    assert "no tax code for expense lines of entity default" in problem["exception"]["problem"]
    # NetSuite: the same per-kind table, and a missing kind is the same exception.
    out = plan([entry(21, "2026-02-11", 60)], tax_codes={"2": {"expense": "16"}})
    [problem] = out["exceptions"]
    assert problem["exception"]["what_to_fix"] == "Set tax_codes['2']['time'] in the template's parameters."
    out = plan([entry(22, "2026-02-11", 60)], tax_codes={"2": {"time": "15"}})
    assert [line["taxCode"]["id"] for line in out["invoices"][0]["lines"]] == ["15"]


# --- Certinia write-ups and write-downs (miscellaneous adjustments) ---------------------------------------

CB_ADJ_ITEMS = {"default": {**CB_ITEMS["default"], "adjustment": "ADJUST"}}


def adjustment(aid: str, day: str, amount: float, what: str = "", **extra) -> dict:
    """A miscellaneous adjustment as Certinia keeps it (data dictionary: pse__Miscellaneous_Adjustment__c)."""
    return {
        "Id": aid,
        "Name": f"MA-{aid[-3:]}",
        "pse__Project__c": CB_PROJECT["workspace_id"],
        "pse__Amount__c": amount,
        "pse__Effective_Date__c": day,
        "pse__Description__c": what,
        "pse__Transaction_Category__c": "Ready-to-Bill Revenue",
        "pse__Approved_for_Billing__c": True,
        "pse__Billing_Hold__c": False,
        "pse__Billed__c": False,
        "pse__Billing_Event_Invoiced__c": "N/A",
        **extra,
    }


def test_certinia_write_ups_and_downs_are_adjustment_lines_counted_in_the_invoice():
    vat = {
        "default": {"time": "STANDARD", "expense": "ZERO", "milestone": "STANDARD", "adjustment": "STANDARD"}
    }
    up = adjustment("a1D000000000001AAA", "2026-02-10", 300, "Extra workshop")
    down = adjustment("a1D000000000002AAA", "2026-02-20", -200, "Goodwill: onboarding overrun")
    not_billed = [
        adjustment("a1D000000000003AAA", "2026-02-11", 50, pse__Approved_for_Billing__c=False),
        adjustment("a1D000000000004AAA", "2026-02-11", 50, pse__Billing_Hold__c=True),
        adjustment("a1D000000000005AAA", "2026-02-11", 50, pse__Transaction_Category__c="Booked Revenue"),
        adjustment("a1D000000000006AAA", "2026-02-11", 50, pse__Billed__c=True),
        adjustment("a1D000000000007AAA", "2026-02-11", 50, pse__Billing_Event_Invoiced__c="Yes"),
        adjustment("a1D000000000008AAA", "2026-02-11", 0),
    ]
    out = cb_plan(
        [split("a2A000000000021AAA", "2026-02-09", "2026-02-13", 8)],
        adjustments=[down, up, *not_billed],
        items=CB_ADJ_ITEMS,
        tax_codes=vat,
    )
    assert out["exceptions"] == [] and out["waiting"] == []
    [invoice] = out["invoices"]
    lines = [
        (li["lineObjectNumber"], li["quantity"], li["unitPrice"], li["taxCode"]) for li in invoice["lines"]
    ]
    assert lines == [
        ("SERVICES", 8, 150.0, "STANDARD"),
        ("ADJUST", 1.0, 300.0, "STANDARD"),  # a write-up
        ("ADJUST", -1.0, 200.0, "STANDARD"),  # a write-down: a negative line
    ]
    assert invoice["lines"][2]["description"] == "2026-02-20 Write-down: Goodwill: onboarding overrun"
    assert invoice["lines"][1]["description"] == "2026-02-10 Write-up: Extra workshop"
    assert (invoice["adjustments"], invoice["total"], invoice["line_count"]) == (100.0, 1300.0, 3)
    assert invoice["adjustment_ids"] == [up["Id"], down["Id"]]
    assert "= -200.00" in invoice["line_summary"] and "adjustments 100.00" in invoice["memo"]
    # The adjustment is part of the work: changing its amount changes the fingerprint.
    changed = cb_plan(
        [split("a2A000000000021AAA", "2026-02-09", "2026-02-13", 8)],
        adjustments=[{**down, "pse__Amount__c": -150}, up],
        items=CB_ADJ_ITEMS,
    )
    assert changed["invoices"][0]["fingerprint"] != invoice["fingerprint"]


def test_an_adjustment_without_its_item_or_tax_code_or_in_another_currency_is_an_exception():
    work = [split("a2A000000000022AAA", "2026-02-09", "2026-02-13", 8)]
    down = adjustment("a1D000000000011AAA", "2026-02-12", -100, "Discount")
    out = cb_plan(work, adjustments=[down])  # items without an adjustment item
    assert out["invoices"] == []
    assert [p["exception"]["what_to_fix"] for p in out["exceptions"]] == [
        "Set items['default']['adjustment'] in the template's parameters."
    ]
    vat = {"default": {"time": "STANDARD", "expense": "ZERO", "milestone": "STANDARD"}}
    out = cb_plan(work, adjustments=[down], items=CB_ADJ_ITEMS, tax_codes=vat)
    assert [p["exception"]["what_to_fix"] for p in out["exceptions"]] == [
        "Set tax_codes['default']['adjustment'] in the template's parameters."
    ]
    # Certinia keeps an adjustment in the project's currency; one that is not is refused, never converted.
    projects = [{**CB_PROJECT, "currency": "USD"}]
    odd = {**down, "CurrencyIsoCode": "EUR"}
    out = cb_plan(work, adjustments=[odd], items=CB_ADJ_ITEMS, projects=projects)
    assert [p["exception"]["category"] for p in out["exceptions"]] == ["refused_value"]


def test_a_write_down_lowers_what_counts_against_the_not_to_exceed_cap():
    capped = [{**CB_PROJECT, "not_to_exceed": 1000}]
    work = [split("a2A000000000023AAA", "2026-02-02", "2026-02-06", 8)]  # 1200: over a 1000 cap
    held = cb_plan(work, items=CB_ADJ_ITEMS, projects=capped)
    assert held["invoices"] == [] and held["exceptions"][0]["exception"]["category"] == "not_to_exceed"
    # A write-down dated after the line still counts first: 1200 - 300 = 900 fits.
    down = adjustment("a1D000000000021AAA", "2026-02-25", -300, "Agreed discount")
    out = cb_plan(work, adjustments=[down], items=CB_ADJ_ITEMS, projects=capped)
    assert out["exceptions"] == []
    assert [i["total"] for i in out["invoices"]] == [900.0]
    # A write-up is a line like any other: over the cap it is held, the rest is billed.
    up = adjustment("a1D000000000022AAA", "2026-02-26", 250, "Rush fee")
    out = cb_plan(work, adjustments=[down, up], items=CB_ADJ_ITEMS, projects=capped)
    assert [i["total"] for i in out["invoices"]] == [900.0]
    [over] = out["exceptions"]
    assert over["ref"] == f"A{up['Id']}" and over["over"] == 150.0


def test_write_downs_exceeding_the_periods_work_hold_the_invoice_never_a_negative_one():
    down = adjustment("a1D000000000031AAA", "2026-02-20", -400, "Credit for delays")
    small = [split("a2A000000000031AAA", "2026-02-09", "2026-02-13", 2)]  # 300
    out = cb_plan(small, adjustments=[down], items=CB_ADJ_ITEMS)
    assert out["invoices"] == []
    [problem] = out["exceptions"]
    assert problem["exception"]["category"] == "needs_review"
    assert (problem["key"], problem["ref"]) == ("CB-PR00012-2026-02", f"A{down['Id']}")
    assert "would total -100.00" in problem["exception"]["problem"]
    assert "credit memo" in problem["exception"]["what_to_fix"]
    # Enough work in the period: billed net.
    out = cb_plan(
        [*small, split("a2A000000000032AAA", "2026-02-16", "2026-02-20", 4)],
        adjustments=[down],
        items=CB_ADJ_ITEMS,
    )
    assert [i["total"] for i in out["invoices"]] == [500.0]


def test_on_the_milestone_cycle_an_adjustment_rides_on_the_projects_next_milestone_invoice():
    def milestone(mid: str, day: str, amount: float) -> dict:
        return {
            "Id": mid,
            "Name": f"Phase {mid[-1]}",
            "pse__Project__c": CB_PROJECT["workspace_id"],
            "pse__Milestone_Amount__c": amount,
            "pse__Actual_Date__c": day,
            "pse__Approved__c": True,
        }

    by_milestone = {"default": {"cycle": "milestone"}}
    down = adjustment("a1D000000000041AAA", "2026-02-20", -500, "Agreed discount")
    # No milestone accepted yet: the write-down waits (it used to wait forever, having no milestone).
    out = cb_plan(adjustments=[down], items=CB_ADJ_ITEMS, cycles=by_milestone)
    assert out["invoices"] == [] and out["exceptions"] == []
    assert [(w["ref"], w["reason"]) for w in out["waiting"]] == [
        (f"A{down['Id']}", "billed on the project's next milestone invoice (none is drafted now)")
    ]
    # Two milestones accepted in the same run: it rides on the earlier one, once.
    late, early = (
        milestone("a1F000000000042AAA", "2026-03-05", 3000),
        milestone("a1F000000000041AAA", "2026-02-27", 2000),
    )
    out = cb_plan(milestones=[late, early], adjustments=[down], items=CB_ADJ_ITEMS, cycles=by_milestone)
    assert out["exceptions"] == out["waiting"] == []
    totals = {i["key"]: (i["total"], i["adjustment_ids"]) for i in out["invoices"]}
    assert totals == {
        f"CB-PR00012-M{early['Id']}": (1500.0, [down["Id"]]),
        f"CB-PR00012-M{late['Id']}": (3000.0, []),
    }
    # The earlier milestone's invoice waits for approval: the write-down is on the next one drafted.
    by_milestone_args = {"items": CB_ADJ_ITEMS, "cycles": by_milestone}
    pending = [
        {
            "externalDocumentNumber": f"CB-PR00012-M{early['Id']}",
            "status": "Draft",
            "totalAmountExcludingTax": 0,
        }
    ]
    out = cb_plan(milestones=[late, early], adjustments=[down], existing=pending, **by_milestone_args)
    [invoice] = out["invoices"]
    assert (invoice["key"], invoice["total"]) == (f"CB-PR00012-M{late['Id']}", 2500.0)
    # The earlier milestone's invoice was rejected (unchanged since): the write-down does not reopen it
    # (its work would change and the same milestone would go back to the approver); it rides on the next.
    first = cb_plan(milestones=[early], items=CB_ADJ_ITEMS, cycles=by_milestone)["invoices"][0]
    rejected = [
        {
            "id": "inv-41",
            "externalDocumentNumber": first["key"],
            "status": "Draft",
            "customerPurchaseOrderReference": f"Rejected {first['fingerprint']}",
            "totalAmountExcludingTax": 2000,
        }
    ]
    out = cb_plan(milestones=[late, early], adjustments=[down], existing=rejected, **by_milestone_args)
    [invoice] = out["invoices"]
    assert (invoice["key"], invoice["total"]) == (f"CB-PR00012-M{late['Id']}", 2500.0)
    assert [e["exception"]["category"] for e in out["exceptions"]] == ["needs_review"]
    assert out["exceptions"][0]["key"] == first["key"] and out["replace"] == []
    # Only the rejected one accepted: the write-down waits rather than redraft it.
    out = cb_plan(
        milestones=[early], adjustments=[down], existing=rejected, items=CB_ADJ_ITEMS, cycles=by_milestone
    )
    assert out["invoices"] == [] and out["replace"] == []
    assert [w["ref"] for w in out["waiting"]] == [f"A{down['Id']}"]
    # A write-down larger than the milestone's fee still never makes a negative invoice.
    big = {**down, "pse__Amount__c": -2500}
    out = cb_plan(milestones=[early], adjustments=[big], items=CB_ADJ_ITEMS, cycles=by_milestone)
    assert out["invoices"] == [] and out["exceptions"][0]["exception"]["category"] == "needs_review"
