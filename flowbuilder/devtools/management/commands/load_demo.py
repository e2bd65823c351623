"""``manage.py load_demo``: the demo tenant from fixtures/demo.json (see flowbuilder.devtools.demo)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from connectors.errors import ConnectorError
from flowbuilder.core.errors import FlowbuilderError
from flowbuilder.credentials.models import AuthState, Connection
from flowbuilder.devtools.demo import (
    FIXTURES,
    clone_live,
    connect_sandbox_connections,
    demo_egress_allowlist,
    install_template,
    load_template_file,
    sandbox_connection,
    seed_insights,
    template_systems,
)
from flowbuilder.flows import actions as flow_actions
from flowbuilder.flows.models import Flow
from flowbuilder.tenancy.actions import set_branding
from flowbuilder.tenancy.models import Membership, Organisation


class Command(BaseCommand):
    help = "Create the demo partner, its customers, users, demo flows and the live lifecycle templates."

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(FIXTURES / "demo.json"))

    def handle(self, *args, **options):
        self._load(**options)
        self._connect_sandbox()

    def _connect_sandbox(self) -> None:
        """Connections that wait for Connect (Kantata; NetSuite without a certificate) are connected now
        if the sandbox answers (the click on its consent page done here; ``make run`` starts it first),
        else when runlocal starts it, or by hand on the Connections page."""
        waiting = Connection.objects.filter(auth_state=AuthState.NOT_CONNECTED).count()
        if not waiting or not settings.SANDBOX_URL:
            return
        callback = settings.PUBLIC_URL.rstrip("/") + "/oauth/callback/"
        try:
            done = connect_sandbox_connections(settings.SANDBOX_URL, callback)
        except (ConnectorError, FlowbuilderError, RuntimeError):
            self.stdout.write(
                f"{waiting} sandbox connection(s) wait for Connect (the sandbox at {settings.SANDBOX_URL} "
                "is not running; `manage.py runlocal` connects them when it starts it)."
            )
            return
        self.stdout.write(f"connected {len(done)} sandbox connection(s) through the sandbox's consent pages")

    @transaction.atomic
    def _load(self, **options):
        data = json.loads(Path(options["file"]).read_text())
        orgs: dict[str, Organisation] = {}
        for spec in data["organisations"]:
            org, _ = Organisation.objects.update_or_create(
                slug=spec["slug"],
                defaults={
                    "name": spec["name"],
                    "kind": spec["kind"],
                    "parent": orgs.get(spec.get("parent", "")),
                    "timezone": spec.get("timezone", "UTC"),
                    "country": spec.get("country", ""),
                },
            )
            if settings.SANDBOX_URL:
                # The demo talks to the sandbox systems on this machine: their port only.
                allowlist = demo_egress_allowlist(org.egress_allowlist, settings.SANDBOX_URL)
                if allowlist != org.egress_allowlist:
                    org.egress_allowlist = allowlist
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
        for slug, brand in data.get("branding", {}).items():
            admin = next(
                u
                for u in users.values()
                if u.memberships.filter(organisation=orgs[slug], role="admin").exists()
            )
            set_branding(actor=admin, partner=orgs[slug], **brand)
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
        live = self._lifecycle(data.get("lifecycle"), orgs, users)
        lifecycle = data.get("lifecycle")
        if live and lifecycle:
            seed_insights(
                actor=users[lifecycle["actor"]], customers=[orgs[s] for s in lifecycle["customers"]]
            )
        self.stdout.write(
            self.style.SUCCESS(f"demo tenant ready: {len(orgs)} organisations, {len(users)} users")
        )
        if live:
            self.stdout.write(
                f"lifecycle templates live against {settings.SANDBOX_URL}: {live} customer flows"
            )
        self.stdout.write(f"demo logins (password {data['password']}): " + ", ".join(users))

    def _lifecycle(self, spec: dict[str, Any] | None, orgs: dict[str, Organisation], users: dict) -> int:
        if not spec or not settings.SANDBOX_URL:
            return 0
        partner = orgs[spec["partner"]]
        actor = users[spec["actor"]]
        tenants: dict[str, str] = dict(spec.get("tenants") or {})
        # Connection settings per customer and system (a customer's Business Central company).
        settings_by_org: dict[str, dict[str, dict]] = dict(spec.get("connection_config") or {})
        systems = list(spec["systems"])
        entries = [(entry, load_template_file(FIXTURES / entry["file"])) for entry in spec["templates"]]
        targets = {entry["file"]: self._targets(entry, spec["customers"]) for entry, _ in entries}
        needs: dict[str, set[str]] = {slug: set() for slug in spec["customers"]}
        for entry, template_spec in entries:
            missing = template_systems(template_spec) - set(systems)
            if missing:
                raise CommandError(f"{entry['file']} needs {sorted(missing)}: add them to lifecycle systems.")
            for slug in targets[entry["file"]]:
                needs[slug] |= template_systems(template_spec)

        def connections(org: Organisation, wanted: Iterable[str]) -> dict[str, Connection]:
            return {
                system: sandbox_connection(
                    actor=actor,
                    organisation=org,
                    system=system,
                    sandbox_url=settings.SANDBOX_URL,
                    tenant=tenants.get(org.slug, "default"),
                    config=(settings_by_org.get(org.slug) or {}).get(system),
                )
                for system in wanted
            }

        partner_connections = connections(partner, systems)
        customers = {
            slug: (orgs[slug], connections(orgs[slug], [s for s in systems if s in needs[slug]]))
            for slug in spec["customers"]
        }
        count = 0
        for entry, template_spec in entries:
            template = install_template(
                actor=actor, partner=partner, spec=template_spec, partner_connections=partner_connections
            )
            for slug in targets[entry["file"]]:
                customer, conns = customers[slug]
                values = (entry.get("parameters") or {}).get(slug) or {}
                clone_live(
                    actor=actor, template=template, customer=customer, connections=conns, values=values
                )
                count += 1
        return count

    @staticmethod
    def _targets(entry: dict[str, Any], customers: list[str]) -> list[str]:
        """The customers a template entry is cloned into: its ``customers`` (default: all of them)."""
        slugs = list(entry.get("customers", customers))
        unknown = [slug for slug in slugs if slug not in customers]
        if unknown:
            raise CommandError(f"{entry['file']}: {unknown} are not among the lifecycle customers.")
        return slugs
