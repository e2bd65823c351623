from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from flowbuilder.nodes.registry import load_registry


@extend_schema(responses={200: serializers.ListSerializer(child=serializers.DictField())})
@api_view(["GET"])
def node_types(request):
    """The editor's palette: every node type with its ports and config JSON Schema."""
    return Response([node_cls.describe() for node_cls in load_registry()])


class PreviewSerializer(serializers.Serializer):
    expression = serializers.CharField(max_length=20_000, allow_blank=True)
    item = serializers.JSONField(required=False, default=dict)
    node_outputs = serializers.DictField(required=False, default=dict)


@extend_schema(request=PreviewSerializer)
@api_view(["POST"])
def expression_preview(request):
    """Evaluate an expression or template against a sample item (same limits as a run)."""
    from flowbuilder.nodes.expressions import ExpressionError, preview

    data = PreviewSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    try:
        result = preview(
            data.validated_data["expression"],
            data.validated_data["item"],
            data.validated_data["node_outputs"],
        )
    except ExpressionError as exc:
        return Response({"error": str(exc), "position": getattr(exc, "position", None)}, status=400)
    return Response({"result": result})
