"""The connected systems' records that KPIs, reconciliation and business-event SLAs need, read through
the organisation's own connections and kept as ``BusinessRecord`` rows.

Reading a CRM, PSA and ERP takes seconds to minutes, so it happens only in a Celery task
(``observability.refresh_business_records``, also on beat), never in a request: requests read the stored
rows. Each reader calls the connector's documented actions through ``credentials.runtime.open_connection``
(the safe client, the organisation's egress policy and rate budget) and normalises what it gets:

* crm, ``salesforce``: won opportunities (``opportunity``), customer accounts (``customer``: ``Type``
  starts with "Customer");
* psa, ``kantata``: workspaces (``project``), approved time entries (``time_entry``);
* erp, ``netsuite``: jobs (``project``), invoices with their lines (``invoice``, SuiteQL).

Other connectors of a role have no reader yet: refreshing says so in the systems' status. Known
approximations, said where they are made: a deal counts as won at the start of its ``CloseDate`` (UTC);
Kantata has no approval time, so a time entry's ``updated_at`` at approval stands for it; NetSuite lines of
the service items ``TIME_ITEMS`` are billed time (quantity = hours).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from .insight_models import BusinessRecord, BusinessSystems
from .values import money, when

log = logging.getLogger(__name__)

ROLES = ("crm", "psa", "erp")
MAX_RECORDS = 20_000  # per entity and refresh
TIME_ITEMS = {"10", "14"}  # NetSuite service items billed by the hour (quantity = hours)


@dataclass
class Rec:
    entity: str
    external_id: str
    name: str = ""
    parent_id: str = ""
    status: str = ""
    amount: Decimal | None = None
    hours: Decimal | None = None
    occurred_at: dt.datetime | None = None
    data: dict[str, Any] = field(default_factory=dict)


# --- readers: runtime -> normalised records ---------------------------------------------------------------


def read_salesforce(runtime: Any) -> list[Rec]:
    opportunities = runtime.run_action(
        "query",
        {
            "soql": "SELECT Id, Name, AccountId, Amount, CloseDate, StageName, Description, NextStep, "
            "Billing_Invoice__c, Billing_Status__c FROM Opportunity WHERE IsWon = true",
            "max_records": MAX_RECORDS,
        },
    )
    accounts = runtime.run_action(
        "query",
        {
            "soql": "SELECT Id, Name, Type FROM Account WHERE Type LIKE 'Customer%'",
            "max_records": MAX_RECORDS,
        },
    )
    out = [
        Rec(
            "opportunity",
            str(o["Id"]),
            name=str(o.get("Name") or ""),
            parent_id=str(o.get("AccountId") or ""),
            status="won",
            amount=money(o.get("Amount")),
            occurred_at=when(o.get("CloseDate")),
            data={
                "Description": o.get("Description") or "",
                "NextStep": o.get("NextStep") or "",
                "Billing_Invoice__c": o.get("Billing_Invoice__c") or "",
                "Billing_Status__c": o.get("Billing_Status__c") or "",
            },
        )
        for o in opportunities
    ]
    out += [
        Rec("customer", str(a["Id"]), name=str(a.get("Name") or ""), status=str(a.get("Type") or ""))
        for a in accounts
    ]
    return out


def read_kantata(runtime: Any) -> list[Rec]:
    workspaces = runtime.run_action("list_workspaces", {"max_records": MAX_RECORDS})
    entries = runtime.run_action("list_time_entries", {"approved": True, "max_records": MAX_RECORDS})
    out = [Rec("project", str(w["id"]), name=str(w.get("title") or "")) for w in workspaces]
    for e in entries:
        hours = Decimal(int(e.get("time_in_minutes") or 0)) / 60
        rate = Decimal(int(e.get("rate_in_cents") or 0)) / 100
        invoiced = bool(e.get("is_invoiced"))
        out.append(
            Rec(
                "time_entry",
                str(e["id"]),
                name=f"{e.get('date_performed', '')} {e.get('notes') or ''}".strip(),
                parent_id=str(e.get("workspace_id") or ""),
                status="invoiced" if invoiced else "approved",
                hours=hours.quantize(Decimal("0.01")),
                amount=(hours * rate).quantize(Decimal("0.01")),
                occurred_at=when(e.get("updated_at")),
                data={
                    "billable": bool(e.get("billable")),
                    "invoiced": invoiced,
                    "date": e.get("date_performed"),
                    "invoiced_at": e.get("updated_at") if invoiced else None,
                },
            )
        )
    return out


_PERIOD = re.compile(r"-(\d{4}-\d{2})-")


def read_netsuite(runtime: Any) -> list[Rec]:
    def suiteql(query: str) -> list[dict[str, Any]]:
        return runtime.run_action("suiteql", {"query": query, "max_records": MAX_RECORDS})

    jobs = suiteql("SELECT id, companyname, parent FROM job")
    invoices = suiteql(
        "SELECT id, tranid, trandate, entity, status, foreigntotal, foreignamountunpaid, externalid, job, "
        "lastmodifieddate FROM transaction WHERE type = 'CustInvc'"
    )
    lines: dict[str, list[dict[str, Any]]] = {}
    for line in suiteql("SELECT transaction, item, quantity, netamount FROM transactionline"):
        lines.setdefault(str(line.get("transaction")), []).append(line)
    out = [
        Rec(
            "project",
            str(j["id"]),
            name=str(j.get("companyname") or ""),
            parent_id=str(j.get("parent") or ""),
        )
        for j in jobs
    ]
    for inv in invoices:
        paid = inv.get("status") == "B"
        time_lines = [ln for ln in lines.get(str(inv["id"]), []) if str(ln.get("item")) in TIME_ITEMS]
        dated = when(inv.get("trandate"))
        period = _PERIOD.search(str(inv.get("externalid") or ""))
        out.append(
            Rec(
                "invoice",
                str(inv["id"]),
                name=str(inv.get("tranid") or inv["id"]),
                parent_id=str(inv.get("job") or ""),
                status="paid" if paid else "open",
                amount=money(inv.get("foreigntotal")),
                hours=sum((money(ln.get("quantity")) or Decimal(0) for ln in time_lines), Decimal(0)),
                occurred_at=dated,
                data={
                    "customer": str(inv.get("entity") or ""),
                    "paid_at": inv.get("lastmodifieddate") if paid else None,
                    "time_amount": str(
                        sum((money(ln.get("netamount")) or Decimal(0) for ln in time_lines), Decimal(0))
                    ),
                    "period": period[1] if period else (dated.strftime("%Y-%m") if dated else ""),
                },
            )
        )
    return out


READERS: dict[str, Callable[[Any], list[Rec]]] = {
    "salesforce": read_salesforce,
    "kantata": read_kantata,
    "netsuite": read_netsuite,
}


# --- storing ----------------------------------------------------------------------------------------------


def store(organisation_id: int, role: str, system: str, records: Iterable[Rec]) -> int:
    """Replace the organisation's records of ``system`` in ``role`` with ``records`` (one transaction)."""
    now = timezone.now()
    rows = [
        BusinessRecord(
            organisation_id=organisation_id,
            role=role,
            system=system,
            entity=r.entity,
            external_id=r.external_id[:255],
            name=r.name[:300],
            parent_id=r.parent_id[:255],
            status=r.status[:64],
            amount=r.amount,
            hours=r.hours,
            occurred_at=r.occurred_at,
            data=r.data,
            fetched_at=now,
        )
        for r in records
    ]
    with transaction.atomic():
        BusinessRecord.objects.filter(organisation_id=organisation_id, role=role).delete()
        BusinessRecord.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    from .trace import index_records

    index_records(organisation_id, system, rows)
    return len(rows)


