"""Operational intelligence over the API: dashboards, SLAs, KPIs, reconciliation and the business trace.

Model serializers shape and validate; the observability actions do the work. The ``*Shape`` serializers
only describe the JSON that ``observability.dashboards`` and ``observability.trace`` build.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from flowbuilder.credentials.models import Connection
from flowbuilder.flows.models import Criticality
from flowbuilder.observability.insight_models import (
    BusinessCalendar,
    BusinessSystems,
    KpiDefinition,
    KpiKind,
    KpiValue,
    ReconciliationDifference,
    ReconciliationPolicy,
    ReconciliationReport,
    SlaEvaluation,
    SlaPolicy,
)
from flowbuilder.tenancy.permissions import restrict

from .shapes import JSON_OBJECT, typed_json
from .strict import StrictModelSerializer, StrictSerializer


class VisibleFlowField(serializers.PrimaryKeyRelatedField):
    """A flow id the user can see: another tenant's id is "does not exist", like an unknown id."""

    def get_queryset(self) -> Any:
        from flowbuilder.flows.models import Flow

        return restrict(Flow.objects.all(), getattr(self.context.get("request"), "user", None))


class VisibleConnectionField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self) -> Any:
        return restrict(Connection.objects.all(), getattr(self.context.get("request"), "user", None))


# --- dashboards -------------------------------------------------------------------------------------------


class FiguresShape(StrictSerializer):
    runs = serializers.IntegerField()
    failed = serializers.IntegerField()
    failure_rate = serializers.FloatField(allow_null=True)
    p50_ms = serializers.IntegerField(allow_null=True)
    p95_ms = serializers.IntegerField(allow_null=True)


class FullFiguresShape(FiguresShape):
    succeeded = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    active = serializers.IntegerField()


class PointShape(FullFiguresShape):
    t = serializers.DateTimeField()


class LinePointShape(FiguresShape):
    t = serializers.DateTimeField()


class LineShape(StrictSerializer):
    key = serializers.IntegerField()
    label = serializers.CharField()
    points = LinePointShape(many=True)


class GroupShape(FullFiguresShape):
    key = serializers.IntegerField()
    label = serializers.CharField()


class BacklogCountsShape(StrictSerializer):
    queued = serializers.IntegerField(help_text="Dispatched, waiting for a worker.")
    held = serializers.IntegerField(help_text="Queued, waiting for the organisation's share of the workers.")
    running = serializers.IntegerField()
    waiting = serializers.IntegerField(help_text="Parked on a wait, an approval or a callback.")


class BacklogPointShape(BacklogCountsShape):
    t = serializers.DateTimeField()


class BacklogShape(StrictSerializer):
    now = BacklogCountsShape()
    series = BacklogPointShape(many=True)


class AttainmentShape(StrictSerializer):
    criticality = serializers.CharField()
    met = serializers.IntegerField()
    breached = serializers.IntegerField()
    pending = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)


class OrgRefShape(StrictSerializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()


class DailyShape(StrictSerializer):
    t = serializers.DateTimeField()
    runs = serializers.IntegerField()
    failed = serializers.IntegerField()


class CustomerHealthShape(StrictSerializer):
    organisation = OrgRefShape()
    health = serializers.ChoiceField(choices=["healthy", "degraded", "failing", "idle"])
    runs_24h = serializers.IntegerField()
    failed_24h = serializers.IntegerField()
    failure_rate_24h = serializers.FloatField(allow_null=True)
    trend = serializers.ChoiceField(choices=["better", "steady", "worse"])
    daily = DailyShape(many=True)


class DashboardShape(StrictSerializer):
    range = serializers.ChoiceField(choices=["24h", "7d", "30d"])
    step = serializers.ChoiceField(choices=["hour", "day"])
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    group_by = serializers.ChoiceField(choices=["flow", "customer"])
    totals = FullFiguresShape()
    series = PointShape(many=True)
    lines = LineShape(many=True)
    groups = GroupShape(many=True)
    backlog = BacklogShape()
    sla = AttainmentShape(many=True)
    customers = CustomerHealthShape(many=True)
    rolled_up_at = serializers.CharField(allow_null=True)


# --- trace ------------------------------------------------------------------------------------------------


class TraceRecordShape(StrictSerializer):
    system = serializers.CharField()
    entity = serializers.CharField()
    id = serializers.CharField()
    name = serializers.CharField()
    status = serializers.CharField()
    amount = serializers.CharField(allow_null=True)
    occurred_at = serializers.DateTimeField(allow_null=True)
    first_seen_at = serializers.DateTimeField(allow_null=True)
    stage = serializers.CharField()


class TraceRunShape(StrictSerializer):
    id = serializers.IntegerField()
    flow = serializers.IntegerField()
    flow_name = serializers.CharField()
    status = serializers.CharField()
    origin = serializers.CharField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    error = serializers.CharField()
    node = serializers.CharField()


class TraceEventShape(StrictSerializer):
    at = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=["run", "record"])
    title = serializers.CharField()
    system = serializers.CharField()
    id = serializers.CharField()
    status = serializers.CharField()


