"""Settings, all from the environment (twelve-factor).

Every setting the project reads is declared here once, with its default and a comment above it, grouped:
the site, the database, Celery and the daily job, smart-audit review, the fund, the provider API. The ones
an operator chooses come from the environment variable of the same name and are checked for their type
when the settings load: a wrong value stops the process with ImproperlyConfigured instead of being read as
something else. README's configuration table lists those variables; tests/test_settings.py keeps the code,
this file and the table in step.
"""
import datetime
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
import pghistory
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

# The project's root directory.
BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str) -> str:
    """The variable's text, or default when it is unset or empty."""
    return os.environ.get(name, "").strip() or default


def env_bool(name: str, default: bool) -> bool:
    """On for 1/true/yes/on, off for 0/false/no/off or empty (any case); default when unset."""
    value = os.environ.get(name)
    if value is None:
        return default
    word = value.strip().lower()
    if word in {"1", "true", "yes", "on"}:
        return True
    if word in {"0", "false", "no", "off", ""}:  # set but empty reads as off, as it always has
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/true/yes/on or 0/false/no/off, not {value!r}")


def env_int(name: str, default: int, minimum: int | None = None, maximum: int | None = None) -> int:
    """A whole number within [minimum, maximum]; default when unset or empty."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise ImproperlyConfigured(f"{name} must be between {minimum} and {maximum}, not {number}")
    return number


def env_list(name: str, default: str) -> list[str]:
    """Comma-separated values, blanks dropped; default (comma-separated too) when unset."""
    return [v.strip() for v in os.environ.get(name, default).split(",") if v.strip()]


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    """One of choices (compared in upper case); default when unset or empty."""
    value = env_str(name, default).upper()
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


# --- the site -----------------------------------------------------------------------------------------------

# Development mode (DEBUG=1): tracebacks in pages, every query kept in memory; never in production.
DEBUG = env_bool("DEBUG", False)
# Signs sessions and CSRF tokens; required unless DEBUG is on, when a fixed development key stands in.
SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production" if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (set DEBUG=1 for development).")
# Host names the site answers to (comma-separated in the environment).
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1")
# Origins trusted for CSRF behind a proxy or on another port, e.g. https://yibao.example.gov.cn.
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# Django, the libraries and the project's apps (devtools: the synthetic city commands, no models).
INSTALLED_APPS = [
    "config.apps.PlatformAdminConfig",  # django.contrib.admin with the platform's site (config/admin.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "django_tables2",
    "rules.apps.AutodiscoverRulesConfig",
    "pgtrigger",
    "pghistory",
    "axes",
    "insurance",
    "policy_rules",
    "claims",
    "fund_budget",
    "casemix",
    "devtools",
    "review",
    "portal",
]

# WhiteNoise serves the static files; the locale middleware picks zh-hans or en per request.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # who changed what: the user and URL of every write request on its history events (docs/security.md)
    "core.ledger.HistoryMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes requires: it answers a locked-out sign-in with the lockout page.
    "axes.middleware.AxesMiddleware",
]

# The site's URLs.
ROOT_URLCONF = "config.urls"

# Templates from templates/ and from each app.
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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# The WSGI entry point gunicorn serves.
WSGI_APPLICATION = "config.wsgi.application"

# Passwords of at least 8 characters and not a common one.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Django's own user model (bureau staff and institution users alike).
AUTH_USER_MODEL = "auth.User"
# django-axes first (it refuses a locked-out sign-in before any password is checked), then object permissions
# from django-rules, then the model permissions of groups and users.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# The sign-in page (a URL name).
LOGIN_URL = "login"
# Where a user lands after signing in (config.views.start): the workspace, or the portal for an institution.
LOGIN_REDIRECT_URL = "start"

# The interface is Chinese, with English available.
LANGUAGE_CODE = "zh-hans"
# The cookie that keeps a user's choice of language.
LANGUAGE_COOKIE_NAME = "django_language"
# The languages a user may choose.
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
# The project's translations.
LOCALE_PATHS = [BASE_DIR / "locale"]
# The city's time zone: business days, months and years are local (core.periods).
TIME_ZONE = "Asia/Shanghai"
# The encoding of responses, and of request bodies that do not name theirs (the API's JSON parser).
DEFAULT_CHARSET = "utf-8"
# Translations on.
USE_I18N = True
# Times are stored in UTC and shown in TIME_ZONE.
USE_TZ = True

# Static files: collected into STATIC_ROOT at build time, served by WhiteNoise under STATIC_URL.
STATIC_URL = "static/"
# Where collectstatic puts them.
STATIC_ROOT = BASE_DIR / "staticfiles"
# The project's own static files (CSS, vendored htmx).
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files on the local disk; static files compressed by WhiteNoise.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Where upload jobs' files and error reports are kept.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Their URL prefix.
MEDIA_URL = "media/"

# The root logger's level: DEBUG, INFO, WARNING, ERROR or CRITICAL.
LOG_LEVEL = env_choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"))
# Everything to the console (the process manager keeps it), with 18-digit ID numbers and 11-digit mobile numbers
# masked in every message (config/logfilters.py); person look-ups go to the logger "yibao.lookups".
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"personal_data": {"()": "config.logfilters.MaskPersonalData"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["personal_data"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}

# --- the doors: HTTPS, cookies, sign-in lockout (docs/security.md) ---------------------------------------------

# Seconds browsers remember to use HTTPS only (Strict-Transport-Security, sent on HTTPS answers only);
# default a year when DEBUG is off, 0 (no header) when on.
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0)
# The HSTS header covers the subdomains too.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
# The HSTS header asks for the browsers' preload list (it takes effect only once the domain is submitted there).
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
# Plain-HTTP requests are redirected to HTTPS (default on when DEBUG is off; the compose stack, which serves
# plain HTTP on its port, turns it off). /healthz is exempt so that a container's own probe works.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# Paths never redirected to HTTPS (regular expressions on the path without its leading slash).
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Behind a TLS-terminating proxy: on, a request is HTTPS when the proxy says X-Forwarded-Proto: https (the proxy
# must set or strip that header on every request); off, only the connection itself counts.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("SECURE_PROXY_SSL_HEADER", False) else None
# The session cookie is sent over HTTPS only (default on when DEBUG is off).
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
# The CSRF cookie is sent over HTTPS only (default on when DEBUG is off).
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)

# Sign-in lockout (django-axes), for the site's sign-in page and the admin's alike: after this many failed
# sign-ins of one user name (or from one address), it is refused for AXES_COOLOFF_TIME whatever the password.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
# Hours a locked-out user name stays locked (an administrator may unlock sooner: manage.py axes_reset_username).
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 30, minimum=1) / 60
# Failures are counted per user name (guessing one user's password from anywhere) and per client address
# (trying common passwords on many user names), each locked at AXES_FAILURE_LIMIT.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# The proxies in front of the site that append to X-Forwarded-For (0: none, the client is REMOTE_ADDR). Behind a
# proxy it must be set, or every user shares the proxy's address and its lock (docs/security.md).
AXES_IPWARE_PROXY_COUNT = env_int("AXES_PROXY_COUNT", 0, minimum=0) or None
# Where the client's address is read: X-Forwarded-For (as the proxies above set it) before REMOTE_ADDR.
AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if AXES_IPWARE_PROXY_COUNT \
    else ("REMOTE_ADDR",)
# A successful sign-in clears that user name's failures.
AXES_RESET_ON_SUCCESS = True
# The lockout page (429), in the user's language.
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Attempts are kept in the database (the default handler), so every web process counts the same failures.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"

# --- the cache -------------------------------------------------------------------------------------------------

# CACHE_URL: unset, each process's memory (the demo and the tests; API throttle counts are then per process);
# redis://host:6379/1, a Redis database shared by every process. Never the broker's Redis database:
# cache.clear() empties its whole database, and with it Celery's queue (checked below).
CACHE_URL = env_str("CACHE_URL", "")
# The default cache: the API's throttle counts (docs/security.md).
CACHES = {
    # Django's Redis cache, each connection pool's client made once (core/cache.py)
    "default": {"BACKEND": "core.cache.RedisCache", "LOCATION": CACHE_URL}
    if CACHE_URL else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "yibao"}
}

# --- the database -------------------------------------------------------------------------------------------

# DATABASE_URL (unset or empty: the demo's SQLite file db.sqlite3); CONN_MAX_AGE: seconds a connection lives.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("CONN_MAX_AGE", 60, minimum=0),
    )
}
# PostgreSQL: core.prepared's reads as server-side prepared statements (PREPARE once per connection, then EXECUTE:
# no parsing or planning per request). Off behind PgBouncer in transaction mode, whose server connections change
# between transactions.
SERVER_PREPARED_STATEMENTS = env_bool("SERVER_PREPARED_STATEMENTS", True)
# 64-bit primary keys.
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# History events (pghistory) are read by object and context only: no index on their copies of foreign keys.
PGHISTORY_FOREIGN_KEY_FIELD = pghistory.ForeignKey(db_index=False)
# The event's tracked object, indexed: the history of one object.
PGHISTORY_OBJ_FIELD = pghistory.ObjForeignKey(db_index=True)
# The event's context, indexed: what one request or batch changed.
PGHISTORY_CONTEXT_FIELD = pghistory.ContextForeignKey(db_index=True)

# --- Celery and the daily job -------------------------------------------------------------------------------

# Celery's broker (e.g. redis://127.0.0.1:6379/0); unset or empty: tasks run in-process, eagerly.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "")


def _redis_database(url: str) -> tuple[str, int, int] | None:
    """(host, port, database number) of a redis:// or rediss:// URL, None for another scheme."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        return None
    return parts.hostname or "localhost", parts.port or 6379, int(parts.path.strip("/") or 0)


