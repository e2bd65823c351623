"""NetSuite: record API (204 + Location, eid upsert), SuiteQL paging, concurrency governance."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

RECORD = "/netsuite/services/rest/record/v1"
SUITEQL = "/netsuite/services/rest/query/v1/suiteql"


@pytest.fixture
def ns(sandbox):
    headers = sandbox.auth("netsuite")

    class Client:
        url = sandbox.url
        auth = headers

        def get(self, path, **params):
            return sandbox.http.get(sandbox.url + path, headers=headers, params=params)

        def send(self, method, path, body):
            return sandbox.http.request(method, sandbox.url + path, headers=headers, json=body)

        def suiteql(self, q, prefer="transient", **params):
            return sandbox.http.post(
                sandbox.url + SUITEQL, headers={**headers, "Prefer": prefer}, params=params, json={"q": q}
            )

    return Client()


def test_list_shape_and_limit_offset_paging(ns):
    body = ns.get(f"{RECORD}/customer", limit=50).json()
    assert body["count"] == 50 and body["hasMore"] is True and body["offset"] == 0
    assert body["items"][0]["links"][0]["rel"] == "self" and body["items"][0]["id"]
    assert any(link["rel"] == "next" for link in body["links"])
    last = ns.get(f"{RECORD}/customer", limit=50, offset=100).json()
    assert last["hasMore"] is False and last["count"] == body["totalResults"] - 100


def test_create_returns_204_with_location_then_read(ns):
    resp = ns.send(
        "POST",
        f"{RECORD}/customer",
        {"companyName": "Location Test Inc", "email": "ap@lt.example", "subsidiary": {"id": "1"}},
    )
    assert resp.status_code == 204 and resp.content == b""
    location = resp.headers["Location"]
    assert location.startswith(ns.url + f"{RECORD}/customer/")
    record = ns.get(location.removeprefix(ns.url)).json()
    assert record["companyName"] == "Location Test Inc"
    assert record["subsidiary"]["refName"] == "Northwind Advisory Inc."
    assert record["id"] == location.rsplit("/", 1)[1]


def test_external_id_upsert_is_idempotent(ns):
    path = f"{RECORD}/customer/eid:SF-001XYZ"
    first = ns.send("PUT", path, {"companyName": "ACME Corporation", "subsidiary": {"id": "1"}})
    assert first.status_code == 204
    second = ns.send("PUT", path, {"companyName": "Acme Corp", "phone": "+1 555 0101"})
    assert second.status_code == 204 and second.headers["Location"] == first.headers["Location"]
    record = ns.get(path).json()
    assert record["companyName"] == "Acme Corp" and record["externalId"] == "SF-001XYZ"
    assert ns.send("PATCH", path, {"email": "billing@acme.example"}).status_code == 204
    assert ns.get(path).json()["email"] == "billing@acme.example"
    matches = ns.get(f"{RECORD}/customer", q='externalId IS "SF-001XYZ"').json()
    assert matches["totalResults"] == 1
    assert ns.get(f"{RECORD}/customer/eid:nope").status_code == 404


def test_invoice_with_item_sublist_and_payment_application(ns):
    customer = ns.get(f"{RECORD}/customer", limit=1).json()["items"][0]["id"]
    created = ns.send(
        "POST",
        f"{RECORD}/invoice",
        {
            "entity": {"id": customer},
            "tranDate": "2026-11-01",
            "item": {
                "items": [
                    {"item": {"id": "10"}, "quantity": 10, "rate": 150},
                    {"item": {"id": "13"}, "quantity": 1, "rate": 420.5},
                ]
            },
        },
    )
    assert created.status_code == 204
    path = created.headers["Location"].removeprefix(ns.url)
    collapsed = ns.get(path).json()
    assert collapsed["total"] == 1920.5 and collapsed["status"]["refName"] == "Open"
    assert "items" not in collapsed["item"]  # sublists need expandSubResources, as on a real account
    expanded = ns.get(path, expandSubResources="true").json()
    assert [line["item"]["refName"] for line in expanded["item"]["items"]][0] == "Professional Services - T&M"
    invoice_id = collapsed["id"]
    paid = ns.send(
        "POST",
        f"{RECORD}/customerpayment",
        {
            "customer": {"id": customer},
            "payment": 1920.5,
            "apply": {"items": [{"doc": {"id": invoice_id}, "amount": 1920.5, "apply": True}]},
        },
    )
    assert paid.status_code == 204
    after = ns.get(path).json()
    assert after["amountRemaining"] == 0 and after["status"]["id"] == "paidInFull"


def test_record_errors_use_the_netsuite_shape(ns):
    resp = ns.send("POST", f"{RECORD}/customer", {"email": "no-name@example.com"})
    assert resp.status_code == 400
    body = resp.json()
    assert body["status"] == 400 and body["title"] == "Bad Request" and body["type"].startswith("https://")
    assert body["o:errorDetails"][0]["o:errorCode"] == "USER_ERROR"
    bad_ref = ns.send("POST", f"{RECORD}/job", {"companyName": "x", "parent": "1001"})
    assert bad_ref.status_code == 400
    assert (
        ns.get(f"{RECORD}/customer/99999999").json()["o:errorDetails"][0]["o:errorCode"] == "NONEXISTENT_ID"
    )


def test_suiteql_pages_with_limit_and_offset(ns):
    q = "SELECT id, companyname, email FROM customer WHERE isinactive = 'F' ORDER BY id"
    first = ns.suiteql(q, limit=50).json()
    assert first["count"] == 50 and first["hasMore"] is True and first["totalResults"] >= 140
    assert first["items"][0]["links"] == [] and isinstance(first["items"][0]["id"], str)
    ids = [row["id"] for row in first["items"]]
    offset = 50
    while True:
        page = ns.suiteql(q, limit=50, offset=offset).json()
        ids += [row["id"] for row in page["items"]]
        if not page["hasMore"]:
            break
        offset += 50
    assert len(ids) == len(set(ids)) == first["totalResults"]
    assert ids == sorted(ids, key=int)


def test_suiteql_filters_functions_and_transactions(ns):
    rows = ns.suiteql(
        "SELECT t.id, t.tranid, BUILTIN.DF(t.entity) AS customer, t.foreigntotal FROM transaction t "
        "WHERE t.type = 'CustInvc' AND t.trandate >= TO_DATE('2026-01-01', 'YYYY-MM-DD') ORDER BY t.id DESC",
        limit=5,
    ).json()
    assert rows["count"] == 5 and all(r["tranid"].startswith("INV") and r["customer"] for r in rows["items"])
    counted = ns.suiteql("SELECT COUNT(*) AS n FROM customer").json()
    assert int(counted["items"][0]["n"]) >= 140
    stamp = ns.suiteql(
        "SELECT TO_CHAR(lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS') AS lm FROM customer WHERE id = 1001"
    ).json()
    assert len(stamp["items"][0]["lm"]) == 19


def test_suiteql_needs_prefer_transient_and_aligned_offset(ns):
    assert ns.suiteql("SELECT id FROM customer", prefer="").status_code == 400
    misaligned = ns.suiteql("SELECT id FROM customer", limit=10, offset=5)
    assert misaligned.status_code == 400
    bad = ns.suiteql("SELECT nope FROM customer")
    assert bad.status_code == 400 and bad.json()["o:errorDetails"][0]["detail"]


def test_concurrency_limit_returns_429_in_netsuite_shape(sandbox, ns):
    sandbox.admin_request("POST", "config", json={"netsuite_concurrency": 2})
    sandbox.admin_request(
        "POST",
        "faults",
        json={
            "system": "netsuite",
            "path_prefix": "/services/rest/record",
            "kind": "latency",
            "latency_ms": 400,
            "count": 20,
        },
    )

    def call(_):
        return ns.get(f"{RECORD}/customer", limit=1)

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(call, range(8)))
    limited = [r for r in responses if r.status_code == 429]
    assert limited and any(r.status_code == 200 for r in responses)
    detail = limited[0].json()["o:errorDetails"][0]
    assert detail["o:errorCode"] == "CONCURRENCY_LIMIT_EXCEEDED"
    assert limited[0].json()["status"] == 429
