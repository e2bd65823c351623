"""The approvals inbox in the browser: an approver sees a waiting run's lines and totals, edits the field
the node lets them edit (shown even when the node's columns leave it out), approves, and the run goes on
with the edit; a rejection needs a reason and routes the items to the rejected branch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from flowbuilder.execution import actions as run_actions
from flowbuilder.execution.models import ApprovalRequest, Run
from flowbuilder.flows import actions as flow_actions
from tests.support.documents import document, edge, node
from tests.support.live_stack import wait_until

from .conftest import login_ui

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def approval_document() -> dict[str, Any]:
    return document(
        [
            node("t", "trigger.manual"),
            node(
                "ok",
                "flow.approval",
                {
                    "title": "Invoice {{ $item.invoice }}",
                    "assignee_roles": ["approver"],
                    "columns": ["invoice", "amount"],  # memo is not a column, yet editable
                    "totals": ["amount"],
                    "editable_fields": ["memo"],
                },
            ),
            node("yes", "transform.map", {"fields": [{"name": "posted", "value": True}]}),
            node("no", "transform.map", {"fields": [{"name": "posted", "value": False}]}),
        ],
        [
            edge("t", "ok"),
            edge("ok", "yes", source_port="approved"),
            edge("ok", "no", source_port="rejected"),
        ],
    )


def waiting_request(run: Run) -> ApprovalRequest:
    return wait_until(
        lambda: ApprovalRequest.objects.filter(run_id=run.pk, status="pending").first(),
        30,
        f"run {run.pk} did not ask for approval",
    )


def finished(run: Run) -> Run:
    return wait_until(
        lambda: (r := Run.objects.get(pk=run.pk)).status in ("succeeded", "failed") and r,
        30,
        f"run {run.pk} did not finish after the decision",
    )


def test_an_approver_edits_and_approves_then_rejects_with_a_reason(
    strict_page: Page, live_server_url: str, make_org, make_user, worker, artifacts: Path
) -> None:
    page = strict_page
    org = make_org("Approvals Co")
    builder = make_user("ben", org, "admin")
    make_user("pat", org, "approver")
    flow = flow_actions.create_flow(
        actor=builder, organisation=org, name="Invoices for approval", document=approval_document()
    )
    flow_actions.publish_flow(actor=builder, flow=flow)
    flow.refresh_from_db()
    lines = [{"invoice": "INV-1", "amount": 100, "memo": ""}, {"invoice": "INV-1", "amount": 50, "memo": ""}]
    first = run_actions.start_run(actor=builder, flow=flow, input_items=lines)
    request = waiting_request(first)

    login_ui(page, live_server_url, "pat")
    page.get_by_test_id("nav-approvals").click()
    card = page.get_by_test_id(f"approval-{request.pk}")
    expect(card).to_contain_text("Invoice INV-1")
    expect(page.get_by_test_id(f"approval-lines-{request.pk}")).to_contain_text("memo")
    expect(page.get_by_test_id(f"approval-totals-{request.pk}")).to_contain_text("150")
    page.get_by_test_id(f"approval-edit-{request.pk}-0-memo").fill("PO 4711")
    approve = page.get_by_test_id(f"approval-approve-{request.pk}")
    expect(approve).to_have_text("Approve with edits")
    page.screenshot(path=str(artifacts / "approvals-edit.png"))
    approve.click()
    expect(card).to_have_attribute("data-status", "approved")
    done = finished(first)
    assert done.status == "succeeded"
    assert [(i["memo"], i["posted"]) for i in done.output_items] == [("PO 4711", True), ("", True)]

    # Rejecting needs a reason; the items leave on the rejected branch with it.
    second = run_actions.start_run(actor=builder, flow=flow, input_items=[{"invoice": "INV-2", "amount": 10}])
    request = waiting_request(second)
    page.reload()
    reject = page.get_by_test_id(f"approval-reject-{request.pk}")
    reject.click()
    expect(page.get_by_test_id(f"approval-problem-{request.pk}")).to_be_visible()
    assert ApprovalRequest.objects.get(pk=request.pk).status == "pending"
    page.get_by_test_id(f"approval-reason-{request.pk}").fill("Wrong PO")
    reject.click()
    expect(page.get_by_test_id(f"approval-{request.pk}")).to_have_attribute("data-status", "rejected")
    done = finished(second)
    [rejected] = done.output_items
    assert rejected["posted"] is False and rejected["approval"]["reason"] == "Wrong PO"
