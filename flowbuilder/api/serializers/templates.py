"""Shapes of partner templates, their versions and the customer copies (instances)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import PolymorphicProxySerializer
from rest_framework import serializers

from flowbuilder.flows.models import Template, TemplateInstance, TemplateVersion

from .shapes import JSON_OBJECT, STRINGS, ErrorShape, FindingShape, typed, typed_json
from .strict import StrictModelSerializer, StrictSerializer

# --- declared parameters (flows.templates.check_parameters) --------------------------------------------


class ParameterReferencesShape(StrictSerializer):
    connection = serializers.CharField(help_text="The connection slot whose ERP is asked.")
    values = serializers.CharField(
        allow_null=True, required=False, help_text="item, tax_code, currency, subsidiary, company, tax_group"
    )
    keys = serializers.CharField(
        allow_null=True, required=False, help_text="The kind the top-level keys name."
    )

    class Meta:
        ref_name = "ParameterReferences"


class ValueParameterShape(StrictSerializer):
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=["value"])
    description = serializers.CharField(allow_blank=True)
    required = serializers.BooleanField()
    pointer = serializers.CharField(help_text="/nodes/<node id>/config/<field>")
    default = serializers.JSONField(allow_null=True, help_text="Any JSON; null when the flow has no value.")
    references = ParameterReferencesShape(
        required=False,
        help_text="The value names ERP records: checked in the customer's ERP at clone, rollout and publish.",
    )
    shared = serializers.CharField(
        required=False,
        help_text="A key the templates that must agree on this parameter share (the field owners of a "
        "two-way sync): in one customer their copies hold the same value, checked at clone, rollout and "
        "publish.",
    )

    class Meta:
        ref_name = "ValueParameter"


class ConnectionSlotShape(StrictSerializer):
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=["connection"])
    description = serializers.CharField(allow_blank=True)
    required = serializers.BooleanField()
    connector = serializers.CharField()
    nodes = serializers.ListField(child=serializers.CharField(), help_text="The nodes that use the slot.")

    class Meta:
        ref_name = "ConnectionSlot"


TEMPLATE_PARAMETERS = PolymorphicProxySerializer(
    component_name="TemplateParameter",
    serializers={"value": ValueParameterShape, "connection": ConnectionSlotShape},
    resource_type_field_name="kind",
    many=True,
)


class ValueParameterInputShape(ValueParameterShape):
    """As declared when publishing: no description, not required and the flow's current value by default."""

    description = serializers.CharField(allow_blank=True, required=False, default="")
    required = serializers.BooleanField(required=False, default=False)
    default = serializers.JSONField(allow_null=True, required=False)

    class Meta:
        ref_name = "ValueParameterInput"


class ConnectionSlotInputShape(ConnectionSlotShape):
    description = serializers.CharField(allow_blank=True, required=False, default="")
    required = serializers.BooleanField(required=False, default=False)

    class Meta:
        ref_name = "ConnectionSlotInput"


TEMPLATE_PARAMETERS_IN = PolymorphicProxySerializer(
    component_name="TemplateParameterInput",
    serializers={"value": ValueParameterInputShape, "connection": ConnectionSlotInputShape},
    resource_type_field_name="kind",
    many=True,
)


class TemplateSerializer(StrictModelSerializer):
    tags = typed_json(STRINGS, read_only=True)
    latest_version = serializers.SerializerMethodField()

    class Meta:
        model = Template
        fields = [
            "id",
            "organisation",
            "name",
            "description",
            "category",
            "tags",
            "source_flow",
            "latest_version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_latest_version(self, template: Template) -> int | None:
        version = template.versions.only("number").first()
        return version.number if version else None


class TemplateCreateSerializer(StrictSerializer):
    organisation = serializers.IntegerField()
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    category = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, default=list)
    source_flow = serializers.IntegerField(required=False, allow_null=True)


