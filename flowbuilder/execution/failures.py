"""Failures as data: which category an error falls in and what a person should do next.

Every node failure stored on a NodeRun (and so every failed run and failed item) carries a ``category``
from :class:`FailureCategory`. The failure inbox groups by it and alerts name it. Classification is by the
exception's type (connector errors are duck-typed where they carry a ``category`` or a ``status``), so a
connector or node may also say its own category by setting ``category`` on the exception it raises.
"""

from __future__ import annotations

from connectors import errors as connector_errors
from flowbuilder.core.errors import InvalidInputError, NodeError, RetryableNodeError

from .models import FailureCategory

NEXT_STEP = {
    FailureCategory.CONNECTION: "Test the connection; if its sign-in expired, reconnect it. Then retry.",
    FailureCategory.RATE_LIMIT: "The system is throttling us: retry later or lower the flow's concurrency.",
    FailureCategory.TIMEOUT: "The system answered too slowly: retry; if it keeps happening, check it.",
    FailureCategory.REFUSED_VALUE: "The system refused a value: fix the mapping or the source record, then "
    "replay the item.",
    FailureCategory.MISSING_REFERENCE: "A record this step points to does not exist: create or link it, "
    "then retry.",
    FailureCategory.DUPLICATE: "The record already exists: link it (cross-reference) or skip the item.",
    FailureCategory.VALIDATION: "The step's configuration or its input is invalid: fix it in the editor, "
    "then retry from this node.",
    FailureCategory.BILLING_SETUP: "The ERP customer's billing setup is incomplete (tax registration, "
    "payment terms, currency, subsidiary or company): complete it in the ERP, then replay the item.",
    FailureCategory.NOT_TO_EXCEED: "The work is over the project's not-to-exceed cap: raise the cap in the "
    "PSA (a change order) or write the work down, then rerun the billing.",
    FailureCategory.NEEDS_REVIEW: "A person must decide (e.g. link or create in the match review queue), "
    "then replay the item: it follows the decision. A rejected draft invoice waits for its work to be fixed "
    "in the PSA (or for the rejected draft to be deleted in the ERP); the next billing run drafts it again.",
    FailureCategory.INTERNAL: "Unexpected error inside Flowbuilder: retry once; if it repeats, report it "
    "with the run id.",
}


def classify(exc: BaseException) -> FailureCategory:
    """The category of ``exc`` (an explicit ``category`` attribute wins)."""
    declared = getattr(exc, "category", None)
    if declared in FailureCategory.values:
        return FailureCategory(declared)
    cause = exc.__cause__
    if isinstance(exc, NodeError) and isinstance(cause, connector_errors.ConnectorError):
        return classify(cause)  # a connector node re-raised the connector's error as a NodeError
    if isinstance(exc, connector_errors.RateLimited) or getattr(exc, "status", None) == 429:
        return FailureCategory.RATE_LIMIT
    if isinstance(exc, connector_errors.DeadlineExceeded | TimeoutError):
        return FailureCategory.TIMEOUT
    if isinstance(
        exc, connector_errors.AuthError | connector_errors.EgressDenied | connector_errors.TLSError
    ):
        return FailureCategory.CONNECTION
    if isinstance(exc, connector_errors.NotFound):
        return FailureCategory.MISSING_REFERENCE
    if isinstance(exc, connector_errors.ConflictError):
        return FailureCategory.DUPLICATE
    if isinstance(exc, connector_errors.TransientHTTPError):
        status = getattr(exc, "status", None)
        if status == 429:
            return FailureCategory.RATE_LIMIT
        if status in (408, 504):
            return FailureCategory.TIMEOUT
        return FailureCategory.CONNECTION  # 5xx, connection refused or reset: the system is unavailable
    if isinstance(exc, connector_errors.HTTPStatusError):
        return FailureCategory.REFUSED_VALUE
    if isinstance(exc, connector_errors.InvalidInput | InvalidInputError):
        return FailureCategory.VALIDATION
    if isinstance(exc, RetryableNodeError):
        return FailureCategory.RATE_LIMIT if getattr(exc, "retry_after", None) else FailureCategory.CONNECTION
    if isinstance(exc, NodeError | connector_errors.ConnectorError):
        return FailureCategory.VALIDATION
    return FailureCategory.INTERNAL


def is_rate_limit(exc: BaseException) -> bool:
    """A 429, or a 503 that says when to come back: wait (within a deadline) instead of counting attempts."""
    if classify(exc) == FailureCategory.RATE_LIMIT:
        return True
    status = getattr(exc, "status", None) or getattr(exc.__cause__, "status", None)
    return status == 503 and getattr(exc, "retry_after", None) is not None
