"""`manage.py load_demo` against a running sandbox gives each demo customer its own sandbox tenant: a
Closed Won in Acme's Salesforce org starts Acme's quote-to-project flow and nothing of Globex's, even for
an opportunity that Globex's filter would take (when both shared one org, it fired both customers' flows).

Real parts: the sandbox over HTTP, the Celery worker and beat subprocesses, PostgreSQL and Redis.
"""

from __future__ import annotations

import io
import json
import time
import uuid
from datetime import timedelta
from typing import Any

import pytest
import requests
from django.core.management import call_command
from django.utils import timezone

from flowbuilder.credentials import runtime
from flowbuilder.credentials.models import Connection
from flowbuilder.execution.models import Run
from flowbuilder.flows.models import Flow
from flowbuilder.triggers.models import PollingState

from .conftest import wait_for_first_polls, wait_for_flows

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

API = "/salesforce/services/data/v60.0"


@pytest.fixture(scope="session")
def subprocess_env(subprocess_env: dict[str, str]) -> dict[str, str]:
    """Beat looks for due polling triggers every second."""
    return {**subprocess_env, "FLOWBUILDER_POLL_TICK_S": "1"}


def _salesforce(sandbox_url: str, tenant: str) -> requests.Session:
    http = requests.Session()
    token = http.post(
        sandbox_url + "/salesforce/services/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": f"{tenant}-client",
            "client_secret": f"{tenant}-secret",
        },
        timeout=30,
    ).json()["access_token"]
    http.headers["Authorization"] = f"Bearer {token}"
    return http


def _won(http: requests.Session, url: str, name: str, deal_type: str) -> str:
    account = http.post(f"{url}{API}/sobjects/Account", json={"Name": f"{name} account"}, timeout=30).json()[
        "id"
    ]
    opp = http.post(
        f"{url}{API}/sobjects/Opportunity",
        json={
            "Name": name,
            "AccountId": account,
            "StageName": "Negotiation/Review",
            "CloseDate": "2026-03-01",
            "Type": deal_type,
        },
        timeout=30,
    ).json()["id"]
    won = http.patch(f"{url}{API}/sobjects/Opportunity/{opp}", json={"StageName": "Closed Won"}, timeout=30)
    assert won.status_code == 204
    return opp


def _runs_mentioning(flows: Any, needle: str) -> list[int]:
    return [run.pk for run in Run.objects.filter(flow__in=flows) if needle in json.dumps(run.input_items)]


def test_a_closed_won_in_acmes_org_starts_only_acmes_flow(worker, start_beat, sandbox, settings):
    runtime.clear_cache()
    settings.SANDBOX_URL = sandbox.url
    call_command("load_demo", stdout=io.StringIO())

    acme_flows = Flow.objects.filter(organisation__slug="acme-consulting", published_version__isnull=False)
    globex_flows = Flow.objects.filter(organisation__slug="globex-advisory", published_version__isnull=False)
    quote = {
        "acme": acme_flows.get(name__icontains="quote to project"),
        "globex": globex_flows.get(name__icontains="quote to project"),
    }
    # Each customer's connections name its own tenant: its own client, its own NetSuite account.
    connections = {
        slug: {c.connector: c for c in Connection.objects.filter(organisation=flow.organisation)}
        for slug, flow in quote.items()
    }
    assert connections["acme"]["salesforce"].credentials["client_id"] == "acme-client"
    assert connections["globex"]["netsuite"].base_url == sandbox.url + "/netsuite/GLOBEX"
    # Initech's Business Central is the company that uses VAT; its billing maps a VAT code per kind of
    # line (checked against that company's taxGroups when it was cloned and published).
    initech_bc = Connection.objects.get(organisation__slug="initech-services", connector="dynamics")
    assert initech_bc.config["company_name"] == "Northwind Advisory UK Ltd"
    billing = Flow.objects.get(
        organisation__slug="initech-services",
        name__icontains="project to billing",
        published_version__isnull=False,
    )
    [plan] = [n for n in billing.published_version.document["nodes"] if n["id"] == "plan"]
    assert plan["config"]["tax_codes"] == {
        "default": {"time": "STANDARD", "expense": "STANDARD", "milestone": "STANDARD"}
    }
    bc = runtime.open_connection(initech_bc.organisation_id, initech_bc.ref)
    assert bc.find_references("tax_group", ["STANDARD", "VAT20"]) == {"STANDARD": "Standard rate VAT 20%"}

    start_beat()
    wait_for_first_polls(quote)
    tag = uuid.uuid4().hex[:6]
    acme = _salesforce(sandbox.url, "acme")
    new_business = _won(acme, sandbox.url, f"{tag} Acme new business", "New Business")  # Acme's filter
    # Globex's filter takes Existing Business: had both customers shared one org, this would start Globex's.
    existing_business = _won(acme, sandbox.url, f"{tag} Acme existing business", "Existing Business")
    changed_at = timezone.now() + timedelta(seconds=6)

    wait_for_flows(
        quote,
        lambda: _runs_mentioning([quote["acme"]], new_business),
        60,
        "Acme's flow never took its Closed Won",
    )
    # Let Globex's trigger poll again after the changes (its interval is 5 s): it must not see Acme's org.
    state = PollingState.objects.get(flow=quote["globex"])
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline and not (state.last_success_at and state.last_success_at > changed_at):
        time.sleep(0.3)
        state.refresh_from_db()
    assert state.last_success_at and state.last_success_at > changed_at, "Globex's trigger stopped polling"
    assert _runs_mentioning(globex_flows, new_business) == []
    assert _runs_mentioning(globex_flows, existing_business) == []  # its filter matches, its org does not
    assert _runs_mentioning([quote["acme"]], existing_business) == []  # Acme's filter is New Business
    # And Globex's own org still answers for Globex: the same change there does reach Globex's flow.
    globex = _salesforce(sandbox.url, "globex")
    theirs = _won(globex, sandbox.url, f"{tag} Globex existing business", "Existing Business")
    wait_for_flows(
        quote, lambda: _runs_mentioning([quote["globex"]], theirs), 60, "Globex's flow never took its deal"
    )
    assert _runs_mentioning(acme_flows, theirs) == []
