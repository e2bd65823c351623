"""Certinia PSA connector (Salesforce API) against the sandbox: every typed action and the trigger."""

from __future__ import annotations

import uuid

import pytest

from connectors.crm.salesforce.client import SalesforceError
from connectors.errors import InvalidInput
from connectors.psa.certinia.connector import CertiniaConnector
from connectors.psa.certinia.objects import OBJECTS
from tests.support.sandbox import make_connect


@pytest.fixture
def psa(sandbox):
    connect = make_connect(
        sandbox, CertiniaConnector(), "salesforce", {"base_url": sandbox.url + "/salesforce"}
    )
    runtime = connect()
    yield runtime
    runtime.close()


def uid() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture
def refs(psa):
    """Ids the child objects point at: an account, a resource (contact), a fresh project and a schedule."""
    account = psa.run_action("list_projects", {"max_records": 1})[0]["pse__Account__c"]
    from connectors.crm.salesforce.client import query_records

    ctx = psa.context()
    resource = next(query_records(ctx, "SELECT Id FROM Contact WHERE pse__Is_Resource__c = true LIMIT 1"))[
        "Id"
    ]
    project = psa.run_action(
        "upsert_project",
        {
            "external_id": f"P-{uid()}",
            "name": "Test project",
            "account_id": account,
            "start_date": "2026-01-05",
        },
    )["id"]
    schedule = psa.run_action(
        "create_schedule",
        {"start_date": "2026-01-05", "end_date": "2026-03-27", "monday_hours": 8, "tuesday_hours": 8},
    )["id"]
    return {"account": account, "resource": resource, "project": project, "schedule": schedule}


def test_connection(psa):
    assert psa.test_connection()[0]


def test_list_actions_page_and_filter(psa):
    rows = psa.run_action("list_timecards", {"max_records": 450})
    assert len(rows) == 450 and len({r["Id"] for r in rows}) == 450
    assert "pse__Total_Hours__c" in rows[0]
    project = rows[0]["pse__Project__c"]
    only = psa.run_action("list_timecards", {"project_id": project, "max_records": 5000})
    assert only and all(r["pse__Project__c"] == project for r in only)
    for obj in OBJECTS.values():
        if obj.key.startswith("billing_event"):  # made by billing flows, not seeded
            continue
        assert psa.run_action(f"list_{obj.plural}", {"max_records": 3}), obj.key


def test_project_crud_and_upsert_idempotent(psa, refs):
    ext = f"P-{uid()}"
    first = psa.run_action("upsert_project", {"external_id": ext, "name": "Alpha", "is_billable": True})
    second = psa.run_action("upsert_project", {"external_id": ext, "name": "Alpha v2", "planned_hours": 120})
    assert first["created"] and not second["created"] and first["id"] == second["id"]
    got = psa.run_action("get_project", {"id": first["id"]})
    assert got["Name"] == "Alpha v2" and got["pse__Planned_Hours__c"] == 120 and got["External_Id__c"] == ext
    created = psa.run_action(
        "create_project", {"name": "Beta", "account_id": refs["account"], "stage": "Planned"}
    )
    psa.run_action(
        "update_project", {"id": created["id"], "stage": "In Progress", "fields": {"pse__Is_Active__c": True}}
    )
    got = psa.run_action("get_project", {"id": created["id"]})
    assert got["pse__Stage__c"] == "In Progress" and got["pse__Is_Active__c"] is True


