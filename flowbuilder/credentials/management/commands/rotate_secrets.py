"""Re-encrypt every connection's secrets with the newest key in FLOWBUILDER_SECRET_KEYS.

Roll a key: put the new key first in FLOWBUILDER_SECRET_KEYS (keep the old one after it), restart, run
this command, then remove the old key. Rows no configured key can decrypt are reported and left alone.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from flowbuilder.credentials.actions import rotate_all_secrets


class Command(BaseCommand):
    help = "Re-encrypt every connection's secrets with the newest key in FLOWBUILDER_SECRET_KEYS."

    def handle(self, *args, **options):
        report = rotate_all_secrets(actor="manage.py rotate_secrets")
        self.stdout.write(
            f"Connections: {report.total}; re-encrypted to the newest key: {report.rotated}; "
            f"without secrets: {report.empty}; undecryptable: {report.failed}."
        )
        if report.failed:
            ids = ", ".join(str(i) for i in report.failed_ids or [])
            raise CommandError(
                f"{report.failed} connection(s) could not be decrypted with any configured key (ids: {ids}). "
                "Add the key that encrypted them to FLOWBUILDER_SECRET_KEYS and run again."
            )
        self.stdout.write(self.style.SUCCESS("Done. The older keys can now be removed."))