def systems_of(organisation_id: int) -> dict[str, str]:
    """role -> system (connector key) of the organisation's configured systems, else of its records."""
    found = dict(
        BusinessRecord.objects.filter(organisation_id=organisation_id)
        .values_list("role", "system")
        .distinct()
    )
    setup = (
        BusinessSystems.objects.filter(organisation_id=organisation_id)
        .select_related("crm_connection", "psa_connection", "erp_connection")
        .first()
    )
    if setup is not None:
        for role in ROLES:
            conn = getattr(setup, f"{role}_connection")
            if conn is not None:
                found[role] = conn.connector
    return found


def refresh(organisation_id: int) -> dict[str, Any]:
    """Read every configured system of the organisation and store its records (called by the task)."""
    from flowbuilder.credentials.runtime import open_connection

    setup = BusinessSystems.objects.filter(organisation_id=organisation_id).first()
    if setup is None:
        return {}
    BusinessSystems.objects.filter(pk=setup.pk).update(refresh_status="running")
    counts: dict[str, Any] = {}
    errors = []
    for role in ROLES:
        conn_id = getattr(setup, f"{role}_connection_id")
        if conn_id is None:
            continue
        conn = getattr(setup, f"{role}_connection")
        reader = READERS.get(conn.connector)
        if reader is None:
            errors.append(f"{role}: no reader for {conn.connector} yet")
            continue
        try:
            runtime = open_connection(organisation_id, conn_id)
            counts[role] = store(organisation_id, role, conn.connector, reader(runtime))
        except Exception as exc:  # one system down must not hide the others' records
            log.warning("refreshing %s of organisation %s failed: %s", role, organisation_id, exc)
            errors.append(f"{role} ({conn.name}): {getattr(exc, 'message', None) or exc}")
    BusinessSystems.objects.filter(pk=setup.pk).update(
        refresh_status="failed" if errors and not counts else "ok",
        refresh_error="; ".join(errors)[:2000],
        refreshed_at=timezone.now(),
        counts=counts,
    )
    return counts


