"""Salesforce connector against the sandbox over real HTTP."""

from __future__ import annotations

import uuid

import pytest

from connectors.crm.salesforce.connector import SalesforceConnector
from connectors.errors import (
    AuthError,
    ConflictError,
    InvalidInput,
    NotFound,
    RateLimited,
    TransientHTTPError,
)
from connectors.http.auth import OAuth2Auth
from tests.support.fake_clock import FakeSleep
from tests.support.sandbox import make_connect


@pytest.fixture
def connect(sandbox):
    connect = make_connect(
        sandbox,
        SalesforceConnector(),
        "salesforce",
        {"base_url": sandbox.url + "/salesforce", "api_version": "60.0"},
    )
    yield connect
    for runtime in connect.opened:
        runtime.close()


@pytest.fixture
def sf(connect):
    return connect()


def uid() -> str:
    return uuid.uuid4().hex[:12]


def test_test_connection_uses_instance_url_from_token(sf, sandbox):
    ok, message = sf.test_connection()
    assert ok, message
    assert sandbox.url + "/salesforce" in message


def test_query_follows_next_records_url_past_two_pages(sf, sandbox):
    stats_before = sandbox.admin("GET", "/_admin/stats")
    rows = sf.run_action("query", {"soql": "SELECT Id, Name, Account.Name FROM Contact", "max_records": 450})
    assert len(rows) == 450
    assert len({r["Id"] for r in rows}) == 450
    assert "attributes" not in rows[0] and "attributes" not in (rows[0]["Account"] or {})
    stats_after = sandbox.admin("GET", "/_admin/stats")
    assert stats_after != stats_before  # three pages of 200 were fetched


def test_query_page_size_and_all_pages(sf):
    total = sf.run_action("query", {"soql": "SELECT COUNT() FROM pse__Timecard_Header__c"})
    assert total == []  # COUNT() has no records
    rows = sf.run_action(
        "query", {"soql": "SELECT Id FROM pse__Timecard_Header__c", "max_records": 100000, "page_size": 500}
    )
    assert len(rows) > 1000 and len({r["Id"] for r in rows}) == len(rows)


def test_query_error_maps_error_code_and_hint(sf):
    with pytest.raises(Exception) as info:
        sf.run_action("query", {"soql": "SELECT Id FROM Account WHERE Name = 5"})
    assert info.value.error_code in ("INVALID_FIELD", "MALFORMED_QUERY")
    assert info.value.hint


def test_create_get_update_delete(sf):
    created = sf.run_action(
        "create", {"sobject": "Account", "fields": {"Name": "Create Co", "Industry": "Consulting"}}
    )
    assert created["success"] and created["id"].startswith("001")
    got = sf.run_action("get", {"sobject": "Account", "id": created["id"]})
    assert got["Name"] == "Create Co" and got["Industry"] == "Consulting"
    sf.run_action("update", {"sobject": "Account", "id": created["id"], "fields": {"Name": "Renamed Co"}})
    assert (
        sf.run_action("get", {"sobject": "Account", "id": created["id"], "fields": ["Name"]})["Name"]
        == "Renamed Co"
    )
    assert sf.run_action("delete", {"sobject": "Account", "id": created["id"]})["deleted"] is True
    with pytest.raises(NotFound):
        sf.run_action("get", {"sobject": "Account", "id": created["id"]})
    gone = sf.run_action("delete", {"sobject": "Account", "id": created["id"], "ignore_missing": True})
    assert gone["deleted"] is False


def test_error_body_mapped_with_fields(sf):
    with pytest.raises(Exception) as info:
        sf.run_action("create", {"sobject": "Account", "fields": {"Industry": "Consulting"}})
    error = info.value
    assert error.error_code == "REQUIRED_FIELD_MISSING" and error.fields == ["Name"]
    assert "Name" in error.hint and error.status == 400 and not error.retryable


def test_input_validation_refuses_bad_names(sf):
    with pytest.raises(InvalidInput):
        sf.run_action("get", {"sobject": "Account; DROP", "id": "001Dn0000000001IAA"})
    with pytest.raises(InvalidInput):
        sf.run_action("create", {"sobject": "Account"})


