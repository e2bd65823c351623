"""The sandbox's own pages, over HTTP as a browser uses them: find a record, change it with a form (the
tour's Closed Won, time-entry approval and invoice payment), inject and clear faults, watch webhooks.
Forms post to /_admin/* and come back with a 303; cross-site posts are refused; everything is escaped."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest

SF_TOKEN = "/salesforce/services/oauth2/token"


def _post_form(sandbox, path, data, *, origin=True, **headers):
    if origin:
        headers.setdefault("Origin", sandbox.url)
    return sandbox.http.post(sandbox.url + path, data=data, headers=headers, allow_redirects=False)


def _back(resp):
    assert resp.status_code == 303, resp.text
    location = resp.headers["Location"]
    return location, {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def _record_page(sandbox, tenant, system, obj, rid):
    params = {"tenant": tenant, "system": system, "object": obj, "id": rid}
    return sandbox.http.get(sandbox.url + "/_sandbox/record", params=params)


def _store_record(sandbox, tenant, system, obj, q):
    """The first record the browse page finds for ``q`` (its 'open' link's id)."""
    page = sandbox.http.get(
        sandbox.url + f"/{system}/_browse", params={"object": obj, "tenant": tenant, "q": q}
    )
    assert page.status_code == 200
    match = re.search(r"/_sandbox/record\?[^']*id=([^'&]+)", page.text)
    assert match, f"no {obj} matching {q}"
    return match.group(1)


def test_index_lists_the_tenants_and_each_tenants_objects(sandbox):
    index = sandbox.http.get(sandbox.url + "/", params={"tenant": "globex"})
    assert index.status_code == 200
    assert "Globex Advisory" in index.text and "Acme Consulting" in index.text
    assert "tenant=globex" in index.text and "pse__Proj__c" in index.text and "time_entries" in index.text
    csp = index.headers["Content-Security-Policy"]
    assert "script-src" not in csp and "form-action 'self'" in csp and "frame-ancestors 'none'" in csp


def test_closed_won_from_the_record_page(sandbox):
    rid = _store_record(
        sandbox, "acme", "salesforce", "Opportunity", "StageName=Prospecting; Type=New Business"
    )
    page = _record_page(sandbox, "acme", "salesforce", "Opportunity", rid)
    assert (
        "data-testid='action-set_stage'" in page.text and "<option value='Closed Won' selected>" in page.text
    )
    before = sandbox.admin_request("GET", "stats").json()
    resp = _post_form(
        sandbox,
        "/_admin/actions",
        {
            "tenant": "acme",
            "system": "salesforce",
            "action": "set_stage",
            "id": rid,
            "stage": "Closed Won",
            "return_to": f"/_sandbox/record?tenant=acme&system=salesforce&object=Opportunity&id={rid}",
        },
    )
    location, query = _back(resp)
    assert location.startswith("/_sandbox/record?") and "is now Closed Won" in query["done"]
    after = sandbox.http.get(sandbox.url + location)
    assert "data-testid='flash'" in after.text and "Closed Won" in after.text
    # The change went through the org's API: stamped, in acme's org only, and not counted as client traffic.
    token = sandbox.http.post(
        sandbox.url + SF_TOKEN,
        data={"grant_type": "client_credentials", "client_id": "acme-client", "client_secret": "acme-secret"},
    ).json()["access_token"]
    opp = sandbox.http.get(
        sandbox.url + f"/salesforce/services/data/v60.0/sobjects/Opportunity/{rid}",
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    assert opp["StageName"] == "Closed Won" and opp["IsWon"] is True
    assert opp["LastModifiedDate"] >= opp["CreatedDate"]
    default = sandbox.http.get(
        sandbox.url + f"/salesforce/services/data/v60.0/sobjects/Opportunity/{rid}",
        headers=sandbox.auth("salesforce"),
    )
    assert default.status_code == 404 or default.json()["LastModifiedDate"] != opp["LastModifiedDate"]
    assert sandbox.admin_request("GET", "stats").json()["systems"].get("salesforce", {}).get(
        "by_object", {}
    ).get("PATCH Opportunity", 0) == before["systems"].get("salesforce", {}).get("by_object", {}).get(
        "PATCH Opportunity", 0
    )


def test_approve_a_kantata_time_entry(sandbox):
    rid = _store_record(sandbox, "globex", "kantata", "time_entries", "approved=False")
    page = _record_page(sandbox, "globex", "kantata", "time_entries", rid)
    assert "Approve time entry" in page.text
    _, query = _back(
        _post_form(
            sandbox,
            "/_admin/actions",
            {
                "tenant": "globex",
                "system": "kantata",
                "action": "approve_time_entry",
                "id": rid,
                "return_to": "/",
            },
        )
    )
    assert query["done"] == f"Time entry {rid} approved"
    assert "Approve time entry" not in _record_page(sandbox, "globex", "kantata", "time_entries", rid).text
    again = sandbox.admin_request(
        "POST",
        "actions",
        json={"tenant": "globex", "system": "kantata", "action": "approve_time_entry", "id": rid},
    )
    assert again.status_code == 400 and "does not apply" in again.json()["error"]


def test_record_a_payment_against_a_netsuite_invoice(sandbox):
    rid = _store_record(sandbox, "acme", "netsuite", "invoice", "status=open")
    page = _record_page(sandbox, "acme", "netsuite", "invoice", rid)
    remaining = float(re.search(r"name='amount' value='([^']+)'", page.text).group(1))
    assert remaining > 0
    resp = sandbox.admin_request(
        "POST",
        "actions",
        json={"tenant": "acme", "system": "netsuite", "action": "record_payment", "id": rid, "amount": "10"},
    )
    assert resp.status_code == 200, resp.text
    token = sandbox.http.post(
        sandbox.url + "/netsuite/ACME/services/rest/auth/oauth2/v1/token",
        data={"grant_type": "client_credentials", "client_id": "acme-client", "client_secret": "acme-secret"},
    ).json()["access_token"]
    invoice = sandbox.http.get(
        sandbox.url + f"/netsuite/ACME/services/rest/record/v1/invoice/{rid}",
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    assert invoice["amountRemaining"] == pytest.approx(remaining - 10)


def test_bad_action_input_comes_back_as_an_escaped_error(sandbox):
    rid = _store_record(sandbox, "acme", "netsuite", "invoice", "status=open")
    location, query = _back(
        _post_form(
            sandbox,
            "/_admin/actions",
            {
                "tenant": "acme",
                "system": "netsuite",
                "action": "record_payment",
                "id": rid,
                "amount": "<b>lots</b>",
                "return_to": "/",
            },
        )
    )
    assert query["error"] == "Amount must be a number"
    evil = sandbox.http.get(sandbox.url + "/", params={"error": "<script>alert(1)</script>"})
    assert (
        "<script>alert(1)</script>" not in evil.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in evil.text
    )
    unknown = sandbox.admin_request(
        "POST", "actions", json={"tenant": "acme", "system": "netsuite", "action": "nope", "id": rid}
    )
    assert unknown.status_code == 400 and "record_payment" in unknown.json()["error"]
    off_site = _back(
        _post_form(
            sandbox, "/_admin/actions", {"tenant": "acme", "system": "x", "return_to": "//evil.test/x"}
        )
    )[0]
    assert off_site.startswith("/?")  # return_to is only ever a path on the sandbox


def test_inject_and_clear_faults_from_the_faults_page(sandbox):
    page = sandbox.http.get(sandbox.url + "/_sandbox/faults")
    assert page.status_code == 200 and "data-testid='no-faults'" in page.text
    _, query = _back(
        _post_form(
            sandbox,
            "/_admin/faults",
            {
                "system": "netsuite",
                "tenant": "acme",
                "kind": "status",
                "status": "429",
                "retry_after": "3",
                "count": "-1",
                "method": "",
                "path_prefix": "",
                "latency_ms": "",
                "return_to": "/_sandbox/faults",
            },
        )
    )
    assert query["done"].startswith("fault ")
    listed = sandbox.http.get(sandbox.url + "/_sandbox/faults").text
    assert "until cleared" in listed and "acme" in listed
    token = sandbox.http.post(
        sandbox.url + "/netsuite/ACME/services/rest/auth/oauth2/v1/token",
        data={"grant_type": "client_credentials", "client_id": "acme-client", "client_secret": "acme-secret"},
    )
    assert token.status_code == 429 and token.headers["Retry-After"] == "3"
    assert token.json()["o:errorDetails"]  # NetSuite's error shape
    fault_id = sandbox.admin_request("GET", "faults").json()["faults"][0]["id"]
    _back(_post_form(sandbox, f"/_admin/faults/{fault_id}/delete", {"return_to": "/_sandbox/faults"}))
    assert sandbox.admin_request("GET", "faults").json()["faults"] == []
    sandbox.admin_request(
        "POST", "faults", json={"system": "kantata", "kind": "latency", "latency_ms": 10, "count": 5}
    )
    _, query = _back(
        _post_form(
            sandbox, "/_admin/faults/clear", {"system": "", "tenant": "", "return_to": "/_sandbox/faults"}
        )
    )
    assert (
        query["done"] == "1 faults cleared" and sandbox.admin_request("GET", "faults").json()["faults"] == []
    )
    bad = _back(_post_form(sandbox, "/_admin/faults", {"kind": "explode", "return_to": "/_sandbox/faults"}))[
        1
    ]
    assert "kind must be one of" in bad["error"]


def test_webhooks_page_registers_and_shows_deliveries(sandbox):
    _, query = _back(
        _post_form(
            sandbox,
            "/_admin/webhooks",
            {
                "tenant": "initech",
                "system": "salesforce",
                "object": "Account",
                "url": "http://127.0.0.1:9/nowhere",
                "return_to": "/_sandbox/webhooks",
            },
        )
    )
    assert query["done"].startswith("webhook ")
    token = sandbox.http.post(
        sandbox.url + SF_TOKEN,
        data={
            "grant_type": "client_credentials",
            "client_id": "initech-client",
            "client_secret": "initech-secret",
        },
    ).json()["access_token"]
    sandbox.http.post(
        sandbox.url + "/salesforce/services/data/v60.0/sobjects/Account",
        headers={"Authorization": f"Bearer {token}"},
        json={"Name": "<i>Hooked</i> Initech"},
    )
    deadline = time.monotonic() + 5
    while (
        time.monotonic() < deadline
        and not sandbox.admin_request("GET", "webhooks/deliveries?tenant=initech").json()["deliveries"]
    ):
        time.sleep(0.05)
    page = sandbox.http.get(sandbox.url + "/_sandbox/webhooks", params={"tenant": "initech"})
    assert "http://127.0.0.1:9/nowhere" in page.text and "Connection refused" in page.text
    hook_id = sandbox.admin_request("GET", "webhooks?tenant=initech").json()["webhooks"][0]["id"]
    _back(_post_form(sandbox, f"/_admin/webhooks/{hook_id}/delete", {"return_to": "/_sandbox/webhooks"}))
    assert sandbox.admin_request("GET", "webhooks?tenant=initech").json()["webhooks"] == []


def test_tenants_page_shows_ids_urls_and_clients(sandbox):
    page = sandbox.http.get(sandbox.url + "/_sandbox/tenants")
    assert page.status_code == 200
    assert "/netsuite/GLOBEX/services/rest/auth/oauth2/v1/token" in page.text and "globex-client" in page.text


@pytest.mark.parametrize(
    "headers",
    [
        {},  # a form post with neither Origin nor Referer
        {"Origin": "http://evil.test"},
        {"Referer": "http://evil.test/page"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site", "Referer": "http://evil.test/"},
    ],
)
def test_cross_site_form_posts_are_refused(sandbox, headers):
    resp = sandbox.http.post(
        sandbox.url + "/_admin/faults",
        data={"kind": "status", "status": "500"},
        headers=headers,
        allow_redirects=False,
    )
    assert resp.status_code == 403
    assert sandbox.admin_request("GET", "faults").json()["faults"] == []


def test_rebound_host_names_are_refused(sandbox):
    port = urlsplit(sandbox.url).port
    resp = sandbox.http.post(
        sandbox.url + "/_admin/reset",
        headers={"Host": f"attacker.example:{port}", "Origin": f"http://attacker.example:{port}"},
    )
    assert resp.status_code == 403


def test_a_same_origin_referer_is_enough(sandbox):
    resp = _post_form(
        sandbox,
        "/_admin/faults/clear",
        {"return_to": "/_sandbox/faults"},
        origin=False,
        Referer=sandbox.url + "/_sandbox/faults",
    )
    assert resp.status_code == 303