class TemplateVersionSerializer(StrictModelSerializer):
    parameters = typed_json(TEMPLATE_PARAMETERS, read_only=True)
    created_by = serializers.SerializerMethodField()

    class Meta:
        model = TemplateVersion
        fields = ["id", "template", "number", "parameters", "changelog", "created_by", "created_at"]
        read_only_fields = fields

    def get_created_by(self, version: TemplateVersion) -> str | None:
        return version.created_by.get_username() if version.created_by_id else None


class TemplateVersionDetailSerializer(TemplateVersionSerializer):
    document = typed_json(JSON_OBJECT, read_only=True)

    class Meta(TemplateVersionSerializer.Meta):
        fields = [*TemplateVersionSerializer.Meta.fields, "document"]
        read_only_fields = fields


class PublishTemplateVersionSerializer(StrictSerializer):
    source = serializers.ChoiceField(choices=["draft", "published"], default="draft")
    parameters = typed(
        TEMPLATE_PARAMETERS_IN,
        serializers.ListField,
        child=serializers.DictField(),
        required=False,
        default=list,
        help_text="Checked against the flow (flows.templates.check_parameters): 400 names the one at fault.",
    )
    changelog = serializers.CharField(required=False, allow_blank=True, default="", max_length=10000)


class CloneTargetSerializer(StrictSerializer):
    customer = serializers.IntegerField()
    parameters = serializers.DictField(
        required=False,
        default=dict,
        help_text="Parameter name -> value (a connection slot: a connection id).",
    )
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)


class CloneSerializer(StrictSerializer):
    version = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    customers = CloneTargetSerializer(many=True, allow_empty=False, max_length=500)
    # Check parameters, validate the rendered flows and test the bound connections; create nothing.
    dry_run = serializers.BooleanField(required=False, default=False)


class PreviewUpgradeSerializer(StrictSerializer):
    version = serializers.IntegerField(min_value=1)
    instances = serializers.ListField(child=serializers.IntegerField(), required=False, allow_null=True)


# How a merge conflict is settled (flows.merge): one of the three sides, or a value of one's own.
RESOLUTION: dict[str, Any] = {
    "oneOf": [
        {"type": "string", "enum": ["ours", "theirs", "base"]},
        {"type": "object", "properties": {"value": {}}, "required": ["value"]},
    ]
}
RESOLUTIONS: dict[str, Any] = {
    "type": "object",
    "additionalProperties": {"type": "object", "additionalProperties": RESOLUTION},
}


class UpgradeSerializer(StrictSerializer):
    version = serializers.IntegerField(min_value=1)
    instances = serializers.ListField(child=serializers.IntegerField(), allow_empty=False, max_length=1000)
    resolutions = typed(
        RESOLUTIONS,
        serializers.DictField,
        child=serializers.DictField(),
        required=False,
        default=dict,
        help_text="Instance id -> conflict path -> resolution.",
    )

    def validate_resolutions(self, value):
        try:
            return {int(k): v for k, v in value.items()}
        except ValueError as exc:
            raise serializers.ValidationError("Keys are instance ids.") from exc


class TemplateInstanceSerializer(StrictModelSerializer):
    version = serializers.IntegerField(source="based_on.number", read_only=True)
    previous_version = serializers.IntegerField(
        source="previous_version.number", read_only=True, default=None, allow_null=True
    )
    parameter_values = typed_json(JSON_OBJECT, read_only=True)
    template_name = serializers.CharField(source="template.name", read_only=True)

    class Meta:
        model = TemplateInstance
        fields = [
            "id",
            "template",
            "template_name",
            "customer",
            "flow",
            "version",
            "previous_version",
            "pinned",
            "parameter_values",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


# --- documents compared and merged (flows.graph_diff, flows.merge) --------------------------------------


class NodeSummaryShape(StrictSerializer):
    id = serializers.CharField()
    type = serializers.CharField(allow_null=True)
    label = serializers.CharField(allow_null=True)

    class Meta:
        ref_name = "NodeSummary"


class ValueChangeShape(StrictSerializer):
    path = serializers.CharField(help_text="JSON pointer into the document.")
    op = serializers.ChoiceField(choices=["add", "remove", "replace"])
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)

    class Meta:
        ref_name = "ValueChange"


