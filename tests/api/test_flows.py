"""Flows and versions: CRUD, every custom action, role matrix, tenant isolation, draft concurrency."""

from __future__ import annotations

import pytest

from flowbuilder.execution.models import Run
from flowbuilder.flows.models import Flow, FlowVersion, VersionState
from tests.support.documents import document, edge, manual_document, node

from .conftest import ROLES
from .mixins import (
    OUTSIDERS,
    Act,
    ActionTests,
    CreateTests,
    DeleteTests,
    DetailTests,
    ListTests,
    UpdateTests,
    assert_not_found,
    assert_one_audit,
    audit_since,
    last_audit_id,
    result_ids,
)

ALL = ROLES  # every role may read


def published(self, world, org):
    return world.make_flow(org, published=True)


def invalid_document() -> dict:
    return document(
        [
            node("t", "trigger.manual"),
            node("m", "transform.map", {"fields": "not a list"}),
            node("x", "no.such.type"),
        ],
        [edge("t", "m"), edge("m", "ghost")],
    )


class TestFlows(ListTests, DetailTests, CreateTests, UpdateTests, DeleteTests, ActionTests):
    url_base = "/api/flows/"
    model = Flow
    create_roles = ("admin", "builder")
    create_audit_action = "flow.create"
    update_payload = {"name": "Renamed", "description": "new words", "tags": ["crm", "erp"]}
    update_roles = ("admin", "builder")
    update_audit_action = "flow.update"
    delete_roles = ("admin", "builder")
    delete_audit_action = "flow.delete"
    actions = [
        Act(
            "put",
            "draft",
            lambda flow: {"document": manual_document(2), "revision": flow.draft_revision},
            {"admin": 200, "builder": 200},
            audit="flow.save_draft",
        ),
        Act("post", "validate", {"document": manual_document()}, dict.fromkeys(ALL, 200)),
        Act("post", "publish", {"comment": "first"}, {"admin": 201, "builder": 201}, audit="flow.publish"),
        Act("get", "versions", None, dict.fromkeys(ALL, 200), make=published),
        Act("get", "export", None, dict.fromkeys(ALL, 200)),
        Act("post", "schedule-preview", {"mode": "cron", "cron": "0 6 * * 1-5"}, dict.fromkeys(ALL, 200)),
        Act(
            "post",
            "run",
            {"input": {"n": 1}},
            {"admin": 201, "builder": 201, "operator": 201},
            audit="run.start",
            make=published,
        ),
        Act(
            "post",
            "run",
            {"input": [{"n": 1}, {"n": 2}], "use_draft": True},
            {"admin": 201, "builder": 201, "operator": 201},
            audit="run.start",
        ),
    ]

    def make(self, world, org):
        return world.make_flow(org)

    def create_payload(self, world, org):
        return {"organisation": org.id, "name": "New flow", "tags": ["crm"], "document": manual_document()}

    def test_detail_has_draft(self, client_as, objs):
        data = client_as("viewer").get(self.detail_url(objs[0])).json()
        assert data["draft"]["revision"] == objs[0].draft_revision
        assert data["draft"]["document"]["nodes"]
        assert data["draft"]["findings"] == []
        assert data["webhook_url"].endswith(f"/hooks/{objs[0].webhook_token}/")

    def test_detail_says_what_the_user_may_do(self, client_as, objs):
        """Issue 10, defect 5: the editor follows the role (the same rules the policy table enforces)."""
        expected = {
            "viewer": (False, False, False),
            "approver": (False, False, False),
            "operator": (False, False, True),
            "builder": (True, True, True),
            "admin": (True, True, True),
        }
        for role, (change, publish, run) in expected.items():
            data = client_as(role).get(self.detail_url(objs[0])).json()["permissions"]
            assert data == {"role": role, "change": change, "publish": publish, "run": run}, role
            refused = client_as(role).put(
                self.detail_url(objs[0], "draft"),
                {"document": data and objs[0].draft_document, "revision": objs[0].draft_revision},
                format="json",
            )
            assert (refused.status_code == 403) is not change, (role, refused.status_code)
            if not change:
                assert "change" in refused.json()["detail"], (role, refused.json())

    def test_filters(self, client_as, world):
        draft = world.make_flow(world.a, name="Quote sync")
        live = world.make_flow(world.a, name="Invoice push", published=True)
        Flow.objects.filter(pk=live.pk).update(tags=["erp"])
        client = client_as("viewer")
        assert result_ids(client.get(f"{self.url_base}?status=draft")) == {draft.pk}
        assert result_ids(client.get(f"{self.url_base}?status=published")) == {live.pk}
        assert result_ids(client.get(f"{self.url_base}?tag=erp")) == {live.pk}
        assert result_ids(client.get(f"{self.url_base}?search=quote")) == {draft.pk}
        bad = client.get(f"{self.url_base}?status=bogus")
        assert bad.status_code == 400
        assert "status" in bad.json()["errors"]

    def test_import_endpoint_of_other_tenant_flow_is_not_reachable_by_id(self, client_as, world):
        """``/api/flows/import/`` is a list route; B's flow ids under it are 404 like any other."""
        theirs = world.make_flow(world.b)
        for who in OUTSIDERS:
            assert_not_found(client_as(who).get(f"{self.url_base}{theirs.pk}/import/"), who)