def test_milestone_assignment_request_timecard(psa, refs):
    milestone = psa.run_action(
        "create_milestone",
        {"name": "Kick-off", "project_id": refs["project"], "target_date": "2026-02-01", "amount": 5000},
    )
    psa.run_action("update_milestone", {"id": milestone["id"], "status": "Approved", "approved": True})
    assert psa.run_action("get_milestone", {"id": milestone["id"]})["pse__Approved__c"] is True
    up = psa.run_action(
        "upsert_milestone", {"external_id": f"M-{uid()}", "name": "Go-live", "project_id": refs["project"]}
    )
    assert up["created"]

    assignment = psa.run_action(
        "create_assignment",
        {
            "project_id": refs["project"],
            "resource_id": refs["resource"],
            "schedule_id": refs["schedule"],
            "bill_rate": 200,
        },
    )
    psa.run_action("update_assignment", {"id": assignment["id"], "planned_hours": 80})
    got = psa.run_action("get_assignment", {"id": assignment["id"]})
    assert got["pse__Planned_Hours__c"] == 80 and got["Name"].startswith("AS-")
    # An assignment's dates are its schedule's.
    assert (got["pse__Start_Date__c"], got["pse__End_Date__c"]) == ("2026-01-05", "2026-03-27")
    ext = f"A-{uid()}"
    a1 = psa.run_action(
        "upsert_assignment",
        {
            "external_id": ext,
            "project_id": refs["project"],
            "resource_id": refs["resource"],
            "schedule_id": refs["schedule"],
        },
    )
    a2 = psa.run_action("upsert_assignment", {"external_id": ext, "role": "Consultant"})
    assert a1["id"] == a2["id"] and a1["created"] and not a2["created"]

    request = psa.run_action(
        "create_resource_request",
        {"project_id": refs["project"], "resource_role": "Consultant", "sow_hours": 40},
    )
    psa.run_action(
        "update_resource_request",
        {"id": request["id"], "status": "Assigned", "assignment_id": assignment["id"]},
    )
    assert (
        psa.run_action("get_resource_request", {"id": request["id"]})["pse__Assignment__c"]
        == assignment["id"]
    )
    assert psa.run_action(
        "upsert_resource_request", {"external_id": f"R-{uid()}", "project_id": refs["project"]}
    )["created"]

    timecard = psa.run_action(
        "create_timecard",
        {
            "project_id": refs["project"],
            "resource_id": refs["resource"],
            "assignment_id": assignment["id"],
            "start_date": "2026-01-05",
            "end_date": "2026-01-11",
            "monday_hours": 8,
            "tuesday_hours": 7.5,
        },
    )
    psa.run_action("update_timecard", {"id": timecard["id"], "wednesday_hours": 4})
    assert psa.run_action("get_timecard", {"id": timecard["id"]})["pse__Total_Hours__c"] == 19.5
    ext = f"T-{uid()}"
    body = {
        "external_id": ext,
        "project_id": refs["project"],
        "resource_id": refs["resource"],
        "start_date": "2026-01-12",
    }
    t1 = psa.run_action("upsert_timecard", body)
    t2 = psa.run_action("upsert_timecard", {**body, "friday_hours": 6})
    assert t1["id"] == t2["id"]


def test_schema_validation(psa):
    with pytest.raises(InvalidInput):
        psa.run_action("create_milestone", {"name": "No project"})
    with pytest.raises(InvalidInput):  # an assignment needs its schedule
        psa.run_action(
            "create_assignment", {"project_id": "a1HDn0000000001IAA", "resource_id": "003Dn0000000001IAA"}
        )
    with pytest.raises(InvalidInput):
        psa.run_action("create_project", {"name": "x", "unknown": 1})


def test_trigger_no_gaps_no_duplicates(psa, refs):
    config = {"object": "milestone", "where": f"pse__Project__c = '{refs['project']}'"}
    first = psa.poll("record_updated", config, None)
    made = [
        psa.run_action("create_milestone", {"name": f"M{i}", "project_id": refs["project"]})["id"]
        for i in range(3)
    ]
    second = psa.poll("record_updated", config, first.cursor)
    assert sorted(i["Id"] for i in second.items) == sorted(made)
    assert psa.poll("record_updated", config, second.cursor).items == []


