"""``manage.py prune_runs [--dry-run]``: apply run-data retention now and say what it saved."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from flowbuilder.observability.retention import prune
from flowbuilder.tenancy.models import Organisation


class Command(BaseCommand):
    help = "Delete run data past each organisation's retention and report the database size saved."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Only measure what would be deleted.")

    def handle(self, *args, dry_run: bool = False, **options):
        report = prune(dry_run=dry_run)
        names = dict(Organisation.objects.values_list("id", "name"))
        verb = "would delete" if dry_run else "deleted"
        for r in report.results:
            name = names.get(r.organisation_id, r.organisation_id)
            self.stdout.write(f"{name}: {verb} {r.runs} runs, {_size(r.bytes_saved)}")
        self.stdout.write(
            f"PRUNE runs={report.runs} bytes_saved={report.bytes_saved} ({_size(report.bytes_saved)})"
        )


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"
