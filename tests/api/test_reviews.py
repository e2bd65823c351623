"""Four-eyes publishing through the API: review requests, approve/reject, rollback, template rollout."""

from __future__ import annotations

import pytest
from django.core import mail

from flowbuilder.audit.models import AuditEvent
from flowbuilder.flows import templates as template_actions
from flowbuilder.flows.models import Flow, FlowVersion, VersionState
from tests.support.documents import manual_document

from .mixins import DetailTests, ListTests
from .test_templates import make_template, partner_admin_of

pytestmark = pytest.mark.django_db


def _require(org, *, distinct=True):
    org.require_publish_approval = True
    org.require_distinct_approver = distinct
    org.save(update_fields=["require_publish_approval", "require_distinct_approver"])


def _send(client_as, world, who="builder", **body):
    flow = world.make_flow(world.a, name="Invoices")
    response = client_as(who).post(f"/api/flows/{flow.pk}/publish/", {"comment": "v1", **body}, format="json")
    assert response.status_code == 201, response.content
    return flow, response.json()


def test_publish_without_the_rule_goes_live_at_once(client_as, world):
    flow, version = _send(client_as, world)
    assert version["state"] == "published"
    assert Flow.objects.get(pk=flow.pk).published_version_id == version["id"]


def test_publish_under_the_rule_waits_in_review_and_nothing_goes_live(client_as, world):
    _require(world.a)
    flow, version = _send(client_as, world)
    assert version["state"] == "in_review"
    assert Flow.objects.get(pk=flow.pk).published_version_id is None
    assert AuditEvent.objects.filter(action="flow.review_submit", object_id=str(version["id"])).exists()
    waiting = (
        client_as("approver").get("/api/reviews/", {"waiting": "true", "organisation": world.a.pk}).json()
    )
    assert [r["id"] for r in waiting["results"]] == [version["id"]]
    assert waiting["results"][0]["can_decide"] is True


def test_author_cannot_approve_own_version(client_as, world, django_capture_on_commit_callbacks):
    _require(world.a)
    world.users["admin"].email = "admin@a.example"
    world.users["admin"].save()
    flow, version = _send(client_as, world, who="admin")
    # The admin holds the approve action, but wrote this version.
    mine = client_as("admin").get("/api/reviews/", {"waiting": "true"}).json()
    assert version["id"] not in [r["id"] for r in mine["results"]]
    refused = client_as("admin").post(f"/api/reviews/{version['id']}/approve/", {}, format="json")
    assert refused.status_code == 403
    assert "another person" in refused.json()["detail"]
    assert FlowVersion.objects.get(pk=version["id"]).state == VersionState.IN_REVIEW
    # Another person approves: it goes live, the author is told by e-mail and in the app.
    with django_capture_on_commit_callbacks(execute=True):
        approved = client_as("approver").post(
            f"/api/reviews/{version['id']}/approve/", {"reason": "ok"}, format="json"
        )
    assert approved.status_code == 200, approved.content
    assert approved.json()["state"] == "published"
    assert Flow.objects.get(pk=flow.pk).published_version_id == version["id"]
    assert [m.to for m in mail.outbox] == [["admin@a.example"]]
    assert "approved" in mail.outbox[0].subject
    unseen = client_as("admin").get("/api/reviews/", {"unseen": "true"}).json()
    assert [r["id"] for r in unseen["results"]] == [version["id"]]
    assert client_as("admin").post(f"/api/reviews/{version['id']}/seen/").status_code == 200
    assert client_as("admin").get("/api/reviews/", {"unseen": "true"}).json()["count"] == 0
    actions = list(
        AuditEvent.objects.filter(action__startswith="flow.").order_by("id").values_list("action", flat=True)
    )
    assert actions[-3:] == ["flow.review_submit", "flow.review_approve", "flow.publish"]


def test_without_the_distinct_rule_an_admin_may_approve_own(client_as, world):
    _require(world.a, distinct=False)
    _flow, version = _send(client_as, world, who="admin")
    assert (
        client_as("admin").post(f"/api/reviews/{version['id']}/approve/", {}, format="json").status_code
        == 200
    )


def test_builder_and_viewer_cannot_decide(client_as, world):
    _require(world.a)
    _flow, version = _send(client_as, world)
    for who in ("builder", "viewer", "operator"):
        assert client_as(who).post(f"/api/reviews/{version['id']}/approve/", {}).status_code == 403, who


def test_rejected_never_publishes(client_as, world):
    _require(world.a)
    flow, version = _send(client_as, world)
    no_reason = client_as("approver").post(f"/api/reviews/{version['id']}/reject/", {}, format="json")
    assert no_reason.status_code == 400
    assert "reason" in no_reason.json()["errors"]
    rejected = client_as("approver").post(
        f"/api/reviews/{version['id']}/reject/", {"reason": "maps the wrong tax code"}, format="json"
    )
    assert rejected.status_code == 200
    assert rejected.json()["review_reason"] == "maps the wrong tax code"
    # Neither a later approval nor a rollback to it can publish it.
    again = client_as("admin").post(f"/api/reviews/{version['id']}/approve/", {}, format="json")
    assert again.status_code == 409
    rollback = client_as("builder").post(
        f"/api/flows/{flow.pk}/publish/", {"rollback_to": version["number"]}, format="json"
    )
    assert rollback.status_code == 400
    assert Flow.objects.get(pk=flow.pk).published_version_id is None
    assert FlowVersion.objects.get(pk=version["id"]).state == VersionState.REJECTED


