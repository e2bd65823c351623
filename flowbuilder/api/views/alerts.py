"""Alert rules (CRUD) and incidents (acknowledge, resolve): thin views over ``observability.alerts``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from flowbuilder.api.serializers.alerts import AlertRuleSerializer, IncidentSerializer, RetentionSerializer
from flowbuilder.api.serializers.shapes import ErrorShape
from flowbuilder.observability import alerts, retention
from flowbuilder.observability.alert_models import AlertRule, Incident, RetentionPolicy

from .mixins import RestrictedQuerysetMixin, id_param, organisation_for


class AlertRuleViewSet(RestrictedQuerysetMixin, viewsets.ModelViewSet):
    """A customer's rules watch it; a partner's rules watch each of its customers."""

    base_queryset = AlertRule.objects.all()
    serializer_class = AlertRuleSerializer
    filterset_fields = ["kind", "enabled"]
    ordering = ["name", "id"]

    @extend_schema(responses={201: AlertRuleSerializer, 400: ErrorShape, 404: ErrorShape})
    def create(self, request, *args, **kwargs):
        data = AlertRuleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        org = organisation_for(request.user, values.pop("organisation_id"))
        rule = alerts.save_rule(actor=request.user, organisation=org, **values)
        return Response(AlertRuleSerializer(rule).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        rule = self.get_object()
        data = AlertRuleSerializer(rule, data=request.data, partial=kwargs.get("partial", False))
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values.pop("organisation_id", None)
        rule = alerts.save_rule(actor=request.user, organisation=rule.organisation, rule=rule, **values)
        return Response(AlertRuleSerializer(rule).data)

    def destroy(self, request, *args, **kwargs):
        alerts.delete_rule(actor=request.user, rule=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class IncidentViewSet(RestrictedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """Incidents about the organisations the user sees, newest first (``?status=open``)."""

    base_queryset = Incident.objects.select_related("rule", "organisation").prefetch_related("deliveries")
    serializer_class = IncidentSerializer
    filterset_fields = ["status", "rule"]
    ordering = ["-id"]

    @extend_schema(request=None, responses={200: IncidentSerializer, 400: ErrorShape})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        incident = alerts.acknowledge(actor=request.user, incident=self.get_object())
        return Response(IncidentSerializer(self.get_queryset().get(pk=incident.pk)).data)

    @extend_schema(request=None, responses={200: IncidentSerializer, 400: ErrorShape})
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        incident = alerts.resolve(actor=request.user, incident=self.get_object())
        return Response(IncidentSerializer(self.get_queryset().get(pk=incident.pk)).data)


def _retention_of(org: Any) -> dict[str, Any]:
    policy = RetentionPolicy.objects.filter(organisation=org).first()
    return {
        "organisation": org.pk,
        "run_days": policy.run_days if policy else settings.FLOWBUILDER_RETENTION_DAYS,
        "failed_run_days": policy.failed_run_days if policy else settings.FLOWBUILDER_RETENTION_FAILED_DAYS,
        "last_pruned_at": policy.last_pruned_at if policy else None,
        "last_runs_deleted": policy.last_runs_deleted if policy else 0,
        "last_bytes_saved": policy.last_bytes_saved if policy else 0,
    }


@extend_schema(
    methods=["GET"],
    parameters=[OpenApiParameter("organisation", int, required=True)],
    responses={200: RetentionSerializer, 400: ErrorShape, 404: ErrorShape},
)
@extend_schema(
    methods=["PUT"], request=RetentionSerializer, responses={200: RetentionSerializer, 400: ErrorShape}
)
@api_view(["GET", "PUT"])
def retention_policy(request):
    """How long the organisation's run data is kept (failed runs longer), and what the last pruning saved."""
    if request.method == "GET":
        org_id = id_param(request, "organisation")
        if org_id is None:
            raise ValidationError({"organisation": ["This parameter is required."]})
        return Response(RetentionSerializer(_retention_of(organisation_for(request.user, org_id))).data)
    data = RetentionSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    org = organisation_for(request.user, data.validated_data["organisation"])
    retention.set_policy(
        actor=request.user,
        organisation=org,
        run_days=data.validated_data["run_days"],
        failed_run_days=data.validated_data["failed_run_days"],
    )
    return Response(RetentionSerializer(_retention_of(org)).data)
