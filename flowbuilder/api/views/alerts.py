"""Alert rules (CRUD) and incidents (acknowledge, resolve): thin views over ``observability.alerts``."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from flowbuilder.api.serializers.alerts import AlertRuleSerializer, IncidentSerializer
from flowbuilder.api.serializers.shapes import ErrorShape
from flowbuilder.observability import alerts
from flowbuilder.observability.alert_models import AlertRule, Incident

from .mixins import RestrictedQuerysetMixin, organisation_for


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
