"""The integration suite: the real stack (tests/support/live_stack.py) around every test, a fresh sandbox
per test module, and helpers that wait for runs and drive the lifecycle flows.

The live-stack fixtures (``live_server_url``, ``worker``, ``start_worker``, ``start_beat``, ``login``,
``subprocess_env``, ...) come from tests/support/live_stack.py, registered in tests/conftest.py.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

# Kept importable from here for tests written before they moved to tests/support/live_stack.py.
from tests.support.live_stack import (  # noqa: F401
    PASSWORD,
    ApiSession,
    Proc,
    open_websocket,
    receive_json,
    wait_until,
)
from tests.support.sandbox import CLIENT, Sandbox, running_sandbox


@pytest.fixture(autouse=True)
def _isolated(live_stack_isolation: None) -> None:
    """Every test here runs on the real stack (tests/support/live_stack.py)."""


# --------------------------------------------------------------------------- the sandbox systems
TERMINAL_RUN = frozenset({"succeeded", "failed", "cancelled"})


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A fresh sandbox per test module, without rate limits (the tests count requests, not 429s)."""
    with running_sandbox(tmp_path_factory.mktemp("sandbox")) as box:
        yield box


def node_errors(run: Any) -> list:
    """(node id, error) of every node of ``run`` that has one: what a failure message should show."""
    from flowbuilder.execution.models import NodeRun

    return list(NodeRun.objects.filter(run=run).exclude(error=None).values_list("node_id", "error"))


def wait_for_run_row(run: Any, timeout: float = 60) -> Any:
    """Wait until ``run`` (a Run row) is finished, reading the database; returns it refreshed."""

    def done() -> Any:
        run.refresh_from_db()
        return run if run.status in TERMINAL_RUN else None

    wait_until(done, timeout, f"run {run.pk} did not finish", interval=0.2)
    return run


def diagnose_flows(flows: dict[str, Any]) -> str:
    """Runs per flow with their failing nodes and the flows' polling state, for a timeout's message."""
    from flowbuilder.execution.models import Run
    from flowbuilder.triggers.models import PollingState

    out = []
    for key, flow in flows.items():
        for run in Run.objects.filter(flow=flow).order_by("id"):
            out.append(f"{key} run {run.pk} {run.status} in={len(run.input_items or [])} {node_errors(run)}")
    for state in PollingState.objects.filter(flow__in=flows.values()):
        out.append(f"poll {state.flow.name}: generation {state.generation}, error {state.last_error!r}")
    return "\n".join(out) or "no runs"


def settle_flows(flows: dict[str, Any], expected_failures: frozenset[int] = frozenset()) -> None:
    """Every run of every flow finished, and succeeded (but the ones a test made fail on purpose)."""
    from flowbuilder.execution.models import Run

    def all_done() -> bool:
        return not Run.objects.filter(flow__in=flows.values()).exclude(status__in=TERMINAL_RUN).exists()

    wait_for_flows(flows, all_done, 60, "runs still going")
    failed = [
        (r.flow.name, r.pk, node_errors(r))
        for r in Run.objects.filter(flow__in=flows.values(), status="failed").exclude(
            pk__in=expected_failures
        )
    ]
    assert not failed, failed


def wait_for_flows(flows: dict[str, Any], condition: Callable[[], Any], timeout: float, message: str) -> Any:
    """``wait_until`` whose failure message tells what the flows' runs and triggers were doing."""
    try:
        return wait_until(condition, timeout, message, interval=0.3)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{diagnose_flows(flows)}") from None


def wait_until_quiet(flows: list[Any], message: str, *, quiet_s: float = 5, timeout: float = 40) -> None:
    """Wait until ``flows`` start no new run for ``quiet_s`` (several 1 s poll intervals plus the settle
    margin): flows that write to each other's systems have stopped starting each other."""
    from flowbuilder.execution.models import Run

    runs = Run.objects.filter(flow__in=flows)

    def quiet() -> bool:
        before = runs.count()
        time.sleep(quiet_s)
        return runs.count() == before

    wait_until(quiet, timeout, message)


def close_won_deal(
    sf: Any, *, account_name: str, opportunity_name: str, extra_lines: tuple = ()
) -> tuple[dict, dict]:
    """In the sandbox Salesforce: an account and an opportunity with a T&M line (2 x 4,000) and a
    fixed-fee line (40,000), then moved to Closed Won, which is what the quote-to-project flows poll for."""
    account = sf.run_action(
        "create", {"sobject": "Account", "fields": {"Name": account_name, "BillingCountry": "GB"}}
    )
    opp = sf.run_action(
        "create",
        {
            "sobject": "Opportunity",
            "fields": {
                "Name": opportunity_name,
                "AccountId": account["id"],
                "StageName": "Negotiation/Review",
                "CloseDate": "2026-02-02",
                "Amount": 48000,
            },
        },
    )
    lines = [
        ("Discovery workshop", 2, 4000, "Time and Materials"),
        ("Rollout FIXED fee", 1, 40000, "Fixed Fee"),
        *extra_lines,
    ]
    for description, quantity, price, billing_type in lines:
        sf.run_action(
            "create",
            {
                "sobject": "OpportunityLineItem",
                "fields": {
                    "OpportunityId": opp["id"],
                    "Description": description,
                    "Quantity": quantity,
                    "UnitPrice": price,
                    "ProductCode": "FIXED" if "FIXED" in description else "TM",
                    "Billing_Type__c": billing_type,
                },
            },
        )
    sf.run_action(
        "update", {"sobject": "Opportunity", "id": opp["id"], "fields": {"StageName": "Closed Won"}}
    )
    return account, opp


