"""Tenants: each demo customer's own org/account/company in every system, with its own seeded records,
clients and tokens, webhooks and faults; the default tenant keeps the single-tenant data exactly."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import requests

from sandbox.platform.store import Store
from sandbox.runner import start_sandbox
from sandbox.seed import seed_all
from tests.support.sandbox import unlimited_config

SF_QUERY = "/salesforce/services/data/v60.0/query"
SF_TOKEN = "/salesforce/services/oauth2/token"


def _token(sandbox, tenant, system="salesforce", path=SF_TOKEN):
    client = ("sandbox", "sandbox") if tenant == "default" else (tenant, tenant)
    form = {
        "grant_type": "client_credentials",
        "client_id": f"{client[0]}-client",
        "client_secret": f"{client[1]}-secret",
    }
    resp = sandbox.http.post(sandbox.url + path, data=form)
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def _accounts(sandbox, headers, where=""):
    soql = f"SELECT Id, Name FROM Account {where} ORDER BY Id LIMIT 5"
    return sandbox.http.get(sandbox.url + SF_QUERY, params={"q": soql}, headers=headers).json()["records"]


def test_the_demo_tenants_are_listed_with_their_ids_and_urls(sandbox):
    tenants = {t["name"]: t for t in sandbox.admin_request("GET", "tenants").json()["tenants"]}
    assert set(tenants) >= {"default", "acme", "globex", "initech"}
    acme = tenants["acme"]["systems"]
    assert acme["netsuite"]["id"] == "ACME" and acme["netsuite"]["api_base"] == sandbox.url + "/netsuite/ACME"
    assert acme["salesforce"]["id"].startswith("00D") and len(acme["salesforce"]["id"]) == 18
    assert acme["dynamics"]["token_url"].endswith(f"/dynamics/{acme['dynamics']['id']}/oauth2/v2.0/token")
    assert acme["kantata"]["default_client"] == {"client_id": "acme-client", "client_secret": "acme-secret"}
    ids = {t["systems"]["salesforce"]["id"] for t in tenants.values()}
    assert len(ids) == len(tenants)  # one org each


def test_each_tenant_has_its_own_seeded_records_and_writes(sandbox):
    acme, globex, default = _token(sandbox, "acme"), _token(sandbox, "globex"), _token(sandbox, "default")
    assert _accounts(sandbox, acme) != _accounts(sandbox, globex)  # different seeds, different firms' books
    created = sandbox.http.post(
        sandbox.url + "/salesforce/services/data/v60.0/sobjects/Account",
        headers=acme,
        json={"Name": "Only In Acme"},
    )
    assert created.status_code == 201
    where = "WHERE Name = 'Only In Acme'"
    assert len(_accounts(sandbox, acme, where)) == 1
    assert _accounts(sandbox, globex, where) == [] and _accounts(sandbox, default, where) == []
    # An id from one org is not found in another.
    rid = created.json()["id"]
    other = sandbox.http.get(
        sandbox.url + f"/salesforce/services/data/v60.0/sobjects/Account/{rid}", headers=globex
    )
    assert other.status_code == 404 or other.json()["Name"] != "Only In Acme"


def test_default_tenant_is_the_single_tenant_seed_byte_for_byte(tmp_path):
    # A fixed anchor: with "today" the two seeds differ when the test runs across midnight UTC.
    config = unlimited_config(seed_anchor="2026-03-02")
    url, stop = start_sandbox(0, tmp_path / "box", config=config)
    try:  # touch other tenants too: their seeding must not disturb the default tenant's records
        for client in ("acme", "globex"):
            assert requests.post(
                url + SF_TOKEN,
                data={
                    "grant_type": "client_credentials",
                    "client_id": f"{client}-client",
                    "client_secret": f"{client}-secret",
                },
            ).ok
    finally:
        stop()
    served, plain = Store(tmp_path / "box"), Store(tmp_path / "plain")
    counts = seed_all(plain, seed=config.seed, anchor=config.seed_anchor)
    try:
        for system, objects in counts.items():
            for obj in objects:
                assert json.dumps(served.all(system, obj)) == json.dumps(plain.all(system, obj)), (
                    system,
                    obj,
                )
        assert served.for_tenant("acme").all("salesforce", "Account") != plain.all("salesforce", "Account")
    finally:
        served.close()
        plain.close()


def test_tenant_seeds_are_reproducible(tmp_path):
    names = []
    for run in ("one", "two"):
        url, stop = start_sandbox(0, tmp_path / run, config=unlimited_config())
        try:
            headers = _token_direct(url, "globex-client", "globex-secret")
            soql = "SELECT Name FROM Account ORDER BY Id LIMIT 10"
            names.append(
                [
                    r["Name"]
                    for r in requests.get(url + SF_QUERY, params={"q": soql}, headers=headers).json()[
                        "records"
                    ]
                ]
            )
        finally:
            stop()
    assert names[0] == names[1] and len(names[0]) == 10


def _token_direct(url, client_id, secret):
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    return {"Authorization": f"Bearer {requests.post(url + SF_TOKEN, data=form).json()['access_token']}"}


def test_faults_can_target_one_tenant(sandbox):
    acme, globex = _token(sandbox, "acme"), _token(sandbox, "globex")
    sandbox.admin_request(
        "POST",
        "faults",
        json={
            "system": "salesforce",
            "tenant": "acme",
            "kind": "status",
            "status": 429,
            "retry_after": 7,
            "count": -1,
        },
    )
    hit = sandbox.http.get(
        sandbox.url + SF_QUERY, params={"q": "SELECT Id FROM Account LIMIT 1"}, headers=acme
    )
    spared = sandbox.http.get(
        sandbox.url + SF_QUERY, params={"q": "SELECT Id FROM Account LIMIT 1"}, headers=globex
    )
    assert hit.status_code == 429 and hit.headers["Retry-After"] == "7"
    assert hit.json()[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
    assert spared.status_code == 200
    bad = sandbox.admin_request("POST", "faults", json={"tenant": "nobody", "kind": "status"})
    assert bad.status_code == 400 and "unknown tenant" in bad.json()["error"]


def test_expire_tokens_fault_of_one_tenant_spares_the_others(sandbox):
    acme, globex = _token(sandbox, "acme"), _token(sandbox, "globex")
    sandbox.admin_request(
        "POST", "faults", json={"system": "salesforce", "tenant": "acme", "kind": "expire_tokens"}
    )
    q = {"q": "SELECT Id FROM Account LIMIT 1"}
    assert sandbox.http.get(sandbox.url + SF_QUERY, params=q, headers=acme).status_code == 401
    assert sandbox.http.get(sandbox.url + SF_QUERY, params=q, headers=globex).status_code == 200


class _Receiver(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):  # noqa: N802
        _Receiver.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        body = b'{"accepted": "<yes>"}'
        self.send_response(202)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_webhooks_are_per_tenant_and_their_answers_are_logged(sandbox):
    _Receiver.received = []
    receiver = HTTPServer(("127.0.0.1", 0), _Receiver)
    receiver.disable_nagle_algorithm = True
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
        hook = sandbox.admin_request(
            "POST",
            "webhooks",
            json={"tenant": "acme", "system": "salesforce", "object": "Account", "url": url},
        )
        assert hook.status_code == 201 and hook.json()["tenant"] == "acme"
        for tenant in ("globex", "acme"):
            sandbox.http.post(
                sandbox.url + "/salesforce/services/data/v60.0/sobjects/Account",
                headers=_token(sandbox, tenant),
                json={"Name": f"Hooked {tenant}"},
            )
        import time

        deadline = time.monotonic() + 5
        while (
            time.monotonic() < deadline
            and not sandbox.admin_request("GET", "webhooks/deliveries?tenant=acme").json()["deliveries"]
        ):
            time.sleep(0.05)
        assert [r["record"]["Name"] for r in _Receiver.received] == ["Hooked acme"]
        assert _Receiver.received[0]["tenant"] == "acme"
        [delivery] = sandbox.admin_request("GET", "webhooks/deliveries?tenant=acme").json()["deliveries"]
        assert delivery["status"] == 202 and delivery["answer"] == '{"accepted": "<yes>"}'
        assert delivery["event"] == "created" and delivery["url"] == url
    finally:
        receiver.shutdown()
        receiver.server_close()


def test_stats_count_per_tenant(sandbox):
    sandbox.admin_request("DELETE", "stats")
    headers = _token(sandbox, "initech")
    sandbox.http.get(sandbox.url + SF_QUERY, params={"q": "SELECT Id FROM Account LIMIT 1"}, headers=headers)
    stats = sandbox.admin_request("GET", "stats").json()
    assert stats["tenants"]["initech"]["salesforce"]["by_object"] == {"GET Account": 1}
    assert stats["systems"]["salesforce"]["total"] >= 1


def test_a_new_tenant_can_be_added_and_reset(sandbox):
    created = sandbox.admin_request("POST", "tenants", json={"name": "umbrella", "title": "Umbrella Corp"})
    assert created.status_code == 201 and created.json()["systems"]["netsuite"]["id"] == "UMBRELLA"
    assert sandbox.admin_request("POST", "tenants", json={"name": "Bad Name!"}).status_code == 400
    headers = _token(sandbox, "umbrella")
    assert _accounts(sandbox, headers)
    sandbox.http.post(
        sandbox.url + "/salesforce/services/data/v60.0/sobjects/Account",
        headers=headers,
        json={"Name": "Umbrella temp"},
    )
    assert sandbox.admin_request("POST", "tenants/umbrella/reset").status_code == 200
    assert _accounts(sandbox, headers, "WHERE Name = 'Umbrella temp'") == []
    counts = sandbox.admin_request("GET", "counts?tenant=umbrella").json()
    assert counts["netsuite"]["customer"] > 0
