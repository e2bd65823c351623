"""Pinned data on the draft and version history (diff between versions, restore as draft): the API."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from flowbuilder.execution.models import NodeRun, RunStatus
from flowbuilder.flows import actions as flow_actions
from flowbuilder.flows.models import Flow, PinnedData
from tests.support.documents import manual_document

from .conftest import ROLES
from .mixins import Act, ActionTests, assert_one_audit, last_audit_id

EDITORS = {"admin": 200, "builder": 200}
READERS = {r: 200 for r in ROLES}


def two_versions(self, world, org) -> Flow:
    """v1 = trigger + m0; v2 adds m1; the draft changes m0's mapping."""
    flow = world.make_flow(org, published=True)
    actor = world.admin_of(org)
    flow_actions.save_draft(actor=actor, flow=flow, document=manual_document(2), revision=flow.draft_revision)
    flow_actions.publish_flow(actor=actor, flow=flow, comment="v2")
    flow.refresh_from_db()
    doc = manual_document(2)
    doc["nodes"][1]["config"]["fields"][0]["value"] = "{{ $item.n * 2 }}"
    flow_actions.save_draft(actor=actor, flow=flow, document=doc, revision=flow.draft_revision)
    flow.refresh_from_db()
    return flow


class TestFlowHistoryActions(ActionTests):
    url_base = "/api/flows/"
    model = Flow

    def make(self, world, org):
        return world.make_flow(org, published=True)

    actions = [
        Act("get", "pins", None, READERS),
        Act("put", "pins/m0", {"items": [{"n": 5}]}, EDITORS, audit="flow.pin_data"),
        Act("get", "diff", None, READERS),
        Act("post", "versions/1/restore", None, EDITORS, audit="flow.restore_version"),
    ]


def api(world, who="builder") -> APIClient:
    client = APIClient()
    client.force_authenticate(world.user(who))
    return client


def test_a_node_not_yet_saved_in_the_draft_can_be_pinned_but_is_not_used(world):
    """The editor pins while its autosave is pending; draft runs read pins of draft nodes only."""
    flow = world.make_flow(world.a)
    response = api(world).put(f"/api/flows/{flow.pk}/pins/n_new/", {"items": [{"a": 1}]}, format="json")
    assert response.status_code == 200, response.content
    assert flow_actions.draft_pins(flow) == {}
    doc = dict(flow.draft_document)
    doc["nodes"] = [*doc["nodes"], {**doc["nodes"][1], "id": "n_new"}]
    flow_actions.save_draft(actor=world.users["admin"], flow=flow, document=doc, revision=flow.draft_revision)
    assert flow_actions.draft_pins(flow) == {"n_new": [{"a": 1}]}


