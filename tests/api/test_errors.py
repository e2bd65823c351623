"""The error contract: every bad request is a 4xx naming the field at fault, never a 500.

A table of hand-picked bad payloads per write route, bad filters per list route, and hypothesis-generated
JSON bodies for every write endpoint.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowbuilder.execution.models import RunStatus
from tests.support.documents import manual_document

BIG = "x" * (5 * 1024 * 1024 + 10)
HUGE_DOCUMENT = {
    "schema_version": 1,
    "nodes": [{"id": "n", "type": "transform.map", "label": BIG}],
    "edges": [],
}


@pytest.fixture
def targets(world):
    """The objects the routes act on, all in customer ``a``."""
    flow = world.make_flow(world.a)
    live = world.make_flow(world.a, published=True)
    return {
        "flow": flow,
        "live": live,
        "run": world.make_run(world.a, status=RunStatus.FAILED, failed_node=True),
        "a": world.a.id,
        "partner": world.partner.id,
    }


def routes(t) -> dict[str, tuple[str, str]]:
    """name -> (method, url); the user is the partner admin (who may do everything in ``a``)."""
    return {
        "flow.create": ("post", "/api/flows/"),
        "flow.update": ("patch", f"/api/flows/{t['flow'].pk}/"),
        "flow.draft": ("put", f"/api/flows/{t['flow'].pk}/draft/"),
        "flow.validate": ("post", f"/api/flows/{t['flow'].pk}/validate/"),
        "flow.publish": ("post", f"/api/flows/{t['flow'].pk}/publish/"),
        "flow.run": ("post", f"/api/flows/{t['live'].pk}/run/"),
        "flow.import": ("post", "/api/flows/import/"),
        "membership.create": ("post", "/api/memberships/"),
        "org.customers": ("post", f"/api/organisations/{t['partner']}/customers/"),
        "expression.preview": ("post", "/api/expressions/preview/"),
        "auth.login": ("post", "/api/auth/login/"),
        "run.cancel": ("post", f"/api/runs/{t['run'].pk}/cancel/"),
        "run.retry": ("post", f"/api/runs/{t['run'].pk}/retry/"),
        "run.replay": ("post", f"/api/runs/{t['run'].pk}/replay/"),
        "run.skip": ("post", f"/api/runs/{t['run'].pk}/skip-failed-node/"),
    }


A = "<a>"  # replaced by customer a's id


def cases():
    """(route, payload, field expected in ``errors``; None when only the status is checked)."""
    doc = manual_document()
    return [
        ("flow.create", {}, "organisation"),
        ("flow.create", {"organisation": A}, "name"),
        ("flow.create", {"organisation": "abc", "name": "x"}, "organisation"),
        ("flow.create", {"organisation": None, "name": "x"}, "organisation"),
        ("flow.create", {"organisation": [1], "name": "x"}, "organisation"),
        ("flow.create", {"organisation": 10**30, "name": "x"}, "organisation"),
        ("flow.create", {"organisation": 999999999, "name": "x"}, "organisation"),
        ("flow.create", {"organisation": A, "name": ""}, "name"),
        ("flow.create", {"organisation": A, "name": "x" * 201}, "name"),
        ("flow.create", {"organisation": A, "name": {"a": 1}}, "name"),
        ("flow.create", {"organisation": A, "name": "x", "tags": "crm"}, "tags"),
        ("flow.create", {"organisation": A, "name": "x", "tags": [{"a": 1}]}, "tags"),
        ("flow.create", {"organisation": A, "name": "x", "document": "text"}, "document"),
        ("flow.create", {"organisation": A, "name": "x", "document": [1, 2]}, "document"),
        ("flow.create", {"organisation": A, "name": "x", "document": HUGE_DOCUMENT}, "document"),
        ("flow.create", [], "non_field_errors"),
        ("flow.create", "just a string", "non_field_errors"),
        ("flow.update", {"name": ""}, "name"),
        ("flow.update", {"name": None}, "name"),
        ("flow.update", {"tags": "x"}, "tags"),
        ("flow.update", {"description": ["x"]}, "description"),
        ("flow.draft", {}, "document"),
        ("flow.draft", {"document": doc}, "revision"),
        ("flow.draft", {"document": "x", "revision": 1}, "document"),
        ("flow.draft", {"document": None, "revision": 1}, "document"),
        ("flow.draft", {"document": doc, "revision": "abc"}, "revision"),
        ("flow.draft", {"document": doc, "revision": 1, "force": "maybe"}, "force"),
        ("flow.draft", {"document": HUGE_DOCUMENT, "revision": 1}, "document"),
        ("flow.validate", {}, "document"),
        ("flow.validate", {"document": 5}, "document"),
        ("flow.validate", {"document": HUGE_DOCUMENT}, "document"),
        ("flow.publish", {"comment": ["x"]}, "comment"),
        ("flow.publish", {"comment": "x" * 2001}, "comment"),
        ("flow.run", {"input": "text"}, "input"),
        ("flow.run", {"input": [1, 2]}, "input"),
        ("flow.run", {"input": 5}, "input"),
        ("flow.run", {"use_draft": "perhaps"}, "use_draft"),
        ("flow.run", {"only_node": ["x"]}, "only_node"),
        ("flow.run", {"pinned": []}, "pinned"),
        ("flow.run", {"pinned": {"n": "x"}}, "pinned"),
        ("flow.run", {"pinned": {"n": [1]}}, "pinned"),
        ("flow.import", {}, "organisation"),
        ("flow.import", {"organisation": A}, "data"),
        ("flow.import", {"organisation": A, "data": "x"}, "data"),
        ("flow.import", {"organisation": "x", "data": {}}, "organisation"),
        ("flow.import", {"organisation": 999999999, "data": {}}, "organisation"),
        ("membership.create", {}, "organisation"),
        ("membership.create", {"organisation": A, "username": "a-viewer", "role": 3}, "role"),
        ("membership.create", {"organisation": A, "username": ["a"], "role": "viewer"}, "username"),
        (
            "membership.create",
            {"organisation": 999999999, "username": "a-viewer", "role": "viewer"},
            "organisation",
        ),
        ("org.customers", {}, "name"),
        ("org.customers", {"name": {"x": 1}}, "name"),
        ("expression.preview", {}, "expression"),
        ("expression.preview", {"expression": "1", "node_outputs": "x"}, "node_outputs"),
        ("expression.preview", {"expression": "1", "node_outputs": {"n": "x"}}, "node_outputs"),
        ("expression.preview", {"expression": "$item.a", "item": [1]}, "item"),
        ("auth.login", {}, "username"),
        ("auth.login", {"username": ["x"], "password": "y"}, "username"),
    ]


def _fill(value, a_id):
    if value == A:
        return a_id
    if isinstance(value, dict):
        return {k: _fill(v, a_id) for k, v in value.items()}
    return value


@pytest.mark.parametrize(
    ("route", "payload", "field"), cases(), ids=lambda v: v if isinstance(v, str) and len(v) < 40 else None
)
def test_bad_payload_is_4xx_naming_the_field(client_as, targets, route, payload, field):
    method, url = routes(targets)[route]
    response = getattr(client_as("partner_admin"), method)(url, _fill(payload, targets["a"]), format="json")
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:500])
    body = response.json()
    assert body.get("detail") or body.get("error"), body
    if field is not None:
        errors = body.get("errors", {})
        # A body over Django's upload limit is refused before it is parsed: 413 naming the body.
        assert field in errors or (response.status_code == 413 and "body" in errors), body


MALFORMED = [
    "{",
    "{'single': 1}",
    '{"a": }',
    "[1,",
    "NaN",
    '{"a": 1} trailing',
    "\x00",
    "\ufeff{}",
    "[" * 100_000,
]


@pytest.mark.parametrize("raw", MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_json_is_400_on_every_write_route(client_as, targets, raw):
    client = client_as("partner_admin")
    for name, (method, url) in routes(targets).items():
        if name.startswith("run."):
            continue  # run actions take no body and never read one
        response = getattr(client, method)(url, raw, content_type="application/json")
        assert 400 <= response.status_code < 500, (name, response.status_code, response.content[:300])
        assert response.json().get("detail"), name


@pytest.mark.parametrize("depth", [3_000, 50_000])
def test_deeply_nested_documents_never_500(client_as, targets, depth):
    raw = (
        '{"document": {"schema_version": 1, "nodes": [], "edges": [], "x": '
        + '{"a": ' * depth
        + "1"
        + "}" * depth
    )
    raw += '}, "revision": 1, "force": true}'
    client = client_as("partner_admin")
    for route in ("flow.draft", "flow.validate"):
        method, url = routes(targets)[route]
        assert getattr(client, method)(url, raw, content_type="application/json").status_code < 500, route
    # Whatever was accepted, reading it back must work too.
    assert client.get(f"/api/flows/{targets['flow'].pk}/").status_code == 200
    assert client.get(f"/api/flows/{targets['flow'].pk}/export/").status_code == 200


@pytest.mark.parametrize("route", ["run.cancel", "run.retry", "run.replay", "run.skip"])
def test_bodies_of_run_actions_are_ignored_never_500(client_as, targets, route):
    method, url = routes(targets)[route]
    for raw in ("{", "[]", '"x"', json.dumps({"junk": [1]})):
        assert (
            getattr(client_as("partner_admin"), method)(url, raw, content_type="application/json").status_code
            < 500
        )


def test_wrong_content_type_is_415(client_as, targets):
    response = client_as("partner_admin").post("/api/flows/", "name=x", content_type="text/plain")
    assert response.status_code == 415


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/flows/?organisation=abc", "organisation"),
        ("/api/flows/?organisation=1;DROP", "organisation"),
        ("/api/flows/?status=bogus", "status"),
        ("/api/runs/?flow=abc", "flow"),
        ("/api/runs/?flow=-1", "flow"),
        ("/api/runs/?flow=99999999999999999999999", "flow"),
        ("/api/runs/?status=nope", "status"),
        ("/api/runs/?origin=nope", "origin"),
        ("/api/runs/?organisation=1e3", "organisation"),
        ("/api/organisations/?organisation=x", "organisation"),
        ("/api/memberships/?organisation=x", "organisation"),
    ],
)
def test_bad_filters_are_400_naming_the_filter(client_as, targets, url, field):
    response = client_as("viewer").get(url)
    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert field in response.json()["errors"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/flows/?organisation=99999999999999999999999",
        "/api/flows/?organisation=999999",
        "/api/flows/?limit=abc&offset=-5",
        "/api/flows/?limit=-1",
        "/api/flows/?ordering=secret_field",
        "/api/flows/?search=%00",
        "/api/flows/?tag=%00",
        "/api/runs/?organisation=999999",
        "/api/flows/1/versions/?x=1",
        "/api/runs/1/events/?after_seq=99999999999999999999999",
    ],
)
def test_odd_queries_never_500(client_as, targets, url):
    assert client_as("viewer").get(url).status_code < 500


# --- generated bodies ---------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


def field_bodies(fields: list[str]):
    """Objects that mostly use the route's own field names, with arbitrary JSON values."""
    keys = st.sampled_from(fields) | st.text(max_size=8)
    return st.dictionaries(keys, json_values, max_size=len(fields) + 1) | json_values


