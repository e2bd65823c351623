from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from flowbuilder.execution.models import Compensation, EventType, NodeRun, NodeStatus, Run, RunEvent
from flowbuilder.execution.run_view import node_inputs

from .shapes import (
    ERROR_INFO,
    ITEMS,
    JSON_OBJECT,
    PORT_COUNTS,
    PORT_ITEMS,
    RunVersionRefShape,
    typed_json,
)
from .strict import StrictModelSerializer, StrictSerializer


class RunSerializer(StrictModelSerializer):
    flow_name = serializers.CharField(source="flow.name", read_only=True)
    version = serializers.SerializerMethodField()
    duration_ms = serializers.IntegerField(read_only=True, allow_null=True)
    error = typed_json(ERROR_INFO, read_only=True, allow_null=True)

    class Meta:
        model = Run
        fields = [
            "id",
            "organisation",
            "flow",
            "flow_name",
            "version",
            "status",
            "origin",
            "created_at",
            "started_at",
            "finished_at",
            "duration_ms",
            "error",
            "correlation_id",
            "replay_of",
            "parent_run",
        ]
        read_only_fields = fields

    @extend_schema_field(RunVersionRefShape)
    def get_version(self, run: Run) -> dict:
        v = run.version
        return {"id": run.version_id, "number": v.number, "state": v.state, "environment": v.environment}


class NodeWaitingShape(StrictSerializer):
    """Schema only: what a waiting node waits for (NodeRunSerializer.get_waiting)."""

    reason = serializers.CharField(help_text="duration, until, callback, record or approval")
    wake_at = serializers.DateTimeField(
        allow_null=True, help_text="When it runs again on its own (null: never)."
    )
    resume_url = serializers.CharField(allow_null=True, help_text="Callback waits: the URL that resumes it.")
    approval_id = serializers.IntegerField(
        allow_null=True, help_text="Approval waits: the request to decide."
    )


class NodeRunSerializer(StrictModelSerializer):
    waiting = serializers.SerializerMethodField()
    input_counts = typed_json(PORT_COUNTS, read_only=True)
    output_counts = typed_json(PORT_COUNTS, read_only=True)
    output_items = typed_json(PORT_ITEMS, read_only=True)
    error = typed_json(ERROR_INFO, read_only=True, allow_null=True)

    class Meta:
        model = NodeRun
        fields = [
            "node_id",
            "status",
            "attempt",
            "input_counts",
            "output_counts",
            "output_items",
            "error",
            "started_at",
            "finished_at",
            "duration_ms",
            "next_attempt_at",
            "waiting",
        ]
        read_only_fields = fields

    @extend_schema_field(NodeWaitingShape(allow_null=True))
    def get_waiting(self, row: NodeRun) -> dict[str, Any] | None:
        """A parked node's reason, wake-up time, and how to wake it (its resume URL or approval request)."""
        if row.status != NodeStatus.WAITING:
            return None
        state = row.suspend_state or {}
        if "approval_id" in state:
            reason = "approval"
        elif state.get("resume_url"):
            reason = "callback"
        else:
            reason = str(state.get("mode") or "duration")
        return {
            "reason": reason,
            "wake_at": row.next_attempt_at.isoformat() if row.next_attempt_at else None,
            "resume_url": state.get("resume_url") or None,
            "approval_id": state.get("approval_id"),
        }


class NodeRunDetailShape(NodeRunSerializer):
    """Schema only: a node run as RunDetailSerializer.get_node_runs sends it (with its input items)."""

    input_items = typed_json(PORT_ITEMS, read_only=True)

    class Meta(NodeRunSerializer.Meta):
        fields = [*NodeRunSerializer.Meta.fields, "input_items"]
        read_only_fields = fields
        ref_name = "NodeRun"


class CompensationSerializer(StrictModelSerializer):
    """One step of the run's saga: undoing a completed node after a later node failed finally."""

    error = typed_json({**ERROR_INFO, "nullable": True}, read_only=True)

    class Meta:
        model = Compensation
        fields = ["node_id", "order", "status", "attempt", "error", "started_at", "finished_at"]
        read_only_fields = fields


class RunLinkShape(StrictSerializer):
    """Another run linked to this one (a retry or replay started from it)."""

    id = serializers.IntegerField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()


class RunDetailSerializer(RunSerializer):
    node_runs = serializers.SerializerMethodField()
    retried_as = serializers.SerializerMethodField(
        help_text="Runs started from this one (Retry from failed node, Replay), newest first: the other "
        "direction of replay_of."
    )
    compensations = CompensationSerializer(many=True, read_only=True)
    last_seq = serializers.IntegerField(read_only=True)
    document = typed_json(JSON_OBJECT, source="version.document", read_only=True)
    input_items = typed_json(ITEMS, read_only=True)
    output_items = typed_json({**ITEMS, "nullable": True}, read_only=True)

    class Meta(RunSerializer.Meta):
        fields = [
            *RunSerializer.Meta.fields,
            "node_runs",
            "retried_as",
            "compensations",
            "last_seq",
            "document",
            "input_items",
            "output_items",
        ]
        read_only_fields = fields

    @extend_schema_field(RunLinkShape(many=True))
    def get_retried_as(self, run: Run) -> list[dict]:
        # Same organisation by construction (a retry copies its original's), filtered anyway.
        later = Run.objects.filter(replay_of=run, organisation_id=run.organisation_id).order_by("-id")
        return list(later.values("id", "status", "created_at")[:20])

    @extend_schema_field(NodeRunDetailShape(many=True))
    def get_node_runs(self, run: Run) -> list[dict]:
        rows = list(run.node_runs.all())
        inputs = node_inputs(run, rows)
        # One list serializer for all rows: a serializer per row rebuilt its fields 40 times per run.
        data = NodeRunSerializer(rows, many=True).data
        for row, item in zip(rows, data, strict=True):
            item["input_items"] = inputs.get(row.node_id, {})
        return list(data)


# A run event's payload (execution/engine.py): the keys its type uses, and more may come.
RUN_EVENT_PAYLOAD: dict[str, Any] = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "description": "Run events: the run's new status."},
        "attempt": {"type": "integer"},
        "input_count": {"type": "integer"},
        "output_counts": PORT_COUNTS,
        "duration_ms": {"type": "integer", "nullable": True},
        "error": ERROR_INFO,
        "retry_in_s": {"type": "number", "description": "node.retrying: seconds until the next attempt."},
        "continued": {"type": "boolean", "description": "node.failed: the run went on (on_error)."},
        "reason": {"type": "string", "description": "node.skipped: why."},
        "wake_at": {
            "type": "string",
            "format": "date-time",
            "nullable": True,
            "description": "run.waiting / node.waiting: when it runs again on its own (null: when called).",
        },
        "undo": {"type": "boolean", "description": "node.retrying of an undo step (the saga)."},
    },
    "additionalProperties": {},
}


class RunEventSerializer(StrictModelSerializer):
    """One run or node event; ``type`` is execution.models.EventType (EventTypeEnum in the schema)."""

    type = serializers.ChoiceField(choices=EventType.choices, read_only=True)
    payload = typed_json(RUN_EVENT_PAYLOAD, read_only=True)

    class Meta:
        model = RunEvent
        fields = ["seq", "type", "node_id", "payload", "at"]
        read_only_fields = fields
