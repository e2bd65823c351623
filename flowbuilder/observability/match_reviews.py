"""A person decides a duplicate-match review and, if asked, the held item is replayed at once.

The decision itself is the cross-reference store's (``flowbuilder.crossref.match_actions.decide_match``);
the held item is a failure-inbox record of the run that held it (category ``needs_review``), so replaying
it is the inbox's retry from the match node: the node runs again on the same input and follows the
decision (linked: out on Matched; create new: out on New). The failure is marked retried with the new run.
Decided without a replay, the held item's record stays open with a note naming the decision (and a
comment), so the inbox says what replaying it will do.
"""

from __future__ import annotations

from typing import Any

from flowbuilder.core.errors import FlowbuilderError
from flowbuilder.crossref.match_actions import decide_match
from flowbuilder.crossref.models import MatchReview, MatchStatus
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


def decision_note(review: MatchReview) -> str:
    """``Decided: link to netsuite 42 — replay to apply`` (or ``create new``), for the held item's record."""
    if review.status == MatchStatus.LINKED:
        what = f"link to {review.target_system} {review.target_id}"
    else:
        what = "create new"
    return f"Decided: {what} — replay to apply."


def decide_review(
    *, actor: Any, review: MatchReview, decision: str, target_id: str | None = None, replay: bool = False
) -> tuple[MatchReview, dict[str, Any] | None]:
    """Decide, then (``replay``) retry the held item from the match node: (review, replay outcome).

    The replay outcome is ``{"run": id}``, ``{"run": None, "message": ...}`` when there was nothing to
    replay or the run could not be retried (the decision stands either way; the inbox can retry later).
    """
    review = decide_match(actor=actor, review=review, decision=decision, target_id=target_id)
    ids = held_failures(review)
    if ids:  # the held item stays open until replayed: say what was decided on it
        inbox_actions.note_decision(actor=actor, failure_ids=ids, note=decision_note(review))
    if not replay:
        return review, None
    if not ids:
        return review, {"run": None, "message": "No open held item to replay (already replayed or resolved)."}
    try:
        run = inbox_actions.act_on_run_failures(
            actor=actor, action=BulkAction.RETRY, run_id=int(review.run_id), failure_ids=ids
        )
    except FlowbuilderError as exc:
        return review, {"run": None, "message": exc.message}
    return review, {"run": run.pk if run else None}
