"""Partner templates and the customer copies made from them. Views parse, call one action, shape."""

from __future__ import annotations

from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from flowbuilder.api.serializers.shapes import ErrorShape
from flowbuilder.api.serializers.templates import (
    CLONE_REFUSED,
    CloneResponseShape,
    CloneSerializer,
    DriftReportShape,
    DryRunResponseShape,
    PreviewUpgradeSerializer,
    PublishTemplateVersionSerializer,
    TemplateCreateSerializer,
    TemplateInstanceSerializer,
    TemplateSerializer,
    TemplateVersionDetailSerializer,
    TemplateVersionSerializer,
    UpgradePreviewsShape,
    UpgradeResultsShape,
    UpgradeSerializer,
)
from flowbuilder.flows import templates as actions
from flowbuilder.flows.models import Flow, Template, TemplateInstance
from flowbuilder.tenancy.permissions import organisation_ids_for, restrict

from .mixins import FILTER_BACKENDS, RestrictedQuerysetMixin, id_param, organisation_for


class TemplateViewSet(
    RestrictedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    base_queryset = Template.objects.all()
    serializer_class = TemplateSerializer
    search_fields = ["name", "description", "category"]
    ordering_fields = ["name", "updated_at", "created_at"]

    @extend_schema(request=TemplateCreateSerializer, responses={201: TemplateSerializer, 404: ErrorShape})
    def create(self, request, *args, **kwargs):
        data = TemplateCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        org = organisation_for(request.user, values.pop("organisation"))
        flow_id = values.pop("source_flow", None)
        flow = None
        if flow_id is not None:
            flow = restrict(Flow.objects.all(), request.user, "view").filter(pk=flow_id).first()
            if flow is None:
                raise NotFound({"detail": "No such flow.", "errors": {"source_flow": ["No such flow."]}})
        template = actions.create_template(actor=request.user, organisation=org, source_flow=flow, **values)
        return Response(TemplateSerializer(template).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses=TemplateVersionSerializer(many=True), filters=False)
    @extend_schema(
        methods=["POST"],
        request=PublishTemplateVersionSerializer,
        responses={201: TemplateVersionDetailSerializer},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)  # a plain list
    def versions(self, request, pk=None):
        template = self.get_object()
        if request.method == "GET":
            versions = template.versions.select_related("created_by")
            return Response(TemplateVersionSerializer(versions, many=True).data)
        data = PublishTemplateVersionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = actions.publish_template_version(
            actor=request.user, template=template, **data.validated_data
        )
        return Response(TemplateVersionDetailSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=TemplateVersionDetailSerializer)
    @action(detail=True, methods=["get"], url_path=r"versions/(?P<number>[0-9]{1,9})")
    def version(self, request, pk=None, number=None):
        version = self.get_object().versions.filter(number=int(number)).first()
        if version is None:
            raise NotFound("No such version.")
        return Response(TemplateVersionDetailSerializer(version).data)

    @extend_schema(
        request=CloneSerializer,
        responses={200: DryRunResponseShape, 201: CloneResponseShape, 400: CLONE_REFUSED},
        description="Copy a version into customers (201 when any was cloned, else 400 with the results); "
        "`dry_run: true` checks each customer and creates nothing (200).",
    )
    @action(detail=True, methods=["post"])
    def clone(self, request, pk=None):
        template = self.get_object()
        data = CloneSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if data.validated_data["dry_run"]:
            results = actions.dry_run_clone(
                actor=request.user,
                template=template,
                targets=data.validated_data["customers"],
                version=data.validated_data.get("version"),
            )
            ready = sum(1 for r in results if r["ok"])
            return Response(
                {"dry_run": True, "ready": ready, "not_ready": len(results) - ready, "results": results}
            )
        results = actions.clone_template(
            actor=request.user,
            template=template,
            targets=data.validated_data["customers"],
            version=data.validated_data.get("version"),
        )
        cloned = sum(1 for r in results if r["ok"])
        return Response(
            {"cloned": cloned, "failed": len(results) - cloned, "results": results},
            status=status.HTTP_201_CREATED if cloned else status.HTTP_400_BAD_REQUEST,
        )

    @extend_schema(request=PreviewUpgradeSerializer, responses=UpgradePreviewsShape)
    @action(detail=True, methods=["post"], url_path="preview-upgrade")
    def preview_upgrade(self, request, pk=None):
        template = self.get_object()
        data = PreviewUpgradeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        previews = actions.preview_upgrade(actor=request.user, template=template, **data.validated_data)
        return Response({"results": previews})

    @extend_schema(request=UpgradeSerializer, responses=UpgradeResultsShape)
    @action(detail=True, methods=["post"])
    def upgrade(self, request, pk=None):
        template = self.get_object()
        data = UpgradeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        results = actions.upgrade_instances(actor=request.user, template=template, **data.validated_data)
        return Response({"results": results})

    @extend_schema(responses=TemplateInstanceSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], pagination_class=None)  # a plain list
    def instances(self, request, pk=None):
        template = self.get_object()
        instances = TemplateInstanceViewSet.visible(request.user).filter(template=template)
        return Response(TemplateInstanceSerializer(instances, many=True).data)

    @extend_schema(
        parameters=[OpenApiParameter("drifted", bool, description="Only copies that drifted (1 or true).")],
        responses=DriftReportShape,
        filters=False,
    )
    @action(detail=True, methods=["get"])
    def drift(self, request, pk=None):
        report = actions.drift_report(actor=request.user, template=self.get_object())
        if request.query_params.get("drifted") in ("1", "true"):
            report = [r for r in report if r["drifted"]]
        return Response({"results": report})


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("template", int, description="Only copies of this template.")]
    )
)
class TemplateInstanceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A customer sees its own copies; the partner sees the copies of its templates."""

    serializer_class = TemplateInstanceSerializer
    filter_backends = FILTER_BACKENDS
    organisation_lookup = "customer_id"  # the customer's copies (a partner filters by template)
    ordering_fields = ["created_at", "updated_at"]

    @staticmethod
    def visible(user):
        ids = organisation_ids_for(user, "view")
        return TemplateInstance.objects.select_related("based_on", "previous_version", "template").filter(
            Q(customer_id__in=ids) | Q(template__organisation_id__in=ids)
        )

    def get_queryset(self):
        qs = self.visible(self.request.user)
        template = id_param(self.request, "template")
        return qs if template is None else qs.filter(template_id=template)

    @extend_schema(request=None, responses=TemplateInstanceSerializer)
    @action(detail=True, methods=["post"])
    def pin(self, request, pk=None):
        instance = actions.set_pinned(actor=request.user, instance=self.get_object(), pinned=True)
        return Response(TemplateInstanceSerializer(instance).data)

    @extend_schema(request=None, responses=TemplateInstanceSerializer)
    @action(detail=True, methods=["post"])
    def unpin(self, request, pk=None):
        instance = actions.set_pinned(actor=request.user, instance=self.get_object(), pinned=False)
        return Response(TemplateInstanceSerializer(instance).data)

    @extend_schema(request=None, responses=TemplateInstanceSerializer)
    @action(detail=True, methods=["post"])
    def rollback(self, request, pk=None):
        instance = actions.rollback_instance(actor=request.user, instance=self.get_object())
        return Response(TemplateInstanceSerializer(instance).data)
