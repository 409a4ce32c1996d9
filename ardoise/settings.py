"""Django settings for Ardoise, read from environment variables.

SQLite under ``var/`` is the default, so that a checkout runs as it is;
``DATABASE_URL`` switches to PostgreSQL. See docs/configuration.md for every
variable.
"""

from __future__ import annotations

import datetime
import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from ardoise.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("ARDOISE_VAR_DIR", str(BASE_DIR / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _load_or_create_secret_key(path: Path) -> str:
    """Read the secret key, creating it on first run in a file only the owner can read."""
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(50)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key)
    return key


SECRET_KEY = env_str("ARDOISE_SECRET_KEY") or _load_or_create_secret_key(VAR_DIR / "secret_key")
DEBUG = env_bool("ARDOISE_DEBUG", default=False)
BASE_URL = env_str("ARDOISE_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
ALLOWED_HOSTS = env_list("ARDOISE_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("ARDOISE_CSRF_TRUSTED_ORIGINS", [BASE_URL])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    # Its templates and static files serve the API docs page without a CDN.
    "ninja",
    "ardoise.core",
    "ardoise.accounts",
    "ardoise.audit",
    "ardoise.customers",
    "ardoise.catalogue",
    "ardoise.invoicing",
    "ardoise.quotes",
    "ardoise.payments",
    "ardoise.banking",
    "ardoise.integrity",
    "ardoise.mailing",
    "ardoise.reminders",
    "ardoise.jobs",
    "ardoise.recurring",
    "ardoise.dashboard",
    "ardoise.reports",
    "ardoise.backups",
    "ardoise.accounting",
    "ardoise.imports",
    "ardoise.webhooks",
    "ardoise.purchases",
    "ardoise.api",
    "ardoise.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "ardoise.accounts.middleware.OrganisationMiddleware",
]

ROOT_URLCONF = "ardoise.urls"
WSGI_APPLICATION = "ardoise.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "ardoise" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ardoise.accounts.context_processors.organisation",
            ],
        },
    },
]

# Database: SQLite in WAL mode with immediate transactions, so that two writers
# wait for each other (busy timeout) instead of failing with "database is locked".
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if "postgresql" in DATABASES["default"]["ENGINE"]:
        # No JIT: compiling a report's query took 0.8 s where running it took 70 ms, and every
        # query of a web page is short. No parallel workers either: starting them cost more than
        # they saved on every report, and they take the cores other requests are waiting for.
        # Options given in the URL come after these, so they can turn either back on.
        _options = DATABASES["default"].setdefault("OPTIONS", {})
        _options["options"] = ("-c jit=off -c max_parallel_workers_per_gather=0 " + _options.get("options", "")).strip()
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "ardoise.sqlite3"),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA busy_timeout=20000; PRAGMA foreign_keys=ON;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The reports' covering indexes (INCLUDE) are a PostgreSQL speed-up; SQLite builds them without
# the extra columns, which changes no result.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "fr"
# French only for now: offering English before it is translated would give English
# browsers Django's English messages and number formats on French screens.
LANGUAGES = [("fr", _("Français"))]
LOCALE_PATHS = [BASE_DIR / "ardoise" / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "ardoise" / "static"]
STATIC_ROOT = VAR_DIR / "static"
# WhiteNoise warns at start-up when the folder is missing, before the first collectstatic.
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG

# Security: cookies only over HTTPS (browsers treat 127.0.0.1 and localhost as
# secure contexts, so the local demo still works), a strict CSP with nonces.
SESSION_COOKIE_SECURE = env_bool("ARDOISE_SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "ardoise.core.views.csrf_failure"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("ARDOISE_BEHIND_PROXY") else None
SECURE_CSP = {
    "default-src": [CSP.NONE],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
}

# Uploads: a logo is at most 1 MB; the import form accepts invoices up to 10 MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
ARDOISE_LOGO_MAX_BYTES = env_int("ARDOISE_LOGO_MAX_BYTES", 1024 * 1024)
# Supplier invoices dropped in <ARDOISE_INBOX_DIR>/<SIREN>/ are received by the worker.
ARDOISE_INBOX_DIR = Path(env_str("ARDOISE_INBOX_DIR", str(VAR_DIR / "inbox"))).resolve()

# E-mail (Django 6.1 mailers): SMTP when ARDOISE_SMTP_HOST is set, otherwise one
# .eml file per message in var/outbox/, listed in the UI.
EMAIL_OUTBOX_DIR = VAR_DIR / "outbox"
DEFAULT_FROM_EMAIL = env_str("ARDOISE_FROM_EMAIL", "factures@localhost")
SMTP_HOST = env_str("ARDOISE_SMTP_HOST")
if SMTP_HOST:
    SMTP_PORT = env_int("ARDOISE_SMTP_PORT", 587)
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": SMTP_HOST,
                "port": SMTP_PORT,
                "username": env_str("ARDOISE_SMTP_USER"),
                "password": env_str("ARDOISE_SMTP_PASSWORD"),
                "use_tls": env_bool("ARDOISE_SMTP_STARTTLS", default=SMTP_PORT == 587),
                "use_ssl": env_bool("ARDOISE_SMTP_SSL", default=SMTP_PORT == 465),
                "timeout": env_int("ARDOISE_SMTP_TIMEOUT", 30),
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "ardoise.mailing.backends.EmlFileBackend"}}

