"""The failure inbox over the API: tenant isolation (generic mixins), roles, audit, grouping and batches."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from flowbuilder.execution.models import FailureKind, FailureRecord, RunStatus
from flowbuilder.observability.inbox_models import InboxBatch

from .mixins import Act, ActionTests, DetailTests, ListTests, assert_not_found


def make_failure(
    world: Any, org: Any, *, category: str = "refused_value", kind: str = "run"
) -> FailureRecord:
    run = world.make_run(org, status=RunStatus.FAILED, failed_node=True)
    return FailureRecord.objects.create(
        organisation=org,
        flow=run.flow,
        run=run,
        kind=kind,
        node_id="m0",
        item_index=-1 if kind == FailureKind.RUN else 0,
        item=None if kind == FailureKind.RUN else {"id": 1},
        category=category,
        message="boom",
    )


def _failure(test: Any, world: Any, org: Any) -> FailureRecord:
    return make_failure(world, org)


OPERATORS = {"admin": 200, "operator": 200}


class TestFailures(ListTests, DetailTests, ActionTests):
    url_base = "/api/failures/"
    model = FailureRecord
    actions = [
        Act("post", "resolve", payload={}, allowed=OPERATORS, audit="inbox.resolve", make=_failure),
        Act(
            "post",
            "snooze",
            payload=lambda obj: {"until": (timezone.now() + timedelta(hours=2)).isoformat()},
            allowed=OPERATORS,
            audit="inbox.snooze",
            make=_failure,
        ),
        Act(
            "post",
            "assign",
            payload={"assignee": None},
            allowed=OPERATORS,
            audit="inbox.assign",
            make=_failure,
        ),
        Act(
            "post",
            "comments",
            payload={"body": "Called the customer"},
            allowed={"admin": 201, "operator": 201},
            audit="inbox.comment",
            make=_failure,
        ),
    ]

    def make(self, world, org):
        return make_failure(world, org)

    def test_bad_input_names_the_field(self, client_as, world):
        failure = make_failure(world, world.a)
        client = client_as("operator")
        assert (
            "until"
            in client.post(self.detail_url(failure, "snooze"), {"until": "soon"}, format="json").json()[
                "errors"
            ]
        )
        past = (timezone.now() - timedelta(hours=1)).isoformat()
        assert (
            "until"
            in client.post(self.detail_url(failure, "snooze"), {"until": past}, format="json").json()[
                "errors"
            ]
        )
        assert (
            "body"
            in client.post(self.detail_url(failure, "comments"), {"body": ""}, format="json").json()["errors"]
        )
        someone_of_b = world.b_admin.pk
        response = client.post(self.detail_url(failure, "assign"), {"assignee": someone_of_b}, format="json")
        assert response.status_code == 400 and "assignee" in response.json()["errors"]
        assert client.get(f"{self.url_base}?category=nonsense").status_code == 400
        assert client.get(f"{self.url_base}?group=flow:abc").status_code == 400

    def test_filters_and_partner_scope(self, client_as, world):
        ours = make_failure(world, world.a, category="rate_limit")
        other = make_failure(world, world.a, category="duplicate")
        viewer = client_as("viewer")
        ids = {r["id"] for r in viewer.get(f"{self.url_base}?category=rate_limit").json()["results"]}
        assert ours.pk in ids and other.pk not in ids
        partner = client_as("partner_admin").get(f"{self.url_base}?organisation={world.partner.id}").json()
        assert {ours.pk, other.pk} <= {r["id"] for r in partner["results"]}
        row = viewer.get(self.detail_url(ours)).json()
        assert row["category_label"] == "Rate limit" and "retry later" in row["next_step"]


class TestInboxGroups:
    url = "/api/inbox/"

    def test_groups_for_a_customer_and_a_partner(self, client_as, world):
        make_failure(world, world.a, category="rate_limit")
        make_failure(world, world.a, category="rate_limit", kind="item")
        make_failure(world, world.b, category="rate_limit")
        data = client_as("viewer").get(f"{self.url}?organisation={world.a.id}").json()
        assert data["total"] == 2 and data["groups"][0]["key"] == "category:rate_limit"
        assert data["groups"][0]["items"] == 1 and data["groups"][0]["runs"] == 2
        by_customer = (
            client_as("partner_admin")
            .get(f"{self.url}?organisation={world.partner.id}&group_by=customer")
            .json()
        )
        assert [g["key"] for g in by_customer["groups"]] == [f"customer:{world.a.id}"]

    def test_other_tenant_is_404_and_bad_parameters_name_the_field(self, client_as, world):
        for who in ("admin", "viewer", "partner_admin", "stranger"):
            assert_not_found(client_as(who).get(f"{self.url}?organisation={world.b.id}"), who)
        for query, field in (
            ("", "organisation"),
            (f"?organisation={world.a.id}&group_by=colour", "group_by"),
            (f"?organisation={world.a.id}&state=gone", "state"),
            (f"?organisation={world.a.id}&group=nope", "group"),
        ):
            response = client_as("viewer").get(self.url + query)
            assert response.status_code == 400 and field in response.json()["errors"], query


def _batch(test: Any, world: Any, org: Any) -> InboxBatch:
    return InboxBatch.objects.create(organisation=org, actor=world.admin_of(org), action="resolve", total=0)


class TestInboxBatches(ListTests, DetailTests):
    url_base = "/api/inbox-batches/"
    model = InboxBatch

    def make(self, world, org):
        return _batch(self, world, org)

    def test_operator_resolves_a_group_in_bulk_and_nothing_of_b_is_touched(
        self, client_as, world, eager, django_capture_on_commit_callbacks
    ):
        ours = [make_failure(world, world.a, category="duplicate") for _ in range(3)]
        theirs = make_failure(world, world.b, category="duplicate")
        with django_capture_on_commit_callbacks(execute=True):
            response = client_as("operator").post(
                self.url_base,
                {"organisation": world.a.id, "action": "resolve", "group": "category:duplicate"},
                format="json",
            )
        assert response.status_code == 201, response.content
        batch = client_as("viewer").get(f"{self.url_base}{response.json()['id']}/").json()
        assert (batch["status"], batch["done"], batch["total"]) == ("done", 3, 3)
        assert set(
            FailureRecord.objects.filter(pk__in=[f.pk for f in ours]).values_list("state", flat=True)
        ) == {"resolved"}
        theirs.refresh_from_db()
        assert theirs.state == "open"

    def test_choosing_another_tenants_failure_is_refused(self, client_as, world):
        theirs = make_failure(world, world.b)
        response = client_as("operator").post(
            self.url_base,
            {"organisation": world.a.id, "action": "retry", "failures": [theirs.pk]},
            format="json",
        )
        assert response.status_code == 400 and "failures" in response.json()["errors"]
        assert_not_found(
            client_as("operator").post(
                self.url_base,
                {"organisation": world.b.id, "action": "retry", "failures": [theirs.pk]},
                format="json",
            )
        )
        assert (
            client_as("viewer")
            .post(
                self.url_base, {"organisation": world.a.id, "action": "retry", "failures": [1]}, format="json"
            )
            .status_code
            == 403
        )
        bad = client_as("operator").post(
            self.url_base, {"organisation": world.a.id, "action": "explode", "failures": [1]}, format="json"
        )
        assert bad.status_code == 400 and "action" in bad.json()["errors"]


class TestRevalidation:
    url = "/api/inbox-batches/"

    def test_operator_revalidates_a_failure_reads_the_verdicts_and_replays_the_passing_ones(
        self, client_as, world, eager, django_capture_on_commit_callbacks
    ):
        failure = make_failure(world, world.a)
        operator = client_as("operator")
        with django_capture_on_commit_callbacks(execute=True):
            response = operator.post(
                self.url,
                {
                    "organisation": world.a.id,
                    "action": "revalidate",
                    "target": "draft",
                    "failures": [failure.pk],
                },
                format="json",
            )
        assert response.status_code == 201, response.content
        batch = client_as("viewer").get(f"{self.url}{response.json()['id']}/").json()
        assert (batch["status"], batch["target"], batch["succeeded"]) == ("done", "draft", 1)
        [result] = batch["results"]
        assert (result["failure"], result["verdict"], result["node_id"]) == (failure.pk, "pass", "m0")
        assert result["input"] == {"n": 1}
        failure.refresh_from_db()
        assert failure.state == "open"  # revalidating resolves nothing

        assert client_as("viewer").post(f"{self.url}{batch['id']}/replay-passing/").status_code == 403
        with django_capture_on_commit_callbacks(execute=True):
            replay = operator.post(f"{self.url}{batch['id']}/replay-passing/")
        assert replay.status_code == 201, replay.content
        assert (replay.json()["action"], replay.json()["source_batch"]) == ("replay_draft", batch["id"])
        failure.refresh_from_db()
        assert failure.state == "resolved" and failure.follow_up_run_id is not None

    def test_replaying_on_the_draft_is_refused_where_publishing_needs_approval(
        self, client_as, world, eager, django_capture_on_commit_callbacks
    ):
        failure = make_failure(world, world.a)
        operator = client_as("operator")
        with django_capture_on_commit_callbacks(execute=True):
            response = operator.post(
                self.url,
                {
                    "organisation": world.a.id,
                    "action": "revalidate",
                    "target": "draft",
                    "failures": [failure.pk],
                },
                format="json",
            )
        batch = response.json()
        world.a.require_publish_approval = True
        world.a.save(update_fields=["require_publish_approval"])
        refused = operator.post(f"{self.url}{batch['id']}/replay-passing/")
        assert refused.status_code == 400, refused.content
        assert "publish" in str(refused.json()["errors"]["target"]).lower()
        failure.refresh_from_db()
        assert failure.state == "open" and failure.follow_up_run_id is None
        assert not InboxBatch.objects.filter(action="replay_draft").exists()

    def test_bad_input_names_the_field_and_other_tenants_batches_are_404(self, client_as, world):
        failure = make_failure(world, world.a)
        operator = client_as("operator")
        bad = operator.post(
            self.url,
            {
                "organisation": world.a.id,
                "action": "revalidate",
                "target": "tomorrow",
                "failures": [failure.pk],
            },
            format="json",
        )
        assert bad.status_code == 400 and "target" in bad.json()["errors"]
        theirs = make_failure(world, world.b)
        refused = operator.post(
            self.url,
            {"organisation": world.a.id, "action": "revalidate", "failures": [theirs.pk]},
            format="json",
        )
        assert refused.status_code == 400 and "failures" in refused.json()["errors"]
        their_batch = InboxBatch.objects.create(
            organisation=world.b, actor=world.b_admin, action="revalidate", status="done", total=0
        )
        for who in ("operator", "admin", "partner_admin", "stranger"):
            assert_not_found(client_as(who).post(f"{self.url}{their_batch.pk}/replay-passing/"), who)
        not_a_revalidation = _batch(self, world, world.a)
        response = operator.post(f"{self.url}{not_a_revalidation.pk}/replay-passing/")
        assert response.status_code == 400 and "action" in response.json()["errors"]