# --- actions ----------------------------------------------------------------------------------------------


def save_systems(*, actor: Any, organisation: Any, **connections: Any) -> BusinessSystems:
    """Choose the organisation's CRM, PSA and ERP connections (``crm_connection=...``; None clears)."""
    from flowbuilder.audit.actions import record
    from flowbuilder.audit.models import AuditAction
    from flowbuilder.core.errors import InvalidInputError, PermissionDeniedError
    from flowbuilder.tenancy.permissions import can

    if not can(actor, "change", organisation):
        raise PermissionDeniedError("You may not change this organisation's systems.")
    for name, conn in connections.items():
        if conn is not None and conn.organisation_id != organisation.pk:
            raise InvalidInputError("The connection belongs to another organisation.", field=name)
    with transaction.atomic():
        setup, _ = BusinessSystems.objects.get_or_create(organisation=organisation)
        for name, conn in connections.items():
            setattr(setup, name, conn)
        setup.save()
        record(
            AuditAction.SYSTEMS_SAVE,
            actor=actor,
            organisation=organisation,
            obj=setup,
            after={name: getattr(conn, "pk", None) for name, conn in connections.items()},
        )
    return setup


def request_refresh(*, actor: Any, organisation: Any) -> BusinessSystems:
    """Queue a read of the organisation's systems, then its KPIs and SLAs (a Celery task)."""
    from flowbuilder.audit.actions import record
    from flowbuilder.audit.models import AuditAction
    from flowbuilder.core.errors import InvalidInputError, PermissionDeniedError
    from flowbuilder.execution import dispatch
    from flowbuilder.tenancy.permissions import can

    if not can(actor, "operate", organisation):
        raise PermissionDeniedError("You may not refresh this organisation's records.")
    setup = BusinessSystems.objects.filter(organisation=organisation).first()
    if setup is None or not any(getattr(setup, f"{r}_connection_id") for r in ROLES):
        raise InvalidInputError("Choose the CRM, PSA or ERP connection first.", field="crm_connection")
    with transaction.atomic():
        BusinessSystems.objects.filter(pk=setup.pk).update(refresh_status="queued")
        record(AuditAction.SYSTEMS_REFRESH, actor=actor, organisation=organisation, obj=setup)
        dispatch.after_commit(lambda: dispatch.send("observability.refresh_organisation", organisation.pk))
    setup.refresh_from_db()
    return setup
