from __future__ import annotations

from datetime import UTC

from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from flowbuilder.api.serializers.flows import (
    DraftSerializer,
    EnvironmentsShape,
    FlowCreateSerializer,
    FlowDetailSerializer,
    FlowExportShape,
    FlowSerializer,
    FlowUpdateSerializer,
    ImportSerializer,
    PromoteSerializer,
    PublishSerializer,
    RunRequestSerializer,
    ValidateSerializer,
    VersionDetailSerializer,
    VersionSerializer,
)
from flowbuilder.api.serializers.runs import RunSerializer
from flowbuilder.api.serializers.shapes import (
    DraftConflictShape,
    ErrorShape,
    FindingsShape,
    SaveDraftResultShape,
)
from flowbuilder.api.serializers.triggers import ScheduleConfigSerializer, SchedulePreviewSerializer
from flowbuilder.execution.models import Run
from flowbuilder.flows import actions, environments
from flowbuilder.flows.models import Flow, FlowVersion, VersionState
from flowbuilder.triggers.actions import preview_schedule
from flowbuilder.triggers.manual import run_manually

from .flow_history import FlowHistoryActionsMixin
from .mixins import RestrictedQuerysetMixin, organisation_for
from .sharing import SharingActionsMixin


class FlowFilter(filters.FilterSet):
    status = filters.ChoiceFilter(
        choices=[("draft", "draft"), ("published", "published")], method="by_status"
    )
    tag = filters.CharFilter(method="by_tag")

    class Meta:
        model = Flow
        fields = ["status", "tag"]

    def by_status(self, qs, name, value):
        return qs.filter(published_version__isnull=(value == "draft"))

    def by_tag(self, qs, name, value):
        from django.db import connection

        # JSON containment is PostgreSQL-only; SQLite (the embedded default) matches the quoted tag text.
        if connection.vendor == "postgresql":
            return qs.filter(tags__contains=[value])
        return qs.filter(tags__icontains=f'"{value}"')


