"""Certinia PSA seed: a project per won deal, with milestones, assignments, weekly timecards, resource
requests and some write-ups/downs (miscellaneous adjustments), staffed from the firm's active resources
(Contacts the Salesforce seed created)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ...platform.seeding import ROLES, World
from ...platform.timeutil import parse_iso, start_of_day
from .schema import DAYS, split_timecard


def timecard_modified(timecard: dict[str, Any]) -> Any:
    """A split is stamped when its timecard last changed."""
    return parse_iso(timecard["LastModifiedDate"])


def seed(world: World, sf: Any, resources: list[dict[str, Any]]) -> None:
    """Seed through `sf`, the Salesforce seed's record factory (ids, audit fields, formulas)."""
    rng = world.rng
    # Rate cards: the suggested bill rate and average cost rate per resource role, from the first
    # resource of the role (no random draws, so the rest of the seed stays as it was).
    costs: dict[str, float] = {}
    for person in resources:
        costs.setdefault(person["pse__Resource_Role__c"], float(person["pse__Default_Cost_Rate__c"]))
    for role, cost in sorted(costs.items()):
        sf(
            "pse__Rate_Card__c",
            world.anchor - timedelta(days=900),
            {
                "Name": f"{role} (standard)",
                "pse__Role__c": role,
                "pse__Suggested_Bill_Rate__c": float(round(cost * 1.75, -1)),
                "pse__Average_Cost_Rate__c": cost,
            },
            modified=world.anchor - timedelta(days=900),
        )
    active = [r for r in resources if r["pse__Is_Resource_Active__c"]]
    for n, deal in enumerate(sorted(world.won, key=lambda d: d.close)):
        start = deal.close + timedelta(days=rng.randint(7, 21))
        end = start + timedelta(days=rng.randint(60, 240))
        today = world.anchor.date()
        stage = "Completed" if end < today else "In Progress" if start <= today else "Planned"
        created = min(world.anchor, start_of_day(deal.close) + timedelta(days=rng.uniform(1, 5)))
        pm = rng.choice(
            [
                r
                for r in active
                if r["pse__Resource_Role__c"] in ("Manager", "Project Manager", "Senior Manager")
            ]
        )
        project = sf(
            "pse__Proj__c",
            created,
            {
                "Name": deal.name,
                "pse__Account__c": deal.org.sf_id,
                "pse__Opportunity__c": deal.opp_id,
                "pse__Project_Manager__c": pm["Id"],
                "pse__Start_Date__c": start.isoformat(),
                "pse__End_Date__c": end.isoformat(),
                "pse__Stage__c": stage,
                "pse__Is_Active__c": stage != "Completed",
                "pse__Is_Billable__c": True,
                "pse__Billing_Type__c": deal.billing,
                "pse__Project_Type__c": "Customer Project",
                "pse__Bookings__c": deal.amount,
                "pse__Planned_Hours__c": float(rng.randint(20, 160) * 10),
                "pse__Project_ID__c": f"PRJ-{n + 1:05d}",
            },
        )
        milestones = []
        for m in range(rng.randint(2, 4)):
            target = start + (end - start) * (m + 1) / 4
            done = target < today
            milestones.append(
                sf(
                    "pse__Milestone__c",
                    created,
                    {
                        "Name": ("Kick-off", "Design sign-off", "Build complete", "Go-live")[m],
                        "pse__Project__c": project["Id"],
                        "pse__Target_Date__c": target.isoformat(),
                        "pse__Actual_Date__c": target.isoformat() if done else None,
                        "pse__Milestone_Amount__c": round(deal.amount / 4, 2)
                        if deal.billing == "Fixed Price"
                        else 0.0,
                        "pse__Status__c": "Approved" if done else "Planned",
                        "pse__Approved__c": done,
                    },
                )
            )
        billed = [m for m in milestones if m["pse__Approved__c"] and m["pse__Milestone_Amount__c"]][:1]
        if stage == "Completed" and n % 3 == 0 and billed:  # an invoiced billing event (no random draws)
            _seed_billing_event(sf, project, billed[0], created, f"INV-{n + 1:05d}")
        team = rng.sample(active, rng.randint(2, 5))
        for person in team:
            # An assignment needs its schedule (dates and weekly hours); its dates come from it.
            schedule = sf(
                "pse__Schedule__c",
                created,
                {
                    "pse__Start_Date__c": start.isoformat(),
                    "pse__End_Date__c": end.isoformat(),
                    **{f"pse__{d}_Hours__c": 8.0 for d in DAYS[:5]},
                    "pse__Saturday_Hours__c": 0.0,
                    "pse__Sunday_Hours__c": 0.0,
                },
                modified=created,  # no random draw: the rest of the seed stays as it was
            )
            assignment = sf(
                "pse__Assignment__c",
                created,
                {
                    "pse__Project__c": project["Id"],
                    "pse__Resource__c": person["Id"],
                    "pse__Schedule__c": schedule["Id"],
                    "pse__Role__c": person["pse__Resource_Role__c"],
                    "pse__Bill_Rate__c": float(round(person["pse__Default_Cost_Rate__c"] * 1.75, -1)),
                    "pse__Cost_Rate_Amount__c": person["pse__Default_Cost_Rate__c"],
                    "pse__Status__c": "Closed" if stage == "Completed" else "Scheduled",
                    "pse__Planned_Hours__c": float(rng.randint(8, 60) * 10),
                    "pse__Is_Billable__c": True,
                },
            )
            week = start - timedelta(days=start.weekday())
            for _ in range(rng.randint(2, 6)):
                if week >= today:
                    break
                hours = {
                    d: float(rng.choice((0, 4, 6, 8, 8, 8)))
                    for d in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
                }
                old = (today - week).days > 14
                status = "Approved" if old and rng.random() < 0.9 else rng.choice(("Submitted", "Saved"))
                entered = min(world.anchor, start_of_day(week) + timedelta(days=5))
                timecard = sf(
                    "pse__Timecard_Header__c",
                    entered,
                    {
                        "pse__Project__c": project["Id"],
                        "pse__Assignment__c": assignment["Id"],
                        "pse__Resource__c": person["Id"],
                        "pse__Milestone__c": rng.choice(milestones)["Id"],
                        "pse__Start_Date__c": week.isoformat(),
                        "pse__End_Date__c": (week + timedelta(days=6)).isoformat(),
                        "pse__Status__c": status,
                        "pse__Approved__c": status == "Approved",
                        "pse__Billable__c": True,
                        "pse__Bill_Rate__c": assignment["pse__Bill_Rate__c"],
                        **{f"pse__{d}_Hours__c": h for d, h in hours.items()},
                        "pse__Saturday_Hours__c": 0.0,
                        "pse__Sunday_Hours__c": 0.0,
                    },
                )
                for split in split_timecard(timecard):  # Certinia splits a week at a month end
                    sf("pse__Timecard__c", entered, split, modified=timecard_modified(timecard))
                week += timedelta(days=7)
        if n % 4 == 0 and start <= today:  # travel on every fourth project (no random draws)
            traveller = team[0]
            report = sf(
                "pse__Expense_Report__c",
                created,
                {
                    "Name": f"{deal.name[:60]} - kick-off travel",
                    "pse__Project__c": project["Id"],
                    "pse__Resource__c": traveller["Id"],
                    "pse__Status__c": "Approved",
                    "pse__Approved__c": True,
                    "pse__Billable__c": True,
                    "pse__First_Expense_Date__c": start.isoformat(),
                },
                modified=created,
            )
            for kind, amount in (("Airfare", 480.0 + n), ("Lodging", 2 * 189.0)):
                sf(
                    "pse__Expense__c",
                    created,
                    {
                        "pse__Expense_Report__c": report["Id"],
                        "pse__Project__c": project["Id"],
                        "pse__Resource__c": traveller["Id"],
                        "pse__Amount__c": amount,
                        "pse__Type__c": kind,
                        "pse__Expense_Date__c": start.isoformat(),
                        "pse__Billable__c": True,
                        "pse__Approved__c": True,
                        "pse__Status__c": "Approved",
                    },
                    modified=created,
                )
        if n % 5 in (2, 4) and start <= today:  # a write-down or a write-up (no random draws)
            _seed_adjustment(sf, project, n, min(start + timedelta(days=14), today), created)
        if rng.random() < 0.8:
            sf(
                "pse__Resource_Request__c",
                created,
                {
                    "pse__Project__c": project["Id"],
                    "pse__Resource_Role__c": rng.choice(ROLES)[0],
                    "pse__Start_Date__c": start.isoformat(),
                    "pse__End_Date__c": end.isoformat(),
                    "pse__SOW_Hours__c": float(rng.randint(4, 40) * 10),
                    "pse__Status__c": rng.choice(("Draft", "Ready to Staff", "Assigned", "Assigned")),
                    "pse__Notes__c": "Needs industry experience",
                },
            )


