"""NetSuite sandbox rules beyond the contract fixtures: what is sourced from a referenced record, sublist
updates with and without ``replace``, a customer's address book (``defaultAddress`` read only and derived
from the default billing address), applications that pay invoices down exactly once, SuiteQL in the
account's time zone."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sandbox.netsuite import suiteql

RECORD = "/netsuite/services/rest/record/v1"
SUITEQL = "/netsuite/services/rest/query/v1/suiteql"


@pytest.fixture
def ns(sandbox):
    headers = sandbox.auth("netsuite")

    class Client:
        def get(self, path, **params):
            resp = sandbox.http.get(sandbox.url + RECORD + path, headers=headers, params=params)
            assert resp.status_code == 200, resp.text
            return resp.json()

        def send(self, method, path, body, **params):
            return sandbox.http.request(
                method, sandbox.url + RECORD + path, headers=headers, json=body, params=params
            )

        def put(self, path, body, **params):
            resp = self.send("PUT", path, body, **params)
            assert resp.status_code == 204, resp.text
            return resp.headers["Location"].rsplit("/", 1)[1]

        def suiteql(self, q):
            resp = sandbox.http.post(
                sandbox.url + SUITEQL, headers={**headers, "Prefer": "transient"}, json={"q": q}
            )
            assert resp.status_code == 200, resp.text
            return resp.json()["items"]

    return Client()


def tag() -> str:
    return uuid.uuid4().hex[:8]


def test_what_netsuite_sources_from_referenced_records(ns):
    uk = ns.put(
        f"/customer/eid:UK-{tag()}",
        {"companyName": "UK Ltd", "subsidiary": {"id": "2"}, "terms": {"id": "3"}},
    )
    customer = ns.get(f"/customer/{uk}")
    assert customer["currency"]["id"] == "2" and customer["currency"]["refName"] == "British pound"
    lines = {
        "items": [
            {"item": {"id": "10"}, "quantity": 4},
            {"item": {"id": "10"}, "quantity": 1, "price": {"id": "2"}},
        ]
    }
    rid = ns.put(f"/invoice/eid:SRC-{tag()}", {"entity": {"id": uk}, "tranDate": "2026-03-01", "item": lines})
    invoice = ns.get(f"/invoice/{rid}", expandSubResources="true")
    assert (
        invoice["subsidiary"]["id"] == "2"
        and invoice["currency"]["id"] == "2"
        and invoice["terms"]["id"] == "3"
    )
    assert invoice["dueDate"] == "2026-04-30"  # Net 60 from the transaction date
    rates = [line["rate"] for line in invoice["item"]["items"]]
    assert rates == [140.0, 126.0]  # the item's GBP base price, and 10 % off at the Partner Price level
    assert invoice["exchangeRate"] == 1.0  # the subsidiary's own currency
    eur = ns.put(f"/invoice/eid:EUR-{tag()}", {"entity": {"id": uk}, "currency": {"id": "4"}, "item": lines})
    assert ns.get(f"/invoice/{eur}")["exchangeRate"] == round(1.08 / 1.27, 6)  # euros booked in pounds


def test_lines_are_added_unless_replace_names_the_sublist(ns, sandbox):
    customer = ns.put(f"/customer/eid:L-{tag()}", {"companyName": "Lines", "subsidiary": {"id": "1"}})
    line = {"item": {"id": "10"}, "quantity": 1, "rate": 100}
    rid = ns.put(f"/invoice/eid:L-{tag()}", {"entity": {"id": customer}, "item": {"items": [line]}})
    assert ns.send("PATCH", f"/invoice/{rid}", {"item": {"items": [line]}}).status_code == 204
    assert len(ns.get(f"/invoice/{rid}", expandSubResources="true")["item"]["items"]) == 2
    assert ns.send("PATCH", f"/invoice/{rid}", {"item": {"items": [line]}}, replace="item").status_code == 204
    invoice = ns.get(f"/invoice/{rid}", expandSubResources="true")
    assert len(invoice["item"]["items"]) == 1 and invoice["total"] == 100.0


def _address(street: str, **more: object) -> dict:
    return {"addr1": street, "city": "Bristol", "zip": "BS1 4DJ", "country": {"id": "GB"}, **more}


def test_addresses_are_written_through_the_address_book(ns):
    billing = {"defaultBilling": True, "label": "Billing", "addressBookAddress": _address("1 Quay Street")}
    shipping = {"defaultShipping": True, "label": "Dock", "addressBookAddress": _address("2 Dock Road")}
    body = {"companyName": "Address Ltd", "subsidiary": {"id": "2"}, "addressBook": {"items": [billing]}}
    cid = ns.put(f"/customer/eid:ADR-{tag()}", body)

    plain = ns.get(f"/customer/{cid}")  # sublists as links unless expanded
    assert set(plain["addressBook"]) == {"links"}
    assert plain["defaultAddress"] == "1 Quay Street\nBristol BS1 4DJ\nUnited Kingdom"
    book = ns.get(f"/customer/{cid}", expandSubResources="true")["addressBook"]
    (line,) = book["items"]
    assert line["defaultBilling"] is True and line["label"] == "Billing"
    address = line["addressBookAddress"]
    assert address["addr1"] == "1 Quay Street" and address["zip"] == "BS1 4DJ"
    assert address["country"] == {"id": "GB", "refName": "United Kingdom"}
    assert address["links"][0]["href"].endswith(f"/customer/{cid}/addressBook/1/addressBookAddress")

    # PATCH without replace adds the lines; with replace=addressBook they replace the book.
    assert ns.send("PATCH", f"/customer/{cid}", {"addressBook": {"items": [shipping]}}).status_code == 204
    lines = ns.get(f"/customer/{cid}", expandSubResources="true")["addressBook"]["items"]
    assert [line["label"] for line in lines] == ["Billing", "Dock"]
    moved = {**billing, "addressBookAddress": _address("9 Harbour Way")}
    resp = ns.send("PATCH", f"/customer/{cid}", {"addressBook": {"items": [moved]}}, replace="addressBook")
    assert resp.status_code == 204, resp.text
    record = ns.get(f"/customer/{cid}", expandSubResources="true")
    streets = [line["addressBookAddress"]["addr1"] for line in record["addressBook"]["items"]]
    assert streets == ["9 Harbour Way"]
    assert record["defaultAddress"].startswith("9 Harbour Way\n")
    rows = ns.suiteql(f"SELECT defaultaddress FROM customer WHERE id = {cid}")
    assert rows[0]["defaultaddress"] == record["defaultAddress"]

    # A later line marked default billing takes it over.
    other = {"defaultBilling": True, "label": "New HQ", "addressBookAddress": _address("5 New Street")}
    assert ns.send("PATCH", f"/customer/{cid}", {"addressBook": {"items": [other]}}).status_code == 204
    lines = ns.get(f"/customer/{cid}", expandSubResources="true")["addressBook"]["items"]
    assert [line["defaultBilling"] for line in lines] == [False, True]
    assert ns.get(f"/customer/{cid}")["defaultAddress"].startswith("5 New Street\n")


def test_one_address_line_changes_by_sending_back_the_whole_book(ns):
    """addressBook is non-keyed in REST: to change the default billing address without losing the other
    addresses, read the book expanded and PATCH every line back with replace=addressBook (Replacing a
    Sublist), the changed line in place of the old one and the others as read, minus read-only fields."""
    billing = {"defaultBilling": True, "label": "Billing", "addressBookAddress": _address("1 Quay Street")}
    dock = {"defaultShipping": True, "label": "Dock", "addressBookAddress": _address("2 Dock Road")}
    store = {"label": "Store", "addressBookAddress": _address("3 Shop Row", attention="Stores")}
    body = {
        "companyName": "Book Ltd",
        "subsidiary": {"id": "2"},
        "addressBook": {"items": [billing, dock, store]},
    }
    cid = ns.put(f"/customer/eid:BOOK-{tag()}", body)
    lines = ns.get(f"/customer/{cid}", expandSubResources="true")["addressBook"]["items"]
    assert [line["line"] for line in lines] == [1, 2, 3]  # a read-only position, not a key

    # A line sent back with its read-only position is refused; without it (links are ignored), it is kept.
    refused = ns.send("PATCH", f"/customer/{cid}", {"addressBook": {"items": lines}}, replace="addressBook")
    assert refused.status_code == 400 and "'line'" in refused.text
    kept = [
        {k: v for k, v in line.items() if k != "line"} for line in lines if not line.get("defaultBilling")
    ]
    moved = {**billing, "addressBookAddress": _address("9 Harbour Way")}
    book = {"addressBook": {"items": [*kept, moved]}}
    assert ns.send("PATCH", f"/customer/{cid}", book, replace="addressBook").status_code == 204

    record = ns.get(f"/customer/{cid}", expandSubResources="true")
    after = record["addressBook"]["items"]
    assert [(line["label"], line["addressBookAddress"]["addr1"]) for line in after] == [
        ("Dock", "2 Dock Road"),
        ("Store", "3 Shop Row"),
        ("Billing", "9 Harbour Way"),
    ]
    assert [bool(line.get("defaultShipping")) for line in after] == [True, False, False]
    assert after[1]["addressBookAddress"]["attention"] == "Stores"
    assert after[0]["addressBookAddress"]["country"] == {"id": "GB", "refName": "United Kingdom"}
    assert record["defaultAddress"].startswith("9 Harbour Way\n")


@pytest.mark.parametrize(
    ("body", "code", "path"),
    [
        ({"defaultAddress": "1 Quay Street"}, "USER_ERROR", "defaultAddress"),
        (
            {"addressBook": {"items": [{"addressBookAddress": {"street": "1 Quay Street"}}]}},
            "INVALID_CONTENT",
            "addressBook.items[0].addressBookAddress.street",
        ),
        (
            {"addressBook": {"items": [{"addressBookAddress": {"country": "GB"}}]}},
            "INVALID_CONTENT",
            "addressBook.items[0].addressBookAddress.country",
        ),
        (
            {"addressBook": {"items": [{"addressBookAddress": {"country": {"id": "XX"}}}]}},
            "INVALID_CONTENT",
            "addressBook.items[0].addressBookAddress.country",
        ),
    ],
    ids=["defaultAddress is read only", "unknown address field", "country as text", "unknown country"],
)
def test_address_writes_netsuite_refuses(ns, body, code, path):
    cid = ns.put(f"/customer/eid:ADX-{tag()}", {"companyName": "Refused Ltd", "subsidiary": {"id": "1"}})
    resp = ns.send("PATCH", f"/customer/{cid}", body)
    assert resp.status_code == 400, resp.text
    (detail,) = resp.json()["o:errorDetails"]
    assert (detail["o:errorCode"], detail["o:errorPath"]) == (code, path)


def test_applications_pay_an_invoice_down_once(ns):
    customer = ns.put(f"/customer/eid:A-{tag()}", {"companyName": "Payer", "subsidiary": {"id": "1"}})
    line = {"item": {"id": "10"}, "quantity": 3, "rate": 100}
    invoice = ns.put(f"/invoice/eid:A-{tag()}", {"entity": {"id": customer}, "item": {"items": [line]}})
    payment = {
        "customer": {"id": customer},
        "payment": 100,
        "apply": {"items": [{"doc": {"id": invoice}, "apply": True, "amount": 100}]},
    }
    pay_path = f"/customerpayment/eid:P-{tag()}"
    for _ in range(3):  # replayed upserts of one payment
        ns.put(pay_path, payment, replace="apply")
    memo = {
        "entity": {"id": customer},
        "item": {"items": [{"item": {"id": "10"}, "quantity": 1, "rate": 50}]},
        "apply": {"items": [{"doc": {"id": invoice}, "apply": True, "amount": 50}]},
    }
    memo_id = ns.put(f"/creditmemo/eid:M-{tag()}", memo, replace="apply,item")
    after = ns.get(f"/invoice/{invoice}")
    assert after["amountPaid"] == 150.0 and after["amountRemaining"] == 150.0
    assert ns.get(f"/creditmemo/{memo_id}")["status"]["id"] == "fullyApplied"
    too_much = {
        **payment,
        "payment": 500,
        "apply": {"items": [{"doc": {"id": invoice}, "apply": True, "amount": 500}]},
    }
    refused = ns.send("PUT", f"/customerpayment/eid:P-{tag()}", too_much)
    assert refused.status_code == 400
    assert refused.json()["o:errorDetails"][0]["o:errorPath"] == "apply.items[0].amount"
    assert ns.send("DELETE", f"/creditmemo/{memo_id}", None).status_code == 204
    assert ns.get(f"/invoice/{invoice}")["amountRemaining"] == 200.0  # deleting an application reopens


def test_record_types_match_without_regard_to_case(ns):
    assert ns.get("/Currency/1")["symbol"] == "USD"
    assert ns.get("/salesTaxItem/16")["itemType"] == "TaxItem"


def test_suiteql_shows_and_reads_times_in_the_accounts_zone(ns, sandbox):
    """A client that compares lastmodifieddate with UTC wall-clock time misses the last hours' changes in
    an account west of UTC: the literal is read in the account's zone."""
    sandbox.config(netsuite_time_zone="America/Los_Angeles")
    rid = ns.put(f"/customer/eid:Z-{tag()}", {"companyName": "Zone", "subsidiary": {"id": "1"}})
    utc = datetime.fromisoformat(ns.get(f"/customer/{rid}")["lastModifiedDate"].replace("Z", "+00:00"))
    local = utc.astimezone(ZoneInfo("America/Los_Angeles")).strftime("%Y-%m-%d %H:%M:%S")
    shown = ns.suiteql(
        f"SELECT TO_CHAR(lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS') AS m FROM customer WHERE id = {rid}"
    )
    assert shown == [{"links": [], "m": local}]

    def since(wall: str) -> list:
        cond = f"lastmodifieddate >= TO_TIMESTAMP('{wall}', 'YYYY-MM-DD HH24:MI:SS')"
        return ns.suiteql(f"SELECT id FROM customer WHERE id = {rid} AND {cond}")  # noqa: S608

    a_second_ago = utc - timedelta(seconds=1)
    assert since(a_second_ago.strftime("%Y-%m-%d %H:%M:%S")) == []  # UTC wall clock: missed
    assert since(a_second_ago.astimezone(ZoneInfo("America/Los_Angeles")).strftime("%Y-%m-%d %H:%M:%S"))


