"""Review assignees: a review request is assigned to the approvers the author names, or by default to
every approver of the organisation but the author; assignees are e-mailed; "assigned to me" comes first;
changing the assignees is audited and only the author or an approver may do it."""

from __future__ import annotations

import pytest
from django.core import mail

from flowbuilder.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def review_world(world, make_user):
    world.a.require_publish_approval = True
    world.a.require_distinct_approver = True
    world.a.save()
    world.second = make_user("approver2", world.a, "approver")
    for user in (world.users["approver"], world.second):
        user.email = f"{user.username}@a.example"
        user.save()
    return world


def _send(client, world, **body):
    flow = world.make_flow(world.a, name="Invoices")
    return client.post(f"/api/flows/{flow.pk}/publish/", {"comment": "v1", **body}, format="json")


def _names(review) -> list[str]:
    return sorted(a["username"] for a in review["assignees"])


def test_default_assignees_are_the_orgs_approvers_and_they_are_emailed(
    client_as, review_world, django_capture_on_commit_callbacks
):
    w = review_world
    with django_capture_on_commit_callbacks(execute=True):
        sent = _send(client_as("builder"), w)
    assert sent.status_code == 201, sent.content
    review = client_as("approver").get(f"/api/reviews/{sent.json()['id']}/").json()
    assert _names(review) == sorted([w.users["approver"].username, "approver2"])
    assert review["assigned_to_me"] is True
    assert sorted(m.to[0] for m in mail.outbox) == sorted([w.users["approver"].email, "approver2@a.example"])
    assert "review" in mail.outbox[0].subject.lower()
    submit = AuditEvent.objects.get(action="flow.review_submit", object_id=str(review["id"]))
    assert sorted(submit.after["assignees"]) == _names(review)


def test_the_author_is_never_a_default_assignee(review_world):
    from flowbuilder.flows.review import submit_for_review

    w = review_world
    flow = w.make_flow(w.a, name="Approver's own")
    version = submit_for_review(actor=w.second, flow=flow, document=flow.draft_document)
    assert [u.username for u in version.assignees.all()] == [w.users["approver"].username]


def test_explicit_assignees_and_assigned_to_me_first(client_as, review_world):
    w = review_world
    first = _send(client_as("builder"), w, assignees=[w.second.pk]).json()
    second = _send(client_as("builder"), w, assignees=[w.users["approver"].pk]).json()
    review = client_as("approver").get(f"/api/reviews/{first['id']}/").json()
    assert _names(review) == ["approver2"] and review["assigned_to_me"] is False
    # approver2's list: the older review assigned to them comes before the newer one that is not.
    listed = client_as("second").get("/api/reviews/", {"waiting": "true"}).json()["results"]
    assert [r["id"] for r in listed][:2] == [first["id"], second["id"]]
    assert [r["assigned_to_me"] for r in listed][:2] == [True, False]
    mine = client_as("second").get("/api/reviews/", {"assigned": "true"}).json()["results"]
    assert [r["id"] for r in mine] == [first["id"]]


def test_assignees_must_be_able_to_decide(client_as, review_world):
    w = review_world
    for bad in ([w.users["viewer"].pk], [w.b_admin.pk], [999999], [w.users["builder"].pk]):
        response = _send(client_as("builder"), w, assignees=bad)
        assert response.status_code == 400, (bad, response.content)
        assert "assignees" in response.json()["errors"]
    not_a_list = _send(client_as("builder"), w, assignees="everyone")
    assert not_a_list.status_code == 400 and "assignees" in not_a_list.json()["errors"]


def test_reassigning_is_audited_and_notifies_the_new_assignee(
    client_as, review_world, django_capture_on_commit_callbacks
):
    w = review_world
    sent = _send(client_as("builder"), w, assignees=[w.users["approver"].pk]).json()
    url = f"/api/reviews/{sent['id']}/assign/"
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as("builder").post(url, {"assignees": [w.second.pk]}, format="json")
    assert response.status_code == 200, response.content
    assert _names(response.json()) == ["approver2"]
    assert [m.to for m in mail.outbox] == [["approver2@a.example"]]
    event = AuditEvent.objects.get(action="flow.review_assign", object_id=str(sent["id"]))
    assert event.before == {"assignees": [w.users["approver"].username]}
    assert event.after["assignees"] == ["approver2"]
    # An approver resets it to the default (every approver but the author).
    reset = client_as("approver").post(url, {"assignees": []}, format="json")
    assert reset.status_code == 200 and len(reset.json()["assignees"]) == 2
    bad = client_as("builder").post(url, {"assignees": [w.users["viewer"].pk]}, format="json")
    assert bad.status_code == 400 and "assignees" in bad.json()["errors"]


def test_only_the_author_or_an_approver_assigns(client_as, review_world, make_user):
    w = review_world
    sent = _send(client_as("builder"), w).json()
    w.builder2 = make_user("builder2", w.a, "builder")
    url = f"/api/reviews/{sent['id']}/assign/"
    assert client_as("builder2").post(url, {"assignees": []}, format="json").status_code == 403
    assert client_as("viewer").post(url, {"assignees": []}, format="json").status_code == 403
    assert client_as("b_admin").post(url, {"assignees": []}, format="json").status_code == 404


def test_a_decided_review_cannot_be_reassigned(client_as, review_world):
    w = review_world
    sent = _send(client_as("builder"), w).json()
    client_as("approver").post(f"/api/reviews/{sent['id']}/approve/", {}, format="json")
    response = client_as("builder").post(
        f"/api/reviews/{sent['id']}/assign/", {"assignees": []}, format="json"
    )
    assert response.status_code == 409
