"""Business KPIs: invariants across the CRM, PSA and ERP that should hold, counted with the records that
break them.

Each KPI is computed on schedule (beat, ``observability.compute_kpis``, after the records are refreshed)
from the records ``observability.records`` read through the organisation's connections, the
cross-reference store (``SyncLink``) and the run history (``TraceKey``), never in a request. A value keeps
its drill-down: the records it counts (the first ``RECORDS_KEPT``).

* ``won_without_project`` (deals; amount: booked value): a deal won more than ``hours`` ago has no project
  linked in another system;
* ``approved_not_invoiced`` (hours; amount: money): billable time approved more than ``days`` ago is not
  invoiced;
* ``paid_not_in_crm`` (invoices; amount: invoiced value): an ERP invoice is paid but its CRM deal's
  ``crm_field`` does not say so (mention the invoice number and "paid");
* ``customers_without_erp`` (customers): a CRM customer account has no ERP customer linked.

**For the alert evaluator**: ``over_threshold(organisation_id) -> list[dict]`` gives the latest value of
each enabled KPI whose value is over its threshold, ``{"kpi_id", "name", "kind", "value", "amount",
"threshold", "computed_at", "record_count"}``; ``latest(organisation_id)`` gives all latest values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone

from flowbuilder.audit.actions import record
from flowbuilder.audit.models import AuditAction
from flowbuilder.core.errors import InvalidInputError, PermissionDeniedError
from flowbuilder.crossref.models import SyncLink
from flowbuilder.tenancy.models import Organisation
from flowbuilder.tenancy.permissions import can

from .insight_models import BusinessRecord, KpiDefinition, KpiKind, KpiValue
from .records import systems_of

RECORDS_KEPT = 500
DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    KpiKind.WON_WITHOUT_PROJECT: {"hours": 24},
    KpiKind.APPROVED_NOT_INVOICED: {"days": 5},
    KpiKind.PAID_NOT_IN_CRM: {"crm_field": "Billing_Status__c", "invoice_field": "Billing_Invoice__c"},
    KpiKind.CUSTOMERS_WITHOUT_ERP: {},
}
PARAM_LIMITS = {"hours": (0, 24 * 365), "days": (0, 365)}


@dataclass
class Figure:
    value: Decimal = Decimal(0)
    amount: Decimal | None = None
    records: list[dict[str, Any]] = field(default_factory=list)


def _linked_ids(
    organisation_id: int, entity: str, system: str, other_systems: set[str] | None = None
) -> set[str]:
    """Ids of ``system`` whose canonical ``entity`` has an id in another system (of ``other_systems``)."""
    groups = SyncLink.objects.filter(organisation_id=organisation_id, entity=entity)
    others = groups.exclude(system=system)
    if other_systems:
        others = others.filter(system__in=other_systems)
    return set(
        groups.filter(system=system, canonical_id__in=others.values("canonical_id")).values_list(
            "external_id", flat=True
        )
    )


def _row(rec: BusinessRecord, **extra: Any) -> dict[str, Any]:
    return {
        "system": rec.system,
        "entity": rec.entity,
        "id": rec.external_id,
        "name": rec.name,
        "amount": str(rec.amount) if rec.amount is not None else None,
        "hours": str(rec.hours) if rec.hours is not None else None,
        "occurred_at": rec.occurred_at.isoformat() if rec.occurred_at else None,
        **extra,
    }


def won_without_project(organisation_id: int, now: dt.datetime, *, hours: float = 24) -> Figure:
    deals = BusinessRecord.objects.filter(
        organisation_id=organisation_id,
        role="crm",
        entity="opportunity",
        status="won",
        occurred_at__lte=now - dt.timedelta(hours=float(hours)),
    ).order_by("occurred_at", "external_id")
    figure = Figure(amount=Decimal(0))
    linked: dict[str, set[str]] = {}
    for deal in deals:
        if deal.system not in linked:
            linked[deal.system] = _linked_ids(organisation_id, "project", deal.system)
        if deal.external_id in linked[deal.system]:
            continue
        figure.value += 1
        figure.amount += deal.amount or 0
        age = (now - deal.occurred_at).total_seconds() / 3600
        figure.records.append(_row(deal, age_hours=round(age, 1)))
    return figure


def approved_not_invoiced(organisation_id: int, now: dt.datetime, *, days: float = 5) -> Figure:
    entries = BusinessRecord.objects.filter(
        organisation_id=organisation_id,
        role="psa",
        entity="time_entry",
        status="approved",
        occurred_at__lte=now - dt.timedelta(days=float(days)),
    ).order_by("occurred_at", "external_id")
    figure = Figure(amount=Decimal(0))
    for entry in entries:
        data = entry.data or {}
        if not data.get("billable") or data.get("invoiced"):
            continue
        figure.value += entry.hours or 0
        figure.amount += entry.amount or 0
        figure.records.append(_row(entry, project=entry.parent_id, age_days=(now - entry.occurred_at).days))
    return figure


def paid_not_in_crm(
    organisation_id: int,
    now: dt.datetime,
    *,
    crm_field: str = "Billing_Status__c",
    invoice_field: str = "Billing_Invoice__c",
) -> Figure:
    """Invoices paid in the ERP whose deal in the CRM does not say so: the deal's status field names this
    invoice (``invoice_field``) as Paid, or, for a free-text field, mentions the invoice and "paid"."""
    systems = systems_of(organisation_id)
    crm = systems.get("crm")
    invoices = list(
        BusinessRecord.objects.filter(
            organisation_id=organisation_id, role="erp", entity="invoice", status="paid"
        ).order_by("occurred_at", "external_id")
    )
    figure = Figure(amount=Decimal(0))
    if not crm or not invoices:
        return figure
    erp = invoices[0].system
    # ERP project -> CRM deal through the project links (the deal id is the CRM side of "project").
    project_canon = dict(
        SyncLink.objects.filter(
            organisation_id=organisation_id,
            entity="project",
            system=erp,
            external_id__in={i.parent_id for i in invoices},
        ).values_list("external_id", "canonical_id")
    )
    deal_of_canon = dict(
        SyncLink.objects.filter(
            organisation_id=organisation_id,
            entity="project",
            system=crm,
            canonical_id__in=set(project_canon.values()),
        ).values_list("canonical_id", "external_id")
    )
    deals = {
        r.external_id: r
        for r in BusinessRecord.objects.filter(
            organisation_id=organisation_id,
            role="crm",
            entity="opportunity",
            external_id__in=set(deal_of_canon.values()),
        )
    }
    for inv in invoices:
        deal_id = deal_of_canon.get(project_canon.get(inv.parent_id))
        if not deal_id:
            continue  # not a CRM deal's invoice: nothing to tell the CRM
        deal = deals.get(deal_id)
        data = (deal.data or {}) if deal else {}
        text = str(data.get(crm_field) or "")
        if inv.name and data.get(invoice_field) == inv.name and text.strip().lower() == "paid":
            continue  # the billing-to-cash template's dedicated fields
        if inv.name and inv.name in text and "paid" in text.lower() and "partially" not in text.lower():
            continue
        figure.value += 1
        figure.amount += inv.amount or 0
        figure.records.append(_row(inv, deal=deal_id, crm_says=text[:200]))
    return figure


def customers_without_erp(organisation_id: int, now: dt.datetime) -> Figure:
    systems = systems_of(organisation_id)
    erp = systems.get("erp")
    customers = BusinessRecord.objects.filter(
        organisation_id=organisation_id, role="crm", entity="customer"
    ).order_by("name", "external_id")
    figure = Figure()
    linked: dict[str, set[str]] = {}
    for customer in customers:
        if customer.system not in linked:
            linked[customer.system] = _linked_ids(
                organisation_id, "customer", customer.system, {erp} if erp else None
            )
        if customer.external_id in linked[customer.system]:
            continue
        figure.value += 1
        figure.records.append(_row(customer, type=customer.status))
    return figure


CALCULATORS = {
    KpiKind.WON_WITHOUT_PROJECT: won_without_project,
    KpiKind.APPROVED_NOT_INVOICED: approved_not_invoiced,
    KpiKind.PAID_NOT_IN_CRM: paid_not_in_crm,
    KpiKind.CUSTOMERS_WITHOUT_ERP: customers_without_erp,
}


def compute(definition: KpiDefinition, now: dt.datetime | None = None) -> KpiValue:
    """Compute one KPI now and store the value with its drill-down."""
    now = now or timezone.now()
    params = {**DEFAULT_PARAMS[KpiKind(definition.kind)], **(definition.params or {})}
    figure = CALCULATORS[KpiKind(definition.kind)](definition.organisation_id, now, **params)
    value = Decimal(figure.value).quantize(Decimal("0.01"))
    return KpiValue.objects.create(
        definition=definition,
        organisation_id=definition.organisation_id,
        computed_at=now,
        value=value,
        amount=figure.amount.quantize(Decimal("0.01")) if figure.amount is not None else None,
        over_threshold=definition.threshold is not None and value > definition.threshold,
        records=figure.records[:RECORDS_KEPT],
        record_count=len(figure.records),
    )


def compute_organisation(organisation_id: int, now: dt.datetime | None = None) -> list[KpiValue]:
    return [
        compute(d, now) for d in KpiDefinition.objects.filter(organisation_id=organisation_id, enabled=True)
    ]


# --- actions ----------------------------------------------------------------------------------------------


def _check_params(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    allowed = DEFAULT_PARAMS[KpiKind(kind)]
    unknown = set(params) - set(allowed)
    if unknown:
        raise InvalidInputError(
            f"Unknown parameter {sorted(unknown)[0]!r} for this KPI; it takes {sorted(allowed) or 'none'}.",
            field="params",
        )
    for name, (low, high) in PARAM_LIMITS.items():
        if name in params:
            try:
                number = float(params[name])
            except (TypeError, ValueError) as exc:
                raise InvalidInputError(f"{name} must be a number.", field="params") from exc
            if not low <= number <= high:
                raise InvalidInputError(f"{name} must be between {low} and {high}.", field="params")
    for name in ("crm_field", "invoice_field"):
        if name in params and not str(params[name]).replace("_", "").isalnum():
            raise InvalidInputError(f"{name} must be a field name.", field="params")
    return params


def save_kpi(
    *, actor: Any, organisation: Organisation, kpi: KpiDefinition | None = None, **data: Any
) -> KpiDefinition:
    if not can(actor, "change", organisation):
        raise PermissionDeniedError("You may not change this organisation's KPIs.")
    kind = data.get("kind") or (kpi.kind if kpi else None)
    if "params" in data:
        data["params"] = _check_params(kind, data["params"] or {})
    with transaction.atomic():
        before = _shape(kpi) if kpi else None
        kpi = kpi or KpiDefinition(organisation=organisation)
        for key, value in data.items():
            setattr(kpi, key, value)
        kpi.save()
        record(
            AuditAction.KPI_SAVE,
            actor=actor,
            organisation=organisation,
            obj=kpi,
            before=before,
            after=_shape(kpi),
        )
    return kpi


def delete_kpi(*, actor: Any, kpi: KpiDefinition) -> None:
    if not can(actor, "change", kpi.organisation):
        raise PermissionDeniedError("You may not change this organisation's KPIs.")
    with transaction.atomic():
        record(
            AuditAction.KPI_DELETE, actor=actor, organisation=kpi.organisation_id, obj=kpi, before=_shape(kpi)
        )
        kpi.delete()


def _shape(kpi: KpiDefinition) -> dict[str, Any]:
    return {
        "name": kpi.name,
        "kind": kpi.kind,
        "params": kpi.params,
        "threshold": str(kpi.threshold) if kpi.threshold is not None else None,
        "enabled": kpi.enabled,
    }


# --- reads ------------------------------------------------------------------------------------------------


def latest(organisation_ids: Iterable[int]) -> list[KpiValue]:
    """The latest value of each KPI of these organisations."""
    newest = KpiValue.objects.filter(definition=OuterRef("definition")).order_by("-computed_at", "-id")
    return list(
        KpiValue.objects.filter(organisation_id__in=list(organisation_ids))
        .filter(pk=Subquery(newest.values("pk")[:1]))
        .select_related("definition")
    )


def over_threshold(organisation_id: int) -> list[dict[str, Any]]:
    """Latest values of the organisation's enabled KPIs that are over their threshold (for alerts)."""
    return [
        {
            "kpi_id": v.definition_id,
            "name": v.definition.name,
            "kind": v.definition.kind,
            "value": v.value,
            "amount": v.amount,
            "threshold": v.definition.threshold,
            "computed_at": v.computed_at,
            "record_count": v.record_count,
        }
        for v in latest([organisation_id])
        if v.over_threshold and v.definition.enabled
    ]


def value_counts(organisation_ids: Iterable[int]) -> dict[int, int]:
    return dict(
        KpiValue.objects.filter(organisation_id__in=list(organisation_ids))
        .values("definition_id")
        .annotate(n=Count("id"))
        .values_list("definition_id", "n")
    )
