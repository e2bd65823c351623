"""Flow-version review (four-eyes publishing, flows.review) and an organisation's governance settings."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from flowbuilder.flows.models import FlowVersion
from flowbuilder.tenancy.models import Organisation

from .shapes import FindingShape, LastRunRefShape
from .strict import StrictModelSerializer, StrictSerializer
from .templates import GraphDiffShape


class ReviewerShape(StrictSerializer):
    id = serializers.IntegerField()
    username = serializers.CharField()

    class Meta:
        ref_name = "Reviewer"


class ReviewSerializer(StrictModelSerializer):
    """A version sent for review, with who decided it and why."""

    flow_name = serializers.CharField(source="flow.name", read_only=True)
    author = serializers.SerializerMethodField()
    reviewed_by = serializers.SerializerMethodField()
    rollback_of = serializers.SerializerMethodField()
    live_version = serializers.SerializerMethodField()
    can_decide = serializers.SerializerMethodField()
    unseen = serializers.SerializerMethodField()
    assignees = serializers.SerializerMethodField()
    assigned_to_me = serializers.SerializerMethodField()

    class Meta:
        model = FlowVersion
        fields = [
            "id",
            "flow",
            "flow_name",
            "organisation",
            "number",
            "state",
            "comment",
            "review_origin",
            "rollback_of",
            "author",
            "submitted_at",
            "reviewed_by",
            "reviewed_at",
            "review_reason",
            "live_version",
            "can_decide",
            "unseen",
            "assignees",
            "assigned_to_me",
        ]
        read_only_fields = fields

    def get_author(self, v: FlowVersion) -> str | None:
        return v.created_by.get_username() if v.created_by_id else None

    def get_reviewed_by(self, v: FlowVersion) -> str | None:
        return v.reviewed_by.get_username() if v.reviewed_by_id else None

    def get_rollback_of(self, v: FlowVersion) -> int | None:
        return v.rollback_of.number if v.rollback_of_id else None

    def get_live_version(self, v: FlowVersion) -> int | None:
        live = v.flow.published_version
        return live.number if live else None

    @extend_schema_field(ReviewerShape(many=True))
    def get_assignees(self, v: FlowVersion) -> list[dict]:
        return [{"id": u.pk, "username": u.get_username()} for u in v.assignees.all()]

    def get_assigned_to_me(self, v: FlowVersion) -> bool:
        user = self.context.get("request").user if self.context.get("request") else None
        return bool(user and user.is_authenticated and any(u.pk == user.pk for u in v.assignees.all()))

    def get_can_decide(self, v: FlowVersion) -> bool:
        return v.pk in self.context.get("decidable", set())

    def get_unseen(self, v: FlowVersion) -> bool:
        user = self.context.get("request").user if self.context.get("request") else None
        return bool(
            user and v.created_by_id == user.pk and v.reviewed_at is not None and v.author_seen_at is None
        )


class ReviewDetailSerializer(ReviewSerializer):
    """What the approver needs: the change against what is live, the findings, the last test run."""

    diff = serializers.SerializerMethodField()
    findings = serializers.SerializerMethodField()
    last_test_run = serializers.SerializerMethodField()

    class Meta(ReviewSerializer.Meta):
        fields = [*ReviewSerializer.Meta.fields, "diff", "findings", "last_test_run"]
        read_only_fields = fields

    @extend_schema_field(GraphDiffShape())
    def get_diff(self, v: FlowVersion) -> dict:
        return self.context["diff"]

    @extend_schema_field(FindingShape(many=True))
    def get_findings(self, v: FlowVersion) -> list:
        return self.context["findings"]

    @extend_schema_field(LastRunRefShape(allow_null=True))
    def get_last_test_run(self, v: FlowVersion) -> dict | None:
        return self.context["last_test_run"]


class ReviewAssignSerializer(StrictSerializer):
    assignees = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        max_length=50,
        allow_empty=True,
        help_text="User ids asked to decide the review; empty: the organisation's approvers but the author.",
    )


class ReviewDecisionSerializer(StrictSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class GovernanceSerializer(StrictModelSerializer):
    """An organisation's governance settings and what applies to it (its partner's rule included)."""

    approval_required = serializers.SerializerMethodField()
    distinct_approver_required = serializers.SerializerMethodField()
    approval_source = serializers.SerializerMethodField()

    class Meta:
        model = Organisation
        fields = [
            "require_publish_approval",
            "require_distinct_approver",
            "audit_retention_days",
            "environments_enabled",
            "environment_names",
            "prod_requires_test_run",
            "approval_required",
            "distinct_approver_required",
            "approval_source",
        ]
        extra_kwargs = {"audit_retention_days": {"min_value": 1, "allow_null": True, "required": False}}

    def _policy(self, org: Organisation):
        from flowbuilder.tenancy.governance import approval_policy

        return approval_policy(org)

    def get_approval_required(self, org: Organisation) -> bool:
        return self._policy(org).required

    def get_distinct_approver_required(self, org: Organisation) -> bool:
        return self._policy(org).distinct_approver

    def get_approval_source(self, org: Organisation) -> str:
        return self._policy(org).source
