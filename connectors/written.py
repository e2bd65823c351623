"""Which records a write action touched, read from its parameters and its answer.

Echo suppression needs them: a flow that writes a record back to the system it polls would otherwise
start itself again on its own change. The executor marks each record written here; the polling trigger
skips a change whose version matches a mark (or whose last-modified time is within seconds of it when
the system answered without a version). Connectors need not declare anything for this: the object is
the action's ``record_object`` or its object parameter, the id and any version come from the answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.base import Action, RecordRef
from connectors.errors import InvalidInput
from connectors.polling import parse_timestamp

# Where an action's parameters name the object it writes, as the system's polling trigger names it.
OBJECT_PARAMS = ("sobject", "collection", "record_type", "entity_set", "object")
ID_FIELDS = ("id", "Id", "ID")
# Last-modified fields the systems return with a written record (Salesforce, Kantata, Business Central,
# NetSuite); the first one present is the record's version.
VERSION_FIELDS = (
    "LastModifiedDate",
    "SystemModstamp",
    "updated_at",
    "lastModifiedDateTime",
    "lastmodifieddate",
)


def written_records(action: Action, params: Any, result: Any) -> list[RecordRef]:
    """The records a write action changed (empty for reads and failed writes).

    ``params`` is one params dict, or the list of them for a batch action; ``result`` is what the action
    returned (one dict or a list, in input order for batch actions).
    """
    if not action.writes:
        return []
    answers = result if isinstance(result, list) else [result]
    inputs = params if isinstance(params, list) else [params] * len(answers)
    refs = []
    for index, answer in enumerate(answers):
        if not isinstance(answer, Mapping) or answer.get("success") is False or answer.get("deleted"):
            continue
        given = inputs[index] if index < len(inputs) and isinstance(inputs[index], Mapping) else {}
        obj = action.record_object or _object_of(given)
        rid = _first(answer, ID_FIELDS)
        if not obj or rid in (None, ""):
            continue
        version = _first(answer, VERSION_FIELDS)
        refs.append(RecordRef(obj.lower(), str(rid), *_version(version)))
    return refs


def with_version(ref: RecordRef, version: Any) -> RecordRef:
    """``ref`` with the version the system reports for it (a last-modified time or an etag)."""
    return RecordRef(ref.object, ref.id, *_version(version))


def _object_of(params: Mapping[str, Any]) -> str:
    for name in OBJECT_PARAMS:
        value = params.get(name)
        if isinstance(value, str) and value:
            return value
    return ""


def _first(data: Mapping[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        if data.get(name) not in (None, ""):
            return data[name]
    return None


def _version(value: Any) -> tuple[str, Any]:
    if value in (None, ""):
        return "", None
    try:
        when = parse_timestamp(str(value))
    except InvalidInput:  # not a time: an etag or a counter, compared as text
        return str(value), None
    return when.isoformat(), when
