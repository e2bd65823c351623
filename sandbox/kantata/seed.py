"""Kantata seed: the firm's 300 users; per won deal a workspace with stories, time entries, expenses."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ..platform.seeding import Rows, World
from ..platform.timeutil import iso_offset, start_of_day
from .schema import ID_START

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
            },
        )
        for p in world.people
    ]
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
                "price_in_cents": int(deal.amount * 100),
                "currency": "USD",
                "start_date": start.isoformat(),
                "due_date": due.isoformat(),
                "archived": due < today - timedelta(days=90),
                "status": {"color": status[0], "key": status[1], "message": status[2]},
                "creator_id": lead["id"],
                "client_role_name": "Client",
                "consultant_role_name": "Consultant",
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
            add(
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
                },
                modified=min(world.anchor, logged + timedelta(days=rng.uniform(0, 9)))
                if approved
                else logged,
            )
        for _ in range(rng.randint(1, 5)):
            spent = start + timedelta(days=rng.randint(0, span))
            if spent > today:
                continue
            category = rng.choice(EXPENSE_CATEGORIES)
            approved = (today - spent).days > 10 and rng.random() < 0.8
            add(
                "expenses",
                min(world.anchor, start_of_day(spent) + timedelta(hours=20)),
                {
                    "workspace_id": ws["id"],
                    "user_id": rng.choice(team)["id"],
                    "date": spent.isoformat(),
                    "notes": f"{category} - {deal.org.city[0]}",
                    "category": category,
                    "amount_in_cents": rng.randint(15, 900) * 100,
                    "currency": "USD",
                    "billable": rng.random() < 0.85,
                    "reimbursable": True,
                    "approved": approved,
                    "is_invoiced": approved and rng.random() < 0.5,
                },
            )
