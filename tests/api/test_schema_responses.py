"""Real responses match the OpenAPI schema the SPA's types are generated from (frontend/src/api/schema.d.ts).

Each response is validated against its operation's schema, strictly: every required field is present with
the declared type, and an object with declared properties sends no undeclared one (``node_count`` was
documented and typed but never sent; ``error`` was typed as a string and sent as an object).
"""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest
from django.core.management import call_command

from flowbuilder.audit.models import AuditAction
from flowbuilder.credentials import actions as credential_actions
from flowbuilder.execution.models import EventType, RunStatus
from flowbuilder.flows import actions as flow_actions
from flowbuilder.flows.models import Flow
from tests.support.documents import manual_document


@pytest.fixture(scope="module")
def openapi(tmp_path_factory, django_db_blocker) -> dict[str, Any]:
    import json

    out = tmp_path_factory.mktemp("schema") / "openapi.json"
    with django_db_blocker.unblock():
        call_command("spectacular", "--format", "openapi-json", "--file", str(out))
    return json.loads(out.read_text())


def _strict(node: Any) -> Any:
    """OpenAPI 3.0 schema -> JSON Schema: ``nullable`` becomes a null alternative, declared objects close."""
    if isinstance(node, list):
        return [_strict(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: _strict(v) for k, v in node.items()}
    if "properties" in node and "additionalProperties" not in node:
        node["additionalProperties"] = False
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


def check(openapi: dict, response, path: str, method: str = "get") -> Any:
    status = str(response.status_code)
    assert status in {"200", "201", "400", "401", "403", "404", "409"}, (status, response.content[:300])
    responses = openapi["paths"][path][method]["responses"]
    assert status in responses, f"{method.upper()} {path} answered {status}, not declared ({list(responses)})"
    schema = responses[status]["content"]["application/json"]["schema"]
    root = {**_strict(schema), "components": _strict(copy.deepcopy(openapi["components"]))}
    body = response.json()
    errors = sorted(jsonschema.Draft7Validator(root).iter_errors(body), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])
    return body


def test_session_and_palette(client_as, openapi):
    client = client_as("admin")
    me = check(openapi, client.get("/api/me/"), "/api/me/")
    assert me["organisations"] and all("role" in o for o in me["organisations"])
    check(openapi, client.get("/api/node-types/"), "/api/node-types/")


def test_flows(client_as, world, openapi):
    client = client_as("admin")
    world.make_run(world.a, status=RunStatus.FAILED)  # a published flow with a last run
    created = client.post(
        "/api/flows/",
        {"organisation": world.a.id, "name": "New", "document": manual_document()},
        format="json",
    )
    flow = check(openapi, created, "/api/flows/", "post")
    listed = check(openapi, client.get(f"/api/flows/?organisation={world.a.id}"), "/api/flows/")
    assert any(f["published_version"] and f["last_run"] for f in listed["results"])
    fid = flow["id"]
    detail = check(openapi, client.get(f"/api/flows/{fid}/"), "/api/flows/{id}/")
    check(
        openapi,
        client.patch(f"/api/flows/{fid}/", {"tags": ["x"]}, format="json"),
        "/api/flows/{id}/",
        "patch",
    )

    draft = {"document": manual_document(2), "revision": detail["draft"]["revision"]}
    check(
        openapi, client.put(f"/api/flows/{fid}/draft/", draft, format="json"), "/api/flows/{id}/draft/", "put"
    )
    stale = client.put(f"/api/flows/{fid}/draft/", draft, format="json")
    assert stale.status_code == 409
    check(openapi, stale, "/api/flows/{id}/draft/", "put")

    broken = {"document": {"schema_version": 1, "nodes": [{"id": "x", "type": "nope"}], "edges": []}}
    found = check(
        openapi,
        client.post(f"/api/flows/{fid}/validate/", broken, format="json"),
        "/api/flows/{id}/validate/",
        "post",
    )
    assert found["findings"]

    version = check(
        openapi,
        client.post(f"/api/flows/{fid}/publish/", {}, format="json"),
        "/api/flows/{id}/publish/",
        "post",
    )
    check(openapi, client.get(f"/api/flows/{fid}/versions/"), "/api/flows/{id}/versions/")
    check(openapi, client.get(f"/api/versions/{version['id']}/"), "/api/versions/{id}/")
    check(
        openapi,
        client.post(f"/api/flows/{fid}/run/", {"input": {"n": 1}}, format="json"),
        "/api/flows/{id}/run/",
        "post",
    )


def test_runs(client_as, world, openapi):
    client = client_as("admin")
    run = world.make_run(world.a, status=RunStatus.FAILED, failed_node=True)
    listed = check(openapi, client.get(f"/api/runs/?organisation={world.a.id}"), "/api/runs/")
    assert listed["results"][0]["error"] == {"message": "boom"}
    detail = check(openapi, client.get(f"/api/runs/{run.id}/"), "/api/runs/{id}/")
    assert {n["node_id"] for n in detail["node_runs"]} == {"t", "m0"}
    events = check(openapi, client.get(f"/api/runs/{run.id}/events/"), "/api/runs/{id}/events/")
    assert isinstance(events, list) and events


