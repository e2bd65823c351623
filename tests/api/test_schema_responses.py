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

from flowbuilder.credentials import actions as credential_actions
from flowbuilder.execution.models import RunStatus
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