def test_work_is_invoiced_through_a_billing_event(psa, refs):
    """Billing follows Certinia: a billing event with an item per timecard split and milestone, released,
    then invoiced; Certinia marks the work Billed and Invoiced, which a flow cannot set itself."""
    not_invoiced = "pse__Approved__c = true AND pse__Invoiced__c != true"
    timecard = psa.run_action(
        "create_timecard",
        {
            "project_id": refs["project"],
            "resource_id": refs["resource"],
            "start_date": "2026-03-30",  # Monday 30 March to Sunday 5 April: split at the month end
            "monday_hours": 6,
            "tuesday_hours": 7,
            "thursday_hours": 5,
            "approved": True,
            "billable": True,
            "bill_rate": 150,
        },
    )
    milestone = psa.run_action(
        "create_milestone",
        {"name": "Sign-off", "project_id": refs["project"], "amount": 9000, "approved": True},
    )
    splits = psa.run_action(
        "list_timecard_splits", {"where": f"pse__Timecard_Header__c = '{timecard['id']}'"}
    )
    assert sorted((s["pse__Start_Date__c"], s["pse__Total_Hours__c"]) for s in splits) == [
        ("2026-03-30", 13.0),
        ("2026-04-01", 5.0),
    ]
    assert [
        t["Id"]
        for t in psa.run_action("list_timecards", {"project_id": refs["project"], "where": not_invoiced})
    ] == [timecard["id"]]
    with pytest.raises(SalesforceError) as refused:  # Invoiced is Certinia's to set
        psa.run_action("update_timecard", {"id": timecard["id"], "fields": {"pse__Invoiced__c": True}})
    assert refused.value.error_code == "INVALID_FIELD_FOR_INSERT_UPDATE"

    event = psa.run_action("create_billing_event", {"project_id": refs["project"], "date": "2026-04-30"})
    for split in splits:
        psa.run_action(
            "create_billing_event_item",
            {
                "billing_event_id": event["id"],
                "project_id": refs["project"],
                "category": "Timecard",
                "timecard_split_id": split["Id"],
                "object_id": split["Id"],
                "quantity": split["pse__Total_Hours__c"],
                "unit_price": 150,
                "amount": split["pse__Total_Hours__c"] * 150,
            },
        )
    psa.run_action(
        "create_billing_event_item",
        {
            "billing_event_id": event["id"],
            "project_id": refs["project"],
            "category": "Milestone",
            "milestone_id": milestone["id"],
            "amount": 9000,
        },
    )
    assert psa.run_action("get_billing_event", {"id": event["id"]})["pse__Summary_Amount__c"] == 11700
    with pytest.raises(SalesforceError) as early:  # invoiced only once released
        psa.run_action("update_billing_event", {"id": event["id"], "invoiced": True})
    assert early.value.error_code == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    psa.run_action("update_billing_event", {"id": event["id"], "released": True})
    assert psa.run_action("get_timecard", {"id": timecard["id"]})["pse__Billed__c"] is True
    assert psa.run_action("list_timecards", {"project_id": refs["project"], "where": not_invoiced})
    psa.run_action(
        "update_billing_event",
        {"id": event["id"], "invoiced": True, "invoice_number": "INV-1001", "invoice_date": "2026-04-30"},
    )
    assert psa.run_action("list_timecards", {"project_id": refs["project"], "where": not_invoiced}) == []
    assert psa.run_action("get_milestone", {"id": milestone["id"]})["pse__Invoiced__c"] is True
    items = psa.run_action("list_billing_event_items", {"billing_event_id": event["id"]})
    assert {i["pse__Invoiced__c"] for i in items} == {"Yes"} and len(items) == 3
    # Seeded approved timecards have never been invoiced.
    assert psa.run_action("list_timecards", {"where": not_invoiced, "max_records": 5})


def test_a_create_run_twice_with_one_idempotency_key_makes_one_record(psa, refs):
    """A replayed step (same run, node and item: the same key) finds the first attempt's project and
    assignment instead of creating second ones; another key is another record."""
    key = f"fb-run-{uid()}-psa-0"
    project = {"name": f"Replay {key}", "account_id": refs["account"]}
    first = psa.run_action("create_project", project, idempotency_key=key)
    again = psa.run_action("create_project", project, idempotency_key=key)
    assert first["created"] is True and again["created"] is False and again["id"] == first["id"]
    rows = psa.run_action("list_projects", {"where": f"Name = 'Replay {key}'"})
    assert [r["Id"] for r in rows] == [first["id"]] and rows[0]["External_Id__c"] == key
    other = psa.run_action("create_project", project, idempotency_key=key + "-other")
    assert other["id"] != first["id"]
    assignment = {"project_id": first["id"], "resource_id": refs["resource"], "schedule_id": refs["schedule"]}
    a1 = psa.run_action("create_assignment", assignment, idempotency_key=key)
    a2 = psa.run_action("create_assignment", assignment, idempotency_key=key)
    assert a1["id"] == a2["id"]
    assert len(psa.run_action("list_assignments", {"project_id": first["id"]})) == 1


