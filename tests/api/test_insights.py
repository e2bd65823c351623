"""Operational intelligence endpoints: tenant isolation (generic mixins), roles, audit and validation."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.utils import timezone

from flowbuilder.credentials.models import Connection
from flowbuilder.observability.insight_models import (
    BusinessCalendar,
    BusinessRecord,
    BusinessSystems,
    KpiDefinition,
    KpiValue,
    ReconciliationDifference,
    ReconciliationPolicy,
    ReconciliationReport,
    SlaEvaluation,
    SlaPolicy,
)
from flowbuilder.observability.trace import index_records

from .mixins import (
    Act,
    ActionTests,
    CreateTests,
    DeleteTests,
    DetailTests,
    ListTests,
    UpdateTests,
    assert_not_found,
)

NOW = timezone.now()


def connection(org: Any, connector: str = "salesforce") -> Connection:
    return Connection.objects.create(
        organisation=org,
        name=f"{connector} of {org.name} {uuid.uuid4().hex[:6]}",
        connector=connector,
        base_url="https://sf.example.test",
        credential_type="oauth2",
        credentials={"client_id": "x"},
    )


class TestSlaPolicies(ListTests, DetailTests, CreateTests, UpdateTests, DeleteTests):
    url_base = "/api/sla-policies/"
    model = SlaPolicy
    create_audit_action = "sla.save"
    update_audit_action = "sla.save"
    delete_audit_action = "sla.delete"
    update_payload = {"name": "Renamed", "target": 2}

    def make(self, world, org):
        return SlaPolicy.objects.create(
            organisation=org, name="Paid to CRM", subject="paid_to_crm", target=4, unit="business_hours"
        )

    def create_payload(self, world, org):
        return {
            "organisation": org.id,
            "name": "Paid",
            "subject": "paid_to_crm",
            "target": 1,
            "unit": "business_days",
        }

    def assert_updated(self, obj, payload):
        obj.refresh_from_db()
        assert obj.name == "Renamed" and obj.target == Decimal(2)

    def test_flow_run_needs_a_visible_flow(self, client_as, world):
        theirs = world.make_flow(world.b, published=True)
        payload = self.create_payload(world, world.a) | {"subject": "flow_run"}
        response = client_as("admin").post(self.url_base, payload, format="json")
        assert response.status_code == 400 and "flow" in response.json()["errors"]
        response = client_as("admin").post(self.url_base, payload | {"flow": theirs.pk}, format="json")
        assert response.status_code == 400 and "flow" in response.json()["errors"]
        ours = world.make_flow(world.a, published=True)
        response = client_as("admin").post(self.url_base, payload | {"flow": ours.pk}, format="json")
        assert response.status_code == 201 and response.json()["flow_name"] == ours.name

    def test_bad_values_name_the_field(self, client_as, world):
        for field, bad in (("target", 0), ("target", "x"), ("unit", "weeks"), ("subject", "nope")):
            response = client_as("admin").post(
                self.url_base, self.create_payload(world, world.a) | {field: bad}, format="json"
            )
            assert response.status_code == 400, (field, bad)
            assert field in response.json()["errors"]


class TestSlaEvaluations(ListTests, DetailTests):
    url_base = "/api/sla-evaluations/"
    model = SlaEvaluation

    def make(self, world, org):
        policy = SlaPolicy.objects.create(organisation=org, name="p", subject="paid_to_crm", target=1)
        return SlaEvaluation.objects.create(
            policy=policy,
            organisation=org,
            subject_key=f"k{policy.pk}",
            started_at=NOW,
            due_at=NOW,
            status="breached",
            breached_at=NOW,
        )


class TestBusinessCalendars(ListTests, DetailTests):
    url_base = "/api/business-calendars/"
    model = BusinessCalendar

    def make(self, world, org):
        return BusinessCalendar.objects.create(organisation=org)

    def test_upsert_by_organisation(self, client_as, world):
        world.a.country = "GB"
        world.a.save()
        body = {
            "organisation": world.a.id,
            "working_days": [0, 1, 2, 3],
            "day_start": "08:00",
            "extra_holidays": ["2026-12-24"],
        }
        first = client_as("builder").post(self.url_base, body, format="json")
        assert first.status_code == 201, first.content
        again = client_as("admin").post(self.url_base, body | {"subdivision": "ENG"}, format="json")
        assert again.status_code == 200 and again.json()["subdivision"] == "ENG"
        assert again.json()["country"] == "GB"
        assert BusinessCalendar.objects.filter(organisation=world.a).count() == 1
        assert client_as("viewer").post(self.url_base, body, format="json").status_code == 403
        assert_not_found(
            client_as("admin").post(self.url_base, body | {"organisation": world.b.id}, format="json")
        )
        bad = client_as("admin").post(self.url_base, body | {"subdivision": "XX"}, format="json")
        assert bad.status_code == 400 and "subdivision" in bad.json()["errors"]
        bad = client_as("admin").post(self.url_base, body | {"working_days": [9]}, format="json")
        assert bad.status_code == 400 and "working_days" in bad.json()["errors"]


def _refreshable(test, world, org):
    setup, _ = BusinessSystems.objects.update_or_create(
        organisation=org, defaults={"crm_connection": connection(org)}
    )
    return setup


class TestBusinessSystems(ListTests, DetailTests, ActionTests):
    url_base = "/api/business-systems/"
    model = BusinessSystems
    actions = [
        Act(
            "post",
            "refresh",
            allowed={"admin": 200, "operator": 200},
            audit="systems.refresh",
            make=_refreshable,
        )
    ]

    def make(self, world, org):
        return BusinessSystems.objects.create(organisation=org)

    def test_choose_connections_of_the_same_tenant_only(self, client_as, world):
        ours, theirs = connection(world.a), connection(world.b)
        ok = client_as("admin").post(
            self.url_base, {"organisation": world.a.id, "crm_connection": ours.pk}, format="json"
        )
        assert ok.status_code == 201 and ok.json()["crm_connection"] == ours.pk
        bad = client_as("admin").post(
            self.url_base, {"organisation": world.a.id, "erp_connection": theirs.pk}, format="json"
        )
        assert bad.status_code == 400 and "erp_connection" in bad.json()["errors"]

    def test_refresh_without_connections_is_400(self, client_as, world):
        setup = self.make(world, world.a)
        response = client_as("admin").post(f"{self.url_base}{setup.pk}/refresh/")
        assert response.status_code == 400 and "crm_connection" in response.json()["errors"]


class TestKpis(ListTests, DetailTests, CreateTests, UpdateTests, DeleteTests):
    url_base = "/api/kpis/"
    model = KpiDefinition
    create_audit_action = "kpi.save"
    update_audit_action = "kpi.save"
    delete_audit_action = "kpi.delete"
    update_payload = {"name": "Renamed", "params": {"hours": 48}}

    def make(self, world, org):
        kpi = KpiDefinition.objects.create(
            organisation=org, kind="won_without_project", name="Won", params={"hours": 24}
        )
        KpiValue.objects.create(
            definition=kpi, organisation=org, computed_at=NOW, value=3, records=[{"id": "x"}], record_count=1
        )
        return kpi

    def create_payload(self, world, org):
        return {
            "organisation": org.id,
            "kind": "approved_not_invoiced",
            "name": "Unbilled",
            "params": {"days": 5},
            "threshold": 10,
        }

    def test_latest_value_is_shown(self, client_as, objs):
        data = client_as("viewer").get(self.detail_url(objs[0])).json()
        assert data["latest"]["value"] == 3.0 and data["latest"]["record_count"] == 1

    def test_bad_params_name_the_field(self, client_as, world):
        for params in ({"hours": -1}, {"nope": 1}, {"days": "x"}, []):
            response = client_as("admin").post(
                self.url_base, self.create_payload(world, world.a) | {"params": params}, format="json"
            )
            assert response.status_code == 400, params
            assert "params" in response.json()["errors"]


class TestKpiValues(ListTests, DetailTests):
    url_base = "/api/kpi-values/"
    model = KpiValue

    def make(self, world, org):
        kpi = KpiDefinition.objects.create(organisation=org, kind="customers_without_erp", name="c")
        return KpiValue.objects.create(
            definition=kpi,
            organisation=org,
            computed_at=NOW,
            value=1,
            records=[{"id": "001C", "system": "salesforce"}],
            record_count=1,
        )

    def test_detail_has_the_drill_down(self, client_as, objs):
        data = client_as("viewer").get(self.detail_url(objs[0])).json()
        assert data["records"] == [{"id": "001C", "system": "salesforce"}]


class TestReconciliationPolicies(ListTests, DetailTests, CreateTests, UpdateTests, DeleteTests, ActionTests):
    url_base = "/api/reconciliation-policies/"
    model = ReconciliationPolicy
    create_audit_action = "reconciliation.save"
    update_audit_action = "reconciliation.save"
    delete_audit_action = "reconciliation.delete"
    update_payload = {"name": "Renamed", "tolerance_hours": 1.5}
    actions = [
        Act("post", "run", payload={}, allowed={"admin": 202, "operator": 202}, audit="reconciliation.run"),
        Act(
            "post",
            "run",
            payload={"period_start": "2026-01-15"},
            allowed={"admin": 202, "operator": 202},
            audit="reconciliation.run",
        ),
    ]

    def make(self, world, org):
        return ReconciliationPolicy.objects.create(
            organisation=org, name="Billing", kind="psa_vs_erp_billing"
        )

    def create_payload(self, world, org):
        return {
            "organisation": org.id,
            "name": "Bookings",
            "kind": "crm_vs_erp_projects",
            "period": "week",
            "tolerance_amount": 5,
        }

    def assert_updated(self, obj, payload):
        obj.refresh_from_db()
        assert obj.name == "Renamed" and obj.tolerance_hours == Decimal("1.5")

    def test_run_queues_a_report_for_the_period(self, client_as, world, objs):
        response = client_as("admin").post(
            f"{self.detail_url(objs[0])}run/", {"period_start": "2026-01-15"}, format="json"
        )
        data = response.json()
        assert (data["period_start"], data["period_end"], data["status"]) == (
            "2026-01-01",
            "2026-02-01",
            "queued",
        )
        future = client_as("admin").post(
            f"{self.detail_url(objs[0])}run/", {"period_start": "2999-01-01"}, format="json"
        )
        assert future.status_code == 400 and "period_start" in future.json()["errors"]


def _report(test, world, org):
    flow = world.make_flow(org, published=True)
    policy = ReconciliationPolicy.objects.create(
        organisation=org, name="B", kind="psa_vs_erp_billing", fix_flow=flow
    )
    report = ReconciliationReport.objects.create(
        policy=policy,
        organisation=org,
        period_start=dt.date(2026, 2, 1),
        period_end=dt.date(2026, 3, 1),
        status="done",
    )
    ReconciliationDifference.objects.create(
        report=report,
        organisation=org,
        key="501",
        kind="hours",
        source={"system": "kantata", "entity": "project", "id": "501"},
    )
    return report


class TestReconciliationReports(ListTests, DetailTests, ActionTests):
    url_base = "/api/reconciliation-reports/"
    model = ReconciliationReport
    actions = [
        Act(
            "post",
            "fix",
            payload={},
            allowed={"admin": 201, "operator": 201},
            audit="reconciliation.fix",
            make=_report,
        )
    ]

    def make(self, world, org):
        return _report(self, world, org)

    def test_detail_lists_differences(self, client_as, objs):
        data = client_as("viewer").get(self.detail_url(objs[0])).json()
        assert [d["key"] for d in data["differences"]] == ["501"]


class TestDashboard:
    url = "/api/dashboards/"

    def test_own_and_partner_dashboards(self, client_as, world):
        assert client_as("viewer").get(f"{self.url}?organisation={world.a.id}").status_code == 200
        data = client_as("partner_admin").get(f"{self.url}?organisation={world.partner.id}&range=7d").json()
        assert data["group_by"] == "customer"
        assert [c["organisation"]["id"] for c in data["customers"]] == [world.a.id]

    def test_other_tenant_is_404(self, client_as, world):
        for who in ("admin", "viewer", "partner_admin", "stranger"):
            assert_not_found(client_as(who).get(f"{self.url}?organisation={world.b.id}"), who)
        assert_not_found(client_as("admin").get(f"{self.url}?organisation={world.other_partner.id}"))

    def test_bad_parameters_name_the_field(self, client_as, world):
        assert client_as(None).get(f"{self.url}?organisation={world.a.id}").status_code in (401, 403)
        for query, field in (
            ("", "organisation"),
            ("?organisation=x", "organisation"),
            (f"?organisation={world.a.id}&range=1y", "range"),
            (f"?organisation={world.a.id}&flow=x", "flow"),
        ):
            response = client_as("viewer").get(self.url + query)
            assert response.status_code == 400, query
            assert field in response.json()["errors"]
        theirs = world.make_flow(world.b)
        response = client_as("viewer").get(f"{self.url}?organisation={world.a.id}&flow={theirs.pk}")
        assert response.status_code == 400 and "flow" in response.json()["errors"]


class TestTrace:
    url = "/api/trace/"

    def test_finds_only_own_tenants_records(self, client_as, world):
        for org, name in ((world.a, "ours"), (world.b, "theirs")):
            rows = [
                BusinessRecord(
                    organisation=org,
                    role="psa",
                    system="kantata",
                    entity="time_entry",
                    external_id="7001",
                    parent_id="501",
                    name=name,
                    fetched_at=NOW,
                ),
            ]
            BusinessRecord.objects.bulk_create(rows)
            index_records(org.pk, "kantata", rows)
        data = client_as("viewer").get(f"{self.url}?q=7001").json()
        assert data["found"] and {r["name"] for r in data["records"]} == {"ours", ""}
        data = client_as("partner_admin").get(f"{self.url}?q=7001&organisation={world.partner.id}").json()
        assert {r["name"] for r in data["records"]} == {"ours", ""}
        for who in ("b_admin",):
            data = client_as(who).get(f"{self.url}?q=7001").json()
            assert {r["name"] for r in data["records"]} == {"theirs", ""}
        assert client_as("stranger").get(f"{self.url}?q=7001").json()["found"] is False
        assert_not_found(client_as("viewer").get(f"{self.url}?q=7001&organisation={world.b.id}"))

    def test_bad_query(self, client_as):
        for q in ("", "?q=", "?q=" + "x" * 300):
            response = client_as("viewer").get(self.url + q)
            assert response.status_code == 400 and "q" in response.json()["errors"]
        assert client_as(None).get(f"{self.url}?q=1").status_code in (401, 403)
