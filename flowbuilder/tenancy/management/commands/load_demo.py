"""Load the demo tenant from fixtures/demo.json (idempotent: safe to run on every start)."""

import json
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from flowbuilder.flows import actions as flow_actions
from flowbuilder.flows.models import Flow
from flowbuilder.tenancy.models import Membership, Organisation


class Command(BaseCommand):
    help = "Create the demo partner, its customers, users and demo flows."

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(Path(settings.BASE_DIR) / "fixtures" / "demo.json"))

    @transaction.atomic
    def handle(self, *args, **options):
        data = json.loads(Path(options["file"]).read_text())
        orgs: dict[str, Organisation] = {}
        for spec in data["organisations"]:
            org, _ = Organisation.objects.update_or_create(
                slug=spec["slug"],
                defaults={
                    "name": spec["name"],
                    "kind": spec["kind"],
                    "parent": orgs.get(spec.get("parent", "")),
                },
            )
            if settings.SANDBOX_URL and "127.0.0.1" not in org.egress_allowlist:
                # The demo talks to the sandbox systems on this machine.
                org.egress_allowlist = [*org.egress_allowlist, "127.0.0.1"]
                org.save(update_fields=["egress_allowlist"])
            orgs[spec["slug"]] = org
        users = {}
        User = get_user_model()
        for spec in data["users"]:
            user, created = User.objects.get_or_create(
                username=spec["username"],
                defaults={"first_name": spec["first_name"], "last_name": spec["last_name"]},
            )
            if created:
                user.set_password(data["password"])
                user.save()
            for slug, role in spec["memberships"]:
                Membership.objects.update_or_create(
                    user=user, organisation=orgs[slug], defaults={"role": role}
                )
            users[spec["username"]] = user
        for spec in data["flows"]:
            org = orgs[spec["organisation"]]
            if Flow.objects.filter(organisation=org, name=spec["name"]).exists():
                continue
            author = next(
                u
                for u in users.values()
                if u.memberships.filter(organisation=org, role__in=["builder", "admin"]).exists()
            )
            flow = flow_actions.create_flow(
                actor=author,
                organisation=org,
                name=spec["name"],
                description=spec.get("description", ""),
                tags=spec.get("tags", []),
                document=spec["document"],
            )
            if spec.get("publish"):
                flow_actions.publish_flow(actor=author, flow=flow, comment="demo")
        self.stdout.write(
            self.style.SUCCESS(f"demo tenant ready: {len(orgs)} organisations, {len(users)} users")
        )
        self.stdout.write(f"demo logins (password {data['password']}): " + ", ".join(users))
