"""Runs: list, detail, events, cancel, retry, skip-failed-node, replay; roles and tenant isolation."""

from __future__ import annotations

from flowbuilder.execution.models import Run, RunStatus

from .conftest import ROLES
from .mixins import OUTSIDERS, Act, ActionTests, DetailTests, ListTests, assert_not_found, result_ids

ALL = ROLES  # every role may read
OPERATORS = {"admin": 201, "operator": 201}


def failed_run(self, world, org):
    return world.make_run(org, status=RunStatus.FAILED, failed_node=True)


class TestRuns(ListTests, DetailTests, ActionTests):
    url_base = "/api/runs/"
    model = Run
    actions = [
        Act("get", "events", None, dict.fromkeys(ALL, 200)),
        Act("post", "cancel", None, {"admin": 200, "operator": 200}, audit="run.cancel"),
        Act("post", "retry", None, OPERATORS, audit="run.retry", make=failed_run),
        Act("post", "replay", None, OPERATORS, audit="run.replay"),
    ]

    def make(self, world, org):
        return world.make_run(org)

    def test_detail_shape(self, client_as, objs):
        data = client_as("viewer").get(self.detail_url(objs[0])).json()
        assert data["status"] == "queued"
        assert data["last_seq"] >= 1
        assert data["document"]["nodes"]
        assert data["node_runs"] == []
        assert data["input_items"] == [{"n": 1}]

    def test_events_after_seq(self, client_as, objs):
        client = client_as("viewer")
        events = client.get(self.detail_url(objs[0], "events")).json()
        assert [e["type"] for e in events] == ["run.queued"]
        assert client.get(self.detail_url(objs[0], "events") + f"?after_seq={events[-1]['seq']}").json() == []
        bad = client.get(self.detail_url(objs[0], "events") + "?after_seq=x")
        assert bad.status_code == 400
        assert "after_seq" in bad.json()["errors"]

    def test_cancel_terminal_run_is_400(self, client_as, world):
        run = world.make_run(world.a, status=RunStatus.SUCCEEDED)
        response = client_as("operator").post(self.detail_url(run, "cancel"))
        assert response.status_code == 400
        assert "status" in response.json()["errors"]

    def test_retry_queued_run_is_400(self, client_as, world):
        run = world.make_run(world.a)
        assert client_as("operator").post(self.detail_url(run, "retry")).status_code == 400

    def test_retry_resumes_after_succeeded_nodes(self, client_as, world):
        run = world.make_run(world.a, status=RunStatus.FAILED, failed_node=True)
        data = client_as("operator").post(self.detail_url(run, "retry")).json()
        new = Run.objects.get(pk=data["id"])
        assert new.replay_of_id == run.pk
        assert list(new.node_runs.values_list("node_id", flat=True)) == ["t"]

    def test_original_and_retry_link_both_ways(self, client_as, world):
        """Issue 10, defect 7: the retry's detail names its original, the original's names the retry."""
        run = world.make_run(world.a, status=RunStatus.FAILED, failed_node=True)
        client = client_as("operator")
        retry_id = client.post(self.detail_url(run, "retry")).json()["id"]
        retry = client.get(self.detail_url(Run.objects.get(pk=retry_id))).json()
        assert retry["replay_of"] == run.pk and retry["retried_as"] == []
        original = client.get(self.detail_url(run)).json()
        assert [r["id"] for r in original["retried_as"]] == [retry_id]
        assert original["retried_as"][0]["status"] in ("queued", "running", "succeeded", "failed")

    def test_filters(self, client_as, world, objs):
        ours, theirs = objs
        client = client_as("viewer")
        assert ours.pk in result_ids(client.get(f"{self.url_base}?flow={ours.flow_id}&status=queued"))
        assert result_ids(client.get(f"{self.url_base}?status=failed")) == set()
        assert ours.pk in result_ids(client.get(f"{self.url_base}?origin=manual"))
        for query in ("status=bogus", "origin=bogus", "flow=abc", "flow=1.5"):
            response = client.get(f"{self.url_base}?{query}")
            assert response.status_code == 400, query
            assert query.split("=")[0] in response.json()["errors"], query

    def test_flow_filter_with_other_tenants_flow_is_like_unknown_id(self, client_as, objs):
        """``?flow=<b's flow>`` answers exactly as a flow id that does not exist: no existence oracle."""
        _, theirs = objs
        for who in OUTSIDERS:
            client = client_as(who)
            other = client.get(f"{self.url_base}?flow={theirs.flow_id}")
            missing = client.get(f"{self.url_base}?flow=999999999")
            assert other.status_code == missing.status_code, who
            assert other.status_code < 500
            if other.status_code == 200:
                assert result_ids(other) == set()


class TestSkipFailedNode(ActionTests):
    url_base = "/api/runs/"
    model = Run
    actions = [Act("post", "skip-failed-node", None, OPERATORS, audit="run.skip_node", make=failed_run)]

    def make(self, world, org):
        return failed_run(self, world, org)

    def test_skip_failed_node_marks_it_done(self, client_as, world):
        run = failed_run(self, world, world.a)
        response = client_as("operator").post(f"/api/runs/{run.pk}/skip-failed-node/")
        assert response.status_code == 201
        new = Run.objects.get(pk=response.json()["id"])
        skipped = new.node_runs.get(node_id="m0")
        assert skipped.status == "succeeded"
        assert skipped.error["skipped_by_operator"] is True

    def test_skip_without_failed_node_is_400(self, client_as, world):
        run = world.make_run(world.a, status=RunStatus.FAILED)
        assert client_as("operator").post(f"/api/runs/{run.pk}/skip-failed-node/").status_code == 400

    def test_other_tenant_skip_is_404(self, client_as, world):
        theirs = failed_run(self, world, world.b)
        for who in OUTSIDERS:
            assert_not_found(client_as(who).post(f"/api/runs/{theirs.pk}/skip-failed-node/"), who)
