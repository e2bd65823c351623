"""KPI figures against records seeded with known differences (conftest.business)."""

from __future__ import annotations

from decimal import Decimal

from flowbuilder.observability import kpis
from flowbuilder.observability.insight_models import BusinessRecord, KpiDefinition, KpiKind


def kpi(org, kind, **kwargs):
    return KpiDefinition.objects.create(organisation=org, kind=kind, name=kind, **kwargs)


def ids(value):
    return [r["id"] for r in value.records]


def test_won_deals_without_a_project_after_n_hours(business):
    org, now = business["org"], business["now"]
    value = kpis.compute(kpi(org, KpiKind.WON_WITHOUT_PROJECT, params={"hours": 24}), now)
    assert (value.value, value.amount, ids(value)) == (Decimal("1.00"), Decimal("12000.00"), ["006B"])
    assert value.records[0]["age_hours"] == 72.0
    # Within 1 hour the deal won 2 hours ago counts too.
    value = kpis.compute(kpi(org, KpiKind.WON_WITHOUT_PROJECT, params={"hours": 1}), now)
    assert ids(value) == ["006B", "006E"]


def test_approved_billable_time_not_invoiced_after_n_days(business):
    org, now = business["org"], business["now"]
    value = kpis.compute(kpi(org, KpiKind.APPROVED_NOT_INVOICED, params={"days": 5}), now)
    # 7002 is too recent, 7004 is not billable, 7001 and 7005 are invoiced.
    assert (value.value, value.amount, ids(value)) == (Decimal("2.50"), Decimal("375.00"), ["7003"])
    value = kpis.compute(kpi(org, KpiKind.APPROVED_NOT_INVOICED, params={"days": 1}), now)
    assert (value.value, value.amount, sorted(ids(value))) == (
        Decimal("6.50"),
        Decimal("975.00"),
        ["7002", "7003"],
    )


def test_paid_invoices_whose_status_never_reached_the_crm(business):
    org, now = business["org"], business["now"]
    value = kpis.compute(kpi(org, KpiKind.PAID_NOT_IN_CRM), now)
    assert (value.value, value.amount, ids(value)) == (Decimal("1.00"), Decimal("800.00"), ["9002"])
    assert value.records[0]["deal"] == "006D"
    # Looking at another field: neither invoice is reported there.
    value = kpis.compute(kpi(org, KpiKind.PAID_NOT_IN_CRM, params={"crm_field": "NextStep"}), now)
    assert sorted(ids(value)) == ["9001", "9002"]
    # A free-text field that mentions the invoice as paid counts too.
    deal = BusinessRecord.objects.get(organisation=org, external_id="006D")
    deal.data = {**deal.data, "Billing_Status__c": "Invoice INV-9002: Paid in full"}
    deal.save(update_fields=["data"])
    assert ids(kpis.compute(kpi(org, KpiKind.PAID_NOT_IN_CRM), now)) == []


def test_crm_customers_without_erp_link(business):
    org, now = business["org"], business["now"]
    value = kpis.compute(kpi(org, KpiKind.CUSTOMERS_WITHOUT_ERP, threshold=Decimal("0")), now)
    assert (value.value, ids(value), value.over_threshold) == (Decimal("1.00"), ["001C"], True)


def test_over_threshold_is_the_alert_evaluators_read(business):
    org, now = business["org"], business["now"]
    quiet = kpi(org, KpiKind.WON_WITHOUT_PROJECT, threshold=Decimal("5"))
    loud = kpi(org, KpiKind.CUSTOMERS_WITHOUT_ERP, threshold=Decimal("0"))
    kpis.compute_organisation(org.pk, now)
    over = kpis.over_threshold(org.pk)
    assert [o["kpi_id"] for o in over] == [loud.pk]
    assert over[0]["value"] == Decimal("1.00")
    assert {v.definition_id for v in kpis.latest([org.pk])} == {quiet.pk, loud.pk}


def test_kpis_of_another_organisation_see_none_of_these_records(business, make_org):
    other = make_org("Other")
    value = kpis.compute(kpi(other, KpiKind.CUSTOMERS_WITHOUT_ERP), business["now"])
    assert value.value == 0 and value.records == []