def test_upsert_is_idempotent_on_external_id(sf):
    ext = f"EXT-{uid()}"
    first = sf.run_action(
        "upsert",
        {
            "sobject": "Account",
            "external_id_field": "External_Id__c",
            "external_id": ext,
            "fields": {"Name": "One"},
        },
        idempotency_key="run-1:node:0",
    )
    second = sf.run_action(
        "upsert",
        {
            "sobject": "Account",
            "external_id_field": "External_Id__c",
            "external_id": ext,
            "fields": {"Name": "Two"},
        },
        idempotency_key="run-1:node:0",
    )
    assert first["created"] is True and second["created"] is False and first["id"] == second["id"]
    rows = sf.run_action("query", {"soql": f"SELECT Id, Name FROM Account WHERE External_Id__c = '{ext}'"})
    assert rows == [{"Id": first["id"], "Name": "Two"}]


def test_collections_create_update_upsert_in_chunks_of_200(sf):
    tag = uid()
    batch = [{"sobject": "Account", "record": {"Name": f"Bulk {tag} {i}"}} for i in range(205)]
    created = sf.run_action("create_many", batch)
    assert len(created) == 205 and all(r["success"] for r in created)
    updates = [{"sobject": "Account", "record": {"Id": r["id"], "Industry": "Legal"}} for r in created[:3]]
    assert all(r["success"] for r in sf.run_action("update_many", updates))
    upserts = [
        {
            "sobject": "Account",
            "external_id_field": "External_Id__c",
            "record": {"External_Id__c": f"{tag}-{i}", "Name": f"U{i}"},
        }
        for i in range(3)
    ]
    first = sf.run_action("upsert_many", upserts)
    again = sf.run_action("upsert_many", upserts)
    assert [r["created"] for r in first] == [True] * 3 and [r["created"] for r in again] == [False] * 3
    assert [r["id"] for r in first] == [r["id"] for r in again]
    rows = sf.run_action(
        "query", {"soql": f"SELECT Id FROM Account WHERE Name LIKE 'Bulk {tag}%'", "max_records": 1000}
    )
    assert len(rows) == 205


def test_collection_all_or_none(sf):
    tag = uid()
    batch = [
        {"sobject": "Account", "record": {"Name": f"AON {tag}"}, "all_or_none": True},
        {"sobject": "Account", "record": {"Industry": "No name"}, "all_or_none": True},
    ]
    results = sf.run_action("create_many", batch)
    assert [r["success"] for r in results] == [False, False]
    assert results[1]["errors"][0]["code"] == "REQUIRED_FIELD_MISSING"
    assert sf.run_action("query", {"soql": f"SELECT Id FROM Account WHERE Name = 'AON {tag}'"}) == []
    partial = sf.run_action("create_many", [{**b, "all_or_none": False} for b in batch])
    assert [r["success"] for r in partial] == [True, False]


def test_duplicate_external_id_is_a_conflict(sf):
    ext = f"DUP-{uid()}"
    for name in ("A", "B"):  # create (not upsert) twice, then upsert must refuse to guess
        sf.run_action("create", {"sobject": "Account", "fields": {"Name": name, "External_Id__c": ext}})
    with pytest.raises(ConflictError):
        sf.run_action(
            "upsert",
            {
                "sobject": "Account",
                "external_id_field": "External_Id__c",
                "external_id": ext,
                "fields": {"Name": "C"},
            },
        )


def test_token_refreshed_once_after_injected_expiry(sf, sandbox):
    sf.run_action("query", {"soql": "SELECT Id FROM Account LIMIT 1"})
    auth = sf.http.auth
    assert isinstance(auth, OAuth2Auth) and auth.fetch_count == 1
    sandbox.expire_tokens("salesforce")
    rows = sf.run_action("query", {"soql": "SELECT Id FROM Account LIMIT 1"})
    assert len(rows) == 1 and auth.fetch_count == 2