class TraceStageShape(StrictSerializer):
    stage = serializers.CharField()
    label = serializers.CharField()
    reached = serializers.BooleanField()
    records = serializers.IntegerField()


class TraceStuckShape(StrictSerializer):
    stage = serializers.CharField()
    run = serializers.IntegerField(allow_null=True)
    message = serializers.CharField()


class TraceShape(StrictSerializer):
    query = serializers.CharField()
    found = serializers.BooleanField()
    records = TraceRecordShape(many=True)
    runs = TraceRunShape(many=True)
    timeline = TraceEventShape(many=True)
    stages = TraceStageShape(many=True)
    stuck = TraceStuckShape(allow_null=True)


# --- business systems and calendar ------------------------------------------------------------------------


class BusinessSystemsSerializer(StrictModelSerializer):
    organisation = serializers.IntegerField(source="organisation_id")
    crm_connection = VisibleConnectionField(allow_null=True, required=False)
    psa_connection = VisibleConnectionField(allow_null=True, required=False)
    erp_connection = VisibleConnectionField(allow_null=True, required=False)
    counts = typed_json({"type": "object", "additionalProperties": {"type": "integer"}}, read_only=True)

    class Meta:
        model = BusinessSystems
        fields = [
            "id",
            "organisation",
            "crm_connection",
            "psa_connection",
            "erp_connection",
            "refresh_status",
            "refreshed_at",
            "refresh_error",
            "counts",
            "updated_at",
        ]
        read_only_fields = ["refresh_status", "refreshed_at", "refresh_error", "updated_at"]


class BusinessCalendarSerializer(StrictModelSerializer):
    organisation = serializers.IntegerField(source="organisation_id")
    country = serializers.CharField(source="organisation.country", read_only=True)
    timezone = serializers.CharField(source="organisation.timezone", read_only=True)
    working_days = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6), required=False
    )
    extra_holidays = serializers.ListField(child=serializers.DateField(), required=False)

    class Meta:
        model = BusinessCalendar
        fields = [
            "id",
            "organisation",
            "country",
            "timezone",
            "working_days",
            "day_start",
            "day_end",
            "public_holidays",
            "subdivision",
            "extra_holidays",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]

    def validate_extra_holidays(self, value: list[Any]) -> list[str]:
        return [d.isoformat() for d in value]


# --- SLAs -------------------------------------------------------------------------------------------------


class SlaSummaryShape(StrictSerializer):
    met = serializers.IntegerField()
    breached = serializers.IntegerField()
    pending = serializers.IntegerField()


class SlaPolicySerializer(StrictModelSerializer):
    organisation = serializers.IntegerField(source="organisation_id")
    flow = VisibleFlowField(allow_null=True, required=False)
    flow_name = serializers.CharField(source="flow.name", read_only=True, default="")
    target = serializers.DecimalField(max_digits=8, decimal_places=2, coerce_to_string=False)
    summary = serializers.SerializerMethodField()

    class Meta:
        model = SlaPolicy
        fields = [
            "id",
            "organisation",
            "name",
            "subject",
            "flow",
            "flow_name",
            "target",
            "unit",
            "criticality",
            "enabled",
            "evaluated_at",
            "summary",
            "created_at",
        ]
        read_only_fields = ["criticality", "evaluated_at", "created_at"]

    @extend_schema_field(SlaSummaryShape())
    def get_summary(self, obj: SlaPolicy) -> SlaSummaryShape:
        counts = {"met": 0, "breached": 0, "pending": 0}
        for status, n in obj.evaluations.values_list("status").annotate(n=Count("id")).order_by():
            counts[status] = n
        return counts  # type: ignore[return-value]


class SlaPolicyWriteSerializer(SlaPolicySerializer):
    criticality = serializers.ChoiceField(choices=Criticality.choices, required=False)

    class Meta(SlaPolicySerializer.Meta):
        read_only_fields = ["evaluated_at", "created_at"]


class SlaEvaluationSerializer(StrictModelSerializer):
    policy_name = serializers.CharField(source="policy.name", read_only=True)
    subject = serializers.CharField(source="policy.subject", read_only=True)

    class Meta:
        model = SlaEvaluation
        fields = [
            "id",
            "policy",
            "policy_name",
            "subject",
            "organisation",
            "subject_key",
            "label",
            "run",
            "criticality",
            "started_at",
            "due_at",
            "ended_at",
            "status",
            "breached_at",
        ]
        read_only_fields = fields


# --- KPIs -------------------------------------------------------------------------------------------------


class KpiRecordShape(StrictSerializer):
    system = serializers.CharField()
    entity = serializers.CharField()
    id = serializers.CharField()
    name = serializers.CharField()
    amount = serializers.CharField(allow_null=True)
    hours = serializers.CharField(allow_null=True)
    occurred_at = serializers.CharField(allow_null=True)