def test_a_literal_in_the_repeated_hour_is_its_first_occurrence():
    zone = ZoneInfo("America/Los_Angeles")
    rows = [
        {"id": 1, "at": datetime(2026, 11, 1, 8, 30, tzinfo=UTC)},  # 01:30 PDT
        {"id": 2, "at": datetime(2026, 11, 1, 9, 30, tzinfo=UTC)},  # 01:30 PST
    ]
    table = suiteql.Table(lambda: rows, ("id", "at"), lambda col, value: None)
    q = (
        "SELECT id, TO_CHAR(at, 'HH24:MI') AS t FROM x "
        "WHERE at >= TO_TIMESTAMP('2026-11-01 01:30:00', 'YYYY-MM-DD HH24:MI:SS') ORDER BY at"
    )
    assert suiteql.execute(q, {"x": table}, zone) == [{"id": "1", "t": "01:30"}, {"id": "2", "t": "01:30"}]


def test_suiteql_views_of_the_setup_records_and_credit_memos(ns):
    currencies = ns.suiteql("SELECT id, symbol, name FROM currency ORDER BY id")
    assert [c["symbol"] for c in currencies][:4] == ["USD", "GBP", "CAD", "EUR"]
    items = ns.suiteql("SELECT id, itemid, itemtype FROM item WHERE itemtype = 'Service' ORDER BY id")
    assert [i["id"] for i in items] == ["10", "11", "12", "13", "14"]
    customer = ns.put(f"/customer/eid:Q-{tag()}", {"companyName": "Credit", "subsidiary": {"id": "1"}})
    memo = ns.put(
        f"/creditmemo/eid:Q-{tag()}",
        {"entity": {"id": customer}, "item": {"items": [{"item": {"id": "11"}, "quantity": 1, "rate": 25}]}},
    )
    rows = ns.suiteql(f"SELECT id, type, BUILTIN.DF(status) AS s FROM transaction WHERE id = {memo}")  # noqa: S608
    assert rows == [{"links": [], "id": memo, "type": "CustCred", "s": "Credit Memo : Open"}]
