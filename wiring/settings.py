"""Django settings: every outside part is chosen by an environment variable."""

import os
from pathlib import Path

import dj_database_url
import django_stubs_ext

from infra import security_settings as sec

django_stubs_ext.monkeypatch()  # ModelAdmin[Model] etc. at run time, as django-stubs has them

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# The test configuration says so explicitly (pyproject's pytest `env`): never guessed from the
# test runner, so a manage.py command started by a test harness runs as a normal one.
TESTING = os.environ.get("DJANGO_TESTING") == "1"
DEBUG = os.environ.get("DJANGO_DEBUG", "0") == "1"
SECRET_KEY = sec.secret_key(VAR_DIR, debug=DEBUG, testing=TESTING)
METRICS_TOKEN = sec.metrics_token(VAR_DIR)
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "axes",
    "csp",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's assets from our own static files (CSP, offline)
    "channels",
    "django_prometheus",
    "wiring",
    "trading",
    "trading.tokens",
    "ledger",
    "venues",
    "realtime",
    "backoffice",
    "backoffice.finance",
    "backoffice.ops",
    "backoffice.audit",
    "backoffice.tokens",  # the admin of trading.tokens (its staff actions are audited)
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wiring.edge_middleware.CachedCSPMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "wiring.urls"
ASGI_APPLICATION = "wiring.asgi.application"
WSGI_APPLICATION = "wiring.wsgi.application"
APPEND_SLASH = False

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
            ],
        },
    },
]

# Tests (DJANGO_TESTING=1) run on the machine's real PostgreSQL; `make run` on SQLite.
_DEFAULT_DATABASE_URL = (
    "postgres://postgres@127.0.0.1:5432/backoffice"
    if TESTING
    else f"sqlite:///{VAR_DIR / 'backoffice.sqlite3'}"
)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or _DEFAULT_DATABASE_URL,
        conn_max_age=60,
        conn_health_checks=True,  # web threads keep their connection; a dead one is replaced
    )
}
if TESTING:  # a test database per run: two runs never drop each other's
    DATABASES["default"]["TEST"] = {"NAME": f"test_backoffice_{os.getpid()}"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "infra.lockout.LockoutBackend",  # django-axes: refuses a locked-out user or address first
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True
FORMAT_MODULE_PATH = ["infra.formats"]  # times to the second, in UTC, saying so (admin, pages)

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise serves finders too, but wants the folder
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
WHITENOISE_USE_FINDERS = True
LOGIN_URL = "/login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login"

# A body over 64 kB is refused with 413 (DESIGN.md, public contract).
DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "trading.tokens.auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
    "EXCEPTION_HANDLER": "trading.api.errors.exception_handler",
    # Per user, every web worker together (trading/api/edge_cache.py).
    "DEFAULT_THROTTLE_RATES": {"edge-api": os.environ.get("EDGE_API_THROTTLE_RATE", "6000/min")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Synthetic-order back office: edge-api",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- the outside parts (DESIGN.md "Real parts, and how each starts") ---
FDB_CLUSTER_FILE = os.environ.get("FDB_CLUSTER_FILE", "")
KAFKA_BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "")
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL or "redis://127.0.0.1:6379/0")
VENUE_SIMULATOR_URL = os.environ.get("VENUE_SIMULATOR_URL", "http://127.0.0.1:8100")
# Venues reached over a FIX 4.4 session (venues/adapters/fix/): where, and as whom.
FIX_VENUES = ("SIM-F",)
VENUE_FIX_ADDRESS = os.environ.get("VENUE_FIX_ADDRESS", "127.0.0.1:8101")
FIX_SENDER_COMP_ID = os.environ.get("FIX_SENDER_COMP_ID", "BACKOFFICE")
# Runs that share one Redis (tests beside `make run`) keep their queues apart by a key prefix.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # A killed worker's unacknowledged command goes back to its queue after this many seconds
    # (kombu's default is an hour); longer than the longest place (venues/recovery/timing.py).
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT_S", "45")),
    **(
        {"global_keyprefix": os.environ["CELERY_KEY_PREFIX"]}
        if os.environ.get("CELERY_KEY_PREFIX")
        else {}
    ),
}
CELERY_TASK_DEFAULT_QUEUE = "default"

CACHES = sec.caches(REDIS_URL, testing=TESTING)

CHANNEL_LAYERS = (
    {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
    if REDIS_URL
    else {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# --- security (docs/architecture.md "Security"): HTTPS, lockout, CSP, websocket origins ---
globals().update(sec.https_settings())
globals().update(sec.lockout_settings())
CONTENT_SECURITY_POLICY = sec.content_security_policy()
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
# Origins a websocket handshake may come from besides the page's own (scheme://host[:port]):
# behind a TLS proxy, the public https origin.
WS_ALLOWED_ORIGINS = [
    o for o in os.environ.get("WS_ALLOWED_ORIGINS", "").split(",") if o
] or CSRF_TRUSTED_ORIGINS
# Token lookups and throttle counters shared by every web worker (trading/api/edge_cache.py):
# a Redis URL, or "" for this process's memory (in-process tests).
EDGE_CACHE_URL = "" if TESTING else os.environ.get("EDGE_CACHE_URL", REDIS_URL or CELERY_BROKER_URL)
EDGE_CACHE_PREFIX = os.environ.get("CELERY_KEY_PREFIX", "") + "edge:"