class ChangedNodeShape(NodeSummaryShape):
    changes = ValueChangeShape(many=True)

    class Meta:
        ref_name = "ChangedNode"


class EdgeSummaryShape(StrictSerializer):
    id = serializers.CharField(allow_null=True)
    source = serializers.CharField()
    source_port = serializers.CharField()
    target = serializers.CharField()
    target_port = serializers.CharField()

    class Meta:
        ref_name = "EdgeSummary"


class DiffSummaryShape(StrictSerializer):
    nodes_added = serializers.IntegerField()
    nodes_removed = serializers.IntegerField()
    nodes_changed = serializers.IntegerField()
    edges_added = serializers.IntegerField()
    edges_removed = serializers.IntegerField()
    fields_changed = serializers.IntegerField()

    class Meta:
        ref_name = "DiffSummary"


class GraphDiffShape(StrictSerializer):
    nodes_added = NodeSummaryShape(many=True)
    nodes_removed = NodeSummaryShape(many=True)
    nodes_changed = ChangedNodeShape(many=True)
    edges_added = EdgeSummaryShape(many=True)
    edges_removed = EdgeSummaryShape(many=True)
    document_changes = ValueChangeShape(many=True)
    summary = DiffSummaryShape()

    class Meta:
        ref_name = "GraphDiff"


class MergeConflictShape(StrictSerializer):
    kind = serializers.CharField()
    node = serializers.CharField(allow_null=True)
    path = serializers.CharField(help_text="JSON pointer; the key of its resolution.")
    base = serializers.JSONField(allow_null=True)
    ours = serializers.JSONField(allow_null=True)
    theirs = serializers.JSONField(allow_null=True)

    class Meta:
        ref_name = "MergeConflict"


class ResolvedConflictShape(MergeConflictShape):
    resolution = serializers.ChoiceField(choices=["ours", "theirs", "base", "value"])

    class Meta:
        ref_name = "ResolvedConflict"


# --- action answers ---------------------------------------------------------------------------------------

FIELD_ERRORS: dict[str, Any] = {"type": "object", "additionalProperties": STRINGS}


class CloneResultShape(StrictSerializer):
    customer = serializers.IntegerField(allow_null=True)
    ok = serializers.BooleanField()
    errors = typed_json(FIELD_ERRORS, help_text="Parameter (or customer) -> messages.")
    instance = serializers.IntegerField(required=False)
    flow = serializers.IntegerField(required=False)
    version = serializers.IntegerField(required=False)
    unbound = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Connection slots left to bind."
    )
    pending_checks = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Parameters naming ERP records not checked yet (ERP slot unbound): checked at publish.",
    )
    review = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="The flow version sent for review (the customer requires approval): not live yet.",
    )
    review_problem = serializers.CharField(required=False, help_text="Why no review could be asked for.")

    class Meta:
        ref_name = "CloneResult"


class CloneResponseShape(StrictSerializer):
    cloned = serializers.IntegerField()
    failed = serializers.IntegerField()
    results = CloneResultShape(many=True)

    class Meta:
        ref_name = "CloneResponse"


class ConnectionCheckShape(StrictSerializer):
    ok = serializers.BooleanField()
    message = serializers.CharField(allow_blank=True)

    class Meta:
        ref_name = "ConnectionCheck"


