"""Page actions: what a person can do to a record from the sandbox's pages (move an opportunity to Closed
Won, approve a time entry, record a payment against an invoice). Each system declares its own in its
`page_actions.py`; the record page shows them as forms that post to `POST /_admin/actions`.

An action runs for one tenant's record with the tenant bound, usually through the system's own API
(`System.call`), so the change looks exactly like one a client made: same validation, timestamps,
webhooks and polling cursors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .system import System


class ActionError(ValueError):
    """The action cannot run (bad input, or the system refused the change); the message says why."""


@dataclass(frozen=True)
class ActionField:
    name: str
    label: str
    kind: str = "text"  # text | number | date | select
    choices: tuple[str, ...] = ()
    default: str = ""
    source: str = ""  # pre-fill from this field of the record
    required: bool = True


Run = Callable[["System", dict[str, Any], dict[str, str]], str]


@dataclass(frozen=True)
class PageAction:
    key: str  # unique within its system
    object: str  # the object it applies to
    label: str
    run: Run  # (system, record, values) -> what happened
    fields: tuple[ActionField, ...] = ()
    applies: Callable[[dict[str, Any]], bool] | None = None  # offered only for records like this
    description: str = ""

    def initial(self, record: dict[str, Any]) -> dict[str, str]:
        out = {}
        for f in self.fields:
            value = record.get(f.source) if f.source else None
            out[f.name] = f.default if value in (None, "") else str(value)
        return out

    def values(self, given: dict[str, Any]) -> dict[str, str]:
        """The form values, checked: required fields present, numbers numeric, choices known."""
        out: dict[str, str] = {}
        for f in self.fields:
            raw = given.get(f.name)
            value = "" if raw is None else str(raw).strip()
            if not value:
                if f.required:
                    raise ActionError(f"{f.label} is required")
                continue
            if f.kind == "number":
                try:
                    float(value)
                except ValueError:
                    raise ActionError(f"{f.label} must be a number") from None
            if f.kind == "select" and f.choices and value not in f.choices:
                raise ActionError(f"{f.label} must be one of: {', '.join(f.choices)}")
            out[f.name] = value
        return out


def api_error(status: int, payload: Any) -> ActionError:
    """An ActionError carrying the system's own refusal message (any of the four error shapes)."""
    message = ""
    if isinstance(payload, list) and payload and isinstance(payload[0], dict):
        message = payload[0].get("message", "")
    elif isinstance(payload, dict):
        if isinstance(payload.get("errors"), list) and payload["errors"]:
            message = payload["errors"][0].get("message", "")
        elif isinstance(payload.get("o:errorDetails"), list) and payload["o:errorDetails"]:
            message = payload["o:errorDetails"][0].get("detail", "")
        elif isinstance(payload.get("error"), dict):
            message = payload["error"].get("message", "")
    return ActionError(f"the system refused the change (HTTP {status}): {message or payload}")
