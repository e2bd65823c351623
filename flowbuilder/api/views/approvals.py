"""The approvals inbox: what waits for a person's decision, and deciding it."""

from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from flowbuilder.api.serializers.approvals import ApprovalSerializer, DecisionSerializer
from flowbuilder.execution import approvals
from flowbuilder.execution.models import ApprovalRequest, ApprovalStatus

from .mixins import RestrictedQuerysetMixin


class ApprovalFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=ApprovalStatus.choices)
    mine = filters.BooleanFilter(method="filter_mine", label="Only approvals I may decide")

    class Meta:
        model = ApprovalRequest
        fields = ["status", "mine"]

    def filter_mine(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(pk__in=approvals.decidable_ids(self.request.user, queryset))


class ApprovalViewSet(
    RestrictedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    base_queryset = ApprovalRequest.objects.select_related("run__flow", "decided_by").prefetch_related(
        "assignee_users"
    )
    serializer_class = ApprovalSerializer
    filterset_class = ApprovalFilter
    ordering_fields = ["id", "due_at", "created_at"]
    ordering = ["-id"]

    @extend_schema(request=DecisionSerializer, responses=ApprovalSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decided = approvals.decide(
            actor=request.user,
            request=self.get_object(),
            decision=data.validated_data["decision"],
            reason=data.validated_data.get("reason", ""),
            items=data.validated_data.get("items"),
            via="api" if request.headers.get("X-Flowbuilder-Client") != "inbox" else "inbox",
        )
        return Response(ApprovalSerializer(decided, context={"request": request}).data)
