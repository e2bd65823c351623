"""Cross-system behaviour: rate limits, faults, stats, webhooks, persistence, browse pages, seeding, CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from sandbox.platform.store import Store
from sandbox.runner import start_sandbox
from sandbox.seed import seed_all
from tests.support.sandbox import SEED_ANCHOR, unlimited_config

CUSTOMERS = "/netsuite/services/rest/record/v1/customer"
REPO = Path(__file__).resolve().parents[4]


def test_rate_limit_returns_429_with_retry_after(sandbox):
    sandbox.admin_request("POST", "config", json={"rate_limits": {"kantata": 5}})
    headers = sandbox.auth("kantata")  # the token request counts as one of the five
    statuses = []
    for _ in range(10):
        resp = sandbox.http.get(
            sandbox.url + "/kantata/api/v1/users", headers=headers, params={"per_page": 1}
        )
        statuses.append(resp.status_code)
        if resp.status_code == 429:
            assert int(resp.headers["Retry-After"]) >= 1
            assert resp.json()["errors"][0]["type"] == "rate_limit"
    assert 200 in statuses and 429 in statuses
    time.sleep(1.05)
    assert sandbox.http.get(sandbox.url + "/kantata/api/v1/users", headers=headers).status_code == 200
    # Other systems have their own budget.
    assert sandbox.http.get(sandbox.url + CUSTOMERS, headers=sandbox.auth("netsuite")).status_code == 200


def test_status_fault_hits_count_requests_then_clears(sandbox):
    headers = sandbox.auth("netsuite")
    added = sandbox.admin_request(
        "POST",
        "faults",
        json={
            "system": "netsuite",
            "path_prefix": "/services/rest/record",
            "kind": "status",
            "status": 503,
            "count": 2,
        },
    )
    assert added.status_code == 201
    codes = [sandbox.http.get(sandbox.url + CUSTOMERS, headers=headers).status_code for _ in range(3)]
    assert codes == [503, 503, 200]
    # A fault on one path prefix leaves the others alone.
    sandbox.admin_request(
        "POST",
        "faults",
        json={
            "system": "netsuite",
            "path_prefix": "/services/rest/query",
            "kind": "status",
            "status": 500,
            "count": 1,
        },
    )
    assert sandbox.http.get(sandbox.url + CUSTOMERS, headers=headers).status_code == 200
    assert sandbox.admin_request("GET", "faults").json()["faults"][0]["path_prefix"] == "/services/rest/query"
    assert sandbox.admin_request("DELETE", "faults").status_code == 204
    assert sandbox.admin_request("GET", "faults").json()["faults"] == []


def test_fault_body_uses_the_systems_error_shape(sandbox):
    headers = sandbox.auth("salesforce")
    sandbox.admin_request("POST", "faults", json={"system": "salesforce", "kind": "status", "status": 500})
    resp = sandbox.http.get(sandbox.url + "/salesforce/services/data/v60.0/sobjects", headers=headers)
    assert resp.status_code == 500 and resp.json()[0]["errorCode"]


def test_latency_and_timeout_faults(sandbox):
    headers = sandbox.auth("dynamics")
    url = sandbox.url + "/dynamics/api/v2.0/companies"
    sandbox.admin_request("POST", "faults", json={"system": "dynamics", "kind": "latency", "latency_ms": 300})
    started = time.monotonic()
    assert sandbox.http.get(url, headers=headers).status_code == 200
    assert time.monotonic() - started >= 0.3
    sandbox.admin_request(
        "POST", "faults", json={"system": "dynamics", "kind": "timeout", "latency_ms": 1500}
    )
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(url, headers=headers, timeout=0.4)
    assert requests.get(url, headers=headers, timeout=5).status_code == 200


def test_bad_fault_spec_is_rejected(sandbox):
    assert sandbox.admin_request("POST", "faults", json={"kind": "explode"}).status_code == 400
    assert (
        sandbox.admin_request("POST", "faults", json={"kind": "status", "system": "sap"}).status_code == 400
    )


def test_stats_count_requests_per_system_method_path_and_object(sandbox):
    sandbox.admin_request("DELETE", "stats")
    headers = sandbox.auth("netsuite")
    for n in range(3):
        sandbox.http.post(
            sandbox.url + CUSTOMERS,
            headers=headers,
            json={"companyName": f"Stats {n}", "subsidiary": {"id": "1"}},
        )
    sandbox.http.get(sandbox.url + CUSTOMERS, headers=headers)
    stats = sandbox.admin_request("GET", "stats").json()["systems"]["netsuite"]
    assert stats["by_path"]["POST /services/rest/record/v1/customer"] == 3
    assert stats["by_object"]["POST customer"] == 3 and stats["by_object"]["GET customer"] == 1
    assert stats["by_method"]["POST"] == 4  # three creates and the token request
    assert stats["by_status"]["204"] == 3


class _Receiver(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_webhooks_are_delivered_to_a_local_receiver(sandbox):
    _Receiver.received = []
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        hook_url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
        hook = sandbox.admin_request(
            "POST", "webhooks", json={"system": "salesforce", "object": "Account", "url": hook_url}
        )
        assert hook.status_code == 201
        headers = sandbox.auth("salesforce")
        api = sandbox.url + "/salesforce/services/data/v60.0/sobjects"
        created = sandbox.http.post(api + "/Account", headers=headers, json={"Name": "Hooked Ltd"}).json()
        sandbox.http.patch(api + f"/Account/{created['id']}", headers=headers, json={"Industry": "Media"})
        sandbox.http.post(api + "/Contact", headers=headers, json={"LastName": "Not subscribed"})
        deadline = time.monotonic() + 5
        while len(_Receiver.received) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        events = [(e["event"], e["object"], e["record"]["Id"]) for e in _Receiver.received]
        assert events == [("created", "Account", created["id"]), ("updated", "Account", created["id"])]
        assert _Receiver.received[1]["record"]["Industry"] == "Media"
        assert _Receiver.received[0]["system"] == "salesforce"
    finally:
        receiver.shutdown()
        receiver.server_close()


def test_webhook_url_must_be_http(sandbox):
    bad = sandbox.admin_request("POST", "webhooks", json={"system": "kantata", "url": "file:///etc/passwd"})
    assert bad.status_code == 400


def test_state_survives_a_restart_and_reset_reseeds(tmp_path):
    url, stop = start_sandbox(0, tmp_path, config=unlimited_config(seed_anchor=SEED_ANCHOR))
    try:
        token = requests.post(
            url + "/netsuite/services/rest/auth/oauth2/v1/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "sandbox-client",
                "client_secret": "sandbox-secret",
            },
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        assert (
            requests.put(
                url + CUSTOMERS + "/eid:PERSIST-1",
                headers=headers,
                json={"companyName": "Persistent Inc", "subsidiary": {"id": "1"}},
            ).status_code
            == 204
        )
    finally:
        stop()
    url, stop = start_sandbox(0, tmp_path, config=unlimited_config(seed_anchor=SEED_ANCHOR))
    try:
        # Same data directory: the record and even the access token are still there.
        again = requests.get(url + CUSTOMERS + "/eid:PERSIST-1", headers=headers)
        assert again.status_code == 200 and again.json()["companyName"] == "Persistent Inc"
        reset = requests.post(url + "/_admin/reset")
        assert reset.status_code == 200 and reset.json()["counts"]["netsuite"]["customer"] == 140
        assert requests.get(url + CUSTOMERS + "/eid:PERSIST-1", headers=headers).status_code == 404
    finally:
        stop()
    url, stop = start_sandbox(0, tmp_path, config=unlimited_config(seed_anchor=SEED_ANCHOR), reset=True)
    stop()


def test_browse_pages_escape_record_text(sandbox):
    headers = sandbox.auth("salesforce")
    evil = "<script>alert('x')</script> & Co"
    sandbox.http.post(
        sandbox.url + "/salesforce/services/data/v60.0/sobjects/Account", headers=headers, json={"Name": evil}
    )
    index = sandbox.http.get(sandbox.url + "/")
    assert index.status_code == 200 and "pse__Proj__c" in index.text and "time_entries" in index.text
    page = sandbox.http.get(sandbox.url + "/salesforce/_browse", params={"object": "Account"})
    assert page.status_code == 200 and 'http-equiv="refresh"' in page.text
    assert "<script>" not in page.text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; Co" in page.text
    first_row = page.text.split("<tbody><tr>", 1)[1].split("</tr>", 1)[0]
    assert "&lt;script&gt;" in first_row  # newest change first
    assert "script-src" not in page.headers["Content-Security-Policy"]
    assert sandbox.http.get(sandbox.url + "/salesforce/_browse", params={"object": "<x>"}).status_code == 404


def test_seed_is_deterministic_and_believable(tmp_path):
    # How fast it seeds is a figure, not an assertion: it doubled on a loaded machine.
    one, two = Store(tmp_path / "a"), Store(tmp_path / "b")
    counts = seed_all(one, seed=7, anchor="2026-06-30")
    assert seed_all(two, seed=7, anchor="2026-06-30") == counts
    assert one.all("netsuite", "customer") == two.all("netsuite", "customer")
    assert counts["kantata"]["users"] == 300 and counts["kantata"]["time_entries"] > 2000
    assert 140 <= counts["salesforce"]["Account"] <= 160
    assert counts["salesforce"]["OpportunityLineItem"] > 0 and counts["dynamics"]["salesInvoiceLines"] > 0
    crm = {a["Name"] for a in one.all("salesforce", "Account")}
    erp = {c["companyName"] for c in one.all("netsuite", "customer")}
    assert crm & erp, "some ERP customers are spelled exactly like the CRM account"
    assert len(erp - crm) > 40, "and many are spelling variants or ERP-only customers"
    one.close()
    two.close()


def test_cli_serves_and_refuses_non_loopback(tmp_path):
    refused = subprocess.run(
        [sys.executable, "-m", "sandbox", "--host", "0.0.0.0", "--data-dir", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert refused.returncode == 2
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--port", "0", "--data-dir", str(tmp_path)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", line).group(0)
        assert requests.get(url + "/", timeout=5).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
