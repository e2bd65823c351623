"""Run history at scale: filters by status, flow, origin (trigger), time range and business key, paging,
tenant isolation (PostgreSQL: JSON containment and text search on the stored input)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from flowbuilder.execution import actions as run_actions
from flowbuilder.execution.models import Run, RunOrigin, RunStatus

from .mixins import result_ids


@pytest.fixture
def runs(world):
    """Runs in ``a`` and one in ``b`` carrying the same opportunity id."""
    flow = world.make_flow(world.a, name="Closed won", published=True)
    other = world.make_flow(world.a, name="Invoices", published=True)
    theirs = world.make_flow(world.b, name="Theirs", published=True)
    admin = world.users["admin"]

    def run(f, items, origin=RunOrigin.WEBHOOK, status=RunStatus.SUCCEEDED, age_days=0, actor=admin):
        r = run_actions.start_run(actor=actor, flow=f, input_items=items, origin=origin)
        Run.objects.filter(pk=r.pk).update(
            status=status, created_at=timezone.now() - timedelta(days=age_days)
        )
        return r.pk

    return {
        "won": run(flow, [{"Opportunity": {"Id": "006Ax01", "Amount": 2500}, "StageName": "Closed Won"}]),
        "won_old": run(flow, [{"Opportunity": {"Id": "006Ax02"}}], age_days=10, status=RunStatus.FAILED),
        "invoice": run(other, [{"invoice": 4711, "customer": "006Ax01-not"}], origin=RunOrigin.SCHEDULE),
        "manual": run(flow, [{"note": "no key"}], origin=RunOrigin.MANUAL, status=RunStatus.FAILED),
        "theirs": run(theirs, [{"Opportunity": {"Id": "006Ax01"}}], actor=world.b_admin),
        "flow": flow.pk,
    }


def ids(client, **query):
    return result_ids(client.get("/api/runs/", query))


def test_business_key_finds_the_run_by_a_value_anywhere_in_its_input(client_as, runs):
    client = client_as("viewer")
    assert ids(client, business_key="006Ax01") == {runs["won"]}  # exact value: not "006Ax01-not"
    assert ids(client, business_key="Opportunity.Id=006Ax02") == {runs["won_old"]}
    assert ids(client, business_key="Opportunity.Id=006Ax01") == {runs["won"]}
    assert ids(client, business_key="4711") == {runs["invoice"]}  # a number as a whole value
    assert ids(client, business_key="invoice=4711") == {runs["invoice"]}
    assert ids(client, business_key="47") == set()
    assert ids(client, business_key="Closed Won") == {runs["won"]}
    assert ids(client, business_key="nothing-like-it") == set()


def test_business_key_never_crosses_tenants(client_as, runs):
    assert ids(client_as("b_admin"), business_key="006Ax01") == {runs["theirs"]}
    assert ids(client_as("b_admin"), business_key="Opportunity.Id=006Ax01") == {runs["theirs"]}
    assert runs["theirs"] not in ids(client_as("admin"), business_key="006Ax01")
    assert ids(client_as("stranger"), business_key="006Ax01") == set()


def test_filters_combine_status_flow_origin_and_time_range(client_as, runs):
    client = client_as("operator")
    assert ids(client, status="failed") == {runs["won_old"], runs["manual"]}
    assert ids(client, flow=runs["flow"], status="failed") == {runs["won_old"], runs["manual"]}
    assert ids(client, origin="schedule") == {runs["invoice"]}
    assert ids(client, origin="webhook", flow=runs["flow"]) == {runs["won"], runs["won_old"]}
    week_ago = (timezone.now() - timedelta(days=7)).isoformat()
    assert runs["won_old"] not in ids(client, created_after=week_ago)
    assert ids(client, created_before=week_ago) == {runs["won_old"]}
    assert ids(client, created_before=week_ago, business_key="006Ax02") == {runs["won_old"]}


def test_pages_are_stable_and_complete(client_as, runs):
    client = client_as("viewer")
    first = client.get("/api/runs/", {"limit": 2}).json()
    second = client.get("/api/runs/", {"limit": 2, "offset": 2}).json()
    assert first["count"] == 4 and len(first["results"]) == 2 and first["next"]
    seen = [r["id"] for r in first["results"] + second["results"]]
    assert len(set(seen)) == 4 and seen == sorted(seen, reverse=True)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"created_after": "yesterday"}, "created_after"),
        ({"created_before": "2026-13-01"}, "created_before"),
        ({"origin": "telepathy"}, "origin"),
        ({"business_key": "x" * 201}, "business_key"),
    ],
)
def test_bad_filters_are_400_naming_the_field(client_as, runs, query, field):
    response = client_as("viewer").get("/api/runs/", query)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]


def test_path_search_uses_json_containment_on_postgresql(client_as, runs):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    from flowbuilder.execution.search import filter_by_business_key

    sql = str(filter_by_business_key(Run.objects.all(), "Opportunity.Id=006Ax01").query)
    assert "@>" in sql
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'run_input_items_gin'")
        assert "jsonb_path_ops" in cursor.fetchone()[0]
