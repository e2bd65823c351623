"""Nodes that park their run: wait (a duration, a time, a callback, a record change) and human approval.

A parked run holds no worker: the node raises :class:`Suspend` with when it should run again, the
executor stores that in the database and frees the worker, and the sweeper (or a callback, or a person's
decision) resumes it, surviving restarts of every process. On resume ``ctx.resume`` says why.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from flowbuilder.core.errors import NodeError

from ..base import ApprovalSpec, BaseNode, Items, NodeContext, Port, PortItems, Suspend
from ..expressions import evaluate_field, render_template
from ._helpers import expression_property, get_path, item_bindings, require_main

UNITS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}


def _now() -> datetime:
    return datetime.now(UTC)


def _hours(config: dict[str, Any], key: str) -> timedelta | None:
    value = config.get(key)
    return timedelta(hours=float(value)) if value not in (None, "", 0) else None


def _parse_until(value: Any, ctx: NodeContext) -> datetime:
    """An ISO date-time; one without an offset is the customer's local time (the organisation's zone)."""
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value or "").strip()
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise NodeError(
                f"Wait until {text!r} is not a date-time.",
                hint="Use ISO 8601, e.g. 2026-12-24T09:00 (the customer's local time) or with an offset.",
            ) from exc
    if moment.tzinfo is None:
        zone = ctx.timezone() if ctx.timezone else UTC
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


class WaitNode(BaseNode):
    type = "flow.wait"
    label = "Wait"
    category = "Flow"
    icon = "hourglass"
    description = (
        "Pause the run for a while, until a time, until a callback arrives, or until a record changes."
    )
    docs = (
        "The run parks while it waits: no worker is held, and it survives restarts.\n\n"
        "* **For a duration**: e.g. 2 hours.\n"
        "* **Until a time**: an ISO date-time; without an offset it is the customer's local time.\n"
        "* **Until called back**: an outside system calls this step's resume URL (`$run.resume_url` in the "
        "node itself, shown in the run view); its JSON body arrives as `callback` on each item.\n"
        "* **Until a record changes**: every few minutes, read a record through a connection and go on when "
        "the **Condition** (JSONata over the record) is true; the record arrives as `record`.\n\n"
        "With a **Timeout**, items leave on **timeout** when nothing happened in time."
    )
    side_effects = True  # parks the run; record mode reads an outside system
    outputs = (Port("main", "Resumed"), Port("timeout", "Timed out"))
    config_schema: ClassVar[dict] = {
        "type": "object",
        "properties": {
            "mode": {
                "type": "string",
                "title": "Wait",
                "enum": ["duration", "until", "callback", "record"],
                "default": "duration",
            },
            "amount": {"type": "number", "title": "Amount", "minimum": 0, "default": 1},
            "unit": {"type": "string", "title": "Unit", "enum": list(UNITS), "default": "hours"},
            "until": {
                "type": "string",
                "title": "Until",
                "description": "ISO date-time; without an offset, the customer's local time. {{ }} allowed.",
            },
            "timeout_hours": {"type": "number", "title": "Timeout (hours)", "minimum": 0},
            "connection": {"type": "string", "title": "Connection"},
            "action": {"type": "string", "title": "Read action", "description": "e.g. get_record"},
            "params": {"type": "object", "title": "Action input ({{ }} allowed)", "default": {}},
            "condition": expression_property("Condition", "JSONata over $item.record; true goes on."),
            "check_every_minutes": {
                "type": "number",
                "title": "Check every (minutes)",
                "minimum": 1,
                "default": 5,
            },
        },
        "required": ["mode"],
        "additionalProperties": False,
    }
    expression_fields = ("condition",)

    @classmethod
    def extra_findings(cls, config: dict[str, Any]) -> list[tuple[str, str]]:
        mode = config.get("mode", "duration")
        if mode == "until" and not config.get("until"):
            return [("until", "Say until when to wait.")]
        if mode == "record":
            return [
                (f, "Required when waiting for a record.")
                for f in ("connection", "action", "condition")
                if not config.get(f)
            ]
        return []

    def run(self, ctx: NodeContext, inputs: PortItems) -> PortItems:
        items = list(require_main(inputs))
        mode = self.config.get("mode", "duration")
        resume = ctx.resume
        if resume is None:
            return self._start(ctx, items, mode)
        state = dict(resume.get("state") or {})
        payload = resume.get("payload") or {}
        if payload.get("reason") == "callback":
            body = payload.get("body")
            return {"main": [{**item, "callback": body} for item in items] or [{"callback": body}]}
        deadline = datetime.fromisoformat(state["deadline"]) if state.get("deadline") else None
        if mode == "record":
            record = self._read_record(ctx, items)
            if self._condition_met(ctx, items, record):
                return {"main": [{**item, "record": record} for item in items]}
            if deadline is None or _now() < deadline:
                raise Suspend(until=self._next_check(deadline), state=state, reason="record")
        if mode in ("callback", "record"):
            return {"timeout": items}  # the timer woke it: nothing came in time
        return {"main": items}  # a duration or a time has passed

    def _start(self, ctx: NodeContext, items: Items, mode: str) -> PortItems:
        timeout = _hours(self.config, "timeout_hours")
        deadline = _now() + timeout if timeout else None
        state = {"mode": mode, "deadline": deadline.isoformat() if deadline else None}
        if mode == "duration":
            seconds = float(self.config.get("amount", 1)) * UNITS.get(self.config.get("unit", "hours"), 3600)
            raise Suspend(until=_now() + timedelta(seconds=seconds), state=state, reason="duration")
        if mode == "until":
            bindings = ctx.expression_context(items[0] if items else None)
            until = _parse_until(render_template(self.config.get("until"), bindings), ctx)
            if until <= _now():
                return {"main": items}
            raise Suspend(until=until, state={**state, "until": until.isoformat()}, reason="until")
        if mode == "callback":
            url = ctx.resume_url() if ctx.resume_url else ""
            raise Suspend(until=deadline, state={**state, "resume_url": url}, reason="callback")
        if mode == "record":
            record = self._read_record(ctx, items)
            if self._condition_met(ctx, items, record):
                return {"main": [{**item, "record": record} for item in items]}
            raise Suspend(until=self._next_check(deadline), state=state, reason="record")
        raise NodeError(f"Unknown wait mode {mode!r}.", hint="Pick duration, until, callback or record.")

    def _next_check(self, deadline: datetime | None) -> datetime:
        check = _now() + timedelta(minutes=float(self.config.get("check_every_minutes") or 5))
        return min(check, deadline) if deadline else check

    def _read_record(self, ctx: NodeContext, items: Items) -> Any:
        if ctx.connection is None:
            raise NodeError("This wait cannot read records here.", hint="Run it through the executor.")
        bindings = ctx.expression_context(items[0] if items else None)
        params = render_template(self.config.get("params") or {}, bindings)
        handle = ctx.connection(self.config["connection"])
        result = handle.run_action(self.config["action"], params, idempotency_key=ctx.idempotency_key())
        if isinstance(result, list):
            return result[0] if result else None
        return result

    def _condition_met(self, ctx: NodeContext, items: Items, record: Any) -> bool:
        if record is None:
            return False
        item = {**(items[0] if items else {}), "record": record}
        for _, _, bindings in item_bindings(ctx, [item]):
            return bool(evaluate_field(self.config["condition"], bindings))
        return False


class ApprovalNode(BaseNode):
    type = "flow.approval"
    label = "Approval"
    category = "Flow"
    icon = "badge-check"
    description = "Ask a person to approve or reject the items; route them by the decision."
    docs = (
        "The run waits for a person. Assignees (by **role** in this organisation, or by **user**) see the "
        "items as lines with the **Columns** and **Totals** you choose, in the approvals inbox and in an "
        "e-mail with a single-use link. They approve, reject with a reason, or (when **Editable fields** "
        "are set) edit those fields and approve. After **Timeout** the request escalates to the "
        "**Escalate to** assignees for the same time again, or, without escalation, the items leave on "
        "**timed out**. Every decision is in the audit trail."
    )
    side_effects = True
    outputs = (Port("approved", "Approved"), Port("rejected", "Rejected"), Port("timed_out", "Timed out"))
    config_schema: ClassVar[dict] = {
        "type": "object",
        "properties": {
            "title": {"type": "string", "title": "Title", "default": "Please approve", "maxLength": 300},
            "assignee_roles": {
                "type": "array",
                "title": "Assignee roles",
                "items": {"type": "string", "enum": ["admin", "approver", "operator", "builder"]},
                "default": ["approver"],
            },
            "assignee_users": {
                "type": "array",
                "title": "Assignee users",
                "items": {"type": "string"},
                "default": [],
            },
            "columns": {"type": "array", "title": "Columns", "items": {"type": "string"}, "default": []},
            "totals": {
                "type": "array",
                "title": "Totals (sum of a field)",
                "items": {"type": "string"},
                "default": [],
            },
            "editable_fields": {
                "type": "array",
                "title": "Editable fields",
                "items": {"type": "string"},
                "default": [],
            },
            "timeout_hours": {"type": "number", "title": "Timeout (hours)", "minimum": 0, "default": 48},
            "escalate_to_roles": {
                "type": "array",
                "title": "Escalate to roles",
                "items": {"type": "string"},
                "default": [],
            },
            "escalate_to_users": {
                "type": "array",
                "title": "Escalate to users",
                "items": {"type": "string"},
                "default": [],
            },
        },
        "additionalProperties": False,
    }

    def run(self, ctx: NodeContext, inputs: PortItems) -> PortItems:
        items = list(require_main(inputs))
        if ctx.approvals is None:
            raise NodeError("Approvals cannot be asked here.", hint="Run the flow through the executor.")
        resume = ctx.resume
        timeout = _hours(self.config, "timeout_hours")
        if resume is None:
            due = _now() + timeout if timeout else None
            bindings = ctx.expression_context(items[0] if items else None)
            spec = ApprovalSpec(
                title=str(render_template(self.config.get("title") or "Please approve", bindings)),
                items=items,
                columns=list(self.config.get("columns") or []),
                totals=self._totals(items),
                assignee_roles=list(self.config.get("assignee_roles") or []),
                assignee_users=list(self.config.get("assignee_users") or []),
                editable_fields=list(self.config.get("editable_fields") or []),
                due_at=due,
            )
            request_id = ctx.approvals.open(spec)
            raise Suspend(until=due, state={"approval_id": request_id, "level": 0}, reason="approval")
        state = dict(resume.get("state") or {})
        payload = resume.get("payload") or {}
        if payload.get("reason") == "decision":
            decided = {"by": payload.get("by"), "reason": payload.get("reason_text") or ""}
            if payload.get("decision") == "approve":
                approved = payload.get("items") or items
                return {
                    "approved": [
                        {**item, "approval": {**decided, "decision": "approved"}} for item in approved
                    ]
                }
            return {"rejected": [{**item, "approval": {**decided, "decision": "rejected"}} for item in items]}
        # The timer woke it: escalate once if configured, else time out.
        escalate_roles = list(self.config.get("escalate_to_roles") or [])
        escalate_users = list(self.config.get("escalate_to_users") or [])
        if state.get("level", 0) == 0 and (escalate_roles or escalate_users):
            due = _now() + (timeout or timedelta(hours=48))
            ctx.approvals.escalate(
                state["approval_id"], roles=escalate_roles, users=escalate_users, due_at=due
            )
            raise Suspend(until=due, state={**state, "level": 1}, reason="approval escalated")
        ctx.approvals.expire(state["approval_id"])
        return {"timed_out": items}

    def _totals(self, items: Items) -> dict[str, Any]:
        totals: dict[str, Any] = {}
        for field in self.config.get("totals") or []:
            values = [get_path(item, field) for item in items]
            numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
            totals[field] = round(sum(numbers), 2)
        totals["lines"] = len(items)
        return totals
