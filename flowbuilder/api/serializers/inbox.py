"""The failure inbox over the API: failures with their triage state, groups, comments and bulk batches.

Serializers shape and validate; ``observability.inbox_actions`` does the work.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from flowbuilder.execution.failures import NEXT_STEP
from flowbuilder.execution.models import FailureCategory, FailureRecord
from flowbuilder.observability.inbox import GROUP_BY, STATES
from flowbuilder.observability.inbox_models import BulkAction, FailureComment, InboxBatch, RevalidateTarget

from .strict import StrictModelSerializer, StrictSerializer


class FailureSerializer(StrictModelSerializer):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    flow_name = serializers.CharField(source="flow.name", read_only=True)
    run_status = serializers.CharField(source="run.status", read_only=True)
    category_label = serializers.SerializerMethodField()
    next_step = serializers.SerializerMethodField()
    assignee_name = serializers.SerializerMethodField()
    comment_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = FailureRecord
        fields = [
            "id",
            "organisation",
            "organisation_name",
            "flow",
            "flow_name",
            "run",
            "run_status",
            "kind",
            "node_id",
            "item_index",
            "item",
            "category",
            "category_label",
            "next_step",
            "message",
            "created_at",
            "state",
            "assignee",
            "assignee_name",
            "snoozed_until",
            "resolution",
            "resolved_at",
            "follow_up_run",
            "comment_count",
            "occurrences",
            "last_seen_at",
            "note",
        ]
        read_only_fields = fields

    def get_category_label(self, obj: FailureRecord) -> str:
        return FailureCategory(obj.category).label

    def get_next_step(self, obj: FailureRecord) -> str:
        return NEXT_STEP[FailureCategory(obj.category)]

    def get_assignee_name(self, obj: FailureRecord) -> str:
        return obj.assignee.get_username() if obj.assignee_id else ""


class AssignSerializer(StrictSerializer):
    assignee = serializers.IntegerField(allow_null=True, help_text="A user id; null unassigns.")


class SnoozeSerializer(StrictSerializer):
    until = serializers.DateTimeField()


class CommentSerializer(StrictModelSerializer):
    author_name = serializers.SerializerMethodField()

    class Meta:
        model = FailureComment
        fields = ["id", "failure", "author", "author_name", "body", "created_at"]
        read_only_fields = ["id", "failure", "author", "author_name", "created_at"]

    def get_author_name(self, obj: FailureComment) -> str:
        return obj.author.get_username() if obj.author_id else ""


class InboxGroupShape(StrictSerializer):
    key = serializers.CharField(help_text="Pass as ?group= to list or act on this group.")
    label = serializers.CharField()
    count = serializers.IntegerField()
    items = serializers.IntegerField()
    runs = serializers.IntegerField()
    assigned = serializers.IntegerField()
    latest_at = serializers.DateTimeField(allow_null=True)
    category = serializers.ChoiceField(choices=FailureCategory.choices)
    categories = serializers.DictField(child=serializers.IntegerField())
    next_step = serializers.CharField()


class InboxShape(StrictSerializer):
    group_by = serializers.ChoiceField(choices=GROUP_BY)
    total = serializers.IntegerField()
    categories = serializers.DictField(child=serializers.IntegerField())
    groups = InboxGroupShape(many=True)


class InputChangeShape(StrictSerializer):
    path = serializers.CharField(help_text="Dot path of the field in the failed step's input item.")
    change = serializers.ChoiceField(choices=["added", "removed", "changed"])
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)


class RevalidationResultShape(StrictSerializer):
    """One failure evaluated again without side effects (``execution.revalidate``)."""

    failure = serializers.IntegerField()
    run = serializers.IntegerField()
    node_id = serializers.CharField(allow_blank=True)
    node_label = serializers.CharField(allow_blank=True)
    item_index = serializers.IntegerField()
    verdict = serializers.ChoiceField(
        choices=["pass", "fail", "unknown"], help_text="pass: would now pass; fail: still fails."
    )
    field = serializers.CharField(allow_blank=True, help_text="The field that still fails, when known.")
    reason = serializers.CharField(allow_blank=True)
    checked = serializers.CharField(
        allow_blank=True,
        help_text="ran (a pure step) or 'inputs checked, not called' (a step with side effects).",
    )
    input = serializers.JSONField(
        allow_null=True, help_text="The input item the failed step would now receive."
    )
    diff = InputChangeShape(many=True, help_text="How that input differs from the one it failed on.")


class BatchSerializer(StrictModelSerializer):
    """A bulk action: create with ``failures`` (ids) or ``group`` (a group key, with the inbox filters).

    ``revalidate`` evaluates the failures again on ``target`` (the draft, default, or the published
    version) without side effects; its ``results`` hold one verdict per failure."""

    organisation = serializers.IntegerField(source="organisation_id")
    failures = serializers.ListField(
        child=serializers.IntegerField(), required=False, write_only=True, max_length=10_000
    )
    group = serializers.CharField(required=False, write_only=True, max_length=300)
    state = serializers.ChoiceField(choices=STATES, required=False, write_only=True, default="open")
    actor_name = serializers.SerializerMethodField()
    target = serializers.ChoiceField(
        choices=RevalidateTarget.choices, required=False, allow_blank=True, default=""
    )
    results = RevalidationResultShape(many=True, read_only=True)

    class Meta:
        model = InboxBatch
        fields = [
            "id",
            "organisation",
            "action",
            "failures",
            "group",
            "state",
            "status",
            "total",
            "done",
            "succeeded",
            "new_runs",
            "errors",
            "target",
            "results",
            "source_batch",
            "actor",
            "actor_name",
            "created_at",
            "finished_at",
        ]
        read_only_fields = [
            "source_batch",
            "id",
            "status",
            "total",
            "done",
            "succeeded",
            "new_runs",
            "errors",
            "actor",
            "actor_name",
            "created_at",
            "finished_at",
        ]
        extra_kwargs = {"action": {"choices": BulkAction.choices}}

    def get_actor_name(self, obj: InboxBatch) -> str:
        return obj.actor.get_username() if obj.actor_id else ""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("failures") and not attrs.get("group"):
            raise serializers.ValidationError({"failures": ["Choose failures, or a group."]})
        return attrs
