"""Business Central billing to cash survives a worker killed at a random side effect, and a replay, on real
parts: PostgreSQL, Redis, Celery worker and beat subprocesses, and the sandbox over HTTP.

The flow does what the Certinia + Business Central billing and cash steps do in Business Central: the
customer, a draft sales invoice with its lines (one deep insert), a late-approved line added on its own,
posting the invoice, a payment journal, a payment applied to the invoice, posting the journal. A proxy
between the worker and the sandbox lets the N-th write through (N drawn from a seed printed with every
failure; set ``BC_REPLAY_SEED`` to run a failing draw again) and holds its answer; the worker is SIGKILLed
then, when Business Central has done the write and the worker never heard of it. A new worker finishes the
run; then the operator replays it. Each record exists once, and the totals are the flow's.
"""

from __future__ import annotations

import os
import random
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from connectors.erp.dynamics.connector import payment_document_number
from flowbuilder.credentials import actions as credential_actions
from flowbuilder.credentials import runtime
from flowbuilder.devtools.demo import SANDBOX_CONFIG
from flowbuilder.execution import actions as run_actions
from flowbuilder.flows import actions as flow_actions
from tests.support.documents import document, edge, node
from tests.support.holding_proxy import HoldingProxy, nth_write
from tests.support.live_stack import Proc

from .conftest import kill_at_held_write_then_finish, node_errors, wait_for_run_row

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SEED = int(os.environ.get("BC_REPLAY_SEED") or random.SystemRandom().randrange(1_000_000))
# The flow's side effects in order: (node, the write it sends).
WRITES = (
    ("customer", r"POST .*/customers"),
    ("invoice", r"POST .*/salesInvoices"),
    ("late_line", r"POST .*/salesInvoices\([^)]+\)/salesInvoiceLines"),
    ("post_invoice", r"POST .*/salesInvoices\([^)]+\)/Microsoft\.NAV\.post"),
    ("journal", r"POST .*/customerPaymentJournals"),
    ("payment", r"POST .*/customerPaymentJournals\([^)]+\)/customerPayments"),
    ("post_payments", r"POST .*/customerPaymentJournals\([^)]+\)/Microsoft\.NAV\.post"),
)
LINES = [
    {
        "lineType": "Item",
        "lineObjectNumber": "CONS-HR",
        "description": "Consulting",
        "quantity": 10,
        "unitPrice": 150,
    },
    {"lineType": "Item", "lineObjectNumber": "EXP", "description": "Travel", "quantity": 1, "unitPrice": 80},
    {
        "lineType": "Item",
        "lineObjectNumber": "FIXED-FEE",
        "description": "Milestone",
        "quantity": 1,
        "unitPrice": 4000,
    },
]
LATE = {
    "lineType": "Item",
    "lineObjectNumber": "CONS-HR",
    "description": "Late week",
    "quantity": 3,
    "unitPrice": 200,
}
TOTAL, PAID = 1500 + 80 + 4000 + 600, 1000


@pytest.fixture
def org(make_org):
    return make_org("BC Replay Co")  # its egress allow-list has 127.0.0.1: the proxy and sandbox are local


@pytest.fixture
def admin(org, make_user):
    return make_user(f"ops-{uuid.uuid4().hex[:6]}", org, "admin")


@pytest.fixture
def proxies() -> Iterator[list[HoldingProxy]]:
    made: list[HoldingProxy] = []
    yield made
    for proxy in made:
        proxy.stop()


def billing_to_cash(connection: str, number: str, ref: str, journal: str) -> dict[str, Any]:
    def bc(node_id: str, action: str, config: dict[str, Any]) -> dict[str, Any]:
        return node(node_id, f"erp.dynamics.{action}", {"connection": connection, **config})

    invoice_id = "{{ $node.invoice.items[0].id }}"
    nodes = [
        node("start", "trigger.manual"),
        bc(
            "customer",
            "create_record",
            {"entity_set": "customers", "fields": {"number": number, "displayName": f"Replay {number}"}},
        ),
        bc(
            "invoice",
            "create_record",
            {
                "entity_set": "salesInvoices",
                "fields": {
                    "customerId": "{{ $item.id }}",
                    "externalDocumentNumber": ref,
                    "invoiceDate": "2026-02-28",
                    "salesInvoiceLines": LINES,
                },
            },
        ),
        bc(
            "late_line",
            "create_record",
            {
                "entity_set": "salesInvoiceLines",
                "fields": {"documentId": invoice_id, "sequence": 40000, **LATE},
            },
        ),
        bc("post_invoice", "post_document", {"entity_set": "salesInvoices", "id": invoice_id}),
        bc(
            "journal",
            "create_record",
            {"entity_set": "customerPaymentJournals", "fields": {"code": journal, "displayName": "Receipts"}},
        ),
        bc(
            "payment",
            "create_record",
            {
                "entity_set": "customerPayments",
                "fields": {
                    "journalId": "{{ $item.id }}",
                    "customerId": "{{ $node.customer.items[0].id }}",
                    "amount": PAID,
                    "appliesToInvoiceId": invoice_id,
                    "externalDocumentNumber": f"PAY-{ref}",
                },
            },
        ),
        bc(
            "post_payments",
            "post_document",
            {"entity_set": "customerPaymentJournals", "id": "{{ $node.journal.items[0].id }}"},
        ),
    ]
    order = [n["id"] for n in nodes]
    return document(nodes, [edge(a, b) for a, b in zip(order, order[1:], strict=False)])