def test_invoicing_a_timecard_twice_makes_one_billing_event(psa, refs):
    timecard = psa.run_action(
        "create_timecard",
        {
            "project_id": refs["project"],
            "resource_id": refs["resource"],
            "start_date": "2026-06-29",
            "monday_hours": 4,
            "wednesday_hours": 4,
            "approved": True,
            "billable": True,
            "bill_rate": 100,
        },
    )
    params = {"kind": "timecard", "record_id": timecard["id"], "invoice_number": "INV-9"}
    first = psa.run_action("create_invoiced_billing_event", params, idempotency_key="k1")
    assert first["items"] == 2 and first["invoiced"]  # June and July splits
    again = psa.run_action("create_invoiced_billing_event", params, idempotency_key="k1")
    assert again["already_invoiced"] is True
    events = psa.run_action("list_billing_events", {"project_id": refs["project"]})
    assert [e["Id"] for e in events if e["pse__Invoice_Number__c"] == "INV-9"] == [first["billing_event_id"]]
    assert psa.run_action("get_timecard", {"id": timecard["id"]})["pse__Invoiced__c"] is True


def test_trigger_pages_through_records_of_one_timestamp(psa, refs):
    """Records with the same modified time across a poll boundary are neither skipped nor repeated."""
    config = {"object": "billing_event", "where": f"pse__Project__c = '{refs['project']}'", "max_records": 2}
    cursor = psa.poll("record_updated", config, None).cursor
    made = [
        psa.run_action(
            "create_billing_event", {"project_id": refs["project"]}, idempotency_key=f"be-{uid()}"
        )["id"]
        for _ in range(5)
    ]
    seen: list[str] = []
    for _ in range(5):
        result = psa.poll("record_updated", config, cursor)
        assert len(result.items) <= 2
        seen += [i["Id"] for i in result.items]
        cursor = result.cursor
    assert sorted(seen) == sorted(made)


def _billable_timecard(psa, refs, start: str, **hours: float) -> str:
    body = {"project_id": refs["project"], "resource_id": refs["resource"], "start_date": start}
    body |= {"approved": True, "billable": True, "bill_rate": 150, **hours}
    return psa.run_action("create_timecard", body)["id"]


def _splits_of(psa, timecard_id: str) -> list[dict]:
    where = f"pse__Timecard_Header__c = '{timecard_id}'"
    return sorted(
        psa.run_action("list_timecard_splits", {"where": where}), key=lambda s: s["pse__Start_Date__c"]
    )


def test_a_timecard_across_a_month_end_is_billed_split_by_split(psa, refs):
    """Each split goes on the invoice of its own month: the timecard is Invoiced once both are."""
    timecard = _billable_timecard(psa, refs, "2026-03-30", monday_hours=6, tuesday_hours=7, thursday_hours=5)
    march, april = _splits_of(psa, timecard)
    assert (march["pse__Start_Date__c"], april["pse__Start_Date__c"]) == ("2026-03-30", "2026-04-01")
    first = psa.run_action(
        "invoice_billing_event",
        {"project_id": refs["project"], "key": f"CB-{uid()}-2026-03", "split_ids": [march["Id"]]},
    )
    assert first["items"] == 1 and first["already_invoiced"] is False
    split = {s["Id"]: s for s in _splits_of(psa, timecard)}
    assert split[march["Id"]]["pse__Invoiced__c"] is True
    assert not split[april["Id"]]["pse__Invoiced__c"] and not split[april["Id"]]["pse__Billed__c"]
    assert psa.run_action("get_timecard", {"id": timecard})["pse__Invoiced__c"] is False

    second = psa.run_action(
        "invoice_billing_event",
        {"project_id": refs["project"], "key": f"CB-{uid()}-2026-04", "split_ids": [april["Id"]]},
    )
    assert second["billing_event_id"] != first["billing_event_id"] and second["items"] == 1
    assert all(s["pse__Invoiced__c"] for s in _splits_of(psa, timecard))
    assert psa.run_action("get_timecard", {"id": timecard})["pse__Invoiced__c"] is True


