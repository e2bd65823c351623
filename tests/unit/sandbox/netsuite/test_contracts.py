"""The NetSuite sandbox against the contract fixtures: it accepts each documented request and answers the
documented shape, and refuses what NetSuite refuses (missing subsidiary, read-only, unknown and mistyped
fields, bad references, no or expired credentials, too many requests at once) with NetSuite's error body."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from tests.support.sandbox import Sandbox
from tests.unit.connectors.erp.netsuite.contract_support import fill, fixture_id, load, mismatches

RECORD = "/netsuite/services/rest/record/v1"
FIXTURES = [f for f in load() if f.get("sandbox")]


@pytest.fixture(scope="module")
def world(sandbox_server):
    """Records the fixtures name: a customer of subsidiary 1 (with an external id and a billing address),
    another customer, an open invoice and a credit memo of the first."""
    sandbox = Sandbox(sandbox_server)
    headers = sandbox.auth("netsuite")
    tag = uuid.uuid4().hex[:8]

    def put(rtype: str, ext: str, body: dict) -> str:
        resp = sandbox.http.put(f"{sandbox.url}{RECORD}/{rtype}/eid:{ext}", headers=headers, json=body)
        assert resp.status_code == 204, resp.text
        return resp.headers["Location"].rsplit("/", 1)[1]

    address = {"addr1": "1 Quay Street", "city": "Bristol", "zip": "BS1 4DJ", "country": {"id": "GB"}}
    billing = {"defaultBilling": True, "label": "Billing", "addressBookAddress": address}
    billing["defaultShipping"] = True
    customer = put(
        "customer",
        f"CTR-{tag}",
        {"companyName": f"Contract {tag}", "subsidiary": {"id": "1"}, "addressBook": {"items": [billing]}},
    )
    other = put("customer", f"CTO-{tag}", {"companyName": f"Other {tag}", "subsidiary": {"id": "1"}})
    line = {"item": {"id": "10"}, "quantity": 2, "rate": 100}
    invoice = put("invoice", f"CTI-{tag}", {"entity": {"id": customer}, "item": {"items": [line]}})
    memo = put("creditmemo", f"CTC-{tag}", {"entity": {"id": customer}, "item": {"items": [line]}})
    sandbox.close()
    return {
        "customer": customer,
        "other_customer": other,
        "customer_eid": f"CTR-{tag}",
        "invoice": invoice,
        "creditmemo": memo,
    }


def _throwaway(sandbox, headers) -> str:
    resp = sandbox.http.post(
        f"{sandbox.url}{RECORD}/customer",
        headers=headers,
        json={"companyName": f"Throwaway {uuid.uuid4().hex[:8]}", "subsidiary": {"id": "1"}},
    )
    return resp.headers["Location"].rsplit("/", 1)[1]


def _expired_token(sandbox) -> dict[str, str]:
    sandbox.config(token_ttl=1)
    try:
        headers = sandbox.auth("netsuite")
    finally:
        sandbox.config(token_ttl=3600)
    time.sleep(1.2)
    return headers


@pytest.mark.parametrize("fixture", FIXTURES, ids=fixture_id)
def test_sandbox_answers_as_documented(sandbox, world, fixture):
    auth = fixture.get("auth")
    headers = (
        {}
        if auth == "missing"
        else _expired_token(sandbox)
        if auth == "expired"
        else sandbox.auth("netsuite")
    )
    context = {
        **world,
        "uid": uuid.uuid4().hex[:10],
        "throwaway": _throwaway(sandbox, sandbox.auth("netsuite")),
    }
    request = fill(fixture["request"], context)
    send = dict(
        method=request["method"],
        url=sandbox.url + "/netsuite" + request["path"],
        params=request.get("query") or None,
        headers={**(request.get("headers") or {}), **headers},
        json=request.get("body"),
        timeout=30,
    )
    if auth == "saturated":
        # One request held in flight by injected latency fills an account allowed one at a time.
        sandbox.config(netsuite_concurrency=1)
        sandbox.fault(
            "netsuite", kind="latency", latency_ms=800, count=1, path_prefix="/services/rest/record/v1/term"
        )
        holder = threading.Thread(
            target=sandbox.http.get, args=(f"{sandbox.url}{RECORD}/term/1",), kwargs={"headers": headers}
        )
        holder.start()
        time.sleep(0.3)
        try:
            resp = sandbox.http.request(**send)
        finally:
            holder.join()
            sandbox.clear_faults()
            sandbox.config(netsuite_concurrency=5)
    else:
        resp = sandbox.http.request(**send)

    expected = fill(fixture["response"], context)
    assert resp.status_code == expected["status"], resp.text
    for name, value in (expected.get("headers") or {}).items():
        if name == "Location":
            assert mismatches(value, resp.headers.get(name)) == [], resp.headers
        else:
            assert (resp.headers.get(name) or "").startswith(value), resp.headers
    if expected.get("body") is None:
        assert resp.content == b""
    else:
        assert mismatches(expected["body"], resp.json()) == [], resp.text


def test_refusals_are_covered():
    """A refusal fixture for each kind of refusal the issue names."""
    names = " ".join(f["name"] for f in FIXTURES)
    for kind in ("without a subsidiary", "read-only", "unknown field", "wrong type", "does not exist"):
        assert kind in names, kind
    assert {f.get("auth") for f in FIXTURES} >= {"missing", "expired", "saturated"}
