"""Clone dry run: parameters checked, rendered flows validated, bound connections tested; nothing created."""

from __future__ import annotations

import pytest

from flowbuilder.flows.models import Flow, TemplateInstance
from flowbuilder.tenancy.models import Organisation
from tests.api.test_templates import make_template, partner_connection

pytestmark = pytest.mark.django_db


def test_dry_run_reports_per_customer_and_creates_nothing(world, api):
    template = make_template(world, world.partner)
    unreachable = partner_connection(world.a)  # the customer's own connection, to a host that cannot answer
    second = Organisation.objects.create(name="Second", slug="second-customer", parent=world.partner)
    flows_before = Flow.objects.count()
    response = api(world.partner_admin).post(
        f"/api/templates/{template.pk}/clone/",
        {
            "dry_run": True,
            "customers": [
                {
                    "customer": world.a.pk,
                    "parameters": {"soql": '"SELECT Id FROM Account"', "crm": unreachable.ref},
                },
                {"customer": second.pk, "parameters": {}},
            ],
        },
        format="json",
    )
    assert response.status_code == 200 and response.json()["dry_run"] is True
    bound, missing = response.json()["results"]
    assert bound["ok"] is False and bound["connections"]["crm"]["ok"] is False
    assert bound["connections"]["crm"]["message"]  # says why the system could not be reached
    assert missing["ok"] is False and "soql" in missing["errors"]
    assert Flow.objects.count() == flows_before and not TemplateInstance.objects.exists()


def test_dry_run_without_connections_is_ready_and_lists_unbound_slots(world, api):
    template = make_template(world, world.partner)
    response = api(world.partner_admin).post(
        f"/api/templates/{template.pk}/clone/",
        {
            "dry_run": True,
            "customers": [{"customer": world.a.pk, "parameters": {"soql": '"SELECT Id FROM Lead"'}}],
        },
        format="json",
    )
    [result] = response.json()["results"]
    assert result["ok"] is True and result["unbound"] == ["crm"] and result["findings"] == []
    assert result["ready_to_publish"] is False  # the CRM connection still has to be bound
