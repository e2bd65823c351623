"""Cross-reference store operations: look up, link, and upsert through a link without duplicates.

``upsert_via_crossref`` is what makes a replayed or retried write safe: it locks the *source* record's
link row (created on first sight; the unique constraint settles a race between two creators), then
either updates the linked target or creates it and links the new id, all before the lock is released.
A second concurrent upsert for the same source waits on that lock and then sees the link, so it updates
instead of creating a second record.

The lock is held while ``create_fn`` / ``update_fn`` call the remote system: writes for one source
record are serialised, which is the point. Writes for different records do not wait for each other.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from flowbuilder.core.errors import ConflictError, InvalidInputError

from . import hooks
from .models import SyncLink


def _org_id(organisation: Any) -> int:
    return int(getattr(organisation, "pk", organisation))


def _check(entity: str, *systems: str) -> None:
    if not entity or any(not s for s in systems):
        raise InvalidInputError("Entity and system names must not be empty.", field="entity")


def lookup(organisation: Any, entity: str, system: str, external_id: str) -> uuid.UUID | None:
    """The canonical id of ``system``'s record ``external_id``, or None if it was never linked."""
    return (
        SyncLink.objects.filter(
            organisation_id=_org_id(organisation), entity=entity, system=system, external_id=str(external_id)
        )
        .values_list("canonical_id", flat=True)
        .first()
    )


def counterpart(
    organisation: Any, entity: str, source_system: str, source_id: str, target_system: str
) -> str | None:
    """The id in ``target_system`` of the record that is ``source_id`` in ``source_system``."""
    canonical = lookup(organisation, entity, source_system, source_id)
    if canonical is None:
        return None
    return (
        SyncLink.objects.filter(
            organisation_id=_org_id(organisation), entity=entity, canonical_id=canonical, system=target_system
        )
        .values_list("external_id", flat=True)
        .first()
    )


def _source_row(org_id: int, entity: str, system: str, external_id: str, *, lock: bool) -> SyncLink:
    """Get or create the link row of a record (a new canonical id when first seen), optionally locked."""
    SyncLink.objects.get_or_create(  # a concurrent creator makes this re-read; never two rows
        organisation_id=org_id,
        entity=entity,
        system=system,
        external_id=external_id,
        defaults={"canonical_id": uuid.uuid4()},
    )
    query = SyncLink.objects.select_for_update() if lock else SyncLink.objects
    return query.get(organisation_id=org_id, entity=entity, system=system, external_id=external_id)


def _attach(org_id: int, entity: str, canonical_id: uuid.UUID, system: str, external_id: str) -> SyncLink:
    existing = SyncLink.objects.filter(
        organisation_id=org_id, entity=entity, canonical_id=canonical_id, system=system
    ).first()
    if existing is not None:
        if existing.external_id != external_id:
            raise ConflictError(
                f"{entity} {canonical_id} is already linked to {system} id {existing.external_id!r}, "
                f"not {external_id!r}.",
                hint="Remove the old link first if the record was re-created in that system.",
            )
        existing.save(update_fields=["updated_at"])
        return existing
    try:
        with transaction.atomic():
            return SyncLink.objects.create(
                organisation_id=org_id,
                entity=entity,
                canonical_id=canonical_id,
                system=system,
                external_id=external_id,
            )
    except IntegrityError as exc:
        raise ConflictError(
            f"{system} {entity} {external_id!r} is already linked to another record.",
            hint="Each external record can be linked to one record per system only.",
        ) from exc


def link(
    organisation: Any,
    entity: str,
    source_system: str,
    source_id: str,
    target_system: str,
    target_id: str,
    *,
    run_id: int | None = None,
) -> uuid.UUID:
    """Record that ``source_system:source_id`` and ``target_system:target_id`` are the same ``entity``."""
    _check(entity, source_system, target_system)
    org_id = _org_id(organisation)
    with transaction.atomic():
        source = _source_row(org_id, entity, source_system, str(source_id), lock=True)
        _attach(org_id, entity, source.canonical_id, target_system, str(target_id))
        _linked(org_id, entity, source.canonical_id, run_id)
    return source.canonical_id


def _linked(org_id: int, entity: str, canonical_id: uuid.UUID, run_id: int | None) -> None:
    members = list(
        SyncLink.objects.filter(organisation_id=org_id, entity=entity, canonical_id=canonical_id).values_list(
            "system", "external_id"
        )
    )
    hooks.linked(
        organisation_id=org_id, entity=entity, canonical_id=canonical_id, members=members, run_id=run_id
    )


@dataclass(frozen=True)
class UpsertResult:
    target_id: str
    created: bool
    canonical_id: uuid.UUID
    result: Any = None


def upsert_via_crossref(
    organisation: Any,
    entity: str,
    source_system: str,
    source_id: str,
    target_system: str,
    create_fn: Callable[[], str],
    update_fn: Callable[[str], Any],
    *,
    run_id: int | None = None,
) -> UpsertResult:
    """Update the linked target record, or create it (``create_fn() -> new id``) and link it.

    Race-safe: concurrent calls for one source record are serialised on its link row, so exactly one
    of them creates. If ``create_fn`` raises, nothing is linked and the next attempt creates again, so
    pass an idempotency key to the remote system where it supports one.
    """
    _check(entity, source_system, target_system)
    org_id = _org_id(organisation)
    source_id = str(source_id)
    with transaction.atomic():
        source = _source_row(org_id, entity, source_system, source_id, lock=True)
        target = SyncLink.objects.filter(
            organisation_id=org_id, entity=entity, canonical_id=source.canonical_id, system=target_system
        ).first()
        if target is not None:
            result = update_fn(target.external_id)
            target.save(update_fields=["updated_at"])
            _linked(org_id, entity, source.canonical_id, run_id)
            return UpsertResult(target.external_id, False, source.canonical_id, result)
        new_id = create_fn()
        if new_id is None or str(new_id) == "":
            raise InvalidInputError(
                f"Creating the {entity} in {target_system} returned no id to link.", field="id_path"
            )
        _attach(org_id, entity, source.canonical_id, target_system, str(new_id))
        _linked(org_id, entity, source.canonical_id, run_id)
        return UpsertResult(str(new_id), True, source.canonical_id)
