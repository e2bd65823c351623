"""What a person does in NetSuite from the sandbox pages: record a customer payment against an invoice
(billing to cash picks it up). It goes through the record API, which pays the invoice down."""

from __future__ import annotations

from typing import Any

from ..platform.actions import ActionError, ActionField, PageAction, api_error
from ..platform.system import System
from ..platform.timeutil import utcnow


def _ref(value: Any) -> str:
    return str(value.get("id") if isinstance(value, dict) else value or "")


def record_payment(system: System, record: dict[str, Any], values: dict[str, str]) -> str:
    amount = round(float(values["amount"]), 2)
    if amount <= 0:
        raise ActionError("Amount must be more than zero")
    customer = _ref(record.get("entity"))
    body = {
        "customer": {"id": customer},
        "payment": amount,
        "tranDate": values.get("date") or utcnow().date().isoformat(),
        "memo": f"Payment for {record.get('tranId') or record['id']} (sandbox page)",
        "apply": {"items": [{"doc": {"id": record["id"]}, "amount": amount, "apply": True}]},
    }
    status, payload = system.call("POST", "/services/rest/record/v1/customerpayment", body)
    if status not in (201, 204):
        raise api_error(status, payload)
    return f"Payment of {amount:,.2f} recorded against invoice {record.get('tranId') or record['id']}"


ACTIONS = (
    PageAction(
        key="record_payment",
        object="invoice",
        label="Record payment",
        run=record_payment,
        fields=(
            ActionField("amount", "Amount", kind="number", source="amountRemaining"),
            ActionField("date", "Date", kind="date", required=False),
        ),
        applies=lambda r: float(r.get("amountRemaining") or 0) > 0,
        description="The billing-to-cash flow shows the payment on the opportunity and the PSA project.",
    ),
)
