"""Operational intelligence: dashboards' buckets, SLAs on business time, business KPIs, reconciliation
reports and the business transaction trace (the models; each concern's logic lives in its own module).

Kept apart from the failure inbox and alerts (the other half of the observability app) so the two
halves change independently. Every model carries ``organisation`` (the tenant) directly, so API querysets
are scoped by ``tenancy.permissions.restrict`` without joins.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models

# --- dashboards -------------------------------------------------------------------------------------------


class BucketStatus(models.TextChoices):
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    ACTIVE = "active", "Still active"


class RunBucket(models.Model):
    """How many top-level runs of a flow were started in one hour, by outcome and latency bin.

    Dashboards read only these (``observability.dashboards``): summing a few thousand bucket rows answers in
    milliseconds where 100,000 raw runs would not. ``latency_bin`` is a log-scale bin of the run's
    end-to-end time (created -> finished), null while the run is active.
    """

    organisation = models.ForeignKey("tenancy.Organisation", on_delete=models.CASCADE, related_name="+")
    flow = models.ForeignKey("flows.Flow", on_delete=models.CASCADE, related_name="+")
    hour = models.DateTimeField()
    status = models.CharField(max_length=16, choices=BucketStatus.choices)
    latency_bin = models.SmallIntegerField(null=True, blank=True)
    runs = models.PositiveIntegerField(default=0)
    latency_ms_sum = models.BigIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["organisation", "hour"], name="runbucket_org_hour"),
            models.Index(fields=["hour"], name="runbucket_hour"),
        ]

    def __str__(self) -> str:
        return f"{self.flow_id}@{self.hour:%Y-%m-%d %H}h {self.status} x{self.runs}"


class RunDayBucket(models.Model):
    """``RunBucket`` summed per day (UTC): what week and month dashboards read (24 times fewer rows)."""

    organisation = models.ForeignKey("tenancy.Organisation", on_delete=models.CASCADE, related_name="+")
    flow = models.ForeignKey("flows.Flow", on_delete=models.CASCADE, related_name="+")
    day = models.DateTimeField()
    status = models.CharField(max_length=16, choices=BucketStatus.choices)
    latency_bin = models.SmallIntegerField(null=True, blank=True)
    runs = models.PositiveIntegerField(default=0)
    latency_ms_sum = models.BigIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["organisation", "day"], name="rundaybucket_org_day"),
            models.Index(fields=["day"], name="rundaybucket_day"),
        ]

    def __str__(self) -> str:
        return f"{self.flow_id}@{self.day:%Y-%m-%d} {self.status} x{self.runs}"


class BacklogSample(models.Model):
    """An organisation's backlog at one moment (sampled by the rollup every minute, kept 14 days)."""

    organisation = models.ForeignKey("tenancy.Organisation", on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField()
    queued = models.PositiveIntegerField(default=0)  # dispatched, waiting for a worker
    held = models.PositiveIntegerField(default=0)  # queued, not dispatched: waiting for its share
    running = models.PositiveIntegerField(default=0)
    waiting = models.PositiveIntegerField(default=0)  # parked: a wait, an approval, a callback

    class Meta:
        indexes = [models.Index(fields=["organisation", "at"], name="backlog_org_at")]

    def __str__(self) -> str:
        return f"backlog of {self.organisation_id} at {self.at:%Y-%m-%d %H:%M}"


class RollupMark(models.Model):
    """Where the dashboards' rollup stands (one row per name): hours to look at again, last run."""

    name = models.CharField(max_length=64, unique=True)
    value = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name


# --- business calendar and SLAs ---------------------------------------------------------------------------


def default_working_days() -> list[int]:
    return [0, 1, 2, 3, 4]  # Monday..Friday


class BusinessCalendar(models.Model):
    """When an organisation works: weekdays, hours, and its country's public holidays (``holidays``).

    Time zone and country are the organisation's own (``Organisation.timezone``/``country``).
    """

    organisation = models.OneToOneField(
        "tenancy.Organisation", on_delete=models.CASCADE, related_name="business_calendar"
    )
    working_days = models.JSONField(default=default_working_days)
    day_start = models.TimeField(default=dt.time(9, 0))
    day_end = models.TimeField(default=dt.time(17, 0))
    public_holidays = models.BooleanField(default=True)
    subdivision = models.CharField(max_length=16, blank=True, help_text="State or region, e.g. CA, BY")
    extra_holidays = models.JSONField(default=list, blank=True)  # ["2026-12-24", ...]
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"calendar of {self.organisation_id}"


class SlaSubject(models.TextChoices):
    FLOW_RUN = "flow_run", "A run of the flow succeeds"
    WON_TO_PROJECT = "won_to_project", "Won deal has a project"
    APPROVED_TO_INVOICED = "approved_to_invoiced", "Approved billable time is invoiced"
    PAID_TO_CRM = "paid_to_crm", "A paid invoice's status reaches the CRM"


class SlaUnit(models.TextChoices):
    BUSINESS_HOURS = "business_hours", "Business hours"
    BUSINESS_DAYS = "business_days", "Business days"
    HOURS = "hours", "Hours (calendar)"


class SlaPolicy(models.Model):
    organisation = models.ForeignKey("tenancy.Organisation", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    subject = models.CharField(max_length=32, choices=SlaSubject.choices)
    flow = models.ForeignKey("flows.Flow", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    target = models.DecimalField(max_digits=8, decimal_places=2)
    unit = models.CharField(max_length=16, choices=SlaUnit.choices, default=SlaUnit.BUSINESS_DAYS)
    # Business events have no flow to take it from; a flow's SLA uses the flow's criticality.
    criticality = models.CharField(max_length=16, default="normal")
    enabled = models.BooleanField(default=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class SlaStatus(models.TextChoices):
    PENDING = "pending", "In progress, within its time"
    MET = "met", "Met"
    BREACHED = "breached", "Breached"


class SlaEvaluation(models.Model):
    """One run's or business event's clock against a policy: started, due, ended, and the verdict."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="evaluations")
    organisation = models.ForeignKey("tenancy.Organisation", on_delete=models.CASCADE, related_name="+")
    subject_key = models.CharField(max_length=255)
    label = models.CharField(max_length=300, blank=True)
    run = models.ForeignKey(
        "execution.Run", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    criticality = models.CharField(max_length=16, default="normal")
    started_at = models.DateTimeField()
    due_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=SlaStatus.choices, default=SlaStatus.PENDING)
    breached_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-due_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "subject_key"], name="one_evaluation_per_subject")
        ]
        indexes = [
            models.Index(fields=["organisation", "status", "due_at"], name="slaeval_org_status_due"),
            models.Index(fields=["organisation", "started_at"], name="slaeval_org_started"),
        ]

    def __str__(self) -> str:
        return f"{self.policy_id}/{self.subject_key} {self.status}"


# --- the systems' records (read by a Celery task through the organisation's connections) ------------------


class BusinessSystems(models.Model):
    """Which connections are the organisation's CRM, PSA and ERP for KPIs, reconciliation and SLAs."""

    organisation = models.OneToOneField(
        "tenancy.Organisation", on_delete=models.CASCADE, related_name="business_systems"
    )
    crm_connection = models.ForeignKey(
        "credentials.Connection", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    psa_connection = models.ForeignKey(
        "credentials.Connection", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    erp_connection = models.ForeignKey(
        "credentials.Connection", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    refresh_status = models.CharField(max_length=16, default="never")  # never|queued|running|ok|failed
    refreshed_at = models.DateTimeField(null=True, blank=True)
    refresh_error = models.TextField(blank=True)
    counts = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"systems of {self.organisation_id}"


class BusinessRecord(models.Model):
    """One record of a connected system, normalised: what KPIs, reconciliation, SLAs and the trace read.

    ``parent_id`` is the id (in the same system) of the record it belongs to: a time entry's project, an
    invoice's project, a payment's invoice, an opportunity's account. ``occurred_at`` is the business
    moment that matters for it: a deal won, time approved, an invoice dated, a payment received.
    """

    organisation = models.ForeignKey("tenancy.Organisation", on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=8)  # crm | psa | erp
    system = models.CharField(max_length=64)
    entity = models.CharField(max_length=32)
    external_id = models.CharField(max_length=255)
    name = models.CharField(max_length=300, blank=True)
    parent_id = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=64, blank=True)
    amount = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    hours = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    occurred_at = models.DateTimeField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    fetched_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "system", "entity", "external_id"], name="one_business_record"
            )
        ]
        indexes = [
            models.Index(fields=["organisation", "role", "entity"], name="bizrec_org_role_entity"),
            models.Index(fields=["organisation", "external_id"], name="bizrec_org_extid"),
        ]

    def __str__(self) -> str:
        return f"{self.system} {self.entity} {self.external_id}"


# --- KPIs -------------------------------------------------------------------------------------------------


class KpiKind(models.TextChoices):
    WON_WITHOUT_PROJECT = "won_without_project", "Closed-won deals with no project"
    APPROVED_NOT_INVOICED = "approved_not_invoiced", "Approved billable time not invoiced"
    PAID_NOT_IN_CRM = "paid_not_in_crm", "Paid invoices whose status never reached the CRM"
    CUSTOMERS_WITHOUT_ERP = "customers_without_erp", "CRM customers with no ERP link"


class KpiDefinition(models.Model):
    organisation = models.ForeignKey("tenancy.Organisation", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32, choices=KpiKind.choices)
    name = models.CharField(max_length=200)
    # won_without_project: {"hours": 24}; approved_not_invoiced: {"days": 5};
    # paid_not_in_crm: {"crm_field": "Billing_Status__c", "invoice_field": "Billing_Invoice__c"}
    params = models.JSONField(default=dict, blank=True)
    threshold = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class KpiValue(models.Model):
    """One computation of a KPI: the figure, the money behind it, and the records it counts."""

    definition = models.ForeignKey(KpiDefinition, on_delete=models.CASCADE, related_name="values")
    organisation = models.ForeignKey("tenancy.Organisation", on_delete=models.CASCADE, related_name="+")
    computed_at = models.DateTimeField()
    value = models.DecimalField(max_digits=16, decimal_places=2)
    amount = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    over_threshold = models.BooleanField(default=False)
    records = models.JSONField(default=list, blank=True)  # the drill-down, at most KPI_RECORDS_KEPT
    record_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-computed_at", "-id"]
        indexes = [models.Index(fields=["definition", "-computed_at"], name="kpivalue_def_at")]

    def __str__(self) -> str:
        return f"{self.definition_id} = {self.value} at {self.computed_at:%Y-%m-%d %H:%M}"


# --- reconciliation ---------------------------------------------------------------------------------------


class ReconciliationKind(models.TextChoices):
    BILLING = "psa_vs_erp_billing", "PSA approved billable time vs ERP invoiced lines"
    BOOKINGS = "crm_vs_erp_projects", "CRM bookings vs ERP projects"


class ReconciliationPeriod(models.TextChoices):
    WEEK = "week", "Weekly"
    MONTH = "month", "Monthly"


class ReconciliationPolicy(models.Model):
    organisation = models.ForeignKey("tenancy.Organisation", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=ReconciliationKind.choices)
    period = models.CharField(max_length=8, choices=ReconciliationPeriod.choices, default="month")
    tolerance_hours = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    tolerance_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    fix_flow = models.ForeignKey(
        "flows.Flow",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Started per differing record by 'create fix job' (else the flow that last handled it).",
    )
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class ReportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ReconciliationReport(models.Model):
    policy = models.ForeignKey(ReconciliationPolicy, on_delete=models.CASCADE, related_name="reports")
    organisation = models.ForeignKey("tenancy.Organisation", on_delete=models.CASCADE, related_name="+")
    period_start = models.DateField()
    period_end = models.DateField()  # exclusive
    status = models.CharField(max_length=16, choices=ReportStatus.choices, default=ReportStatus.QUEUED)
    error = models.TextField(blank=True)
    totals = models.JSONField(default=dict, blank=True)  # {"left": {...}, "right": {...}}
    matched = models.PositiveIntegerField(default=0)
    difference_count = models.PositiveIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "-created_at"], name="recon_org_created")]

    def __str__(self) -> str:
        return f"report {self.pk} {self.period_start}..{self.period_end} ({self.status})"


