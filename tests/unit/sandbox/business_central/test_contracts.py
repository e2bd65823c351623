"""The Business Central sandbox against the contract fixtures: it accepts each documented request and
answers the documented shape, and refuses what Business Central refuses (unknown, read-only and mistyped
fields, missing required fields, changes to posted documents, payments applied to drafts, entity sets on
the wrong API route, no credentials) with Business Central's error body ``{"error": {"code", "message"}}``."""

from __future__ import annotations

import json
import time
import uuid
from urllib.parse import parse_qs

import pytest

from sandbox.business_central.seed import VAT_COMPANY
from tests.support.sandbox import Sandbox
from tests.support.scripted_server import ScriptedServer, Seen
from tests.unit.connectors.erp.dynamics.contract_support import fill, fixture_id, load, mismatches

API = "/dynamics/api/v2.0"
FIXTURES = [f for f in load() if f.get("sandbox")]


@pytest.fixture(scope="module")
def subscriber():
    """A notification URL as Business Central expects one: it echoes ?validationToken= as text/plain and
    takes notifications (kept in ``seen``); ``/gone`` answers 404 (a failed handshake)."""
    server = ScriptedServer().start()

    def hook(seen: Seen):
        token = parse_qs(seen.path.partition("?")[2]).get("validationToken")
        if token:
            return 200, {"Content-Type": "text/plain"}, token[0].encode()
        return 202, {"Content-Type": "application/json"}, b"{}"

    server.routes["/hooks/bc"] = hook
    yield server
    server.stop()


@pytest.fixture(scope="module")
def world(sandbox_server, subscriber):
    """The company and a customer the fixtures name (records that fixtures change are made per test), and
    the company that uses VAT with a customer of its own."""
    sandbox = Sandbox(sandbox_server)
    headers = sandbox.auth("dynamics")
    companies = sandbox.http.get(f"{sandbox.url}{API}/companies", headers=headers).json()["value"]
    company = companies[0]["id"]
    vat_company = next(c["id"] for c in companies if c["name"] == VAT_COMPANY)
    base = f"{sandbox.url}{API}/companies({company})"
    tag = uuid.uuid4().hex[:8].upper()
    customer = sandbox.http.post(
        f"{base}/customers", headers=headers, json={"displayName": f"Contract {tag}", "number": f"CT{tag}"}
    ).json()
    vat_customer = sandbox.http.post(
        f"{sandbox.url}{API}/companies({vat_company})/customers",
        headers=headers,
        json={"displayName": f"Contract VAT {tag}", "country": "GB"},
    ).json()
    sandbox.close()
    notify = f"{subscriber.url}/hooks/bc"
    return {
        "company": company,
        "customer": customer["id"],
        "customer_number": customer["number"],
        "vat_company": vat_company,
        "vat_customer": vat_customer["id"],
        "notify_url": notify,
        "silent_url": f"{subscriber.url}/gone",
    }


def _records(sandbox, world) -> dict[str, str]:
    """Fresh records for one fixture: a throwaway customer, a draft invoice with a line (and its ETag), a
    posted invoice, a draft credit memo with a line, an empty payment journal and one holding a payment."""
    headers = sandbox.auth("dynamics")
    base = f"{sandbox.url}{API}/companies({world['company']})"

    def post(path: str, body: dict) -> str:
        resp = sandbox.http.post(base + path, headers=headers, json=body)
        assert resp.status_code in (201, 204), resp.text
        return resp.json()["id"] if resp.status_code == 201 else ""

    def document(es: str, lines: str) -> str:
        doc = post(f"/{es}", {"customerId": world["customer"]})
        post(
            f"/{es}({doc})/{lines}",
            {"lineType": "Item", "description": "Work", "quantity": 2, "unitPrice": 100},
        )
        return doc

    invoice = document("salesInvoices", "salesInvoiceLines")
    post(f"/salesInvoices({invoice})/Microsoft.NAV.post", {})
    posting = post("/customerPaymentJournals", {"code": f"P{uuid.uuid4().hex[:8].upper()}"})
    payment = {"customerId": world["customer"], "amount": 50, "appliesToInvoiceId": invoice}
    post(f"/customerPaymentJournals({posting})/customerPayments", payment)
    subscription = sandbox.http.post(
        f"{sandbox.url}{API}/subscriptions",
        headers=headers,
        json={
            "notificationUrl": world["notify_url"],
            "resource": f"/api/v2.0/companies({world['company']})/customers",
            "clientState": "secret",
        },
    )
    assert subscription.status_code == 201, subscription.text
    draft = document("salesInvoices", "salesInvoiceLines")
    draft_etag = sandbox.http.get(f"{base}/salesInvoices({draft})", headers=headers).json()["@odata.etag"]
    return {
        "subscription": subscription.json()["subscriptionId"],
        "posting_journal": posting,
        "throwaway": post("/customers", {"displayName": f"Throwaway {uuid.uuid4().hex[:6]}"}),
        "draft": draft,
        "draft_etag": draft_etag,
        "invoice": invoice,
        "memo": document("salesCreditMemos", "salesCreditMemoLines"),
        "journal": post("/customerPaymentJournals", {"code": f"T{uuid.uuid4().hex[:8].upper()}"}),
    }


