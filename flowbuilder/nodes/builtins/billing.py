"""Plan draft invoices from approved PSA work: one per project, billing period and currency.

Why a node and not a chain of maps: the rules a controller signs are easier to read, test and keep right in
one place. It decides, it writes nothing: the flow creates the drafts, asks for approval, posts and marks
the work invoiced in the PSA.

* Periods follow the customer's billing cycle (:mod:`.billing_cycles`); a period is drafted once its cut-off
  has passed. Its invoice's key is ``<prefix>-<project>-<period>`` (the ERP external id), so a rerun finds the
  same draft.
* A period whose invoice is posted is closed: work approved late for it goes to the next period that is not
  closed, never a second invoice and never an edit of the posted one. Work of a period whose draft waits for
  approval waits too.
* Rates come from the PSA's records (the rate card or assignment rate Kantata puts on a time entry, the
  bill rate Certinia puts on a timecard split); ERP item ids and tax codes come from per-entity tables
  (template parameters). Anything missing is an exception that says what to fix, and the project's
  invoice for that period waits for the fix: nothing is defaulted. Which PSA and ERP:
  :mod:`.billing_sources`, :mod:`.billing_targets`.
* A tax code is per line: an entity's entry in ``tax_codes`` is one code for every line, or a code per
  kind of line (``{"time": "STANDARD", "expense": "ZERO", "milestone": "STANDARD"}``). An entity with a
  per-kind entry but no code for a line's kind is an exception naming the key to add. An entity with no
  entry is an exception where the ERP needs a code on every line (NetSuite); Business Central then takes
  the tax from the customer's and item's posting setup (a company that uses VAT: give the codes).
* Lines are in the project's currency; an expense in another currency is either split onto an invoice of
  its own currency or converted with a declared rate (``expense_currency``); never summed raw.
* A project with a not-to-exceed cap (``not_to_exceed``) is never billed beyond it: a line that would go
  over is held as a ``not_to_exceed`` exception ("over NTE cap by X"), not billed. Certinia's cap is the
  project's bookings when its Apply Billing Cap box is ticked (the template maps it). Invoices in another
  currency count at the declared rate (``expense_currency.rates``, under ``split`` too); without one their
  lines are held, never counted raw.
* Write-ups and write-downs the PSA records (Certinia's miscellaneous adjustments, ``adjustments``) are
  lines of kind ``adjustment``: a write-up a positive line, a write-down a negative one, with the item and
  tax code of that kind. A write-down counts against the cap first (it lowers what the invoice bills); an
  invoice whose write-downs exceed its work is not drafted (an invoice cannot be negative): a
  ``needs_review`` exception says so. A customer on the milestone cycle has no invoice but its milestones':
  a write-up/down rides on the project's next milestone invoice (the earliest one drafted in the run) and
  waits while none is (a milestone invoice awaiting approval, or rejected, is not reopened for it).
* A rejected draft is not drafted again while its work is unchanged: the same invoice would reach the
  approver every run. The planner compares the fingerprint of the period's work (each line's PSA id and
  amount) with the one the flow recorded on the rejected draft; unchanged, the period is held as a
  ``needs_review`` exception naming who rejected it and why (it stays open in the failure inbox while held
  and clears when the period is drafted again). Changed work is drafted again: in place where the ERP
  overwrites a draft by its key (NetSuite), else the rejected draft leaves on ``replace`` to be deleted
  and the next run drafts the period (Business Central). Deleting the rejected draft in the ERP drafts
  unchanged work again (a rejection for another reason, since fixed).
* Every exception leaves on the ``exceptions`` port and lands in the failure inbox under its category.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from flowbuilder.core.errors import NodeError

from ..base import BaseNode, NodeContext, Port, PortItems
from ..expressions import render_template
from .billing_cycles import CYCLES, Period, is_closed, next_period, parse_day, period_of
from .billing_sources import READERS, Unit, text
from .billing_targets import ERPS, PENDING, POSTED, REJECTED, Erp, Existing


@dataclass
class Draft:
    key: str
    project: dict[str, Any]
    period: Period
    currency: str
    units: list[Unit] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)
    fingerprint: str = ""


def _exception(category: str, what: str, fix: str, **where: Any) -> dict[str, Any]:
    return {**where, "exception": {"category": category, "problem": what, "what_to_fix": fix}}


def plan_invoices(
    *,
    time: list[dict],
    expenses: list[dict],
    stories: list[dict],
    milestones: list[dict],
    projects: list[dict],
    existing: list[dict],
    adjustments: Sequence[dict] = (),
    cycles: dict[str, Any],
    items: dict[str, Any],
    tax_codes: dict[str, Any],
    expense_currency: dict[str, Any],
    key_prefix: str,
    today: date,
    psa: str = "kantata",
    erp: str = "netsuite",
) -> dict[str, list[dict[str, Any]]]:
    """Drafts to create, exceptions to fix and work that waits (see the module docstring). ``psa`` and
    ``erp`` name the systems whose records come in and whose invoices go out (:mod:`.billing_sources`,
    :mod:`.billing_targets`)."""
    target = ERPS[erp]
    by_ws = {text(p.get("workspace_id")): p for p in projects}
    invoices_found = [target.existing(i) for i in existing]
    status = {found.key: found.state for found in invoices_found}
    rejected = {found.key: found for found in invoices_found if found.state == REJECTED}
    drafts: dict[str, Draft] = {}
    exceptions: list[dict[str, Any]] = []
    waiting: list[dict[str, Any]] = []
    rule = expense_currency.get("rule") or "split"
    rates = expense_currency.get("rates") or {}

    units = READERS[psa](time, expenses, stories, milestones, adjustments)
    # Adjustments last: on the milestone cycle one rides on a milestone invoice planned before it.
    for unit in sorted(units, key=lambda u: u.kind == "adjustment"):
        where = {"workspace_id": unit.workspace_id, "ref": unit.ref}
        project = by_ws.get(unit.workspace_id)
        if project is None:
            # Not a project this flow bills (Quote to project links the ones it hands over).
            waiting.append({**where, "reason": "the project is not linked to an ERP project"})
            continue
        customer = text(project.get("customer_id"))
        setup = cycles.get(customer) or cycles.get("default")
        if not isinstance(setup, dict) or setup.get("cycle") not in CYCLES:
            exceptions.append(
                _exception(
                    "validation",
                    f"{unit.ref}: customer {customer} has no billing cycle.",
                    f"Add the customer to the template's billing cycles ({', '.join(CYCLES)}).",
                    **where,
                )
            )
            continue
        cycle, cutoff = setup["cycle"], int(setup.get("cutoff_days") or 0)
        stem = f"{key_prefix}-{_key_id(project)}"
        if cycle == "milestone":
            milestone_id = unit.milestone_id
            if not milestone_id and unit.kind == "adjustment":
                milestone_id = _next_milestone(drafts.values(), stem, rejected)
            if not milestone_id:
                reason = (
                    _NEXT_MILESTONE if unit.kind == "adjustment" else "billed when its milestone is accepted"
                )
                waiting.append({**where, "reason": reason})
                continue
            period = Period(f"M{milestone_id}", unit.day or today, unit.day or today)
        else:
            if unit.day is None:
                exceptions.append(
                    _exception(
                        "validation", f"{unit.ref} has no date.", "Give it a date in the PSA.", **where
                    )
                )
                continue
            period = period_of(unit.day, cycle)
        key = f"{stem}-{period.id}"
        while status.get(key) == POSTED and cycle != "milestone":
            period = next_period(period, cycle)  # late work: the next period that is not invoiced yet
            key = f"{stem}-{period.id}"
        if status.get(key) == POSTED:
            continue  # a milestone already on its posted invoice
        if status.get(key) == PENDING:
            waiting.append({**where, "key": key, "reason": "its period's draft waits for approval"})
            continue
        if cycle != "milestone" and not is_closed(period, cutoff, today):
            waiting.append({**where, "key": key, "reason": f"period {period.id} is before its cut-off"})
            continue

        currency = text(project.get("currency"))
        if unit.currency and unit.currency != currency:
            if unit.kind != "expense":
                exceptions.append(
                    _exception(
                        "refused_value",
                        f"{unit.ref} is in {unit.currency}, the project bills in {currency}.",
                        "Correct the entry's currency in the PSA.",
                        **where,
                    )
                )
                continue
            if rule == "convert":
                rate = rates.get(f"{unit.currency}:{currency}")
                if not rate:
                    exceptions.append(
                        _exception(
                            "missing_reference",
                            f"{unit.ref}: no conversion rate {unit.currency} to {currency}.",
                            f"Add '{unit.currency}:{currency}' to the template's expense currency rates.",
                            **where,
                        )
                    )
                    continue
                unit.description += f" ({unit.rate:.2f} {unit.currency} at {rate})"
                unit.rate = round(float(unit.rate or 0) * float(rate), 2)
            else:
                currency, key = unit.currency, f"{key}-{unit.currency}"
        if len(key) > target.key_length:
            exceptions.append(
                _exception(
                    "validation",
                    f"{unit.ref}: the invoice key {key} is longer than the ERP's {target.key_length} "
                    "characters.",
                    "Shorten the template's invoice key prefix (or the ERP project numbers).",
                    **where,
                )
            )
            continue
        draft = drafts.setdefault(key, Draft(key, project, period, currency))
        draft.units.append(unit)
        entity = _entity(project)
        if unit.kind == "time" and not unit.rate:
            draft.problems.append(
                _exception(
                    "missing_reference",
                    f"{unit.ref}: time entry {unit.source_id} has no bill rate.",
                    "Give the person's role a rate on the project's rate card (or an assignment or project "
                    "rate) in the PSA, then rerun.",
                    **where,
                    key=key,
                )
            )
        if not text((items.get(entity) or {}).get(unit.kind)):
            draft.problems.append(
                _exception(
                    "missing_reference",
                    f"{unit.ref}: no ERP item for {unit.kind} lines of entity {entity}.",
                    f"Set items['{entity}']['{unit.kind}'] in the template's parameters.",
                    **where,
                    key=key,
                )
            )
        mapping = tax_codes.get(entity)
        if isinstance(mapping, dict) and not text(mapping.get(unit.kind)):
            draft.problems.append(
                _exception(
                    "missing_reference",
                    f"{unit.ref}: no tax code for {unit.kind} lines of entity {entity}.",
                    f"Set tax_codes['{entity}']['{unit.kind}'] in the template's parameters.",
                    **where,
                    key=key,
                )
            )
        elif target.tax_required and not _tax_code(tax_codes, entity, unit.kind):
            draft.problems.append(
                _exception(
                    "missing_reference",
                    f"{unit.ref}: no tax code for entity {entity}.",
                    f"Set tax_codes['{entity}'] in the template's parameters.",
                    **where,
                    key=key,
                )
            )

    ready, replace = [], []
    for draft in drafts.values():
        if draft.problems:
            exceptions.extend(draft.problems)  # the whole invoice waits: no partial invoice for a period
            continue
        draft.fingerprint = fingerprint(draft.units)
        refused = rejected.get(draft.key)
        if refused is not None:
            if refused.fingerprint in ("", draft.fingerprint):
                exceptions.append(_held_rejected(draft, refused, target))
                continue
            if not target.redraft_in_place:
                replace.append(
                    {"key": draft.key, "invoice_id": refused.record_id, "workspace_id": _workspace(draft)}
                )
                waiting.extend(
                    {"workspace_id": u.workspace_id, "ref": u.ref, "key": draft.key, "reason": _REPLACING}
                    for u in draft.units
                )
                continue
        ready.append(draft)
    exceptions.extend(_hold_over_cap(ready, invoices_found, key_prefix, rates))
    exceptions.extend(_hold_negative(ready))
    invoices = [_invoice(draft, items, tax_codes, target, psa) for draft in ready if draft.units]
    return {"invoices": invoices, "exceptions": exceptions, "waiting": waiting, "replace": replace}


_REPLACING = "its period's rejected draft is deleted first (the work changed); the next run drafts it"
_NEXT_MILESTONE = "billed on the project's next milestone invoice (none is drafted now)"


def _next_milestone(drafts: Iterable[Draft], stem: str, rejected: dict[str, Existing]) -> str:
    """The milestone whose invoice the project's write-ups/downs ride on, on the milestone cycle: the
    earliest (by the milestone's date) of the project's milestone invoices drafted in this run, in the
    project's currency; "" when none is (the adjustment waits for the next one). A milestone invoice a
    person rejected is never one: riding on it would change its work and send the rejected milestone
    back to the approver unchanged."""
    found = [
        d
        for d in drafts
        if d.period.id.startswith("M") and d.key == f"{stem}-{d.period.id}" and d.key not in rejected
    ]
    if not found:
        return ""
    first = min(found, key=lambda d: (d.period.start, d.key))
    return first.period.id[1:]


def fingerprint(units: list[Unit]) -> str:
    """What work a draft holds: each line's PSA reference and amount, in a stable order. Recorded on a
    rejected draft; the same fingerprint next run means the work did not change."""
    lines = sorted(f"{u.ref}={_amount(u):.2f}" for u in units)
    return hashlib.sha256("|".join(lines).encode()).hexdigest()[:16]


def _workspace(draft: Draft) -> str:
    return text(draft.project.get("workspace_id"))


def _held_rejected(draft: Draft, refused: Existing, target: Erp) -> dict[str, Any]:
    project = draft.project
    name = text(project.get("project_title")) or _workspace(draft)
    who = f"by {refused.rejected_by}" if refused.rejected_by else "in its approval"
    why = f": {refused.reason}" if refused.reason else " (who and why: the approval request)"
    unchanged = "its work has not changed" if refused.fingerprint else "its work was not recorded"
    return _exception(
        "needs_review",
        f"The invoice for project {name} ({_workspace(draft)}), period {draft.period.id} ({draft.key}) was "
        f"rejected {who}{why}; {unchanged}, so it is not drafted again.",
        "Fix the work in the PSA (time, expenses, rates); when it changes the period is drafted again. If "
        "it was rejected for another reason (now fixed) and the same work should be drafted again, "
        + target.redraft_hint.format(key=draft.key)
        + ".",
        workspace_id=_workspace(draft),
        key=draft.key,
        period=draft.period.id,
        rejected_by=refused.rejected_by,
        reason=refused.reason,
    )


def _key_id(project: dict[str, Any]) -> str:
    """What names the project in an invoice key: ``key_id`` (e.g. the ERP project number, when the PSA's
    ids are too long for the ERP's external id field), else the PSA project id."""
    return text(project.get("key_id") or project.get("workspace_id"))


def _entity(project: dict[str, Any]) -> str:
    """The legal entity whose items and tax codes apply: the NetSuite subsidiary; a Business Central
    connection is one company, ``default`` unless the template says otherwise."""
    return text(project.get("subsidiary_id")) or "default"


def _tax_code(tax_codes: dict[str, Any], entity: str, kind: str) -> str:
    """The entity's tax code for a line of ``kind``: its one code, or its code for that kind; "" if none."""
    mapping = tax_codes.get(entity)
    if isinstance(mapping, dict):
        return text(mapping.get(kind))
    return text(mapping)


def _amount(unit: Unit) -> float:
    return round(unit.quantity * float(unit.rate or 0), 2)


def _hold_over_cap(
    drafts: list[Draft], existing: list[Existing], key_prefix: str, rates: dict[str, Any]
) -> list[dict[str, Any]]:
    """Take the lines that would bill a project beyond its not-to-exceed cap off the drafts.

    A project's cap (``not_to_exceed``, in its currency: a budgeted Kantata workspace's price) covers what
    its invoices billed so far (every invoice of this flow for the project but the rejected ones, at their
    total) and the drafts planned now, period by period: a draft's write-downs first (they lower what it
    bills), then its lines in date order. A line that does not fit stays unbilled and becomes a
    ``not_to_exceed`` exception saying by how much it is over; a later, smaller line that still fits is
    billed. An invoice in another currency (expenses split per currency) counts at the declared rate
    (``expense_currency.rates``, ``"USD:GBP"``), never at its raw amount: without a rate its lines are held
    (``missing_reference``), and a project whose billed-so-far cannot be totalled bills nothing until the
    rate is declared.
    """
    held: list[dict[str, Any]] = []
    by_project: dict[str, list[Draft]] = {}
    for draft in drafts:
        by_project.setdefault(text(draft.project.get("workspace_id")), []).append(draft)
    for workspace, group in by_project.items():
        project = group[0].project
        try:
            cap = float(project.get("not_to_exceed"))
        except (TypeError, ValueError):
            continue  # no cap recorded in the PSA
        if cap <= 0:
            continue
        currency = text(project.get("currency"))
        stem = f"{key_prefix}-{_key_id(project)}"
        billed, unknown = 0.0, set()
        for inv in existing:
            if not inv.key.startswith(f"{stem}-") or inv.state == REJECTED:
                continue
            rate = _cap_rate(_split_currency(inv.key, stem) or currency, currency, rates)
            if rate is None:
                unknown.add(_split_currency(inv.key, stem))
            else:
                billed += inv.total * rate
        if unknown:
            held.extend(_hold_uncounted(group, workspace, currency, sorted(unknown)))
            continue
        used = round(billed, 2)
        for draft in sorted(group, key=lambda d: (d.period.start, d.key)):
            rate = _cap_rate(draft.currency, currency, rates)
            if rate is None:
                held.extend(_hold_without_rate(draft, workspace, currency))
                continue
            kept = []
            for unit in sorted(draft.units, key=lambda u: (_amount(u) >= 0, u.day or date.min, u.ref)):
                amount = round(_amount(unit) * rate, 2)
                if round(used + amount, 2) <= cap:
                    used = round(used + amount, 2)
                    kept.append(unit)
                    continue
                over = round(used + amount - cap, 2)
                at = "" if rate == 1 else f" ({_amount(unit):.2f} {draft.currency} at {rate})"
                held.append(
                    _exception(
                        "not_to_exceed",
                        f"{unit.ref}: over NTE cap by {over:.2f} {currency} (cap {cap:.2f}, billed and "
                        f"planned {used:.2f}, this line {amount:.2f}{at}).",
                        "Raise the project's not-to-exceed cap in the PSA (a change order) or write the "
                        "line down, then rerun the billing; the line is not billed until then.",
                        workspace_id=workspace,
                        ref=unit.ref,
                        key=draft.key,
                        over=over,
                    )
                )
            draft.units = kept
    return held


_SPLIT_SUFFIX = re.compile(r"-(?P<currency>[A-Z]{3})$")


def _split_currency(key: str, stem: str) -> str:
    """The currency of an invoice split off for expenses in another currency (its key ends ``-USD``; no
    period id does), "" for the project's own currency."""
    found = _SPLIT_SUFFIX.search(key[len(stem) :])
    return found["currency"] if found else ""


def _cap_rate(currency: str, cap_currency: str, rates: dict[str, Any]) -> float | None:
    if not currency or currency == cap_currency:
        return 1.0
    try:
        rate = float(rates.get(f"{currency}:{cap_currency}") or 0)
    except (TypeError, ValueError):
        return None
    return rate if rate > 0 else None


def _rate_fix(currency: str, cap_currency: str) -> str:
    return (
        f"Add '{currency}:{cap_currency}' to the template's expense currency rates (it is used to count "
        f"{currency} invoices against the cap; they stay in {currency}), then rerun the billing."
    )


def _hold_without_rate(draft: Draft, workspace: str, cap_currency: str) -> list[dict[str, Any]]:
    held = [
        _exception(
            "missing_reference",
            f"{unit.ref}: the project has a not-to-exceed cap in {cap_currency} and no rate converts this "
            f"{draft.currency} line to it.",
            _rate_fix(draft.currency, cap_currency),
            workspace_id=workspace,
            ref=unit.ref,
            key=draft.key,
        )
        for unit in draft.units
    ]
    draft.units = []
    return held


def _hold_uncounted(
    group: list[Draft], workspace: str, cap_currency: str, currencies: list[str]
) -> list[dict[str, Any]]:
    """Invoices already billed in a currency without a rate: the cap's headroom is unknown, so nothing of
    the project is billed (one exception per draft, its lines stay unbilled)."""
    held = []
    for draft in group:
        held.append(
            _exception(
                "missing_reference",
                f"The invoice {draft.key} is not drafted: the project's not-to-exceed cap is in "
                f"{cap_currency} and it was already billed in {', '.join(currencies)}, which no rate "
                "converts, so what is left under the cap is unknown.",
                _rate_fix(currencies[0], cap_currency),
                workspace_id=workspace,
                key=draft.key,
                refs=[u.ref for u in draft.units],
            )
        )
        draft.units = []
    return held


def _hold_negative(drafts: list[Draft]) -> list[dict[str, Any]]:
    """Take drafts whose write-downs exceed their work off the plan: an invoice cannot bill a negative
    total (a credit is a credit memo). Each becomes one ``needs_review`` exception; its lines stay
    unbilled."""
    held = []
    for draft in drafts:
        total = round(sum(_amount(u) for u in draft.units), 2)
        if not draft.units or total >= 0:
            continue
        downs = [u.ref for u in draft.units if _amount(u) < 0]
        held.append(
            _exception(
                "needs_review",
                f"The invoice {draft.key} (period {draft.period.id}) would total {total:.2f} "
                f"{draft.currency}: its write-downs ({', '.join(downs)}) exceed its billable work.",
                "Give the write-down an effective date in a period with billable work, or credit the "
                "customer in the ERP (a credit memo) and put the adjustment on billing hold in the PSA.",
                workspace_id=_workspace(draft),
                key=draft.key,
                period=draft.period.id,
                ref=downs[0],
            )
        )
        draft.units = []
    return held


def _invoice(
    draft: Draft, items: dict[str, Any], tax_codes: dict[str, Any], erp: Erp, psa: str
) -> dict[str, Any]:
    entity = _entity(draft.project)
    units = sorted(draft.units, key=lambda u: (_ORDER[u.kind], u.ref))
    lines, summary, taxes = [], [], []
    for index, u in enumerate(units):
        amount = _amount(u)
        tax = _tax_code(tax_codes, entity, u.kind)
        taxes.append(tax)
        lines.append(erp.line(u, text(items[entity][u.kind]), tax, amount, index))
        summary.append(f"{u.description}: {u.quantity:g} x {u.rate:.2f} = {amount:.2f}")

    def total(kind: str) -> float:
        return round(sum(_amount(u) for u in units if u.kind == kind), 2)

    def ids(kind: str) -> list[Any]:
        # Kantata's ids are numbers (its invoices endpoint takes them so); Certinia's are Salesforce ids.
        found = [u.source_id for u in units if u.kind == kind]
        return [int(i) for i in found] if psa == "kantata" else found

    hours = round(sum(u.hours for u in units), 2)
    grand = round(sum(_amount(u) for u in units), 2)
    project = draft.project
    return {
        "key": draft.key,
        "fingerprint": draft.fingerprint,
        "workspace_id": text(project.get("workspace_id")),
        "netsuite_project_id": text(project.get("netsuite_project_id")),
        "erp_project_id": text(project.get("erp_project_id") or project.get("netsuite_project_id")),
        "customer_id": text(project.get("customer_id")),
        "customer": project.get("customer_name") or "",
        "subsidiary_id": entity,
        "currency": draft.currency,
        "tax_code": ", ".join(dict.fromkeys(t for t in taxes if t)),  # the lines' codes, for the approver
        "period": draft.period.id,
        "period_start": draft.period.start.isoformat(),
        "period_end": draft.period.end.isoformat(),
        "lines": lines,
        "line_summary": "; ".join(summary),
        "refs": [u.ref for u in units],
        "time_entry_ids": ids("time"),
        "expense_ids": ids("expense"),
        "milestone_ids": [u.source_id for u in units if u.kind == "milestone"],
        "adjustment_ids": [u.source_id for u in units if u.kind == "adjustment"],
        "hours": hours,
        "time_amount": total("time"),
        "expenses": total("expense"),
        "fixed_fees": total("milestone"),
        "adjustments": total("adjustment"),  # write-ups less write-downs
        "total": grand,
        "line_count": len(lines),
        "memo": f"Billing {draft.period.id} ({draft.period.start} to {draft.period.end}), {draft.currency}: "
        f"{hours:g} h T&M, expenses {total('expense'):.2f}, fixed fees {total('milestone'):.2f}"
        + (f", adjustments {total('adjustment'):.2f}" if ids("adjustment") else ""),
    }


_ORDER = {"time": 0, "expense": 1, "milestone": 2, "adjustment": 3}  # line order on the invoice


OBJECT = {"type": "object", "default": {}}


class PlanInvoices(BaseNode):
    type = "billing.plan_invoices"
    label = "Plan invoices"
    category = "Billing"
    icon = "receipt"
    description = (
        "Turn approved time, expenses, milestones and write-ups/downs into one draft invoice per project and "
        "period."
    )
    docs = (
        "**Work comes from** Kantata (time entries, expenses, stories, milestones) or Certinia (timecard "
        "splits, expenses, fixed-fee milestones, milestones, miscellaneous adjustments); **invoices go to** "
        "NetSuite or Business Central. Inputs: **time**, **expenses**, **stories** (which tasks are "
        "fixed-fee milestones), **milestones** not invoiced yet, **adjustments** (Certinia write-ups and "
        "write-downs: approved for billing, Ready-to-Bill Revenue; lines of kind `adjustment`, a write-down "
        "negative; on the milestone cycle one rides on the project's next milestone invoice), **projects** "
        "(`workspace_id`: the PSA project, optional `key_id` "
        "naming it in the invoice key, `erp_project_id`, `customer_id`, `subsidiary_id`, `currency`, "
        "optional `not_to_exceed` cap) and the **existing** invoices (NetSuite `externalid`, "
        "`approvalstatus`, `foreigntotal`; Business Central `externalDocumentNumber`, `status`, "
        "`totalAmountExcludingTax`). **Billing cycles** per customer id "
        "(or `default`): "
        '`{"cycle": "monthly|semi-monthly|weekly|milestone", "cutoff_days": 3}`. **Items** per entity: '
        '`{"<subsidiary>": {"time": "<item id>", "expense": "…", "milestone": "…", "adjustment": "…"}}`; '
        "**Tax codes** per "
        'entity, one for every line (`{"<subsidiary>": "<code>"}`) or one per kind of line (`{"default": '
        '{"time": "STANDARD", "expense": "ZERO", "milestone": "STANDARD"}}`): each line carries its code, a '
        "kind without one is an exception (Business Central without an entry: the posting setup decides). "
        "**Expense currency**: `split` (an invoice per currency) or `convert` with `rates` "
        '(`{"GBP:USD": 1.27}`); under `split` the rates, when given, count other-currency invoices '
        "against a cap (without one, a capped project's other-currency lines are held). Drafts leave on "
        "**invoices**, problems on **exceptions** (category, problem, "
        "what to fix; that project's invoice for the period waits; each lands in the failure inbox), lines "
        "over a not-to-exceed cap are held as `not_to_exceed` exceptions (write-downs count first), an "
        "invoice whose write-downs exceed its work is a `needs_review` exception, the rest leaves on "
        "**waiting**. "
        "A **rejected** draft (NetSuite `approvalstatus` 3 with the flow's `memo`; Business Central "
        "`customerPurchaseOrderReference` `Rejected <fingerprint>`) is not drafted again while its work "
        "(each line's PSA id and amount: the invoice's `fingerprint`) is unchanged: a `needs_review` "
        "exception names who rejected it, why, and what to do. Changed work is drafted again (NetSuite: in "
        "place; Business Central: the rejected draft leaves on **replace** to be deleted, the next run "
        "drafts it). Deleting the rejected draft in the ERP drafts unchanged work again."
    )
    inputs = (
        Port("time", "Time entries"),
        Port("expenses", "Expenses"),
        Port("stories", "Tasks"),
        Port("milestones", "Milestones to bill"),
        Port("projects", "Projects"),
        Port("adjustments", "Write-ups and write-downs"),
        Port("existing", "Existing invoices"),
    )
    outputs = (
        Port("invoices", "Draft invoices"),
        Port("exceptions", "Exceptions"),
        Port("waiting", "Waiting"),
        Port("replace", "Rejected drafts to delete"),
    )
    exception_ports = ("exceptions",)  # each lands in the failure inbox under its category
    exceptions_complete = True  # every run plans all open work: an exception not raised again is fixed
    config_schema: ClassVar[dict] = {
        "type": "object",
        "properties": {
            "psa": {
                "type": "string",
                "title": "Work comes from",
                "enum": sorted(READERS),
                "default": "kantata",
            },
            "erp": {"type": "string", "title": "Invoices go to", "enum": sorted(ERPS), "default": "netsuite"},
            "key_prefix": {"type": "string", "title": "Invoice key prefix", "default": "FB-BILL"},
            "as_of": {
                "type": "string",
                "title": "As of (date)",
                "description": "The billing date; empty: today (UTC). Use the trigger's scheduled time.",
                "default": "",
            },
            "cycles": {**OBJECT, "title": "Billing cycles per customer"},
            "items": {**OBJECT, "title": "ERP items per entity"},
            "tax_codes": {**OBJECT, "title": "Tax codes per entity"},
            "expense_currency": {
                "type": "object",
                "title": "Expenses in another currency",
                "default": {"rule": "split"},
                "properties": {
                    "rule": {"type": "string", "enum": ["split", "convert"]},
                    "rates": {"type": "object", "additionalProperties": {"type": "number"}},
                },
            },
        },
        "additionalProperties": False,
    }

    def run(self, ctx: NodeContext, inputs: PortItems) -> PortItems:
        raw = self.config.get("as_of") or ""
        as_of = render_template(raw, ctx.expression_context(None)) if raw else ""
        today = parse_day(as_of) if as_of else datetime.now(UTC).date()
        if today is None:
            raise NodeError(f"As of {as_of!r} is not a date.", hint="Give an ISO date or leave it empty.")
        return plan_invoices(
            time=list(inputs.get("time") or []),
            expenses=list(inputs.get("expenses") or []),
            stories=list(inputs.get("stories") or []),
            milestones=list(inputs.get("milestones") or []),
            projects=list(inputs.get("projects") or []),
            adjustments=list(inputs.get("adjustments") or []),
            existing=list(inputs.get("existing") or []),
            cycles=dict(self.config.get("cycles") or {}),
            items=dict(self.config.get("items") or {}),
            tax_codes=dict(self.config.get("tax_codes") or {}),
            expense_currency=dict(self.config.get("expense_currency") or {}),
            key_prefix=self.config.get("key_prefix") or "FB-BILL",
            today=today,
            psa=self.config.get("psa") or "kantata",
            erp=self.config.get("erp") or "netsuite",
        )
