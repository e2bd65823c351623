from __future__ import annotations

from rest_framework import serializers

from flowbuilder.execution.models import NodeRun, Run, RunEvent
from flowbuilder.execution.run_view import node_inputs


class RunSerializer(serializers.ModelSerializer):
    flow_name = serializers.CharField(source="flow.name", read_only=True)
    version = serializers.SerializerMethodField()
    duration_ms = serializers.IntegerField(read_only=True)

    class Meta:
        model = Run
        fields = [
            "id",
            "organisation",
            "flow",
            "flow_name",
            "version",
            "status",
            "trigger",
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

    def get_version(self, run: Run) -> dict:
        return {"id": run.version_id, "number": run.version.number, "state": run.version.state}


class NodeRunSerializer(serializers.ModelSerializer):
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
        ]
        read_only_fields = fields


class RunDetailSerializer(RunSerializer):
    node_runs = serializers.SerializerMethodField()
    last_seq = serializers.IntegerField(read_only=True)
    document = serializers.JSONField(source="version.document", read_only=True)
    input_items = serializers.JSONField(read_only=True)
    output_items = serializers.JSONField(read_only=True)

    class Meta(RunSerializer.Meta):
        fields = [
            *RunSerializer.Meta.fields,
            "node_runs",
            "last_seq",
            "document",
            "input_items",
            "output_items",
        ]
        read_only_fields = fields

    def get_node_runs(self, run: Run) -> list[dict]:
        rows = list(run.node_runs.all())
        inputs = node_inputs(run, rows)
        data = []
        for row in rows:
            item = NodeRunSerializer(row).data
            item["input_items"] = inputs.get(row.node_id, {})
            data.append(item)
        return data


class RunEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = RunEvent
        fields = ["seq", "type", "node_id", "payload", "at"]
        read_only_fields = fields
