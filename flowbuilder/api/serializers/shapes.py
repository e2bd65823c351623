"""OpenAPI shapes of the JSON the API builds by hand (method fields, JSON columns, action bodies).

These serializers only describe responses for drf-spectacular (and so for the SPA's generated types in
frontend/src/api/schema.d.ts); nothing instantiates them to render or validate data.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from flowbuilder.execution.models import RunStatus
from flowbuilder.flows.models import VersionState
from flowbuilder.tenancy.models import Organisation
from flowbuilder.tenancy.roles import Role

from .strict import StrictSerializer

JSON_OBJECT: dict[str, Any] = {"type": "object", "additionalProperties": {}}
ITEMS: dict[str, Any] = {"type": "array", "items": JSON_OBJECT}
PORT_ITEMS: dict[str, Any] = {"type": "object", "additionalProperties": ITEMS}
PORT_COUNTS: dict[str, Any] = {"type": "object", "additionalProperties": {"type": "integer"}}
STRINGS: dict[str, Any] = {"type": "array", "items": {"type": "string"}}


def typed(schema: Any, base: type[serializers.Field] = serializers.JSONField, **kwargs: Any) -> Any:
    """A ``base`` field (same behaviour) whose OpenAPI schema is ``schema`` (a dict or a serializer).

    A subclass carries the annotation: serializers deep-copy their declared fields, which drops
    anything set on an instance."""
    field_cls = extend_schema_field(schema)(type(f"Typed{base.__name__}", (base,), {}))
    return field_cls(**kwargs)


def typed_json(schema: Any, **kwargs: Any) -> Any:
    return typed(schema, serializers.JSONField, **kwargs)


class FindingShape(StrictSerializer):
    code = serializers.CharField()
    message = serializers.CharField()
    node_id = serializers.CharField(allow_null=True)
    edge_id = serializers.CharField(allow_null=True)
    field = serializers.CharField(allow_null=True)
    severity = serializers.ChoiceField(choices=["error", "warning"])

    class Meta:
        ref_name = "Finding"


class FindingsShape(StrictSerializer):
    findings = FindingShape(many=True)

    class Meta:
        ref_name = "Findings"


class PublishedVersionRefShape(StrictSerializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    created_at = serializers.DateTimeField()

    class Meta:
        ref_name = "PublishedVersionRef"


class LastRunRefShape(StrictSerializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=RunStatus.choices)
    created_at = serializers.DateTimeField()

    class Meta:
        ref_name = "LastRunRef"


class DraftShape(StrictSerializer):
    document = typed_json(JSON_OBJECT)
    revision = serializers.IntegerField()
    saved_by = serializers.CharField(allow_null=True)
    saved_at = serializers.DateTimeField(allow_null=True)
    findings = FindingShape(many=True)

    class Meta:
        ref_name = "Draft"


class SaveDraftResultShape(StrictSerializer):
    revision = serializers.IntegerField()
    saved_at = serializers.DateTimeField(allow_null=True)
    saved_by = serializers.CharField()
    findings = FindingShape(many=True)

    class Meta:
        ref_name = "SaveDraftResult"


class DraftConflictShape(StrictSerializer):
    detail = serializers.CharField()
    saved_by = serializers.CharField(allow_null=True)
    saved_at = serializers.DateTimeField(allow_null=True)
    revision = serializers.IntegerField()

    class Meta:
        ref_name = "DraftConflict"


class ErrorShape(StrictSerializer):
    """The body of 4xx answers (flowbuilder/api/errors.py)."""

    detail = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)
    hint = serializers.CharField(required=False)
    findings = FindingShape(many=True, required=False)

    class Meta:
        ref_name = "ApiError"


class RunVersionRefShape(StrictSerializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    state = serializers.ChoiceField(choices=VersionState.choices)
    environment = serializers.CharField(
        help_text='The environment the version was made for ("dev", "test", "prod"); "" without '
        "environments and for test snapshots."
    )

    class Meta:
        ref_name = "RunVersionRef"


# A run's or node run's ``error`` (execution/node_runner.py, engine.py, actions.py): always a message,
# usually a hint; the other keys depend on where it failed, and more may come.
ERROR_INFO: dict[str, Any] = {
    "type": "object",
    "properties": {
        "message": {"type": "string"},
        "hint": {"type": "string", "nullable": True},
        "type": {"type": "string", "description": "The exception class."},
        "field": {"type": "string"},
        "node_id": {"type": "string", "description": "On a run: the node that failed."},
        "skipped_by_operator": {"type": "boolean"},
    },
    "required": ["message"],
    "additionalProperties": {},
    "nullable": True,
}


class MeOrganisationShape(StrictSerializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Organisation._meta.get_field("kind").choices)
    parent = serializers.IntegerField(allow_null=True)
    role = serializers.ChoiceField(choices=Role.choices)
    actions = serializers.ListField(
        child=serializers.CharField(), help_text="What the role allows here: view, change, audit, ..."
    )

    class Meta:
        ref_name = "MeOrganisation"


class PortShape(StrictSerializer):
    name = serializers.CharField()
    label = serializers.CharField()

    class Meta:
        ref_name = "Port"


class RetryShape(StrictSerializer):
    max_attempts = serializers.IntegerField()
    backoff_s = serializers.FloatField()

    class Meta:
        ref_name = "Retry"


class NodeTypeShape(StrictSerializer):
    """One palette entry (``NodeBase.describe()``)."""

    type = serializers.CharField()
    label = serializers.CharField()
    category = serializers.CharField()
    icon = serializers.CharField()
    description = serializers.CharField()
    docs = serializers.CharField()
    inputs = PortShape(many=True)
    outputs = PortShape(many=True)
    config_schema = typed_json(JSON_OBJECT, help_text="JSON Schema of the node's config.")
    side_effects = serializers.BooleanField()
    is_trigger = serializers.BooleanField()
    default_retry = RetryShape()
    expression_fields = serializers.ListField(child=serializers.CharField())

    class Meta:
        ref_name = "NodeType"
