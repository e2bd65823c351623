"""Kantata seed: the firm's 300 users; per won deal a workspace with stories, time entries, expenses; the
project custom fields the billing flows write (an invoice's collection status on its project)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ..platform.seeding import Rows, World
from ..platform.timeutil import iso_offset, start_of_day
from .schema import ID_START, price_text

EXPENSE_CATEGORIES = ("Travel", "Lodging", "Meals", "Mileage", "Software", "Client Entertainment")
TASKS = (
    "Discovery workshops",
    "Current-state assessment",
    "Solution design",
    "Configuration",
    "Data migration",
    "Integration build",
    "User acceptance testing",
    "Training",
    "Go-live support",
    "Hypercare",
    "Steering committee",
    "Project management",
)


def seed(world: World, out: Rows) -> None:
    rng = world.rng

    def add(
        coll: str, created: datetime, values: dict[str, Any], modified: datetime | None = None
    ) -> dict[str, Any]:
        rid = str(out.next(f"kantata:{coll}", ID_START[coll]))
        modified = modified or min(world.anchor, created + timedelta(days=rng.uniform(0, 10)))
        record = {"id": rid, **values, "created_at": iso_offset(created), "updated_at": iso_offset(modified)}
        return out.add("kantata", coll, rid, record)

    users = [
        add(
            "users",
            world.when(900, 400),
            {
                "full_name": f"{p.first} {p.last}",
                "email_address": p.email,
                "headline": p.role,
                "photo_path": "/images/avatar.png",
                "account_id": "42",
                # the account membership's default rates (not part of the user's API shape)
                "_bill_rate_in_cents": p.bill * 100,
                "_cost_rate_in_cents": p.cost * 100,
            },
        )
        for p in world.people
    ]
    categories = {
        name: add_fixed(out, "expense_categories", world.anchor, {"name": name})
        for name in EXPENSE_CATEGORIES
    }
    _seed_rates(world, out)
    today = world.anchor.date()
    deals = sorted(world.won, key=lambda d: d.close)
    for deal in deals[: max(1, int(len(deals) * 0.95))]:
        start = deal.close + timedelta(days=rng.randint(5, 20))
        due = start + timedelta(days=rng.randint(60, 220))
        status = (
            ("green", 310, "In Progress")
            if start <= today <= due
            else ("grey", 400, "Completed")
            if due < today
            else ("blue", 100, "Not Started")
        )
        created = min(world.anchor, start_of_day(deal.close) + timedelta(days=rng.uniform(1, 4)))
        lead = rng.choice(users)
        ws = add(
            "workspaces",
            created,
            {
                "title": deal.name,
                "description": f"{deal.product} for {deal.org.name}",
                "budgeted": True,
                "price": price_text(int(deal.amount * 100)),
                "price_in_cents": int(deal.amount * 100),
                "currency": "USD",
                "start_date": start.isoformat(),
                "due_date": due.isoformat(),
                "archived": due < today - timedelta(days=90),
                "status": {"color": status[0], "key": str(status[1]), "message": status[2]},
                "creator_id": lead["id"],
                "client_role_name": "Client",
                "consultant_role_name": "Consultant",
                "rate_card_id": RATE_CARD_ID,
                "require_time_approvals": True,
                "require_expense_approvals": True,
            },
            modified=world.when(40, 0),
        )
        stories = []
        for t, title in enumerate(rng.sample(TASKS, rng.randint(4, 6))):
            s_start = start + timedelta(days=t * 14)
            state = (
                "completed"
                if s_start + timedelta(days=14) < today
                else "started"
                if s_start <= today
                else "not started"
            )
            stories.append(
                add(
                    "stories",
                    created,
                    {
                        "title": title,
                        "description": "",
                        "story_type": "task",
                        "state": state,
                        "workspace_id": ws["id"],
                        "parent_id": None,
                        "start_date": s_start.isoformat(),
                        "due_date": (s_start + timedelta(days=14)).isoformat(),
                        "budget_estimate_in_cents": rng.randint(20, 200) * 10000,
                        "time_estimate_in_minutes": rng.randint(10, 120) * 60,
                        "percentage_complete": 100
                        if state == "completed"
                        else rng.choice((0, 25, 50, 75))
                        if state == "started"
                        else 0,
                        "billable": True,
                    },
                )
            )
        team = rng.sample(users, rng.randint(3, 6))
        invoiced_entries: list[dict[str, Any] | None] = []
        invoiced_expenses: list[dict[str, Any]] = []
        span = max(1, min((today - start).days, (due - start).days))
        if start > today:
            continue
        for _ in range(rng.randint(20, 36)):
            member = rng.choice(team)
            performed = start + timedelta(days=rng.randint(0, span))
            if performed > today:
                continue
            age = (today - performed).days
            approved = age > 10 and rng.random() < 0.85
            person = world.people[int(member["id"]) - ID_START["users"]]
            logged = min(world.anchor, start_of_day(performed) + timedelta(hours=rng.randint(17, 40)))
            invoiced_entries.append(None)
            entry = add(
                "time_entries",
                logged,
                {
                    "workspace_id": ws["id"],
                    "story_id": rng.choice(stories)["id"],
                    "user_id": member["id"],
                    "date_performed": performed.isoformat(),
                    "time_in_minutes": rng.choice((30, 60, 90, 120, 180, 240, 360, 480)),
                    "billable": rng.random() < 0.9,
                    "notes": rng.choice(
                        ("", "Client call", "Workshop prep", "Build", "Testing", "Status report")
                    ),
                    "rate_in_cents": person.bill * 100,
                    "cost_rate_in_cents": person.cost * 100,
                    "currency": "USD",
                    "approved": approved,
                    "is_invoiced": approved and age > 40 and rng.random() < 0.7,
                    "taxable": False,
                },
                modified=min(world.anchor, logged + timedelta(days=rng.uniform(0, 9)))
                if approved
                else logged,
            )
            invoiced_entries[-1] = entry if entry["is_invoiced"] else None
        for _ in range(rng.randint(1, 5)):
            spent = start + timedelta(days=rng.randint(0, span))
            if spent > today:
                continue
            category = rng.choice(EXPENSE_CATEGORIES)
            approved = (today - spent).days > 10 and rng.random() < 0.8  # on an approved expense report
            expense = add(
                "expenses",
                min(world.anchor, start_of_day(spent) + timedelta(hours=20)),
                {
                    "workspace_id": ws["id"],
                    "user_id": rng.choice(team)["id"],
                    "date": spent.isoformat(),
                    "notes": f"{category} - {deal.org.city[0]}",
                    "category": category,
                    "expense_category_id": categories[category]["id"],
                    "amount_in_cents": rng.randint(15, 900) * 100,
                    "currency": "USD",
                    "is_billable": rng.random() < 0.85,
                    "reimbursable": True,
                    "is_invoiced": approved and rng.random() < 0.5,
                    "taxable": False,
                },
            )
            if expense["is_invoiced"]:
                invoiced_expenses.append(expense)
        _seed_invoice(out, ws, [e for e in invoiced_entries if e], invoiced_expenses)
    _seed_custom_fields(world, out)


RATE_CARD_ID = str(ID_START["rate_cards"])
# name -> value_type: where a billing flow reports an invoice's collection on the project it bills.
BILLING_FIELDS = {
    "Billing status": "string",
    "Billing invoice": "string",
    "Billing total": "currency",
    "Billing cash received": "currency",
    "Billing credited": "currency",
    "Billing open amount": "currency",
    "Billing days overdue": "number",
}


def _seed_custom_fields(world: World, out: Rows) -> None:
    """One Workspace custom field set holding the billing fields (no values: the flows write them).
    Fixed records, seeded after everything else, so they change no other record or id."""
    since = world.anchor - timedelta(days=900)
    fields: list[dict[str, Any]] = []
    field_set = add_fixed(out, "custom_field_sets", since, {"name": "Billing", "subject_type": "Workspace"})
    for name, value_type in BILLING_FIELDS.items():
        fields.append(
            add_fixed(
                out,
                "custom_fields",
                since,
                {
                    "name": name,
                    "value_type": value_type,
                    "custom_field_set_id": field_set["id"],
                    "creator_id": str(ID_START["users"]),
                    "choice_ids": [],
                    "default_text": None,
                    "unique_constraint": False,
                },
            )
        )
    field_set["custom_field_ids"] = [f["id"] for f in fields]


def add_fixed(out: Rows, coll: str, at: datetime, values: dict[str, Any]) -> dict[str, Any]:
    """A record that draws nothing from the random stream (adding one changes no later record)."""
    rid = str(out.next(f"kantata:{coll}", ID_START[coll]))
    stamp = iso_offset(at)
    return out.add("kantata", coll, rid, {"id": rid, **values, "created_at": stamp, "updated_at": stamp})


def _seed_rates(world: World, out: Rows) -> None:
    """The account's roles and one USD rate card whose rate per role is the role's usual bill rate."""
    bills: dict[str, list[int]] = {}
    for person in world.people:
        bills.setdefault(person.role, []).append(person.bill)
    since = world.anchor - timedelta(days=900)
    card = add_fixed(out, "rate_cards", since, {"title": "Standard (USD)", "currency": "USD"})
    version = add_fixed(
        out,
        "rate_card_versions",
        since,
        {"rate_card_id": card["id"], "effective_date": since.date().isoformat(), "default_rate": 15000},
    )
    role_rates = []
    for name in sorted(bills):
        role = add_fixed(out, "roles", since, {"name": name})
        rate = add_fixed(
            out,
            "rate_card_roles",
            since,
            {
                "rate_card_version_id": version["id"],
                "role_id": role["id"],
                "rate": round(sum(bills[name]) / len(bills[name])) * 100,
            },
        )
        role_rates.append(rate["id"])
    card["rate_card_version_ids"] = [version["id"]]
    version["rate_card_role_ids"] = role_rates


def _seed_invoice(
    out: Rows, ws: dict[str, Any], entries: list[dict[str, Any]], expenses: list[dict[str, Any]]
) -> None:
    """The invoice the invoiced time and expenses of a project went out on (one per project here)."""
    if not entries and not expenses:
        return
    lines = [*entries, *expenses]
    last = max(line["updated_at"] for line in lines)
    invoice_date = last[:10]
    total = sum(round(e["time_in_minutes"] * (e["rate_in_cents"] or 0) / 60) for e in entries)
    total += sum(e["amount_in_cents"] for e in expenses)
    rid = str(out.next("kantata:invoices", ID_START["invoices"]))
    number = int(rid) - ID_START["invoices"] + 1001
    out.add(
        "kantata",
        "invoices",
        rid,
        {
            "id": rid,
            "workspace_ids": [ws["id"]],
            "time_entry_ids": [e["id"] for e in entries],
            "expense_ids": [e["id"] for e in expenses],
            "additional_item_ids": [],
            "fixed_fee_item_ids": [],
            "invoice_date": invoice_date,
            "due_date": (datetime.fromisoformat(invoice_date) + timedelta(days=30)).date().isoformat(),
            "payment_schedule": 30,
            "user_invoice_number": number,
            "title": f"Invoice #{number}",
            "status": "new",
            "draft": False,
            "message": "",
            "balance_in_cents": int(total),
            "currency": "USD",
            "tax_rate": 0,
            "user_id": str(ID_START["users"]),
            "recipient_id": None,
            "created_at": last,
            "updated_at": last,
        },
    )
    for line in lines:
        line["_invoice_id"] = rid