class TestFlowImport(CreateTests):
    url_base = "/api/flows/"
    create_url = "/api/flows/import/"
    model = Flow
    create_roles = ("admin", "builder")
    create_audit_action = "flow.import"

    def make(self, world, org):
        return world.make_flow(org)

    def create_payload(self, world, org):
        source = world.make_flow(world.a, name="Source")
        from flowbuilder.flows.actions import export_flow

        return {"organisation": org.id, "data": export_flow(source)}

    def test_export_import_round_trip(self, client_as, world):
        source = world.make_flow(world.a, name="Round trip", published=True)
        client = client_as("builder")
        exported = client.get(f"/api/flows/{source.pk}/export/").json()
        assert exported["document"] == source.draft_document
        assert "webhook" not in str(exported).lower() or source.webhook_token not in str(exported)
        response = client.post(
            "/api/flows/import/", {"organisation": world.a.id, "data": exported}, format="json"
        )
        assert response.status_code == 201
        imported = Flow.objects.get(pk=response.json()["id"])
        assert imported.draft_document == source.draft_document
        assert imported.webhook_token != source.webhook_token

    def test_import_refuses_non_exports(self, client_as, world):
        for data in ({}, {"format": "other"}, [], "text", {"format": "flowbuilder.flow/v1", "document": []}):
            response = client_as("builder").post(
                "/api/flows/import/", {"organisation": world.a.id, "data": data}, format="json"
            )
            assert response.status_code == 400, data
            assert any(key.startswith("data") for key in response.json()["errors"]), response.json()


class TestVersions(DetailTests):
    url_base = "/api/versions/"
    model = FlowVersion

    def make(self, world, org):
        return world.make_flow(org, published=True).published_version

    def test_version_detail_has_document_and_plan(self, client_as, objs):
        data = client_as("viewer").get(self.detail_url(objs[0])).json()
        assert data["document"] == objs[0].document
        assert data["plan"]
        assert data["state"] == VersionState.PUBLISHED

    def test_no_version_list(self, client_as, objs):
        assert client_as("viewer").get(self.url_base).status_code in (404, 405)

    def test_versions_action_lists_published_not_snapshots(self, client_as, world):
        flow = world.make_flow(world.a, published=True)
        client = client_as("builder")
        client.post(f"/api/flows/{flow.pk}/run/", {"use_draft": True}, format="json")
        client.post(f"/api/flows/{flow.pk}/publish/", {"comment": "second"}, format="json")
        rows = client.get(f"/api/flows/{flow.pk}/versions/").json()
        assert [(v["number"], v["state"]) for v in rows] == [(2, "published"), (1, "superseded")]
        assert rows[0]["comment"] == "second"
        assert rows[0]["created_by"] == "a-builder"


