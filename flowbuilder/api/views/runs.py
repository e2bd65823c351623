from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from flowbuilder.api.serializers.runs import RunDetailSerializer, RunEventSerializer, RunSerializer
from flowbuilder.execution import actions
from flowbuilder.execution.models import Run, RunOrigin, RunStatus
from flowbuilder.execution.search import MAX_KEY_LENGTH, filter_by_business_key
from flowbuilder.flows.environments import ORDER as ENVIRONMENTS

from .mixins import RestrictedQuerysetMixin, visible_flows


class RunFilter(filters.FilterSet):
    flow = filters.ModelChoiceFilter(queryset=visible_flows)
    status = filters.ChoiceFilter(choices=RunStatus.choices)
    origin = filters.ChoiceFilter(choices=RunOrigin.choices, help_text="What started the run (its trigger).")
    environment = filters.ChoiceFilter(
        field_name="version__environment",
        choices=[(key, key) for key in ENVIRONMENTS],
        help_text="The environment the run's version was made for (with environments on).",
    )
    created_after = filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="Runs created at or after (ISO 8601)."
    )
    created_before = filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text="Runs created before (ISO 8601)."
    )
    business_key = filters.CharFilter(
        method="by_business_key",
        max_length=MAX_KEY_LENGTH,
        help_text="A value in the run's input (e.g. an opportunity id), or path=value (Opportunity.Id=006A).",
    )

    class Meta:
        model = Run
        fields = [
            "flow",
            "status",
            "origin",
            "environment",
            "created_after",
            "created_before",
            "business_key",
        ]

    def by_business_key(self, qs, name, value):
        return filter_by_business_key(qs, value)


# A list row reads only what RunSerializer shows: no items, documents or bookkeeping (each datetime
# column costs a parse per row).
LIST_COLUMNS = (
    "id",
    "organisation_id",
    "flow_id",
    "flow__name",
    "version_id",
    "version__number",
    "version__state",
    "version__environment",
    "status",
    "origin",
    "created_at",
    "started_at",
    "finished_at",
    "error",
    "correlation_id",
    "replay_of_id",
    "parent_run_id",
)


class RunViewSet(
    RestrictedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    base_queryset = Run.objects.select_related("flow", "version")
    filterset_class = RunFilter
    ordering_fields = ["id", "created_at", "finished_at"]

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "list":
            queryset = queryset.only(*LIST_COLUMNS)
        elif self.action == "retrieve":
            # The detail shows the version's document; the flow's draft and the plan are not read here.
            queryset = queryset.defer("flow__draft_document", "flow__description", "version__plan")
        return queryset

    def get_serializer_class(self):
        return RunDetailSerializer if self.action == "retrieve" else RunSerializer

    @extend_schema(
        parameters=[OpenApiParameter("after_seq", int, description="only events after this seq")],
        responses=RunEventSerializer(many=True),
        filters=False,
    )
    @action(detail=True, methods=["get"], pagination_class=None)  # a plain list (at most 5000 events)
    def events(self, request, pk=None):
        run = self.get_object()
        try:
            after = int(request.query_params.get("after_seq", 0))
        except ValueError as exc:
            raise ValidationError({"after_seq": ["must be an integer"]}) from exc
        events = run.events.filter(seq__gt=after).order_by("seq")[:5000]
        return Response(RunEventSerializer(events, many=True).data)

    @extend_schema(request=None, responses=RunSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        run = actions.cancel_run(actor=request.user, run=self.get_object())
        return Response(RunSerializer(run).data)

    @extend_schema(request=None, responses={201: RunSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        run = actions.retry_run(actor=request.user, run=self.get_object())
        return Response(RunSerializer(run).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={201: RunSerializer})
    @action(detail=True, methods=["post"], url_path="skip-failed-node")
    def skip_failed_node(self, request, pk=None):
        run = actions.skip_failed_node(actor=request.user, run=self.get_object())
        return Response(RunSerializer(run).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={201: RunSerializer})
    @action(detail=True, methods=["post"])
    def replay(self, request, pk=None):
        run = actions.replay_run(actor=request.user, run=self.get_object())
        return Response(RunSerializer(run).data, status=status.HTTP_201_CREATED)
