"""Operational intelligence: dashboards, SLA policies and their evaluations, the business calendar and
systems, KPIs, reconciliation policies and reports, and the business trace.

Thin: querysets restricted to the user, serializers, and one observability action per mutation. Reading
the systems, computing KPIs and producing reports happen in Celery tasks; these views only queue them.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from flowbuilder.api.serializers.insights import (
    BusinessCalendarSerializer,
    BusinessSystemsSerializer,
    DashboardShape,
    FixRequestSerializer,
    FixResultSerializer,
    KpiSerializer,
    KpiValueDetailSerializer,
    KpiValueSerializer,
    ReconciliationPolicySerializer,
    ReconciliationReportDetailSerializer,
    ReconciliationReportSerializer,
    ReportRequestSerializer,
    SlaEvaluationSerializer,
    SlaPolicySerializer,
    SlaPolicyWriteSerializer,
    TraceShape,
)
from flowbuilder.api.serializers.shapes import ErrorShape
from flowbuilder.observability import dashboards, kpis, reconciliation, records, sla, trace
from flowbuilder.observability.dashboards import RANGES
from flowbuilder.observability.insight_models import (
    BusinessCalendar,
    BusinessSystems,
    KpiDefinition,
    KpiValue,
    ReconciliationPolicy,
    ReconciliationReport,
    SlaEvaluation,
    SlaPolicy,
)
from flowbuilder.tenancy.models import Organisation, OrganisationKind
from flowbuilder.tenancy.permissions import organisation_ids_for

from .mixins import RestrictedQuerysetMixin, id_param, organisation_for, visible_flows


def _scope(request: Any, org: Organisation) -> tuple[list[int], Organisation | None]:
    """The organisations a view of ``org`` covers: a partner's own and its visible customers'."""
    if org.kind != OrganisationKind.PARTNER:
        return [org.pk], None
    visible = organisation_ids_for(request.user, "view")
    customers = Organisation.objects.filter(parent=org, pk__in=visible).values_list("id", flat=True)
    return [org.pk, *customers], org


def _required_org(request: Any) -> Organisation:
    org_id = id_param(request, "organisation")
    if org_id is None:
        raise ValidationError({"organisation": ["This parameter is required."]})
    return organisation_for(request.user, org_id)


ORG_PARAM = OpenApiParameter(
    "organisation", int, required=True, description="A customer, or a partner (all its customers)."
)


@extend_schema(
    parameters=[
        ORG_PARAM,
        OpenApiParameter(
            "range", str, enum=list(RANGES), description="24h (hourly), 7d (hourly), 30d (daily)"
        ),
        OpenApiParameter("flow", int, description="Only this flow."),
    ],
    responses={200: DashboardShape, 400: ErrorShape, 404: ErrorShape},
)
@api_view(["GET"])
def dashboard(request):
    """Throughput, failure rate and latency over time, per flow (or per customer for a partner), the
    backlog, SLA attainment by criticality and, for a partner, one row per customer."""
    org = _required_org(request)
    range_key = request.query_params.get("range") or "24h"
    if range_key not in RANGES:
        raise ValidationError({"range": [f"Must be one of {', '.join(RANGES)}."]})
    flow_id = id_param(request, "flow")
    if flow_id is not None and not visible_flows(request).filter(pk=flow_id).exists():
        raise ValidationError({"flow": ["No such flow."]})
    ids, partner = _scope(request, org)
    return Response(dashboards.dashboard(ids, range_key=range_key, flow_id=flow_id, partner=partner))


@extend_schema(
    parameters=[
        OpenApiParameter(
            "q", str, required=True, description="Any id in any system: a deal, an invoice, ..."
        ),
        OpenApiParameter(
            "organisation", int, description="Only this organisation (a partner: and its customers)."
        ),
        OpenApiParameter("system", str, description="Only ids of this system (salesforce, netsuite, ...)."),
    ],
    responses={200: TraceShape, 400: ErrorShape, 404: ErrorShape},
)
@api_view(["GET"])
def trace_search(request):
    """Where is deal X? The runs and records of the business transaction an id belongs to, in time order,
    the lifecycle stages reached and where it is stuck."""
    query = (request.query_params.get("q") or "").strip()
    if not query or len(query) > 255:
        raise ValidationError({"q": ["Give an id of 1 to 255 characters."]})
    org_id = id_param(request, "organisation")
    if org_id is not None:
        ids, _ = _scope(request, organisation_for(request.user, org_id))
    else:
        ids = sorted(organisation_ids_for(request.user, "view"))
    system = (request.query_params.get("system") or "").strip()[:64]
    return Response(trace.search(ids, query, system=system))


# --- systems and calendars --------------------------------------------------------------------------------


class UpsertByOrganisationMixin:
    """``POST`` with ``organisation`` creates or changes the organisation's single row (201 when created)."""

    def _upsert(self, request: Any, serializer_cls: Any, save: Any) -> Response:
        data = serializer_cls(data=request.data, context={"request": request}, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        org = organisation_for(
            request.user, values.pop("organisation_id", None) or request.data.get("organisation")
        )
        existed = self.base_queryset.filter(organisation=org).exists()
        obj = save(org, values)
        return Response(
            serializer_cls(obj, context={"request": request}).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )


class BusinessSystemsViewSet(
    UpsertByOrganisationMixin,
    RestrictedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Which connections are each organisation's CRM, PSA and ERP (KPIs, reconciliation, SLAs read them)."""

    base_queryset = BusinessSystems.objects.all()
    serializer_class = BusinessSystemsSerializer

    @extend_schema(
        request=BusinessSystemsSerializer,
        responses={200: BusinessSystemsSerializer, 201: BusinessSystemsSerializer},
    )
    def create(self, request, *args, **kwargs):
        return self._upsert(
            request,
            BusinessSystemsSerializer,
            lambda org, values: records.save_systems(actor=request.user, organisation=org, **values),
        )

    @extend_schema(request=None, responses=BusinessSystemsSerializer)
    @action(detail=True, methods=["post"])
    def refresh(self, request, pk=None):
        """Read the systems now (a background task), then recompute the KPIs and SLAs."""
        setup = records.request_refresh(actor=request.user, organisation=self.get_object().organisation)
        return Response(BusinessSystemsSerializer(setup, context={"request": request}).data)


class BusinessCalendarViewSet(
    UpsertByOrganisationMixin,
    RestrictedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Working days and hours and holiday options per organisation (SLA clocks run on it)."""

    base_queryset = BusinessCalendar.objects.select_related("organisation")
    serializer_class = BusinessCalendarSerializer

    @extend_schema(
        request=BusinessCalendarSerializer,
        responses={200: BusinessCalendarSerializer, 201: BusinessCalendarSerializer},
    )
    def create(self, request, *args, **kwargs):
        return self._upsert(
            request,
            BusinessCalendarSerializer,
            lambda org, values: sla.save_calendar(actor=request.user, organisation=org, **values),
        )


# --- SLAs -------------------------------------------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(request=SlaPolicyWriteSerializer, responses={201: SlaPolicySerializer}),
    update=extend_schema(request=SlaPolicyWriteSerializer, responses=SlaPolicySerializer),
    partial_update=extend_schema(request=SlaPolicyWriteSerializer, responses=SlaPolicySerializer),
)
class SlaPolicyViewSet(RestrictedQuerysetMixin, viewsets.ModelViewSet):
    base_queryset = SlaPolicy.objects.select_related("flow", "organisation")
    serializer_class = SlaPolicySerializer
    filterset_fields = ["subject", "enabled", "flow"]
    ordering = ["name", "id"]

    def create(self, request, *args, **kwargs):
        data = SlaPolicyWriteSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        org = organisation_for(request.user, values.pop("organisation_id"))
        policy = sla.save_policy(actor=request.user, organisation=org, **values)
        return Response(SlaPolicySerializer(policy).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        policy = self.get_object()
        data = SlaPolicyWriteSerializer(
            policy, data=request.data, partial=kwargs.get("partial", False), context={"request": request}
        )
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values.pop("organisation_id", None)
        policy = sla.save_policy(
            actor=request.user, organisation=policy.organisation, policy=policy, **values
        )
        return Response(SlaPolicySerializer(policy).data)

    def destroy(self, request, *args, **kwargs):
        sla.delete_policy(actor=request.user, policy=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class SlaEvaluationViewSet(RestrictedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """Each run's or business event's clock against a policy; breaches first by default."""

    base_queryset = SlaEvaluation.objects.select_related("policy")
    serializer_class = SlaEvaluationSerializer
    filterset_fields = ["policy", "status", "criticality"]
    ordering_fields = ["due_at", "started_at", "breached_at"]
    ordering = ["-due_at", "-id"]


# --- KPIs -------------------------------------------------------------------------------------------------


class KpiViewSet(RestrictedQuerysetMixin, viewsets.ModelViewSet):
    base_queryset = KpiDefinition.objects.all()
    serializer_class = KpiSerializer
    filterset_fields = ["kind", "enabled"]
    ordering = ["name", "id"]

    @extend_schema(responses={201: KpiSerializer})
    def create(self, request, *args, **kwargs):
        data = KpiSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        org = organisation_for(request.user, values.pop("organisation_id"))
        kpi = kpis.save_kpi(actor=request.user, organisation=org, **values)
        return Response(KpiSerializer(kpi).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        kpi = self.get_object()
        data = KpiSerializer(
            kpi, data=request.data, partial=kwargs.get("partial", False), context={"request": request}
        )
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values.pop("organisation_id", None)
        kpi = kpis.save_kpi(actor=request.user, organisation=kpi.organisation, kpi=kpi, **values)
        return Response(KpiSerializer(kpi).data)

    def destroy(self, request, *args, **kwargs):
        kpis.delete_kpi(actor=request.user, kpi=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class KpiValueViewSet(RestrictedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """A KPI's history (``?definition=``); a value's detail carries its drill-down records."""

    base_queryset = KpiValue.objects.all()
    serializer_class = KpiValueSerializer
    filterset_fields = ["definition", "over_threshold"]
    ordering = ["-computed_at", "-id"]

    def get_serializer_class(self):
        return KpiValueDetailSerializer if self.action == "retrieve" else KpiValueSerializer


# --- reconciliation ---------------------------------------------------------------------------------------


class ReconciliationPolicyViewSet(RestrictedQuerysetMixin, viewsets.ModelViewSet):
    base_queryset = ReconciliationPolicy.objects.select_related("fix_flow")
    serializer_class = ReconciliationPolicySerializer
    filterset_fields = ["kind", "enabled"]
    ordering = ["name", "id"]

    @extend_schema(responses={201: ReconciliationPolicySerializer})
    def create(self, request, *args, **kwargs):
        data = ReconciliationPolicySerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        org = organisation_for(request.user, values.pop("organisation_id"))
        policy = reconciliation.save_policy(actor=request.user, organisation=org, **values)
        return Response(ReconciliationPolicySerializer(policy).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        policy = self.get_object()
        data = ReconciliationPolicySerializer(
            policy, data=request.data, partial=kwargs.get("partial", False), context={"request": request}
        )
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values.pop("organisation_id", None)
        policy = reconciliation.save_policy(
            actor=request.user, organisation=policy.organisation, policy=policy, **values
        )
        return Response(ReconciliationPolicySerializer(policy).data)

    def destroy(self, request, *args, **kwargs):
        reconciliation.delete_policy(actor=request.user, policy=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=ReportRequestSerializer, responses={202: ReconciliationReportSerializer})
    @action(detail=True, methods=["post"])
    def run(self, request, pk=None):
        """Queue a report for a period (the last closed one by default); a background task produces it."""
        data = ReportRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = reconciliation.request_report(
            actor=request.user, policy=self.get_object(), period_start=data.validated_data.get("period_start")
        )
        return Response(ReconciliationReportSerializer(report).data, status=status.HTTP_202_ACCEPTED)


class ReconciliationReportViewSet(RestrictedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """The history of reports (``?policy=``); a report's detail lists its differences."""

    base_queryset = ReconciliationReport.objects.select_related("policy")
    serializer_class = ReconciliationReportSerializer
    filterset_fields = ["policy", "status"]
    ordering = ["-created_at", "-id"]

    def get_serializer_class(self):
        return (
            ReconciliationReportDetailSerializer
            if self.action == "retrieve"
            else ReconciliationReportSerializer
        )

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("differences__fix_run")
        return queryset

    @extend_schema(request=FixRequestSerializer, responses={201: FixResultSerializer, 400: ErrorShape})
    @action(detail=True, methods=["post"])
    def fix(self, request, pk=None):
        """Create a fix job: replay the right flow for the differing records (or the chosen ones)."""
        data = FixRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        runs = reconciliation.create_fix_job(
            actor=request.user,
            report=self.get_object(),
            difference_ids=data.validated_data.get("differences"),
        )
        return Response({"runs": [r.pk for r in runs]}, status=status.HTTP_201_CREATED)
