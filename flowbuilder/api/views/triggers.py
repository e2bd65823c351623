"""Operators watch and steer the triggers that run on their own: pause, resume, poll now."""

from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from flowbuilder.api.serializers.triggers import TriggerSerializer
from flowbuilder.triggers import actions
from flowbuilder.triggers.models import PollingState, TriggerKind

from .mixins import RestrictedQuerysetMixin, visible_flows


class TriggerFilter(filters.FilterSet):
    flow = filters.ModelChoiceFilter(queryset=visible_flows)
    kind = filters.ChoiceFilter(choices=TriggerKind.choices)

    class Meta:
        model = PollingState
        fields = ["flow", "kind"]


class TriggerViewSet(
    RestrictedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    # The published document names each trigger's node; its plan is not needed here.
    base_queryset = PollingState.objects.select_related("flow__published_version", "paused_by").defer(
        "flow__published_version__plan"
    )
    serializer_class = TriggerSerializer
    filterset_class = TriggerFilter
    ordering_fields = ["id", "next_poll_at", "last_polled_at", "consecutive_failures"]
    ordering = ["flow__name", "node_id"]

    @extend_schema(request=None, responses=TriggerSerializer)
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        return Response(
            TriggerSerializer(actions.pause_trigger(actor=request.user, state=self.get_object())).data
        )

    @extend_schema(request=None, responses=TriggerSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        state = actions.resume_trigger(actor=request.user, state=self.get_object())
        return Response(TriggerSerializer(state).data)

    @extend_schema(request=None, responses=TriggerSerializer)
    @action(detail=True, methods=["post"], url_path="poll-now")
    def poll_now(self, request, pk=None):
        return Response(TriggerSerializer(actions.poll_now(actor=request.user, state=self.get_object())).data)
