"""NetSuite connector against the sandbox over real HTTP."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from connectors.base import open_connection
from connectors.canonical.registry import to_canonical
from connectors.erp.netsuite.client import NetSuiteError, id_from_location
from connectors.erp.netsuite.connector import NetSuiteConnector, external_id_for
from connectors.errors import InvalidInput, NotFound, RateLimited
from connectors.http.ratelimit import LocalRateLimiter
from tests.support.fake_clock import FakeSleep
from tests.support.sandbox import POLICY, make_connect


@pytest.fixture
def connect(sandbox):
    connect = make_connect(
        sandbox,
        NetSuiteConnector(),
        "netsuite",
        {"base_url": sandbox.url + "/netsuite", "subsidiary_id": "1"},
    )
    yield connect
    for runtime in connect.opened:
        runtime.close()


@pytest.fixture
def ns(connect):
    return connect()


def uid() -> str:
    return uuid.uuid4().hex[:10]


def test_base_url_from_account_id():
    assert (
        NetSuiteConnector().base_url({"account_id": "1234567_SB1"})
        == "https://1234567-sb1.suitetalk.api.netsuite.com"
    )
    assert id_from_location("https://x/services/rest/record/v1/customer/1234") == "1234"


def test_connection(ns):
    assert ns.test_connection()[0]


def test_customer_create_get_update_delete(ns):
    created = ns.run_action(
        "create_record", {"record_type": "customer", "fields": {"companyName": f"Acme {uid()}"}}
    )
    assert created["id"].isdigit() and created["companyName"].startswith("Acme")
    assert created["subsidiary"]["id"] == "1" and "links" not in created
    updated = ns.run_action(
        "update_record", {"record_type": "customer", "id": created["id"], "fields": {"email": "ap@acme.test"}}
    )
    assert updated["email"] == "ap@acme.test"
    got = ns.run_action("get_record", {"record_type": "customer", "id": created["id"], "fields": ["email"]})
    assert got["email"] == "ap@acme.test"
    assert ns.run_action("delete_record", {"record_type": "customer", "id": created["id"]})["deleted"]
    with pytest.raises(NotFound) as info:
        ns.run_action("get_record", {"record_type": "customer", "id": created["id"]})
    assert "NONEXISTENT_ID" in info.value.message
    assert (
        ns.run_action(
            "delete_record", {"record_type": "customer", "id": created["id"], "ignore_missing": True}
        )["deleted"]
        is False
    )


def test_upsert_by_external_id_is_idempotent(ns):
    ext = f"SF-{uid()}"
    first = ns.run_action(
        "upsert_record", {"record_type": "customer", "external_id": ext, "fields": {"companyName": "One"}}
    )
    second = ns.run_action(
        "upsert_record", {"record_type": "customer", "external_id": ext, "fields": {"companyName": "Two"}}
    )
    assert first["id"] == second["id"] and second["companyName"] == "Two" and second["externalId"] == ext
    rows = ns.run_action("suiteql", {"query": f"SELECT id FROM customer WHERE externalid = '{ext}'"})
    assert rows == [{"id": int(first["id"])}] or rows == [{"id": first["id"]}]
    by_ext = ns.run_action("get_record", {"record_type": "customer", "external_id": ext})
    assert by_ext["id"] == first["id"]
    patched = ns.run_action(
        "update_record", {"record_type": "customer", "external_id": ext, "fields": {"phone": "555"}}
    )
    assert patched["id"] == first["id"] and patched["phone"] == "555"


def test_job_invoice_payment(ns):
    customer = ns.run_action(
        "upsert_record",
        {"record_type": "customer", "external_id": f"C-{uid()}", "fields": {"companyName": "Inv Co"}},
    )
    job = ns.run_action(
        "upsert_record",
        {
            "record_type": "job",
            "external_id": f"J-{uid()}",
            "fields": {"companyName": "Project X", "parent": {"id": customer["id"]}},
        },
    )
    assert job["parent"]["id"] == customer["id"]
    inv_ext = f"I-{uid()}"
    invoice = ns.run_action(
        "upsert_record",
        {
            "record_type": "invoice",
            "external_id": inv_ext,
            "fields": {
                "entity": {"id": customer["id"]},
                "job": {"id": job["id"]},
                "item": {"items": [{"item": {"id": "10"}, "quantity": 10, "rate": 150.0}]},
            },
        },
    )
    assert invoice["total"] == 1500.0 and invoice["item"]["items"][0]["amount"] == 1500.0
    payment = ns.run_action(
        "create_record",
        {
            "record_type": "customerpayment",
            "fields": {
                "customer": {"id": customer["id"]},
                "payment": 1500.0,
                "apply": {"items": [{"doc": {"id": invoice["id"]}, "amount": 1500.0, "apply": True}]},
            },
        },
    )
    assert payment["payment"] == 1500.0
    paid = ns.run_action("get_record", {"record_type": "invoice", "external_id": inv_ext})
    assert paid["status"]["id"] == "paidInFull"


def test_error_body_mapped(ns):
    with pytest.raises(Exception) as info:
        ns.run_action("create_record", {"record_type": "customer", "fields": {"nope": 1}})
    assert info.value.error_code == "INVALID_CONTENT" and "nope" in info.value.hint
    with pytest.raises(InvalidInput):
        ns.run_action("get_record", {"record_type": "customer"})


def test_list_pages_and_read(ns):
    ids = ns.run_action("list_records", {"record_type": "invoice", "max_records": 250, "page_size": 100})
    assert len(ids) == 250 and len({r["id"] for r in ids}) == 250
    full = ns.run_action("list_records", {"record_type": "customer", "max_records": 3, "read_records": True})
    assert all("companyName" in r for r in full)
    filtered = ns.run_action(
        "list_records", {"record_type": "customer", "q": "isInactive IS false", "max_records": 5}
    )
    assert filtered


def test_suiteql_pages_over_has_more(ns):
    rows = ns.run_action(
        "suiteql",
        {"query": "SELECT id, tranid FROM transaction ORDER BY id", "max_records": 350, "page_size": 100},
    )
    assert len(rows) == 350 and len({r["id"] for r in rows}) == 350 and "links" not in rows[0]


def test_suiteql_is_resent_after_a_server_error_but_a_record_create_is_not(connect, sandbox):
    """SuiteQL is a POST that only reads, so a 500 is retried; a POST that creates may have been
    processed, so it is not resent."""
    sleep = FakeSleep()
    ns = connect(sleep=sleep)
    sandbox.fault("netsuite", kind="status", status=500, count=1, path_prefix="/services/rest/query")
    assert ns.run_action("suiteql", {"query": "SELECT id FROM customer", "max_records": 1})
    assert len(sleep.calls) == 1
    sandbox.fault("netsuite", kind="status", status=500, count=1, path_prefix="/services/rest/record")
    with pytest.raises(Exception) as refused:
        ns.run_action("create_record", {"record_type": "customer", "fields": {"companyName": f"X {uid()}"}})
    assert getattr(refused.value, "retryable", None) is True  # the caller's retry policy decides
    assert len(sleep.calls) == 1


def test_concurrency_limit_fails_without_budget_and_queues_with_it(connect, sandbox):
    """The sandbox allows 5 requests in flight per account; 10 parallel slow calls exceed it."""
    raw = connect(retries=0)
    ids = [r["id"] for r in raw.run_action("list_records", {"record_type": "customer", "max_records": 10})]

    def fan_out(runtime):
        sandbox.fault(
            "netsuite", kind="latency", latency_ms=300, count=10, path_prefix="/services/rest/record"
        )
        try:
            with ThreadPoolExecutor(10) as pool:
                futures = [
                    pool.submit(runtime.run_action, "get_record", {"record_type": "customer", "id": i})
                    for i in ids
                ]
                return [f.exception() or f.result() for f in futures]
        finally:
            sandbox.clear_faults()

    # No limiter, no retries: CONCURRENCY_LIMIT_EXCEEDED (429) surfaces as RateLimited.
    outcomes = fan_out(raw)
    refused = [o for o in outcomes if isinstance(o, RateLimited)]
    assert refused and all(o.retryable for o in refused)
    # The connector's RateLimit (max_concurrency=4) through a limiter: calls queue, none is refused.
    assert NetSuiteConnector.rate_limit.max_concurrency == 4
    limited = connect(retries=0, rate_limiter=LocalRateLimiter())
    outcomes = fan_out(limited)
    assert [o["id"] for o in outcomes] == ids


def test_concurrency_429_retried_by_client(connect, sandbox):
    sleep = FakeSleep()
    ns = connect(sleep=sleep)
    ns.run_action("list_records", {"record_type": "customer", "max_records": 1})
    sandbox.fault("netsuite", kind="status", status=429, count=1, path_prefix="/services/rest")
    assert ns.run_action("list_records", {"record_type": "customer", "max_records": 1})
    assert sleep.calls == [1.0]
    sandbox.fault("netsuite", kind="status", status=500, count=1, path_prefix="/services/rest/record")
    assert ns.run_action("get_record", {"record_type": "customer", "id": "1001"})
    assert len(sleep.calls) == 2


def test_token_refresh_after_expiry(ns, sandbox):
    ns.run_action("list_records", {"record_type": "customer", "max_records": 1})
    sandbox.expire_tokens("netsuite")
    assert ns.run_action("list_records", {"record_type": "customer", "max_records": 1})
    assert ns.http.auth.fetch_count == 2


@pytest.mark.parametrize("record_type", ["customer", "invoice"])
def test_polling_no_gaps_no_duplicates(ns, record_type):
    config = {"record_type": record_type}
    first = ns.poll("record_updated", config, None)
    customer = ns.run_action(
        "create_record",
        {"record_type": "customer", "fields": {"companyName": "Poll"}, "return_record": False},
    )

    def make() -> str:
        if record_type == "customer":
            return ns.run_action(
                "create_record",
                {"record_type": "customer", "fields": {"companyName": "P"}, "return_record": False},
            )["id"]
        fields = {
            "entity": {"id": customer["id"]},
            "item": {"items": [{"item": {"id": "10"}, "quantity": 1, "rate": 1}]},
        }
        return ns.run_action(
            "create_record", {"record_type": "invoice", "fields": fields, "return_record": False}
        )["id"]

    made = [make() for _ in range(3)]  # same second, most likely
    if record_type == "customer":
        made.insert(0, customer["id"])
    second = ns.poll("record_updated", config, first.cursor)
    assert sorted(i["id"] for i in second.items) == sorted(made)
    assert ns.poll("record_updated", config, second.cursor).items == []
    more = [make()]
    time.sleep(1.05)
    more.append(make())
    third = ns.poll("record_updated", config, second.cursor)
    assert sorted(i["id"] for i in third.items) == sorted(more)
    assert ns.poll("record_updated", config, third.cursor).items == []


# --- OneWorld, currencies, replay-safe creates, the account's budget ---------------------------------


def _count(ns, table: str, external_id: str) -> int:
    rows = ns.run_action(
        "suiteql", {"query": f"SELECT COUNT(*) AS n FROM {table} WHERE externalid = '{external_id}'"}
    )
    return int(rows[0]["n"])


def test_a_new_customer_gets_the_connections_subsidiary_and_a_project_its_customers(sandbox, ns):
    bare = make_connect(sandbox, NetSuiteConnector(), "netsuite", {"base_url": sandbox.url + "/netsuite"})()
    try:
        with pytest.raises(NetSuiteError) as refused:
            bare.run_action("create_record", {"record_type": "customer", "fields": {"companyName": "No Sub"}})
        assert refused.value.error_code == "USER_ERROR" and "subsidiary" in refused.value.hint
    finally:
        bare.close()
    plain = ns.run_action(
        "create_record", {"record_type": "customer", "fields": {"companyName": f"D {uid()}"}}
    )
    assert plain["subsidiary"]["id"] == "1" and plain["currency"]["symbol"] == "USD"
    uk_ext = f"UK-{uid()}"
    uk = ns.run_action(
        "upsert_record",
        {
            "record_type": "customer",
            "external_id": uk_ext,
            "fields": {"companyName": "UK", "subsidiary": {"id": "2"}},
        },
    )
    assert uk["currency"] == {"id": "2", "refName": "British pound", "symbol": "GBP"}  # the subsidiary's
    job = ns.run_action(
        "upsert_record",
        {
            "record_type": "job",
            "external_id": f"J-{uid()}",
            "fields": {"companyName": "UK job", "parent": {"id": uk["id"]}},
        },
    )
    assert job["subsidiary"]["id"] == "2"  # its customer's, not the connection's default
    # An existing customer keeps its subsidiary when an upsert leaves it out.
    again = ns.run_action(
        "upsert_record", {"record_type": "customer", "external_id": uk_ext, "fields": {"phone": "555"}}
    )
    assert again["id"] == uk["id"] and again["subsidiary"]["id"] == "2"


def test_currencies_are_looked_up_never_assumed(connect, ns):
    chf = ns.run_action(
        "upsert_record",
        {
            "record_type": "currency",
            "external_id": "CUR-CHF",
            "fields": {"name": "Swiss franc", "symbol": "CHF"},
        },
    )
    fresh = connect()  # a new runtime: nothing cached, the account's new currency is found
    customer = fresh.run_action(
        "create_record",
        {"record_type": "customer", "fields": {"companyName": f"C {uid()}"}, "return_record": False},
    )
    fields = {
        "entity": {"id": customer["id"]},
        "currency": "CHF",
        "item": {"items": [{"item": {"id": "10"}, "quantity": 1, "rate": 10}]},
    }
    invoice = fresh.run_action(
        "upsert_record", {"record_type": "invoice", "external_id": f"CHF-{uid()}", "fields": fields}
    )
    assert invoice["currency"]["id"] == chf["id"] and invoice["currency"]["symbol"] == "CHF"
    assert to_canonical("netsuite", "invoice", invoice)["currency"] == "CHF"
    assert fresh.run_action("currency_id", {"code": "eur"}) == {"id": "4", "symbol": "EUR"}
    with pytest.raises(InvalidInput, match="XYZ"):
        fresh.run_action(
            "upsert_record",
            {"record_type": "invoice", "external_id": f"X-{uid()}", "fields": {**fields, "currency": "XYZ"}},
        )


def test_the_same_create_replayed_is_one_record(ns):
    """A step that runs twice (replay, a worker killed after the call) sends the same idempotency key."""
    customer_key, job_key = f"fb-{uid()}-customer-0", f"fb-{uid()}-job-0"
    first = ns.run_action(
        "create_record",
        {"record_type": "customer", "fields": {"companyName": "Replay"}},
        idempotency_key=customer_key,
    )
    second = ns.run_action(
        "create_record",
        {"record_type": "customer", "fields": {"companyName": "Replay"}},
        idempotency_key=customer_key,
    )
    assert first["id"] == second["id"] and first["externalId"] == customer_key
    assert _count(ns, "customer", customer_key) == 1
    job_fields = {"companyName": "Replay job", "parent": {"id": first["id"]}}
    jobs = [
        ns.run_action("create_record", {"record_type": "job", "fields": job_fields}, idempotency_key=job_key)
        for _ in range(2)
    ]
    assert jobs[0]["id"] == jobs[1]["id"] and _count(ns, "job", job_key) == 1
    # An invoice and a payment replayed: the lines are not doubled, the invoice is not paid twice.
    line = {"item": {"id": "10"}, "quantity": 2, "rate": 100}
    inv_key = f"fb-{uid()}-invoice-0"
    invoices = [
        ns.run_action(
            "create_record",
            {"record_type": "invoice", "fields": {"entity": {"id": first["id"]}, "item": {"items": [line]}}},
            idempotency_key=inv_key,
        )
        for _ in range(2)
    ]
    assert invoices[0]["id"] == invoices[1]["id"] and len(invoices[1]["item"]["items"]) == 1
    assert invoices[1]["total"] == 200.0
    apply = {"items": [{"doc": {"id": invoices[0]["id"]}, "apply": True, "amount": 80}]}
    pay_key = f"fb-{uid()}-payment-0"
    for _ in range(2):
        ns.run_action(
            "create_record",
            {
                "record_type": "customerpayment",
                "fields": {"customer": {"id": first["id"]}, "payment": 80, "apply": apply},
            },
            idempotency_key=pay_key,
        )
    memo_key = f"fb-{uid()}-memo-0"
    memo_fields = {
        "entity": {"id": first["id"]},
        "item": {"items": [{"item": {"id": "10"}, "quantity": 1, "rate": 20}]},
        "apply": {"items": [{"doc": {"id": invoices[0]["id"]}, "apply": True, "amount": 20}]},
    }
    for _ in range(2):
        ns.run_action(
            "create_record", {"record_type": "creditmemo", "fields": memo_fields}, idempotency_key=memo_key
        )
    invoice = ns.run_action("get_record", {"record_type": "invoice", "id": invoices[0]["id"]})
    assert invoice["amountPaid"] == 100.0 and invoice["amountRemaining"] == 100.0
    assert _count(ns, "transaction", pay_key) == 1 and _count(ns, "transaction", memo_key) == 1


def test_an_unsuitable_idempotency_key_becomes_a_valid_external_id():
    assert external_id_for("fb-12-job-0") == "fb-12-job-0"
    hashed = external_id_for("fb-12-node with spaces/and:colons-0")
    assert hashed.startswith("fb-") and len(hashed) == 43 and external_id_for("x" * 80) != "x" * 80


def test_the_budget_is_the_accounts_not_the_connections():
    connector = NetSuiteConnector()
    by_id = connector.rate_limit_key({"account_id": "1234567_sb1"}, "a")
    by_host = connector.rate_limit_key({"base_url": "https://1234567-sb1.suitetalk.api.netsuite.com"}, "b")
    assert by_id == by_host == "netsuite:1234567_SB1"
    assert connector.rate_limit_key({"account_id": "7654321"}, "a") != by_id
    assert connector.rate_limit_key({"base_url": "http://127.0.0.1:1/netsuite/ACME"}, "c") == (
        connector.rate_limit_key({"base_url": "http://127.0.0.1:1/netsuite/ACME/"}, "d")
    )


def test_two_connections_to_one_account_share_its_concurrency(sandbox):
    """Eight parallel reads through two connections to one account (limit 5 in flight): with one budget
    per account (4) NetSuite never refuses one; a budget per connection would let 8 through at once."""
    limiter = LocalRateLimiter()
    credential_type, secrets = sandbox.credentials("netsuite")  # M2M with a registered certificate
    config = {"base_url": sandbox.url + "/netsuite", "subsidiary_id": "1"}
    runtimes = [
        open_connection(
            NetSuiteConnector(),
            connection_id=f"connection-{n}",
            config=config,
            credential_type=credential_type,
            secrets=secrets,
            policy=POLICY,
            retries=0,
            rate_limiter=limiter,
        )
        for n in range(2)
    ]
    assert runtimes[0].http.rate_limit_key == runtimes[1].http.rate_limit_key
    sandbox.fault("netsuite", kind="latency", latency_ms=300, count=8, path_prefix="/services/rest/record")
    try:
        with ThreadPoolExecutor(8) as pool:
            futures = [
                pool.submit(runtimes[n % 2].run_action, "get_record", {"record_type": "term", "id": "2"})
                for n in range(8)
            ]
            outcomes = [f.exception() or f.result() for f in futures]
    finally:
        sandbox.clear_faults()
        for runtime in runtimes:
            runtime.close()
    assert all(isinstance(o, dict) and o["id"] == "2" for o in outcomes), outcomes


def test_find_references_reads_items_tax_codes_subsidiaries_and_currencies(ns):
    """The setup records a template's parameters name, looked up in the account (seeded ids)."""
    assert ns.find_references("item", ["10", "13", "99", "x'; DROP"]) == {
        "10": "Professional Services - T&M",
        "13": "Reimbursable Expenses",
    }
    assert ns.find_references("tax_code", ["16", "10"]) == {"16": "UK Standard 20%"}  # 10 is not a tax code
    assert set(ns.find_references("subsidiary", ["1", "2", "9"])) == {"1", "2"}
    assert ns.find_references("currency", ["gbp", "XYZ"]) == {"gbp": "British pound"}
