"""The audit trail's API shapes."""

from __future__ import annotations

from rest_framework import serializers

from flowbuilder.audit.models import AuditEvent

from .shapes import typed_json
from .strict import StrictModelSerializer, StrictSerializer

ANY_JSON = {"nullable": True}


class AuditEventSerializer(StrictModelSerializer):
    actor = serializers.CharField(source="actor_label", read_only=True)
    organisation_name = serializers.SerializerMethodField()
    action_label = serializers.CharField(source="get_action_display", read_only=True)
    before = typed_json(ANY_JSON, read_only=True)
    after = typed_json(ANY_JSON, read_only=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "at",
            "actor",
            "actor_id",
            "organisation",
            "organisation_name",
            "action",
            "action_label",
            "object_type",
            "object_id",
            "before",
            "after",
            "hash",
        ]
        read_only_fields = fields

    def get_organisation_name(self, event: AuditEvent) -> str | None:
        return event.organisation.name if event.organisation_id else None


class ChainReportShape(StrictSerializer):
    ok = serializers.BooleanField()
    checked = serializers.IntegerField(help_text="Rows checked before the first break (all when ok).")
    broken_at = serializers.IntegerField(allow_null=True, help_text="The first row that breaks the chain.")
    reason = serializers.CharField(allow_blank=True)

    class Meta:
        ref_name = "ChainReport"