def test_connections(client_as, world, openapi):
    client = client_as("admin")
    credential_actions.create_connection(
        actor=world.users["admin"],
        organisation=world.a,
        name="API",
        connector="http",
        base_url="https://api.example.com",
        credential_type="bearer",
        credentials={"token": "tok-SECRET"},
    )
    listed = check(openapi, client.get(f"/api/connections/?organisation={world.a.id}"), "/api/connections/")
    assert listed["results"][0]["secrets_set"] == ["token"]


def test_connectors_and_connection_test(client_as, world, openapi):
    client = client_as("admin")
    connectors = check(openapi, client.get("/api/connectors/"), "/api/connectors/")
    assert {c["key"] for c in connectors} >= {"http"}
    created = client.post(
        "/api/connections/",
        {
            "organisation": world.a.id,
            "name": "Nobody home",
            "connector": "http",
            "base_url": "http://127.0.0.1:9/v1",
            "credential_type": "bearer",
            "credentials": {"token": "tok"},
        },
        format="json",
    )
    conn = check(openapi, created, "/api/connections/", "post")
    tested = check(
        openapi, client.post(f"/api/connections/{conn['id']}/test/"), "/api/connections/{id}/test/", "post"
    )
    assert tested["ok"] is False


def test_export_and_run_event_types(client_as, world, openapi):
    client = client_as("admin")
    flow = world.make_flow(world.a, published=True)
    exported = check(openapi, client.get(f"/api/flows/{flow.id}/export/"), "/api/flows/{id}/export/")
    assert exported["published_document"] and exported["document"]["nodes"]
    run = world.make_run(world.a)
    events = check(openapi, client.get(f"/api/runs/{run.id}/events/"), "/api/runs/{id}/events/")
    enum = openapi["components"]["schemas"]["EventTypeEnum"]["enum"]
    assert events[0]["type"] == "run.queued" and set(enum) == set(EventType.values)
    audit = openapi["components"]["schemas"]["AuditActionEnum"]["enum"]
    assert set(audit) == set(AuditAction.values)


def test_error_answers_are_declared(client_as, world, openapi):
    """400, 401, 403 and 404 answer with the one error body, and each operation declares it."""
    admin, viewer = client_as("admin"), client_as("viewer")
    flow = world.make_flow(world.a)
    bad = check(
        openapi, admin.post("/api/flows/", {"organisation": world.a.id}, format="json"), "/api/flows/", "post"
    )
    assert "name" in bad["errors"]
    check(openapi, admin.get("/api/flows/?organisation=abc"), "/api/flows/")
    check(openapi, client_as(None).get("/api/flows/"), "/api/flows/")
    denied = viewer.put(
        f"/api/flows/{flow.id}/draft/", {"document": manual_document(), "force": True}, format="json"
    )
    assert denied.status_code == 403
    check(openapi, denied, "/api/flows/{id}/draft/", "put")
    check(openapi, admin.get(f"/api/runs/{10**9}/"), "/api/runs/{id}/")
    missing_org = admin.post("/api/templates/", {"organisation": 10**9, "name": "T"}, format="json")
    assert missing_org.status_code == 404
    check(openapi, missing_org, "/api/templates/", "post")
    refused = admin.post("/api/expressions/preview/", {"expression": "{{ 1 +"}, format="json")
    assert refused.json()["error"]
    check(openapi, refused, "/api/expressions/preview/", "post")
    check(
        openapi,
        admin.post("/api/expressions/preview/", {}, format="json"),
        "/api/expressions/preview/",
        "post",
    )


def test_partner_area(client_as, world, openapi):
    partner = client_as("partner_admin")
    pid = world.partner.id
    check(openapi, partner.get("/api/organisations/"), "/api/organisations/")
    world.make_run(world.a, status=RunStatus.FAILED)
    rows = check(
        openapi, partner.get(f"/api/organisations/{pid}/overview/"), "/api/organisations/{id}/overview/"
    )
    assert rows and rows[0]["runs"]["failed"] == 1
    path = "/api/organisations/{id}/branding/"
    check(openapi, partner.get(f"/api/organisations/{pid}/branding/"), path)
    saved = check(
        openapi,
        partner.put(f"/api/organisations/{pid}/branding/", {"product_name": "Acme Flows"}, format="json"),
        path,
        "put",
    )
    assert saved["product_name"] == "Acme Flows"
    assert (
        check(openapi, partner.get(f"/api/organisations/{pid}/branding/"), path)["product_name"]
        == "Acme Flows"
    )
    customer = check(
        openapi,
        partner.post(f"/api/organisations/{pid}/customers/", {"name": "Globex"}, format="json"),
        "/api/organisations/{id}/customers/",
        "post",
    )
    check(
        openapi,
        partner.post(
            f"/api/organisations/{customer['id']}/invite/",
            {"email": "x@example.com", "role": "viewer"},
            format="json",
        ),
        "/api/organisations/{id}/invite/",
        "post",
    )
    check(openapi, partner.get(f"/api/memberships/?organisation={customer['id']}"), "/api/memberships/")