# Background work: a Huey worker (``ardoise worker``) runs the scheduled jobs of
# ardoise/jobs. Its queue is a SQLite file beside the database, or Redis when
# REDIS_URL is set, which lets workers on several machines share one queue.
# The database stays the source of truth: the queue only carries wake-ups.
REDIS_URL = env_str("REDIS_URL")
HUEY = {
    "name": "ardoise",
    # Outcomes are recorded in the database (jobs.JobRun); stored results would pile up unread.
    "results": False,
    "immediate": False,
    "utc": True,
    "consumer": {"workers": 2, "worker_type": "thread"},
    **(
        {"huey_class": "huey.RedisHuey", "url": REDIS_URL}
        if REDIS_URL
        else {"huey_class": "huey.SqliteHuey", "filename": str(VAR_DIR / "huey.sqlite3")}
    ),
}
# The default cache stores the API's rate-limit counters: in memory for one process, in Redis when
# REDIS_URL is set, so that every gunicorn worker and machine counts the same calls. The "pdf"
# cache keeps the customer statements rendered lately (ardoise.pdf.render), a few per process in
# memory since each may weigh a megabyte.
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL},
        "pdf": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": "pdf"},
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "pdf": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "pdf",
            "OPTIONS": {"MAX_ENTRIES": 8},
        },
    }
# Calls per minute allowed to each API token.
ARDOISE_API_RATE_LIMIT = env_int("ARDOISE_API_RATE_LIMIT", 120)
if ARDOISE_API_RATE_LIMIT <= 0:
    raise ImproperlyConfigured(
        "ARDOISE_API_RATE_LIMIT=%r must be a positive number of calls per minute." % ARDOISE_API_RATE_LIMIT
    )

# Customer portal (ardoise/portal): the days a new link stays valid, and the days a quote's link
# stays valid after the quote's validity date. One IP address may make PORTAL_FAILURE_LIMIT failed
# portal requests (bad, expired or revoked link) in 10 minutes; then it gets « 429 Too Many Requests ».
PORTAL_LINK_DAYS = env_int("ARDOISE_PORTAL_LINK_DAYS", 90)
PORTAL_QUOTE_EXTRA_DAYS = env_int("ARDOISE_PORTAL_QUOTE_EXTRA_DAYS", 30)
PORTAL_FAILURE_LIMIT = env_int("ARDOISE_PORTAL_FAILURE_LIMIT", 20)
if PORTAL_LINK_DAYS <= 0 or PORTAL_QUOTE_EXTRA_DAYS < 0 or PORTAL_FAILURE_LIMIT <= 0:
    raise ImproperlyConfigured(
        "ARDOISE_PORTAL_LINK_DAYS and ARDOISE_PORTAL_FAILURE_LIMIT must be positive, "
        "ARDOISE_PORTAL_QUOTE_EXTRA_DAYS zero or more."
    )

# Seconds after which a unit of work still marked « running » is presumed abandoned by a
# crashed worker and taken again. A job may set its own, longer timeout.
JOBS_TIMEOUT = env_int("ARDOISE_JOB_TIMEOUT", 900)
if JOBS_TIMEOUT <= 0:
    raise ImproperlyConfigured("ARDOISE_JOB_TIMEOUT=%r must be a positive number of seconds." % JOBS_TIMEOUT)

# Backups (ardoise/backups): archives are written to BACKUP_DIR, and scheduled ones are copied to
# BACKUP_SECOND_DIR (a mounted disk or network share) when set. The worker runs one backup a day
# at BACKUP_TIME (HH:MM, Europe/Paris) and keeps the newest archive of the last N days, weeks, months.
BACKUP_DIR = Path(env_str("ARDOISE_BACKUP_DIR", str(VAR_DIR / "backups"))).resolve()
BACKUP_SECOND_DIR = env_str("ARDOISE_BACKUP_SECOND_DIR") or None
BACKUP_TIME = env_str("ARDOISE_BACKUP_TIME", "02:30")
try:
    BACKUP_TIME_OF_DAY = datetime.time.fromisoformat(BACKUP_TIME)
except ValueError:
    raise ImproperlyConfigured(
        "ARDOISE_BACKUP_TIME=%r is not a time of day: use HH:MM, e.g. 02:30." % BACKUP_TIME
    ) from None
BACKUP_KEEP_DAILY = env_int("ARDOISE_BACKUP_KEEP_DAILY", 7)
BACKUP_KEEP_WEEKLY = env_int("ARDOISE_BACKUP_KEEP_WEEKLY", 4)
BACKUP_KEEP_MONTHLY = env_int("ARDOISE_BACKUP_KEEP_MONTHLY", 12)
if min(BACKUP_KEEP_DAILY, BACKUP_KEEP_WEEKLY, BACKUP_KEEP_MONTHLY) < 0 or BACKUP_KEEP_DAILY < 1:
    raise ImproperlyConfigured(
        "ARDOISE_BACKUP_KEEP_DAILY must be at least 1, and the weekly and monthly counts 0 or more."
    )
# Folder of the PostgreSQL client tools (pg_dump, pg_restore, psql), when they are not on the PATH.
BACKUP_PG_BIN_DIR = env_str("ARDOISE_PG_BIN_DIR") or None
# Where archives are decrypted and extracted to be checked or restored; the system's temporary folder by default.
BACKUP_SCRATCH_DIR = env_str("ARDOISE_BACKUP_SCRATCH_DIR") or None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Django logs the path of each 404 and 429: the filter hides the tokens of portal URLs.
    "filters": {"portal_tokens": {"()": "ardoise.portal.logfilters.RedactPortalTokens"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["portal_tokens"]}},
    "root": {"handlers": ["console"], "level": env_str("ARDOISE_LOG_LEVEL", "INFO")},
    "loggers": {
        "factur-x": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "ofxtools": {"level": "WARNING"},
    },
}
