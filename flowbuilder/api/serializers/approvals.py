"""Approvals as the inbox, the API and the e-mail link page show them."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from flowbuilder.execution.approvals import DECISIONS, may_decide
from flowbuilder.execution.models import ApprovalRequest

from .strict import StrictModelSerializer, StrictSerializer


class ApprovalSerializer(StrictModelSerializer):
    flow = serializers.IntegerField(source="run.flow_id", read_only=True)
    flow_name = serializers.CharField(source="run.flow.name", read_only=True)
    assignee_users = serializers.SerializerMethodField()
    decided_by = serializers.SerializerMethodField()
    can_decide = serializers.SerializerMethodField()
    items = serializers.ListField(child=serializers.DictField(), read_only=True)
    columns = serializers.ListField(child=serializers.CharField(), read_only=True)
    totals = serializers.DictField(read_only=True)
    editable_fields = serializers.ListField(child=serializers.CharField(), read_only=True)
    assignee_roles = serializers.ListField(child=serializers.CharField(), read_only=True)
    edited_items = serializers.ListField(child=serializers.DictField(), read_only=True, allow_null=True)

    class Meta:
        model = ApprovalRequest
        fields = [
            "id",
            "organisation",
            "run",
            "flow",
            "flow_name",
            "node_id",
            "title",
            "status",
            "assignee_roles",
            "assignee_users",
            "escalation_level",
            "due_at",
            "items",
            "columns",
            "totals",
            "editable_fields",
            "decided_by",
            "decided_at",
            "decided_via",
            "reason",
            "edited_items",
            "created_at",
            "can_decide",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_assignee_users(self, obj: ApprovalRequest) -> list[str]:
        return [u.get_username() for u in obj.assignee_users.all()]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_decided_by(self, obj: ApprovalRequest) -> str | None:
        return obj.decided_by.get_username() if obj.decided_by else None

    @extend_schema_field(serializers.BooleanField())
    def get_can_decide(self, obj: ApprovalRequest) -> bool:
        request = self.context.get("request")
        return bool(request and obj.status == "pending" and may_decide(request.user, obj))


class DecisionSerializer(StrictSerializer):
    decision = serializers.ChoiceField(choices=DECISIONS)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    items = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Edit and approve: all lines, only the editable fields changed.",
    )
