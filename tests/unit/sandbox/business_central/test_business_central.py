"""Business Central: OData paging via @odata.nextLink, $filter/$orderby/$top/$skip, ETags and If-Match."""

from __future__ import annotations

import pytest

API = "/dynamics/api/v2.0"


@pytest.fixture
def bc(sandbox):
    headers = sandbox.auth("dynamics")
    company = sandbox.http.get(sandbox.url + API + "/companies", headers=headers).json()["value"][0]["id"]

    class Client:
        base = f"{sandbox.url}{API}/companies({company})"

        def get(self, path, url=None, **params):
            return sandbox.http.get(url or self.base + path, headers=headers, params=params)

        def send(self, method, path, body, extra=None):
            return sandbox.http.request(
                method, self.base + path, headers={**headers, **(extra or {})}, json=body
            )

    return Client()


def test_companies_and_entity_shape(bc, sandbox):
    first = bc.get("/customers", **{"$top": "1"}).json()
    assert first["@odata.context"].endswith("/customers")
    entity = first["value"][0]
    assert entity["@odata.etag"].startswith('W/"') and entity["id"] and entity["number"].startswith("C")


def test_server_driven_paging_with_next_link(bc, sandbox):
    sandbox.admin_request("POST", "config", json={"dynamics_page_size": 40})
    body = bc.get("/salesInvoices", **{"$count": "true"}).json()
    total = body["@odata.count"]
    assert total > 120 and len(body["value"]) == 40
    ids = [v["id"] for v in body["value"]]
    pages = 1
    while "@odata.nextLink" in body:
        body = bc.get("", url=body["@odata.nextLink"]).json()
        ids += [v["id"] for v in body["value"]]
        pages += 1
    assert pages == -(-total // 40) and len(ids) == len(set(ids)) == total


def test_default_page_size_and_maxpagesize_preference(bc, sandbox):
    body = bc.get("/salesInvoiceLines").json()
    assert len(body["value"]) == 100 and "@odata.nextLink" in body
    resp = sandbox.http.get(
        bc.base + "/customers", headers={**sandbox.auth("dynamics"), "Prefer": "odata.maxpagesize=7"}
    )
    assert len(resp.json()["value"]) == 7 and resp.headers["Preference-Applied"] == "odata.maxpagesize=7"


def test_filter_orderby_top_skip(bc):
    open_big = bc.get(
        "/salesInvoices", **{"$filter": "status eq 'Open' and totalAmountIncludingTax gt 5000"}
    ).json()
    assert open_big["value"]
    assert all(v["status"] == "Open" and v["totalAmountIncludingTax"] > 5000 for v in open_big["value"])
    recent = bc.get(
        "/customers", **{"$filter": "lastModifiedDateTime gt 2026-10-01T00:00:00Z", "$count": "true"}
    )
    older = bc.get(
        "/customers", **{"$filter": "lastModifiedDateTime le 2026-10-01T00:00:00Z", "$count": "true"}
    )
    total = bc.get("/customers", **{"$count": "true"}).json()["@odata.count"]
    assert recent.json()["@odata.count"] > 0 and older.json()["@odata.count"] > 0
    assert recent.json()["@odata.count"] + older.json()["@odata.count"] == total
    contains = bc.get(
        "/customers", **{"$filter": "contains(displayName,'a') or startswith(number,'C100')"}
    ).json()
    assert contains["value"]
    ordered = bc.get("/customers", **{"$orderby": "displayName desc", "$top": "5", "$skip": "2"}).json()[
        "value"
    ]
    names = [v["displayName"].lower() for v in ordered]
    assert len(names) == 5 and names == sorted(names, reverse=True)
    dated = bc.get(
        "/salesInvoices", **{"$filter": "invoiceDate ge 2026-06-01 and invoiceDate lt 2026-07-01"}
    ).json()
    assert all("2026-06" in v["invoiceDate"] for v in dated["value"])
    selected = bc.get("/customers", **{"$select": "id,displayName", "$top": "1"}).json()["value"][0]
    assert set(selected) == {"@odata.etag", "id", "displayName"}


def test_bad_filter_is_a_400_with_the_odata_error_shape(bc):
    resp = bc.get("/customers", **{"$filter": "nosuchfield eq 'x'"})
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "BadRequest"
    resp = bc.get("/customers", **{"$filter": "displayName eq"})
    assert resp.status_code == 400 and resp.json()["error"]["message"]


def test_create_patch_with_etag_and_412_on_mismatch(bc):
    created = bc.send("POST", "/customers", {"displayName": "ETag Test Ltd", "email": "ap@etag.example"})
    assert created.status_code == 201
    entity = created.json()
    assert entity["number"].startswith("C") and created.headers["ETag"] == entity["@odata.etag"]
    path = f"/customers({entity['id']})"
    missing = bc.send("PATCH", path, {"phoneNumber": "1"})
    assert missing.status_code == 428
    ok = bc.send("PATCH", path, {"phoneNumber": "+44 20 7946 0000"}, {"If-Match": entity["@odata.etag"]})
    assert ok.status_code == 200 and ok.json()["phoneNumber"] == "+44 20 7946 0000"
    assert ok.json()["@odata.etag"] != entity["@odata.etag"]
    stale = bc.send("PATCH", path, {"phoneNumber": "2"}, {"If-Match": entity["@odata.etag"]})
    assert stale.status_code == 412 and stale.json()["error"]["code"] == "Request_EntityChanged"
    star = bc.send("PATCH", path, {"website": "etag.example"}, {"If-Match": "*"})
    assert star.status_code == 200
    assert bc.get(path).json()["website"] == "etag.example"


def test_invoice_lines_roll_up_and_post_action(bc):
    customer = bc.get("/customers", **{"$top": "1"}).json()["value"][0]
    invoice = bc.send(
        "POST", "/salesInvoices", {"customerNumber": customer["number"], "invoiceDate": "2026-11-01"}
    )
    assert invoice.status_code == 201 and invoice.json()["status"] == "Draft"
    inv_id = invoice.json()["id"]
    line = bc.send(
        "POST",
        f"/salesInvoices({inv_id})/salesInvoiceLines",
        {"lineType": "Item", "description": "Consulting", "quantity": 10, "unitPrice": 150},
    )
    assert line.status_code == 201 and line.json()["amountExcludingTax"] == 1500
    refreshed = bc.get(f"/salesInvoices({inv_id})").json()
    assert (
        refreshed["totalAmountExcludingTax"] == 1500 and refreshed["customerName"] == customer["displayName"]
    )
    assert bc.send("POST", f"/salesInvoices({inv_id})/Microsoft.NAV.post", None).status_code == 204
    assert bc.get(f"/salesInvoices({inv_id})").json()["status"] == "Open"
    lines = bc.get(f"/salesInvoices({inv_id})/salesInvoiceLines").json()["value"]
    assert [ln["description"] for ln in lines] == ["Consulting"]


def test_a_posted_credit_memo_applied_to_an_invoice_closes_that_much_of_it_and_is_not_cash(bc):
    customer = bc.get("/customers", **{"$top": "1"}).json()["value"][0]
    invoice = bc.send("POST", "/salesInvoices", {"customerId": customer["id"], "invoiceDate": "2026-11-01"})
    inv_id = invoice.json()["id"]
    bc.send(
        "POST",
        f"/salesInvoices({inv_id})/salesInvoiceLines",
        {"lineType": "Item", "quantity": 10, "unitPrice": 150},
    )
    bc.send("POST", f"/salesInvoices({inv_id})/Microsoft.NAV.post", None)
    number = bc.get(f"/salesInvoices({inv_id})").json()["number"]

    def credit(amount: float) -> str:
        memo = bc.send(
            "POST", "/salesCreditMemos", {"customerId": customer["id"], "invoiceId": inv_id}
        ).json()
        assert memo["invoiceNumber"] == number
        bc.send(
            "POST",
            f"/salesCreditMemos({memo['id']})/salesCreditMemoLines",
            {"quantity": 1, "unitPrice": amount},
        )
        return memo["id"]

    draft = credit(500)
    assert bc.get(f"/salesInvoices({inv_id})").json()["remainingAmount"] == 1500  # a draft closes nothing
    assert bc.send("POST", f"/salesCreditMemos({draft})/Microsoft.NAV.post", None).status_code == 204
    after = bc.get(f"/salesInvoices({inv_id})").json()
    assert (after["remainingAmount"], after["status"]) == (1000, "Open")
    memo_number = bc.get(f"/salesCreditMemos({draft})").json()["number"]
    entries = bc.get("/generalLedgerEntries", **{"$filter": f"documentNumber eq '{memo_number}'"}).json()[
        "value"
    ]
    assert {e["documentType"] for e in entries} == {"Credit Memo"} and sum(
        e["creditAmount"] for e in entries
    ) == 500
    bc.send("POST", f"/salesCreditMemos({credit(1000)})/Microsoft.NAV.post", None)
    closed = bc.get(f"/salesInvoices({inv_id})").json()
    assert (closed["remainingAmount"], closed["status"]) == (0, "Paid")


def test_missing_entity_is_404(bc):
    resp = bc.get("/customers(00000000-0000-0000-0000-000000000000)")
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "Internal_RecordNotFound"


def test_a_filter_on_a_key_with_four_dashes_matches_it_as_written_and_guids_match_without_case():
    from sandbox.business_central import odata

    key = odata.parse_filter("externalDocumentNumber eq 'CM-S-INV103281-CASE-9'", {"externalDocumentNumber"})
    assert odata.matches(key, {"externalDocumentNumber": "CM-S-INV103281-CASE-9"})
    assert not odata.matches(key, {"externalDocumentNumber": "cm-s-inv103281-case-9"})
    guid = odata.parse_filter("customerId eq 27A4A416-E40A-497C-A16E-FB853FBBFB45", {"customerId"})
    assert odata.matches(guid, {"customerId": "27a4a416-e40a-497c-a16e-fb853fbbfb45"})