class DryRunResultShape(StrictSerializer):
    customer = serializers.IntegerField(allow_null=True)
    ok = serializers.BooleanField()
    dry_run = serializers.BooleanField()
    errors = typed_json(FIELD_ERRORS)
    findings = FindingShape(many=True, required=False, help_text="Errors of the rendered flow.")
    connections = serializers.DictField(
        child=ConnectionCheckShape(), required=False, help_text="Slot -> test of the bound connection."
    )
    unbound = serializers.ListField(child=serializers.CharField(), required=False)
    pending_checks = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Parameters naming ERP records not checked yet (ERP slot unbound): checked at publish.",
    )
    ready_to_publish = serializers.BooleanField(required=False)

    class Meta:
        ref_name = "DryRunResult"


class DryRunResponseShape(StrictSerializer):
    dry_run = serializers.BooleanField()
    ready = serializers.IntegerField()
    not_ready = serializers.IntegerField()
    results = DryRunResultShape(many=True)

    class Meta:
        ref_name = "DryRunResponse"


# A clone that created nothing answers 400 with its results; a refused request, with the usual error body.
CLONE_REFUSED = PolymorphicProxySerializer(
    component_name="CloneRefused",
    serializers=[CloneResponseShape, ErrorShape],
    resource_type_field_name=None,
)


class UpgradePreviewShape(StrictSerializer):
    instance = serializers.IntegerField()
    customer = serializers.IntegerField()
    flow = serializers.IntegerField()
    from_version = serializers.IntegerField()
    to_version = serializers.IntegerField()
    pinned = serializers.BooleanField()
    diff = GraphDiffShape(help_text="The customer's copy -> the new version as rendered for it.")
    changes = GraphDiffShape(help_text="The customer's copy -> the merge result.")
    conflicts = MergeConflictShape(many=True)
    warnings = serializers.ListField(child=serializers.CharField())
    missing_parameters = serializers.ListField(child=serializers.CharField())
    document = typed_json(JSON_OBJECT, help_text="The merge result.")

    class Meta:
        ref_name = "UpgradePreview"


class UpgradePreviewsShape(StrictSerializer):
    results = UpgradePreviewShape(many=True)

    class Meta:
        ref_name = "UpgradePreviews"


UPGRADE_STATUSES = [
    "upgraded",
    "conflicts",
    "skipped_pinned",
    "up_to_date",
    "not_found",
    "missing_parameters",
    "invalid_references",
    "shared_values_disagree",
]


class UpgradeResultShape(StrictSerializer):
    instance = serializers.IntegerField()
    status = serializers.ChoiceField(choices=UPGRADE_STATUSES)
    conflicts = MergeConflictShape(many=True)
    missing_parameters = serializers.ListField(child=serializers.CharField(), required=False)
    errors = typed_json(
        FIELD_ERRORS,
        required=False,
        help_text="invalid_references: parameter -> records the ERP lacks; shared_values_disagree: "
        "parameter -> the other copy in the customer that holds another value.",
    )
    pending_checks = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Parameters naming ERP records not checked yet (ERP slot unbound): checked at publish.",
    )
    resolved = ResolvedConflictShape(many=True, required=False)
    warnings = serializers.ListField(child=serializers.CharField(), required=False)
    review = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="The flow version sent for review (the customer requires approval): not live yet.",
    )
    review_problem = serializers.CharField(required=False, help_text="Why no review could be asked for.")

    class Meta:
        ref_name = "UpgradeResult"


class UpgradeResultsShape(StrictSerializer):
    results = UpgradeResultShape(many=True)

    class Meta:
        ref_name = "UpgradeResults"


class DriftRowShape(StrictSerializer):
    instance = serializers.IntegerField()
    customer = serializers.IntegerField()
    flow = serializers.IntegerField()
    version = serializers.IntegerField()
    drifted = serializers.BooleanField()
    diff = GraphDiffShape(help_text="What the template produced for the customer -> its draft now.")

    class Meta:
        ref_name = "DriftRow"


class DriftReportShape(StrictSerializer):
    results = DriftRowShape(many=True)

    class Meta:
        ref_name = "DriftReport"