@extend_schema_view(
    partial_update=extend_schema(request=FlowUpdateSerializer, responses=FlowSerializer),
)
class FlowViewSet(
    RestrictedQuerysetMixin, SharingActionsMixin, FlowHistoryActionsMixin, viewsets.ModelViewSet
):
    base_queryset = Flow.objects.select_related("published_version", "draft_saved_by")
    filterset_class = FlowFilter
    search_fields = ["name", "description"]
    ordering_fields = ["name", "updated_at", "created_at"]

    def get_queryset(self):
        last = Run.objects.filter(flow=OuterRef("pk")).order_by("-id")
        queryset = super().get_queryset().annotate(_last_run_id=Subquery(last.values("id")[:1]))
        if self.action == "list":
            # A list row shows neither the draft nor the published document: not read, not decoded.
            queryset = queryset.defer(
                "draft_document", "published_version__document", "published_version__plan"
            )
        return queryset

    def get_serializer_class(self):
        if self.action == "retrieve":
            return FlowDetailSerializer
        return FlowSerializer

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        last_runs = [f._last_run_id for f in page if f._last_run_id]
        runs = Run.objects.only("id", "status", "created_at").in_bulk(last_runs)
        for flow in page:
            flow._last_run = runs.get(flow._last_run_id)
        return self.get_paginated_response(FlowSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(request=FlowCreateSerializer, responses={201: FlowSerializer, 404: ErrorShape})
    def create(self, request, *args, **kwargs):
        data = FlowCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        org = organisation_for(request.user, values.pop("organisation"))
        flow = actions.create_flow(actor=request.user, organisation=org, **values)
        return Response(
            FlowSerializer(flow, context={"request": request}).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=FlowUpdateSerializer, responses=FlowSerializer)
    def update(self, request, *args, **kwargs):
        flow = self.get_object()
        data = FlowUpdateSerializer(data=request.data, partial=kwargs.get("partial", False))
        data.is_valid(raise_exception=True)
        flow = actions.update_flow(actor=request.user, flow=flow, **data.validated_data)
        return Response(FlowSerializer(flow, context={"request": request}).data)

    def destroy(self, request, *args, **kwargs):
        actions.delete_flow(actor=request.user, flow=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=DraftSerializer,
        responses={200: SaveDraftResultShape, 400: ErrorShape, 409: DraftConflictShape},
    )
    @action(detail=True, methods=["put"])
    def draft(self, request, pk=None):
        flow = self.get_object()
        data = DraftSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        flow, findings = actions.save_draft(
            actor=request.user,
            flow=flow,
            document=data.validated_data["document"],
            revision=data.validated_data.get("revision"),
            force=data.validated_data["force"],
        )
        return Response(
            {
                "revision": flow.draft_revision,
                "saved_at": flow.draft_saved_at,
                "saved_by": request.user.get_username(),
                "findings": findings,
            }
        )

    @extend_schema(request=ValidateSerializer, responses=FindingsShape)
    @action(detail=True, methods=["post"])
    def validate(self, request, pk=None):
        flow = self.get_object()
        data = ValidateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        findings = actions.draft_findings(flow, data.validated_data["document"], request.user)
        return Response({"findings": findings})

    @extend_schema(
        request=PublishSerializer,
        responses={201: VersionSerializer, 400: ErrorShape},
        description="Publish the draft, or with `rollback_to` an older version. Where the organisation "
        "requires approval the new version is `in_review` (not live) until an approver decides it.",
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        flow = self.get_object()
        data = PublishSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        older = None
        number = data.validated_data.get("rollback_to")
        if number is not None:
            older = flow.versions.exclude(state=VersionState.SNAPSHOT).filter(number=number).first()
            if older is None:
                raise ValidationError({"rollback_to": [f"This flow has no version {number}."]})
        version = actions.publish_flow(
            actor=request.user,
            flow=flow,
            comment=data.validated_data["comment"],
            rollback_to=older,
            assignees=data.validated_data["assignees"],
        )
        return Response(VersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PromoteSerializer, responses={201: VersionSerializer, 400: ErrorShape})
    @action(detail=True, methods=["post"])
    def promote(self, request, pk=None):
        """Promote into an environment (draft -> dev -> test -> prod), binding its connections by slot.
        Prod is a publish: reviewed where the organisation requires approval."""
        flow = self.get_object()
        data = PromoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = environments.promote(
            actor=request.user,
            flow=flow,
            environment=data.validated_data["environment"],
            comment=data.validated_data["comment"],
            assignees=data.validated_data["assignees"],
        )
        return Response(VersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        parameters=[OpenApiParameter("environment", str, OpenApiParameter.PATH, enum=["dev", "test"])],
        responses={204: None, 400: ErrorShape},
    )
    @action(detail=True, methods=["delete"], url_path=r"releases/(?P<environment>[a-z]+)")
    def withdraw_release(self, request, pk=None, environment=None):
        """Take the dev or test release down: its triggers stop firing, its runs stay."""
        environments.withdraw(actor=request.user, flow=self.get_object(), environment=environment)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses=EnvironmentsShape, filters=False)
    @action(detail=True, methods=["get"], pagination_class=None)
    def environments(self, request, pk=None):
        """What is live in each environment (one prod-like environment when they are off)."""
        flow = self.get_object()
        org = flow.organisation
        labels = environments.names(org)
        releases = {r.environment: r for r in flow.releases.select_related("version", "released_by")}

        def hook_url(key: str) -> str:
            if key == "prod":
                path = reverse("webhook", kwargs={"token": flow.webhook_token})
            else:
                path = reverse(
                    "webhook-environment", kwargs={"token": flow.webhook_token, "environment": key}
                )
            return request.build_absolute_uri(path)

        if not org.environments_enabled:
            live = flow.published_version
            rows = [
                {
                    "environment": "prod",
                    "name": labels["prod"],
                    "version": live.pk if live else None,
                    "number": live.number if live else None,
                    "released_by": None,
                    "released_at": live.created_at if live else None,
                    "webhook_url": hook_url("prod") if live else None,
                }
            ]
        else:
            rows = []
            for key in environments.ORDER:
                r = releases.get(key)
                rows.append(
                    {
                        "environment": key,
                        "name": labels[key],
                        "version": r.version_id if r else None,
                        "number": r.version.number if r else None,
                        "released_by": r.released_by.get_username() if r and r.released_by_id else None,
                        "released_at": r.released_at if r else None,
                        "webhook_url": hook_url(key) if r else None,
                    }
                )
        return Response(EnvironmentsShape({"enabled": org.environments_enabled, "releases": rows}).data)

    @extend_schema(responses=VersionSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], pagination_class=None)  # a plain list, also in the schema
    def versions(self, request, pk=None):
        versions = (
            self.get_object().versions.exclude(state=VersionState.SNAPSHOT).select_related("created_by")
        )
        return Response(VersionSerializer(versions, many=True).data)

    @extend_schema(responses=FlowExportShape)
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None):
        return Response(actions.export_flow(self.get_object()))

    @extend_schema(request=ImportSerializer, responses={201: FlowSerializer, 404: ErrorShape})
    @action(detail=False, methods=["post"], url_path="import")
    def import_flow(self, request):
        data = ImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        org = organisation_for(request.user, data.validated_data["organisation"])
        flow = actions.import_flow(actor=request.user, organisation=org, data=data.validated_data["data"])
        return Response(
            FlowSerializer(flow, context={"request": request}).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        request=ScheduleConfigSerializer,
        responses={200: SchedulePreviewSerializer, 400: ErrorShape},
        summary="The next five fire times of a schedule trigger config, in the organisation's time zone",
    )
    @action(detail=True, methods=["post"], url_path="schedule-preview")
    def schedule_preview(self, request, pk=None):
        flow = self.get_object()
        data = ScheduleConfigSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        preview = preview_schedule(actor=request.user, flow=flow, config=dict(data.validated_data))
        times = [{"local": t, "utc": t.astimezone(UTC)} for t in preview.times]
        return Response(SchedulePreviewSerializer({"timezone": preview.timezone, "times": times}).data)

    @extend_schema(request=RunRequestSerializer, responses={201: RunSerializer, 400: ErrorShape})
    @action(detail=True, methods=["post"])
    def run(self, request, pk=None):
        flow = self.get_object()
        data = RunRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        run = run_manually(
            actor=request.user,
            flow=flow,
            input_data=values.get("input"),
            use_draft=values["use_draft"],
            only_node=values.get("only_node") or "",
            pinned=values.get("pinned") or None,
        )
        return Response(RunSerializer(run).data, status=status.HTTP_201_CREATED)


class VersionViewSet(RestrictedQuerysetMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    base_queryset = FlowVersion.objects.select_related("created_by")
    serializer_class = VersionDetailSerializer

    def get_queryset(self):
        from flowbuilder.tenancy.permissions import restrict

        flows = restrict(Flow.objects.all(), self.request.user, "view")
        return self.base_queryset.filter(flow__in=flows)