def _an_invoice(psa, refs) -> dict:
    """An invoice's selection: the splits of two April timecards, an expense and a milestone."""
    ids = [
        _billable_timecard(psa, refs, "2026-04-06", monday_hours=8, tuesday_hours=4),
        _billable_timecard(psa, refs, "2026-04-13", wednesday_hours=2),
    ]
    splits = [s for t in ids for s in _splits_of(psa, t)]
    report = psa.run_action(
        "create_expense_report",
        {"name": "April travel", "project_id": refs["project"], "resource_id": refs["resource"]},
    )["id"]
    expense = psa.run_action(
        "create_expense",
        {
            "expense_report_id": report,
            "project_id": refs["project"],
            "amount": 320.5,
            "type": "Airfare",
            "date": "2026-04-07",
        },
    )["id"]
    milestone = psa.run_action(
        "create_milestone",
        {"name": "Phase 1", "project_id": refs["project"], "amount": 5000, "approved": True},
    )["id"]
    return {
        "project_id": refs["project"],
        "key": f"CB-BILL-{uid()}-2026-04",
        "split_ids": [s["Id"] for s in splits],
        "expense_ids": [expense],
        "milestone_ids": [milestone],
        "invoice_number": f"INV-{uid()}",
        "invoice_date": "2026-04-30",
    }


def test_one_billing_event_per_invoice_with_an_item_per_record(psa, refs):
    params = _an_invoice(psa, refs)
    assert len(params["split_ids"]) == 2
    result = psa.run_action("invoice_billing_event", params, idempotency_key="inv-1")
    assert result == {
        "billing_event_id": result["billing_event_id"],
        "items": 4,
        "invoiced": True,
        "already_invoiced": False,
    }
    event = psa.run_action("get_billing_event", {"id": result["billing_event_id"]})
    assert event["External_Id__c"] == f"BE-{params['key']}" and event["pse__Project__c"] == refs["project"]
    assert (event["pse__Invoice_Number__c"], event["pse__Invoice_Date__c"]) == (
        params["invoice_number"],
        "2026-04-30",
    )
    assert event["pse__Date__c"] == "2026-04-30"  # no event date given: the invoice date
    assert event["pse__Is_Released__c"] is True and event["pse__Invoiced__c"] is True
    assert event["pse__Summary_Amount__c"] == 12 * 150 + 2 * 150 + 320.5 + 5000
    items = psa.run_action("list_billing_event_items", {"billing_event_id": event["Id"]})
    by_key = {i["External_Id__c"]: i for i in items}
    assert set(by_key) == {
        f"BEI-{i}" for i in params["split_ids"] + params["expense_ids"] + params["milestone_ids"]
    }
    first_split = by_key[f"BEI-{params['split_ids'][0]}"]
    assert (first_split["pse__Category__c"], first_split["pse__Quantity__c"]) == ("Timecard", 12)
    assert (first_split["pse__Unit_Price__c"], first_split["pse__Amount__c"]) == (150, 1800)
    assert first_split["pse__Timecard_Split__c"] == params["split_ids"][0]
    assert first_split["pse__Date__c"] == "2026-04-06"
    expense = by_key[f"BEI-{params['expense_ids'][0]}"]
    assert (expense["pse__Category__c"], expense["pse__Amount__c"]) == ("Expense", 320.5)
    milestone = by_key[f"BEI-{params['milestone_ids'][0]}"]
    assert (milestone["pse__Category__c"], milestone["pse__Amount__c"]) == ("Milestone", 5000)
    assert {i["pse__Invoiced__c"] for i in items} == {"Yes"}
    assert psa.run_action("get_expense", {"id": params["expense_ids"][0]})["pse__Invoiced__c"] is True
    assert psa.run_action("get_milestone", {"id": params["milestone_ids"][0]})["pse__Invoiced__c"] is True


def test_an_invoice_billed_twice_with_one_key_makes_one_event(psa, refs):
    params = _an_invoice(psa, refs)

    def counts() -> tuple[int, int]:
        events = psa.run_action("list_billing_events", {"project_id": refs["project"], "max_records": 5000})
        items = psa.run_action(
            "list_billing_event_items",
            {"where": f"pse__Project__c = '{refs['project']}'", "max_records": 5000},
        )
        return len(events), len(items)

    before = counts()
    first = psa.run_action("invoice_billing_event", params, idempotency_key="inv-2")
    made = counts()
    assert made == (before[0] + 1, before[1] + 4)
    again = psa.run_action("invoice_billing_event", params, idempotency_key="inv-2")
    assert again == {**first, "already_invoiced": True}
    assert counts() == made