class TestDraftConcurrency:
    def test_second_save_with_same_revision_is_409_naming_who_saved(self, client_as, world):
        flow = world.make_flow(world.a)
        rev = flow.draft_revision
        first = client_as("builder").put(
            f"/api/flows/{flow.pk}/draft/", {"document": manual_document(2), "revision": rev}, format="json"
        )
        assert first.status_code == 200
        assert first.json()["revision"] == rev + 1
        assert first.json()["saved_by"] == "a-builder"

        since = last_audit_id()
        second = client_as("admin").put(
            f"/api/flows/{flow.pk}/draft/", {"document": manual_document(3), "revision": rev}, format="json"
        )
        assert second.status_code == 409
        body = second.json()
        assert body["saved_by"] == "a-builder"
        assert body["revision"] == rev + 1
        assert body["saved_at"]
        assert "a-builder" in body["detail"]
        assert audit_since(since) == []
        flow.refresh_from_db()
        assert len(flow.draft_document["nodes"]) == 3  # the first save stands

        forced = client_as("admin").put(
            f"/api/flows/{flow.pk}/draft/",
            {"document": manual_document(3), "revision": rev, "force": True},
            format="json",
        )
        assert forced.status_code == 200
        assert forced.json()["revision"] == rev + 2
        assert forced.json()["saved_by"] == "a-admin"
        flow.refresh_from_db()
        assert len(flow.draft_document["nodes"]) == 4
        assert flow.draft_saved_by == world.users["admin"]

    def test_save_without_revision_is_400(self, client_as, world):
        flow = world.make_flow(world.a)
        response = client_as("builder").put(
            f"/api/flows/{flow.pk}/draft/", {"document": manual_document()}, format="json"
        )
        assert response.status_code == 400
        assert "revision" in response.json()["errors"]

    def test_draft_save_returns_findings(self, client_as, world):
        flow = world.make_flow(world.a)
        response = client_as("builder").put(
            f"/api/flows/{flow.pk}/draft/",
            {"document": invalid_document(), "revision": flow.draft_revision},
            format="json",
        )
        assert response.status_code == 200  # drafts may be invalid; findings say what to fix
        assert response.json()["findings"]


class TestPublishValidation:
    def test_publish_invalid_document_is_400_with_findings(self, client_as, world):
        flow = world.make_flow(world.a, doc=invalid_document())
        since = last_audit_id()
        response = client_as("builder").post(f"/api/flows/{flow.pk}/publish/", {}, format="json")
        assert response.status_code == 400
        findings = response.json()["findings"]
        assert findings
        for finding in findings:
            assert {"node_id", "field", "message"} <= set(finding)
            assert finding["message"]
        assert {"m", "x"} <= {f["node_id"] for f in findings}
        assert any(f["field"] for f in findings if f["node_id"] == "m")
        assert audit_since(since) == []
        flow.refresh_from_db()
        assert flow.published_version is None

    def test_validate_returns_findings(self, client_as, world):
        flow = world.make_flow(world.a)
        response = client_as("viewer").post(
            f"/api/flows/{flow.pk}/validate/", {"document": invalid_document()}, format="json"
        )
        assert response.status_code == 200
        assert {f["node_id"] for f in response.json()["findings"]} >= {"m", "x"}

    def test_run_unpublished_flow_is_400(self, client_as, world):
        flow = world.make_flow(world.a)
        response = client_as("builder").post(f"/api/flows/{flow.pk}/run/", {}, format="json")
        assert response.status_code == 400

    def test_run_with_a_misspelt_key_is_400_naming_it_and_starts_nothing(self, client_as, world):
        flow = world.make_flow(world.a)
        client = client_as("builder")
        response = client.post(
            f"/api/flows/{flow.pk}/run/", {"use_draft": True, "items": [{"n": 1}]}, format="json"
        )
        assert response.status_code == 400
        assert "items" in response.json()["errors"]
        assert "input" in response.json()["errors"]["items"][0]
        assert not Run.objects.filter(flow=flow).exists()

    def test_run_draft_with_invalid_document_is_400_with_findings(self, client_as, world):
        flow = world.make_flow(world.a, doc=invalid_document())
        response = client_as("builder").post(f"/api/flows/{flow.pk}/run/", {"use_draft": True}, format="json")
        assert response.status_code == 400
        assert response.json()["findings"]

    def test_publish_twice_supersedes(self, client_as, world):
        flow = world.make_flow(world.a)
        client = client_as("builder")
        first = client.post(f"/api/flows/{flow.pk}/publish/", {"comment": "one"}, format="json").json()
        second = client.post(f"/api/flows/{flow.pk}/publish/", {"comment": "two"}, format="json").json()
        assert (first["number"], second["number"]) == (1, 2)
        flow.refresh_from_db()
        assert flow.published_version_id == second["id"]
        detail = client.get(f"/api/flows/{flow.pk}/").json()
        assert detail["status"] == "published"
        assert detail["published_version"]["number"] == 2


