"""Settings for factcheck. Everything environment-specific comes from env vars.

`.env.example` documents each variable. Invalid values stop start-up with a
message naming the variable (see ``factcheck/env.py``).
"""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from factcheck.env import env_bool, env_broker, env_choice, env_database, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "insecure-development-key-only-used-when-DEBUG-is-on"  # noqa: S105 (DEBUG only)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Public address of the site (https://factdesk.example.org), used for links in exports (ClaimReview url,
# Web Annotation ids). Unset: the API uses the request's host, the CLI http://localhost:8000.
SITE_URL = env_str("SITE_URL").rstrip("/")
if SITE_URL and not SITE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"SITE_URL={SITE_URL!r} must start with http:// or https://")

INSTALLED_APPS = [
    "annotations.apps.FactcheckAdminConfig",  # django.contrib.admin, entry by desk role
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
    "axes",  # login brute-force protection
    "annotations",
]

MIDDLEWARE = [
    "annotations.request_id.RequestIdMiddleware",  # first: every log line of the request carries its id
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "annotations.middleware.TypedErrorsMiddleware",  # NotFound/Forbidden from the access layer → 404/403 pages
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]
# Login brute force: after AXES_FAILURE_LIMIT wrong passwords for one username from one address, that pair is
# locked out for AXES_COOLOFF_HOURS (the login page says so); a right password afterwards does not get in.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 10, minimum=1)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_HOURS", 1, minimum=1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env_int("AXES_PROXY_COUNT", 0, minimum=0)  # proxies in front: whose address counts

ROOT_URLCONF = "factcheck.urls"
WSGI_APPLICATION = "factcheck.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "factcheck" / "templates"],  # overrides of third-party templates
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "annotations.context_processors.admin_link",
            ],
        },
    },
]

# Persistent connections (seconds; 0 = one per request) with health checks: a connection the database dropped
# (restart, pg_terminate_backend) is replaced before the next request uses it.
DATABASES = {
    "default": env_database(
        "DATABASE_URL",
        "sqlite:///db.sqlite3",
        base_dir=BASE_DIR,
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "project-list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "factcheck.storage.StaticFilesStorage"  # hashed names, ES-module imports rewritten too
    },
}

# Security headers. Content-Security-Policy is Django's built-in one: no inline
# script or style without the per-request nonce, nothing from other origins.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
# TLS, when the site is served over HTTPS (directly or behind a proxy): all off unless set.
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the container's healthcheck speaks plain HTTP on loopback
_PROXY_HEADER = env_str("SECURE_PROXY_SSL_HEADER")  # e.g. "X-Forwarded-Proto: https" when a proxy ends TLS
if _PROXY_HEADER:
    _name, _, _value = _PROXY_HEADER.partition(":")
    if not _name.strip() or not _value.strip():
        raise ImproperlyConfigured(f"SECURE_PROXY_SSL_HEADER={_PROXY_HEADER!r}: expected 'Header-Name: value'")
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _name.strip().upper().replace("-", "_"), _value.strip())
SESSION_COOKIE_HTTPONLY = True

REST_FRAMEWORK = {
    # Token first: an unauthenticated call answers 401 with WWW-Authenticate: Token (session auth has no header).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "annotations.api.authentication.TokenAuthentication",  # DRF's, one hand-written query
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # The browsable API in development only: its pages need inline scripts the production CSP refuses.
    "DEFAULT_RENDERER_CLASSES": ["annotations.api.renderers.OrjsonRenderer"]  # DRF's JSON, written by orjson
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "EXCEPTION_HANDLER": "annotations.api.errors.exception_handler",
    # Bounded work per client: token rotation, imports and exports are the expensive or sensitive calls.
    "DEFAULT_THROTTLE_RATES": {
        "imports": env_str("THROTTLE_IMPORTS", "120/minute"),
        "exports": env_str("THROTTLE_EXPORTS", "30/minute"),
        "user": env_str("THROTTLE_USER", "3000/minute"),
    },
    "DEFAULT_THROTTLE_CLASSES": [
        "annotations.api.throttling.UserRateThrottle",  # DRF's rates, a counter per window (throttling.py)
        "annotations.api.throttling.ScopedRateThrottle",
    ],
    # JSON only (size- and depth-limited); the file endpoints (uploads, verdict imports) add multipart themselves.
    # Form encodings would make "" mean "leave unchanged" in a PATCH and double the surface to validate.
    "DEFAULT_PARSER_CLASSES": ["annotations.api.parsers.JSONParser"],
    # ?format= selects an export format on our export endpoint, not a DRF renderer.
    "URL_FORMAT_OVERRIDE": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "factcheck API",
    "DESCRIPTION": "Documents, candidate claims, annotations with verdicts and evidence, and verdict exports.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Our PATCH serializers say themselves which fields are optional (``version`` is required): no "Patched" copies
    # that drop every ``required``.
    "COMPONENT_SPLIT_PATCH": False,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "annotations.api.schema.add_error_responses",
    ],
    # Segmentation and re-anchoring share one lifecycle (pending, running, done, failed): one schema enum, under
    # the name it always had.
    "ENUM_NAME_OVERRIDES": {"SegmentationStatusEnum": "annotations.domain.vocabulary.SegmentationStatus.choices"},
}

