"""Kantata OX collections as Kantata documents them: the attributes a create or update may send (and
their types), the attributes that are only ever read back, what a create requires, and id ranges.

Sources (developer.kantata.com, "Kantata OX API Documentation"): Workspaces (create-workspace), Stories,
Time Entries, Expenses, Invoices (create-invoice), External References, Rate Cards, Roles, Expense
Categories, Custom Field Sets, Custom Fields, Custom Field Values. The request bodies there list the
writable attributes; the response schemas list what is read back. Anything else in a request body is
refused (see routes.py for why the sandbox refuses rather than ignores).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ID_START = {
    "users": 1000001,
    "workspaces": 5000001,
    "stories": 7000001,
    "time_entries": 9000001,
    "expenses": 8000001,
    "invoices": 6000001,
    "additional_items": 6100001,
    "fixed_fee_items": 6200001,
    "external_references": 4000001,
    "roles": 3000001,
    "rate_cards": 3100001,
    "rate_card_versions": 3200001,
    "rate_card_roles": 3300001,
    "expense_categories": 3400001,
    "custom_field_sets": 3500001,
    "custom_fields": 3600001,
    "custom_field_values": 3700001,
}

# creator_role: the create-workspace page's enum is client/consultant and its text names maven/buyer as
# the same teams; the Errors section's example refuses a create without it ("Please select a role").
CREATOR_ROLES = ("maven", "consultant", "buyer", "client")
STORY_TYPES = ("task", "deliverable", "milestone", "issue")
STORY_STATES = ("not started", "started", "needs info", "completed")
EXTERNAL_REFERENCE = "external_reference"  # the nested object every create below documents
# Custom fields (developer.kantata.com/tag/Custom-Fields): a field's value_type; its set's subject_type
# names what it describes. The sandbox serves the subjects it has records for.
CUSTOM_FIELD_VALUE_TYPES = ("string", "number", "currency", "date", "single", "multi")
CUSTOM_FIELD_SUBJECTS = {"Workspace": "workspaces", "Story": "stories", "User": "users"}


@dataclass
class Collection:
    singular: str
    # Attributes a create or update may send -> type (string int bool date ref:<coll> object list:int)
    fields: dict[str, str]
    required: tuple[str, ...]
    # Attributes only ever read back: sending one is refused as read-only.
    read_only: tuple[str, ...] = ()
    defaults: dict[str, Any] = field(default_factory=dict)
    writable: bool = True
    creatable: bool = True
    create_only: tuple[str, ...] = ()  # accepted on create, refused on update
    subject_type: str = ""  # the External Reference subject_type naming this collection


_READ = ("id", "created_at", "updated_at")

COLLECTIONS: dict[str, Collection] = {
    "users": Collection(
        "user",
        {"full_name": "string", "email_address": "string", "headline": "string", "photo_path": "string"},
        ("full_name",),
        read_only=(*_READ, "account_id"),
        writable=False,  # Kantata provisions users through account invitations, not this endpoint
        subject_type="User",
    ),
    "workspaces": Collection(
        "workspace",
        {
            "title": "string",
            "creator_role": "enum:creator_role",
            "description": "string",
            "budgeted": "bool",
            "price": "int",  # the budget in the currency's main unit; read back as price + price_in_cents
            "currency": "string",
            "start_date": "date",
            "due_date": "date",
            "archived": "bool",
            "client_role_name": "string",
            "consultant_role_name": "string",
            "rate_card_id": "ref:rate_cards",
            "status_key": "int",
            "require_time_approvals": "bool",
            "require_expense_approvals": "bool",
            "stories_are_fixed_fee_by_default": "bool",
            "tasks_default_non_billable": "bool",
            "target_margin": "int",
            EXTERNAL_REFERENCE: "object",
        },
        ("title", "creator_role"),
        read_only=(
            *_READ,
            "price_in_cents",
            "status",
            "creator_id",
            "currency_symbol",
            "currency_base_unit",
            "budget_used",
            "budget_used_in_cents",
            "over_budget",
            "percentage_complete",
            "account_id",
        ),
        defaults={
            "budgeted": True,
            "currency": "USD",
            "archived": False,
            "client_role_name": "Client",
            "consultant_role_name": "Consultant",
            "status": {"color": "grey", "key": "100", "message": "Not Started"},
            "require_time_approvals": True,
            "require_expense_approvals": True,
            "rate_card_id": None,
        },
        create_only=("creator_role",),
        subject_type="Workspace",
    ),
    "stories": Collection(
        "story",
        {
            "title": "string",
            "story_type": "enum:story_type",
            "workspace_id": "ref:workspaces",
            "description": "string",
            "parent_id": "ref:stories",
            "state": "enum:story_state",
            "start_date": "date",
            "due_date": "date",
            "archived": "bool",
            "budget_estimate_in_cents": "int",
            "time_estimate_in_minutes": "int",
            "percentage_complete": "int",
            "billable": "bool",
            "fixed_fee": "bool",
            "priority": "int",
            "weight": "int",
            EXTERNAL_REFERENCE: "object",
        },
        ("title", "story_type", "workspace_id"),
        read_only=(
            *_READ,
            "budget_used_in_cents",
            "logged_billable_time_in_minutes",
            "logged_nonbillable_time_in_minutes",
            "invoiced_balance_in_cents",
            "uninvoiced_balance_in_cents",
            "sub_story_count",
            "root_id",
            "position",
            "deleted_at",
        ),
        defaults={"state": "not started", "percentage_complete": 0, "billable": True, "archived": False},
        create_only=("workspace_id",),
        subject_type="Story",
    ),
    "time_entries": Collection(
        "time_entry",
        {
            "workspace_id": "ref:workspaces",
            "date_performed": "date",
            "time_in_minutes": "int",
            "billable": "bool",
            "rate_in_cents": "int",
            "notes": "string",
            "role_id": "ref:roles",
            "story_id": "ref:stories",
            "user_id": "ref:users",
            "location": "string",
            EXTERNAL_REFERENCE: "object",
        },
        ("workspace_id", "date_performed", "time_in_minutes"),
        read_only=(
            *_READ,
            "approved",
            "is_invoiced",
            "cost_rate_in_cents",
            "currency",
            "currency_symbol",
            "currency_base_unit",
            "taxable",
        ),
        defaults={
            "billable": True,
            "currency": "USD",
            "approved": False,
            "is_invoiced": False,
            "notes": "",
            "taxable": False,
        },
        create_only=("workspace_id",),
        subject_type="TimeEntry",
    ),
    "expenses": Collection(
        "expense",
        {
            "workspace_id": "ref:workspaces",
            "date": "date",
            "expense_category_id": "ref:expense_categories",
            "category": "string",
            "amount_in_cents": "int",
            "user_id": "ref:users",
            "notes": "string",
            "billable": "bool",  # written as billable, read back as is_billable
            "story_id": "ref:stories",
            "reimbursable": "bool",
            EXTERNAL_REFERENCE: "object",
        },
        ("workspace_id", "date", "expense_category_id", "category", "amount_in_cents"),
        read_only=(
            *_READ,
            "is_billable",
            "is_invoiced",
            "currency",
            "currency_symbol",
            "currency_base_unit",
            "taxable",
        ),
        defaults={
            "is_billable": True,
            "reimbursable": True,
            "currency": "USD",
            "is_invoiced": False,
            "taxable": False,
            "notes": "",
        },
        create_only=("workspace_id",),
        subject_type="Expense",
    ),
    "invoices": Collection(
        "invoice",
        {
            "time_entry_ids": "list:int",
            "expense_ids": "list:int",
            "additional_items": "list:object",
            "fixed_fee_items": "list:object",
            "workspace_id": "ref:workspaces",
            "workspace_ids": "list:int",
            "payment_schedule": "int",
            "invoice_date": "date",
            "user_invoice_number": "int",
            "draft": "bool",
            "message": "string",
            "user_invoice_title": "string",
            "purchase_order": "string",
            "project_code": "string",
            "suppress_emails": "bool",
            EXTERNAL_REFERENCE: "object",
        },
        ("payment_schedule",),
        read_only=(
            *_READ,
            "balance_in_cents",
            "currency",
            "currency_symbol",
            "currency_base_unit",
            "due_date",
            "status",
            "title",
            "recipient_id",
            "user_id",
            "tax_rate",
            "additional_item_ids",
            "fixed_fee_item_ids",
        ),
        defaults={"draft": False, "message": "", "currency": "USD", "tax_rate": 0},
        subject_type="Invoice",
    ),
    # Invoice line items Kantata creates from an invoice's nested additional_items / fixed_fee_items.
    "additional_items": Collection(
        "additional_item",
        {"notes": "string", "amount_in_cents": "int", "taxable": "bool", "currency": "string"},
        (),
        writable=False,
    ),
    "fixed_fee_items": Collection(
        "fixed_fee_item",
        {"notes": "string", "amount_in_cents": "int", "taxable": "bool", "currency": "string"},
        (),
        writable=False,
    ),
    "external_references": Collection(
        "external_reference",
        {
            "subject_type": "string",
            "subject_id": "int",
            "service_name": "string",
            "service_model": "string",
            "service_model_ref": "string",
            "status": "string",
            "external_link": "string",
            "external_message": "string",
            "external_status": "string",
            "locked": "bool",
        },
        ("subject_type", "subject_id", "service_name", "service_model", "service_model_ref"),
        writable=False,  # written through a record's nested external_reference in this sandbox
    ),
    # Rates: roles, rate cards, their versions and the rate per role (read-only here: only account
    # administrators change them, in Kantata).
    "roles": Collection("role", {"name": "string"}, ("name",), writable=False, subject_type="Role"),
    "rate_cards": Collection(
        "rate_card",
        {"currency": "string", "title": "string"},
        ("currency",),
        writable=False,
        subject_type="RateCard",
    ),
    "rate_card_versions": Collection(
        "rate_card_version",
        {"default_rate": "int", "effective_date": "date", "rate_card_id": "ref:rate_cards"},
        (),
        writable=False,
    ),
    "rate_card_roles": Collection(
        "rate_card_role",
        {"rate": "int", "role_id": "ref:roles", "rate_card_version_id": "ref:rate_card_versions"},
        (),
        writable=False,
    ),
    "expense_categories": Collection("expense_category", {"name": "string"}, ("name",), writable=False),
    # Custom fields are set up by account administrators (read-only here); their values are written
    # through POST /custom_field_values, which routes.py validates against the field (see _custom_values).
    "custom_field_sets": Collection(
        "custom_field_set", {"name": "string", "subject_type": "string"}, ("name",), writable=False
    ),
    "custom_fields": Collection(
        "custom_field",
        {"name": "string", "value_type": "string", "custom_field_set_id": "ref:custom_field_sets"},
        ("name",),
        read_only=(*_READ, "creator_id", "choice_ids", "default_text", "unique_constraint"),
        writable=False,
    ),
    "custom_field_values": Collection(
        "custom_field_value",
        {
            "subject_type": "string",
            "subject_id": "int",
            "custom_field_id": "ref:custom_fields",
            "value": "any",
        },
        ("subject_type", "subject_id", "custom_field_id"),
        read_only=(*_READ, "custom_field_name", "display_value", "type", "setter_id", "can_edit"),
    ),
}

ENUMS = {"creator_role": CREATOR_ROLES, "story_type": STORY_TYPES, "story_state": STORY_STATES}
# Collections the API serves (routes); the rest are only reached through include.
SERVED = tuple(c for c in COLLECTIONS if c not in ("additional_items", "fixed_fee_items"))


def price_text(cents: int) -> str:
    """A workspace's ``price`` as read back (a string in the currency's main unit; ``price_in_cents``
    carries the exact amount)."""
    return str(cents // 100) if cents % 100 == 0 else f"{cents / 100:.2f}"