@pytest.mark.parametrize("draw", [0])  # one random kill point per run: each CI run draws another
def test_billing_to_cash_killed_at_a_random_write_then_replayed_creates_each_record_once(
    draw: int,
    sandbox,
    org,
    admin,
    proxies: list[HoldingProxy],
    start_worker: Callable[[], Proc],
    start_beat: Callable[[], Proc],
) -> None:
    n = random.Random(SEED * 10 + draw).randint(1, len(WRITES))
    killed_at, write = WRITES[n - 1]
    where = f"BC_REPLAY_SEED={SEED} draw {draw}: worker killed at write #{n} ({killed_at})"
    print(where)  # noqa: T201 - shown with a failure, to run the same draw again
    runtime.clear_cache()
    proxy = HoldingProxy(sandbox.url, nth_write(n))
    proxies.append(proxy)
    credential_type, secrets = sandbox.credentials("dynamics")  # Entra client credentials
    tag = uuid.uuid4().hex[:8].upper()
    connection = credential_actions.create_connection(
        actor=admin,
        organisation=org,
        name=f"Business Central via proxy {tag}",
        connector="dynamics",
        base_url=f"{proxy.url}/dynamics/v2.0/{secrets['tenant_id']}/production",
        credential_type=credential_type,
        credentials=secrets,
        config=dict(SANDBOX_CONFIG["dynamics"]),
    )
    number, ref, journal = f"R{tag}", f"INV-{tag}", f"J{tag[:6]}"
    doc = billing_to_cash(connection.ref, number, ref, journal)
    flow = flow_actions.create_flow(actor=admin, organisation=org, name=f"Bill {tag}", document=doc)
    flow_actions.publish_flow(actor=admin, flow=flow)
    flow.refresh_from_db()

    done = kill_at_held_write_then_finish(
        actor=admin,
        flow=flow,
        proxy=proxy,
        write=write,
        killed_at=killed_at,
        where=where,
        start_worker=start_worker,
        start_beat=start_beat,
    )

    creates = re.compile(
        r"POST .*/(customers|salesInvoices|salesInvoices\([^)]+\)/salesInvoiceLines|customerPaymentJournals"
        r"|customerPaymentJournals\([^)]+\)/customerPayments)"
    )

    def created() -> int:
        return sum(1 for m, p, s in proxy.seen if s == 201 and creates.fullmatch(f"{m} {p}"))

    before = created()
    replay = wait_for_run_row(run_actions.replay_run(actor=admin, run=done), timeout=120)
    assert replay.status == "succeeded", (where, node_errors(replay))
    assert created() == before, (where, proxy.seen[-20:])  # the replay created nothing

    bc = runtime.open_connection(org.pk, connection.ref)

    def rows(entity_set: str, flt: str, **extra: Any) -> list[dict[str, Any]]:
        return bc.run_action("list_records", {"entity_set": entity_set, "filter": flt, **extra})

    assert len(rows("customers", f"number eq '{number}'")) == 1, where
    invoices = rows("salesInvoices", f"externalDocumentNumber eq '{ref}'", expand="salesInvoiceLines")
    assert len(invoices) == 1, where
    invoice = invoices[0]
    lines = sorted(
        (r["sequence"], r["description"], r["amountExcludingTax"]) for r in invoice["salesInvoiceLines"]
    )
    assert lines == [
        (10000, "Consulting", 1500),
        (20000, "Travel", 80),
        (30000, "Milestone", 4000),
        (40000, "Late week", 600),
    ], where
    assert (invoice["status"], invoice["totalAmountExcludingTax"], invoice["remainingAmount"]) == (
        "Open",
        TOTAL,
        TOTAL - PAID,
    ), where
    journals = rows("customerPaymentJournals", f"code eq '{journal}'")
    assert len(journals) == 1, where
    assert rows("customerPayments", f"journalId eq {journals[0]['id']}") == [], where  # posted
    paid = rows(
        "generalLedgerEntries",
        f"documentNumber eq '{payment_document_number(f'PAY-{ref}')}' and documentType eq 'Payment'",
    )
    assert sorted((e["debitAmount"], e["creditAmount"]) for e in paid) == [(0, PAID), (PAID, 0)], where
    posted = rows(
        "generalLedgerEntries", f"documentNumber eq '{invoice['number']}' and documentType eq 'Invoice'"
    )
    assert sorted((e["debitAmount"], e["creditAmount"]) for e in posted) == [(0, TOTAL), (TOTAL, 0)], where
    runtime.clear_cache()
