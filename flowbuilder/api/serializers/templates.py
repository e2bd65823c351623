"""Shapes of partner templates, their versions and the customer copies (instances)."""

from __future__ import annotations

from rest_framework import serializers

from flowbuilder.flows.models import Template, TemplateInstance, TemplateVersion


class TemplateSerializer(serializers.ModelSerializer):
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


class TemplateCreateSerializer(serializers.Serializer):
    organisation = serializers.IntegerField()
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    category = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, default=list)
    source_flow = serializers.IntegerField(required=False, allow_null=True)


class TemplateVersionSerializer(serializers.ModelSerializer):
    created_by = serializers.SerializerMethodField()

    class Meta:
        model = TemplateVersion
        fields = ["id", "template", "number", "parameters", "changelog", "created_by", "created_at"]
        read_only_fields = fields

    def get_created_by(self, version: TemplateVersion) -> str | None:
        return version.created_by.get_username() if version.created_by_id else None


class TemplateVersionDetailSerializer(TemplateVersionSerializer):
    class Meta(TemplateVersionSerializer.Meta):
        fields = [*TemplateVersionSerializer.Meta.fields, "document"]
        read_only_fields = fields


class PublishTemplateVersionSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=["draft", "published"], default="draft")
    parameters = serializers.ListField(child=serializers.DictField(), required=False, default=list)
    changelog = serializers.CharField(required=False, allow_blank=True, default="", max_length=10000)


class CloneTargetSerializer(serializers.Serializer):
    customer = serializers.IntegerField()
    parameters = serializers.DictField(required=False, default=dict)
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)


class CloneSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    customers = CloneTargetSerializer(many=True, allow_empty=False, max_length=500)
    # Check parameters, validate the rendered flows and test the bound connections; create nothing.
    dry_run = serializers.BooleanField(required=False, default=False)


class PreviewUpgradeSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1)
    instances = serializers.ListField(child=serializers.IntegerField(), required=False, allow_null=True)


class UpgradeSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1)
    instances = serializers.ListField(child=serializers.IntegerField(), allow_empty=False, max_length=1000)
    resolutions = serializers.DictField(child=serializers.DictField(), required=False, default=dict)

    def validate_resolutions(self, value):
        try:
            return {int(k): v for k, v in value.items()}
        except ValueError as exc:
            raise serializers.ValidationError("Keys are instance ids.") from exc


class TemplateInstanceSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="based_on.number", read_only=True)
    previous_version = serializers.IntegerField(
        source="previous_version.number", read_only=True, default=None
    )
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