FIELDS = {
    "flow.create": ["organisation", "name", "description", "tags", "document"],
    "flow.update": ["name", "description", "tags"],
    "flow.draft": ["document", "revision", "force"],
    "flow.validate": ["document"],
    "flow.publish": ["comment"],
    "flow.run": ["input", "use_draft", "only_node", "pinned"],
    "flow.import": ["organisation", "data"],
    "membership.create": ["organisation", "username", "role"],
    "org.customers": ["name"],
    "expression.preview": ["expression", "item", "node_outputs"],
    "auth.login": ["username", "password"],
}


@pytest.mark.parametrize("route", sorted(FIELDS))
def test_generated_bodies_never_500(client_as, targets, route):
    method, url = routes(targets)[route]
    client = client_as("partner_admin")

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(body=field_bodies(FIELDS[route]))
    def check(body):
        response = getattr(client, method)(url, json.dumps(body), content_type="application/json")
        assert response.status_code < 500, (body, response.content[:300])

    check()


# JSON that parses but cannot be stored: PostgreSQL refuses NUL in jsonb and text, and nesting past the
# limit breaks every recursive walk. One parser refuses both for every route, naming the field.
UNSTORABLE_ROUTES = [
    ("flow.run", {"input": [{"name": "a\u0000b"}]}, "input.0.name"),
    ("flow.create", {"organisation": A, "name": "x\u0000"}, "name"),
    ("flow.draft", {"document": {"nodes": [{"label": "\u0000"}]}, "revision": 1}, "document.nodes.0.label"),
    ("flow.import", {"organisation": A, "data": {"k\u0000": 1}}, "data"),
    ("expression.preview", {"expression": "$item", "item": {"a": "\u0000"}}, "item.a"),
]