if CACHE_URL and _redis_database(CACHE_URL) is not None \
        and _redis_database(CACHE_URL) == _redis_database(CELERY_BROKER_URL):
    raise ImproperlyConfigured("CACHE_URL must name another Redis database than CELERY_BROKER_URL "
                               "(e.g. redis://redis:6379/1): clearing the cache would empty Celery's queue.")
# Without a broker, tasks run eagerly where they are sent.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
# ... and their errors reach the caller.
CELERY_TASK_EAGER_PROPAGATES = True
# A task is acknowledged when it ends, so a worker lost mid-task leaves it to another.
CELERY_TASK_ACKS_LATE = True
# A task whose worker process died (kill -9, out of memory) is requeued, not acknowledged as failed; its job's lease
# (JOB_LEASE_SECONDS) decides when the copy may take the job over, and JOB_MAX_ATTEMPTS ends a task that kills workers.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# One task at a time per worker process: the daily job's chunks are long.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A chunk or upload job is a lease (core.leases) of this many seconds, renewed every quarter of it by the worker's
# heartbeat: a job whose worker died is taken again at most this long after its last heartbeat.
JOB_LEASE_SECONDS = env_int("JOB_LEASE_SECONDS", 120, minimum=2)
# Seconds before Redis hands a task left unacknowledged by a dead worker to another one. Shorter than the lease, so
# that the copy is back before the lease lapses and waits for it; a copy of a task whose worker is alive sees the
# heartbeat renew the lease within a quarter lease and ends without effect (the lease, not the broker, decides).
BROKER_VISIBILITY_TIMEOUT = env_int("BROKER_VISIBILITY_TIMEOUT", 60, minimum=1)
# The Redis transport's options: the visibility timeout above.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": BROKER_VISIBILITY_TIMEOUT}
# A chunk or upload job whose lease lapsed this many times (its task kills or loses its worker) is marked failed.
JOB_MAX_ATTEMPTS = env_int("JOB_MAX_ATTEMPTS", 3, minimum=1)
# The sweeper (a beat entry) runs every this many seconds: it re-sends jobs whose lease lapsed and jobs never sent.
JOB_SWEEP_SECONDS = env_int("JOB_SWEEP_SECONDS", 60, minimum=1)
# A job still pending this many seconds after its task was sent (or, never sent, after it was created) is re-sent.
JOB_RESEND_AFTER_SECONDS = env_int("JOB_RESEND_AFTER_SECONDS", 300, minimum=1)
# Job state lives on models (DailyJob, DailyJobChunk, upload jobs), not in a result backend.
CELERY_TASK_IGNORE_RESULT = True
# No result backend.
CELERY_RESULT_BACKEND = None
# Beat's crontab times are the city's local times.
CELERY_TIMEZONE = TIME_ZONE
# The hour (0-23) of the nightly daily job.
DAILY_JOB_HOUR = env_int("DAILY_JOB_HOUR", 2, minimum=0, maximum=23)
# Its minute (0-59).
DAILY_JOB_MINUTE = env_int("DAILY_JOB_MINUTE", 30, minimum=0, maximum=59)
# The tasks a daily job is split into, by person (run_daily and the beat entry).
DAILY_JOB_CHUNKS = env_int("DAILY_JOB_CHUNKS", 8, minimum=1)
# The daily job's reader and writer: on, COPY (PostgreSQL only: a system check refuses it on another database);
# off, the ORM. Default: on with PostgreSQL, off with SQLite (the demo). The same rows either way.
DAILY_JOB_BULK = env_bool("DAILY_JOB_BULK", DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql")
# The daily job runs the smart-audit rules over what it settled, with either writer.
DAILY_JOB_AUDIT = env_bool("DAILY_JOB_AUDIT", True)
# The periodic tasks (static): the daily job, the monthly statements and the year-end clearing.
CELERY_BEAT_SCHEDULE = {
    # 日终批处理: the previous day's uploads and discharges, every night.
    "daily-adjudication": {
        "task": "claims.tasks.start_daily_job",
        "schedule": crontab(hour=DAILY_JOB_HOUR, minute=DAILY_JOB_MINUTE),
    },
    # Leases: re-send the chunks and upload jobs whose worker died (lease lapsed) or whose task never reached the
    # broker; fail those out of attempts (claims.tasks.sweep_jobs).
    "job-lease-sweeper": {
        "task": "claims.tasks.sweep_jobs",
        "schedule": JOB_SWEEP_SECONDS,
    },
    # 月度结算: every morning; settles the previous month once the statement day (FundYearParameters,
    # default the 10th) has come, and does nothing on other days or when the month is already settled.
    "fund-monthly-statements": {
        "task": "fund_budget.tasks.settle_due_month",
        "schedule": crontab(hour=6, minute=15),
    },
    # 年终清算: drafts the previous year's clearing reports on March 1st (approval is manual).
    "fund-year-end-clearing": {
        "task": "fund_budget.tasks.clear_previous_year",
        "schedule": crontab(month_of_year=3, day_of_month=1, hour=6, minute=45),
    },
}

# --- smart-audit review -------------------------------------------------------------------------------------

# An institution may appeal a confirmed suspect item within this many days of its confirmation.
APPEAL_WINDOW_DAYS = env_int("APPEAL_WINDOW_DAYS", 15, minimum=0)

# --- the institution portal (/portal/) -------------------------------------------------------------------

# Where appeal attachments (病历 …) are stored: private, outside the web root, MEDIA_ROOT and the static files;
# served only by the portal's download view after checking who asks.
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(BASE_DIR / "var" / "attachments")))
# The largest appeal attachment accepted, in bytes (10 MB); a larger file is refused with a form error.
PORTAL_ATTACHMENT_MAX_BYTES = env_int("PORTAL_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, minimum=1)
# How many files one appeal may carry.
PORTAL_ATTACHMENT_MAX_FILES = env_int("PORTAL_ATTACHMENT_MAX_FILES", 10, minimum=1)

# --- the fund -----------------------------------------------------------------------------------------------

# A monthly statement run's cutoff, minutes before it starts: later settlements go to the next statement.
FUND_STATEMENT_CUTOFF_LAG_MINUTES = env_int("FUND_STATEMENT_CUTOFF_LAG_MINUTES", 60, minimum=0)

# --- the provider API ---------------------------------------------------------------------------------------

# Token and session authentication, authenticated users only, django-filter, pages of 50. The token is DRF's,
# read with the user's institution in one statement (claims/api/authentication.py).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "claims.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    # One error shape, {"errors": [...]}, for every DRF view (the schema's too, e.g. its 429).
    "EXCEPTION_HANDLER": "claims.api.exceptions.exception_handler",
    # Every API view counts its requests: per user (one token each) and, before sign-in, per address.
    "DEFAULT_THROTTLE_CLASSES": ["claims.api.throttles.UserRate", "claims.api.throttles.AnonRate"],
    # The rates, per scope ("N/second|minute|hour|day"); a request over a rate is answered 429 with Retry-After.
    "DEFAULT_THROTTLE_RATES": {
        # any institution token or signed-in user, all endpoints together
        "user": env_str("API_THROTTLE_USER_RATE", "1200/min"),
        # requests without credentials, per client address: the public schema (the API itself answers 401 first)
        "anon": env_str("API_THROTTLE_ANON_RATE", "60/min"),
        # person look-ups (by psn_no or certno), per user: a registration desk's pace, not a walk of the register
        "person_lookup": env_str("API_THROTTLE_PERSON_LOOKUP_RATE", "60/min"),
        # ... and per day
        "person_lookup_day": env_str("API_THROTTLE_PERSON_LOOKUP_DAY_RATE", "3000/day"),
    },
    # Client addresses for the anonymous rate: REMOTE_ADDR, or the last proxy's X-Forwarded-For entry when set.
    # (0: REMOTE_ADDR only, never a header the client could forge.)
    "NUM_PROXIES": env_int("API_NUM_PROXIES", 0, minimum=0),
}
for _scope, _rate in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].items():
    if not re.fullmatch(r"[1-9]\d*/(s|sec|second|m|min|minute|h|hour|d|day)", _rate):
        raise ImproperlyConfigured(f"the {_scope} throttle rate must read like 60/min or 3000/day, not {_rate!r}")