def test_pin_replace_list_and_unpin(world):
    flow = world.make_flow(world.a)
    url = f"/api/flows/{flow.pk}/pins/"
    client = api(world)
    assert client.put(f"{url}m0/", {"items": [{"n": 1}]}, format="json").status_code == 200
    response = client.put(f"{url}m0/", {"items": [{"n": 2}, {"n": 3}]}, format="json")
    assert response.json()["items"] == [{"n": 2}, {"n": 3}] and response.json()["pinned_by"] == "a-builder"
    listed = client.get(url).json()
    assert [(p["node_id"], p["items"]) for p in listed] == [("m0", [{"n": 2}, {"n": 3}])]
    since = last_audit_id()
    assert client.delete(f"{url}m0/").status_code == 204
    assert_one_audit(since, action="flow.unpin_data", actor=world.users["builder"], organisation=world.a)
    assert client.get(url).json() == []
    assert client.delete(f"{url}m0/").status_code == 204  # idempotent, no second audit row
    assert PinnedData.objects.count() == 0


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("x" * 101, {"items": []}, "node_id"),
        ("bad%20id", {"items": []}, "node_id"),
        ("m0", {"items": "x"}, "items"),
        ("m0", {"items": [1]}, "items"),
        ("m0", {"items": [{}] * 101}, "items"),
        ("m0", {}, "items"),
    ],
)
def test_bad_pins_are_400_naming_the_field(world, path, body, field):
    flow = world.make_flow(world.a)
    response = api(world).put(f"/api/flows/{flow.pk}/pins/{path}/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json().get("errors", {}), response.json()


def test_another_tenant_cannot_read_or_pin(world):
    flow = world.make_flow(world.a)
    flow_actions.pin_node_data(actor=world.users["admin"], flow=flow, node_id="m0", items=[{"secret": 1}])
    outsider = api(world, "b_admin")
    assert outsider.get(f"/api/flows/{flow.pk}/pins/").status_code == 404
    assert outsider.put(f"/api/flows/{flow.pk}/pins/m0/", {"items": []}, format="json").status_code == 404
    assert outsider.delete(f"/api/flows/{flow.pk}/pins/m0/").status_code == 404
    assert PinnedData.objects.get().items == [{"secret": 1}]


def test_diff_between_any_two_versions_and_the_draft(world):
    flow = two_versions(None, world, world.a)
    client = api(world, "viewer")
    body = client.get(f"/api/flows/{flow.pk}/diff/", {"from": "1", "to": "2"}).json()
    assert body["base"] == {"ref": "1", "label": "v1"} and body["head"]["label"] == "v2"
    assert [n["id"] for n in body["diff"]["nodes_added"]] == ["m1"]
    assert body["diff"]["nodes_changed"] == [] and len(body["diff"]["edges_added"]) == 1
    # Default: the published version (v2) against the draft.
    body = client.get(f"/api/flows/{flow.pk}/diff/").json()
    assert body["base"]["ref"] == "2" and body["head"]["ref"] == "draft"
    [changed] = body["diff"]["nodes_changed"]
    assert changed["id"] == "m0"
    assert changed["changes"] == [
        {
            "path": "/nodes/m0/config/fields",
            "op": "replace",
            "old": changed["changes"][0]["old"],
            "new": [{"name": "n", "value": "{{ $item.n * 2 }}"}],
        }
    ]
    assert [n["id"] for n in body["base_document"]["nodes"]] == ["t", "m0", "m1"]
    # Reversed: v2 -> v1 removes m1.
    body = client.get(f"/api/flows/{flow.pk}/diff/", {"from": "2", "to": "1"}).json()
    assert [n["id"] for n in body["diff"]["nodes_removed"]] == ["m1"]


@pytest.mark.parametrize(("query", "field"), [({"from": "9"}, "from"), ({"to": "x"}, "to")])
def test_diff_of_unknown_version_is_400(world, query, field):
    flow = world.make_flow(world.a, published=True)
    response = api(world).get(f"/api/flows/{flow.pk}/diff/", query)
    assert response.status_code == 400 and field in response.json()["errors"]


def test_restore_makes_the_old_version_the_draft_and_publishes_nothing(world):
    flow = two_versions(None, world, world.a)
    revision = flow.draft_revision
    since = last_audit_id()
    response = api(world).post(f"/api/flows/{flow.pk}/versions/1/restore/")
    assert response.status_code == 200, response.content
    row = assert_one_audit(
        since, action="flow.restore_version", actor=world.users["builder"], organisation=world.a
    )
    assert row.after["restored_version"] == 1
    flow.refresh_from_db()
    assert flow.draft_revision == revision + 1
    assert [n["id"] for n in flow.draft_document["nodes"]] == ["t", "m0"]
    assert flow.published_version.number == 2
    assert response.json()["draft"]["revision"] == flow.draft_revision
    assert api(world).post(f"/api/flows/{flow.pk}/versions/7/restore/").status_code == 400


@pytest.mark.django_db(transaction=True)
def test_run_this_node_uses_the_pin_and_a_published_run_never_does(world, eager):
    """The pin on ``t`` feeds a draft run of m0 alone; the published flow, run whole or one node, ignores
    it (the pin would make m0 output 101)."""
    flow = world.make_flow(world.a, published=True)
    flow_actions.pin_node_data(actor=world.users["admin"], flow=flow, node_id="t", items=[{"n": 100}])
    client = api(world)

    def run(**body):
        response = client.post(f"/api/flows/{flow.pk}/run/", {"input": {"n": 1}, **body}, format="json")
        assert response.status_code == 201, response.content
        from flowbuilder.execution.models import Run

        return Run.objects.get(pk=response.json()["id"])

    draft = run(use_draft=True, only_node="m0")
    assert draft.status == RunStatus.SUCCEEDED
    assert NodeRun.objects.get(run=draft, node_id="m0").output_items["main"] == [{"n": 101}]

    published = run()
    assert published.status == RunStatus.SUCCEEDED and published.output_items == [{"n": 2}]
    assert "pinned" not in (published.options or {})
    lone = run(only_node="m0")
    # Run alone, m0 takes t's output from the last run (issue 10 defect 2), never the draft's pin.
    assert (lone.options or {}).get("pinned", {}).get("t") != [{"n": 100}]
    assert [{"n": 101}] not in [r.output_items.get("main") for r in NodeRun.objects.filter(run=lone)]