# Import limits: a file larger than this is rejected with an error naming it.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 5 * 1024 * 1024, minimum=1024)
# Request bodies (a JSON article, a form) may hold one article of that size plus field names and escapes.
DATA_UPLOAD_MAX_MEMORY_SIZE = IMPORT_MAX_BYTES + 64 * 1024
# One uploaded file (a .json or .jsonl of several articles) holds at most this many articles.
UPLOAD_MAX_ARTICLES = env_int("UPLOAD_MAX_ARTICLES", 1000, minimum=1)
# One bulk import request (POST /api/v1/documents/bulk, a JSON array or JSONL of up to UPLOAD_MAX_ARTICLES
# articles) is at most this big; each of its articles at most IMPORT_MAX_BYTES.
BULK_IMPORT_MAX_BYTES = env_int("BULK_IMPORT_MAX_BYTES", 20 * 1024 * 1024, minimum=1024)
# One verdict import (API or CLI) holds at most this many records (documents + annotations): bounded work.
VERDICT_IMPORT_MAX_RECORDS = env_int("VERDICT_IMPORT_MAX_RECORDS", 20_000, minimum=1)

# Fetching URLs people type (article imports, evidence link checks): at most this long and this big; addresses in
# FETCH_ALLOWED_NETWORKS (CIDR list, e.g. an intranet news archive) are fetched although they are not public.
FETCH_TIMEOUT = env_int("FETCH_TIMEOUT", 10, minimum=1)
FETCH_MAX_BYTES = env_int("FETCH_MAX_BYTES", 5 * 1024 * 1024, minimum=1024)
FETCH_ALLOWED_NETWORKS = env_list("FETCH_ALLOWED_NETWORKS", [])
# Ports a fetch may connect to (FETCH_ALLOWED_NETWORKS may use any): not a port scanner of other hosts.
FETCH_ALLOWED_PORTS = [int(p) for p in env_list("FETCH_ALLOWED_PORTS", ["80", "443", "8080", "8443"])]
# Check every evidence link in the background (status, final URL, title, a text snapshot as the archive copy).
LINK_CHECKS = env_bool("LINK_CHECKS", True)
# "Checked before?": how the reference index ranks candidates. lexical (BM25F, the default) or hybrid (+ MiniLM
# sentence embeddings: needs requirements-embeddings.txt; every web process then encodes the reference set).
MATCHING_MODE = env_str("MATCHING_MODE", "lexical")
if MATCHING_MODE not in ("lexical", "hybrid"):
    raise ImproperlyConfigured(f"MATCHING_MODE={MATCHING_MODE!r} is not lexical or hybrid")

# E-mail (invitations, notifications): printed to the console unless EMAIL_BACKEND names another backend;
# SMTP takes EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD and EMAIL_USE_TLS.
_EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
_EMAIL_OPTIONS = {}
if _EMAIL_BACKEND.endswith("smtp.EmailBackend"):
    _EMAIL_OPTIONS = {
        "host": env_str("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 25, minimum=1),
        "username": env_str("EMAIL_HOST_USER"),
        "password": env_str("EMAIL_HOST_PASSWORD"),
        "use_tls": env_bool("EMAIL_USE_TLS", False),
    }
MAILERS = {"default": {"BACKEND": _EMAIL_BACKEND, "OPTIONS": _EMAIL_OPTIONS}}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "factcheck <noreply@localhost>")

# Celery: a real broker when CELERY_BROKER_URL is set; otherwise tasks run
# eagerly inside the calling process (logged once at start-up, see apps.py).
CELERY_BROKER_URL = env_broker("CELERY_BROKER_URL")
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = CELERY_RESULT_BACKEND or "cache+memory://"
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
# The worker's pool (``celery worker --pool`` overrides it). prefork (default) runs each task in a child process and
# enforces the tasks' time limits (a stuck segmentation is stopped at 90 s, killed at 120 s); threads runs them in
# threads of one process, which holds the model once: ~40 MB less after the benchmark workload and the same
# segmentation throughput (bench/README.md, 2026-12-07), but Celery applies no time limits in that pool.
CELERY_WORKER_POOL = env_choice("CELERY_WORKER_POOL", "prefork", ("prefork", "threads", "solo"))
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Fail fast when the broker is down at enqueue time instead of hanging a request: the broker and the result
# backend (one Redis in the compose layout) give up within about a second; the document stays pending and the
# sweeper sends it later. Our tasks are fire-and-forget: no result is stored unless a task asks for it.
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2,
                                   "socket_connect_timeout": 1, "socket_timeout": 2}  # fmt: skip
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 1
CELERY_REDIS_SOCKET_TIMEOUT = 2
CELERY_REDIS_RETRY_ON_TIMEOUT = False
CELERY_RESULT_BACKEND_ALWAYS_RETRY = False
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": {"max_retries": 0}}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# A worker that dies mid-task leaves its message unacknowledged (redelivered) and the document
# "running"; after this many seconds another run may reclaim it. Must exceed the task's hard limit.
SEGMENTATION_STALE_AFTER = env_int("SEGMENTATION_STALE_AFTER", 300, minimum=60)
SEGMENTATION_SWEEP_INTERVAL = env_int("SEGMENTATION_SWEEP_INTERVAL", 300, minimum=10)
CELERY_BEAT_SCHEDULE = {
    "sweep-segmentation": {
        "task": "annotations.sweep_segmentation",
        "schedule": float(SEGMENTATION_SWEEP_INTERVAL),
    },
    # URL imports and link checks left queued (broker down) or fetching (a worker died): sent again.
    "sweep-fetches": {"task": "annotations.sweep_fetches", "schedule": float(SEGMENTATION_SWEEP_INTERVAL)},
    "sweep-references": {"task": "annotations.sweep_references", "schedule": float(SEGMENTATION_SWEEP_INTERVAL)},
}

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(f"LOG_LEVEL={LOG_LEVEL!r} is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "annotations.request_id.RequestIdFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]}},
    "loggers": {
        "factcheck": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "annotations": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        # Unhandled errors (500s, with their traceback) and refused requests, also with DEBUG off.
        "django.request": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "django.security": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}
