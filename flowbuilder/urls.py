from django.contrib import admin
from django.urls import include, path, re_path

from flowbuilder.api.views.oauth import oauth_callback
from flowbuilder.api.views.webhooks import resume, webhook
from flowbuilder.web import sso
from flowbuilder.web import views as web
from flowbuilder.web.metrics import metrics

# Paths the server answers itself: never the SPA shell, even where nothing matches below them.
SERVER_PREFIXES = (
    "api", "hooks", "static", "admin", "oauth", "login", "logout", "sso", "password-reset", "healthz",
    "metrics", "ws", "media", "favicon.ico", "robots.txt",
)  # fmt: skip

urlpatterns = [
    path("api/", include("flowbuilder.api.urls")),
    path("hooks/resume/<str:token>/", resume, name="resume-callback"),
    path("hooks/<str:token>/", webhook, name="webhook"),
    re_path(r"^hooks/(?P<token>[^/]+)/(?P<environment>dev|test)/$", webhook, name="webhook-environment"),
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
    # Every other path is a client-side route of the editor SPA (frontend/src/App.tsx), so a reload or a
    # bookmark of any page works; the server's own prefixes stay out so their 404s stay honest.
    re_path(rf"^(?!(?:{'|'.join(SERVER_PREFIXES)})(?:/|$)).*$", web.spa, name="spa"),
]
