"""Hooks outer apps register at start-up, so crossref never imports them (see ``flows.hooks``).

``linked(...)`` is called after ``actions.link`` or ``actions.upsert_via_crossref`` stored or confirmed a
link, with the canonical record's members ``[(system, external_id), ...]`` and the run that wrote it (when a
node did): the observability app indexes them for the business transaction trace. Hooks must not fail the
write: an exception is logged and swallowed.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from django.db import transaction

log = logging.getLogger(__name__)

LinkHook = Callable[..., None]

_on_link: list[LinkHook] = []


def on_link(hook: LinkHook) -> LinkHook:
    """Register ``hook(organisation_id=, entity=, canonical_id=, members=, run_id=)`` (idempotent)."""
    if hook not in _on_link:
        _on_link.append(hook)
    return hook


def linked(
    *,
    organisation_id: int,
    entity: str,
    canonical_id: uuid.UUID,
    members: list[tuple[str, str]],
    run_id: int | None = None,
) -> None:
    for hook in _on_link:
        try:
            with transaction.atomic():  # a savepoint: a failing hook leaves the link intact
                hook(
                    organisation_id=organisation_id,
                    entity=entity,
                    canonical_id=canonical_id,
                    members=members,
                    run_id=run_id,
                )
        except Exception:
            log.exception("link hook failed for %s %s", entity, canonical_id)
