"""Export flows as portable JSON (one file per flow, or stdout)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from flowbuilder.flows.actions import export_flow
from flowbuilder.flows.models import Flow


class Command(BaseCommand):
    help = "Export flows to JSON: by id, or every flow of an organisation (--org slug) into --out DIR."

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", type=int)
        parser.add_argument("--org", help="organisation slug: export all its flows")
        parser.add_argument("--out", help="directory to write <id>-<name>.json files into (default: stdout)")

    def handle(self, *args, ids, org, out, **options):
        flows = Flow.objects.all()
        if ids:
            flows = flows.filter(pk__in=ids)
        elif org:
            flows = flows.filter(organisation__slug=org)
        else:
            raise CommandError("Name flow ids or --org.")
        exported = [(flow, export_flow(flow)) for flow in flows.select_related("published_version")]
        if not exported:
            raise CommandError("No matching flows.")
        if not out:
            data = exported[0][1] if len(exported) == 1 else [e for _, e in exported]
            self.stdout.write(json.dumps(data, indent=2))
            return
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        for flow, data in exported:
            safe = "".join(c if c.isalnum() else "-" for c in flow.name.lower()).strip("-")[:60]
            path = folder / f"{flow.pk}-{safe}.json"
            path.write_text(json.dumps(data, indent=2))
            self.stdout.write(f"wrote {path}")
