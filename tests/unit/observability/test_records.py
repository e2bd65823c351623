"""Reading the systems through the organisation's connections (the sandbox's CRM, PSA and ERP), then the
KPIs, SLAs and the trace on what was read; and the demo's seeding of systems, KPIs, SLAs, reconciliation."""

from __future__ import annotations

from decimal import Decimal

from flowbuilder.credentials.runtime import clear_cache, open_connection
from flowbuilder.devtools.demo import seed_insights
from flowbuilder.observability import kpis, records, trace
from flowbuilder.observability.insight_models import (
    BusinessRecord,
    BusinessSystems,
    KpiDefinition,
    ReconciliationPolicy,
    SlaPolicy,
    TraceKey,
)
from tests.support.connections import sandbox_connection


def test_refresh_reads_crm_psa_and_erp_through_the_connections(sandbox, org, admin):
    clear_cache()
    conns = {
        system: sandbox_connection(sandbox, actor=admin, organisation=org, system=system)
        for system in ("salesforce", "kantata", "netsuite")
    }
    records.save_systems(
        actor=admin,
        organisation=org,
        crm_connection=conns["salesforce"],
        psa_connection=conns["kantata"],
        erp_connection=conns["netsuite"],
    )
    counts = records.refresh(org.pk)
    setup = BusinessSystems.objects.get(organisation=org)
    assert setup.refresh_status == "ok", setup.refresh_error
    assert set(counts) == {"crm", "psa", "erp"} and all(counts.values())
    crm = open_connection(org.pk, conns["salesforce"].pk)
    won = crm.run_action(
        "query", {"soql": "SELECT Id FROM Opportunity WHERE IsWon = true", "max_records": 20000}
    )
    mirrored = BusinessRecord.objects.filter(organisation=org, role="crm", entity="opportunity")
    assert {r["Id"] for r in won} == set(mirrored.values_list("external_id", flat=True))
    entries = BusinessRecord.objects.filter(organisation=org, role="psa", entity="time_entry")
    assert entries.exists() and not entries.exclude(status__in=["approved", "invoiced"]).exists()
    assert all(e.hours > 0 and e.parent_id for e in entries[:50])
    invoices = BusinessRecord.objects.filter(organisation=org, role="erp", entity="invoice")
    assert invoices.filter(status="paid").exists() and invoices.filter(hours__gt=0).exists()
    # The records' parents are on the trace: a time entry leads to its project.
    entry = entries.first()
    assert TraceKey.objects.filter(organisation=org, external_id=entry.external_id).exists()
    found = trace.search([org.pk], entry.external_id, system="kantata")
    assert ("kantata", entry.parent_id) in {(r["system"], r["id"]) for r in found["records"]}
    # KPIs compute on the real shapes: no deal has a project link yet, so every old won deal counts.
    value = kpis.compute(KpiDefinition.objects.create(organisation=org, kind="won_without_project", name="w"))
    assert (
        value.value
        == mirrored.filter(occurred_at__lte=value.computed_at.replace(microsecond=0) - _day()).count()
    )
    assert value.amount > Decimal(0)
    # A second refresh replaces the records rather than adding to them.
    before = BusinessRecord.objects.filter(organisation=org).count()
    records.refresh(org.pk)
    assert BusinessRecord.objects.filter(organisation=org).count() == before


def _day():
    import datetime as dt

    return dt.timedelta(hours=24)


def test_a_system_that_fails_is_reported_and_others_still_read(sandbox, org, admin, make_connection):
    clear_cache()
    good = sandbox_connection(sandbox, actor=admin, organisation=org, system="kantata")
    broken = make_connection(
        "http://127.0.0.1:9/none",
        connector="salesforce",
        credential_type="oauth2_client_credentials",
        credentials={"client_id": "x", "client_secret": "y", "token_url": "http://127.0.0.1:9/t"},
    )
    records.save_systems(actor=admin, organisation=org, crm_connection=broken, psa_connection=good)
    counts = records.refresh(org.pk)
    setup = BusinessSystems.objects.get(organisation=org)
    assert "psa" in counts and "crm" not in counts
    assert setup.refresh_status == "ok" and "crm" in setup.refresh_error


def test_demo_seeds_systems_kpis_slas_and_reconciliations(org, admin, make_connection):
    crm = make_connection(connector="salesforce", name="SF")
    seed_insights(actor=admin, customers=[org])
    seed_insights(actor=admin, customers=[org])  # idempotent
    assert BusinessSystems.objects.get(organisation=org).crm_connection == crm
    assert KpiDefinition.objects.filter(organisation=org).count() == 4
    assert SlaPolicy.objects.filter(organisation=org).count() == 3
    assert ReconciliationPolicy.objects.filter(organisation=org).count() == 2
