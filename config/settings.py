"""Claimtrail settings, read from the environment.

DATABASE_URL          PostgreSQL (postgres://user@host:port/name); a SQLite file when unset.
DATABASE_REPLICA_URL  a read replica of DATABASE_URL; exports, suggestions and the provenance page
                      read from it (config/routers.py). Unset: everything reads the primary.
SECRET_KEY            required when DEBUG is off: at least 50 random characters (no repeated pattern), not a
                      development key.
DEBUG                 "1"/"true" for development; off by default.
ALLOWED_HOSTS         comma-separated host names.
HTTPS                 "0" to serve production-like over plain HTTP on localhost (make serve);
                      on by default when DEBUG is off.
PROXY_COUNT           how many reverse proxies (balancers) stand in front of the app; their
                      X-Forwarded-For gives the client address that login throttling counts.
CAPTURE_ALLOWED_HOSTS comma-separated host names capture_url may fetch even though they resolve to a
                      loopback, private, link-local or reserved address (an intranet mirror); none by default.

`make run` writes a `.env` file (DEBUG=1 and a generated key) so that `manage.py` commands work in a
development checkout; a variable set in the environment wins over the file. The file's key is used
only with DEBUG on: a server with DEBUG off needs its own SECRET_KEY in the environment.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of a local .env file (blank lines and # comments skipped); {} if there is none."""
    if not path.is_file():
        return {}
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip().strip("'\"")
    return values


# ENV_FILE="" turns the file off (the test suite does, so a developer's .env cannot change it).
ENV_FILE = os.environ.get("ENV_FILE", str(BASE_DIR / ".env"))
LOCAL_ENV = read_env_file(Path(ENV_FILE)) if ENV_FILE else {}


def env(name: str, default: str = "") -> str:
    """The environment's value, else the .env file's, else the default (an empty value counts as unset)."""
    return os.environ.get(name) or LOCAL_ENV.get(name) or default


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DEBUG", default=False)

MIN_SECRET_KEY_LENGTH = 50


def weak_secret_key(key: str) -> str | None:
    """Why a key is too weak for a server, if it is: short, a development key, few distinct characters, or a
    repeated pattern ("changeme" * 7, "0123456789" * 6). A repeated pattern repeats its three-character pieces:
    in a random key of 50 or more characters, hex included, at least 85% of them are distinct; under 75% is refused."""
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return f"it has {len(key)} characters"
    if key.startswith("django-insecure"):
        return "it is a development key"
    if len(set(key)) < 10:
        return f"it uses only {len(set(key))} different characters"
    pieces = [key[i : i + 3] for i in range(len(key) - 2)]
    if len(set(pieces)) < 0.75 * len(pieces):
        return "it repeats a pattern"
    return None


# With DEBUG off the key must come from the environment, never from a development .env file.
SECRET_KEY = os.environ.get("SECRET_KEY", "") if not DEBUG else env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=1 for local development).")
    SECRET_KEY = "django-insecure-local-development-only"
elif not DEBUG and (weakness := weak_secret_key(SECRET_KEY)):
    raise ImproperlyConfigured(
        f"SECRET_KEY is too weak for DEBUG off ({weakness}): give at least {MIN_SECRET_KEY_LENGTH} random "
        "characters, not a development key (python -c 'import secrets; print(secrets.token_urlsafe(50))')."
    )

ALLOWED_HOSTS = [h.strip() for h in env("ALLOWED_HOSTS", "localhost,127.0.0.1").split(",") if h.strip()]

INSTALLED_APPS = [
    "config.apps.ClaimtrailAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "import_export",
    "simple_history",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "sources",
    "claims",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Early, so that every response gets the header: static files and errors raised by later middleware too.
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "common.history.RecordingMiddleware",  # the person and reason of the history records written in a request
    # Last, as django-axes asks: it turns a locked-out login into its lock-out response.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out account or address before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    # The permissions made of others (claims.link_claim, …; claims/rules.py), answered by django-rules.
    "rules.permissions.ObjectPermissionBackend",
    # Logging in, and the stored permissions each role holds in its project (sources/backends.py).
    "sources.backends.ProjectRoleBackend",
]

ROOT_URLCONF = "config.urls"

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

WSGI_APPLICATION = "config.wsgi.application"

CONN_MAX_AGE = int(env("CONN_MAX_AGE", "60"))
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"), conn_max_age=CONN_MAX_AGE
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # One writer at a time, for real: a transaction takes SQLite's write lock when it begins, waiting up to 20 s
    # for it, instead of failing with "database is locked" at its first write when another reader has written.
    DATABASES["default"].setdefault("OPTIONS", {}).update(transaction_mode="IMMEDIATE", timeout=20)
