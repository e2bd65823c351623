"""Duplicate-match reviews as the review queue shows them, and a person's decision."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from flowbuilder.crossref.models import MatchReview

from .strict import StrictModelSerializer, StrictSerializer


class MatchReviewSerializer(StrictModelSerializer):
    decided_by = serializers.SerializerMethodField()
    source = serializers.DictField(read_only=True)
    candidates = serializers.ListField(child=serializers.DictField(), read_only=True)

    class Meta:
        model = MatchReview
        fields = [
            "id",
            "organisation",
            "entity",
            "source_system",
            "source_id",
            "target_system",
            "source",
            "candidates",
            "status",
            "target_id",
            "decided_by",
            "decided_at",
            "run_id",
            "flow_id",
            "node_id",
            "item_index",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_decided_by(self, obj: MatchReview) -> str | None:
        return obj.decided_by.get_username() if obj.decided_by else None


class MatchDecisionSerializer(StrictSerializer):
    decision = serializers.ChoiceField(choices=["link", "create"])
    target_id = serializers.CharField(
        required=False, allow_blank=True, max_length=255, default="", help_text="link: the candidate's id"
    )
    replay = serializers.BooleanField(
        required=False, default=False, help_text="Replay the held item right away (it follows the decision)."
    )

    def validate(self, attrs):
        if attrs["decision"] == "link" and not attrs.get("target_id"):
            raise serializers.ValidationError({"target_id": ["Say which candidate to link to."]})
        return attrs


class MatchReplaySerializer(StrictSerializer):
    run = serializers.IntegerField(allow_null=True)
    message = serializers.CharField(required=False)


class MatchDecisionResultSerializer(StrictSerializer):
    review = MatchReviewSerializer()
    replay = MatchReplaySerializer(allow_null=True)
