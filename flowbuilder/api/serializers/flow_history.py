"""Shapes of a draft's pinned data and of version history (diff between two versions, restore)."""

from __future__ import annotations

from rest_framework import serializers

from flowbuilder.flows.actions import MAX_PINNED_ITEMS
from flowbuilder.flows.models import PinnedData

from .flows import FlowDetailSerializer
from .shapes import JSON_OBJECT, typed_json
from .strict import StrictModelSerializer, StrictSerializer
from .templates import GraphDiffShape


class PinnedDataSerializer(StrictModelSerializer):
    items = typed_json({"type": "array", "items": JSON_OBJECT}, read_only=True)
    pinned_by = serializers.SerializerMethodField()

    class Meta:
        model = PinnedData
        fields = ["node_id", "items", "pinned_by", "pinned_at"]
        read_only_fields = fields

    def get_pinned_by(self, pin: PinnedData) -> str | None:
        return pin.pinned_by.get_username() if pin.pinned_by_id else None


class PinRequestSerializer(StrictSerializer):
    items = serializers.ListField(
        child=serializers.DictField(),
        max_length=MAX_PINNED_ITEMS,
        help_text="The items this node outputs in the editor and in draft test runs of single nodes.",
    )


class VersionRefShape(StrictSerializer):
    ref = serializers.CharField(help_text='A version number, or "draft".')
    label = serializers.CharField()


class VersionDiffShape(StrictSerializer):
    """GET /api/flows/{id}/diff/?from=&to=: both documents (to draw each on a canvas) and the diff."""

    base = VersionRefShape()
    head = VersionRefShape()
    base_document = typed_json(JSON_OBJECT)
    head_document = typed_json(JSON_OBJECT)
    diff = GraphDiffShape()

    class Meta:
        ref_name = "VersionDiff"


class RestoreVersionSerializer(StrictSerializer):
    """No body: the version is named in the URL."""


__all__ = [
    "FlowDetailSerializer",
    "PinRequestSerializer",
    "PinnedDataSerializer",
    "RestoreVersionSerializer",
    "VersionDiffShape",
]
