"""Partner area in the browser: white-label branding per partner, and cloning a template into customers."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from flowbuilder.credentials.models import Connection
from flowbuilder.flows import actions as flow_actions
from flowbuilder.flows import templates as template_actions
from flowbuilder.flows.models import Flow, TemplateInstance
from flowbuilder.tenancy.models import Branding, OrganisationKind
from tests.support.documents import document, edge, node

from .conftest import login_ui

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BLUEBIRD_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="150" height="32" viewBox="0 0 150 32">'
    '<circle cx="16" cy="16" r="13" fill="#c2410c"/>'
    '<text x="36" y="22" font-family="sans-serif" font-size="17" font-weight="700" fill="#7c2d12">'
    "Bluebird</text>"
    "</svg>"
)
PARTNERS = [
    {
        "slug": "northwind",
        "partner": "Northwind Partners",
        "customer": "Harbor Logistics",
        "user": "harbor-ops",
        "product_name": "Northwind Integrations",
        "logo_url": "/static/brand/northwind.svg",
        "primary_color": "#0b7a75",
        "accent_color": "#f59e0b",
    },
    {
        "slug": "bluebird",
        "partner": "Bluebird Consulting",
        "customer": "Maple Dental",
        "user": "maple-admin",
        "product_name": "Bluebird Connect",
        "logo_url": "data:image/svg+xml;base64," + base64.b64encode(BLUEBIRD_SVG.encode()).decode(),
        "primary_color": "#c2410c",
        "accent_color": "#7c3aed",
    },
]


def test_customer_users_see_their_partners_brand(
    strict_page: Page, live_server_url: str, make_org, make_user, artifacts
) -> None:
    page = strict_page
    for p in PARTNERS:
        partner = make_org(p["partner"], kind=OrganisationKind.PARTNER)
        Branding.objects.create(
            organisation=partner,
            product_name=p["product_name"],
            logo_url=p["logo_url"],
            primary_color=p["primary_color"],
            accent_color=p["accent_color"],
        )
        customer = make_org(p["customer"], parent=partner)
        make_user(p["user"], customer, role="builder")

    for p in PARTNERS:
        other = next(o for o in PARTNERS if o is not p)
        page.context.clear_cookies()
        login_ui(page, live_server_url, p["user"])
        brand = page.get_by_test_id("brand")
        logo = brand.locator("img.brand-logo")
        expect(logo).to_have_attribute("alt", p["product_name"])
        expect(logo).to_have_attribute("src", p["logo_url"])
        # The logo actually loaded (CSP allows same-site paths and data: images).
        assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", logo.element_handle())
        expect(page).to_have_title(p["product_name"])
        topbar = page.locator("header.topbar")
        expect(topbar).not_to_contain_text(other["product_name"])
        expect(topbar).not_to_contain_text("Flowbuilder")
        assert page.locator(f"img[alt='{other['product_name']}']").count() == 0
        assert page.locator("img[src='/static/brand/flowbuilder.svg']").count() == 0
        primary = page.evaluate(
            "getComputedStyle(document.documentElement).getPropertyValue('--fb-primary').trim()"
        )
        assert primary.lower() == p["primary_color"]
        # A customer builder is not in a partner: no partner area.
        expect(page.get_by_test_id("nav-partner")).to_have_count(0)
        page.screenshot(path=str(artifacts / f"branding-{p['slug']}.png"))


# --------------------------------------------------------------------------- clone through the UI
PARAMETERS = [
    {
        "name": "crm",
        "kind": "connection",
        "connector": "salesforce",
        "nodes": ["q"],
        "description": "Their Salesforce",
    },
    {
        "name": "soql",
        "kind": "value",
        "pointer": "/nodes/q/config/soql",
        "required": True,
        "description": "Which opportunities to copy",
    },
]


def salesforce(org: Any, name: str) -> Connection:
    return Connection.objects.create(
        organisation=org,
        name=name,
        connector="salesforce",
        base_url="https://sf.example.test",
        credential_type="oauth2",
        credentials={"client_id": "x"},
    )


@pytest.fixture
def partner_world(make_org, make_user) -> dict[str, Any]:
    partner = make_org("Northwind Partners", kind=OrganisationKind.PARTNER)
    admin = make_user("nw-admin", partner, role="admin")
    alpha = make_org("Alpha Dental", parent=partner)
    beta = make_org("Beta Builders", parent=partner)
    doc = document(
        [
            node("t", "trigger.manual"),
            node(
                "q",
                "crm.salesforce.query",
                {"connection": salesforce(partner, "Partner SF").ref, "soql": '"SELECT Id FROM Opportunity"'},
            ),
            node("m", "transform.map", {"fields": [{"name": "stage", "value": "{{ $item.StageName }}"}]}),
        ],
        [edge("t", "q"), edge("q", "m")],
    )
    flow = flow_actions.create_flow(actor=admin, organisation=partner, name="Won deals", document=doc)
    template = template_actions.create_template(
        actor=admin,
        organisation=partner,
        name="Won deals to projects",
        source_flow=flow,
        category="CRM → PSA",
    )
    template_actions.publish_template_version(
        actor=admin, template=template, parameters=PARAMETERS, changelog="First version"
    )
    return {
        "partner": partner,
        "alpha": alpha,
        "beta": beta,
        "template": template,
        "alpha_sf": salesforce(alpha, "Alpha Salesforce"),
    }


def test_partner_admin_clones_a_template_into_two_customers(
    strict_page: Page, live_server_url: str, partner_world: dict[str, Any], artifacts
) -> None:
    page = strict_page
    w = partner_world
    alpha, beta, template = w["alpha"], w["beta"], w["template"]
    login_ui(page, live_server_url, "nw-admin")

    page.get_by_test_id("nav-partner").click()
    expect(page.get_by_test_id("customers-table")).to_be_visible()
    expect(page.get_by_test_id(f"customer-row-{alpha.pk}")).to_contain_text("Alpha Dental")
    expect(page.get_by_test_id(f"customer-row-{beta.pk}")).to_contain_text("Beta Builders")

    page.get_by_test_id("partner-tab-templates").click()
    card = page.get_by_test_id(f"template-card-{template.pk}")
    expect(card).to_contain_text("Won deals to projects")
    expect(page.get_by_test_id(f"template-latest-{template.pk}")).to_have_text("v1")
    page.get_by_test_id(f"template-open-{template.pk}").click()
    expect(page.get_by_test_id("template-version-1")).to_contain_text("First version")

    page.get_by_test_id("clone-template").click()
    dialog = page.get_by_test_id("clone-dialog")
    expect(dialog).to_be_visible()
    page.get_by_test_id("clone-select-all").check()
    expect(page.get_by_test_id(f"clone-form-{alpha.pk}")).to_be_visible()
    expect(page.get_by_test_id(f"clone-form-{beta.pk}")).to_be_visible()
    # Alpha binds its own Salesforce connection; Beta has none and leaves the slot unbound.
    alpha_crm = page.get_by_test_id(f"clone-{alpha.pk}-crm")
    expect(alpha_crm.locator("option")).to_have_count(2)
    alpha_crm.select_option(str(w["alpha_sf"].pk))
    expect(page.get_by_test_id(f"clone-{alpha.pk}-soql")).to_have_value('"SELECT Id FROM Opportunity"')
    page.get_by_test_id(f"clone-{beta.pk}-soql").fill('"SELECT Id FROM Opportunity WHERE IsWon = true"')
    page.get_by_test_id(f"clone-{beta.pk}-name").fill("Beta won deals")
    page.screenshot(path=str(artifacts / "partner-clone-form.png"))
    # Dry run first: each customer is checked against its own systems and nothing is created.
    flows_before = Flow.objects.count()
    page.get_by_test_id("clone-dry-run-button").click()
    expect(page.get_by_test_id("clone-dry-run")).to_be_visible()
    expect(page.get_by_test_id(f"dry-run-{alpha.pk}")).to_be_visible()
    expect(page.get_by_test_id(f"dry-run-{beta.pk}")).to_contain_text("Unbound connection slots")
    assert Flow.objects.count() == flows_before
    page.get_by_test_id("clone-dry-run-back").click()
    page.get_by_test_id("clone-submit").click()

    results = page.get_by_test_id("clone-results")
    expect(results).to_be_visible()
    for customer in (alpha, beta):
        row = page.get_by_test_id(f"clone-result-{customer.pk}")
        expect(row).to_have_attribute("data-ok", "true")
        expect(row).to_contain_text(customer.name)
        expect(page.get_by_test_id(f"clone-flow-link-{customer.pk}")).to_be_visible()
    expect(page.get_by_test_id(f"clone-result-{beta.pk}")).to_contain_text("Unbound connection slots: crm")
    page.screenshot(path=str(artifacts / "partner-clone-results.png"))

    copies = {i.customer_id: i for i in TemplateInstance.objects.filter(template=template)}
    assert set(copies) == {alpha.pk, beta.pk}
    alpha_doc = Flow.objects.get(pk=copies[alpha.pk].flow_id).draft_document
    beta_flow = Flow.objects.get(pk=copies[beta.pk].flow_id)
    alpha_q = next(n for n in alpha_doc["nodes"] if n["id"] == "q")
    beta_q = next(n for n in beta_flow.draft_document["nodes"] if n["id"] == "q")
    assert alpha_q["config"]["connection"] == w["alpha_sf"].ref
    assert beta_q["config"]["connection"] == ""
    assert beta_q["config"]["soql"] == '"SELECT Id FROM Opportunity WHERE IsWon = true"'
    assert beta_flow.name == "Beta won deals"

    page.get_by_test_id("clone-done").click()
    expect(page.get_by_test_id("template-version-1")).to_contain_text("2 customers")

    # Version 2 changes the mapping; the rollout page previews and applies it to both copies.
    admin = template.source_flow.created_by
    doc = template.source_flow.draft_document
    next(n for n in doc["nodes"] if n["id"] == "m")["config"]["fields"].append(
        {"name": "amount", "value": "{{ $item.Amount }}"}
    )
    flow_actions.save_draft(actor=admin, flow=template.source_flow, document=doc, revision=None, force=True)
    template_actions.publish_template_version(actor=admin, template=template, parameters=PARAMETERS)
    page.get_by_test_id("open-rollout").click()
    for customer in (alpha, beta):
        row = page.get_by_test_id(f"instance-row-{copies[customer.pk].pk}")
        expect(row).to_contain_text(customer.name)
        expect(row).to_contain_text("v1")
    page.get_by_test_id("instances-select-all").check()
    expect(page.get_by_test_id("rollout-version")).to_have_value("2")
    page.get_by_test_id("preview-upgrade").click()
    for copy in copies.values():
        item = page.get_by_test_id(f"preview-{copy.pk}")
        expect(item).to_contain_text("no conflicts")
        expect(item.get_by_test_id("diff-node-m")).to_contain_text("config.fields")
    page.screenshot(path=str(artifacts / "partner-rollout-preview.png"), full_page=True)
    page.get_by_test_id("upgrade-submit").click()
    for copy in copies.values():
        expect(page.get_by_test_id(f"upgrade-result-{copy.pk}")).to_have_attribute("data-status", "upgraded")
        expect(page.get_by_test_id(f"instance-row-{copy.pk}")).to_contain_text("v2")
    assert {i.based_on.number for i in TemplateInstance.objects.filter(template=template)} == {2}
