"""The one settings module: every value comes from the environment, with safe laptop defaults.

This is the only module that reads ``os.environ`` (see ARCHITECTURE.md). Each variable is listed in
``.env.example``.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise RuntimeError(f"Environment variable {name} is required (see .env.example)")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return default if raw in (None, "") else int(raw)


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return default if raw in (None, "") else float(raw)


def env_list(name: str, default: str) -> list[str]:
    return [part.strip() for part in env_str(name, default).split(",") if part.strip()]


DEBUG = env_bool("DEBUG", False)
TESTING = env_bool("FLOWBUILDER_TESTING", False)
# A laptop (`make run` sets DEBUG) and the test suites may use the public development keys below;
# anything else is production and refuses to start without real keys.
PRODUCTION = not DEBUG and not TESTING
# DEV ONLY: both defaults are public (they are in the repository).
DEV_SECRET_KEY = "dev-insecure-flowbuilder-key-change-me-in-production"
SECRET_KEY = env_str("FLOWBUILDER_SECRET_KEY", DEV_SECRET_KEY)
# MultiFernet keys for the credentials vault, newest first (comma separated Fernet keys: 32 url-safe
# base64-encoded bytes; generate one with
# `python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`).
FLOWBUILDER_DEV_SECRET_KEY = "YNbrT27gERgYYysnKHwC0a633xXNQlQUozNsOoecIuk="
FLOWBUILDER_SECRET_KEYS = env_list("FLOWBUILDER_SECRET_KEYS", FLOWBUILDER_DEV_SECRET_KEY)


def refuse_public_keys(secret_key: str, vault_keys: list[str]) -> None:
    """Outside DEBUG and the tests, start only with a real Django key and real vault keys.

    With the public defaults every session could be forged and every stored secret decrypted from a
    database dump, so a production process stops here, naming the variable to set.
    """
    if secret_key == DEV_SECRET_KEY or len(secret_key) < 50 or len(set(secret_key)) < 5:
        raise ImproperlyConfigured(
            "FLOWBUILDER_SECRET_KEY must be set to a random value of at least 50 characters outside DEBUG "
            '(generate one with: python -c "import secrets; print(secrets.token_urlsafe(50))"). '
            "For a laptop run with DEBUG=true."
        )
    if not vault_keys or FLOWBUILDER_DEV_SECRET_KEY in vault_keys:
        raise ImproperlyConfigured(
            "FLOWBUILDER_SECRET_KEYS must be set to your own Fernet key(s) outside DEBUG; the default "
            'development key is public (generate one with: python -c "from cryptography.fernet import '
            'Fernet; print(Fernet.generate_key().decode())"). For a laptop run with DEBUG=true.'
        )


if PRODUCTION:
    refuse_public_keys(SECRET_KEY, FLOWBUILDER_SECRET_KEYS)
# *.localhost resolves to this machine in browsers: a partner's own sign-in host on a laptop (the demo's
# Northwind Connect is http://northwind.localhost:8000/).
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,.localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list(
    "CSRF_TRUSTED_ORIGINS", "http://127.0.0.1:8000,http://localhost:8000,http://*.localhost:8000"
)
PUBLIC_URL = env_str("FLOWBUILDER_PUBLIC_URL", "http://127.0.0.1:8000")
# Pages that may open websockets besides the one the connection was made to (flowbuilder/api/origins.py):
# scheme, host and port must all match (a page on another port of the same host is another origin).
WEBSOCKET_ALLOWED_ORIGINS = list(dict.fromkeys([*CSRF_TRUSTED_ORIGINS, PUBLIC_URL.rstrip("/")]))

# uvicorn serves the product and the test suites (runserver is not used: it would need daphne, whose Twisted
# imports cost every web and worker process about 15 MB).
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "guardian",
    "axes",
    "django_celery_beat",
    "flowbuilder.core",
    "flowbuilder.tenancy",
    "flowbuilder.audit",
    "flowbuilder.credentials",
    "flowbuilder.crossref",
    "flowbuilder.triggers",
    "flowbuilder.flows",
    "flowbuilder.nodes",
    "flowbuilder.execution",
    "flowbuilder.observability",
    "flowbuilder.identity",
    "flowbuilder.devtools",
    "flowbuilder.api",
    "flowbuilder.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "flowbuilder.web.static_files.StaticFilesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "flowbuilder.web.middleware.ContentSecurityPolicyMiddleware",
    # Last: turns a locked-out sign-in (form or API) into the lockout answer (flowbuilder.identity.lockout).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "flowbuilder.urls"
ASGI_APPLICATION = "flowbuilder.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "flowbuilder" / "web" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

# SQLite (WAL) is the embedded default; PostgreSQL through DATABASE_URL (tests and production).
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'flowbuilder.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=600)}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif env_bool("DATABASE_POOL", False):
    # The web process runs sync code on many threads (Django's requests on a2wsgi's pool, websocket
    # snapshots on asgiref's threads): it borrows connections from psycopg's pool. Celery workers keep
    # one connection instead (the pool is closed after every task under prefork).
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {"pool": {"min_size": 2, "max_size": env_int("DATABASE_POOL_SIZE", 10)}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The web process runs Django's requests one at a time in arrival order; one running longer than this
# lets the next start beside it, up to the pool's size (flowbuilder/web/request_line.py).
WEB_REQUEST_SLOW_MS = env_int("WEB_REQUEST_SLOW_MS", 50)
WEB_MAX_RUNNING_REQUESTS = env_int("WEB_MAX_RUNNING_REQUESTS", env_int("DATABASE_POOL_SIZE", 10))

AUTHENTICATION_BACKENDS = [
    # First: a locked-out account or address gets no further (flowbuilder/identity/lockout.py).
    "axes.backends.AxesStandaloneBackend",
    # Passwords, refused for organisations that sign in with SSO only; then OpenID Connect per organisation.
    "flowbuilder.identity.backends.PasswordBackend",
    "flowbuilder.identity.backends.OrganisationOIDCBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Production serves HTTPS only: cookies never travel in clear, browsers remember to come back over HTTPS
# (HSTS) and plain HTTP is redirected (the health check excepted). Off by default on a laptop and in the
# tests (plain http://127.0.0.1); each can be set either way.
SESSION_COOKIE_SECURE = env_bool("FLOWBUILDER_SECURE_COOKIES", PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("FLOWBUILDER_SSL_REDIRECT", PRODUCTION)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("FLOWBUILDER_HSTS_SECONDS", 31_536_000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("FLOWBUILDER_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = env_bool("FLOWBUILDER_HSTS_PRELOAD", PRODUCTION)
X_FRAME_OPTIONS = "DENY"
# Reverse proxies in front of the web server (a load balancer, an ingress): 0 means clients connect
# directly. With N, the client address is the Nth entry from the right of X-Forwarded-For (each proxy
# appends the address it saw) and X-Forwarded-Proto says whether the client used HTTPS. Never trust
# more proxies than there are: a client could then choose its own address.
FLOWBUILDER_TRUSTED_PROXIES = env_int("FLOWBUILDER_TRUSTED_PROXIES", 0)
if FLOWBUILDER_TRUSTED_PROXIES > 0:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Login protection (django-axes): this many failed sign-ins for one username (or the address limit below
# from one client address) lock it for the cool-off period; attempts meanwhile neither count nor extend
# it. Admins unlock sooner.
AXES_FAILURE_LIMIT = env_int("FLOWBUILDER_LOGIN_FAILURE_LIMIT", 10)
# Per client address (every account tried from it): higher, as an office may share one address.
FLOWBUILDER_LOGIN_ADDRESS_FAILURE_LIMIT = env_int("FLOWBUILDER_LOGIN_ADDRESS_FAILURE_LIMIT", 50)
AXES_COOLOFF_TIME = timedelta(minutes=env_float("FLOWBUILDER_LOGIN_LOCKOUT_MINUTES", 15.0))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins are in the audit trail
AXES_CLIENT_IP_CALLABLE = "flowbuilder.identity.client_ip.client_ip"
AXES_HANDLER = "flowbuilder.identity.lockout.AuditedAxesHandler"
AXES_LOCKOUT_CALLABLE = "flowbuilder.identity.lockout.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# Password-reset requests: per client address and per e-mail address, in this window.
FLOWBUILDER_RESET_PER_ADDRESS = env_int("FLOWBUILDER_RESET_PER_ADDRESS", 10)
FLOWBUILDER_RESET_PER_EMAIL = env_int("FLOWBUILDER_RESET_PER_EMAIL", 3)
FLOWBUILDER_RESET_WINDOW_S = env_float("FLOWBUILDER_RESET_WINDOW_S", 3600.0)
# Single sign-on (mozilla-django-oidc, configured per organisation in flowbuilder.identity): PKCE on.
OIDC_USE_PKCE = True
LOGIN_REDIRECT_URL_FAILURE = "/login/"

# E-mail (password resets): printed to the console unless an SMTP backend is configured.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "no-reply@flowbuilder.local")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Flow documents may be up to 5 MB; leave room for the JSON envelope.
DATA_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True

REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
if TESTING and os.environ.get("PYTEST_XDIST_WORKER", "").startswith("gw"):
    # Parallel test processes (pytest-xdist) each get their own Redis database, as pytest-django gives each
    # its own test database: a shared broker queue would hand one process's runs to the other's worker.
    _worker = int(os.environ["PYTEST_XDIST_WORKER"].removeprefix("gw"))
    _base, _, _db = REDIS_URL.rpartition("/")
    REDIS_URL = f"{_base}/{(int(_db or 0) + _worker) % 16}" if _db.isdigit() or not _db else REDIS_URL

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        # redis-py 8 reads with a 5 s socket timeout by default, the same 5 s that channels-redis blocks in
        # BZPOPMIN waiting for a message: an idle watcher's read then times out and its socket closes
        # with 1011. A longer socket timeout still notices a dead Redis.
        "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 15}], "capacity": 1000, "expiry": 30},
    }
}

# Celery: the database is the source of truth, the broker only a doorbell (ARCHITECTURE.md).
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Priorities (execution.admission): kombu's Redis transport takes lower numbers first, per step.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT_S", 3600),
    "priority_steps": [0, 3, 6, 9],
    "queue_order_strategy": "priority",
}
CELERY_TASK_DEFAULT_PRIORITY = 6
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_DEFAULT_QUEUE = "runs"
# Reuse database connections across tasks (Celery's Django fixup would otherwise reconnect per task).
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 1000)

# Run durability knobs.
FLOWBUILDER_MAX_DELIVERIES = env_int("FLOWBUILDER_MAX_DELIVERIES", 5)
# A run whose worker died resumes within about STALE_AFTER + SWEEP_INTERVAL seconds (< 10 s by default).
FLOWBUILDER_HEARTBEAT_S = env_float("FLOWBUILDER_HEARTBEAT_S", 1.5)
FLOWBUILDER_STALE_AFTER_S = env_float("FLOWBUILDER_STALE_AFTER_S", 6.0)
FLOWBUILDER_SWEEP_INTERVAL_S = env_float("FLOWBUILDER_SWEEP_INTERVAL_S", 1.0)
FLOWBUILDER_RETRY_AFTER_CAP_S = env_float("FLOWBUILDER_RETRY_AFTER_CAP_S", 300.0)
# A polled record is emitted once its second is over plus this margin (clock skew between us and the
# system, writes committed after they were stamped): connectors/polling.py explains why.
FLOWBUILDER_POLL_SETTLE_S = env_float("FLOWBUILDER_POLL_SETTLE_S", 1.0)
if FLOWBUILDER_POLL_SETTLE_S < 0:
    raise ImproperlyConfigured("FLOWBUILDER_POLL_SETTLE_S must be 0 or more seconds.")
# A rate-limited node (429, or 503 with Retry-After) waits, parked, up to this long from its first attempt.
FLOWBUILDER_RATE_LIMIT_DEADLINE_S = env_float("FLOWBUILDER_RATE_LIMIT_DEADLINE_S", 900.0)
# Fair share: at most this many runs of one organisation are dispatched or running at once; more wait
# queued in the database, so another organisation's run never queues behind a whole backlog.
FLOWBUILDER_ORG_ACTIVE_RUNS = env_int("FLOWBUILDER_ORG_ACTIVE_RUNS", 16)
FLOWBUILDER_WEBHOOK_WAIT_S = env_float("FLOWBUILDER_WEBHOOK_WAIT_S", 30.0)
# An item-wise node's output longer than this many items goes to a temporary file on the worker, read a
# chunk at a time (flowbuilder/core/item_spool.py): a large run's memory is bounded by a chunk.
FLOWBUILDER_SPOOL_AFTER_ITEMS = env_int("FLOWBUILDER_SPOOL_AFTER_ITEMS", 5000)
# Hosts that outbound HTTP may reach although they resolve to private/loopback addresses
# (the sandbox systems on a laptop). Organisations can extend it; empty means the SSRF guard is strict.
FLOWBUILDER_EGRESS_ALLOWLIST = env_list("FLOWBUILDER_EGRESS_ALLOWLIST", "")
SANDBOX_URL = env_str("FLOWBUILDER_SANDBOX_URL", "http://127.0.0.1:8100")
# Per-connection request budgets shared by every worker live in this Redis; empty: per-process budgets.
FLOWBUILDER_RATE_LIMIT_URL = env_str("FLOWBUILDER_RATE_LIMIT_URL", REDIS_URL)
# Live connections (decrypted credentials, OAuth tokens, HTTP pools) a worker process keeps warm.
FLOWBUILDER_CONNECTION_CACHE_SIZE = env_int("FLOWBUILDER_CONNECTION_CACHE_SIZE", 256)
# Connect (OAuth authorization code): how long a started Connect may take before its callback.
FLOWBUILDER_OAUTH_PENDING_TTL_S = env_int("FLOWBUILDER_OAUTH_PENDING_TTL_S", 600)
# A system's API usage (Salesforce Sforce-Limit-Info) is stored on its connection at most this often.
FLOWBUILDER_API_USAGE_WRITE_S = env_float("FLOWBUILDER_API_USAGE_WRITE_S", 60.0)

# Polling and schedule triggers: one beat tick finds the due ones (flowbuilder.triggers); a poll task
# that is lost is retried when its lease runs out.
FLOWBUILDER_POLL_TICK_S = env_float("FLOWBUILDER_POLL_TICK_S", 5.0)
FLOWBUILDER_POLL_LEASE_S = env_float("FLOWBUILDER_POLL_LEASE_S", 300.0)
# Exactly-once ingress: a polled record version starts one run within this window (webhooks name their
# own window); a change within EPSILON seconds of our own write to that record is its echo, not news.
FLOWBUILDER_POLL_DEDUPE_WINDOW_S = env_float("FLOWBUILDER_POLL_DEDUPE_WINDOW_S", 86400.0)
FLOWBUILDER_ECHO_WINDOW_S = env_float("FLOWBUILDER_ECHO_WINDOW_S", 86400.0)
FLOWBUILDER_ECHO_EPSILON_S = env_float("FLOWBUILDER_ECHO_EPSILON_S", 5.0)
FLOWBUILDER_PRUNE_INTERVAL_S = env_float("FLOWBUILDER_PRUNE_INTERVAL_S", 3600.0)
# Idle polling triggers back off: each empty poll waits longer (half the time since records were last
# found, at least the trigger's interval) up to this cap; a found record resets it.
FLOWBUILDER_POLL_IDLE_CAP_S = env_float("FLOWBUILDER_POLL_IDLE_CAP_S", 900.0)

# Dashboards' buckets are rolled up this often; the systems' records (KPIs, SLAs) are read this often.
FLOWBUILDER_DASHBOARD_ROLLUP_S = env_float("FLOWBUILDER_DASHBOARD_ROLLUP_S", 60.0)
FLOWBUILDER_BUSINESS_REFRESH_S = env_float("FLOWBUILDER_BUSINESS_REFRESH_S", 900.0)
# How often beat anchors the audit chain's head outside the event table (truncation is caught).
FLOWBUILDER_AUDIT_ANCHOR_S = env_float("FLOWBUILDER_AUDIT_ANCHOR_S", 300.0)

# Prometheus scraping: /metrics answers only with this bearer token (empty: no /metrics). Series carry an
# organisation label while there are at most this many organisations (else they are summed).
FLOWBUILDER_METRICS_TOKEN = env_str("FLOWBUILDER_METRICS_TOKEN", "")
FLOWBUILDER_METRICS_MAX_ORGANISATIONS = env_int("FLOWBUILDER_METRICS_MAX_ORGANISATIONS", 200)
# Run-data retention for organisations without their own policy (days; 0 keeps forever; failed runs
# are kept longer). Pruned daily by beat (observability.prune_run_data) or `manage.py prune_runs`.
FLOWBUILDER_RETENTION_DAYS = env_int("FLOWBUILDER_RETENTION_DAYS", 30)
FLOWBUILDER_RETENTION_FAILED_DAYS = env_int("FLOWBUILDER_RETENTION_FAILED_DAYS", 90)
# Alert rules are evaluated this often (observability.alerts).
FLOWBUILDER_ALERTS_EVERY_S = env_float("FLOWBUILDER_ALERTS_EVERY_S", 60.0)

CELERY_BEAT_SCHEDULE = {
    "prune-run-data": {"task": "observability.prune_run_data", "schedule": 24 * 3600.0},
    "evaluate-alerts": {
        "task": "observability.evaluate_alerts",
        "schedule": FLOWBUILDER_ALERTS_EVERY_S,
        "options": {"expires": FLOWBUILDER_ALERTS_EVERY_S},
    },
    "sweep-stale-runs": {"task": "execution.sweep", "schedule": FLOWBUILDER_SWEEP_INTERVAL_S},
    "prune-audit-by-retention": {"task": "tenancy.prune_audit", "schedule": 24 * 3600.0},
    "anchor-audit-chain": {
        "task": "audit.anchor",
        "schedule": FLOWBUILDER_AUDIT_ANCHOR_S,
        "options": {"expires": FLOWBUILDER_AUDIT_ANCHOR_S},
    },
    "poll-due-triggers": {
        "task": "triggers.poll_due",
        "schedule": FLOWBUILDER_POLL_TICK_S,
        # Ticks that wait in the queue longer than one tick are useless: the next one does the same.
        "options": {"expires": max(1.0, FLOWBUILDER_POLL_TICK_S)},
    },
    # Operational intelligence (flowbuilder.observability: dashboards, KPIs, SLAs, reconciliation).
    "rollup-dashboards": {
        "task": "observability.rollup_dashboards",
        "schedule": FLOWBUILDER_DASHBOARD_ROLLUP_S,
        "options": {"expires": FLOWBUILDER_DASHBOARD_ROLLUP_S},
    },
    "refresh-business-records": {
        "task": "observability.refresh_and_compute",
        "schedule": FLOWBUILDER_BUSINESS_REFRESH_S,
        "options": {"expires": FLOWBUILDER_BUSINESS_REFRESH_S},
    },
    "queue-due-reconciliations": {"task": "observability.queue_due_reconciliations", "schedule": 3600.0},
    # Expired delivery ids, seen record versions and write marks are deleted (their windows are over).
    "prune-ingress-marks": {"task": "triggers.prune_ingress_marks", "schedule": FLOWBUILDER_PRUNE_INTERVAL_S},
    # Business Central drops a webhook subscription 3 days after its last renewal.
    "renew-bc-subscriptions": {
        "task": "triggers.renew_bc_subscriptions",
        "schedule": 12 * 3600.0,
        "options": {"expires": 3600.0},
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an API client without valid credentials gets 401 with WWW-Authenticate.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Who may call what is the policy table (flowbuilder/api/policy.py); no view sets its own.
    "DEFAULT_PERMISSION_CLASSES": ["flowbuilder.api.permissions.PolicyPermission"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "flowbuilder.api.errors.exception_handler",
    # JSON with a NUL character or nested past the limit is a 400 naming the field (core.json_input).
    "DEFAULT_PARSER_CLASSES": [
        "flowbuilder.api.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Flowbuilder API",
    "DESCRIPTION": "Flows, versions, runs and node types of the Flowbuilder integration platform.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["flowbuilder.api.permissions.PolicyPermission"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets several serializers share get one stable name (frontend/src/api/schema.d.ts uses them).
    "ENUM_NAME_OVERRIDES": {
        "RunStatusEnum": "flowbuilder.execution.models.RunStatus",
        "NodeRunStatusEnum": "flowbuilder.execution.models.NodeStatus",
        "DraftOrPublishedEnum": [("draft", "draft"), ("published", "published")],
        "KindEnum": "flowbuilder.tenancy.models.OrganisationKind",
        "TriggerKindEnum": "flowbuilder.triggers.models.TriggerKind",
        "TriggerHealthEnum": "flowbuilder.triggers.models.TriggerHealth",
        # The event catalogue (run events; audit actions are appended by the hook below).
        "EventTypeEnum": "flowbuilder.execution.models.EventType",
        "AuditActionEnum": "flowbuilder.audit.models.AuditAction",
        # A template parameter's kind (the discriminator of TemplateParameter and TemplateParameterInput).
        "ValueParameterKindEnum": [("value", "value")],
        "ConnectionSlotKindEnum": [("connection", "connection")],
        # Operational intelligence (flowbuilder.observability).
        "OrganisationHealthEnum": [(h, h) for h in ("healthy", "degraded", "failing", "idle")],
        "SlaStatusEnum": "flowbuilder.observability.insight_models.SlaStatus",
        "ReportStatusEnum": "flowbuilder.observability.insight_models.ReportStatus",
        "CriticalityEnum": "flowbuilder.flows.models.Criticality",
        "FailureStateEnum": "flowbuilder.execution.models.FailureState",
        "VersionStateEnum": "flowbuilder.flows.models.VersionState",
        "BulkActionEnum": "flowbuilder.observability.inbox_models.BulkAction",
        "FailureKindEnum": "flowbuilder.execution.models.FailureKind",
        "AlertKindEnum": "flowbuilder.observability.alert_models.AlertKind",
        "ChannelKindEnum": "flowbuilder.observability.alert_models.ChannelKind",
        "InboxStateEnum": [(s, s) for s in ("open", "snoozed", "resolved", "all")],
        "RoleEnum": "flowbuilder.tenancy.roles.Role",
        # What a share can grant (tenancy.sharing).
        "SharePermissionEnum": "flowbuilder.api.serializers.sharing.SHARE_VERBS",
        # Two serializers have a "decision": an approval's and a duplicate-match review's.
        "DecisionEnum": "flowbuilder.execution.approvals.DECISIONS",
        "MatchDecisionEnum": [("link", "link"), ("create", "create")],
    },
    # Every operation documents its error answers (ApiError), and the audit catalogue is published.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "flowbuilder.api.openapi.postprocess",
    ],
    # Self-hosted docs assets: no CDN (air-gapped installs, strict CSP).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "flowbuilder.core.logs.JsonFormatter"},
    },
    # Every record carries the run and organisation it was logged for (flowbuilder.core.logs).
    "filters": {"context": {"()": "flowbuilder.core.logs.ContextFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            # LOG_FORMAT=json: one JSON object per line with run_id and organisation_id.
            "formatter": "json" if env_str("LOG_FORMAT", "plain") == "json" else "plain",
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
