"""Who may call which API route: the one policy table.

Every route of the API (by its URL name) lists the methods it answers and, for each, the rule a caller
must pass. :class:`flowbuilder.api.permissions.PolicyPermission` (every view's permission class) reads
this table before the view runs; ``tests/api/test_policy_matrix.py`` walks every URL pattern of the API
and checks each role's answer for each method against it. A route or method missing here is refused
(403, or 405 for a method) and fails that test, so a new endpoint cannot ship without a line here.

A rule's ``action`` is a tenancy action (``tenancy.roles.Action``: which roles hold it is
``ROLE_ACTIONS``), or ``PUBLIC`` (anyone, signed in or not) or ``SIGNED_IN`` (any signed-in user):

* on a detail route (the URL has ``pk``) the object is loaded first through the view's queryset, which
  holds only what the user may view (another tenant's object is 404, like a missing one); for any
  action beyond ``view``, ``can(user, action, target)`` then decides (403), where the target is the
  object or the attribute named by ``on`` (a trigger's flow, a template copy's template);
* on a collection route the request body's ``organisation`` (``org_field``) names the target: an
  organisation the user cannot see is 404, one where the user lacks the action 403; without that field
  the user must hold the action in some organisation;
* ``narrowed``: the action refines the rule further (an approval is decided by its assignees only), so
  a role the table allows may still be refused by the action.
"""

from __future__ import annotations

from dataclasses import dataclass

from flowbuilder.tenancy.roles import Action

PUBLIC = "public"
SIGNED_IN = "signed_in"
#: ``Rule.on`` for views whose queryset holds only the objects the action is allowed on (the users an
#: admin administers): the object check is the queryset's.
QUERYSET = "@queryset"


@dataclass(frozen=True)
class Rule:
    action: str
    on: str = ""  # detail routes: check this attribute of the object instead of the object
    org_field: str = "organisation"  # collection routes: the body field naming the target organisation
    narrowed: bool = False


OPEN = Rule(PUBLIC)
ANYONE_SIGNED_IN = Rule(SIGNED_IN)
VIEW = Rule(Action.VIEW)
CHANGE = Rule(Action.CHANGE)
ADMIN = Rule(Action.ADMIN)
OPERATE = Rule(Action.OPERATE)

