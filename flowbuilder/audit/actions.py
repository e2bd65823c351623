"""``record`` appends one audit row; ``anchor_chain`` records the head outside the table;
``verify_chain`` detects tampering, truncation included."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from .chain import GENESIS, row_content, row_hash
from .models import AuditAction, AuditAnchor, AuditChainHead, AuditEvent, AuditTombstone


def record(
    action: AuditAction | str,
    *,
    actor: Any = None,
    organisation: Any = None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    before: Any = None,
    after: Any = None,
) -> AuditEvent:
    """Append an audit row inside the caller's transaction (so it commits with the change).

    ``action`` must be in the catalogue (:class:`AuditAction`): an unknown name raises ValueError.
    """
    action = AuditAction(action)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"last_hash": GENESIS}
        )
        user = actor if getattr(actor, "is_authenticated", False) else None
        event = AuditEvent(
            at=timezone.now(),
            actor=user,
            actor_label=user.get_username() if user else str(actor or "system"),
            organisation_id=getattr(organisation, "pk", organisation),
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            before=before,
            after=after,
            prev_hash=head.last_hash,
        )
        event.hash = row_hash(head.last_hash, row_content(event))
        event.save()
        head.last_hash = event.hash
        head.save(update_fields=["last_hash"])
    return event


@dataclass
class ChainReport:
    checked: int
    broken_at: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def anchor_chain() -> AuditAnchor | None:
    """Record the chain's current head (newest row, its hash, the row count) as an anchor.

    Nothing is written when no row was added since the last anchor. Appends wait on the head lock
    meanwhile, so the count and the head belong together.
    """
    with transaction.atomic():
        AuditChainHead.objects.select_for_update().get_or_create(pk=1, defaults={"last_hash": GENESIS})
        newest = AuditEvent.objects.order_by("-id").values("id", "hash").first()
        if newest is None:
            return None
        last = AuditAnchor.objects.order_by("-id").first()
        if last is not None and last.last_event_id == newest["id"]:
            return None
        return AuditAnchor.objects.create(
            at=timezone.now(),
            last_event_id=newest["id"],
            head_hash=newest["hash"],
            # Pruned rows (tombstones) still hold their place in the chain.
            row_count=AuditEvent.objects.filter(id__lte=newest["id"]).count()
            + AuditTombstone.objects.filter(event_id__lte=newest["id"]).count(),
        )


def _chain_rows() -> Any:
    """Events and tombstones of pruned events, merged in id order (both are id-ordered)."""
    events = AuditEvent.objects.order_by("id").iterator(chunk_size=2000)
    stones = AuditTombstone.objects.order_by("event_id").iterator(chunk_size=2000)
    event, stone = next(events, None), next(stones, None)
    while event is not None or stone is not None:
        if stone is None or (event is not None and event.id < stone.event_id):
            yield event.id, event
            event = next(events, None)
        else:
            yield stone.event_id, stone
            stone = next(stones, None)


def verify_chain() -> ChainReport:
    """Walk the chain from the first row: each row's hash and link, then every anchor and the head.

    A row pruned under retention (a tombstone) is checked by its link and kept hash (its content is
    gone). ``broken_at`` is the first row that fails (for a truncated chain: the anchored row that is
    gone).
    """
    anchors = {a.last_event_id: a for a in AuditAnchor.objects.order_by("id")}
    prev = GENESIS
    checked = 0
    last_id = 0
    for row_id, row in _chain_rows():
        if row.prev_hash != prev:
            return ChainReport(checked, row_id, "previous hash does not match (row removed or reordered)")
        if isinstance(row, AuditEvent) and row_hash(prev, row_content(row)) != row.hash:
            return ChainReport(checked, row_id, "row content changed after it was written")
        prev = row.hash
        checked += 1
        last_id = row_id
        anchor = anchors.pop(row_id, None)
        if anchor is not None and (anchor.head_hash != row.hash or anchor.row_count != checked):
            return ChainReport(
                checked, row_id, f"row differs from the anchor of {anchor.at:%Y-%m-%d %H:%M:%S} UTC"
            )
    if anchors:
        missing = min(anchors)
        anchor = anchors[missing]
        return ChainReport(
            checked,
            missing,
            f"the chain ends at row {last_id or 'none'} but the anchor of {anchor.at:%Y-%m-%d %H:%M:%S} UTC "
            f"names row {missing} ({anchor.row_count} rows): the newest rows were deleted",
        )
    head = AuditChainHead.objects.filter(pk=1).values_list("last_hash", flat=True).first()
    if head is not None and head != prev:
        return ChainReport(
            checked, last_id or None, "the chain head moved past the newest row: the newest rows were deleted"
        )
    return ChainReport(checked)


def prune_organisation(organisation_id: int, *, older_than: datetime, actor: Any = "retention") -> int:
    """Delete an organisation's audit rows written before ``older_than`` (its retention), keeping a
    tombstone (id, link, hash) of each so the chain stays verifiable; returns how many were pruned.

    The chain is anchored first (so truncation after the prune is still caught) and the prune itself
    is recorded as an audit row.
    """
    with transaction.atomic():
        AuditChainHead.objects.select_for_update().get_or_create(pk=1, defaults={"last_hash": GENESIS})
        doomed = AuditEvent.objects.filter(organisation_id=organisation_id, at__lt=older_than)
        now = timezone.now()
        stones = [
            AuditTombstone(
                event_id=e["id"],
                at=e["at"],
                organisation_id=organisation_id,
                prev_hash=e["prev_hash"],
                hash=e["hash"],
                pruned_at=now,
            )
            for e in doomed.values("id", "at", "prev_hash", "hash")
        ]
        if not stones:
            return 0
        AuditTombstone.objects.bulk_create(stones)
        doomed._raw_delete(doomed.db)  # AuditEvent.delete refuses: rows are only ever pruned here
    record(
        AuditAction.AUDIT_PRUNE,
        actor=actor,
        organisation=organisation_id,
        object_type="audit.trail",
        after={"pruned": len(stones), "older_than": older_than.isoformat()},
    )
    anchor_chain()
    return len(stones)
