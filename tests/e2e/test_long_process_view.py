"""A long business process in the run view (issue 11): a run parked at a callback wait says so and shows
the URL that wakes it; calling that URL finishes the run. A run whose last step fails finally shows its
saga: the completed steps undone, the last completed first. Real worker, uvicorn and Chromium."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Page, expect

from flowbuilder.execution import actions as run_actions
from flowbuilder.execution.models import Run, RunStatus
from tests.support.documents import document, edge, node
from tests.support.flows import published_flow

from .conftest import login_ui

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page: Page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / name))


def _until(run: Run, statuses: set[str], timeout: float = 60) -> Run:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status in statuses:
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run.pk} is {run.status}, not {statuses}")


def test_a_waiting_run_shows_how_to_wake_it_and_wakes_when_called(
    strict_page: Page, live_server_url: str, make_org, make_user, worker, artifacts
):
    page = strict_page
    org = make_org("Acme Advisory")
    builder = make_user("ben", org, "builder")
    ops = make_user("olga", org, "operator")
    doc = document(
        [
            node("t", "trigger.manual"),
            node("w", "flow.wait", {"mode": "callback", "timeout_hours": 24}, label="Wait for payment"),
        ],
        [edge("t", "w")],
    )
    flow = published_flow(builder, org, "Invoice paid callback", doc)
    run = _until(run_actions.start_run(actor=ops, flow=flow, input_items=[{"invoice": "INV-7"}]), {"waiting"})

    login_ui(page, live_server_url, "olga")
    page.goto(f"{live_server_url}/runs/{run.pk}")
    banner = page.get_by_test_id("run-waiting")
    expect(banner).to_contain_text("Waiting at Wait for payment")
    expect(banner).to_contain_text("/hooks/resume/")
    _shot(page, artifacts, "run-waiting-callback.png")
    resume_url = page.locator(".resume-url").inner_text().strip()

    # The outside system calls back (here through the live server, as it would through the public URL).
    path = resume_url[resume_url.index("/hooks/resume/") :]
    answer = requests.post(live_server_url + path, json={"paid": True}, timeout=10)
    assert answer.status_code == 202, answer.text
    assert _until(run, {RunStatus.SUCCEEDED}).output_items == [
        {"invoice": "INV-7", "callback": {"paid": True}}
    ]
    page.reload()
    expect(page.get_by_test_id("run-detail")).to_have_attribute("data-status", "succeeded")
    expect(page.get_by_test_id("run-waiting")).to_have_count(0)


def test_a_final_failure_shows_the_undone_steps_in_order(
    strict_page: Page, live_server_url: str, make_org, make_user, worker, endpoint, artifacts
):
    page = strict_page
    endpoint.route("/fail", lambda n, body: (400, {}, {"error": "the ERP refused the invoice"}))
    org = make_org("Acme Advisory")
    builder = make_user("ben", org, "builder")
    ops = make_user("olga", org, "operator")

    def step(name: str, label: str):
        return node(
            name,
            "http.request",
            {"method": "POST", "url": endpoint.url + f"/{name}"},
            label=label,
            compensation={
                "type": "http.request",
                "config": {"method": "POST", "url": endpoint.url + f"/undo-{name}"},
            },
        )

    doc = document(
        [
            node("t", "trigger.manual"),
            step("a", "Create project"),
            step("b", "Mark time billed"),
            node(
                "c", "http.request", {"method": "POST", "url": endpoint.url + "/fail"}, label="Create invoice"
            ),
        ],
        [edge("t", "a"), edge("a", "b"), edge("b", "c")],
    )
    flow = published_flow(builder, org, "Bill the project", doc)
    run = _until(run_actions.start_run(actor=ops, flow=flow, input_items=[{"n": 1}]), {"failed"})

    login_ui(page, live_server_url, "olga")
    page.goto(f"{live_server_url}/runs/{run.pk}")
    saga = page.get_by_test_id("saga-panel")
    expect(saga).to_contain_text("2 of 2 undone")
    expect(page.get_by_test_id("saga-b")).to_have_attribute("data-status", "succeeded")
    text = saga.inner_text()
    assert text.index("Mark time billed") < text.index("Create project")  # the last completed first
    _shot(page, artifacts, "run-saga.png")
    assert endpoint.started["/undo-b"][0] < endpoint.started["/undo-a"][0]


def test_a_slow_call_is_shown_running_while_it_is_in_flight(
    strict_page: Page, live_server_url: str, make_org, make_user, worker, endpoint, artifacts
):
    """The page is open before the call starts (the run waits for a callback first), so what it shows
    comes through the websocket: the run's resumption and the call's start are pushed before the call
    ends, not with its result."""
    page = strict_page
    org = make_org("Acme Advisory")
    builder = make_user("ben", org, "builder")
    ops = make_user("olga", org, "operator")
    release = threading.Event()

    def slow_erp(n, body):
        release.wait(60)
        return 200, {}, {"posted": True}

    endpoint.route("/invoice", slow_erp)
    doc = document(
        [
            node("t", "trigger.manual", position={"x": 0, "y": 0}),
            node(
                "w",
                "flow.wait",
                {"mode": "callback", "timeout_hours": 24},
                label="Wait for approval",
                position={"x": 260, "y": 0},
            ),
            node(
                "call",
                "http.request",
                {"method": "POST", "url": endpoint.url + "/invoice"},
                label="Post invoice to ERP",
                position={"x": 520, "y": 0},
            ),
            node("after", "flow.noop", position={"x": 780, "y": 0}),
        ],
        [edge("t", "w"), edge("w", "call"), edge("call", "after")],
    )
    flow = published_flow(builder, org, "Slow ERP call", doc)
    run = _until(run_actions.start_run(actor=ops, flow=flow, input_items=[{"invoice": "INV-8"}]), {"waiting"})

    login_ui(page, live_server_url, "olga")
    page.goto(f"{live_server_url}/runs/{run.pk}")
    call = page.get_by_test_id("node-call")
    expect(page.get_by_test_id("run-waiting")).to_contain_text("Waiting at Wait for approval")
    expect(call).not_to_have_class(re.compile(r"\bstatus-running\b"))
    resume_url = page.locator(".resume-url").inner_text().strip()
    try:
        path = resume_url[resume_url.index("/hooks/resume/") :]
        assert requests.post(live_server_url + path, json={}, timeout=10).status_code == 202
        expect(call).to_have_class(re.compile(r"\bstatus-running\b"), timeout=30_000)
        assert endpoint.calls["/invoice"] == 1  # in flight: the ERP has the call and has not answered
        # The wait is over: the run says so while the call is still in flight.
        expect(page.get_by_test_id("run-detail")).to_have_attribute("data-status", "running")
        expect(page.get_by_test_id("run-waiting")).to_have_count(0)
        expect(page.get_by_test_id("node-w")).to_have_class(re.compile(r"\bstatus-succeeded\b"))
        _shot(page, artifacts, "run-call-in-flight.png")
    finally:
        release.set()
    expect(call).to_have_class(re.compile(r"\bstatus-succeeded\b"), timeout=30_000)
    expect(page.get_by_test_id("node-after")).to_have_class(re.compile(r"\bstatus-succeeded\b"))
