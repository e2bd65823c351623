"""Draft pinned data and version history on the flow viewset (mixed into ``FlowViewSet``).

``GET <flow>/pins/``, ``PUT|DELETE <flow>/pins/<node_id>/``: sample items pinned per node of the draft.
``GET <flow>/diff/?from=<n|draft>&to=<n|draft>``: the graph diff between two versions (flows.graph_diff).
``POST <flow>/versions/<n>/restore/``: make version n the draft again (audited; nothing is published).
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from flowbuilder.api.serializers.flow_history import (
    PinnedDataSerializer,
    PinRequestSerializer,
    VersionDiffShape,
)
from flowbuilder.api.serializers.flows import FlowDetailSerializer
from flowbuilder.api.serializers.shapes import ErrorShape
from flowbuilder.core.errors import InvalidInputError
from flowbuilder.flows import actions
from flowbuilder.flows.graph_diff import diff_documents
from flowbuilder.flows.models import Flow, FlowVersion, PinnedData, VersionState

DRAFT = "draft"


def _document_at(flow: Flow, ref: str, field: str) -> tuple[dict, str]:
    """The document a reference names (a version number or "draft") and its label."""
    if ref == DRAFT:
        return flow.draft_document, "Draft"
    if not ref.isdigit():
        raise InvalidInputError(f'Name a version number or "draft", not {ref!r}.', field=field)
    version = (
        flow.versions.exclude(state=VersionState.SNAPSHOT).filter(number=int(ref)).only("document").first()
    )
    if version is None:
        raise InvalidInputError(f"This flow has no version {ref}.", field=field)
    return version.document, f"v{ref}"


class FlowHistoryActionsMixin:
    @extend_schema(responses=PinnedDataSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], pagination_class=None)
    def pins(self, request, pk=None):
        flow = self.get_object()
        pins = PinnedData.objects.filter(flow=flow).select_related("pinned_by")
        return Response(PinnedDataSerializer(pins, many=True).data)

    @extend_schema(
        methods=["PUT"], request=PinRequestSerializer, responses={200: PinnedDataSerializer, 400: ErrorShape}
    )
    @extend_schema(methods=["DELETE"], request=None, responses={204: None})
    @action(detail=True, methods=["put", "delete"], url_path=r"pins/(?P<node_id>[^/]+)", url_name="pin")
    def pin(self, request, pk=None, node_id: str = ""):
        flow = self.get_object()
        if request.method == "DELETE":
            actions.unpin_node_data(actor=request.user, flow=flow, node_id=node_id)
            return Response(status=status.HTTP_204_NO_CONTENT)
        data = PinRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pin = actions.pin_node_data(
            actor=request.user, flow=flow, node_id=node_id, items=data.validated_data["items"]
        )
        return Response(PinnedDataSerializer(pin).data)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "from",
                OpenApiTypes.STR,
                description='Version number or "draft" (default: the published version, else the latest).',
            ),
            OpenApiParameter(
                "to", OpenApiTypes.STR, description='Version number or "draft" (default: draft).'
            ),
        ],
        responses={200: VersionDiffShape, 400: ErrorShape},
        filters=False,
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def diff(self, request, pk=None):
        flow = self.get_object()
        base_ref = request.query_params.get("from") or _default_base(flow)
        head_ref = request.query_params.get("to") or DRAFT
        base_doc, base_label = _document_at(flow, base_ref, "from")
        head_doc, head_label = _document_at(flow, head_ref, "to")
        body = {
            "base": {"ref": base_ref, "label": base_label},
            "head": {"ref": head_ref, "label": head_label},
            "base_document": base_doc,
            "head_document": head_doc,
            "diff": diff_documents(base_doc, head_doc),
        }
        return Response(VersionDiffShape(body).data)

    @extend_schema(request=None, responses={200: FlowDetailSerializer, 400: ErrorShape})
    @action(
        detail=True,
        methods=["post"],
        url_path=r"versions/(?P<number>[0-9]+)/restore",
        url_name="restore-version",
    )
    def restore_version(self, request, pk=None, number: str = ""):
        flow = self.get_object()
        version = flow.versions.exclude(state=VersionState.SNAPSHOT).filter(number=int(number)).first()
        if version is None:
            raise InvalidInputError(f"This flow has no version {number}.", field="number")
        flow = actions.restore_version(actor=request.user, flow=flow, version=version)
        return Response(FlowDetailSerializer(flow, context={"request": request}).data)


def _default_base(flow: Flow) -> str:
    if flow.published_version_id:
        return str(FlowVersion.objects.values_list("number", flat=True).get(pk=flow.published_version_id))
    latest = flow.versions.exclude(state=VersionState.SNAPSHOT).values_list("number", flat=True).first()
    return str(latest) if latest is not None else DRAFT
