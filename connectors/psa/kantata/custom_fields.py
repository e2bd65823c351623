"""Custom field values on a Kantata workspace (project) or story (task), written by field name.

Kantata keys a value by custom field id; a flow knows the field by the name an administrator gave it
("Billing status"). So the action reads the subject type's fields once (``GET /custom_fields`` filtered by
``subject_types``, every page), maps names to ids, and sends one bulk ``POST /custom_field_values``.
A POST overrides the subject's existing value for the field ("Creating a value can also override existing
values, effectively making this an update request as well"), so a replay writes the same values again
and leaves one value per field: nothing to look up first.

Sources (developer.kantata.com):
- https://developer.kantata.com/kantata/specification/custom-field-values/create-custom-field-value
  (bulk form ``{"custom_field_values": [{subject_type, subject_id, custom_field_id, value}, ...]}``, up
  to 100; answer indexed by id under ``custom_field_values`` with ``results``)
- https://developer.kantata.com/kantata/specification/custom-fields/get-custom-fields (``name``,
  ``value_type``, ``custom_field_set_id``)
- https://developer.kantata.com/kantata/specification/custom-field-values/get-custom-field-values
  (``subject_type`` required; values sorted from less to more recently updated)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.base import ActionContext
from connectors.errors import InvalidInput

from . import client

SUBJECT_TYPES = ("Workspace", "Story")
MAX_VALUES = 100  # "bulk creating or updating up to 100 objects"

INPUT: dict[str, Any] = {
    "type": "object",
    "required": ["subject_type", "subject_id", "values"],
    "additionalProperties": False,
    "properties": {
        "subject_type": {
            "type": "string",
            "title": "Record type",
            "enum": list(SUBJECT_TYPES),
            "default": "Workspace",
            "description": "Workspace (project) or Story (task).",
        },
        "subject_id": {
            "type": ["string", "integer"],
            "pattern": "^[0-9]+$",
            "title": "Record id",
            "description": "The workspace's or story's id.",
        },
        "values": {
            "type": "object",
            "title": "Values by custom field name",
            "description": 'Custom field name -> value, e.g. {"Billing status": "Paid"}. '
            "Numbers for number and currency fields, YYYY-MM-DD for dates, null clears a field.",
            "minProperties": 1,
            "maxProperties": MAX_VALUES,
        },
    },
}
OUTPUT: dict[str, Any] = {
    "type": "object",
    "properties": {"subject_id": {"type": "string"}, "values": {"type": "object"}},
}


def field_ids(ctx: ActionContext, subject_type: str) -> dict[str, str]:
    """Custom field name -> id for one subject type (every page of ``GET /custom_fields``)."""
    fields = client.list_records(ctx, "custom_fields", {"subject_types": subject_type})
    return {str(f["name"]): str(f["id"]) for f in fields}


def set_custom_fields(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    subject_type = str(params["subject_type"])
    subject_id = str(params["subject_id"]).strip()
    if not subject_id.isdigit():
        raise InvalidInput("Kantata ids are numbers.", hint="Map the id field of the record.")
    values = dict(params.get("values") or {})
    if not values:
        raise InvalidInput("Give at least one custom field value.")
    ids = field_ids(ctx, subject_type)
    unknown = sorted(name for name in values if name not in ids)
    if unknown:
        raise InvalidInput(
            f"No {subject_type} custom field named {', '.join(repr(n) for n in unknown)} in Kantata; "
            f"its {subject_type} custom fields are: {', '.join(sorted(ids)) or '(none)'}.",
            hint="Use a custom field's name exactly as Kantata shows it.",
        )
    body = {
        "custom_field_values": [
            {
                "subject_type": subject_type,
                "subject_id": int(subject_id),
                "custom_field_id": int(ids[name]),
                "value": value,
            }
            for name, value in values.items()
        ]
    }
    client.request(ctx, "POST", "custom_field_values", json=body)
    return {"subject_id": subject_id, "values": values}
