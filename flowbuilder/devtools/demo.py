"""Load the demo tenant from fixtures/demo.json (idempotent: safe to run on every start).

Besides organisations, users and demo flows it sets up the lifecycle templates live against the sandbox:
sandbox connections per organisation, the partner's templates (fixtures/templates/*.json, each built and
published from a source flow of the partner's), cloned into the partner's customers with each customer's
own connections and published, so their polling triggers run under ``make run``.

The lifecycle spec in demo.json lists the sandbox ``systems`` the partner connects to (all of them), its
``customers`` and the sandbox ``tenants`` they use: each customer has its own tenant (its own Salesforce
org, Kantata account, NetSuite account and Entra tenant), so one customer's change never starts another
customer's flows; the partner uses the sandbox's default tenant. A template entry may name the
``customers`` it is cloned into (default: all), so each
customer runs one stack (Kantata + NetSuite, or Certinia + Business Central): two quote-to-project flows
in one customer would both hand over the same opportunity. Each customer connects to the systems its
templates use.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from flowbuilder.credentials import actions as credential_actions
from flowbuilder.credentials import connect
from flowbuilder.credentials.models import AuthState, Connection
from flowbuilder.credentials.runtime import get_connector
from flowbuilder.flows import actions as flow_actions
from flowbuilder.flows import templates as template_actions
from flowbuilder.flows.models import Flow, Template, TemplateInstance
from flowbuilder.tenancy.models import Organisation

from .sandbox_auth import DEFAULT_TENANT, Certificate, approve_consent, sandbox_connection_spec, sandbox_up

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
# How a sandbox tenant is reached from a connection, and with which auth flow: devtools/sandbox_auth.py.
# Connection settings besides the base URL. Business Central connections name a company: every tenant's
# seeded one (its id is generated when the sandbox first seeds the tenant, which is after this command).
SANDBOX_CONFIG: dict[str, dict[str, str]] = {
    "dynamics": {"company_name": "Northwind Advisory Ltd"},
    # OneWorld: new NetSuite customers need a subsidiary; the sandbox account's parent company is 1.
    "netsuite": {"subsidiary_id": "1"},
}
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


def sandbox_egress_entry(sandbox_url: str) -> str:
    """The one allow-list entry the demo needs: the sandbox's host and port (``127.0.0.1:8100``).

    Never the bare host: under ``make run`` Redis, PostgreSQL and the web server listen on other ports of
    127.0.0.1, and an HTTP node must not reach them.
    """
    parts = urlsplit(sandbox_url)
    if not parts.hostname:
        raise ValueError(f"FLOWBUILDER_SANDBOX_URL {sandbox_url!r} has no host")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{host}:{port}"


def demo_egress_allowlist(current: Iterable[str], sandbox_url: str) -> list[str]:
    """``current`` with the sandbox's entry, and without the bare ``127.0.0.1``/``localhost`` (every port)
    that earlier demo loads wrote."""
    entry = sandbox_egress_entry(sandbox_url)
    kept = [e for e in current if str(e).strip().lower() not in {"127.0.0.1", "localhost", "::1", "[::1]"}]
    return kept if entry in kept else [*kept, entry]


def sandbox_connection(
    *,
    actor: Any,
    organisation: Organisation,
    system: str,
    sandbox_url: str,
    tenant: str = DEFAULT_TENANT,
    client: dict[str, str] | None = None,
    kantata_token: str | None = None,
    netsuite_certificate: Certificate | None = None,
    config: dict[str, Any] | None = None,
) -> Connection:
    """The organisation's connection to ``system`` in its own sandbox ``tenant`` with the auth flow the
    real system offers (created once; brought back to the tenant's URLs and client when an earlier demo
    pointed it elsewhere). ``config``: settings besides :data:`SANDBOX_CONFIG`'s (a demo customer's
    Business Central company). Kantata, and NetSuite without a registered certificate, are Connect types:
    :func:`connect_sandbox_connections` authorises them once the sandbox runs."""
    settings_ = {**(SANDBOX_CONFIG.get(system) or {}), **(config or {})} or None
    name = f"{system.title()} sandbox"
    spec = sandbox_connection_spec(
        system,
        sandbox_url,
        tenant=tenant,
        client=client,
        kantata_token=kantata_token,
        netsuite_certificate=netsuite_certificate,
    )
    existing = Connection.objects.filter(organisation=organisation, name=name, connector=system).first()
    if existing is None:
        return credential_actions.create_connection(
            actor=actor,
            organisation=organisation,
            name=name,
            connector=system,
            base_url=spec.base_url,
            credential_type=spec.credential_type,
            credentials=spec.credentials,
            config=settings_,
        )
    secret = set(get_connector(system).credential_type(spec.credential_type).secret_fields())
    plain = {k: v for k, v in spec.credentials.items() if k not in secret}
    if settings_ and any((existing.config or {}).get(k) != v for k, v in settings_.items()):
        existing = credential_actions.update_connection(
            actor=actor, connection=existing, config={**(existing.config or {}), **settings_}
        )
    if (
        existing.base_url == spec.base_url
        and existing.credential_type == spec.credential_type
        and (existing.credentials or {}) == plain
    ):
        return existing
    return credential_actions.update_connection(
        actor=actor,
        connection=existing,
        base_url=spec.base_url,
        credential_type=spec.credential_type,
        credentials=spec.credentials,
    )


def connect_sandbox_connections(sandbox_url: str, redirect_uri: str) -> list[Connection]:
    """Connect every sandbox connection that waits for Connect (or must reconnect), as its creator:
    the product's Connect with the click on the sandbox's consent page done here. For ``make run``,
    once the sandbox answers; returns the connections it connected."""
    base = sandbox_url.rstrip("/")
    if not sandbox_up(base):
        raise RuntimeError(f"the sandbox at {base} does not answer")
    waiting = Connection.objects.filter(
        base_url__startswith=base, auth_state__in=[AuthState.NOT_CONNECTED, AuthState.RECONNECT]
    ).select_related("created_by")
    done = []
    for connection in waiting:
        if connection.created_by is None:
            continue
        started = connect.start_authorization(
            actor=connection.created_by, connection=connection, redirect_uri=redirect_uri
        )
        back = approve_consent(started.authorize_url)
        done.append(
            connect.complete_authorization(
                actor=connection.created_by,
                state=back.get("state", ""),
                code=back.get("code", ""),
                error=back.get("error", ""),
                error_description=back.get("error_description", ""),
            )
        )
    return done


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


# --- operational intelligence: systems, KPIs, SLAs, reconciliation (observability) -------------------------

ROLE_CONNECTORS = {"crm": ("salesforce",), "psa": ("kantata", "certinia"), "erp": ("netsuite", "dynamics")}
DEMO_KPIS = [
    ("won_without_project", "Won deals without a project after 24 h", {"hours": 24}, 0),
    ("approved_not_invoiced", "Approved time not invoiced after 5 days", {"days": 5}, 40),
    ("paid_not_in_crm", "Paid invoices the CRM does not know of", {"crm_field": "Billing_Status__c"}, 0),
    ("customers_without_erp", "CRM customers without an ERP customer", {}, 10),
]
DEMO_SLAS = [
    ("Invoice within one business day of time approval", "approved_to_invoiced", 1, "business_days", "high"),
    ("Won deal has its project within one business day", "won_to_project", 1, "business_days", "critical"),
    ("Paid status reaches the CRM within 4 business hours", "paid_to_crm", 4, "business_hours", "normal"),
]


def seed_insights(*, actor: Any, customers: Iterable[Organisation]) -> int:
    """Each lifecycle customer's systems (its sandbox connections), KPIs, SLAs and reconciliations.

    Idempotent (by name). The records are read by beat's refresh task once the sandbox runs, so the
    KPIs and SLA clocks fill in a minute after ``make run`` starts.
    """
    from flowbuilder.observability import kpis, reconciliation, records, sla
    from flowbuilder.observability.insight_models import KpiDefinition, ReconciliationPolicy, SlaPolicy

    count = 0
    for customer in customers:
        conns = {c.connector: c for c in Connection.objects.filter(organisation=customer)}
        chosen = {
            f"{role}_connection": next((conns[k] for k in keys if k in conns), None)
            for role, keys in ROLE_CONNECTORS.items()
        }
        records.save_systems(actor=actor, organisation=customer, **chosen)
        for kind, name, params, threshold in DEMO_KPIS:
            if not KpiDefinition.objects.filter(organisation=customer, name=name).exists():
                kpis.save_kpi(
                    actor=actor,
                    organisation=customer,
                    kind=kind,
                    name=name,
                    params=params,
                    threshold=threshold,
                )
        for name, subject, target, unit, criticality in DEMO_SLAS:
            if not SlaPolicy.objects.filter(organisation=customer, name=name).exists():
                sla.save_policy(
                    actor=actor,
                    organisation=customer,
                    name=name,
                    subject=subject,
                    target=target,
                    unit=unit,
                    criticality=criticality,
                )
        quote = Flow.objects.filter(organisation=customer, name__icontains="quote").first()
        if quote is not None and not SlaPolicy.objects.filter(organisation=customer, flow=quote).exists():
            sla.save_policy(
                actor=actor,
                organisation=customer,
                name=f"{quote.name} succeeds within 2 business hours",
                subject="flow_run",
                flow=quote,
                target=2,
                unit="business_hours",
            )
        billing = Flow.objects.filter(organisation=customer, name__icontains="billing").first()
        for kind, name in (
            ("psa_vs_erp_billing", "Approved time vs invoiced lines"),
            ("crm_vs_erp_projects", "Bookings vs ERP projects"),
        ):
            if not ReconciliationPolicy.objects.filter(organisation=customer, name=name).exists():
                reconciliation.save_policy(
                    actor=actor,
                    organisation=customer,
                    name=name,
                    kind=kind,
                    period="month",
                    tolerance_hours=1,
                    tolerance_amount=50,
                    fix_flow=billing if kind == "psa_vs_erp_billing" else quote,
                )
        count += 1
    return count
