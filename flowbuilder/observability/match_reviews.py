"""A person decides a duplicate-match review and, if asked, the held item is replayed at once.

The decision itself is the cross-reference store's (``flowbuilder.crossref.match_actions.decide_match``);
the held item is a failure-inbox record of the run that held it (category ``needs_review``), so replaying
it is the inbox's retry from the match node: the node runs again on the same input and follows the
decision (linked: out on Matched; create new: out on New). The failure is marked retried with the new run.
"""

from __future__ import annotations

from typing import Any

from flowbuilder.core.errors import FlowbuilderError
from flowbuilder.crossref.match_actions import decide_match
from flowbuilder.crossref.models import MatchReview
from flowbuilder.execution.models import FailureCategory, FailureRecord, FailureState

from . import inbox_actions
from .inbox_models import BulkAction


def held_failures(review: MatchReview) -> list[int]:
    """The open inbox records of the item this review held."""
    if review.run_id is None:
        return []
    return list(
        FailureRecord.objects.filter(
            organisation_id=review.organisation_id,
            run_id=review.run_id,
            node_id=review.node_id,
            category=FailureCategory.NEEDS_REVIEW,
        )
        .exclude(state=FailureState.RESOLVED)
        .values_list("id", flat=True)
    )


def decide_review(
    *, actor: Any, review: MatchReview, decision: str, target_id: str | None = None, replay: bool = False
) -> tuple[MatchReview, dict[str, Any] | None]:
    """Decide, then (``replay``) retry the held item from the match node: (review, replay outcome).

    The replay outcome is ``{"run": id}``, ``{"run": None, "message": ...}`` when there was nothing to
    replay or the run could not be retried (the decision stands either way; the inbox can retry later).
    """
    review = decide_match(actor=actor, review=review, decision=decision, target_id=target_id)
    if not replay:
        return review, None
    ids = held_failures(review)
    if not ids:
        return review, {"run": None, "message": "No open held item to replay (already replayed or resolved)."}
    try:
        run = inbox_actions.act_on_run_failures(
            actor=actor, action=BulkAction.RETRY, run_id=int(review.run_id), failure_ids=ids
        )
    except FlowbuilderError as exc:
        return review, {"run": None, "message": exc.message}
    return review, {"run": run.pk if run else None}