@dataclass
class LiveLifecycle:
    actor: Any
    customer: Any
    connections: dict[str, Any]
    flows: dict[str, Any]


def live_lifecycle(
    *,
    sandbox: Sandbox,
    make_org: Callable[..., Any],
    make_user: Callable[..., Any],
    name: str,
    systems: tuple[str, ...],
    values_for: Callable[[dict[str, Any]], dict[str, Any]],
) -> LiveLifecycle:
    """A partner and a customer with sandbox connections to ``systems``, and the lifecycle templates for
    those systems installed in the partner and cloned live (published) into the customer, as
    ``manage.py load_demo`` does. ``values_for(template spec)`` gives the clone's parameter values."""
    from flowbuilder.devtools.demo import (
        clone_live,
        install_template,
        load_template_file,
        sandbox_connection,
        template_files,
    )
    from flowbuilder.tenancy.models import OrganisationKind

    partner = make_org(f"{name} Partner", kind=OrganisationKind.PARTNER)
    customer = make_org(f"{name} Customer", parent=partner)
    actor = make_user(f"partner-{uuid.uuid4().hex[:6]}", partner, "admin")

    from tests.support.sandbox_auth import kantata_token, netsuite_certificate

    token = kantata_token(sandbox.url, CLIENT) if "kantata" in systems else None
    certificate = netsuite_certificate(sandbox.url, CLIENT["client_id"]) if "netsuite" in systems else None

    def connect(org: Any) -> dict[str, Any]:
        return {
            s: sandbox_connection(
                actor=actor,
                organisation=org,
                system=s,
                sandbox_url=sandbox.url,
                client=CLIENT,
                kantata_token=token,
                netsuite_certificate=certificate,
            )
            for s in systems
        }

    partner_connections, connections = connect(partner), connect(customer)
    flows = {}
    for path in template_files(systems=systems):
        spec = load_template_file(path)
        template = install_template(
            actor=actor, partner=partner, spec=spec, partner_connections=partner_connections
        )
        flows[spec["key"]] = clone_live(
            actor=actor,
            template=template,
            customer=customer,
            connections=connections,
            # Values a template does not declare (a manual-start template has no poll interval) are left out.
            values={
                k: v
                for k, v in values_for(spec).items()
                if k in {p["name"] for p in spec.get("parameters") or []}
            },
        )
    return LiveLifecycle(actor, customer, connections, flows)


def wait_for_first_polls(flows: dict[str, Any]) -> None:
    """Every polling trigger of ``flows`` polled once (its starting point is set): changes count from now."""
    from flowbuilder.triggers.models import PollingState

    states = PollingState.objects.filter(flow__in=flows.values())
    started_by_a_person = [
        f
        for f in flows.values()
        if any(n["type"] == "trigger.manual" for n in f.published_version.document["nodes"])
    ]
    assert states.count() == len(flows) - len(started_by_a_person)
    wait_until(
        lambda: not states.filter(generation=0).exists(), 30, "the triggers never polled", interval=0.2
    )


def kill_at_held_write_then_finish(
    *,
    actor: Any,
    flow: Any,
    proxy: Any,
    write: str,
    killed_at: str,
    where: str,
    start_worker: Callable[[], Any],
    start_beat: Callable[[], Any],
) -> Any:
    """Start a run of ``flow``; when ``proxy`` holds the write (``write``, a regex over "METHOD path"),
    SIGKILL the worker, so the remote record exists and the run never heard of it; then let the sweeper and
    a new worker finish the run. Returns the finished run (it succeeded, sending that write again)."""
    import re

    from flowbuilder.execution import actions as run_actions
    from flowbuilder.execution.models import NodeRun

    first = start_worker()
    run = run_actions.start_run(actor=actor, flow=flow, input_items=[{}])
    if not proxy.held.wait(60):
        run.refresh_from_db()
        pytest.fail(f"{where}: the write never reached the sandbox: {node_errors(run)}\n{first.tail()}")
    held = " ".join(proxy.held_request or ())
    assert re.fullmatch(write, held), (where, held)
    first.kill()  # SIGKILL while the system's answer is held: the write is done, unrecorded
    assert first.popen.returncode == -9, where
    assert NodeRun.objects.get(run=run, node_id=killed_at).status == "running", where
    proxy.release()

    start_beat()  # the sweeper finds the dead worker's run
    start_worker()
    done = wait_for_run_row(run, timeout=120)
    assert done.status == "succeeded", (where, node_errors(done))
    assert NodeRun.objects.get(run=run, node_id=killed_at).attempt >= 2, where  # sent again
    return done