def test_a_replay_after_a_crash_before_release_finishes_the_invoice(psa, refs):
    """The first attempt put an item on the event and stopped: the replay adds the rest, releases and
    invoices the same event."""
    params = _an_invoice(psa, refs)
    event = psa.run_action(
        "upsert_billing_event", {"external_id": f"BE-{params['key']}", "project_id": refs["project"]}
    )["id"]
    psa.run_action(
        "upsert_billing_event_item",
        {
            "external_id": f"BEI-{params['milestone_ids'][0]}",
            "billing_event_id": event,
            "project_id": refs["project"],
            "category": "Milestone",
            "milestone_id": params["milestone_ids"][0],
            "amount": 5000,
        },
    )
    result = psa.run_action("invoice_billing_event", params)
    assert result["billing_event_id"] == event and result["items"] == 4
    items = psa.run_action("list_billing_event_items", {"billing_event_id": event})
    assert len(items) == 4 and {i["pse__Invoiced__c"] for i in items} == {"Yes"}


def test_write_ups_and_downs_are_billed_as_miscellaneous_adjustment_items(psa, refs):
    """A write-down and a write-up on the invoice's event: items of category Miscellaneous Adjustment at
    their amounts; Certinia marks each Billed and its Billing Event Invoiced formula says Yes."""
    params = _an_invoice(psa, refs)

    def adjustment(amount: float, what: str) -> str:
        return psa.run_action(
            "create_misc_adjustment",
            {
                "project_id": refs["project"],
                "amount": amount,
                "transaction_category": "Ready-to-Bill Revenue",
                "effective_date": "2026-04-20",
                "description": what,
                "approved_for_billing": True,
            },
        )["id"]

    down, up = adjustment(-400, "Goodwill credit"), adjustment(150, "Rush fee")
    fresh = psa.run_action("get_misc_adjustment", {"id": down})
    assert not fresh["pse__Billed__c"] and fresh["pse__Billing_Event_Invoiced__c"] == "N/A"
    result = psa.run_action("invoice_billing_event", {**params, "adjustment_ids": [down, up]})
    assert result["items"] == 6
    event = psa.run_action("get_billing_event", {"id": result["billing_event_id"]})
    assert event["pse__Summary_Amount__c"] == 12 * 150 + 2 * 150 + 320.5 + 5000 - 400 + 150
    items = psa.run_action("list_billing_event_items", {"billing_event_id": event["Id"]})
    item = next(i for i in items if i["External_Id__c"] == f"BEI-{down}")
    assert (item["pse__Category__c"], item["pse__Amount__c"], item["pse__Quantity__c"]) == (
        "Miscellaneous Adjustment",
        -400,
        1,
    )
    assert (item["pse__Miscellaneous_Adjustment__c"], item["pse__Date__c"]) == (down, "2026-04-20")
    assert item["pse__Description__c"] == "Goodwill credit"
    for rid in (down, up):
        billed = psa.run_action("get_misc_adjustment", {"id": rid})
        assert billed["pse__Billed__c"] is True and billed["pse__Billing_Event_Invoiced__c"] == "Yes"
        assert billed["pse__Billing_Event_Released__c"] == "Yes" and billed["pse__Billing_Event_Item__c"]
    # Invoiced already: billing it again under another key makes no second item.
    again = psa.run_action(
        "invoice_billing_event",
        {"project_id": refs["project"], "key": f"CB-{uid()}", "adjustment_ids": [down]},
    )
    assert again == {"billing_event_id": None, "items": 0, "invoiced": True, "already_invoiced": True}
    # A flow cannot mark an adjustment billed: that is the billing event's doing.
    with pytest.raises(SalesforceError):
        psa.run_action("update_misc_adjustment", {"id": up, "fields": {"pse__Billed__c": False}})


@pytest.mark.parametrize("field", ["split_ids", "expense_ids", "milestone_ids", "adjustment_ids"])
def test_an_invoice_refuses_a_bad_id_naming_its_field(psa, refs, field):
    with pytest.raises(InvalidInput) as bad:
        psa.run_action(
            "invoice_billing_event",
            {
                "project_id": refs["project"],
                "key": "CB-BAD",
                field: ["a23Dn0000000001IAA", "a23-not-an-id!!"],
            },
        )
    assert field in str(bad.value)


def test_an_invoice_with_nothing_selected_is_refused(psa, refs):
    with pytest.raises(InvalidInput):
        psa.run_action(
            "invoice_billing_event", {"project_id": refs["project"], "key": "CB-EMPTY", "split_ids": []}
        )
