from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from flowbuilder.credentials.models import Environment
from flowbuilder.execution.models import Run
from flowbuilder.flows.models import Criticality, Flow, FlowVersion
from flowbuilder.validation.groups import first_group_problem

from .shapes import (
    JSON_OBJECT,
    STRINGS,
    DraftShape,
    LastRunRefShape,
    PublishedVersionRefShape,
    typed,
    typed_json,
)
from .strict import StrictModelSerializer, StrictSerializer

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024


class FlowSerializer(StrictModelSerializer):
    """Output only: creates and updates read FlowCreateSerializer / FlowUpdateSerializer."""

    status = typed({"type": "string", "enum": ["draft", "published"]}, serializers.CharField, read_only=True)
    tags = typed_json(STRINGS, read_only=True)
    updated_by = serializers.SerializerMethodField()
    published_version = serializers.SerializerMethodField()
    last_run = serializers.SerializerMethodField()
    webhook_url = serializers.SerializerMethodField()

    class Meta:
        model = Flow
        fields = [
            "id",
            "organisation",
            "name",
            "description",
            "tags",
            "status",
            "draft_revision",
            "created_at",
            "updated_at",
            "updated_by",
            "published_version",
            "last_run",
            "webhook_url",
            "criticality",
            "max_concurrent_runs",
            "error_flow",
            "is_default_error_flow",
        ]
        read_only_fields = fields

    def get_updated_by(self, flow: Flow) -> str | None:
        return flow.draft_saved_by.get_username() if flow.draft_saved_by_id else None

    @extend_schema_field(PublishedVersionRefShape(allow_null=True))
    def get_published_version(self, flow: Flow) -> dict | None:
        v = flow.published_version
        return {"id": v.id, "number": v.number, "created_at": v.created_at} if v else None

    @extend_schema_field(LastRunRefShape(allow_null=True))
    def get_last_run(self, flow: Flow) -> dict | None:
        run = getattr(flow, "_last_run", None)
        if run is None and not hasattr(flow, "_last_run"):
            run = Run.objects.filter(flow=flow).only("id", "status", "created_at").first()
        return {"id": run.id, "status": run.status, "created_at": run.created_at} if run else None

    def get_webhook_url(self, flow: Flow) -> str:
        request = self.context.get("request")
        path = reverse("webhook", kwargs={"token": flow.webhook_token})
        return request.build_absolute_uri(path) if request else path


def _check_groups(document) -> None:
    """Groups are presentation only, and the editor never writes a broken one: refuse it (400 naming
    the field, e.g. ``document.groups[0].nodes``) rather than store it."""
    problem = first_group_problem(document)
    if problem is not None:
        raise serializers.ValidationError({f"document.{problem.field}": [problem.message]})


def _check_document(value):
    import json

    if not isinstance(value, dict):
        raise serializers.ValidationError("The document must be a JSON object with nodes and edges.")
    try:
        size = len(json.dumps(value))
    except (TypeError, ValueError, RecursionError) as exc:
        raise serializers.ValidationError("The document is not plain JSON or is nested too deeply.") from exc
    if size > MAX_DOCUMENT_BYTES:
        raise serializers.ValidationError("The document is larger than 5 MB.")
    return value


class FlowCreateSerializer(StrictSerializer):
    organisation = serializers.IntegerField()
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, default=list)
    document = typed_json(JSON_OBJECT, required=False, validators=[_check_document])

    def validate(self, attrs):
        _check_groups(attrs.get("document"))
        return attrs


class FlowUpdateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False)
    criticality = serializers.ChoiceField(choices=Criticality.choices, required=False)
    max_concurrent_runs = serializers.IntegerField(
        min_value=1, max_value=10_000, required=False, allow_null=True
    )
    error_flow = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="A published flow of the same organisation; null clears it.",
    )
    is_default_error_flow = serializers.BooleanField(required=False)


class DraftSerializer(StrictSerializer):
    document = typed_json(JSON_OBJECT, validators=[_check_document])
    revision = serializers.IntegerField(required=False, allow_null=True)
    force = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs):
        if attrs.get("revision") is None and not attrs.get("force"):
            raise serializers.ValidationError({"revision": ["Send the revision you loaded (or force=true)."]})
        _check_groups(attrs.get("document"))
        return attrs


class ValidateSerializer(StrictSerializer):
    document = typed_json(JSON_OBJECT, validators=[_check_document])


class PublishSerializer(StrictSerializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    rollback_to = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="Publish this older version number again (a rollback; reviewed like any publish).",
    )
    assignees = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        default=list,
        max_length=50,
        help_text="Where review is required: the user ids asked to approve it (empty: the organisation's "
        "approvers but the author).",
    )