def test_token_expiry_fault_mid_flow(sf, sandbox):
    sf.run_action("query", {"soql": "SELECT Id FROM Account LIMIT 1"})
    sandbox.fault("salesforce", kind="expire_tokens", path_prefix="/services/data", count=1)
    created = sf.run_action("create", {"sobject": "Account", "fields": {"Name": "After expiry"}})
    assert created["success"] and sf.http.auth.fetch_count == 2


def test_refresh_token_credentials(connect, sandbox):
    # Get a refresh token the way the OAuth web flow would, then use the refresh-token grant.
    form = "grant_type=authorization_code&code=abc&client_id=sandbox-client&client_secret=sandbox-secret"
    import urllib.request

    req = urllib.request.Request(
        sandbox.url + "/salesforce/services/oauth2/token", data=form.encode(), method="POST"
    )
    with urllib.request.urlopen(req) as resp:  # noqa: S310 (loopback)
        import json

        refresh = json.loads(resp.read())["refresh_token"]
    from connectors.base import open_connection
    from tests.support.sandbox import POLICY

    runtime = open_connection(
        SalesforceConnector(),
        connection_id="rt",
        config={"base_url": sandbox.url + "/salesforce"},
        credential_type="oauth2_refresh_token",
        secrets={**sandbox.token_secrets("salesforce"), "refresh_token": refresh},
        policy=POLICY,
    )
    try:
        assert runtime.test_connection()[0]
        sandbox.expire_tokens("salesforce")
        assert runtime.run_action("query", {"soql": "SELECT Id FROM User LIMIT 2"})
    finally:
        runtime.close()


def test_429_retry_after_is_honoured(connect, sandbox):
    sleep = FakeSleep()
    sf = connect(sleep=sleep)
    sandbox.fault("salesforce", kind="status", status=429, count=1, path_prefix="/services/data")
    rows = sf.run_action("query", {"soql": "SELECT Id FROM Account LIMIT 3"})
    assert len(rows) == 3
    assert sleep.calls == [1.0]  # the sandbox sends Retry-After: 1


def test_429_without_retries_is_rate_limited_with_retry_after(connect, sandbox):
    sf = connect(retries=0)
    sf.run_action("query", {"soql": "SELECT Id FROM Account LIMIT 1"})
    sandbox.fault("salesforce", kind="status", status=429, count=1, path_prefix="/services/data")
    with pytest.raises(RateLimited) as info:
        sf.run_action("query", {"soql": "SELECT Id FROM Account LIMIT 1"})
    assert info.value.retryable and info.value.retry_after == 1.0


def test_500_is_retried(connect, sandbox):
    sleep = FakeSleep()
    sf = connect(sleep=sleep)
    sf.run_action("query", {"soql": "SELECT Id FROM Account LIMIT 1"})
    sandbox.fault("salesforce", kind="status", status=500, count=2, path_prefix="/services/data")
    assert len(sf.run_action("query", {"soql": "SELECT Id FROM Account LIMIT 2"})) == 2
    assert len(sleep.calls) == 2


def test_500_exhausted_is_transient(connect, sandbox):
    sf = connect(retries=1, sleep=FakeSleep())
    sf.run_action("query", {"soql": "SELECT Id FROM Account LIMIT 1"})
    sandbox.fault("salesforce", kind="status", status=500, count=5, path_prefix="/services/data")
    with pytest.raises(TransientHTTPError) as info:
        sf.run_action("get", {"sobject": "Account", "id": "001Dn0000000001IAA"})
    assert info.value.retryable


def test_injected_403_is_a_permanent_auth_error(connect, sandbox):
    sf = connect()
    sf.run_action("query", {"soql": "SELECT Id FROM Account LIMIT 1"})
    sandbox.fault("salesforce", kind="status", status=403, count=1, path_prefix="/services/data")
    # The sandbox's injected 403 carries a generic code; only REQUEST_LIMIT_EXCEEDED would be RateLimited.
    with pytest.raises(AuthError):
        sf.run_action("query", {"soql": "SELECT Id FROM Account LIMIT 1"})


