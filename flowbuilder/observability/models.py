"""The observability app's models. Operational intelligence (dashboards, SLAs, KPIs, reconciliation,
trace) is in ``insight_models``; import from here."""

from .alert_models import AlertDelivery, AlertRule, Incident, RetentionPolicy  # noqa: E402, F401
from .inbox_models import BulkAction, FailureComment, InboxBatch  # noqa: E402, F401
from .insight_models import (  # noqa: F401
    BacklogSample,
    BusinessCalendar,
    BusinessRecord,
    BusinessSystems,
    KpiDefinition,
    KpiValue,
    ReconciliationDifference,
    ReconciliationPolicy,
    ReconciliationReport,
    RollupMark,
    RunBucket,
    RunDayBucket,
    SlaEvaluation,
    SlaPolicy,
    TraceKey,
)