if env("DATABASE_REPLICA_URL"):
    # Tests run against the primary's test database (MIRROR); tests/test_replica.py uses a real replica.
    DATABASES["replica"] = {
        **dj_database_url.parse(env("DATABASE_REPLICA_URL"), conn_max_age=CONN_MAX_AGE),
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["config.routers.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Not a rule for passwords: Django's hook on every password change, which revokes the API token.
    {"NAME": "claims.api.tokens.PasswordChangeRevokesToken"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

LOGIN_URL = "admin:login"

# Published claims (JSON-LD ClaimReview): who reviews them, and where the public can read them (not /admin/).
CLAIMREVIEW_AUTHOR_NAME = os.environ.get("CLAIMREVIEW_AUTHOR_NAME", "")
CLAIMREVIEW_AUTHOR_URL = os.environ.get("CLAIMREVIEW_AUTHOR_URL", "")
PUBLIC_URL = os.environ.get("PUBLIC_URL", "").rstrip("/")  # e.g. https://factcheck.example.org

# django-import-export: import and export need their own permission codes.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "import"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "export"
IMPORT_EXPORT_USE_TRANSACTIONS = True
# The largest file the admin imports (a web worker holds the preview); bigger files go through the commands.
ADMIN_IMPORT_MAX_BYTES = int(os.environ.get("ADMIN_IMPORT_MAX_BYTES", 10_000_000))

# capture_url refuses hosts that resolve to internal addresses, except these (exact names, as in the URL).
CAPTURE_ALLOWED_HOSTS = [h.strip().lower() for h in env("CAPTURE_ALLOWED_HOSTS").split(",") if h.strip()]
# The cache is the database's, so that what it holds is shared by every worker and host: the API's throttle
# counts (a per-process cache would let each gunicorn worker allow the full rate). Its table is made by
# `migrate` (claims migration 0016, Django's createcachetable).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "claimtrail_cache",
    }
}

# The web API (claims/api/): tokens for scripts, the session for the browser; model permissions by role.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["claims.api.permissions.RolePermissions"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["claims.api.parsing.BoundedJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "claims.api.pagination.IdCursorPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_ANON_RATE", "30/minute"),
        "user": os.environ.get("API_USER_RATE", "1200/minute"),
    },
    "EXCEPTION_HANDLER": "claims.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Claimtrail API",
    "DESCRIPTION": "Sources, claims, links, people and organisations, suggestions and corroboration, "
    "under the same rules as the admin.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["claims.api.permissions.MayReadTheApi"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # A PATCH body is its own serializer, whose required fields are marked (a claim's `version`).
    "COMPONENT_SPLIT_PATCH": False,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "claims.api.schema.document_errors",
    ],
    # Claims and agents both have a `kind`; name each set of choices after its model.
    "ENUM_NAME_OVERRIDES": {
        "ClaimKindEnum": "claims.models.Claim.Kind",
        "AgentKindEnum": "sources.models.Agent.Kind",
    },
}

# Production safety; `HTTPS=0` lets `make serve` run over plain HTTP on localhost.
HTTPS = env_bool("HTTPS", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if HTTPS:
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Content-Security-Policy on every response (django-csp). Pages load scripts only from our static
# files; the admin's inline style attributes need 'unsafe-inline' for styles only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Login throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one account, or
# AXES_ADDRESS_FAILURE_LIMIT from one address (a newsroom shares one), further tries are refused for
# AXES_COOLOFF_TIME without checking the password (common/logins.py).
# A Reviewer or an admin lifts a lock-out by deleting its row under Axes -> Access attempts
# (or `manage.py axes_reset_username NAME`).
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(env("AXES_COOLOFF_MINUTES", "15")))
AXES_ADDRESS_FAILURE_LIMIT = int(env("AXES_ADDRESS_FAILURE_LIMIT", "50"))
AXES_LOCKOUT_PARAMETERS = "common.logins.lockout_parameters"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Behind a balancer the client's address is in X-Forwarded-For; without one that header is not trusted.
AXES_IPWARE_PROXY_COUNT = int(env("PROXY_COUNT", "0")) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
if AXES_IPWARE_PROXY_COUNT:
    AXES_IPWARE_META_PRECEDENCE_ORDER.insert(0, "HTTP_X_FORWARDED_FOR")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
}
