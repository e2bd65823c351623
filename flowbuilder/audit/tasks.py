"""Beat's ``audit.anchor``: record the audit chain's head outside the event table (see AuditAnchor)."""

from __future__ import annotations

from celery import shared_task

from .actions import anchor_chain


@shared_task(name="audit.anchor", ignore_result=True)
def anchor() -> int | None:
    made = anchor_chain()
    return made.last_event_id if made else None
