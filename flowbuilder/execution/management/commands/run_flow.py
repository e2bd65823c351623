"""Run a flow from a JSON file (a flow document or an export) and print node statuses as they happen."""

import json
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from flowbuilder.core.errors import FlowbuilderError
from flowbuilder.execution.actions import normalise_items, start_run
from flowbuilder.execution.models import TERMINAL_RUN, EventType, Run, RunEvent
from flowbuilder.flows import actions as flow_actions
from flowbuilder.flows.management.commands._common import actor_and_org

SYMBOLS = {
    EventType.NODE_STARTED: "…",
    EventType.NODE_SUCCEEDED: "✔",
    EventType.NODE_FAILED: "✖",
    EventType.NODE_SKIPPED: "·",
    EventType.NODE_RETRYING: "↻",
}


class Command(BaseCommand):
    help = "Create (or reuse) a flow from a JSON file, publish it, run it and follow its events."

    def add_arguments(self, parser):
        parser.add_argument("file", help="flow document or export JSON")
        parser.add_argument("--input", default="{}", help="run input: JSON object or list, or @file.json")
        parser.add_argument("--user", required=True)
        parser.add_argument("--org", help="organisation slug (default: the user's first)")
        parser.add_argument("--timeout", type=float, default=300)
        parser.add_argument(
            "--inline", action="store_true", help="execute in this process (no worker needed)"
        )

    def handle(self, *args, **opts):
        actor, org = actor_and_org(opts["user"], opts["org"])
        try:
            data = json.loads(Path(opts["file"]).read_text())
            raw_input = opts["input"]
            items = normalise_items(
                json.loads(Path(raw_input[1:]).read_text() if raw_input.startswith("@") else raw_input)
            )
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        except FlowbuilderError as exc:
            raise CommandError(exc.message) from exc
        export = (
            data
            if data.get("format") == flow_actions.EXPORT_FORMAT
            else {
                "format": flow_actions.EXPORT_FORMAT,
                "name": Path(opts["file"]).stem,
                "document": data,
            }
        )
        try:
            flow = flow_actions.import_flow(actor=actor, organisation=org, data=export)
            flow_actions.publish_flow(actor=actor, flow=flow, comment="run_flow command")
            flow.refresh_from_db()
            run = start_run(actor=actor, flow=flow, input_items=items)
        except flow_actions.FlowInvalidError as exc:
            for finding in exc.findings:
                self.stderr.write(f"  {finding.get('node_id') or '-'}: {finding['message']}")
            raise CommandError(exc.message) from exc
        except FlowbuilderError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"run {run.pk} of flow {flow.pk} ({flow.name})")
        if opts["inline"]:
            from flowbuilder.execution.engine import Engine

            Engine(run.pk).drive()
        self._follow(run.pk, opts["timeout"])

    def _follow(self, run_id: int, timeout: float) -> None:
        seq, deadline = 0, time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in RunEvent.objects.filter(run_id=run_id, seq__gt=seq).order_by("seq"):
                seq = event.seq
                self._print(event)
            run = Run.objects.get(pk=run_id)
            if run.status in TERMINAL_RUN and seq >= run.last_seq:
                self.stdout.write(json.dumps(run.output_items, indent=2))
                if run.status != "succeeded":
                    raise CommandError(f"run {run.status}: {(run.error or {}).get('message', '')}")
                return
            time.sleep(0.2)
        raise CommandError(
            f"run {run_id} still running after {timeout:.0f}s; is a worker running (make run)?"
        )

    def _print(self, event: RunEvent) -> None:
        payload = event.payload or {}
        if event.type.startswith("node."):
            extra = ""
            if event.type == EventType.NODE_SUCCEEDED:
                extra = f" {payload.get('output_counts')} in {payload.get('duration_ms')} ms"
            elif event.type in (EventType.NODE_FAILED, EventType.NODE_RETRYING):
                extra = f" {(payload.get('error') or {}).get('message', '')}"
            self.stdout.write(f"  {SYMBOLS.get(event.type, '?')} {event.node_id:<24} {event.type[5:]}{extra}")
        else:
            self.stdout.write(f"{event.type}")
        sys.stdout.flush()