def _seed_adjustment(sf: Any, project: dict[str, Any], n: int, when: Any, created: Any) -> None:
    """A miscellaneous adjustment approved for billing (Ready-to-Bill Revenue, the category Certinia bills):
    a goodwill write-down on some projects, a change-request write-up on others."""
    down = n % 5 == 2
    sf(
        "pse__Miscellaneous_Adjustment__c",
        created,
        {
            "Name": "Goodwill credit" if down else "Change request",
            "pse__Project__c": project["Id"],
            "pse__Amount__c": -float(200 + 10 * (n % 7)) if down else float(400 + 25 * (n % 4)),
            "pse__Transaction_Category__c": "Ready-to-Bill Revenue",
            "pse__Effective_Date__c": when.isoformat(),
            "pse__Description__c": "Goodwill credit: onboarding overran"
            if down
            else "Out-of-scope workshop (change request)",
            "pse__Status__c": "Approved",
            "pse__Approved__c": True,
            "pse__Approved_for_Billing__c": True,
            "pse__Billing_Hold__c": False,
            "pse__Include_In_Financials__c": True,
            "pse__Billed__c": False,
        },
        modified=created,
    )


def _seed_billing_event(
    sf: Any, project: dict[str, Any], milestone: dict[str, Any], created: Any, number: str
) -> None:
    """A fixed fee billed as Certinia bills it: an event with the milestone as its item, released and
    invoiced; the milestone is then Billed and Invoiced (Certinia's own flags)."""
    when = milestone["pse__Actual_Date__c"]
    event = sf(
        "pse__Billing_Event__c",
        created,
        {
            "pse__Project__c": project["Id"],
            "pse__Date__c": when,
            "pse__Is_Released__c": True,
            "pse__Invoiced__c": True,
            "pse__Invoice_Number__c": number,
            "pse__Invoice_Date__c": when,
            "pse__Summary_Amount__c": milestone["pse__Milestone_Amount__c"],
        },
        modified=created,
    )
    sf(
        "pse__Billing_Event_Item__c",
        created,
        {
            "pse__Billing_Event__c": event["Id"],
            "pse__Project__c": project["Id"],
            "pse__Category__c": "Milestone",
            "pse__Milestone__c": milestone["Id"],
            "pse__Object_Id__c": milestone["Id"],
            "pse__Quantity__c": 1.0,
            "pse__Unit_Price__c": milestone["pse__Milestone_Amount__c"],
            "pse__Amount__c": milestone["pse__Milestone_Amount__c"],
            "pse__Date__c": when,
        },
        modified=created,
    )
    milestone["pse__Billed__c"] = milestone["pse__Invoiced__c"] = True