class KpiValueSerializer(StrictModelSerializer):
    value = serializers.DecimalField(max_digits=16, decimal_places=2, coerce_to_string=False)
    amount = serializers.DecimalField(
        max_digits=16, decimal_places=2, coerce_to_string=False, allow_null=True
    )

    class Meta:
        model = KpiValue
        fields = ["id", "definition", "computed_at", "value", "amount", "over_threshold", "record_count"]
        read_only_fields = fields


class KpiValueDetailSerializer(KpiValueSerializer):
    records = typed_json(KpiRecordShape(many=True), read_only=True)

    class Meta(KpiValueSerializer.Meta):
        fields = [*KpiValueSerializer.Meta.fields, "records"]
        read_only_fields = fields


class KpiSerializer(StrictModelSerializer):
    organisation = serializers.IntegerField(source="organisation_id")
    kind = serializers.ChoiceField(choices=KpiKind.choices)
    params = typed_json(JSON_OBJECT, required=False)
    threshold = serializers.DecimalField(
        max_digits=16, decimal_places=2, coerce_to_string=False, allow_null=True, required=False
    )
    latest = serializers.SerializerMethodField()

    class Meta:
        model = KpiDefinition
        fields = [
            "id",
            "organisation",
            "kind",
            "name",
            "params",
            "threshold",
            "enabled",
            "latest",
            "created_at",
        ]
        read_only_fields = ["created_at"]

    @extend_schema_field(KpiValueSerializer(allow_null=True))
    def get_latest(self, obj: KpiDefinition) -> KpiValueSerializer | None:
        value = obj.values.order_by("-computed_at", "-id").first()
        return KpiValueSerializer(value).data if value else None  # type: ignore[return-value]

    def validate_params(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise serializers.ValidationError("Must be an object.")
        return value


# --- reconciliation ---------------------------------------------------------------------------------------


class ReportRequestSerializer(StrictSerializer):
    period_start = serializers.DateField(required=False, allow_null=True, help_text="A day in the period.")


class ReconciliationTotalsShape(StrictSerializer):
    left = typed_json({"type": "object", "additionalProperties": {}})
    right = typed_json({"type": "object", "additionalProperties": {}})
    left_label = serializers.CharField()
    right_label = serializers.CharField()


class ReconciliationReportSerializer(StrictModelSerializer):
    policy_name = serializers.CharField(source="policy.name", read_only=True)
    kind = serializers.CharField(source="policy.kind", read_only=True)
    totals = typed_json(ReconciliationTotalsShape(), read_only=True)

    class Meta:
        model = ReconciliationReport
        fields = [
            "id",
            "policy",
            "policy_name",
            "kind",
            "organisation",
            "period_start",
            "period_end",
            "status",
            "error",
            "totals",
            "matched",
            "difference_count",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields


class ReconciliationPolicySerializer(StrictModelSerializer):
    organisation = serializers.IntegerField(source="organisation_id")
    fix_flow = VisibleFlowField(allow_null=True, required=False)
    fix_flow_name = serializers.CharField(source="fix_flow.name", read_only=True, default="")
    tolerance_hours = serializers.DecimalField(
        max_digits=10, decimal_places=2, coerce_to_string=False, required=False
    )
    tolerance_amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, coerce_to_string=False, required=False
    )
    last_report = serializers.SerializerMethodField()

    class Meta:
        model = ReconciliationPolicy
        fields = [
            "id",
            "organisation",
            "name",
            "kind",
            "period",
            "tolerance_hours",
            "tolerance_amount",
            "fix_flow",
            "fix_flow_name",
            "enabled",
            "last_report",
            "created_at",
        ]
        read_only_fields = ["created_at"]

    @extend_schema_field(ReconciliationReportSerializer(allow_null=True))
    def get_last_report(self, obj: ReconciliationPolicy) -> ReconciliationReportSerializer | None:
        report = obj.reports.order_by("-created_at", "-id").first()
        return ReconciliationReportSerializer(report).data if report else None  # type: ignore[return-value]


class DifferenceSerializer(StrictModelSerializer):
    left = typed_json(JSON_OBJECT)
    right = typed_json(JSON_OBJECT)
    delta = typed_json({"type": "object", "additionalProperties": {"type": "string"}})
    source = typed_json({"type": "object", "additionalProperties": {"type": "string"}})
    fix_run_status = serializers.CharField(
        source="fix_run.status", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = ReconciliationDifference
        fields = [
            "id",
            "key",
            "label",
            "kind",
            "left",
            "right",
            "delta",
            "source",
            "fix_run",
            "fix_run_status",
        ]
        read_only_fields = fields


class ReconciliationReportDetailSerializer(ReconciliationReportSerializer):
    differences = DifferenceSerializer(many=True, read_only=True)

    class Meta(ReconciliationReportSerializer.Meta):
        fields = [*ReconciliationReportSerializer.Meta.fields, "differences"]
        read_only_fields = fields


class FixRequestSerializer(StrictSerializer):
    differences = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        help_text="Empty: every unfixed difference.",
    )


class FixResultSerializer(StrictSerializer):
    runs = serializers.ListField(child=serializers.IntegerField())
