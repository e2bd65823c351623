"""Flow-version reviews (four-eyes publishing): what waits for an approver, and deciding it.

Not the run-time approval node's inbox (views/approvals.py): these are versions of flows waiting to go
live. The actions live in ``flowbuilder.flows.review``.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from flowbuilder.api.serializers.reviews import (
    ReviewAssignSerializer,
    ReviewDecisionSerializer,
    ReviewDetailSerializer,
    ReviewSerializer,
)
from flowbuilder.api.serializers.shapes import ErrorShape
from flowbuilder.execution.models import Run
from flowbuilder.flows import review
from flowbuilder.flows.graph_diff import diff_documents
from flowbuilder.flows.models import FlowVersion, VersionState
from flowbuilder.flows.publishing import review_findings

from .mixins import RestrictedQuerysetMixin

REVIEW_STATES = [
    VersionState.IN_REVIEW,
    VersionState.APPROVED,
    VersionState.REJECTED,
    VersionState.PUBLISHED,
    VersionState.SUPERSEDED,
]


class ReviewFilter(filters.FilterSet):
    state = filters.MultipleChoiceFilter(choices=[(s.value, s.label) for s in REVIEW_STATES])
    waiting = filters.BooleanFilter(method="by_waiting", label="Only versions waiting for my decision")
    authored = filters.BooleanFilter(method="by_authored", label="Only versions I sent for review")
    unseen = filters.BooleanFilter(method="by_unseen", label="Only my versions decided since I last looked")
    assigned = filters.BooleanFilter(method="by_assigned", label="Only versions in review assigned to me")
    flow = filters.NumberFilter(field_name="flow_id")

    class Meta:
        model = FlowVersion
        fields = ["state", "waiting", "authored", "unseen", "assigned", "flow"]

    def by_waiting(self, queryset, name, value):
        return review.waiting_for(self.request.user, queryset) if value else queryset

    def by_authored(self, queryset, name, value):
        return queryset.filter(created_by=self.request.user) if value else queryset

    def by_assigned(self, queryset, name, value):
        return review.assigned_to(self.request.user, queryset) if value else queryset

    def by_unseen(self, queryset, name, value):
        return review.unseen_decisions(self.request.user, queryset) if value else queryset


class ReviewViewSet(
    RestrictedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Versions sent for review (``submitted_at`` set): the ones in review assigned to the caller first,
    then newest first."""

    base_queryset = (
        FlowVersion.objects.filter(submitted_at__isnull=False)
        .select_related(
            "flow__published_version",
            "flow__organisation__parent",
            "created_by",
            "reviewed_by",
            "rollback_of",
        )
        .prefetch_related("assignees")
    )
    serializer_class = ReviewSerializer
    filterset_class = ReviewFilter
    ordering_fields = ["id", "submitted_at"]
    ordering = ["-mine", "-id"]

    def get_queryset(self):
        mine = FlowVersion.assignees.through.objects.filter(
            flowversion_id=OuterRef("pk"), user_id=self.request.user.pk
        )
        return super().get_queryset().annotate(mine=Exists(mine) & Q(state=VersionState.IN_REVIEW))

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if getattr(self, "request", None) is not None and self.request.user.is_authenticated:
            context["decidable"] = set(
                review.waiting_for(self.request.user, self.get_queryset()).values_list("pk", flat=True)
            )
        return context

    @extend_schema(responses=ReviewDetailSerializer)
    def retrieve(self, request, *args, **kwargs):
        version = self.get_object()
        live = version.flow.published_version
        live_doc = live.document if live is not None and live.pk != version.pk else None
        if version.state in (VersionState.PUBLISHED, VersionState.SUPERSEDED) and version.rollback_of is None:
            # Decided and live (or once live): compare with the version it replaced.
            live_doc = (
                FlowVersion.objects.filter(flow=version.flow, number__lt=version.number)
                .exclude(state__in=[VersionState.SNAPSHOT, VersionState.REJECTED, VersionState.IN_REVIEW])
                .values_list("document", flat=True)
                .first()
            )
        test = (
            Run.objects.filter(flow=version.flow, version__state=VersionState.SNAPSHOT)
            .only("id", "status", "created_at")
            .order_by("-id")
            .first()
        ) or Run.objects.filter(flow=version.flow).only("id", "status", "created_at").order_by("-id").first()
        context = {
            **self.get_serializer_context(),
            "diff": diff_documents(
                live_doc or {"schema_version": 1, "nodes": [], "edges": []}, version.document
            ),
            "findings": review_findings(version.flow, version.document, request.user),
            "last_test_run": {"id": test.id, "status": test.status, "created_at": test.created_at}
            if test
            else None,
        }
        return Response(ReviewDetailSerializer(version, context=context).data)

    @extend_schema(request=ReviewDecisionSerializer, responses={200: ReviewSerializer, 400: ErrorShape})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve the version and publish it (the approver must not be its author where the
        four-eyes rule applies)."""
        data = ReviewDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = review.approve_version(
            actor=request.user, version=self.get_object(), reason=data.validated_data["reason"]
        )
        return Response(ReviewSerializer(version, context=self.get_serializer_context()).data)

    @extend_schema(request=ReviewDecisionSerializer, responses={200: ReviewSerializer, 400: ErrorShape})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Reject the version with a reason: it never publishes."""
        data = ReviewDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = review.reject_version(
            actor=request.user, version=self.get_object(), reason=data.validated_data["reason"]
        )
        return Response(ReviewSerializer(version, context=self.get_serializer_context()).data)

    @extend_schema(request=ReviewAssignSerializer, responses={200: ReviewSerializer, 400: ErrorShape})
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Set who is asked to decide (the author or an approver); the newly assigned are e-mailed."""
        data = ReviewAssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = review.assign(
            actor=request.user, version=self.get_object(), assignees=data.validated_data["assignees"]
        )
        return Response(ReviewSerializer(version, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses=ReviewSerializer)
    @action(detail=True, methods=["post"])
    def seen(self, request, pk=None):
        """The author has read the decision (clears it from their indicator)."""
        version = review.mark_seen(actor=request.user, version=self.get_object())
        return Response(ReviewSerializer(version, context=self.get_serializer_context()).data)
