"""Business Central connector against the sandbox over real HTTP."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
import uuid

import pytest

from connectors.erp.dynamics import client
from connectors.erp.dynamics.client import BusinessCentralError
from connectors.erp.dynamics.connector import DynamicsConnector
from connectors.errors import ConflictError, InvalidInput, NotFound, RateLimited
from tests.support.fake_clock import FakeSleep
from tests.support.sandbox import make_connect


@pytest.fixture(scope="module")
def company_id(sandbox):
    req = urllib.request.Request(sandbox.url + "/dynamics/api/v2.0/companies")
    req.add_header("Authorization", f"Bearer {sandbox.token('dynamics')}")
    with urllib.request.urlopen(req) as resp:  # noqa: S310
        return json.loads(resp.read())["value"][0]["id"]


@pytest.fixture
def connect(sandbox, company_id):
    config = {"base_url": sandbox.url + "/dynamics", "company_id": company_id}
    connect = make_connect(sandbox, DynamicsConnector(), "dynamics", config)
    yield connect
    for runtime in connect.opened:
        runtime.close()


@pytest.fixture
def bc(connect):
    return connect()


def uid() -> str:
    return uuid.uuid4().hex[:8].upper()


def test_connection(bc):
    ok, message = bc.test_connection()
    assert ok, message


def test_list_follows_next_link_past_two_pages(bc):
    rows = bc.run_action(
        "list_records", {"entity_set": "salesInvoiceLines", "max_records": 250, "page_size": 100}
    )
    assert len(rows) == 250 and len({r["id"] for r in rows}) == 250
    everything = bc.run_action("list_records", {"entity_set": "customers"})
    assert len(everything) > 100  # the server pages at 100 by default
    assert all("@odata.etag" in r for r in everything)


def test_list_odata_options(bc):
    top = bc.run_action(
        "list_records", {"entity_set": "customers", "top": 5, "skip": 2, "select": "id,number,displayName"}
    )
    assert len(top) == 5 and set(top[0]) <= {"id", "number", "displayName", "@odata.etag"}
    number = top[0]["number"]
    found = bc.run_action("list_records", {"entity_set": "customers", "filter": f"number eq '{number}'"})
    assert [c["number"] for c in found] == [number]
    expanded = bc.run_action(
        "list_records", {"entity_set": "salesInvoices", "expand": "salesInvoiceLines", "top": 2}
    )
    assert "salesInvoiceLines" in expanded[0]
    for es in ("projects", "customerPaymentJournals"):
        assert bc.run_action("list_records", {"entity_set": es, "max_records": 3})


def test_create_get_update_with_etag_delete(bc):
    created = bc.run_action(
        "create_record",
        {"entity_set": "customers", "fields": {"displayName": "Contoso Legal", "email": "ap@contoso.test"}},
    )
    assert created["id"] and created["@odata.etag"] and created["number"]
    got = bc.run_action("get_record", {"entity_set": "customers", "id": created["id"]})
    assert got["displayName"] == "Contoso Legal"
    updated = bc.run_action(
        "update_record",
        {
            "entity_set": "customers",
            "id": created["id"],
            "etag": got["@odata.etag"],
            "fields": {"city": "Seattle"},
        },
    )
    assert updated["city"] == "Seattle" and updated["@odata.etag"] != got["@odata.etag"]
    # A stale ETag: someone changed the record since it was read.
    with pytest.raises(ConflictError) as info:
        bc.run_action(
            "update_record",
            {
                "entity_set": "customers",
                "id": created["id"],
                "etag": got["@odata.etag"],
                "fields": {"city": "Paris"},
            },
        )
    assert info.value.status == 412 and "changed since it was read" in info.value.hint
    # No ETag given: the current one is read first.
    latest = bc.run_action(
        "update_record", {"entity_set": "customers", "id": created["id"], "fields": {"city": "Paris"}}
    )
    assert latest["city"] == "Paris"
    assert bc.run_action("delete_record", {"entity_set": "customers", "id": created["id"]})["deleted"]
    with pytest.raises(NotFound):
        bc.run_action("get_record", {"entity_set": "customers", "id": created["id"]})
    assert (
        bc.run_action(
            "delete_record", {"entity_set": "customers", "id": created["id"], "ignore_missing": True}
        )["deleted"]
        is False
    )


def test_invoice_with_lines_and_payment(bc):
    customer = bc.run_action(
        "find_or_create_customer", {"number": f"T{uid()}", "fields": {"displayName": "Invoice Co"}}
    )
    invoice = bc.run_action(
        "create_record",
        {
            "entity_set": "salesInvoices",
            "fields": {"customerId": customer["id"], "invoiceDate": "2026-01-31"},
        },
    )
    line = bc.run_action(
        "create_record",
        {
            "entity_set": "salesInvoiceLines",
            "fields": {
                "documentId": invoice["id"],
                "lineType": "Item",
                "description": "Consulting",
                "quantity": 10,
                "unitPrice": 150,
            },
        },
    )
    assert line["documentId"] == invoice["id"]
    got = bc.run_action(
        "get_record", {"entity_set": "salesInvoices", "id": invoice["id"], "expand": "salesInvoiceLines"}
    )
    assert got["totalAmountExcludingTax"] == 1500 and len(got["salesInvoiceLines"]) == 1
    assert got["status"] == "Draft" and got["number"].startswith("S-INV-D")
    bc.run_action("post_document", {"entity_set": "salesInvoices", "id": invoice["id"]})
    posted = bc.run_action("get_record", {"entity_set": "salesInvoices", "id": invoice["id"]})
    assert posted["status"] == "Open" and posted["remainingAmount"] == 1500
    with pytest.raises(BusinessCentralError, match="posted and can no longer be modified"):
        bc.run_action(
            "update_record",
            {"entity_set": "salesInvoices", "id": invoice["id"], "fields": {"dueDate": "2026-03-01"}},
        )
    journal = bc.run_action(
        "create_record", {"entity_set": "customerPaymentJournals", "fields": {"code": f"J{uid()[:6]}"}}
    )
    payment = bc.run_action(
        "create_record",
        {
            "entity_set": "customerPayments",
            "fields": {
                "journalId": journal["id"],
                "customerId": customer["id"],
                "amount": 1500,
                "appliesToInvoiceId": invoice["id"],
            },
        },
    )
    assert payment["appliesToInvoiceNumber"] == posted["number"] and payment["journalId"] == journal["id"]
    unposted = bc.run_action("get_record", {"entity_set": "salesInvoices", "id": invoice["id"]})
    assert unposted["status"] == "Open" and unposted["remainingAmount"] == 1500  # not paid until posted
    bc.run_action("post_document", {"entity_set": "customerPaymentJournals", "id": journal["id"]})
    paid = bc.run_action("get_record", {"entity_set": "salesInvoices", "id": invoice["id"]})
    assert paid["status"] == "Paid" and paid["remainingAmount"] == 0
    left = bc.run_action(
        "list_records", {"entity_set": "customerPayments", "filter": f"journalId eq {journal['id']}"}
    )
    assert left == []  # posted lines leave the journal


def test_replayed_creates_make_one_record(bc):
    """The same step replayed (a worker killed after the call, a redelivered task) finds its record."""
    runtime_key = f"run-{uid()}-node-customer-0"
    customer = bc.run_action(
        "create_record",
        {"entity_set": "customers", "fields": {"displayName": "Replay Co"}},
        idempotency_key=runtime_key,
    )
    again = bc.run_action(
        "create_record",
        {"entity_set": "customers", "fields": {"displayName": "Replay Co"}},
        idempotency_key=runtime_key,
    )
    assert customer["created"] is True and again["created"] is False and again["id"] == customer["id"]
    assert customer["number"].startswith("FB") and len(customer["number"]) == 20
    fields = {"customerId": customer["id"], "externalDocumentNumber": f"SO-{uid()}"}
    first = bc.run_action("create_record", {"entity_set": "salesInvoices", "fields": fields})
    second = bc.run_action("create_record", {"entity_set": "salesInvoices", "fields": fields})
    assert first["id"] == second["id"] and second["created"] is False
    found = bc.run_action(
        "list_records",
        {
            "entity_set": "salesInvoices",
            "filter": f"externalDocumentNumber eq '{fields['externalDocumentNumber']}'",
        },
    )
    assert len(found) == 1


def test_custom_api_page(bc):
    route = {"api_route": "northwind/billing/v1.0", "custom_entity_set": "billingSchedules"}
    created = bc.run_action(
        "create_record",
        {"entity_set": "customers", **route, "fields": {"projectNumber": "PR10001", "amount": 1200.0}},
    )
    assert created["projectNumber"] == "PR10001" and created["invoiced"] is False
    rows = bc.run_action(
        "list_records", {"entity_set": "customers", **route, "filter": f"id eq {created['id']}"}
    )
    assert [r["id"] for r in rows] == [created["id"]]
    updated = bc.run_action(
        "update_record",
        {"entity_set": "customers", **route, "id": created["id"], "fields": {"amount": 900.0}},
    )
    assert updated["amount"] == 900.0
    with pytest.raises(NotFound):  # a custom page's entity set is not on the standard route
        bc.run_action(
            "list_records",
            {
                "entity_set": "customers",
                "api_route": "northwind/other/v1.0",
                "custom_entity_set": "billingSchedules",
            },
        )


def test_find_or_create_customer_is_idempotent(bc):
    number = f"K{uid()}"
    first = bc.run_action("find_or_create_customer", {"number": number, "fields": {"displayName": "Once"}})
    second = bc.run_action(
        "find_or_create_customer", {"number": number, "fields": {"displayName": "Once more"}}
    )
    assert first["created"] is True and second["created"] is False and first["id"] == second["id"]
    assert second["displayName"] == "Once more"
    assert (
        len(bc.run_action("list_records", {"entity_set": "customers", "filter": f"number eq '{number}'"}))
        == 1
    )


def test_errors(bc):
    with pytest.raises(Exception) as info:
        bc.run_action("create_record", {"entity_set": "customers", "fields": {"displayName": "x", "nope": 1}})
    assert (
        info.value.status == 400
        and "nope" in info.value.message
        and "CorrelationId" not in info.value.message
    )
    with pytest.raises(InvalidInput):
        bc.run_action("get_record", {"entity_set": "customers", "id": "not-a-guid"})


def test_company_by_name_instead_of_id(sandbox):
    """A connection may name its company; the id is looked up (case-insensitively) once and cached."""
    client.forget_companies()
    base = {"base_url": sandbox.url + "/dynamics"}
    by_name = make_connect(
        sandbox, DynamicsConnector(), "dynamics", {**base, "company_name": "northwind advisory ltd"}
    )
    missing = make_connect(
        sandbox, DynamicsConnector(), "dynamics", {**base, "company_name": "No Such Company"}
    )
    neither = make_connect(sandbox, DynamicsConnector(), "dynamics", base)
    lookups = lambda: sandbox.requests_by_object(("GET",)).get("dynamics GET companies", 0)  # noqa: E731
    try:
        before = lookups()
        bc = by_name()
        assert bc.test_connection() == (True, "Connected to company Northwind Advisory Ltd.")
        [row] = bc.run_action("list_records", {"entity_set": "customers", "top": 1})
        assert bc.run_action("get_record", {"entity_set": "customers", "id": row["id"]})["id"] == row["id"]
        assert bc.context().config.get("company_id") is None  # nothing cached in the config
        assert lookups() - before == 2  # one name lookup for three calls, plus the probe reading the company
        with pytest.raises(NotFound) as info:
            missing().run_action("list_records", {"entity_set": "customers", "top": 1})
        assert "No Such Company" in info.value.message and info.value.hint
        assert missing().test_connection()[0] is False
        with pytest.raises(InvalidInput):
            neither().run_action("list_records", {"entity_set": "customers", "top": 1})
    finally:
        for connect in (by_name, missing, neither):
            for runtime in connect.opened:
                runtime.close()


def test_429_500_and_token_refresh(connect, sandbox):
    sleep = FakeSleep()
    bc = connect(sleep=sleep)
    bc.run_action("list_records", {"entity_set": "projects", "max_records": 1})
    sandbox.fault("dynamics", kind="status", status=429, count=1, path_prefix="/api/v2.0")
    assert bc.run_action("list_records", {"entity_set": "projects", "max_records": 1})
    assert sleep.calls == [1.0]
    sandbox.fault("dynamics", kind="status", status=500, count=1, path_prefix="/api/v2.0")
    assert bc.run_action("list_records", {"entity_set": "projects", "max_records": 1})
    sandbox.expire_tokens("dynamics")
    assert bc.run_action("list_records", {"entity_set": "projects", "max_records": 1})
    assert bc.http.auth.fetch_count == 2
    strict = connect(retries=0)
    sandbox.fault("dynamics", kind="status", status=429, count=1, path_prefix="/api/v2.0")
    with pytest.raises(RateLimited):
        strict.run_action("list_records", {"entity_set": "projects", "max_records": 1})


def test_polling_no_gaps_no_duplicates(bc):
    config = {"entity_set": "customers"}
    first = bc.poll("record_updated", config, None)
    made = [
        bc.run_action("create_record", {"entity_set": "customers", "fields": {"displayName": f"P{i}"}})["id"]
        for i in range(3)
    ]
    second = bc.poll("record_updated", config, first.cursor)
    assert sorted(i["id"] for i in second.items) == sorted(made)
    assert bc.poll("record_updated", config, second.cursor).items == []
    time.sleep(0.01)
    bc.run_action("update_record", {"entity_set": "customers", "id": made[0], "fields": {"city": "Oslo"}})
    more = bc.run_action("create_record", {"entity_set": "customers", "fields": {"displayName": "P9"}})["id"]
    third = bc.poll("record_updated", config, second.cursor)
    assert sorted(i["id"] for i in third.items) == sorted([made[0], more])
    assert bc.poll("record_updated", config, third.cursor).items == []
    with pytest.raises(InvalidInput):
        bc.poll("record_updated", {"entity_set": "projects"}, None)


def test_polling_equal_timestamps_across_polls(bc, sandbox):
    """Records sharing one lastModifiedDateTime split over two bounded polls: each is emitted once."""
    config = {"entity_set": "customerPayments", "max_records": 2}
    cursor = bc.poll("record_updated", config, None).cursor
    customer = bc.run_action(
        "find_or_create_customer", {"number": f"Q{uid()}", "fields": {"displayName": "Pay"}}
    )
    made = [
        bc.run_action(
            "create_record",
            {"entity_set": "customerPayments", "fields": {"customerId": customer["id"], "amount": 1}},
        )["id"]
        for _ in range(5)
    ]
    seen: list[str] = []
    for _ in range(4):
        result = bc.poll("record_updated", config, cursor)
        seen += [i["id"] for i in result.items]
        cursor = result.cursor
    assert sorted(seen) == sorted(made)


def test_find_references_reads_items_tax_groups_currencies_and_companies(bc):
    assert bc.find_references("item", ["CONS-HR", "CONSULTING", "O'Brien"]) == {"CONS-HR": "Consulting hour"}
    assert bc.find_references("tax_group", ["VAT20", "NOPE"]) == {"VAT20": "Standard VAT 20%"}
    assert bc.find_references("currency", ["EUR", "XYZ"]) == {"EUR": "Euro"}
    assert list(bc.find_references("company", ["CRONUS USA, Inc.", "Nobody Ltd"])) == ["CRONUS USA, Inc."]


def _customer(bc, name: str) -> dict:
    return bc.run_action("find_or_create_customer", {"number": f"T{uid()}", "fields": {"displayName": name}})


def _lines(bc, invoice_id: str) -> list[tuple]:
    got = bc.run_action(
        "get_record", {"entity_set": "salesInvoices", "id": invoice_id, "expand": "salesInvoiceLines"}
    )
    return sorted(
        (r["sequence"], r["description"], r["amountExcludingTax"]) for r in got["salesInvoiceLines"]
    )


def test_an_invoice_with_its_lines_is_one_deep_insert_and_a_replay_adds_only_missing_lines(bc):
    customer = _customer(bc, "Deep Insert Co")
    ref = f"DI-{uid()}"
    lines = [
        {"lineType": "Item", "description": "Consulting", "quantity": 10, "unitPrice": 150},
        {"lineType": "Item", "description": "Travel", "quantity": 1, "unitPrice": 80},
    ]
    params = {
        "entity_set": "salesInvoices",
        "fields": {"customerId": customer["id"], "externalDocumentNumber": ref, "salesInvoiceLines": lines},
    }
    first = bc.run_action("create_record", params)
    assert first["created"] is True and first["totalAmountExcludingTax"] == 1580
    assert sorted(r["sequence"] for r in first["salesInvoiceLines"]) == [10000, 20000]
    again = bc.run_action("create_record", params)
    assert (again["id"], again["created"], again["lines_added"]) == (first["id"], False, 0)
    assert _lines(bc, first["id"]) == [(10000, "Consulting", 1500), (20000, "Travel", 80)]

    # A draft that got only its first line (created line by line, the worker died): the replay of the
    # deep insert adds the second and nothing else.
    partial_ref = f"DI-{uid()}"
    draft = bc.run_action(
        "create_record",
        {
            "entity_set": "salesInvoices",
            "fields": {"customerId": customer["id"], "externalDocumentNumber": partial_ref},
        },
    )
    bc.run_action(
        "create_record",
        {
            "entity_set": "salesInvoiceLines",
            "fields": {"documentId": draft["id"], "sequence": 10000, **lines[0]},
        },
    )
    completed = bc.run_action(
        "create_record", {**params, "fields": {**params["fields"], "externalDocumentNumber": partial_ref}}
    )
    assert (completed["id"], completed["lines_added"]) == (draft["id"], 1)
    assert _lines(bc, draft["id"]) == [(10000, "Consulting", 1500), (20000, "Travel", 80)]

    # Posted, the invoice is answered as it is: no line is added to a posted document.
    bc.run_action("post_document", {"entity_set": "salesInvoices", "id": first["id"]})
    more = {
        **params,
        "fields": {**params["fields"], "salesInvoiceLines": [*lines, {**lines[1], "unitPrice": 5}]},
    }
    posted = bc.run_action("create_record", more)
    assert (posted["created"], posted["lines_added"], posted["status"]) == (False, 0, "Open")
    assert len(_lines(bc, first["id"])) == 2


def test_a_deep_insert_with_a_refused_line_creates_nothing(bc):
    customer = _customer(bc, "All Or Nothing Co")
    ref = f"DI-{uid()}"
    bad = [
        {"lineType": "Item", "description": "Fine", "quantity": 1, "unitPrice": 10},
        {"lineType": "Item", "description": "Bad", "quantity": "many"},
    ]
    with pytest.raises(BusinessCentralError):
        bc.run_action(
            "create_record",
            {
                "entity_set": "salesInvoices",
                "fields": {
                    "customerId": customer["id"],
                    "externalDocumentNumber": ref,
                    "salesInvoiceLines": bad,
                },
            },
        )
    found = bc.run_action(
        "list_records", {"entity_set": "salesInvoices", "filter": f"externalDocumentNumber eq '{ref}'"}
    )
    assert found == []
    with pytest.raises(InvalidInput, match="same sequence"):
        bc.run_action(
            "create_record",
            {
                "entity_set": "salesInvoices",
                "fields": {
                    "customerId": customer["id"],
                    "salesInvoiceLines": [{"sequence": 10000}, {"sequence": 10000}],
                },
            },
        )


def test_a_line_created_again_by_the_same_step_is_one_line(bc):
    customer = _customer(bc, "Line Replay Co")
    draft = bc.run_action(
        "create_record", {"entity_set": "salesInvoices", "fields": {"customerId": customer["id"]}}
    )
    fields = {
        "documentId": draft["id"],
        "lineType": "Item",
        "description": "Week 9",
        "quantity": 8,
        "unitPrice": 200,
    }
    key = f"fb-{uid()}-inv_lines-0"
    first = bc.run_action(
        "create_record", {"entity_set": "salesInvoiceLines", "fields": fields}, idempotency_key=key
    )
    again = bc.run_action(
        "create_record", {"entity_set": "salesInvoiceLines", "fields": fields}, idempotency_key=key
    )
    assert (first["created"], again["created"], again["id"]) == (True, False, first["id"])
    other = bc.run_action(
        "create_record", {"entity_set": "salesInvoiceLines", "fields": fields}, idempotency_key=key + "1"
    )
    assert other["created"] is True and other["id"] != first["id"]  # another item is another line
    assert [r[2] for r in _lines(bc, draft["id"])] == [1600, 1600]
    # A line numbered by the flow is keyed by its number: the same number again is the same line.
    numbered = {"entity_set": "salesInvoiceLines", "fields": {**fields, "sequence": 10000}}
    one, two = bc.run_action("create_record", numbered), bc.run_action("create_record", numbered)
    assert (one["created"], two["created"], two["id"]) == (True, False, one["id"])
    assert len(_lines(bc, draft["id"])) == 3


def test_a_payment_replayed_after_its_journal_was_posted_is_one_payment(bc):
    customer = _customer(bc, "Payment Replay Co")
    invoice = bc.run_action(
        "create_record",
        {
            "entity_set": "salesInvoices",
            "fields": {
                "customerId": customer["id"],
                "externalDocumentNumber": f"SO-{uid()}",
                "salesInvoiceLines": [
                    {"lineType": "Item", "description": "Fee", "quantity": 1, "unitPrice": 1000}
                ],
            },
        },
    )
    post = {"entity_set": "salesInvoices", "id": invoice["id"]}
    assert bc.run_action("post_document", post).get("already_posted") is None
    assert bc.run_action("post_document", post)["already_posted"] is True  # a replayed post step succeeds
    journal = bc.run_action(
        "create_record", {"entity_set": "customerPaymentJournals", "fields": {"code": f"J{uid()[:6]}"}}
    )
    payment = {
        "entity_set": "customerPayments",
        "fields": {
            "journalId": journal["id"],
            "customerId": customer["id"],
            "amount": 400,
            "appliesToInvoiceId": invoice["id"],
            "externalDocumentNumber": f"PAY-{uid()}",
        },
    }
    created = bc.run_action("create_record", payment)
    assert created["created"] is True and created["documentNumber"].startswith("FB")
    assert bc.run_action("create_record", payment)["id"] == created["id"]  # still in the journal
    post_journal = {"entity_set": "customerPaymentJournals", "id": journal["id"]}
    bc.run_action("post_document", post_journal)
    # The replay after posting: the journal line is gone, the posted payment is found by its number.
    replayed = bc.run_action("create_record", payment)
    assert (replayed["created"], replayed["posted"], replayed["documentNumber"]) == (
        False,
        True,
        created["documentNumber"],
    )
    assert bc.run_action("post_document", post_journal)["already_posted"] is True
    entries = bc.run_action(
        "list_records",
        {"entity_set": "generalLedgerEntries", "filter": f"documentNumber eq '{created['documentNumber']}'"},
    )
    assert sorted((e["debitAmount"], e["creditAmount"]) for e in entries) == [(0, 400), (400, 0)]
    paid = bc.run_action("get_record", {"entity_set": "salesInvoices", "id": invoice["id"]})
    assert (paid["status"], paid["remainingAmount"]) == ("Open", 600)  # paid once, not twice
    with pytest.raises(BusinessCentralError) as refused:
        bc.run_action(
            "create_record", {"entity_set": "generalLedgerEntries", "fields": {"description": "forged"}}
        )
    assert refused.value.status == 405


def test_a_credit_memo_replayed_after_it_was_posted_is_one_credit_memo(bc):
    customer = _customer(bc, "Credit Memo Co")
    invoice = bc.run_action(
        "create_record",
        {
            "entity_set": "salesInvoices",
            "fields": {
                "customerId": customer["id"],
                "externalDocumentNumber": f"I-{uid()}",
                "salesInvoiceLines": [{"lineType": "Item", "quantity": 1, "unitPrice": 100}],
            },
        },
    )
    bc.run_action("post_document", {"entity_set": "salesInvoices", "id": invoice["id"]})
    lines = [
        {"sequence": 10000, "lineType": "Comment", "description": "Reason: rate"},
        {"sequence": 20000, "lineType": "Item", "quantity": 1, "unitPrice": 10},
    ]
    params = {
        "entity_set": "salesCreditMemos",
        "fields": {
            "customerId": customer["id"],
            "invoiceId": invoice["id"],
            "externalDocumentNumber": f"CM-{uid()}-CASE-9",
            "salesCreditMemoLines": lines,
        },
    }
    first = bc.run_action("create_record", params)
    bc.run_action("post_document", {"entity_set": "salesCreditMemos", "id": first["id"]})
    again = bc.run_action("create_record", params)
    assert (again["id"], again["created"], again["status"]) == (first["id"], False, "Open")
