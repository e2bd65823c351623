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

from flowbuilder.credentials import actions as credential_actions
from flowbuilder.credentials.models import Connection
from flowbuilder.flows import actions as flow_actions
from flowbuilder.flows import templates as template_actions
from flowbuilder.flows.models import Flow, Template, TemplateInstance
from flowbuilder.tenancy.models import Organisation

from .sandbox_auth import sandbox_credentials

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
# Where each system lives on the sandbox (sandbox/README.md); credentials: devtools/sandbox_auth.py.
SANDBOX_SYSTEMS: dict[str, dict[str, str]] = {
    "salesforce": {"path": "/salesforce"},
    "kantata": {"path": "/kantata"},
    "netsuite": {"path": "/netsuite"},
    "certinia": {"path": "/salesforce"},
    "dynamics": {"path": "/dynamics"},
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
    *,
    actor: Any,
    organisation: Organisation,
    system: str,
    sandbox_url: str,
    client: dict[str, str],
    kantata_token: str | None = None,
) -> Connection:
    """The organisation's connection to ``system`` on the sandbox (reused when it exists), with the auth
    flow the real system offers. Kantata has none without a person: given a token it is a pasted
    token, else a Connect connection waiting for its Connect click."""
    name = f"{system.title()} sandbox"
    existing = Connection.objects.filter(organisation=organisation, name=name, connector=system).first()
    if existing is not None:
        return existing
    spec = SANDBOX_SYSTEMS[system]
    base = sandbox_url.rstrip("/")
    credential_type, credentials = sandbox_credentials(system, base, client, kantata_token=kantata_token)
    return credential_actions.create_connection(
        actor=actor,
        organisation=organisation,
        name=name,
        connector=system,
        base_url=base + spec["path"],
        credential_type=credential_type,
        credentials=credentials,
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