@pytest.mark.parametrize(("route", "payload", "field"), UNSTORABLE_ROUTES, ids=lambda v: str(v)[:30])
def test_nul_characters_are_400_naming_the_field(client_as, targets, route, payload, field):
    method, url = routes(targets)[route]
    response = getattr(client_as("partner_admin"), method)(url, _fill(payload, targets["a"]), format="json")
    assert response.status_code == 400, response.content[:300]
    assert field in response.json()["errors"] and "NUL" in response.json()["detail"]


@pytest.mark.parametrize("url", ["/api/flows/", "/api/connections/", "/api/templates/", "/api/memberships/"])
def test_nul_and_deep_nesting_are_400_on_every_json_endpoint(client_as, url):
    client = client_as("partner_admin")
    nul = client.post(url, '{"name": "a\\u0000"}', content_type="application/json")
    assert nul.status_code == 400 and "name" in nul.json()["errors"], nul.content[:300]
    deep = client.post(url, '{"name": ' + "[" * 150 + "]" * 150 + "}", content_type="application/json")
    assert deep.status_code == 400 and "name" in deep.json()["errors"], deep.content[:300]
    deeper = client.post(url, "[" * 100_000 + "]" * 100_000, content_type="application/json")
    assert deeper.status_code == 400 and deeper.json()["detail"]