def test_rollback_goes_through_approval(client_as, world):
    flow = world.make_flow(world.a, name="Invoices", published=True)  # v1 live, no rule yet
    v1 = flow.published_version
    doc2 = manual_document()
    doc2["nodes"][0]["label"] = "Second"
    builder = client_as("builder")
    builder.put(f"/api/flows/{flow.pk}/draft/", {"document": doc2, "force": True}, format="json")
    builder.post(f"/api/flows/{flow.pk}/publish/", {}, format="json")  # v2 live
    _require(world.a)
    response = builder.post(f"/api/flows/{flow.pk}/publish/", {"rollback_to": 1}, format="json")
    assert response.status_code == 201
    rollback = response.json()
    assert rollback["state"] == "in_review"
    assert Flow.objects.get(pk=flow.pk).published_version.number == 2  # still v2 until approved
    detail = client_as("approver").get(f"/api/reviews/{rollback['id']}/").json()
    assert detail["review_origin"] == "rollback" and detail["rollback_of"] == 1
    assert detail["live_version"] == 2
    assert detail["diff"]["nodes_changed"], detail["diff"]  # v2 -> v1 changes the label back
    assert isinstance(detail["findings"], list)
    client_as("approver").post(f"/api/reviews/{rollback['id']}/approve/", {}, format="json")
    live = Flow.objects.get(pk=flow.pk).published_version
    assert live.number == 3 and live.document == v1.document and live.rollback_of_id == v1.pk


def test_bad_rollback_target_is_a_400_naming_the_field(client_as, world):
    flow = world.make_flow(world.a, published=True)
    response = client_as("builder").post(f"/api/flows/{flow.pk}/publish/", {"rollback_to": 99}, format="json")
    assert response.status_code == 400
    assert "rollback_to" in response.json()["errors"]


def test_partner_rule_applies_to_its_customers(client_as, world):
    _require(world.partner)
    _flow, version = _send(client_as, world)
    assert version["state"] == "in_review"
    settings = client_as("admin").get(f"/api/organisations/{world.a.pk}/governance/").json()
    assert settings["approval_required"] is True and settings["approval_source"] == "partner"
    assert settings["require_publish_approval"] is False


def test_governance_settings_are_admin_only_and_audited(client_as, world):
    url = f"/api/organisations/{world.a.pk}/governance/"
    assert client_as("builder").put(url, {"require_publish_approval": True}, format="json").status_code == 403
    response = client_as("admin").put(
        url, {"require_publish_approval": True, "audit_retention_days": 0}, format="json"
    )
    assert response.status_code == 400 and "audit_retention_days" in response.json()["errors"]
    response = client_as("admin").put(url, {"require_publish_approval": True}, format="json")
    assert response.status_code == 200 and response.json()["approval_required"] is True
    assert AuditEvent.objects.filter(action="organisation.governance", organisation=world.a).count() == 1


def test_template_rollout_into_a_customer_that_requires_approval_creates_review_requests(world):
    _require(world.a)
    template = make_template(world, world.partner)
    [result] = template_actions.clone_template(
        actor=partner_admin_of(world, world.partner),
        template=template,
        targets=[{"customer": world.a.pk, "parameters": {"soql": '"SELECT Id FROM Opportunity"'}}],
    )
    assert result["ok"], result
    flow = Flow.objects.get(pk=result["flow"])
    assert flow.published_version_id is None  # not live
    assert result.get("review") or result.get("review_problem"), result
    if result.get("review"):
        version = FlowVersion.objects.get(pk=result["review"])
        assert version.state == VersionState.IN_REVIEW and version.review_origin == "template"
    else:  # the copy's connection slot is unbound: it cannot be reviewed before it is bound
        assert "problem" in result["review_problem"]


def test_template_rollout_without_the_rule_creates_no_review(world):
    template = make_template(world, world.partner)
    [result] = template_actions.clone_template(
        actor=partner_admin_of(world, world.partner),
        template=template,
        targets=[{"customer": world.a.pk, "parameters": {"soql": '"SELECT Id FROM Opportunity"'}}],
    )
    assert "review" not in result
    assert not FlowVersion.objects.filter(flow_id=result["flow"], state=VersionState.IN_REVIEW).exists()


class TestReviewIsolation(ListTests, DetailTests):
    """Another tenant's reviews are never visible (generic tenant-isolation mixins)."""

    url_base = "/api/reviews/"
    model = FlowVersion

    def make(self, world, org):
        from flowbuilder.flows import actions as flow_actions

        _require(org)
        flow = world.make_flow(org, name="Iso")
        return flow_actions.publish_flow(actor=world.admin_of(org), flow=flow)
