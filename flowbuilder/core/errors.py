"""Errors shared by every layer. Each carries what went wrong and what the user can do next."""

from __future__ import annotations


class FlowbuilderError(Exception):
    """Base error: ``message`` says what failed, ``hint`` what to do about it."""

    def __init__(self, message: str, *, hint: str = "", field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.field = field

    def as_dict(self) -> dict[str, str]:
        data = {"message": self.message}
        if self.hint:
            data["hint"] = self.hint
        if self.field:
            data["field"] = self.field
        return data


class NodeError(FlowbuilderError):
    """A node failed for a reason retrying will not fix (bad config, bad data, 4xx)."""


class RetryableNodeError(NodeError):
    """A node failed for a passing reason (timeout, 5xx, 429); ``retry_after`` is seconds if known."""

    def __init__(self, message: str, *, hint: str = "", retry_after: float | None = None) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after


class ConflictError(FlowbuilderError):
    """An optimistic-concurrency conflict (stale save)."""


class PermissionDeniedError(FlowbuilderError):
    pass


class InvalidInputError(FlowbuilderError):
    pass
