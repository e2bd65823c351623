"""The duplicate-match review queue: what the match node held for a person, and deciding it."""

from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from flowbuilder.api.serializers.match_reviews import (
    MatchDecisionResultSerializer,
    MatchDecisionSerializer,
    MatchReviewSerializer,
)
from flowbuilder.api.serializers.shapes import ErrorShape
from flowbuilder.crossref.models import MatchReview, MatchStatus
from flowbuilder.observability.match_reviews import decide_review

from .mixins import RestrictedQuerysetMixin


class MatchReviewFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=MatchStatus.choices)
    decided = filters.BooleanFilter(method="filter_decided", label="Only decided (true) or pending (false)")
    entity = filters.CharFilter()
    source_system = filters.CharFilter()
    target_system = filters.CharFilter()
    flow = filters.NumberFilter(field_name="flow_id")

    class Meta:
        model = MatchReview
        fields = ["status", "decided", "entity", "source_system", "target_system", "flow"]

    def filter_decided(self, queryset, name, value):
        if value is None:
            return queryset
        if value:
            return queryset.exclude(status=MatchStatus.PENDING)
        return queryset.filter(status=MatchStatus.PENDING)


class MatchReviewViewSet(
    RestrictedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    base_queryset = MatchReview.objects.select_related("decided_by")
    serializer_class = MatchReviewSerializer
    filterset_class = MatchReviewFilter
    ordering_fields = ["id", "created_at", "decided_at"]
    ordering = ["-id"]

    @extend_schema(
        request=MatchDecisionSerializer, responses={200: MatchDecisionResultSerializer, 400: ErrorShape}
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """Link the source record to one candidate, or create a new record; optionally replay the item."""
        data = MatchDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review, replay = decide_review(
            actor=request.user,
            review=self.get_object(),
            decision=data.validated_data["decision"],
            target_id=data.validated_data.get("target_id") or None,
            replay=data.validated_data["replay"],
        )
        context = {"request": request}
        return Response({"review": MatchReviewSerializer(review, context=context).data, "replay": replay})