def test_templates(world, api, openapi):
    from .test_templates import MAPPING_V2, PARAMETERS, partner_connection, template_document

    padmin = world.partner_admin
    p = api(padmin)
    conn = partner_connection(world.partner)
    source = flow_actions.create_flow(
        actor=padmin, organisation=world.partner, name="Won", document=template_document(conn)
    )
    template = check(
        openapi,
        p.post(
            "/api/templates/",
            {"organisation": world.partner.id, "name": "Won", "source_flow": source.id},
            format="json",
        ),
        "/api/templates/",
        "post",
    )
    tid = template["id"]
    versions = "/api/templates/{id}/versions/"
    v1 = check(
        openapi,
        p.post(
            f"/api/templates/{tid}/versions/", {"parameters": PARAMETERS, "changelog": "v1"}, format="json"
        ),
        versions,
        "post",
    )
    assert {x["kind"] for x in v1["parameters"]} == {"value", "connection"}
    check(openapi, p.get(f"/api/templates/{tid}/versions/"), versions)
    check(openapi, p.get(f"/api/templates/{tid}/versions/1/"), "/api/templates/{id}/versions/{number}/")
    check(openapi, p.get("/api/templates/"), "/api/templates/")

    clone = "/api/templates/{id}/clone/"
    target = {"customer": world.a.id, "parameters": {"soql": '"SELECT Id FROM Opportunity"'}}
    dry = check(
        openapi,
        p.post(f"/api/templates/{tid}/clone/", {"customers": [target], "dry_run": True}, format="json"),
        clone,
        "post",
    )
    assert dry["dry_run"] is True and dry["results"][0]["unbound"] == ["crm"]
    refused = p.post(f"/api/templates/{tid}/clone/", {"customers": [{"customer": world.b.id}]}, format="json")
    assert refused.status_code == 400 and refused.json()["failed"] == 1
    check(openapi, refused, clone, "post")
    cloned = check(
        openapi, p.post(f"/api/templates/{tid}/clone/", {"customers": [target]}, format="json"), clone, "post"
    )
    [result] = cloned["results"]
    instance, flow_id = result["instance"], result["flow"]
    check(openapi, p.get(f"/api/templates/{tid}/instances/"), "/api/templates/{id}/instances/")
    check(openapi, p.get(f"/api/template-instances/?template={tid}"), "/api/template-instances/")

    # The customer edits what v2 changes: a conflict, then resolved.
    flow = Flow.objects.get(pk=flow_id)
    doc = flow.draft_document
    next(n for n in doc["nodes"] if n["id"] == "m")["config"]["fields"] = [{"name": "x", "value": "1"}]
    flow_actions.save_draft(actor=padmin, flow=flow, document=doc, revision=None, force=True)
    flow_actions.save_draft(
        actor=padmin, flow=source, document=template_document(conn, MAPPING_V2), revision=None, force=True
    )
    p.post(f"/api/templates/{tid}/versions/", {"parameters": PARAMETERS}, format="json")
    body = {"version": 2, "instances": [instance]}
    preview = check(
        openapi,
        p.post(f"/api/templates/{tid}/preview-upgrade/", body, format="json"),
        "/api/templates/{id}/preview-upgrade/",
        "post",
    )
    [conflict] = preview["results"][0]["conflicts"]
    drift = check(openapi, p.get(f"/api/templates/{tid}/drift/?drifted=1"), "/api/templates/{id}/drift/")
    assert drift["results"][0]["drifted"] is True
    upgrade = "/api/templates/{id}/upgrade/"
    stuck = check(openapi, p.post(f"/api/templates/{tid}/upgrade/", body, format="json"), upgrade, "post")
    assert stuck["results"][0]["status"] == "conflicts"
    resolved = {**body, "resolutions": {str(instance): {conflict["path"]: "theirs"}}}
    done = check(openapi, p.post(f"/api/templates/{tid}/upgrade/", resolved, format="json"), upgrade, "post")
    assert done["results"][0]["status"] == "upgraded" and done["results"][0]["resolved"]

    for act in ("pin", "unpin", "rollback"):
        path = f"/api/template-instances/{{id}}/{act}/"
        check(openapi, p.post(f"/api/template-instances/{instance}/{act}/"), path, "post")
    check(openapi, p.get(f"/api/template-instances/{instance}/"), "/api/template-instances/{id}/")


def test_triggers_list(client_as, world, openapi):
    check(openapi, client_as("admin").get(f"/api/triggers/?organisation={world.a.id}"), "/api/triggers/")


def test_schedule_preview_matches_the_schema(client_as, world, openapi):
    flow = world.make_flow(world.a)
    path, url = "/api/flows/{id}/schedule-preview/", f"/api/flows/{flow.id}/schedule-preview/"
    viewer = client_as("viewer")
    body = check(
        openapi, viewer.post(url, {"mode": "cron", "cron": "0 6 * * 1-5"}, format="json"), path, "post"
    )
    assert len(body["times"]) == 5
    bad = check(
        openapi, viewer.post(url, {"mode": "cron", "cron": "0 25 * * *"}, format="json"), path, "post"
    )
    assert "cron" in bad["errors"]