class RunRequestSerializer(StrictSerializer):
    input = typed_json(
        {"oneOf": [JSON_OBJECT, {"type": "array", "items": JSON_OBJECT}], "nullable": True},
        required=False,
        allow_null=True,
        help_text="One item or a list of items.",
    )
    use_draft = serializers.BooleanField(required=False, default=False)
    only_node = serializers.CharField(required=False, allow_blank=True, max_length=100)
    pinned = serializers.DictField(child=serializers.ListField(child=serializers.DictField()), required=False)


class FlowExportShape(StrictSerializer):
    """GET /api/flows/{id}/export/ (flows.actions.export_flow): portable, never secrets or tokens."""

    format = serializers.CharField(help_text="The export format's name and version.")
    name = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    tags = typed_json(STRINGS)
    document = typed_json(JSON_OBJECT, help_text="The draft.")
    published_document = typed_json({**JSON_OBJECT, "nullable": True}, allow_null=True)

    class Meta:
        ref_name = "FlowExport"


class ImportSerializer(StrictSerializer):
    organisation = serializers.IntegerField()
    data = serializers.JSONField(help_text="The content of an export (GET /api/flows/{id}/export/).")

    def validate_data(self, value):
        if isinstance(value, dict) and isinstance(value.get("document"), dict):
            _check_document(value["document"])
        return value


class FlowPermissionsShape(StrictSerializer):
    """What the signed-in user may do with this flow (role and shares): the editor follows it."""

    role = serializers.CharField(allow_null=True, help_text="The user's role in the flow's organisation.")
    change = serializers.BooleanField(help_text="Edit and save the draft.")
    publish = serializers.BooleanField()
    run = serializers.BooleanField(help_text="Test runs from the editor, Run this node.")


class FlowDetailSerializer(FlowSerializer):
    draft = serializers.SerializerMethodField()
    permissions = serializers.SerializerMethodField()

    class Meta(FlowSerializer.Meta):
        fields = [*FlowSerializer.Meta.fields, "draft", "permissions"]

    @extend_schema_field(FlowPermissionsShape)
    def get_permissions(self, flow: Flow) -> dict:
        from flowbuilder.tenancy.permissions import can
        from flowbuilder.tenancy.roles import Action

        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return {"role": None, "change": False, "publish": False, "run": False}
        membership = user.memberships.filter(organisation_id=flow.organisation_id, is_active=True).first()
        return {
            "role": membership.role if membership else None,
            "change": can(user, Action.CHANGE, flow),
            "publish": can(user, Action.PUBLISH, flow),
            "run": can(user, Action.RUN, flow),
        }

    @extend_schema_field(DraftShape)
    def get_draft(self, flow: Flow) -> dict:
        from flowbuilder.flows.actions import draft_findings

        viewer = getattr(self.context.get("request"), "user", None)
        return {
            "document": flow.draft_document,
            "revision": flow.draft_revision,
            "saved_by": self.get_updated_by(flow),
            "saved_at": flow.draft_saved_at,
            "findings": draft_findings(flow, flow.draft_document, viewer),
        }


class VersionSerializer(StrictModelSerializer):
    created_by = serializers.SerializerMethodField()

    class Meta:
        model = FlowVersion
        fields = ["id", "flow", "number", "state", "comment", "created_by", "created_at"]
        read_only_fields = fields

    def get_created_by(self, version: FlowVersion) -> str | None:
        return version.created_by.get_username() if version.created_by_id else None


class VersionDetailSerializer(VersionSerializer):
    class Meta(VersionSerializer.Meta):
        fields = [*VersionSerializer.Meta.fields, "document", "plan"]
        read_only_fields = fields

    document = typed_json(JSON_OBJECT, read_only=True)
    plan = typed_json(JSON_OBJECT, read_only=True)


class PromoteSerializer(StrictSerializer):
    environment = serializers.ChoiceField(choices=Environment.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    assignees = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        default=list,
        max_length=50,
        help_text="Prod under review: the user ids asked to approve it (empty: the default approvers).",
    )


class ReleaseShape(StrictSerializer):
    environment = serializers.CharField()
    name = serializers.CharField(help_text="The organisation's label for the environment.")
    version = serializers.IntegerField(allow_null=True, help_text="Version id released there.")
    number = serializers.IntegerField(allow_null=True)
    released_by = serializers.CharField(allow_null=True)
    released_at = serializers.DateTimeField(allow_null=True)
    webhook_url = serializers.CharField(
        allow_null=True,
        help_text="Where this environment's webhook trigger listens (null: nothing released there).",
    )

    class Meta:
        ref_name = "Release"


class EnvironmentsShape(StrictSerializer):
    enabled = serializers.BooleanField()
    releases = ReleaseShape(many=True)

    class Meta:
        ref_name = "FlowEnvironments"
