"""Load the demo tenant from fixtures/demo.json (idempotent: safe to run on every start).

Besides organisations, users and demo flows it sets up the lifecycle templates live against the sandbox:
sandbox connections per organisation, the partner's templates (fixtures/templates/*.json, each built and
published from a source flow of the partner's), cloned into the partner's customers with each customer's
own connections and published, so their polling triggers run under ``make run``.

The lifecycle spec in demo.json lists the sandbox ``systems`` the partner connects to (all of them) and
its ``customers``. A template entry may name the ``customers`` it is cloned into (default: all), so each
customer runs one stack (Kantata + NetSuite, or Certinia + Business Central): two quote-to-project flows
in one customer would both hand over the same opportunity. Each customer connects to the systems its
templates use.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from flowbuilder.credentials import actions as credential_actions
from flowbuilder.credentials.models import Connection
from flowbuilder.flows import actions as flow_actions
from flowbuilder.flows import templates as template_actions
from flowbuilder.flows.models import Flow, Template, TemplateInstance
from flowbuilder.tenancy.actions import set_branding
from flowbuilder.tenancy.models import Membership, Organisation

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
# Where each system lives on the sandbox (connectors/sandbox/README.md).
SANDBOX_SYSTEMS: dict[str, dict[str, str]] = {
    "salesforce": {"path": "/salesforce", "token": "/salesforce/services/oauth2/token"},
    "kantata": {"path": "/kantata", "token": "/kantata/oauth/token"},
    "netsuite": {"path": "/netsuite", "token": "/netsuite/services/rest/auth/oauth2/v1/token"},
    "certinia": {"path": "/salesforce", "token": "/salesforce/services/oauth2/token"},
    "dynamics": {"path": "/dynamics", "token": "/dynamics/oauth2/v2.0/token"},
}
# Connection settings besides the base URL. Business Central connections name a company: the sandbox's
# seeded one (its id is generated when the sandbox first starts, which is after this command runs).
SANDBOX_CONFIG: dict[str, dict[str, str]] = {"dynamics": {"company_name": "Northwind Advisory Ltd"}}
# The lifecycle stacks: each has its own quote-to-project and project-to-billing templates.
KANTATA_NETSUITE = ("salesforce", "kantata", "netsuite")
CERTINIA_BC = ("salesforce", "certinia", "dynamics")


def load_template_file(path: Path | str) -> dict[str, Any]:
    """One fixtures/templates/*.json: name, description, category, tags, document, parameters."""
    return json.loads(Path(path).read_text())


def template_systems(spec: dict[str, Any]) -> set[str]:
    """The connectors a template's connection slots need."""
    return {p["connector"] for p in spec.get("parameters") or [] if p.get("kind") == "connection"}


def template_files(
    directory: Path | None = None, *, systems: Iterable[str] | None = KANTATA_NETSUITE
) -> list[Path]:
    """The lifecycle templates whose connections are all among ``systems``: by default the Salesforce,
    Kantata and NetSuite stack's; ``CERTINIA_BC`` for the Certinia and Business Central one; ``None`` for
    every template."""
    paths = sorted((directory or FIXTURES / "templates").glob("*.json"))
    if systems is None:
        return paths
    allowed = set(systems)
    return [path for path in paths if template_systems(load_template_file(path)) <= allowed]


def sandbox_connection(
    *, actor: Any, organisation: Organisation, system: str, sandbox_url: str, client: dict[str, str]
) -> Connection:
    """The organisation's connection to ``system`` on the sandbox (reused when it exists)."""
    name = f"{system.title()} sandbox"
    existing = Connection.objects.filter(organisation=organisation, name=name, connector=system).first()
    if existing is not None:
        return existing
    spec = SANDBOX_SYSTEMS[system]
    base = sandbox_url.rstrip("/")
    return credential_actions.create_connection(
        actor=actor,
        organisation=organisation,
        name=name,
        connector=system,
        base_url=base + spec["path"],
        credential_type="oauth2_client_credentials",
        credentials={"token_url": base + spec["token"], **client},
        config=SANDBOX_CONFIG.get(system),
    )


def install_template(
    *,
    actor: Any,
    partner: Organisation,
    spec: dict[str, Any],
    partner_connections: dict[str, Connection],
) -> Template:
    """The partner's template for ``spec`` with a published version (created once, then reused).

    The partner's source flow is bound to the partner's own connections so it validates; publishing the
    template version scrubs them, and the source flow itself stays an unpublished draft (it never polls).
    """
    template = Template.objects.filter(organisation=partner, name=spec["name"]).first()
    if template is not None and template.versions.exists():
        return template
    params = template_actions.check_parameters(spec["parameters"], spec["document"])
    bound = {p["name"]: partner_connections[p["connector"]].pk for p in params if p["kind"] == "connection"}
    document = template_actions.render_document(spec["document"], params, bound)
    source = Flow.objects.filter(organisation=partner, name=spec["name"]).first()
    if source is None:
        source = flow_actions.create_flow(
            actor=actor,
            organisation=partner,
            name=spec["name"],
            description=spec["description"],
            tags=spec.get("tags", []),
            document=document,
        )
    if template is None:
        template = template_actions.create_template(
            actor=actor,
            organisation=partner,
            name=spec["name"],
            source_flow=source,
            description=spec["description"],
            category=spec.get("category", ""),
            tags=spec.get("tags", []),
        )
    template_actions.publish_template_version(
        actor=actor, template=template, parameters=spec["parameters"], changelog="Lifecycle template"
    )
    return template


def clone_live(
    *,
    actor: Any,
    template: Template,
    customer: Organisation,
    connections: dict[str, Connection],
    values: dict[str, Any] | None = None,
) -> Flow:
    """The customer's published copy of ``template`` bound to its own connections (created once)."""
    instance = TemplateInstance.objects.filter(template=template, customer=customer).first()
    if instance is None:
        version = template.versions.first()
        parameters = dict(values or {})
        for p in version.parameters:
            if p["kind"] == "connection":
                parameters[p["name"]] = connections[p["connector"]].pk
        [result] = template_actions.clone_template(
            actor=actor, template=template, targets=[{"customer": customer.pk, "parameters": parameters}]
        )
        if not result["ok"]:
            raise ValueError(f"cloning {template.name} into {customer.name} failed: {result['errors']}")
        flow = Flow.objects.get(pk=result["flow"])
    else:
        flow = instance.flow
    if flow.published_version_id is None:
        flow_actions.publish_flow(actor=actor, flow=flow, comment="Lifecycle template, live on the sandbox")
        flow.refresh_from_db()
    return flow


class Command(BaseCommand):
    help = "Create the demo partner, its customers, users, demo flows and the live lifecycle templates."

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(FIXTURES / "demo.json"))

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
        client = dict(spec["sandbox_client"])
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
                    client=client,
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
