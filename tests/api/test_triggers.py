"""GET /api/triggers/ and the operator actions pause, resume and poll-now."""

from __future__ import annotations

from django.utils import timezone

from flowbuilder.triggers.actions import claim_due
from flowbuilder.triggers.models import PollingState
from tests.support.documents import document, edge, node

from .mixins import Act, ActionTests, DetailTests, ListTests

OPERATORS = {"admin": 200, "operator": 200}


def schedule_document() -> dict:
    return document(
        [
            {**node("tick", "trigger.schedule", {"mode": "interval", "interval_s": 60}), "label": "Nightly"},
            node("m", "transform.map", {"fields": []}),
        ],
        [edge("tick", "m")],
    )


def make_trigger(test, world, org) -> PollingState:
    flow = world.make_flow(org, name="Timed", published=True, doc=schedule_document())
    return PollingState.objects.get(flow=flow)


def make_paused(test, world, org) -> PollingState:
    state = make_trigger(test, world, org)
    state.paused_at = timezone.now()
    state.save()
    return state


class TestTriggers(ListTests, DetailTests, ActionTests):
    url_base = "/api/triggers/"
    model = PollingState
    actions = [
        Act("post", "pause", None, OPERATORS, audit="trigger.pause"),
        Act("post", "resume", None, OPERATORS, audit="trigger.resume", make=make_paused),
        Act("post", "poll-now", None, OPERATORS, audit="trigger.poll_now"),
    ]

    def make(self, world, org):
        return make_trigger(self, world, org)

    def test_shape_names_the_flow_and_node(self, client_as, objs):
        data = client_as("viewer").get(self.detail_url(objs[0])).json()
        assert (data["flow_name"], data["node_id"], data["node_label"]) == ("Timed", "tick", "Nightly")
        assert (data["kind"], data["health"], data["interval_s"]) == ("schedule", "waiting", 60)
        assert data["paused_at"] is None and data["last_error"] == "" and data["cron"] is None

    def test_cron_schedules_show_their_expression(self, client_as, world):
        doc = schedule_document()
        doc["nodes"][0]["config"] = {"mode": "cron", "cron": "0 2 * * *"}
        flow = world.make_flow(world.a, name="Nightly", published=True, doc=doc)
        state = PollingState.objects.get(flow=flow)
        assert client_as("viewer").get(self.detail_url(state)).json()["cron"] == "0 2 * * *"

    def test_paused_trigger_is_not_claimed_until_resumed(self, client_as, world):
        state = make_trigger(self, world, world.a)
        PollingState.objects.filter(pk=state.pk).update(next_poll_at=timezone.now())
        paused = client_as("operator").post(self.detail_url(state, "pause")).json()
        assert paused["health"] == "paused" and paused["paused_by"] == world.user("operator").username
        assert state.pk not in claim_due()
        resumed = client_as("operator").post(self.detail_url(state, "resume")).json()
        assert resumed["health"] == "waiting" and resumed["paused_at"] is None
        assert state.pk in claim_due()  # due at once: it catches up from its cursor

    def test_pause_survives_publishing_a_new_version(self, client_as, world):
        from flowbuilder.flows import actions as flow_actions

        state = make_trigger(self, world, world.a)
        client_as("operator").post(self.detail_url(state, "pause"))
        flow = state.flow
        flow_actions.publish_flow(actor=world.user("admin"), flow=flow, comment="again")
        state.refresh_from_db()
        assert state.paused_at is not None and state.enabled

    def test_refusals_say_why(self, client_as, world):
        state = make_trigger(self, world, world.a)
        client = client_as("operator")
        assert client.post(self.detail_url(state, "resume")).json()["errors"] == {
            "paused": ["The trigger is not paused."]
        }
        client.post(self.detail_url(state, "pause"))
        for path, message in (("pause", "already paused"), ("poll-now", "resume it to poll")):
            response = client.post(self.detail_url(state, path))
            assert response.status_code == 400
            assert message in response.json()["errors"]["paused"][0]
        PollingState.objects.filter(pk=state.pk).update(enabled=False, paused_at=None)
        response = client.post(self.detail_url(state, "poll-now"))
        assert response.status_code == 400 and "no longer in the published flow" in response.json()["detail"]

    def test_poll_now_leases_the_trigger_so_the_beat_does_not_poll_it_twice(self, client_as, world):
        state = make_trigger(self, world, world.a)
        PollingState.objects.filter(pk=state.pk).update(next_poll_at=timezone.now())
        assert client_as("admin").post(self.detail_url(state, "poll-now")).status_code == 200
        assert state.pk not in claim_due()

    def test_filter_by_flow(self, client_as, world, objs):
        ours, theirs = objs
        client = client_as("viewer")
        assert {r["id"] for r in client.get(f"{self.url_base}?flow={ours.flow_id}").json()["results"]} == {
            ours.pk
        }
        assert client.get(f"{self.url_base}?flow={theirs.flow_id}").status_code == 400