#: URL name -> HTTP method -> rule. HEAD follows GET; OPTIONS needs a signed-in user.
POLICY: dict[str, dict[str, Rule]] = {
    # Session and catalogue
    "api-root": {"GET": ANYONE_SIGNED_IN},
    "me": {"GET": ANYONE_SIGNED_IN},
    "api-login": {"POST": OPEN},
    "api-logout": {"POST": ANYONE_SIGNED_IN},
    "node-types": {"GET": ANYONE_SIGNED_IN},
    "connectors": {"GET": ANYONE_SIGNED_IN},
    "expression-preview": {"POST": ANYONE_SIGNED_IN},
    "schema": {"GET": OPEN},
    "api-docs": {"GET": OPEN},
    # Organisations, memberships, users
    "organisation-list": {"GET": VIEW},
    "organisation-detail": {"GET": VIEW},
    "organisation-branding": {"GET": VIEW, "PUT": ADMIN},
    "organisation-customers": {"POST": ADMIN},
    "organisation-invite": {"POST": ADMIN},
    "organisation-overview": {"GET": VIEW},
    "organisation-sso": {"GET": ADMIN, "PUT": ADMIN, "DELETE": ADMIN},
    "organisation-governance": {"GET": VIEW, "PUT": ADMIN},
    "membership-list": {"GET": VIEW, "POST": ADMIN},
    "membership-detail": {"PATCH": ADMIN, "DELETE": ADMIN},
    "membership-deactivate": {"POST": ADMIN},
    "membership-reactivate": {"POST": ADMIN},
    "user-list": {"GET": ADMIN},
    "user-detail": {"GET": Rule(Action.ADMIN, on=QUERYSET)},
    "user-unlock": {"POST": Rule(Action.ADMIN, on=QUERYSET)},
    # Flows and versions
    "flow-list": {"GET": VIEW, "POST": CHANGE},
    "flow-import-flow": {"POST": CHANGE},
    "flow-detail": {"GET": VIEW, "PUT": CHANGE, "PATCH": CHANGE, "DELETE": CHANGE},
    "flow-draft": {"PUT": CHANGE},
    "flow-validate": {"POST": VIEW},
    "flow-publish": {"POST": Rule(Action.PUBLISH)},
    "flow-promote": {"POST": Rule(Action.PUBLISH)},
    "flow-environments": {"GET": VIEW},
    "flow-withdraw-release": {"DELETE": Rule(Action.PUBLISH)},  # a dev/test release; its triggers stop
    "flow-versions": {"GET": VIEW},
    "flow-export": {"GET": VIEW},
    "flow-pins": {"GET": VIEW},
    "flow-pin": {"PUT": CHANGE, "DELETE": CHANGE},  # the draft's sample data, never read by published runs
    "flow-diff": {"GET": VIEW},
    "flow-restore-version": {"POST": CHANGE},  # becomes the draft; publishing stays a separate step
    "flow-run": {"POST": Rule(Action.RUN)},
    "flow-schedule-preview": {"POST": VIEW},  # computes fire times, changes nothing
    "flow-access": {"GET": VIEW},
    "flow-share": {"POST": ADMIN},
    "flow-unshare": {"POST": ADMIN},
    "version-detail": {"GET": VIEW},
    # Four-eyes publishing: versions in review, decided by approvers (not the author under the rule)
    "review-list": {"GET": VIEW},
    "review-detail": {"GET": VIEW},
    "review-approve": {"POST": Rule(Action.APPROVE, narrowed=True)},
    "review-reject": {"POST": Rule(Action.APPROVE, narrowed=True)},
    "review-seen": {"POST": Rule(Action.VIEW, narrowed=True)},  # its author only
    "review-assign": {"POST": Rule(Action.VIEW, narrowed=True)},  # its author or an approver
    # The audit trail: read, exported and verified by each organisation's admins, approvers and auditors
    # (a partner's admins: its customers' too)
    "audit-event-list": {"GET": Rule(Action.AUDIT)},
    "audit-event-detail": {"GET": Rule(Action.AUDIT, on=QUERYSET)},
    "audit-event-export": {"GET": Rule(Action.AUDIT)},
    "audit-event-verify": {"POST": Rule(Action.AUDIT)},
    # Runs, triggers, approvals
    "run-list": {"GET": VIEW},
    "run-detail": {"GET": VIEW},
    "run-events": {"GET": VIEW},
    "run-cancel": {"POST": OPERATE},
    "run-retry": {"POST": OPERATE},
    "run-replay": {"POST": OPERATE},
    "run-skip-failed-node": {"POST": OPERATE},
    "trigger-list": {"GET": VIEW},
    "trigger-detail": {"GET": VIEW},
    "trigger-pause": {"POST": Rule(Action.OPERATE, on="flow")},
    "trigger-resume": {"POST": Rule(Action.OPERATE, on="flow")},
    "trigger-poll-now": {"POST": Rule(Action.OPERATE, on="flow")},
    "approval-list": {"GET": VIEW},
    "approval-detail": {"GET": VIEW},
    "approval-decide": {"POST": Rule(Action.VIEW, narrowed=True)},  # its assignees decide
    # Operational intelligence (observability): dashboards, SLAs, KPIs, reconciliation, the trace
    "dashboard": {"GET": VIEW},
    "trace": {"GET": VIEW},
    "business-systems-list": {"GET": VIEW, "POST": CHANGE},
    "business-systems-detail": {"GET": VIEW},
    "business-systems-refresh": {"POST": OPERATE},
    "business-calendar-list": {"GET": VIEW, "POST": CHANGE},
    "business-calendar-detail": {"GET": VIEW},
    "sla-policy-list": {"GET": VIEW, "POST": CHANGE},
    "sla-policy-detail": {"GET": VIEW, "PUT": CHANGE, "PATCH": CHANGE, "DELETE": CHANGE},
    "sla-evaluation-list": {"GET": VIEW},
    "sla-evaluation-detail": {"GET": VIEW},
    "kpi-list": {"GET": VIEW, "POST": CHANGE},
    "kpi-detail": {"GET": VIEW, "PUT": CHANGE, "PATCH": CHANGE, "DELETE": CHANGE},
    "kpi-value-list": {"GET": VIEW},
    "kpi-value-detail": {"GET": VIEW},
    "reconciliation-policy-list": {"GET": VIEW, "POST": CHANGE},
    "reconciliation-policy-detail": {"GET": VIEW, "PUT": CHANGE, "PATCH": CHANGE, "DELETE": CHANGE},
    "reconciliation-policy-run": {"POST": OPERATE},
    "reconciliation-report-list": {"GET": VIEW},
    "reconciliation-report-detail": {"GET": VIEW},
    "reconciliation-report-fix": {"POST": OPERATE},
    # The failure inbox: anyone who sees failures reads them; operators triage and act in bulk.
    "inbox": {"GET": VIEW},
    "failure-list": {"GET": VIEW},
    "failure-detail": {"GET": VIEW},
    "failure-assign": {"POST": OPERATE},
    "failure-snooze": {"POST": OPERATE},
    "failure-resolve": {"POST": OPERATE},
    "failure-comments": {"GET": VIEW, "POST": OPERATE},
    "inbox-batch-list": {"GET": VIEW, "POST": OPERATE},
    "inbox-batch-detail": {"GET": VIEW},
    "inbox-batch-replay-passing": {"POST": OPERATE},
    # Duplicate-match reviews: anyone who sees them reads them; operators decide (link or create new).
    "match-review-list": {"GET": VIEW},
    "match-review-detail": {"GET": VIEW},
    "match-review-decide": {"POST": OPERATE},
    # Alerts: rules are configuration (change); incidents are operations (operate).
    "alert-rule-list": {"GET": VIEW, "POST": CHANGE},
    "alert-rule-detail": {"GET": VIEW, "PUT": CHANGE, "PATCH": CHANGE, "DELETE": CHANGE},
    "incident-list": {"GET": VIEW},
    "incident-detail": {"GET": VIEW},
    "incident-acknowledge": {"POST": OPERATE},
    "incident-resolve": {"POST": OPERATE},
    # Run-data retention: read by anyone who sees the organisation, set by its administrators.
    "retention": {"GET": VIEW, "PUT": ADMIN},
    # Connections
    "connection-list": {"GET": VIEW, "POST": CHANGE},
    "connection-detail": {"GET": VIEW, "PUT": CHANGE, "PATCH": CHANGE, "DELETE": CHANGE},
    "connection-test": {"POST": CHANGE},
    "connection-authorize": {"POST": CHANGE},  # starts Connect (OAuth consent)
    "connection-access": {"GET": VIEW},
    "connection-share": {"POST": ADMIN},
    "connection-unshare": {"POST": ADMIN},
    # Templates (a partner's) and their copies (its customers')
    "template-list": {"GET": VIEW, "POST": CHANGE},
    "template-detail": {"GET": VIEW},
    "template-versions": {"GET": VIEW, "POST": CHANGE},
    "template-version": {"GET": VIEW},
    "template-clone": {"POST": CHANGE},
    "template-preview-upgrade": {"POST": CHANGE},
    "template-upgrade": {"POST": CHANGE},
    "template-instances": {"GET": VIEW},
    "template-drift": {"GET": CHANGE},
    # A copy is read by its customer and the template's partner (the queryset decides), managed by
    # the partner.
    "template-instance-list": {"GET": VIEW},
    "template-instance-detail": {"GET": VIEW},
    "template-instance-pin": {"POST": Rule(Action.CHANGE, on="template")},
    "template-instance-unpin": {"POST": Rule(Action.CHANGE, on="template")},
    "template-instance-rollback": {"POST": Rule(Action.CHANGE, on="template")},
}


def rule_for(url_name: str | None, method: str) -> Rule | None:
    """The rule for one route and method; None when the table has none (the request is refused)."""
    methods = POLICY.get(url_name or "")
    if methods is None:
        return None
    method = method.upper()
    if method == "HEAD":
        method = "GET"
    if method == "OPTIONS":
        return ANYONE_SIGNED_IN
    return methods.get(method)
