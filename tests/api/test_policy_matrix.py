"""The role x endpoint x method matrix, generated from the policy table (flowbuilder/api/policy.py).

Every URL pattern of the API is enumerated with Django's resolver. Each route must have an entry in the
table whose methods are exactly the ones its view answers, and the table has no entry for a route that
does not exist. Then every method of every route is called by one user per role, by a signed-out client
and by another tenant's admin, and each answer is checked against the table: a 2xx the table does not
allow fails, and so does a refusal (401/403) of a caller the table allows (unless the rule says the action
narrows it further, like an approval that only its assignees decide).

Each role's user holds that role in customer ``a`` and in its partner (templates are the partner's);
every call runs in a savepoint that is rolled back, so a DELETE does not change what the next caller sees.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from flowbuilder.api.policy import POLICY, PUBLIC, QUERYSET, SIGNED_IN, Rule
from flowbuilder.credentials import actions as credential_actions
from flowbuilder.execution.models import ApprovalRequest, RunStatus
from flowbuilder.identity.models import OrganisationSSO
from flowbuilder.tenancy.models import Membership
from flowbuilder.tenancy.roles import ROLE_ACTIONS

from . import test_alerts as alert_tests
from . import test_inbox as inbox_tests
from . import test_insights as insights
from . import test_match_reviews as match_review_tests
from .conftest import ROLES, World
from .test_templates import make_instance, make_template
from .test_triggers import make_trigger

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    callback: Any

    @property
    def drf(self) -> bool:
        return hasattr(self.callback, "cls")

    @property
    def basename(self) -> str | None:
        return (getattr(self.callback, "initkwargs", None) or {}).get("basename")

    @property
    def detail(self) -> bool:
        return "(?P<pk>" in self.pattern

    def methods(self) -> set[str]:
        actions = getattr(self.callback, "actions", None)
        if actions:
            return {m.upper() for m in actions if m not in ("head", "options")}
        cls = self.callback.cls
        return {m.upper() for m in cls.http_method_names if m not in ("head", "options") and hasattr(cls, m)}


def _walk(patterns: list, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern), p


def api_routes() -> list[Route]:
    """Every route under /api/ (format-suffix twins folded into their route)."""
    seen: dict[str, Route] = {}
    for pattern, entry in _walk(get_resolver().url_patterns):
        if not pattern.startswith("api/") or "format>" in pattern or "drf_format_suffix" in pattern:
            continue
        assert entry.name, f"API pattern {pattern!r} has no URL name: the policy table cannot name it"
        seen.setdefault(entry.name, Route(entry.name, pattern, entry.callback))
    return list(seen.values())


ROUTES = api_routes()
DRF_ROUTES = [r for r in ROUTES if r.drf]


def test_every_api_route_has_a_policy_entry_for_exactly_the_methods_it_answers():
    missing = sorted(r.name for r in DRF_ROUTES if r.name not in POLICY)
    assert missing == [], f"API routes without a policy entry (flowbuilder/api/policy.py): {missing}"
    mismatched = {
        r.name: (sorted(r.methods()), sorted(POLICY[r.name]))
        for r in DRF_ROUTES
        if r.methods() != set(POLICY[r.name])
    }
    assert mismatched == {}, f"route: (methods the view answers, methods in the table): {mismatched}"


def test_the_policy_table_names_no_route_that_does_not_exist():
    stale = sorted(set(POLICY) - {r.name for r in DRF_ROUTES})
    assert stale == [], f"policy entries for routes that do not exist: {stale}"


def test_the_catch_all_answers_404_whoever_asks(world):
    for client in (APIClient(), _client(world.users["admin"])):
        for method in METHODS:
            response = client.generic(method, "/api/no-such-endpoint/")
            assert response.status_code == 404, method


# --- the matrix ------------------------------------------------------------------------------------


def _client(user: Any | None) -> APIClient:
    client = APIClient()
    if user is not None:
        # A fresh instance per client: permission caches live on the user object for one request.
        client.force_authenticate(type(user).objects.get(pk=user.pk))
    return client


def _approval(world: World) -> ApprovalRequest:
    run = world.make_run(world.a, status=RunStatus.WAITING)
    return ApprovalRequest.objects.create(
        organisation=world.a, run=run, node_id="approve", title="Check", assignee_roles=["approver"]
    )


def _connection(world: World) -> Any:
    # Port 9 on a host the organisation does not allow: a test call is refused before any I/O.
    return credential_actions.create_connection(
        actor=world.users["admin"],
        organisation=world.a,
        name="Matrix",
        connector="http",
        base_url="http://127.0.0.1:9/",
        credential_type="bearer",
        credentials={"token": "tok-matrix"},
    )


def _review(world: World) -> Any:
    """A version waiting in review in ``a`` (the customer requires approval)."""
    from flowbuilder.flows import actions as flow_actions

    flow = world.make_flow(world.a, name="Reviewed")
    world.a.require_publish_approval = True
    world.a.save(update_fields=["require_publish_approval"])
    review = flow_actions.publish_flow(actor=world.users["builder"], flow=flow, comment="please")
    # The review stays waiting; later factories publish and run flows directly again.
    world.a.require_publish_approval = False
    world.a.save(update_fields=["require_publish_approval"])
    return review


def _audit_event(world: World) -> Any:
    from flowbuilder.audit.models import AuditEvent

    world.make_flow(world.a, name="Audited")
    return AuditEvent.objects.filter(organisation=world.a).order_by("-id").first()


def _insight(test_class: Any) -> Callable[[World], Any]:
    """Operational-intelligence objects, made as their API tests make them (tests/api/test_insights)."""
    return lambda world: test_class().make(world, world.a)


#: One object per router basename, in ``a`` (templates in its partner).
FACTORIES: dict[str, Callable[[World], Any]] = {
    "organisation": lambda w: w.partner,
    "membership": lambda w: Membership.objects.get(user=w.users["viewer"], organisation=w.a),
    "user": lambda w: w.users["viewer"],
    "flow": lambda w: w.make_flow(w.a, name="Matrix flow", published=True),
    "version": lambda w: w.make_flow(w.a, name="Versioned", published=True).published_version,
    "run": lambda w: w.make_run(w.a, status=RunStatus.FAILED, failed_node=True),
    "trigger": lambda w: make_trigger(None, w, w.a),
    "approval": _approval,
    "review": _review,
    "audit-event": _audit_event,
    "connection": _connection,
    "template": lambda w: make_template(w, w.partner),
    "template-instance": lambda w: make_instance(None, w, w.a),
    "business-systems": _insight(insights.TestBusinessSystems),
    "business-calendar": _insight(insights.TestBusinessCalendars),
    "sla-policy": _insight(insights.TestSlaPolicies),
    "sla-evaluation": _insight(insights.TestSlaEvaluations),
    "kpi": _insight(insights.TestKpis),
    "kpi-value": _insight(insights.TestKpiValues),
    "reconciliation-policy": _insight(insights.TestReconciliationPolicies),
    "reconciliation-report": _insight(insights.TestReconciliationReports),
    "failure": lambda w: inbox_tests.make_failure(w, w.a),
    "inbox-batch": lambda w: inbox_tests._batch(None, w, w.a),
    "match-review": lambda w: match_review_tests.make_review(w, w.a),
    "alert-rule": lambda w: alert_tests.make_rule(w, w.a),
    "incident": lambda w: alert_tests.make_incident(None, w, w.a),
}

#: The organisation a collection POST names (its rule's ``org_field``).
COLLECTION_TARGET: dict[str, Callable[[World], Any]] = {"template-list": lambda w: w.partner}


@pytest.fixture
def matrix_world(world: World) -> World:
    for role, user in world.users.items():
        Membership.objects.create(user=user, organisation=world.partner, role=role)
    # The organisation routes act on the partner; its SSO settings exist so reading them is not a 404.
    OrganisationSSO.objects.create(organisation=world.partner, issuer="https://idp.example", client_id="fb")
    return world


def _url(route: Route, obj: Any) -> str:
    kwargs: dict[str, Any] = {}
    if route.detail:
        kwargs["pk"] = obj.pk
    if "(?P<number>" in route.pattern:
        kwargs["number"] = 1
    if "(?P<node_id>" in route.pattern:
        kwargs["node_id"] = "m0"
    if "(?P<environment>" in route.pattern:
        kwargs["environment"] = "test"
    return reverse(route.name, kwargs=kwargs)


def _body(route: Route, rule: Rule, world: World) -> dict[str, Any]:
    if route.detail:
        return {}
    target = COLLECTION_TARGET.get(route.name, lambda w: w.a)(world)
    return {rule.org_field: target.pk}


def _allowed(rule: Rule, role: str | None) -> bool:
    if rule.action == PUBLIC:
        return True
    if role is None:
        return False
    return rule.action == SIGNED_IN or rule.action in ROLE_ACTIONS[role]


def _call(client: APIClient, method: str, url: str, body: dict[str, Any]) -> Any:
    with transaction.atomic():
        if method == "GET":
            response = client.get(url)
        else:
            response = client.generic(method, url, data=_json(body), content_type="application/json")
        transaction.set_rollback(True)
    return response


def _json(body: dict[str, Any]) -> str:
    return json.dumps(body)


def test_each_role_gets_what_the_policy_table_allows_and_nothing_more(matrix_world):
    world = matrix_world
    objects: dict[str, Any] = {}
    callers: dict[str, Any] = {**{role: world.users[role] for role in ROLES}, "signed out": None}
    failures: list[str] = []
    checked = 0
    for route in DRF_ROUTES:
        if route.detail:
            assert route.basename in FACTORIES, f"add a factory for {route.basename!r} ({route.name})"
            if route.basename not in objects:
                objects[route.basename] = FACTORIES[route.basename](world)
        url = _url(route, objects.get(route.basename or ""))
        for method, rule in POLICY[route.name].items():
            body = _body(route, rule, world)
            for who, user in callers.items():
                role = None if who == "signed out" else who
                response = _call(_client(user), method, url, body)
                status = response.status_code
                checked += 1
                where = f"{method} {url} as {who} ({route.name}: {rule.action}) -> {status}"
                if _allowed(rule, role):
                    refused = status in (401, 403) or (route.detail and status == 404) or status == 405
                    if refused and not rule.narrowed:
                        failures.append(f"allowed but refused: {where} {response.content[:200]!r}")
                elif 200 <= status < 300:
                    failures.append(f"NOT allowed but answered: {where}")
                elif role is not None and status != 403 and not (status == 404 and rule.on == QUERYSET):
                    failures.append(f"denied with {status} instead of 403: {where}")
                elif role is None and status not in (401, 403):
                    failures.append(f"signed out got {status} instead of 401/403: {where}")
    assert failures == [], "\n".join(failures)
    assert checked >= len(DRF_ROUTES) * len(callers)


def test_another_tenants_admin_gets_nothing_of_a(matrix_world):
    """Tenant isolation on every route: b's admin never gets a 2xx on a's objects or in a's name."""
    world = matrix_world
    objects = {name: make(world) for name, make in FACTORIES.items()}
    outsider = world.b_admin
    failures = []
    for route in DRF_ROUTES:
        for method, rule in POLICY[route.name].items():
            if not route.detail and (rule.action in (PUBLIC, SIGNED_IN) or method == "GET"):
                continue  # lists show the caller's own tenant; login and the catalogue are for everyone
            url = _url(route, objects.get(route.basename or ""))
            response = _call(_client(outsider), method, url, _body(route, rule, world))
            if route.detail and rule.action not in (PUBLIC, SIGNED_IN) and response.status_code != 404:
                failures.append(f"{method} {url} ({route.name}) -> {response.status_code}, expected 404")
            elif 200 <= response.status_code < 300:
                failures.append(f"{method} {url} ({route.name}) -> {response.status_code}")
    assert failures == [], "\n".join(failures)