def test_polling_cursor_no_gaps_no_duplicates(sf):
    tag = uid()
    config = {
        "sobject": "Account",
        "fields": ["Name"],
        "where": f"Name LIKE 'Poll {tag}%'",
        "max_records": 500,
    }
    first = sf.poll("record_updated", config, None)
    assert first.items == [] and first.cursor["ts"]
    # Several records created in one composite call share a LastModifiedDate (millisecond precision).
    made = sf.run_action(
        "create_many", [{"sobject": "Account", "record": {"Name": f"Poll {tag} {i}"}} for i in range(5)]
    )
    second = sf.poll("record_updated", config, first.cursor)
    assert sorted(i["Id"] for i in second.items) == sorted(r["id"] for r in made)
    assert len(second.cursor["ids"]) >= 1
    empty = sf.poll("record_updated", config, second.cursor)
    assert empty.items == []
    # More records (some at the very same timestamp again), plus an update of an old one.
    more = sf.run_action(
        "create_many", [{"sobject": "Account", "record": {"Name": f"Poll {tag} b{i}"}} for i in range(3)]
    )
    sf.run_action(
        "update", {"sobject": "Account", "id": made[0]["id"], "fields": {"Name": f"Poll {tag} 0 again"}}
    )
    third = sf.poll("record_updated", config, empty.cursor)
    assert sorted(i["Id"] for i in third.items) == sorted([r["id"] for r in more] + [made[0]["id"]])
    assert sf.poll("record_updated", config, third.cursor).items == []


def test_polling_bounded_poll_resumes_mid_timestamp(sf):
    tag = uid()
    config = {
        "sobject": "Account",
        "fields": ["Name"],
        "where": f"Name LIKE 'Bound {tag}%'",
        "max_records": 2,
    }
    cursor = sf.poll("record_updated", config, None).cursor
    made = sf.run_action(
        "create_many", [{"sobject": "Account", "record": {"Name": f"Bound {tag} {i}"}} for i in range(5)]
    )
    seen: list[str] = []
    for _ in range(5):
        result = sf.poll("record_updated", config, cursor)
        assert len(result.items) <= 2
        seen += [i["Id"] for i in result.items]
        cursor = result.cursor
    assert sorted(seen) == sorted(r["id"] for r in made)  # all of them, each once


def test_polling_since(sf):
    result = sf.poll(
        "record_updated", {"sobject": "User", "since": "2000-01-01T00:00:00Z", "max_records": 10}, None
    )
    assert len(result.items) == 10 and result.cursor["ids"]


def test_creates_keyed_by_the_idempotency_key_make_one_record(sf, sandbox):
    """Salesforce has no idempotency header: a replayed create (same key) is an upsert on the external
    id field and answers the first attempt's record."""
    key = f"fb-run-{uid()}-contract-0"
    account = sf.run_action("create", {"sobject": "Account", "fields": {"Name": f"Idem {key}"}})["id"]
    contract = {"account_id": account, "status": "Draft", "start_date": "2026-01-01", "term_months": 12}
    first = sf.run_action("create_contract", contract, idempotency_key=key)
    again = sf.run_action("create_contract", contract, idempotency_key=key)
    assert first["created"] is True and again["created"] is False and again["id"] == first["id"]
    rows = sf.run_action("list_contracts", {"account_id": account})
    assert [r["Id"] for r in rows] == [first["id"]] and rows[0]["EndDate"] == "2026-12-31"
    generic = {"sobject": "Account", "external_id_field": "External_Id__c", "fields": {"Name": f"G {key}"}}
    g1 = sf.run_action("create", generic, idempotency_key=key)
    g2 = sf.run_action("create", generic, idempotency_key=key)
    assert g1["id"] == g2["id"]
    batch = [
        {"sobject": "Account", "external_id_field": "External_Id__c", "record": {"Name": f"B {key} {i}"}}
        for i in range(3)
    ]
    b1 = sf.run_action("create_many", batch, idempotency_key=key + "-batch")
    b2 = sf.run_action("create_many", batch, idempotency_key=key + "-batch")
    assert [r["id"] for r in b1] == [r["id"] for r in b2] and all(r["created"] is False for r in b2)


