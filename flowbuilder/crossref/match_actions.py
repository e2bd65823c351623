"""Duplicate detection with a person in the loop: place a source record against a target system's records.

``match_record`` is what the match node calls (through ``ctx.crossref.match``) for a record with no link
yet. It scores the target system's candidates (:mod:`.matching`) and answers one of:

* ``linked``: one exact match (or a person's earlier "link to X"): the SyncLink is written and the item
  carries the target id.
* ``create``: no candidate worth a look, or a person decided "create new" for this source record before.
* ``review``: near matches only (or several exact ones): a :class:`MatchReview` is opened (or refreshed,
  one per source record) and the item is held until a person decides.

``decide_match`` is the person's side: link to one of the candidates (writes the SyncLink through
:func:`.actions.link`) or create new (remembered on the review). Both are audited. Replaying the held item
is the caller's business (the failure inbox owns runs; see ``flowbuilder.observability.match_reviews``).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from flowbuilder.audit.actions import record
from flowbuilder.audit.models import AuditAction
from flowbuilder.core import matching
from flowbuilder.core.errors import InvalidInputError, PermissionDeniedError
from flowbuilder.tenancy.permissions import can

from . import actions
from .models import MatchReview, MatchStatus

LINKED = "linked"
CREATE = "create"
REVIEW = "review"
MAX_CANDIDATES = 10


def _annotate(
    org_id: int, entity: str, source_system: str, source_id: str, target_system: str, ranked: list[dict]
) -> list[dict]:
    """Mark candidates already linked to another source record: linking to them would take them away."""
    for cand in ranked:
        owner = actions.counterpart(org_id, entity, target_system, cand["id"], source_system)
        cand["linked_to"] = owner if owner and owner != source_id else None
        if cand["linked_to"] and cand["verdict"] == matching.EXACT:
            cand["verdict"] = matching.NEAR
            cand["reasons"] = [*cand["reasons"], f"already linked to {source_system} {owner}"]
    return ranked


def match_record(
    organisation_id: int,
    *,
    entity: str,
    source_system: str,
    source_id: str,
    target_system: str,
    source: dict[str, Any],
    candidates: list[dict[str, Any]],
    run_id: int | None = None,
    flow_id: int | None = None,
    node_id: str = "",
    item_index: int | None = None,
) -> dict[str, Any]:
    """Place ``source_system:source_id`` against ``candidates`` (the target system's records, each with an
    ``id``); see the module docstring for the answers. Idempotent per source record."""
    source_id = str(source_id)
    linked = actions.counterpart(organisation_id, entity, source_system, source_id, target_system)
    if linked is not None:
        return {"outcome": LINKED, "target_id": linked, "how": "crossref"}
    key = {
        "organisation_id": organisation_id,
        "entity": entity,
        "source_system": source_system,
        "source_id": source_id,
        "target_system": target_system,
    }
    with transaction.atomic():
        review = MatchReview.objects.select_for_update().filter(**key).first()
        if review is not None and review.status == MatchStatus.CREATED:
            return {"outcome": CREATE, "review_id": review.pk, "how": "decided"}
        if review is not None and review.status == MatchStatus.LINKED and review.target_id:
            # Decided "link" but the link was removed since: the person's decision stands.
            actions.link(
                organisation_id,
                entity,
                source_system,
                source_id,
                target_system,
                review.target_id,
                run_id=run_id,
            )
            return {
                "outcome": LINKED,
                "target_id": review.target_id,
                "review_id": review.pk,
                "how": "decided",
            }
        verdict, ranked = matching.decide(source, candidates)
        ranked = _annotate(organisation_id, entity, source_system, source_id, target_system, ranked)
        exact = [c for c in ranked if c["verdict"] == matching.EXACT]
        if len(exact) == 1 and review is None:
            target_id = exact[0]["id"]
            actions.link(
                organisation_id, entity, source_system, source_id, target_system, target_id, run_id=run_id
            )
            return {
                "outcome": LINKED,
                "target_id": target_id,
                "how": "exact",
                "score": exact[0]["score"],
                "reasons": exact[0]["reasons"],
            }
        if verdict == matching.NONE and review is None:
            return {"outcome": CREATE, "how": "no_match"}
        values = {
            "source": source,
            "candidates": ranked[:MAX_CANDIDATES],
            "run_id": run_id,
            "flow_id": flow_id,
            "node_id": node_id,
            "item_index": item_index,
        }
        if review is None:
            review = MatchReview.objects.create(**key, **values)
        else:  # still pending: refresh what the person sees, keep one review per source record
            for name, value in values.items():
                setattr(review, name, value)
            review.save()
    best = ranked[0] if ranked else None
    return {
        "outcome": REVIEW,
        "review_id": review.pk,
        "how": "near",
        "candidates": len(ranked),
        "best": {"id": best["id"], "score": best["score"], "reasons": best["reasons"]} if best else None,
    }


def decide_match(
    *, actor: Any, review: MatchReview, decision: str, target_id: str | None = None
) -> MatchReview:
    """A person's decision on a pending review: ``link`` (to ``target_id``, one of its candidates) or
    ``create``. Writes the SyncLink for a link; audited. A decided review cannot be decided again."""
    if not can(actor, "operate", review):
        raise PermissionDeniedError("You may not decide matches of this organisation.")
    if decision not in (LINKED, "link", CREATE):
        raise InvalidInputError("Decide 'link' or 'create'.", field="decision")
    with transaction.atomic():
        review = MatchReview.objects.select_for_update().get(pk=review.pk)
        if review.status != MatchStatus.PENDING:
            raise InvalidInputError(
                f"This match was already decided ({review.get_status_display().lower()}).", field="decision"
            )
        before = {"status": review.status}
        if decision == CREATE:
            review.status = MatchStatus.CREATED
            review.target_id = ""
        else:
            target_id = str(target_id or "").strip()
            if not target_id:
                raise InvalidInputError("Say which record to link to.", field="target_id")
            if target_id not in {str(c.get("id")) for c in review.candidates}:
                raise InvalidInputError(
                    f"{target_id!r} is not one of this review's candidates.", field="target_id"
                )
            actions.link(
                review.organisation_id,
                review.entity,
                review.source_system,
                review.source_id,
                review.target_system,
                target_id,
            )
            review.status = MatchStatus.LINKED
            review.target_id = target_id
        review.decided_by = actor if getattr(actor, "is_authenticated", False) else None
        review.decided_at = timezone.now()
        review.save(update_fields=["status", "target_id", "decided_by", "decided_at", "updated_at"])
        record(
            AuditAction.MATCH_DECIDE,
            actor=actor,
            organisation=review.organisation_id,
            obj=review,
            before=before,
            after={
                "status": review.status,
                "target_id": review.target_id,
                "source": f"{review.source_system}:{review.source_id}",
                "target_system": review.target_system,
            },
        )
    return review
