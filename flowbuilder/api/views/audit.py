"""The audit trail for people: filtered reading, streamed CSV/JSON export, and verifying the chain.

Each organisation's admins, approvers and auditors read its rows; a partner's admins also read its
customers' (``restrict`` with the audit action). The hash chain is one chain across organisations,
so "verify" walks all of it and names the first row that breaks it.
"""

from __future__ import annotations

from django.db.models import Q
from django.http import StreamingHttpResponse
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from flowbuilder.api.serializers.audit import AuditEventSerializer, ChainReportShape
from flowbuilder.audit.actions import record, verify_chain
from flowbuilder.audit.models import AuditAction, AuditEvent
from flowbuilder.audit.trail import stream_csv, stream_json
from flowbuilder.tenancy.permissions import restrict
from flowbuilder.tenancy.roles import Action

from .mixins import RestrictedQuerysetMixin

EXPORT_LIMIT = 1_000_000


class AuditFilter(filters.FilterSet):
    actor = filters.CharFilter(field_name="actor_label", lookup_expr="iexact", label="Who (user name)")
    action = filters.CharFilter(
        method="by_action",
        label="Actions, comma-separated: exact (flow.publish) or a family ending in a dot (flow.)",
    )
    object_type = filters.CharFilter()
    object_id = filters.CharFilter()
    since = filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte")
    until = filters.IsoDateTimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields = ["actor", "action", "object_type", "object_id", "since", "until"]

    def by_action(self, queryset, name, value):
        condition = Q()
        for part in (p.strip() for p in value.split(",")):
            if part:
                condition |= Q(action__startswith=part) if part.endswith(".") else Q(action=part)
        return queryset.filter(condition) if condition else queryset


class AuditEventViewSet(
    RestrictedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    base_queryset = AuditEvent.objects.select_related("organisation")
    serializer_class = AuditEventSerializer
    filterset_class = AuditFilter
    ordering_fields = ["id", "at"]
    ordering = ["-id"]

    def get_queryset(self):
        return restrict(self.base_queryset.all(), self.request.user, Action.AUDIT)

    @extend_schema(
        parameters=[
            OpenApiParameter("as", str, enum=["csv", "json"], description="File format (default csv)."),
        ],
        responses={(200, "text/csv"): OpenApiTypes.STR, (200, "application/json"): OpenApiTypes.STR},
    )
    @action(detail=False, methods=["get"])
    def export(self, request):
        """The filtered rows, oldest first, streamed as a CSV or JSON file (the export is audited)."""
        kind = request.query_params.get("as", "csv")
        if kind not in ("csv", "json"):
            raise ValidationError({"as": ["Choose csv or json."]})
        queryset = self.filter_queryset(self.get_queryset()).order_by("id")
        orgs = sorted(set(queryset.values_list("organisation_id", flat=True).distinct()) - {None})
        record(
            AuditAction.AUDIT_EXPORT,
            actor=request.user,
            organisation=orgs[0] if len(orgs) == 1 else None,
            object_type="audit.trail",
            after={"format": kind, "filters": dict(request.query_params.lists()), "organisations": orgs},
        )
        rows = queryset.iterator(chunk_size=2000)
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        if kind == "json":
            response = StreamingHttpResponse(stream_json(rows), content_type="application/json")
        else:
            response = StreamingHttpResponse(stream_csv(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.{kind}"'
        return response

    @extend_schema(request=None, responses=ChainReportShape)
    @action(detail=False, methods=["post"])
    def verify(self, request):
        """Walk the whole hash chain (and its anchors): the first row that breaks it, if any."""
        report = verify_chain()
        return Response(
            ChainReportShape(
                {
                    "ok": report.ok,
                    "checked": report.checked,
                    "broken_at": report.broken_at,
                    "reason": report.reason,
                }
            ).data
        )