# The OpenAPI schema and its documentation pages.
SPECTACULAR_SETTINGS = {
    "TITLE": "医保结算审核平台 API",
    "DESCRIPTION": "Provider interface in the national medical insurance interface's vocabulary.",
    "VERSION": "1.0.0",
    # Swagger UI's JavaScript and CSS from the installed sidecar package, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
# On (test and training deployments only): any API user may give setl_time; off: staff users only.
CLAIMS_API_ALLOW_SETL_TIME = env_bool("CLAIMS_API_ALLOW_SETL_TIME", False)

# --- bounds at the edge (core.bounds) -----------------------------------------------------------------------

# The dates the API, bulk files and the admin accept (inclusive). Asia/Shanghai keeps its local mean time
# (+08:05:43) until 1901, which no RFC 3339 offset can carry; pandas' nanosecond range ends in 2262.
CLAIMS_DATE_MIN = datetime.date(1901, 1, 1)
# The last date accepted (see CLAIMS_DATE_MIN).
CLAIMS_DATE_MAX = datetime.date(2100, 12, 31)
# The deepest JSON body the API parses (objects and arrays nested); deeper is a 400, never a RecursionError.
CLAIMS_JSON_MAX_DEPTH = 32
# The largest request body read into memory, in bytes (Django's; the API's JSON parser enforces it too, 413).
# An upload of 10,000 fee lines is about 2.5 MB of JSON.
DATA_UPLOAD_MAX_MEMORY_SIZE = 8 * 1024 * 1024
