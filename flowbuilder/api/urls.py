from django.http import JsonResponse
from django.urls import include, path, re_path
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView
from rest_framework.routers import DefaultRouter

from .views import (
    alerts,
    approvals,
    audit,
    connections,
    flows,
    inbox,
    insights,
    match_reviews,
    palette,
    reviews,
    runs,
    templates,
    tenancy,
    triggers,
    users,
)


class BrandedRedocView(SpectacularRedocView):
    """API docs under the brand of whoever reads them (a partner's customers see the partner's name)."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        from flowbuilder.tenancy.branding import brand_for

        self.title = f"{brand_for(request)['product_name']} API"
        return super().get(request, *args, **kwargs)


def not_found(request, *args, **kwargs):
    return JsonResponse({"detail": f"No API endpoint at {request.path}; see /api/docs/."}, status=404)


router = DefaultRouter()
router.register("organisations", tenancy.OrganisationViewSet, basename="organisation")
router.register("memberships", tenancy.MembershipViewSet, basename="membership")
router.register("users", users.UserViewSet, basename="user")
router.register("flows", flows.FlowViewSet, basename="flow")
router.register("versions", flows.VersionViewSet, basename="version")
router.register("runs", runs.RunViewSet, basename="run")
router.register("triggers", triggers.TriggerViewSet, basename="trigger")
router.register("approvals", approvals.ApprovalViewSet, basename="approval")
router.register("reviews", reviews.ReviewViewSet, basename="review")
router.register("audit-events", audit.AuditEventViewSet, basename="audit-event")
router.register("connections", connections.ConnectionViewSet, basename="connection")
router.register("templates", templates.TemplateViewSet, basename="template")
router.register("template-instances", templates.TemplateInstanceViewSet, basename="template-instance")
# Operational intelligence (flowbuilder.observability: SLAs, KPIs, reconciliation; views/insights.py).
router.register("business-systems", insights.BusinessSystemsViewSet, basename="business-systems")
router.register("business-calendars", insights.BusinessCalendarViewSet, basename="business-calendar")
router.register("sla-policies", insights.SlaPolicyViewSet, basename="sla-policy")
router.register("sla-evaluations", insights.SlaEvaluationViewSet, basename="sla-evaluation")
router.register("kpis", insights.KpiViewSet, basename="kpi")
router.register("kpi-values", insights.KpiValueViewSet, basename="kpi-value")
router.register(
    "reconciliation-policies", insights.ReconciliationPolicyViewSet, basename="reconciliation-policy"
)
router.register(
    "reconciliation-reports", insights.ReconciliationReportViewSet, basename="reconciliation-report"
)

# The failure inbox (flowbuilder.observability.inbox*; views/inbox.py).
router.register("failures", inbox.FailureViewSet, basename="failure")
router.register("inbox-batches", inbox.InboxBatchViewSet, basename="inbox-batch")
# Duplicate-match reviews (flowbuilder.crossref.match_actions; views/match_reviews.py).
router.register("match-reviews", match_reviews.MatchReviewViewSet, basename="match-review")
router.register("alert-rules", alerts.AlertRuleViewSet, basename="alert-rule")
router.register("incidents", alerts.IncidentViewSet, basename="incident")

urlpatterns = [
    path("me/", tenancy.me, name="me"),
    path("auth/login/", tenancy.login_view, name="api-login"),
    path("auth/logout/", tenancy.logout_view, name="api-logout"),
    path("node-types/", palette.node_types, name="node-types"),
    path("connectors/", connections.connectors, name="connectors"),
    path("expressions/preview/", palette.expression_preview, name="expression-preview"),
    path("dashboards/", insights.dashboard, name="dashboard"),
    path("trace/", insights.trace_search, name="trace"),
    path("inbox/", inbox.inbox_groups, name="inbox"),
    path("retention/", alerts.retention_policy, name="retention"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", BrandedRedocView.as_view(url_name="schema"), name="api-docs"),
    path("", include(router.urls)),
    re_path(r"^.*$", not_found, name="api-not-found"),
]
