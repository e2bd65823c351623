"""Governance in the browser: an approver reviews a flow version (diff against live, findings, last
test run) and approves it; an admin reads the audit trail, sees a change as a diff, exports it and
verifies the chain, which names the row someone tampered with."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.db import connection
from playwright.sync_api import Page, expect

from flowbuilder.audit.models import AuditEvent
from flowbuilder.flows import actions as flow_actions
from flowbuilder.flows.models import Flow, VersionState
from tests.support.documents import manual_document

from .conftest import login_ui

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page: Page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / name))


def test_approver_reviews_and_approves_a_version(
    strict_page: Page, live_server_url: str, make_org, make_user, artifacts
):
    page = strict_page
    org = make_org("Acme Advisory")
    org.require_publish_approval = True
    org.require_distinct_approver = True
    org.save()
    ben = make_user("ben", org, "builder")
    make_user("ava", org, "approver")
    make_user("max", org, "approver")
    flow = flow_actions.create_flow(
        actor=ben, organisation=org, name="Invoices to ERP", document=manual_document()
    )
    first = flow_actions.publish_flow(actor=ben, flow=flow, comment="first cut")
    assert first.state == VersionState.IN_REVIEW

    login_ui(page, live_server_url, "ava")
    expect(page.get_by_test_id("review-indicator")).to_have_text("1")
    page.get_by_test_id("nav-reviews").click()
    card = page.get_by_test_id(f"review-{first.pk}")
    expect(card).to_contain_text("Invoices to ERP")
    expect(page.get_by_test_id(f"review-diff-{first.pk}")).to_contain_text("added")
    expect(page.get_by_test_id(f"review-findings-{first.pk}")).to_be_visible()
    expect(page.get_by_test_id(f"review-test-run-{first.pk}")).to_be_visible()
    # Assigned by default to every approver but the author; the approver sees it is theirs.
    expect(page.get_by_test_id(f"review-mine-{first.pk}")).to_have_text("assigned to you")
    expect(page.get_by_test_id(f"review-assignees-{first.pk}")).to_have_text("Assigned to you, max")
    page.get_by_test_id(f"review-assign-{first.pk}").click()
    page.get_by_test_id(f"review-assignee-{first.pk}-ava").uncheck()
    page.get_by_test_id(f"review-assign-save-{first.pk}").click()
    expect(page.get_by_test_id(f"review-assignees-{first.pk}")).to_have_text("Assigned to max")
    expect(page.get_by_test_id(f"review-mine-{first.pk}")).to_have_count(0)
    _shot(page, artifacts, "reviews-waiting.png")
    page.get_by_test_id(f"review-reason-{first.pk}").fill("checked the tax mapping")
    page.get_by_test_id(f"review-approve-{first.pk}").click()
    expect(card).to_have_attribute("data-status", "published")
    assert Flow.objects.get(pk=flow.pk).published_version_id == first.pk


def test_audit_page_filters_diffs_exports_and_verifies(
    strict_page: Page, live_server_url: str, make_org, make_user, artifacts
):
    page = strict_page
    org = make_org("Acme Advisory")
    ada = make_user("ada", org, "admin")
    flow = flow_actions.create_flow(actor=ada, organisation=org, name="Invoices", document=manual_document())
    flow_actions.update_flow(actor=ada, flow=flow, name="Invoices to ERP", criticality="high")
    flow_actions.publish_flow(actor=ada, flow=flow, comment="go live")
    update = AuditEvent.objects.get(action="flow.update")

    login_ui(page, live_server_url, "ada")
    page.get_by_test_id("nav-audit").click()
    expect(page.get_by_test_id("audit-table")).to_be_visible()
    expect(page.get_by_test_id(f"audit-diff-{update.pk}")).to_contain_text('"Invoices to ERP"')
    page.get_by_test_id("audit-filter-action").fill("flow.")
    page.get_by_test_id("audit-apply").click()
    expect(page.get_by_test_id("audit-count")).to_have_text("3 rows")
    with page.expect_download() as download:
        page.get_by_test_id("audit-export-json").click()
    rows = json.loads(Path(download.value.path()).read_text())
    assert [r["action"] for r in rows] == ["flow.create", "flow.update", "flow.publish"]

    page.get_by_test_id("audit-verify").click()
    expect(page.get_by_test_id("audit-verify-result")).to_contain_text("Chain intact")
    with connection.cursor() as cursor:  # someone edits a row in the database
        cursor.execute(
            f"UPDATE {AuditEvent._meta.db_table} SET after = %s WHERE id = %s",  # noqa: S608
            [json.dumps({"name": "Harmless"}), update.pk],
        )
    page.get_by_test_id("audit-verify").click()
    expect(page.get_by_test_id("audit-verify-result")).to_contain_text(f"Chain broken at row #{update.pk}")
    _shot(page, artifacts, "audit-verify-broken.png")


def test_editor_and_run_show_the_environment(
    strict_page: Page, live_server_url: str, make_org, make_user, artifacts
):
    from flowbuilder.credentials import actions as credential_actions
    from flowbuilder.execution import actions as run_actions
    from flowbuilder.flows.models import Release
    from tests.support.documents import document, edge, node

    page = strict_page
    org = make_org("Acme Advisory")
    org.environments_enabled = True
    org.environment_names = {"dev": "Sandbox"}
    org.save()
    ben = make_user("ben", org, "builder")
    admin = make_user("ada", org, "admin")
    conns = {
        env: credential_actions.create_connection(
            actor=admin,
            organisation=org,
            name="CRM",
            connector="http",
            base_url=f"https://{env}.crm.example/",
            credential_type="bearer",
            credentials={"token": f"tok-{env}"},
            environment=env,
        )
        for env in ("dev", "test", "prod")
    }
    doc = document(
        [
            node("t", "trigger.manual"),
            node(
                "call",
                "http.request",
                {"method": "GET", "url": "https://crm.example/a", "connection": str(conns["dev"].pk)},
            ),
        ],
        [edge("t", "call")],
    )
    flow = flow_actions.create_flow(actor=ben, organisation=org, name="Accounts", document=doc)

    login_ui(page, live_server_url, "ben")
    page.goto(f"{live_server_url}/flows/{flow.pk}")
    expect(page.get_by_test_id("env-dev")).to_have_text("Sandbox —")
    page.get_by_test_id("promote").select_option("dev")
    expect(page.get_by_test_id("env-dev")).to_have_text("Sandbox v1")
    page.get_by_test_id("promote").select_option("test")
    expect(page.get_by_test_id("env-test")).to_have_text("Test v2")
    _shot(page, artifacts, "editor-environments.png")
    test_version = Release.objects.get(flow=flow, environment="test").version
    bound = next(n for n in test_version.document["nodes"] if n["id"] == "call")["config"]["connection"]
    assert bound == str(conns["test"].pk)

    run = run_actions.start_run(actor=ben, flow=flow, input_items=[{}], version=test_version)
    page.goto(f"{live_server_url}/runs/{run.pk}")
    expect(page.get_by_test_id("run-environment")).to_have_text("Test")
    page.goto(f"{live_server_url}/runs")
    expect(page.get_by_test_id(f"run-row-{run.pk}").get_by_test_id("run-row-environment")).to_have_text(
        "Test"
    )
    # Each released environment's webhook URL shows in the editor's side panel.
    page.goto(f"{live_server_url}/flows/{flow.pk}")
    expect(page.get_by_test_id("env-webhook-test")).to_contain_text(f"/hooks/{flow.webhook_token}/test/")
    expect(page.get_by_test_id("env-webhook-prod")).to_have_count(0)
    # Connections show the organisation's environment names.
    page.goto(f"{live_server_url}/connections")
    expect(page.get_by_test_id(f"connection-env-{conns['dev'].pk}")).to_have_text("Sandbox")


def test_admin_requires_approval_from_the_governance_settings(
    strict_page: Page, live_server_url: str, make_org, make_user, artifacts
):
    page = strict_page
    org = make_org("Acme Advisory")
    make_user("ada", org, "admin")
    login_ui(page, live_server_url, "ada")
    page.goto(f"{live_server_url}/settings/governance")
    page.get_by_test_id("gov-require_publish_approval").click()  # saved at once; checked when answered
    expect(page.get_by_test_id("gov-require_publish_approval")).to_be_checked()
    page.get_by_test_id("gov-retention").fill("365")
    with page.expect_response(lambda r: "/governance/" in r.url and r.request.method == "PUT"):
        page.get_by_test_id("gov-retention-save").click()
    page.reload()
    expect(page.get_by_test_id("gov-retention")).to_have_value("365")
    _shot(page, artifacts, "settings-governance.png")
    org.refresh_from_db()
    assert org.require_publish_approval is True
    assert org.audit_retention_days == 365
