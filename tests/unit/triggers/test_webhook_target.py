"""Finding a webhook's flow: one query whose SQL the ORM compiles once per process; the answer is the
same flow, with its organisation's live-run count, as the ORM's queryset would give."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from flowbuilder.execution.models import Run, RunStatus
from flowbuilder.flows import actions as flow_actions
from flowbuilder.triggers import webhooks
from tests.support.documents import document, edge, node
from tests.support.flows import published_flow

pytestmark = pytest.mark.django_db


def _published(user, org, name="hook"):
    doc = document([node("t", "trigger.webhook"), node("m", "transform.map")], [edge("t", "m")])
    return published_flow(user, org, name, doc)


def _run(flow, status=RunStatus.QUEUED, *, dispatched=True):
    return Run.objects.create(
        organisation_id=flow.organisation_id,
        flow=flow,
        version_id=flow.published_version_id,
        origin="webhook",
        input_items=[],
        options={},
        status=status,
        dispatched_at=timezone.now() if dispatched else None,
    )


def test_the_compiled_query_finds_the_flow_and_its_organisations_live_runs(admin, org, make_org, make_user):
    flow = _published(admin, org)
    flow.max_concurrent_runs, flow.criticality = 3, "high"
    flow.save(update_fields=["max_concurrent_runs", "criticality"])
    other_org = make_org("Other")
    other = _published(make_user("olga", other_org, "admin"), other_org, "theirs")
    _run(flow), _run(flow, RunStatus.RUNNING), _run(other)
    _run(flow, dispatched=False)  # queued but held back by admission: holds no worker, does not count
    webhooks.find_target(flow.webhook_token)  # reads the version's trigger config once (then cached)
    with CaptureQueriesContext(connection) as queries:
        target = webhooks.find_target(flow.webhook_token)
    assert len(queries) == 1
    found = target.flow
    assert (found.pk, found.organisation_id, found.published_version_id) == (
        flow.pk,
        org.pk,
        flow.published_version_id,
    )
    assert (found.max_concurrent_runs, found.criticality, found.webhook_secret) == (
        3,
        "high",
        flow.webhook_secret,
    )
    assert found.org_live_runs == 2  # its organisation's two, never the other organisation's run
    expected = webhooks._target_query(flow.webhook_token).get()  # what the ORM itself answers
    assert found.org_live_runs == expected.org_live_runs
    assert found.name == flow.name  # a field not read is loaded on demand, as with only()
    assert webhooks.find_target(other.webhook_token).flow.org_live_runs == 1

    with pytest.raises(webhooks.WebhookNotFound):
        webhooks.find_target("no-such-token")
    draft = flow_actions.create_flow(actor=admin, organisation=org, name="draft", document=document([], []))
    with pytest.raises(webhooks.WebhookNotFound):  # never published
        webhooks.find_target(draft.webhook_token)
