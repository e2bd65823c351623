"""Alert rules and incidents over the API: tenant isolation (generic mixins), roles, audit, validation."""

from __future__ import annotations

from typing import Any

from flowbuilder.observability.alert_models import AlertRule, Incident

from .mixins import Act, ActionTests, CreateTests, DeleteTests, DetailTests, ListTests, UpdateTests

HOOK = [{"kind": "webhook", "target": "https://hooks.example.test/ops"}]


def make_rule(world: Any, org: Any) -> AlertRule:
    return AlertRule.objects.create(organisation=org, name="Runs failed", kind="run_failed", channels=HOOK)


def make_incident(test: Any, world: Any, org: Any) -> Incident:
    rule = make_rule(world, org)
    return Incident.objects.create(rule=rule, organisation=org, key=f"flow:{rule.pk}", title="Runs failed")


class TestAlertRules(ListTests, DetailTests, CreateTests, UpdateTests, DeleteTests):
    url_base = "/api/alert-rules/"
    model = AlertRule
    create_audit_action = "alert_rule.save"
    update_audit_action = "alert_rule.save"
    delete_audit_action = "alert_rule.delete"
    update_payload = {"name": "Renamed", "escalate_after_minutes": 30}

    def make(self, world, org):
        return make_rule(world, org)

    def create_payload(self, world, org):
        return {
            "organisation": org.id,
            "name": "Five failures in ten minutes",
            "kind": "failure_burst",
            "params": {"count": 5, "minutes": 10},
            "channels": [{"kind": "email", "target": "ops@a.test"}, *HOOK],
        }

    def test_bad_rules_name_the_field(self, client_as, world):
        base = self.create_payload(world, world.a)
        for change, field in (
            ({"kind": "sometimes"}, "kind"),
            ({"params": {"count": -1, "minutes": 10}}, "params"),
            ({"channels": [{"kind": "pigeon", "target": "x"}]}, "channels"),
            ({"channels": [{"kind": "email", "target": "nobody"}]}, "channels"),
            ({"timezone": "Nowhere/Else"}, "timezone"),
        ):
            response = client_as("admin").post(self.url_base, {**base, **change}, format="json")
            assert response.status_code == 400, (change, response.content)
            assert field in response.json()["errors"], (change, response.json())


class TestIncidents(ListTests, DetailTests, ActionTests):
    url_base = "/api/incidents/"
    model = Incident
    actions = [
        Act(
            "post",
            "acknowledge",
            allowed={"admin": 200, "operator": 200},
            audit="incident.acknowledge",
            make=make_incident,
        ),
        Act(
            "post",
            "resolve",
            allowed={"admin": 200, "operator": 200},
            audit="incident.resolve",
            make=make_incident,
        ),
    ]

    def make(self, world, org):
        return make_incident(self, world, org)


class TestRetention:
    url = "/api/retention/"

    def test_admin_sets_viewer_reads_other_tenant_is_404(self, client_as, world):
        body = {"organisation": world.a.id, "run_days": 14, "failed_run_days": 60}
        assert client_as("operator").put(self.url, body, format="json").status_code == 403
        saved = client_as("admin").put(self.url, body, format="json")
        assert saved.status_code == 200 and saved.json()["run_days"] == 14
        read = client_as("viewer").get(f"{self.url}?organisation={world.a.id}").json()
        assert (read["run_days"], read["failed_run_days"], read["last_bytes_saved"]) == (14, 60, 0)
        assert client_as("admin").get(f"{self.url}?organisation={world.b.id}").status_code == 404
        other = {**body, "organisation": world.b.id}
        assert client_as("admin").put(self.url, other, format="json").status_code == 404
        bad = client_as("admin").put(self.url, {**body, "failed_run_days": 3}, format="json")
        assert bad.status_code == 400 and "failed_run_days" in bad.json()["errors"]
