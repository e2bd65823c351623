"""Partner admins invite people by e-mail and see all their customers' health on one page."""

from __future__ import annotations

import pytest
from django.core import mail

from flowbuilder.execution.models import Run, RunStatus
from flowbuilder.flows import actions as flow_actions
from flowbuilder.tenancy.actions import set_branding
from flowbuilder.tenancy.models import Membership, OrganisationKind
from tests.support.documents import chain

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner_world(make_org, make_user):
    partner = make_org("Northwind", kind=OrganisationKind.PARTNER)
    acme, globex = make_org("Acme", parent=partner), make_org("Globex", parent=partner)
    other = make_org("Elsewhere")
    admin = make_user("pat", partner, "admin")
    set_branding(actor=admin, partner=partner, product_name="Northwind Connect")
    return {
        "partner": partner,
        "acme": acme,
        "globex": globex,
        "other": other,
        "admin": admin,
        "acme_builder": make_user("ben", acme, "builder"),
    }


def test_invite_creates_the_member_and_sends_a_branded_link(partner_world, api):
    response = api(partner_world["admin"]).post(
        f"/api/organisations/{partner_world['acme'].pk}/invite/",
        {"email": "New.Person@Acme.example", "role": "operator"},
        format="json",
    )
    assert response.status_code == 201
    membership = Membership.objects.get(
        organisation=partner_world["acme"], user__email="new.person@acme.example"
    )
    assert membership.role == "operator" and not membership.user.has_usable_password()
    assert len(mail.outbox) == 1 and "Northwind Connect" in mail.outbox[0].subject
    assert "/password-reset/" in mail.outbox[0].body


def test_a_builder_cannot_invite_and_bad_input_is_a_400(partner_world, api):
    url = f"/api/organisations/{partner_world['acme'].pk}/invite/"
    assert (
        api(partner_world["acme_builder"])
        .post(url, {"email": "x@example.com", "role": "admin"}, format="json")
        .status_code
        == 403
    )
    bad = api(partner_world["admin"]).post(url, {"email": "not-an-email", "role": "boss"}, format="json")
    assert bad.status_code == 400 and {"email", "role"} <= set(bad.json()["errors"])


def test_overview_shows_each_customers_flows_runs_and_health(partner_world, api):
    acme, admin = partner_world["acme"], partner_world["admin"]
    flow = flow_actions.create_flow(
        actor=admin, organisation=acme, name="f", document=chain(1, "trigger.manual")
    )
    version = flow_actions.publish_flow(actor=admin, flow=flow)
    for status in (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.SUCCEEDED):
        Run.objects.create(organisation=acme, flow=flow, version=version, status=status)
    rows = api(admin).get(f"/api/organisations/{partner_world['partner'].pk}/overview/").json()
    by_name = {row["organisation"]["name"]: row for row in rows}
    assert set(by_name) == {"Acme", "Globex"}  # never another partner's or a stranger's org
    assert by_name["Acme"]["published_flows"] == 1
    assert by_name["Acme"]["runs"] == {"total": 3, "succeeded": 2, "failed": 1, "running": 0}
    assert by_name["Acme"]["health"] == "failing" and by_name["Globex"]["health"] == "idle"
    # A customer's user sees no partner overview.
    assert (
        api(partner_world["acme_builder"])
        .get(f"/api/organisations/{partner_world['partner'].pk}/overview/")
        .status_code
        == 404
    )
