"""One settings module, configured from the environment (CONTRACT §1).

A bad value raises ImproperlyConfigured at import time rather than half-working.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "dev-insecure-p2p-admin-secret-key-change-me"


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true"):
        return True
    if value in ("0", "false"):
        return False
    raise ImproperlyConfigured(f"{name} must be true/false/1/0, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from None


def env_rate(name: str, default: str) -> tuple[int, int]:
    """A rate limit written `<requests>/<period>`, the period `s`, `m`, `h` or a number of seconds."""
    raw = os.environ.get(name, "") or default
    count, _, period = raw.partition("/")
    seconds = {"s": 1, "m": 60, "h": 3600}.get(period.strip().lower()) or (int(period) if period.strip().isdigit() else 0)
    if not count.strip().isdigit() or int(count) < 1 or seconds < 1:
        raise ImproperlyConfigured(f"{name} must be a rate like 120/m (requests per s, m, h or seconds), not {raw!r}")
    return int(count), seconds


def env_url(name: str, default: str) -> str:
    value = os.environ.get(name, "") or default
    if not value.startswith(("http://", "https://")):
        raise ImproperlyConfigured(f"{name} must start with http:// or https://, not {value!r}")
    return value.rstrip("/")


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "") or DEV_SECRET_KEY
if not DEBUG and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")

ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver").split(",") if h.strip()
]

PUBLIC_BASE_URL = env_url("PUBLIC_BASE_URL", "http://127.0.0.1:8000")
TWILIO_API_BASE_URL = env_url("TWILIO_API_BASE_URL", "https://api.twilio.com")
VAN_API_BASE_URL = env_url("VAN_API_BASE_URL", "https://api.securevan.com/v4")
PDI_API_BASE_URL = env_url("PDI_API_BASE_URL", "https://api.bluevote.com")
# Twilio pipeline tuning (docs/twilio.md).
TWILIO_UNKNOWN_GRACE_SECONDS = env_int("TWILIO_UNKNOWN_GRACE_SECONDS", 120)
TWILIO_PENDING_STALE_SECONDS = env_int("TWILIO_PENDING_STALE_SECONDS", 600)
TWILIO_SEND_MAX_AGE_SECONDS = env_int("TWILIO_SEND_MAX_AGE_SECONDS", 6 * 3600)
TWILIO_APPLIER_KICK_SECONDS = env_int("TWILIO_APPLIER_KICK_SECONDS", 1)
DATASYNC_HTTP_TIMEOUT = env_int("DATASYNC_HTTP_TIMEOUT", 15)
HEALTH_EVENT_LAG_LIMIT_SECONDS = env_int("HEALTH_EVENT_LAG_LIMIT_SECONDS", 300)  # /healthz: 503 past this queue lag
# Push notifications to volunteers (docs/engagement.md): "database" (the volunteer app polls) or "fcm".
ENGAGEMENT_PUSH_BACKEND = os.environ.get("ENGAGEMENT_PUSH_BACKEND", "") or "database"
if ENGAGEMENT_PUSH_BACKEND not in ("database", "fcm"):
    raise ImproperlyConfigured(f"ENGAGEMENT_PUSH_BACKEND must be database or fcm, not {ENGAGEMENT_PUSH_BACKEND!r}")
FCM_SERVICE_ACCOUNT_FILE = os.environ.get("FCM_SERVICE_ACCOUNT_FILE", "")
FCM_API_BASE_URL = env_url("FCM_API_BASE_URL", "https://fcm.googleapis.com")
PHONE_DEFAULT_REGION = os.environ.get("PHONE_DEFAULT_REGION", "US").upper()
if len(PHONE_DEFAULT_REGION) != 2 or not PHONE_DEFAULT_REGION.isalpha():
    raise ImproperlyConfigured(f"PHONE_DEFAULT_REGION must be a two-letter region, not {PHONE_DEFAULT_REGION!r}")

# Secrets in the database are encrypted with these keys (comma-separated: the first encrypts,
# all decrypt, which is how a key is rotated; see `manage.py rotate_encryption_key`).
FIELD_ENCRYPTION_KEY = os.environ.get("FIELD_ENCRYPTION_KEY", "")
if not FIELD_ENCRYPTION_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY must be set when DEBUG is off")
    FIELD_ENCRYPTION_KEY = "derived:" + SECRET_KEY

INSTALLED_APPS = [
    "orgs.apps.P2PAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "p2p_admin.apps.SecurityConfig",
    "orgs.apps.OrgsConfig",
    "actions",
    "reporting",
    "engagement",
    "datasync.apps.DatasyncConfig",
]

MIDDLEWARE = [
    "p2p_admin.requestid.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "p2p_admin.middleware.ContentSecurityPolicyMiddleware",
    "p2p_admin.middleware.ErrorBodyMiddleware",
    "p2p_admin.middleware.BodySizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires
]

ROOT_URLCONF = "p2p_admin.urls"
WSGI_APPLICATION = "p2p_admin.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "orgs.context_processors.organization",
            ],
        },
    },
]

try:
    DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", "") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None
if not DATABASES["default"].get("NAME"):
    raise ImproperlyConfigured("DATABASE_URL names no database")
DB_ENGINE = DATABASES["default"]["ENGINE"]
IS_POSTGRES = DB_ENGINE.endswith("postgresql")
if IS_POSTGRES:
    # Persistent connections: a webhook insert is ~7x faster than reconnecting per request.
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", 300)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 30
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "") or CELERY_BROKER_URL
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(f"REDIS_URL must be a redis:// URL, not {REDIS_URL!r}")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 600
CELERY_TASK_TIME_LIMIT = 660
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0.1, "interval_step": 0.2, "interval_max": 0.5}
CELERY_BEAT_SCHEDULE: dict = {}  # filled by p2p_admin.celery from each app's BEAT entries

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTHENTICATION_BACKENDS = [
    "p2p_admin.security.LockoutBackend",  # first: a locked-out client never reaches the password check
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", "") or BASE_DIR / "media")
MEDIA_URL = "/media/"

# Uploads: a contact list of 1M rows is ~60 MB; past this the API answers 413.
MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_BYTES", 100 * 1024 * 1024)
# Any other request body (JSON, forms) past this answers 413; more form fields than this 400.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = env_int("DATA_UPLOAD_MAX_NUMBER_FIELDS", 1000)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "") or (
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "P2P Admin <noreply@localhost>")
RESULTS_ALERT_OPT_OUT_RATE = os.environ.get("RESULTS_ALERT_OPT_OUT_RATE", "") or "0.03"  # checked by reporting.checks
RESULTS_ALERT_FILTERING_RATE = os.environ.get("RESULTS_ALERT_FILTERING_RATE", "") or "0.05"

REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes a missing/bad token a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "orgs.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend", "rest_framework.filters.OrderingFilter"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "orgs.api.exception_handler",
    # Per user, and per address for anonymous callers (the token exchange): p2p_admin.ratelimit.
    "DEFAULT_THROTTLE_CLASSES": ["p2p_admin.ratelimit.UserRateLimit", "p2p_admin.ratelimit.AnonRateLimit"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "P2P Admin API",
    "DESCRIPTION": "Results and reporting for peer-to-peer texting actions.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Served from our own static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ActionStatusEnum": "actions.models.Action.Status",
        "MessageKindEnum": "actions.models.Message.Kind",
        "JobStatusEnum": "reporting.exports.models.ExportJob.Status",  # BulkJob.Status is the same set
        "CrmConnectionKindEnum": "datasync.models.CrmConnection.Kind",
        "SyncItemStatusEnum": "datasync.models.SyncItem.Status",
        "BulkJobKindEnum": "engagement.models.BulkJob.Kind",
    },
}

# Structured logs: one JSON object a line (the default with DEBUG off), each with the request id
# that p2p_admin.requestid carries from the web request into the Celery tasks it enqueues.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "") or ("text" if DEBUG else "json")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "p2p_admin.requestid.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(process)d",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # The worker's "ready." line stays: scripts and tests wait for it before sending work.
    "loggers": {"django.db.backends": {"level": "INFO"}, "celery": {"level": "WARNING"}, "celery.apps.worker": {"level": "INFO"}},
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # workers log through LOGGING above, request ids included

# --- Security (docs/security.md) -------------------------------------------------------------
# Headers on every response; behind a TLS-terminating proxy that sets X-Forwarded-Proto.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"  # static/js/app.js reads the CSRF cookie, so it is not HttpOnly
CSRF_FAILURE_VIEW = "p2p_admin.errors.csrf_failure"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# How many proxies in front of the app append to X-Forwarded-For: the client's address is the
# one that many entries from the right. 0: REMOTE_ADDR is the client (no proxy, or a proxy
# that rewrites REMOTE_ADDR). Rate limits and login lockouts key on this address.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# Scripts only from our own origin, no inline script or handler. Our pages carry no inline
# style either; p2p_admin.middleware relaxes styles and images for the Django admin and the API
# docs (their vendored templates and Swagger UI set inline styles and data: icons), never scripts.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
CSP_RELAXED_STYLE_PREFIXES = ("/admin/", "/api/v1/docs/", "/api/v1/redoc/")

# Login lockout (django-axes): after LOGIN_FAILURE_LIMIT failures for one username from one
# address, that pair is refused for LOGIN_LOCKOUT_MINUTES (counted again from each new try);
# a successful login resets the count. `manage.py axes_reset_username EMAIL` unlocks early.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "p2p_admin.security.lockout_username"
AXES_CLIENT_IP_CALLABLE = "p2p_admin.security.client_ip"
AXES_LOCKOUT_CALLABLE = "p2p_admin.security.lockout_response"
AXES_SENSITIVE_PARAMETERS = ["password"]
LOGGING["loggers"]["axes"] = {"level": "WARNING"}  # failures and lockouts; not a line per successful login

# Abuse limits (p2p_admin.ratelimit): fixed windows counted in Redis, failing open when Redis
# is down. A correctly signed Twilio request is never counted nor refused: the webhooks count
# only the requests they refuse (bad signature, unknown account).
RATE_LIMITS_ENABLED = env_bool("RATE_LIMITS_ENABLED", True)
RATE_LIMITS = {
    "api_user": env_rate("RATE_LIMIT_API_USER", "1200/m"),
    "api_anon": env_rate("RATE_LIMIT_API_ANON", "120/m"),
    "login": env_rate("RATE_LIMIT_LOGIN", "60/m"),
    "link": env_rate("RATE_LIMIT_LINK", "300/m"),
    "webhook_refused": env_rate("RATE_LIMIT_WEBHOOK_REFUSED", "120/m"),
    "webhook_refused_account": env_rate("RATE_LIMIT_WEBHOOK_REFUSED_ACCOUNT", "600/m"),
}
