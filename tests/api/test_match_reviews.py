"""The duplicate-match review queue over the API: tenant isolation and roles (generic mixins), deciding
link / create new (the link is written, the decision kept, audited), filters, and 4xx on bad input."""

from __future__ import annotations

import itertools
from typing import Any

from flowbuilder.crossref import actions as crossref
from flowbuilder.crossref.models import MatchReview, MatchStatus, SyncLink
from flowbuilder.execution.models import FailureCategory, FailureKind, FailureRecord, RunStatus

from .mixins import Act, ActionTests, DetailTests, ListTests

_SEQ = itertools.count(1)


def make_review(world: Any, org: Any, *, source_id: str = "") -> MatchReview:
    n = next(_SEQ)
    source_id = source_id or f"001ACME{n:04d}"
    target = str(800 + n)
    return MatchReview.objects.create(
        organisation=org,
        entity="customer",
        source_system="salesforce",
        source_id=source_id,
        target_system="netsuite",
        source={"name": "Acme, Inc.", "website": None},
        candidates=[
            {
                "id": target,
                "record": {"id": target, "name": "Acme Inc", "website": "acme.example"},
                "verdict": "near",
                "score": 0.5,
                "reasons": ["same name ('acme' once legal form and punctuation are ignored)"],
                "fields": {"name": "same", "website": "missing"},
            }
        ],
    )


def _review(test: Any, world: Any, org: Any) -> MatchReview:
    return make_review(world, org)


OPERATORS = {"admin": 200, "operator": 200}


class TestMatchReviews(ListTests, DetailTests, ActionTests):
    url_base = "/api/match-reviews/"
    model = MatchReview
    actions = [
        Act(
            "post",
            "decide",
            payload=lambda review: {"decision": "link", "target_id": review.candidates[0]["id"]},
            allowed=OPERATORS,
            audit="match.decide",
            make=_review,
        ),
        Act(
            "post",
            "decide",
            payload={"decision": "create"},
            allowed=OPERATORS,
            audit="match.decide",
            make=_review,
        ),
    ]

    def make(self, world, org):
        return make_review(world, org)

    def test_link_writes_the_cross_reference_and_is_remembered(self, client_as, world):
        review = make_review(world, world.a)
        client = client_as("operator")
        answer = client.post(
            self.detail_url(review, "decide"),
            {"decision": "link", "target_id": review.candidates[0]["id"]},
            format="json",
        )
        assert answer.status_code == 200, answer.content
        body = answer.json()
        assert (
            body["review"]["status"] == "linked"
            and body["review"]["decided_by"] == world.users["operator"].username
        )
        assert body["replay"] is None
        assert (
            crossref.counterpart(world.a, "customer", "salesforce", review.source_id, "netsuite")
            == review.candidates[0]["id"]
        )
        again = client.post(self.detail_url(review, "decide"), {"decision": "create"}, format="json")
        assert again.status_code == 400 and "decision" in again.json()["errors"]  # decided once

    def test_deciding_without_replay_notes_the_decision_on_the_held_items_open_record(self, client_as, world):
        review = make_review(world, world.a)
        run = world.make_run(world.a, status=RunStatus.SUCCEEDED)
        held = FailureRecord.objects.create(
            organisation=world.a,
            flow=run.flow,
            run=run,
            kind=FailureKind.ITEM,
            node_id="match",
            item_index=0,
            item={"Id": review.source_id},
            category=FailureCategory.NEEDS_REVIEW,
            message="Decide in Match reviews.",
        )
        MatchReview.objects.filter(pk=review.pk).update(run_id=run.pk, flow_id=run.flow_id, node_id="match")
        target = review.candidates[0]["id"]
        client = client_as("operator")
        answer = client.post(
            self.detail_url(review, "decide"), {"decision": "link", "target_id": target}, format="json"
        )
        assert answer.status_code == 200 and answer.json()["replay"] is None
        shown = client.get(f"/api/failures/{held.pk}/").json()
        assert shown["state"] == "open"  # open until it is replayed
        assert shown["note"] == f"Decided: link to netsuite {target} — replay to apply."
        comments = client.get(f"/api/failures/{held.pk}/comments/").json()
        bodies = [c["body"] for c in (comments["results"] if isinstance(comments, dict) else comments)]
        assert bodies == [shown["note"]]

    def test_create_new_keeps_the_decision_and_links_nothing(self, client_as, world):
        review = make_review(world, world.a)
        answer = client_as("admin").post(
            self.detail_url(review, "decide"), {"decision": "create"}, format="json"
        )
        assert answer.status_code == 200 and answer.json()["review"]["status"] == "created"
        assert not SyncLink.objects.filter(organisation=world.a).exists()
        review.refresh_from_db()
        assert review.status == MatchStatus.CREATED and review.decided_at is not None

    def test_bad_input_is_a_400_naming_the_field(self, client_as, world):
        review = make_review(world, world.a)
        client = client_as("operator")
        url = self.detail_url(review, "decide")
        cases = [
            ({"decision": "merge"}, "decision"),
            ({}, "decision"),
            ({"decision": "link"}, "target_id"),
            ({"decision": "link", "target_id": "999"}, "target_id"),  # not one of the candidates
            ({"decision": "link", "target_id": review.candidates[0]["id"], "replay": "perhaps"}, "replay"),
        ]
        for payload, field in cases:
            answer = client.post(url, payload, format="json")
            assert answer.status_code == 400, (payload, answer.content)
            assert field in answer.json()["errors"], (payload, answer.json())
        review.refresh_from_db()
        assert review.status == MatchStatus.PENDING  # nothing half-decided

    def test_a_target_linked_to_another_account_is_a_conflict_not_a_500(self, client_as, world):
        review = make_review(world, world.a)
        crossref.link(world.a, "customer", "salesforce", "001OTHER", "netsuite", review.candidates[0]["id"])
        answer = client_as("operator").post(
            self.detail_url(review, "decide"),
            {"decision": "link", "target_id": review.candidates[0]["id"]},
            format="json",
        )
        assert answer.status_code == 409, answer.content
        review.refresh_from_db()
        assert review.status == MatchStatus.PENDING

    def test_filters_pending_and_decided(self, client_as, world):
        pending = make_review(world, world.a, source_id="001P")
        decided = make_review(world, world.a, source_id="001D")
        client = client_as("viewer")
        client_as("operator").post(self.detail_url(decided, "decide"), {"decision": "create"}, format="json")
        ids = lambda q: {r["id"] for r in client.get(self.url_base + q).json()["results"]}  # noqa: E731
        assert ids("?status=pending") == {pending.pk}
        assert ids("?decided=true") == {decided.pk}
        assert ids("?decided=false&target_system=netsuite") == {pending.pk}
        assert ids("?target_system=dynamics") == set()
        assert client.get(self.url_base + "?status=maybe").status_code == 400
