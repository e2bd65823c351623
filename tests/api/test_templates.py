"""Partner templates through the API: publish, clone to many customers, preview/upgrade/pin/rollback,
drift, permissions and tenant isolation (customers never see each other's copies)."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from flowbuilder.audit.models import AuditEvent
from flowbuilder.credentials.models import Connection
from flowbuilder.flows import actions as flow_actions
from flowbuilder.flows import templates as template_actions
from flowbuilder.flows.models import Flow, Template, TemplateInstance
from flowbuilder.tenancy.models import Membership, Organisation, OrganisationKind
from tests.support.documents import document, edge, node

from .mixins import (
    OUTSIDERS,
    Act,
    ActionTests,
    DetailTests,
    ListTests,
    assert_not_found,
    assert_one_audit,
    audit_since,
    last_audit_id,
    result_ids,
)

SECRET = "Bearer SUPER-SECRET-123"
MAPPING_V1 = [{"name": "stage", "value": "{{ $item.StageName }}"}]
MAPPING_V2 = [
    {"name": "stage", "value": "{{ $item.StageName }}"},
    {"name": "amount", "value": "{{ $item.Amount }}"},
]
PARAMETERS = [
    {"name": "crm", "kind": "connection", "connector": "salesforce", "nodes": ["q"], "description": "CRM"},
    {
        "name": "soql",
        "kind": "value",
        "pointer": "/nodes/q/config/soql",
        "required": True,
        "description": "Query",
    },
    {"name": "note", "kind": "value", "pointer": "/nodes/m2/config/fields"},
]


def partner_connection(org: Organisation) -> Connection:
    return Connection.objects.create(
        organisation=org,
        name=f"SF {org.pk} {Connection.objects.count()}",
        connector="salesforce",
        base_url="https://sf.example.test",
        credential_type="oauth2",
        credentials={"client_id": "partner-client"},
        secrets_ciphertext="gAAAAA-partner-ciphertext",
        secret_fields_set=["client_secret"],
    )


def template_document(conn: Connection, mapping=None) -> dict:
    return document(
        [
            node("t", "trigger.manual"),
            node(
                "q", "crm.salesforce.query", {"connection": conn.ref, "soql": '"SELECT Id FROM Opportunity"'}
            ),
            node("m", "transform.map", {"fields": mapping or MAPPING_V1}),
            node("m2", "transform.map", {"fields": [{"name": "n", "value": "{{ $item.n }}"}]}),
            node(
                "h",
                "http.request",
                {
                    "method": "POST",
                    "url": "https://hooks.example.test/x",
                    "headers": {"Authorization": SECRET},
                },
            ),
        ],
        [edge("t", "q"), edge("q", "m"), edge("m", "m2"), edge("m2", "h")],
    )


def user_in(org: Organisation, username: str, role: str):
    user, _ = get_user_model().objects.get_or_create(username=username)
    Membership.objects.get_or_create(user=user, organisation=org, defaults={"role": role})
    return user


def partner_admin_of(world, partner: Organisation):
    return (
        world.partner_admin if partner == world.partner else user_in(partner, f"admin-{partner.pk}", "admin")
    )


def make_template(world, partner: Organisation):
    admin = partner_admin_of(world, partner)
    flow = flow_actions.create_flow(
        actor=admin,
        organisation=partner,
        name="Won -> project",
        document=template_document(partner_connection(partner)),
    )
    template = template_actions.create_template(
        actor=admin, organisation=partner, name="Won -> project", source_flow=flow
    )
    template_actions.publish_template_version(
        actor=admin, template=template, parameters=PARAMETERS, changelog="v1"
    )
    return template


def make_instance(self, world, customer: Organisation) -> TemplateInstance:
    template = make_template(world, customer.parent)
    [result] = template_actions.clone_template(
        actor=partner_admin_of(world, customer.parent),
        template=template,
        targets=[
            {
                "customer": customer.pk,
                "parameters": {"soql": '"SELECT Id FROM Opportunity WHERE IsWon = true"'},
            }
        ],
    )
    assert result["ok"], result
    return TemplateInstance.objects.get(pk=result["instance"])


def make_upgraded_instance(self, world, customer: Organisation) -> TemplateInstance:
    instance = make_instance(self, world, customer)
    admin = partner_admin_of(world, customer.parent)
    flow = instance.template.source_flow
    flow_actions.save_draft(
        actor=admin,
        flow=flow,
        document=template_document(partner_connection(customer.parent), MAPPING_V2),
        revision=None,
        force=True,
    )
    template_actions.publish_template_version(actor=admin, template=instance.template, parameters=PARAMETERS)
    [result] = template_actions.upgrade_instances(
        actor=admin, template=instance.template, version=2, instances=[instance.pk]
    )
    assert result["status"] == "upgraded", result
    instance.refresh_from_db()
    return instance


class TestTemplateInstances(ListTests, DetailTests, ActionTests):
    """Customers read their own copies; only the partner manages them (customer roles get 403)."""

    url_base = "/api/template-instances/"
    model = TemplateInstance
    actions = [
        Act("post", "pin", None, {}, audit="template.pin"),
        Act("post", "unpin", None, {}, audit="template.unpin"),
        Act("post", "rollback", None, {}, audit="template.rollback", make=make_upgraded_instance),
    ]

    def make(self, world, org):
        return make_instance(self, world, org)

    def test_partner_admin_and_builder_pin_and_unpin(self, world, api):
        instance = make_instance(self, world, world.a)
        builder = user_in(world.partner, "p-builder", "builder")
        for user in (world.partner_admin, builder):
            since = last_audit_id()
            response = api(user).post(f"{self.url_base}{instance.pk}/pin/")
            assert response.status_code == 200 and response.json()["pinned"] is True
            assert_one_audit(
                since, action="template.pin", actor=user, organisation=world.a, object_id=instance.pk
            )
            assert api(user).post(f"{self.url_base}{instance.pk}/unpin/").json()["pinned"] is False

    def test_partner_viewer_reads_but_cannot_manage(self, world, api):
        instance = make_instance(self, world, world.a)
        viewer = user_in(world.partner, "p-viewer", "viewer")
        assert instance.pk in result_ids(api(viewer).get(self.url_base))
        assert api(viewer).post(f"{self.url_base}{instance.pk}/pin/").status_code == 403

    def test_rollback_without_an_upgrade_is_400(self, world, api):
        instance = make_instance(self, world, world.a)
        response = api(world.partner_admin).post(f"{self.url_base}{instance.pk}/rollback/")
        assert response.status_code == 400


class TestTemplates:
    url = "/api/templates/"

    def test_partner_members_list_customers_and_others_never_see_templates(self, world, api, client_as):
        ours, theirs = make_template(world, world.partner), make_template(world, world.other_partner)
        viewer = user_in(world.partner, "p-viewer", "viewer")
        assert ours.pk in result_ids(api(viewer).get(self.url))
        assert theirs.pk not in result_ids(api(viewer).get(self.url))
        for who in OUTSIDERS:
            client = client_as(who)
            response = client.get(self.url)
            if response.status_code == 200:
                ids = result_ids(response)
                assert theirs.pk not in ids
                if who != "partner_admin":
                    assert ours.pk not in ids  # customers do not see their partner's templates
            for suffix in ("", "versions/", "versions/1/", "instances/", "drift/"):
                assert_not_found(client.get(f"{self.url}{theirs.pk}/{suffix}"), f"{who} {suffix}")
            assert_not_found(
                client.post(
                    f"{self.url}{theirs.pk}/clone/", {"customers": [{"customer": world.a.pk}]}, format="json"
                ),
                who,
            )

    def test_create_and_publish_as_partner_builder(self, world, api):
        builder = user_in(world.partner, "p-builder", "builder")
        flow = flow_actions.create_flow(
            actor=builder,
            organisation=world.partner,
            name="F",
            document=template_document(partner_connection(world.partner)),
        )
        since = last_audit_id()
        response = api(builder).post(
            self.url,
            {
                "organisation": world.partner.pk,
                "name": "T",
                "category": "quote-to-cash",
                "tags": ["crm"],
                "source_flow": flow.pk,
            },
            format="json",
        )
        assert response.status_code == 201, response.content
        tid = response.json()["id"]
        assert_one_audit(
            since, action="template.create", actor=builder, organisation=world.partner, object_id=tid
        )
        since = last_audit_id()
        response = api(builder).post(
            f"{self.url}{tid}/versions/", {"parameters": PARAMETERS, "changelog": "first"}, format="json"
        )
        assert response.status_code == 201, response.content
        version = response.json()
        assert version["number"] == 1 and [p["name"] for p in version["parameters"]] == [
            "crm",
            "soql",
            "note",
        ]
        assert_one_audit(since, action="template.publish", actor=builder, organisation=world.partner)
        # Scrubbed: no partner connection, no secret header.
        text = json.dumps(version["document"])
        assert "conn_" not in text and SECRET not in text
        assert api(builder).get(f"{self.url}{tid}/versions/").json()[0]["number"] == 1

    def test_publish_refuses_bad_parameters_and_non_managers(self, world, api):
        template = make_template(world, world.partner)
        bad = [
            [{"name": "x", "kind": "value", "pointer": "/nodes/ghost/config/a"}],
            [{"name": "x", "kind": "value", "pointer": "/nodes/q/config/connection"}],
            [{"name": "x", "kind": "value", "pointer": "/nodes/h/config/headers/Authorization"}],
            [{"name": "x", "kind": "connection", "connector": "salesforce", "nodes": []}],
            [{"name": "Bad Name", "kind": "value", "pointer": "/nodes/q/config/soql"}],
        ]
        for parameters in bad:
            response = api(world.partner_admin).post(
                f"{self.url}{template.pk}/versions/", {"parameters": parameters}, format="json"
            )
            assert response.status_code == 400, (parameters, response.content)
            assert "parameters" in json.dumps(response.json()["errors"])
        viewer = user_in(world.partner, "p-viewer", "viewer")
        assert api(viewer).post(f"{self.url}{template.pk}/versions/", {}, format="json").status_code == 403

    def test_publish_refuses_bad_erp_reference_declarations_naming_the_field(self, world, api):
        template = make_template(world, world.partner)
        soql = {"name": "soql", "kind": "value", "pointer": "/nodes/q/config/soql"}
        crm = PARAMETERS[0]
        cases = [
            ({"connection": "ghost", "values": "item"}, "parameters[1].references.connection"),
            ({"connection": "crm", "values": "planet"}, "parameters[1].references.values"),
            ({"connection": "crm"}, "parameters[1].references"),
            ("item", "parameters[1].references"),
        ]
        for references, field in cases:
            response = api(world.partner_admin).post(
                f"{self.url}{template.pk}/versions/",
                {"parameters": [crm, {**soql, "references": references}]},
                format="json",
            )
            assert response.status_code == 400, (references, response.content)
            assert field in response.json()["errors"], response.json()
        ok = api(world.partner_admin).post(
            f"{self.url}{template.pk}/versions/",
            {"parameters": [crm, {**soql, "references": {"connection": "crm", "values": "item"}}]},
            format="json",
        )
        assert ok.status_code == 201, ok.content
        assert ok.json()["parameters"][1]["references"] == {
            "connection": "crm",
            "values": "item",
            "keys": None,
        }
        # Cloned without the CRM slot bound: the ERP check waits for publish.
        response = api(world.partner_admin).post(
            f"{self.url}{template.pk}/clone/",
            {"version": 2, "customers": [{"customer": world.a.pk, "parameters": {"soql": "42"}}]},
            format="json",
        )
        assert response.status_code == 201, response.content
        assert response.json()["results"][0]["pending_checks"] == ["soql"]

    def test_clone_reports_errors_per_customer(self, world, api):
        template = make_template(world, world.partner)
        foreign_conn = partner_connection(world.b)
        own_conn = partner_connection(world.a)
        c2 = Organisation.objects.create(
            name="C2", slug="c2", kind=OrganisationKind.CUSTOMER, parent=world.partner
        )
        c3 = Organisation.objects.create(
            name="C3", slug="c3", kind=OrganisationKind.CUSTOMER, parent=world.partner
        )
        since = last_audit_id()
        response = api(world.partner_admin).post(
            f"{self.url}{template.pk}/clone/",
            {
                "customers": [
                    {"customer": world.a.pk, "parameters": {"soql": '"A"', "crm": own_conn.pk}},
                    {"customer": c2.pk, "parameters": {}},
                    {"customer": c3.pk, "parameters": {"soql": '"B"', "crm": foreign_conn.pk}},
                    {"customer": world.b.pk, "parameters": {"soql": '"C"'}},
                    {"customer": world.partner.pk, "parameters": {"soql": '"D"'}},
                ]
            },
            format="json",
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["cloned"], body["failed"]) == (1, 4)
        ok, missing, foreign, other_partner_customer, partner_itself = body["results"]
        assert ok["ok"] and ok["unbound"] == []
        assert "soql" in missing["errors"]
        assert "crm" in foreign["errors"]
        assert "customer" in other_partner_customer["errors"] and "customer" in partner_itself["errors"]
        flow = Flow.objects.get(pk=ok["flow"])
        q = next(n for n in flow.draft_document["nodes"] if n["id"] == "q")
        assert q["config"] == {"connection": own_conn.ref, "soql": '"A"'}
        assert [r.action for r in audit_since(since)] == ["template.clone"]
        # Nothing cloned at all is a 400 with the reasons.
        again = api(world.partner_admin).post(
            f"{self.url}{template.pk}/clone/", {"customers": [{"customer": c2.pk}]}, format="json"
        )
        assert again.status_code == 400 and "soql" in again.json()["results"][0]["errors"]

    def test_customer_admin_cannot_clone_or_upgrade(self, world, client_as):
        template = make_template(world, world.partner)
        for role in ("admin", "builder", "viewer"):
            assert_not_found(
                client_as(role).post(
                    f"{self.url}{template.pk}/clone/",
                    {"customers": [{"customer": world.a.pk}]},
                    format="json",
                )
            )
            assert_not_found(
                client_as(role).post(
                    f"{self.url}{template.pk}/upgrade/", {"version": 1, "instances": [1]}, format="json"
                )
            )


# --- the required scenario ------------------------------------------------------------------------------


def _flow_doc(flow_id: int) -> dict:
    return Flow.objects.get(pk=flow_id).draft_document


def _node(doc: dict, nid: str) -> dict | None:
    return next((n for n in doc["nodes"] if n["id"] == nid), None)


@pytest.mark.django_db
def test_partner_rollout_scenario(world, api, client_as):
    partner, padmin = world.partner, world.partner_admin
    p = api(padmin)
    partner_conn = partner_connection(partner)
    source = flow_actions.create_flow(
        actor=padmin, organisation=partner, name="Won -> project", document=template_document(partner_conn)
    )
    tid = p.post(
        "/api/templates/",
        {"organisation": partner.pk, "name": "Won -> project", "source_flow": source.pk},
        format="json",
    ).json()["id"]
    assert (
        p.post(
            f"/api/templates/{tid}/versions/", {"parameters": PARAMETERS, "changelog": "v1"}, format="json"
        ).status_code
        == 201
    )

    # Clone into ten customers in one call.
    customers = [world.a] + [
        Organisation.objects.create(
            name=f"Cust {i}", slug=f"cust-{i}", kind=OrganisationKind.CUSTOMER, parent=partner
        )
        for i in range(9)
    ]
    since = last_audit_id()
    response = p.post(
        f"/api/templates/{tid}/clone/",
        {
            "customers": [
                {"customer": c.pk, "parameters": {"soql": f'"SELECT Id FROM Opportunity -- {c.slug}"'}}
                for c in customers
            ]
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    results = response.json()["results"]
    assert response.json()["cloned"] == 10 and all(r["ok"] and r["unbound"] == ["crm"] for r in results)
    assert [r.action for r in audit_since(since)] == ["template.clone"] * 10
    p = api(type(padmin).objects.get(pk=padmin.pk))  # a fresh request user: it now has ten customers
    inst = {c.pk: r["instance"] for c, r in zip(customers, results, strict=True)}
    flows = {c.pk: r["flow"] for c, r in zip(customers, results, strict=True)}

    # No credential, no secret was copied: no partner connection ref, no secret header, no new connections.
    for c in customers:
        doc = _flow_doc(flows[c.pk])
        text = json.dumps(doc) + json.dumps(TemplateInstance.objects.get(pk=inst[c.pk]).parameter_values)
        assert partner_conn.ref not in text and SECRET not in text and "ciphertext" not in text
        assert _node(doc, "q")["config"]["connection"] == ""
        assert _node(doc, "h")["config"]["headers"] == {"Authorization": ""}
        assert not Connection.objects.filter(organisation=c).exists()

    # Two customers override: c1 changes m2 (the template will not touch it), a changes m (it will).
    c1, c3, c4 = customers[1], customers[3], customers[4]
    override_m2 = [{"name": "n", "value": "{{ $item.n * 2 }}"}]
    override_m = [{"name": "stage", "value": "{{ $uppercase($item.StageName) }}"}]
    doc = _flow_doc(flows[c1.pk])
    _node(doc, "m2")["config"]["fields"] = override_m2
    assert (
        p.put(
            f"/api/flows/{flows[c1.pk]}/draft/", {"document": doc, "force": True}, format="json"
        ).status_code
        == 200
    )
    doc = _flow_doc(flows[world.a.pk])
    _node(doc, "m")["config"]["fields"] = override_m
    assert (
        client_as("builder")
        .put(f"/api/flows/{flows[world.a.pk]}/draft/", {"document": doc, "force": True}, format="json")
        .status_code
        == 200
    )

    # v2 changes the mapping of m and adds a node after m2.
    v2 = template_document(partner_conn, MAPPING_V2)
    v2["nodes"].append(node("n", "transform.map", {"fields": [{"name": "synced", "value": "{{ true }}"}]}))
    v2["edges"].append(edge("m2", "n"))
    flow_actions.save_draft(actor=padmin, flow=source, document=v2, revision=None, force=True)
    assert (
        p.post(
            f"/api/templates/{tid}/versions/",
            {"parameters": PARAMETERS, "changelog": "amount + sync flag"},
            format="json",
        ).status_code
        == 201
    )

    # Preview: c1 merges cleanly keeping its override; a has one conflict on m's mapping.
    preview = p.post(
        f"/api/templates/{tid}/preview-upgrade/",
        {"version": 2, "instances": [inst[c1.pk], inst[world.a.pk]]},
        format="json",
    )
    assert preview.status_code == 200
    by_instance = {r["instance"]: r for r in preview.json()["results"]}
    clean = by_instance[inst[c1.pk]]
    assert clean["conflicts"] == [] and [n["id"] for n in clean["diff"]["nodes_added"]] == ["n"]
    assert _node(clean["document"], "m2")["config"]["fields"] == override_m2
    [conflict] = by_instance[inst[world.a.pk]]["conflicts"]
    assert (conflict["node"], conflict["path"]) == ("m", "/nodes/m/config/fields")
    assert (conflict["base"], conflict["ours"], conflict["theirs"]) == (MAPPING_V1, override_m, MAPPING_V2)

    # Staged rollout to four chosen customers; c4 is pinned.
    assert p.post(f"/api/template-instances/{inst[c4.pk]}/pin/").status_code == 200
    a_revision = Flow.objects.get(pk=flows[world.a.pk]).draft_revision
    since = last_audit_id()
    response = p.post(
        f"/api/templates/{tid}/upgrade/",
        {"version": 2, "instances": [inst[c1.pk], inst[world.a.pk], inst[c3.pk], inst[c4.pk]]},
        format="json",
    )
    statuses = {r["instance"]: r["status"] for r in response.json()["results"]}
    assert statuses == {
        inst[c1.pk]: "upgraded",
        inst[world.a.pk]: "conflicts",
        inst[c3.pk]: "upgraded",
        inst[c4.pk]: "skipped_pinned",
    }
    assert [r.action for r in audit_since(since)] == ["template.upgrade"] * 2
    doc = _flow_doc(flows[c1.pk])
    assert _node(doc, "m2")["config"]["fields"] == override_m2  # override kept
    assert _node(doc, "m")["config"]["fields"] == MAPPING_V2  # template change applied
    assert (
        _node(doc, "n") is not None
        and {"source": "m2", "target": "n"}.items()
        <= next(e for e in doc["edges"] if e["target"] == "n").items()
    )
    assert Flow.objects.get(pk=flows[world.a.pk]).draft_revision == a_revision  # conflicted: unchanged
    assert TemplateInstance.objects.get(pk=inst[c4.pk]).based_on.number == 1
    assert TemplateInstance.objects.get(pk=inst[customers[5].pk]).based_on.number == 1  # not chosen

    # The conflicted customer is upgraded once the partner resolves it (keeping the customer's mapping).
    response = p.post(
        f"/api/templates/{tid}/upgrade/",
        {
            "version": 2,
            "instances": [inst[world.a.pk]],
            "resolutions": {str(inst[world.a.pk]): {"/nodes/m/config/fields": "ours"}},
        },
        format="json",
    )
    assert response.json()["results"][0]["status"] == "upgraded"
    doc = _flow_doc(flows[world.a.pk])
    assert _node(doc, "m")["config"]["fields"] == override_m and _node(doc, "n") is not None

    # Rollback restores v1 for one customer.
    v1_for_c3 = TemplateInstance.objects.get(pk=inst[c3.pk]).previous_document
    response = p.post(f"/api/template-instances/{inst[c3.pk]}/rollback/")
    assert response.status_code == 200 and response.json()["version"] == 1
    doc = _flow_doc(flows[c3.pk])
    assert doc == v1_for_c3 and _node(doc, "n") is None and _node(doc, "m")["config"]["fields"] == MAPPING_V1
    assert p.post(f"/api/template-instances/{inst[c3.pk]}/rollback/").status_code == 400

    # Drift: the customers whose drafts differ from what the template produced for them.
    drift = p.get(f"/api/templates/{tid}/drift/?drifted=true").json()["results"]
    assert {r["instance"] for r in drift} == {inst[c1.pk], inst[world.a.pk]}
    changed = {c["path"] for r in drift for n in r["diff"]["nodes_changed"] for c in n["changes"]}
    assert changed == {"/nodes/m2/config/fields", "/nodes/m/config/fields"}

    # Tenant isolation: customer a sees only its own copy and flow, never another customer's.
    a_admin = client_as("admin")
    assert result_ids(a_admin.get("/api/template-instances/")) == {inst[world.a.pk]}
    assert_not_found(a_admin.get(f"/api/template-instances/{inst[c1.pk]}/"))
    assert_not_found(a_admin.get(f"/api/flows/{flows[c1.pk]}/"))
    assert result_ids(a_admin.get("/api/templates/")) == set()
    assert AuditEvent.objects.filter(action="template.clone", organisation=world.a).count() == 1


# --- shared parameters: one system of record per field across a customer's two sync flows ----------------

SHARED = "owners_crm_erp"


def owners_document(owner: str = "crm") -> dict:
    return document(
        [
            node("t", "trigger.manual"),
            node("owners", "transform.map", {"fields": [{"name": "owner_address", "value": owner}]}),
        ],
        [edge("t", "owners")],
    )


def owners_template(world, name: str, *, shared: str | None = SHARED):
    flow = flow_actions.create_flow(
        actor=world.partner_admin, organisation=world.partner, name=name, document=owners_document()
    )
    template = template_actions.create_template(
        actor=world.partner_admin, organisation=world.partner, name=name, source_flow=flow
    )
    parameter = {"name": "owner_address", "kind": "value", "pointer": "/nodes/owners/config/fields/0/value"}
    if shared:
        parameter["shared"] = shared
    template_actions.publish_template_version(
        actor=world.partner_admin, template=template, parameters=[parameter]
    )
    return template


def clone_owners(api, world, template, owner: str | None):
    parameters = {"owner_address": owner} if owner else {}
    return api(world.partner_admin).post(
        f"/api/templates/{template.pk}/clone/",
        {"customers": [{"customer": world.a.pk, "parameters": parameters}]},
        format="json",
    )


@pytest.mark.django_db
class TestSharedParameters:
    def test_bad_shared_key_is_refused_naming_the_field(self, world, api):
        template = owners_template(world, "CRM side")
        parameter = {"name": "o", "kind": "value", "pointer": "/nodes/owners/config/fields/0/value"}
        for bad in ("", "Has Space", 7):
            response = api(world.partner_admin).post(
                f"/api/templates/{template.pk}/versions/",
                {"parameters": [{**parameter, "shared": bad}]},
                format="json",
            )
            assert response.status_code == 400, (bad, response.content)
            assert "parameters[0].shared" in response.json()["errors"]
        ok = api(world.partner_admin).post(
            f"/api/templates/{template.pk}/versions/",
            {"parameters": [{**parameter, "shared": "a_key.v1"}]},
            format="json",
        )
        assert ok.status_code == 201 and ok.json()["parameters"][0]["shared"] == "a_key.v1"

    def test_copies_that_agree_clone_and_publish(self, world, api, client_as):
        crm, erp = owners_template(world, "CRM side"), owners_template(world, "ERP side")
        first = clone_owners(api, world, crm, "erp")
        assert first.status_code == 201, first.content
        second = clone_owners(api, world, erp, "erp")
        assert second.status_code == 201 and second.json()["results"][0]["errors"] == {}, second.content
        for result in (first, second):
            flow = result.json()["results"][0]["flow"]
            published = client_as("admin").post(f"/api/flows/{flow}/publish/", {}, format="json")
            assert published.status_code == 201, published.content

    def test_a_clone_that_disagrees_is_refused_naming_field_templates_and_owners(self, world, api):
        crm, erp = owners_template(world, "CRM side"), owners_template(world, "ERP side")
        assert clone_owners(api, world, crm, None).status_code == 201  # the default: crm
        dry = api(world.partner_admin).post(
            f"/api/templates/{erp.pk}/clone/",
            {
                "dry_run": True,
                "customers": [{"customer": world.a.pk, "parameters": {"owner_address": "erp"}}],
            },
            format="json",
        )
        assert dry.status_code == 200 and not dry.json()["results"][0]["ok"]
        assert "owner_address" in dry.json()["results"][0]["errors"]
        response = clone_owners(api, world, erp, "erp")
        assert response.status_code == 400, response.content
        [message] = response.json()["results"][0]["errors"]["owner_address"]
        assert "owner_address is 'erp' in 'ERP side' but 'crm' in 'CRM side'" in message
        assert "Set owner_address to the same value in both" in message
        assert not TemplateInstance.objects.filter(template=erp).exists()
        # Another key (or none) is no pair: no check.
        unpaired = owners_template(world, "Unpaired", shared="another_pair")
        assert clone_owners(api, world, unpaired, "erp").status_code == 201

    def test_publish_is_refused_while_the_other_copy_disagrees(self, world, api, client_as):
        crm, erp = owners_template(world, "CRM side"), owners_template(world, "ERP side")
        flows = [clone_owners(api, world, t, "crm").json()["results"][0]["flow"] for t in (crm, erp)]
        customer = client_as("admin")
        # The customer moves the address to the ERP in the ERP side's flow only.
        doc = _flow_doc(flows[1])
        _node(doc, "owners")["config"]["fields"][0]["value"] = "erp"
        assert (
            customer.put(
                f"/api/flows/{flows[1]}/draft/", {"document": doc, "force": True}, format="json"
            ).status_code
            == 200
        )
        response = customer.post(f"/api/flows/{flows[1]}/publish/", {}, format="json")
        assert response.status_code == 400, response.content
        body = response.json()
        assert "owner_address is 'erp' in 'ERP side' but 'crm' in 'CRM side'" in body["detail"]
        [finding] = body["findings"]
        assert (finding["code"], finding["node_id"], finding["field"], finding["severity"]) == (
            "shared_parameter_disagrees",
            "owners",
            "fields.0.value",
            "error",
        )
        assert Flow.objects.get(pk=flows[1]).published_version is None
        # Changed in both drafts: each publishes, one after the other.
        doc = _flow_doc(flows[0])
        _node(doc, "owners")["config"]["fields"][0]["value"] = "erp"
        assert (
            customer.put(
                f"/api/flows/{flows[0]}/draft/", {"document": doc, "force": True}, format="json"
            ).status_code
            == 200
        )
        for flow in flows:
            assert customer.post(f"/api/flows/{flow}/publish/", {}, format="json").status_code == 201

    def test_an_upgrade_that_would_disagree_leaves_the_copy_unchanged(self, world, api):
        crm, erp = owners_template(world, "CRM side"), owners_template(world, "ERP side")
        assert clone_owners(api, world, crm, None).status_code == 201
        instance = TemplateInstance.objects.get(
            pk=clone_owners(api, world, erp, None).json()["results"][0]["instance"]
        )
        # v2 of the ERP side changes the default owner; the customer's CRM side still says crm.
        flow_actions.save_draft(
            actor=world.partner_admin,
            flow=erp.source_flow,
            document=owners_document("erp"),
            revision=None,
            force=True,
        )
        parameter = {
            "name": "owner_address",
            "kind": "value",
            "pointer": "/nodes/owners/config/fields/0/value",
            "shared": SHARED,
        }
        template_actions.publish_template_version(
            actor=world.partner_admin, template=erp, parameters=[parameter]
        )
        response = api(world.partner_admin).post(
            f"/api/templates/{erp.pk}/upgrade/", {"version": 2, "instances": [instance.pk]}, format="json"
        )
        [result] = response.json()["results"]
        assert result["status"] == "shared_values_disagree", result
        assert "'CRM side'" in result["errors"]["owner_address"][0]
        instance.refresh_from_db()
        assert instance.based_on.number == 1


def _shared_findings(findings: list[dict]) -> list[dict]:
    return [f for f in findings if f["code"] == "shared_parameter_disagrees"]


@pytest.mark.django_db
class TestSharedParametersInTheEditor:
    """The editor's live validation (the draft save's response, validate, the flow page) warns on the
    node that holds a shared value another copy of the customer sets otherwise; publish still refuses."""

    def _copies(self, api, world, owner: str = "crm") -> list[int]:
        crm, erp = owners_template(world, "CRM side"), owners_template(world, "ERP side")
        return [clone_owners(api, world, t, owner).json()["results"][0]["flow"] for t in (crm, erp)]

    def test_copies_that_agree_have_no_finding(self, world, api, client_as):
        flows = self._copies(api, world)
        analyst = client_as("builder")
        doc = _flow_doc(flows[1])
        saved = analyst.put(f"/api/flows/{flows[1]}/draft/", {"document": doc, "force": True}, format="json")
        assert saved.status_code == 200, saved.content
        assert saved.json()["findings"] == []
        validated = analyst.post(f"/api/flows/{flows[1]}/validate/", {"document": doc}, format="json")
        assert validated.status_code == 200 and validated.json()["findings"] == []
        assert analyst.get(f"/api/flows/{flows[0]}/").json()["draft"]["findings"] == []

    def test_a_disagreeing_owner_is_a_warning_on_its_node_while_editing(self, world, api, client_as):
        flows = self._copies(api, world)
        analyst = client_as("builder")
        doc = _flow_doc(flows[1])
        _node(doc, "owners")["config"]["fields"][0]["value"] = "erp"
        saved = analyst.put(f"/api/flows/{flows[1]}/draft/", {"document": doc, "force": True}, format="json")
        assert saved.status_code == 200, saved.content  # a warning: the draft saves
        [finding] = saved.json()["findings"]
        assert (finding["code"], finding["node_id"], finding["field"], finding["severity"]) == (
            "shared_parameter_disagrees",
            "owners",
            "fields.0.value",
            "warning",
        )
        assert "owner_address is 'erp' in 'ERP side' but 'crm' in 'CRM side'" in finding["message"]
        assert "Set owner_address to the same value in both" in finding["message"]
        validated = analyst.post(f"/api/flows/{flows[1]}/validate/", {"document": doc}, format="json")
        assert validated.json()["findings"] == [finding]
        # Validating a document that agrees again (not saved yet) clears it.
        _node(doc, "owners")["config"]["fields"][0]["value"] = "crm"
        cleared = analyst.post(f"/api/flows/{flows[1]}/validate/", {"document": doc}, format="json")
        assert cleared.json()["findings"] == []
        # The other copy's editor shows it too when it opens (its draft against the saved one).
        [other] = analyst.get(f"/api/flows/{flows[0]}/").json()["draft"]["findings"]
        assert (other["node_id"], other["severity"]) == ("owners", "warning")
        assert "owner_address is 'crm' in 'CRM side' but 'erp' in 'ERP side'" in other["message"]
        # Publishing the saved draft is still refused, with the same finding as an error.
        refused = client_as("admin").post(f"/api/flows/{flows[1]}/publish/", {}, format="json")
        assert refused.status_code == 400, refused.content
        assert [(f["node_id"], f["severity"]) for f in refused.json()["findings"]] == [("owners", "error")]

    def test_someone_who_cannot_open_the_other_flow_is_not_shown_its_name_or_value(
        self, world, api, client_as, make_user
    ):
        flows = self._copies(api, world)
        doc = _flow_doc(flows[1])
        _node(doc, "owners")["config"]["fields"][0]["value"] = "erp"
        saved = client_as("builder").put(
            f"/api/flows/{flows[1]}/draft/", {"document": doc, "force": True}, format="json"
        )
        assert saved.status_code == 200, saved.content
        # A partner consultant given this one flow (a share), not the customer's other flows.
        consultant = make_user("consultant", world.partner, "builder")
        shared = client_as("partner_admin").post(
            f"/api/flows/{flows[1]}/share/", {"user": consultant.pk, "permissions": ["view"]}, format="json"
        )
        assert shared.status_code == 200, shared.content
        client = APIClient()
        client.force_authenticate(type(consultant).objects.get(pk=consultant.pk))
        assert client.get(f"/api/flows/{flows[0]}/").status_code == 404
        [finding] = client.get(f"/api/flows/{flows[1]}/").json()["draft"]["findings"]
        assert (finding["node_id"], finding["severity"]) == ("owners", "warning")
        assert "another flow of this customer, which you cannot open" in finding["message"]
        assert "CRM side" not in finding["message"] and "'crm'" not in finding["message"]
        validated = client.post(f"/api/flows/{flows[1]}/validate/", {"document": doc}, format="json")
        assert validated.json()["findings"] == [finding]
        # Whoever may open both flows is told which flow and which value.
        [full] = client_as("partner_admin").get(f"/api/flows/{flows[1]}/").json()["draft"]["findings"]
        assert "but 'crm' in 'CRM side'" in full["message"]

    def test_the_approvers_page_shows_the_disagreement_that_would_refuse_the_publish(
        self, world, api, client_as
    ):
        flows = self._copies(api, world)
        Organisation.objects.filter(pk=world.a.pk).update(require_publish_approval=True)
        doc = _flow_doc(flows[1])
        _node(doc, "owners")["config"]["fields"][0]["value"] = "erp"
        builder = client_as("builder")
        saved = builder.put(f"/api/flows/{flows[1]}/draft/", {"document": doc, "force": True}, format="json")
        assert saved.status_code == 200, saved.content
        sent = builder.post(f"/api/flows/{flows[1]}/publish/", {"comment": "owners"}, format="json")
        assert sent.status_code == 201 and sent.json()["state"] == "in_review", sent.content
        review = client_as("approver").get(f"/api/reviews/{sent.json()['id']}/").json()
        [finding] = _shared_findings(review["findings"])
        assert (finding["node_id"], finding["severity"]) == ("owners", "error")
        assert "owner_address is 'erp' in 'ERP side' but 'crm' in 'CRM side'" in finding["message"]
        # Approving it would publish it, which the disagreement refuses: the page said so first.
        approved = client_as("approver").post(f"/api/reviews/{sent.json()['id']}/approve/", {}, format="json")
        assert approved.status_code == 400 and "owner_address" in approved.content.decode()

    def test_only_the_same_customer_counts_and_one_query_reads_its_copies(self, world, api, client_as):
        flows = self._copies(api, world)
        # Another customer of the partner holds the other owner: not this customer's business.
        c = Organisation.objects.create(
            name="Customer C", slug="customer-c", kind=OrganisationKind.CUSTOMER, parent=world.partner
        )
        erp = Template.objects.get(name="ERP side")
        cloned = api(world.partner_admin).post(
            f"/api/templates/{erp.pk}/clone/",
            {"customers": [{"customer": c.pk, "parameters": {"owner_address": "erp"}}]},
            format="json",
        )
        assert cloned.status_code == 201, cloned.content
        doc = _flow_doc(flows[0])

        def validate_queries() -> int:
            analyst = client_as("builder")  # a fresh user: no permission cache from the last request
            with CaptureQueriesContext(connection) as queries:
                response = analyst.post(f"/api/flows/{flows[0]}/validate/", {"document": doc}, format="json")
            assert response.status_code == 200 and response.json()["findings"] == []
            return len(queries)

        before = validate_queries()
        # More copies in the customer (agreeing) cost no more queries: not one per copy or node.
        for name in ("CRM side 2", "ERP side 2"):
            assert clone_owners(api, world, owners_template(world, name), "crm").status_code == 201
        assert validate_queries() == before
