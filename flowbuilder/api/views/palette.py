from __future__ import annotations

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from flowbuilder.api.serializers.shapes import ErrorShape, NodeTypeShape
from flowbuilder.api.serializers.strict import StrictSerializer
from flowbuilder.nodes.registry import load_registry


@extend_schema(responses={200: NodeTypeShape(many=True)})
@api_view(["GET"])
def node_types(request):
    """The editor's palette: every node type with its ports and config JSON Schema."""
    return Response([node_cls.describe() for node_cls in load_registry()])


class PreviewSerializer(StrictSerializer):
    expression = serializers.CharField(max_length=20_000, allow_blank=True, trim_whitespace=False)
    mode = serializers.ChoiceField(
        choices=["expression", "template"],
        default="expression",
        help_text="template: a template field (URL, body, mapped value): text is literal and only the "
        "{{ }} parts are evaluated, as a run does. expression: a bare JSONata field (a condition).",
    )
    item = serializers.DictField(required=False, default=dict)
    # node id -> items, or node id -> port -> items (as a run keeps them).
    node_outputs = serializers.DictField(child=serializers.JSONField(), required=False, default=dict)


def _node_outputs(value: dict) -> dict:
    outputs = {}
    for node_id, ports in value.items():
        if isinstance(ports, list):
            ports = {"main": ports}
        if not isinstance(ports, dict) or not all(isinstance(v, list) for v in ports.values()):
            raise serializers.ValidationError(
                {"node_outputs": [f"{node_id}: give a list of items or {{port: [items]}}."]}
            )
        outputs[str(node_id)] = ports
    return outputs


@extend_schema(
    request=PreviewSerializer,
    responses={
        200: inline_serializer("ExpressionPreviewResult", {"result": serializers.JSONField()}),
        # The expression's own error, or a refused request (the usual error body).
        400: PolymorphicProxySerializer(
            component_name="ExpressionPreviewRefused",
            serializers=[
                inline_serializer(
                    "ExpressionPreviewError",
                    {"error": serializers.CharField(), "position": serializers.IntegerField(allow_null=True)},
                ),
                ErrorShape,
            ],
            resource_type_field_name=None,
        ),
    },
)
@api_view(["POST"])
def expression_preview(request):
    """Evaluate an expression or template against a sample item (same limits as a run)."""
    from flowbuilder.core.errors import FlowbuilderError
    from flowbuilder.nodes.base import NodeContext
    from flowbuilder.nodes.expressions import evaluate_field, render_template

    data = PreviewSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    values = data.validated_data
    ctx = NodeContext(
        run_id=0, node_id="preview", organisation_id=0, node_outputs=_node_outputs(values["node_outputs"])
    )
    try:
        evaluate = render_template if values["mode"] == "template" else evaluate_field
        result = evaluate(values["expression"], ctx.expression_context(values["item"]))
    except FlowbuilderError as exc:
        return Response({"error": exc.message, "position": getattr(exc, "position", None)}, status=400)
    return Response({"result": result})
