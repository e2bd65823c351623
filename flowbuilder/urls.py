from django.contrib import admin
from django.urls import include, path, re_path

from flowbuilder.api.views.oauth import oauth_callback
from flowbuilder.api.views.webhooks import resume, webhook
from flowbuilder.web import sso
from flowbuilder.web import views as web
from flowbuilder.web.metrics import metrics

urlpatterns = [
    path("api/", include("flowbuilder.api.urls")),
    path("hooks/resume/<str:token>/", resume, name="resume-callback"),
    path("hooks/<str:token>/", webhook, name="webhook"),
    path("oauth/callback/", oauth_callback, name="oauth-callback"),
    path("login/", web.LoginView.as_view(), name="login"),
    path("sso/", sso.discover, name="sso-discover"),
    path("sso/callback/", sso.SsoCallbackView.as_view(), name="sso-callback"),
    path("sso/<slug:slug>/", sso.SsoStartView.as_view(), name="sso-start"),
    path("logout/", web.logout_view, name="logout"),
    path("password-reset/", web.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", web.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        web.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("password-reset/done/", web.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("approvals/<str:token>/", web.approval_link, name="approval-link"),
    path("healthz", web.healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("admin/", admin.site.urls),
    # Client-side routes of the editor SPA.
    re_path(
        r"^(?:flows|runs|connections|settings|approvals|insights|inbox|alerts)?(?:/.*)?$", web.spa, name="spa"
    ),
]