def test_quote_with_lines_and_reads(sf):
    key = f"fb-{uid()}"
    book = sf.run_action("query", {"soql": "SELECT Id FROM Pricebook2 WHERE IsStandard = true"})[0]["Id"]
    product = sf.run_action("list_products", {"max_records": 1})[0]
    entry = sf.run_action("list_pricebook_entries", {"product_id": product["Id"]})[0]
    account = sf.run_action("create", {"sobject": "Account", "fields": {"Name": f"Quote {key}"}})["id"]
    opp = sf.run_action(
        "create",
        {
            "sobject": "Opportunity",
            "fields": {
                "Name": f"Deal {key}",
                "AccountId": account,
                "StageName": "Proposal/Price Quote",
                "CloseDate": "2026-06-30",
                "Pricebook2Id": book,
            },
        },
    )["id"]
    quote = sf.run_action(
        "create_quote", {"name": "Q", "opportunity_id": opp, "pricebook_id": book}, idempotency_key=key
    )
    line = {"quote_id": quote["id"], "pricebook_entry_id": entry["Id"], "quantity": 4, "unit_price": 100}
    sf.run_action("create_quote_line", line, idempotency_key=key + "-l0")
    sf.run_action("create_quote_line", line, idempotency_key=key + "-l0")  # a replay: still one line
    got = sf.run_action("get_quote", {"id": quote["id"]})
    assert got["LineItemCount"] == 1 and got["GrandTotal"] == 400 and got["AccountId"] == account
    lines = sf.run_action("list_quote_lines", {"quote_id": quote["id"]})
    assert [(r["Quantity"], r["TotalPrice"], r["Product2Id"]) for r in lines] == [(4, 400, product["Id"])]
    assert sf.run_action("list_opportunity_lines", {"max_records": 2})


def test_a_streamed_query_fetches_each_page_only_when_it_is_read(sf, sandbox):
    def gets() -> int:
        return sandbox.admin("GET", "/_admin/stats")["systems"]["salesforce"]["by_method"].get("GET", 0)

    params = {"soql": "SELECT Id, Name FROM Contact", "max_records": 450, "page_size": 200}
    listed = sf.run_action("query", params)  # a list for every other caller (and the token is warm)
    assert isinstance(listed, list) and len(listed) == 450
    before = gets()
    records = sf.stream_action("query", params)
    assert gets() == before  # nothing fetched until read
    first = next(records)
    assert gets() == before + 1 and "attributes" not in first
    rest = list(records)
    assert gets() == before + 3  # 200 + 200 + 50: one page per fetch
    assert [first, *rest] == listed
    with pytest.raises(ValueError, match="run_action"):
        sf.stream_action("create", {"sobject": "Account", "fields": {"Name": "Nope"}})


def test_the_query_node_spools_a_long_result_to_disk_page_by_page(sf, monkeypatch):
    from connectors.crm.salesforce.connector import SalesforceConnector
    from flowbuilder.core import item_spool
    from flowbuilder.nodes.base import NodeContext
    from flowbuilder.nodes.connector_nodes import register_connector_nodes
    from flowbuilder.nodes.registry import NodeRegistry

    monkeypatch.setattr(item_spool, "SPOOL_AFTER", 100)
    monkeypatch.setattr(item_spool, "CHUNK_ITEMS", 50)
    registry = NodeRegistry()
    register_connector_nodes(registry, [SalesforceConnector()])
    node = registry.get("crm.salesforce.query")(
        {"connection": "sf", "soql": "SELECT Id FROM Contact", "max_records": 450, "page_size": 200}
    )
    beats = []
    ctx = NodeContext(
        run_id=1, node_id="q", organisation_id=1, connection=lambda _id: sf, heartbeat=lambda: beats.append(1)
    )
    out = node.run(ctx, {"main": [{}]})["main"]
    assert item_spool.is_spooled(out)  # past 100 records the output went to disk, a chunk at a time
    ids = [r["Id"] for r in out]
    assert len(ids) == 450 and len(set(ids)) == 450
    assert ids == [
        r["Id"] for r in sf.run_action("query", {"soql": "SELECT Id FROM Contact", "max_records": 450})
    ]
    assert beats  # a long read keeps its claim alive
