"""Import flows exported by export_flows (or the API's export) into an organisation."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from flowbuilder.core.errors import FlowbuilderError
from flowbuilder.flows.actions import import_flow

from ._common import actor_and_org


class Command(BaseCommand):
    help = "Import flow JSON files into an organisation as drafts."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+")
        parser.add_argument("--user", required=True, help="who imports (needs the builder role)")
        parser.add_argument("--org", help="organisation slug (default: the user's first)")

    def handle(self, *args, files, user, org, **options):
        actor, organisation = actor_and_org(user, org)
        for name in files:
            try:
                data = json.loads(Path(name).read_text())
            except (OSError, ValueError) as exc:
                raise CommandError(f"{name}: {exc}") from exc
            for item in data if isinstance(data, list) else [data]:
                try:
                    flow = import_flow(actor=actor, organisation=organisation, data=item)
                except FlowbuilderError as exc:
                    raise CommandError(f"{name}: {exc.message}") from exc
                self.stdout.write(f"imported {name} as flow {flow.pk} ({flow.name}) into {organisation.slug}")
