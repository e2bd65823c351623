"""A Kantata create survives a worker killed mid-call on real parts (a Celery worker subprocess killed
with SIGKILL, beat's sweeper, the sandbox over HTTP, PostgreSQL, Redis): the fault drill that left a
duplicate task every time the kill landed in the story step now finds exactly one story.

The sandbox holds the story create for a few seconds (a latency fault); the worker is killed the moment
the sandbox has received it, the sandbox then creates the story (the request was already in), and a new
worker resumes the run. The node runs again with the same idempotency key: the connector's lookup by
external reference finds the story, and nothing is created twice.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from connectors.psa.kantata import client as kantata_client
from flowbuilder.credentials import runtime
from flowbuilder.execution import actions as run_actions
from flowbuilder.execution.models import NodeRun, Run
from flowbuilder.flows import actions as flow_actions
from tests.conftest import document, edge, node
from tests.support.connections import sandbox_connection
from tests.support.live_stack import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

HOLD_MS = 3000


def _story_posts(sandbox: Any) -> int:
    stats = sandbox.admin("GET", "/_admin/stats")["systems"].get("kantata", {})
    return int((stats.get("by_object") or {}).get("POST stories", 0))


def test_a_worker_killed_during_the_story_create_leaves_exactly_one_story(
    sandbox, make_org, make_user, start_worker, start_beat
):
    runtime.clear_cache()
    org = make_org(f"Drill {uuid.uuid4().hex[:6]}")
    actor = make_user(f"drill-{uuid.uuid4().hex[:6]}", org, "admin")
    conn = sandbox_connection(sandbox, actor=actor, organisation=org, system="kantata")
    kt = runtime.open_connection(org.pk, conn.ref)
    workspace = kt.run_action("create_workspace", {"title": f"Drill {uuid.uuid4().hex[:6]}", "price": 1000})
    title = f"Discovery workshop {uuid.uuid4().hex[:6]}"
    doc = document(
        [
            node("t", "trigger.manual"),
            node(
                "story",
                "psa.kantata.create_story",
                {
                    "connection": conn.ref,
                    "title": title,
                    "workspace_id": workspace["id"],
                    "story_type": "task",
                },
            ),
        ],
        [edge("t", "story")],
    )
    flow = flow_actions.create_flow(actor=actor, organisation=org, name="Story drill", document=doc)
    flow_actions.publish_flow(actor=actor, flow=flow)
    flow.refresh_from_db()

    before = _story_posts(sandbox)
    sandbox.fault(
        "kantata", kind="latency", latency_ms=HOLD_MS, method="POST", path_prefix="/api/v1/stories", count=1
    )
    first = start_worker()
    run = run_actions.start_run(actor=actor, flow=flow, input_items=[{}])

    wait_until(
        lambda: _story_posts(sandbox) > before, 30, f"the create never reached Kantata:\n{first.tail()}", 0.01
    )
    first.kill()  # SIGKILL while Kantata holds the create: the worker never sees the answer
    assert first.popen.returncode == -9

    def stories() -> list[dict[str, Any]]:
        listed = kantata_client.list_records(kt.context(), "stories", {"workspace_id": workspace["id"]})
        return [s for s in listed if s["title"] == title]

    wait_until(lambda: len(stories()) == 1, HOLD_MS / 1000 + 15, "Kantata never created the held story")
    start_beat()
    start_worker()
    done = wait_until(
        lambda: Run.objects.filter(pk=run.pk, status__in=("succeeded", "failed")).first(), 60, "no resume"
    )
    assert done.status == "succeeded", done.error
    assert NodeRun.objects.get(run=run, node_id="story").attempt >= 2  # the node really ran again
    made = stories()
    assert len(made) == 1, made
    assert _story_posts(sandbox) == before + 1  # the replay found the story and posted nothing
    assert done.output_items and done.output_items[0]["id"] == made[0]["id"]