@pytest.mark.parametrize("role", ["admin", "builder"])
def test_partner_admin_and_builder_flow_lifecycle(client_as, world, role):
    """Partner admin edits its customer's flows exactly like the customer's own builder."""
    who = "partner_admin" if role == "admin" else role
    client = client_as(who)
    since = last_audit_id()
    created = client.post(
        "/api/flows/",
        {"organisation": world.a.id, "name": "Lifecycle", "document": manual_document()},
        format="json",
    )
    assert created.status_code == 201
    flow_id = created.json()["id"]
    assert_one_audit(
        since, action="flow.create", actor=world.user(who), organisation=world.a, object_id=flow_id
    )
    rev = created.json()["draft_revision"]
    saved = client.put(
        f"/api/flows/{flow_id}/draft/", {"document": manual_document(2), "revision": rev}, format="json"
    )
    assert saved.status_code == 200
    assert client.post(f"/api/flows/{flow_id}/publish/", {}, format="json").status_code == 201
    run = client.post(f"/api/flows/{flow_id}/run/", {"input": {"n": 1}}, format="json")
    assert run.status_code == 201
    assert run.json()["status"] == "queued"


def test_schedule_preview_answers_in_the_organisations_time_zone_and_utc(client_as, world):
    world.a.timezone = "Europe/Berlin"
    world.a.save(update_fields=["timezone"])
    flow = world.make_flow(world.a)
    url = f"/api/flows/{flow.pk}/schedule-preview/"
    response = client_as("viewer").post(url, {"mode": "cron", "cron": "30 2 * * *"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["timezone"] == "Europe/Berlin" and len(body["times"]) == 5
    from datetime import datetime

    for tick in body["times"]:
        local, utc = datetime.fromisoformat(tick["local"]), datetime.fromisoformat(tick["utc"])
        assert local == utc and utc.utcoffset().total_seconds() == 0
        assert local.utcoffset().total_seconds() in (3600, 7200)  # CET or CEST
        assert (local.hour, local.minute) in ((2, 30), (3, 0))  # 03:00 only on the spring-forward night
    interval = client_as("viewer").post(url, {"mode": "interval", "interval_s": 60}, format="json").json()
    assert len(interval["times"]) == 5


def test_schedule_preview_of_a_bad_expression_is_400_naming_cron(client_as, world):
    flow = world.make_flow(world.a)
    url = f"/api/flows/{flow.pk}/schedule-preview/"
    for bad in ("61 * * * *", "* * *", "0 0 30 2 *", "every monday"):
        response = client_as("viewer").post(url, {"mode": "cron", "cron": bad}, format="json")
        assert response.status_code == 400 and "cron" in response.json()["errors"], (bad, response.content)
    response = client_as("viewer").post(url, {"mode": "weekly"}, format="json")
    assert response.status_code == 400 and "mode" in response.json()["errors"]


class TestDraftGroups:
    def test_a_group_naming_a_missing_node_is_refused_naming_the_field(self, client_as, world):
        flow = world.make_flow(world.a)
        doc = manual_document(2)
        ids = [n["id"] for n in doc["nodes"]]
        client = client_as("builder")
        bad = {**doc, "groups": [{"id": "g1", "label": "Work", "nodes": [ids[1], "ghost"]}]}
        response = client.put(
            f"/api/flows/{flow.pk}/draft/", {"document": bad, "revision": flow.draft_revision}, format="json"
        )
        assert response.status_code == 400
        errors = response.json()["errors"]
        assert list(errors) == ["document.groups[0].nodes"]
        assert "ghost" in errors["document.groups[0].nodes"][0]
        flow.refresh_from_db()
        assert "groups" not in flow.draft_document

        good = {**doc, "groups": [{"id": "g1", "label": "Work", "nodes": ids[1:], "collapsed": True}]}
        response = client.put(
            f"/api/flows/{flow.pk}/draft/", {"document": good, "revision": flow.draft_revision}, format="json"
        )
        assert response.status_code == 200, response.json()
        assert response.json()["findings"] == []
        flow.refresh_from_db()
        assert flow.draft_document["groups"] == good["groups"]