class ReconciliationDifference(models.Model):
    report = models.ForeignKey(ReconciliationReport, on_delete=models.CASCADE, related_name="differences")
    organisation = models.ForeignKey("tenancy.Organisation", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)  # the record compared (a project, a deal)
    label = models.CharField(max_length=300, blank=True)
    kind = models.CharField(max_length=32)  # missing_right | missing_left | hours | amount
    left = models.JSONField(default=dict, blank=True)
    right = models.JSONField(default=dict, blank=True)
    delta = models.JSONField(default=dict, blank=True)
    source = models.JSONField(default=dict, blank=True)  # {"system", "entity", "id"} of the record to fix
    fix_run = models.ForeignKey(
        "execution.Run", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.report_id}/{self.key} {self.kind}"


# --- business transaction trace ---------------------------------------------------------------------------


class TraceKey(models.Model):
    """A business id seen on a *thread*: a run that carried it, a cross-reference group, a parent record.

    Two ids on one thread belong to one business transaction; the trace walks id -> threads -> ids.
    Threads are strings: ``run:<id>``, ``canon:<entity>:<uuid>``, ``rec:<system>:<id>`` (a record and its
    parent). Written when runs start, when SyncLinks are written and when records are read.
    """

    organisation = models.ForeignKey("tenancy.Organisation", on_delete=models.CASCADE, related_name="+")
    system = models.CharField(max_length=64, blank=True)
    entity = models.CharField(max_length=32, blank=True)
    external_id = models.CharField(max_length=255)
    thread = models.CharField(max_length=128)
    run = models.ForeignKey(
        "execution.Run", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "thread", "system", "external_id"], name="one_trace_key_per_thread"
            )
        ]
        indexes = [
            # (organisation, thread) lookups use the unique constraint's index.
            models.Index(fields=["organisation", "external_id"], name="tracekey_org_extid"),
        ]

    def __str__(self) -> str:
        return f"{self.system}:{self.external_id} @ {self.thread}"
