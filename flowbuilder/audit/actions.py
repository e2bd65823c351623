"""``record`` appends one audit row; ``verify_chain`` detects tampering."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from .chain import GENESIS, row_content, row_hash
from .models import AuditAction, AuditChainHead, AuditEvent


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


def verify_chain() -> ChainReport:
    prev = GENESIS
    checked = 0
    for event in AuditEvent.objects.order_by("id").iterator():
        if event.prev_hash != prev:
            return ChainReport(checked, event.id, "previous hash does not match (row removed or reordered)")
        if row_hash(prev, row_content(event)) != event.hash:
            return ChainReport(checked, event.id, "row content changed after it was written")
        prev = event.hash
        checked += 1
    return ChainReport(checked)