@pytest.mark.parametrize("fixture", FIXTURES, ids=fixture_id)
def test_sandbox_answers_as_documented(sandbox, world, fixture):
    headers = {} if fixture.get("auth") == "missing" else sandbox.auth("dynamics")
    context = {
        **world,
        **_records(sandbox, world),
        "uid": uuid.uuid4().hex[:10].upper(),
        "short": uuid.uuid4().hex[:6].upper(),
    }
    request = fill(fixture["request"], context)
    resp = sandbox.http.request(
        request["method"],
        sandbox.url + "/dynamics" + request["path"],
        params=request.get("query") or None,
        headers={**(request.get("headers") or {}), **headers},
        json=request.get("body"),
        timeout=30,
    )
    expected = fill(fixture["response"], context)
    assert resp.status_code == expected["status"], resp.text
    for name, value in (expected.get("headers") or {}).items():
        assert (resp.headers.get(name) or "").startswith(value), resp.headers
    if expected.get("body") is None:
        assert resp.content == b""
    else:
        assert mismatches(expected["body"], resp.json()) == [], resp.text


def test_refusals_are_covered():
    """A refusal fixture for each kind of refusal the issue names, answered with BC's error shape."""
    names = " ".join(f["name"] for f in FIXTURES)
    for kind in ("unknown field", "read-only", "wrong type", "required field", "posted invoice cannot"):
        assert kind in names, kind
    assert {f.get("auth") for f in FIXTURES} >= {"missing"}
    for fixture in FIXTURES:
        if fixture["response"]["status"] >= 400:
            assert set(fixture["response"]["body"]["error"]) == {"code", "message"}, fixture["name"]


def test_a_payment_takes_effect_only_when_its_journal_is_posted(sandbox, world):
    headers = sandbox.auth("dynamics")
    base = f"{sandbox.url}{API}/companies({world['company']})"
    records = _records(sandbox, world)
    invoice = sandbox.http.get(f"{base}/salesInvoices({records['invoice']})", headers=headers).json()
    assert invoice["status"] == "Open" and invoice["remainingAmount"] == 200
    line = sandbox.http.post(
        f"{base}/customerPaymentJournals({records['journal']})/customerPayments",
        headers=headers,
        json={"customerId": world["customer"], "amount": 200, "appliesToInvoiceNumber": invoice["number"]},
    ).json()
    assert line["appliesToInvoiceId"] == invoice["id"] and line["journalId"] == records["journal"]
    unposted = sandbox.http.get(f"{base}/salesInvoices({invoice['id']})", headers=headers).json()
    assert unposted["remainingAmount"] == 200 and unposted["status"] == "Open"
    posted = sandbox.http.post(
        f"{base}/customerPaymentJournals({records['journal']})/Microsoft.NAV.post", headers=headers
    )
    assert posted.status_code == 204
    paid = sandbox.http.get(f"{base}/salesInvoices({invoice['id']})", headers=headers).json()
    assert paid["remainingAmount"] == 0 and paid["status"] == "Paid"
    left = sandbox.http.get(
        f"{base}/customerPaymentJournals({records['journal']})/customerPayments", headers=headers
    ).json()
    assert left["value"] == []
    again = sandbox.http.post(
        f"{base}/customerPaymentJournals({records['journal']})/Microsoft.NAV.post", headers=headers
    )
    assert again.status_code == 400 and again.json()["error"]["code"] == "Application_DialogException"


def test_subscription_handshake_then_notifications_on_changes(sandbox, world, subscriber):
    """The documented webhook flow: the handshake before the subscription exists, 3 days of life, and a
    ``{"value": [...]}`` notification to the URL when a record of the collection changes."""
    headers = sandbox.auth("dynamics")
    before = len(subscriber.seen)
    created = sandbox.http.post(
        f"{sandbox.url}{API}/subscriptions",
        headers=headers,
        json={
            "notificationUrl": world["notify_url"],
            "resource": f"/api/v2.0/companies({world['company']})/projects",
            "clientState": "s3cret",
        },
    )
    assert created.status_code == 201, created.text
    sub = created.json()
    handshake = subscriber.seen[before]
    assert "validationToken=" in handshake.path
    days = (
        time.mktime(time.strptime(sub["expirationDateTime"][:19], "%Y-%m-%dT%H:%M:%S"))
        - time.mktime(time.strptime(sub["lastModifiedDateTime"][:19], "%Y-%m-%dT%H:%M:%S"))
    ) / 86400
    assert round(days, 3) == 3
    project = sandbox.http.post(
        f"{sandbox.url}{API}/companies({world['company']})/projects",
        headers=headers,
        json={"displayName": "Notified"},
    ).json()
    deadline = time.monotonic() + 5
    notes = []
    while time.monotonic() < deadline and not notes:
        posted = [json.loads(s.body) for s in subscriber.seen[before + 1 :] if s.method == "POST" and s.body]
        notes = [n for p in posted for n in p["value"] if n["subscriptionId"] == sub["subscriptionId"]]
        time.sleep(0.05)
    assert len(notes) == 1, notes
    [note] = notes
    assert note["clientState"] == "s3cret"
    assert note["changeType"] == "created" and note["resource"].endswith(f"/projects({project['id']})")
    assert set(note) == {
        "subscriptionId",
        "clientState",
        "expirationDateTime",
        "resource",
        "changeType",
        "lastModifiedDateTime",
    }
