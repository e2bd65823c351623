"""ERP ids in a template's parameters are checked in the customer's NetSuite when the template is cloned,
over real HTTP to the sandbox (the NetSuite REST record API and SuiteQL), through the partner's API: a
missing item, tax code or subsidiary refuses that customer's clone with a 400 naming the parameter; ids
that exist clone; a clone whose NetSuite slot is not bound yet is marked pending and checked at publish."""

from __future__ import annotations

import copy
import uuid

import pytest

from flowbuilder.credentials import runtime
from flowbuilder.devtools.demo import (
    FIXTURES,
    install_template,
    load_template_file,
    sandbox_connection,
)
from flowbuilder.flows import actions as flow_actions
from flowbuilder.flows.models import Flow, TemplateInstance
from flowbuilder.tenancy.models import OrganisationKind
from tests.support.sandbox import CLIENT
from tests.support.sandbox_auth import kantata_token, netsuite_certificate

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# The sandbox account's setup (sandbox/netsuite/seed.py): service items 10-14, SuiteTax codes 15-17,
# subsidiaries 1-3.
GOOD_ITEMS = {"1": {"time": "10", "expense": "13", "milestone": "11"}}


def test_clone_refuses_erp_ids_netsuite_lacks_and_checks_pending_ones_at_publish(
    sandbox, make_org, make_user, login
):
    runtime.clear_cache()
    tag = uuid.uuid4().hex[:6]
    partner = make_org(f"Refs Partner {tag}", kind=OrganisationKind.PARTNER)
    customer = make_org(f"Refs Customer {tag}", parent=partner)
    later = make_org(f"Refs Later {tag}", parent=partner)
    admin = make_user(f"refs-{tag}", partner, "admin")
    token = kantata_token(sandbox.url, CLIENT)
    certificate = netsuite_certificate(sandbox.url, CLIENT["client_id"])

    def connect(org):
        return {
            s: sandbox_connection(
                actor=admin,
                organisation=org,
                system=s,
                sandbox_url=sandbox.url,
                client=CLIENT,
                kantata_token=token,
                netsuite_certificate=certificate,
            )
            for s in ("kantata", "netsuite")
        }

    spec = load_template_file(FIXTURES / "templates" / "project_to_billing.json")
    template = install_template(actor=admin, partner=partner, spec=spec, partner_connections=connect(partner))
    conns = connect(customer)
    api = login(admin.username)

    def clone(org, items, tax_codes, bound=True):
        parameters = {"items": items, "tax_codes": tax_codes}
        if bound:
            parameters.update(kantata=conns["kantata"].pk, netsuite=conns["netsuite"].pk)
        return api.post(
            f"/api/templates/{template.pk}/clone/",
            json={"customers": [{"customer": org.pk, "parameters": parameters}]},
        )

    # An item id NetSuite does not have, an item given as a tax code, a subsidiary it does not have.
    refused = clone(customer, {**GOOD_ITEMS, "9": {"time": "10"}, "2": {"time": "99"}}, {"1": "10"})
    assert refused.status_code == 400, refused.text
    [result] = refused.json()["results"]
    assert result["ok"] is False
    assert sorted(result["errors"]["items"]) == [
        "item for items['2']['time'] (id 99) not found in NetSuite 'Netsuite sandbox'.",
        "subsidiary for items['9'] (id 9) not found in NetSuite 'Netsuite sandbox'.",
    ]
    assert result["errors"]["tax_codes"] == [
        "tax code for tax_codes['1'] (id 10) not found in NetSuite 'Netsuite sandbox'."
    ]
    assert not TemplateInstance.objects.filter(customer=customer).exists()

    # Ids NetSuite has: cloned, nothing pending.
    cloned = clone(customer, GOOD_ITEMS, {"1": "15", "2": "16"})
    assert cloned.status_code == 201, cloned.text
    [result] = cloned.json()["results"]
    assert result["ok"] is True and result["pending_checks"] == []

    # No NetSuite connection bound yet: cloned, the check pending; it runs at publish and refuses there.
    pending = clone(later, {"1": {"time": "99"}}, {"1": "15"}, bound=False)
    assert pending.status_code == 201, pending.text
    [result] = pending.json()["results"]
    assert result["pending_checks"] == ["items", "tax_codes"]
    flow = Flow.objects.get(pk=result["flow"])
    own = connect(later)
    document = copy.deepcopy(flow.draft_document)
    slots = {p["name"]: p for p in spec["parameters"] if p["kind"] == "connection"}
    for node in document["nodes"]:
        for slot in ("kantata", "netsuite"):
            if node["id"] in slots[slot]["nodes"]:
                node["config"]["connection"] = own[slot].ref
    flow_actions.save_draft(actor=admin, flow=flow, document=document, revision=flow.draft_revision)
    published = api.post(f"/api/flows/{flow.pk}/publish/", json={"comment": "go live"})
    assert published.status_code == 400, published.text
    [message] = published.json()["errors"]["items"]  # 400 naming the parameter
    assert "item for items['1']['time'] (id 99) not found in NetSuite 'Netsuite sandbox'." in message
    flow.refresh_from_db()
    assert flow.published_version_id is None


def test_business_central_item_numbers_are_checked_at_clone(sandbox, make_org, make_user, login):
    """The Certinia + Business Central billing template's item numbers, looked up in the company's items
    (API v2.0 ``items?$filter=number eq '...'``)."""
    runtime.clear_cache()
    tag = uuid.uuid4().hex[:6]
    partner = make_org(f"BC Refs Partner {tag}", kind=OrganisationKind.PARTNER)
    customer = make_org(f"BC Refs Customer {tag}", parent=partner)
    admin = make_user(f"bc-refs-{tag}", partner, "admin")

    def connect(org):
        return {
            s: sandbox_connection(
                actor=admin, organisation=org, system=s, sandbox_url=sandbox.url, client=CLIENT
            )
            for s in ("certinia", "dynamics")
        }

    spec = load_template_file(FIXTURES / "templates" / "project_to_billing_certinia_bc.json")
    template = install_template(actor=admin, partner=partner, spec=spec, partner_connections=connect(partner))
    conns = connect(customer)
    api = login(admin.username)

    def clone(time_item):
        parameters = {
            "items": {"default": {"time": time_item, "expense": "EXPENSES", "milestone": "FIXED-FEE"}},
            "certinia": conns["certinia"].pk,
            "dynamics": conns["dynamics"].pk,
        }
        return api.post(
            f"/api/templates/{template.pk}/clone/",
            json={"customers": [{"customer": customer.pk, "parameters": parameters}]},
        )

    refused = clone("CONSULTING")
    assert refused.status_code == 400, refused.text
    [result] = refused.json()["results"]
    assert result["errors"] == {
        "items": [
            "item for items['default']['time'] (id CONSULTING) not found in Dynamics 365 Business Central "
            "'Dynamics sandbox'."
        ]
    }
    cloned = clone("CONS-HR")
    assert cloned.status_code == 201, cloned.text
    assert cloned.json()["results"][0]["pending_checks"] == []
