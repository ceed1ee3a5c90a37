"""Relief settings: one module, driven by environment variables.

Safe development defaults apply only with ``DEBUG=true``. With ``DEBUG`` off, a missing or
default secret stops start-up (see ``_require_secret``). Every variable is listed with a
comment in ``docker/.env.example``.
"""

from __future__ import annotations

import math
import os
import re
import zlib
from datetime import timedelta
from pathlib import Path

import environ
import orjson
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = BASE_DIR / "var"

env = environ.Env()


def _bool(name: str, default: bool) -> bool:
    """A boolean variable; anything but a clear yes/no fails loudly at start-up."""
    raw = env.str(name, default="")
    if raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


DEBUG = _bool("DEBUG", False)

_DEV_SECRET = "dev-only-insecure-secret-key-change-me-0123456789abcdefghij"
_DEV_JWT_KEY = "dev-only-insecure-jwt-signing-key-change-me-0123456789abcdef"


def _require_secret(name: str, dev_default: str) -> str:
    value = env.str(name, default="")
    if DEBUG:
        return value or dev_default
    if not value or value == dev_default or value.startswith("django-insecure"):
        raise ImproperlyConfigured(
            f"{name} is missing or set to a development default. Set {name} to a long random "
            f"value (for example: python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DEBUG=true for local development."
        )
    if len(value) < 50:
        raise ImproperlyConfigured(f"{name} must be at least 50 characters long.")
    if len(set(value)) < 5 or _estimated_bits(value) < 128:
        # Django's check --deploy refuses a SECRET_KEY of fewer than 5 distinct characters;
        # the same goes for both keys here, and so does a long key that is mostly repetition
        # ("a" * 50, "0123456789" * 5): it is guessed, not brute-forced.
        raise ImproperlyConfigured(
            f"{name} is too predictable (repeated or too few distinct characters). Use a "
            "random value: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    return value


def _estimated_bits(value: str) -> float:
    """A conservative estimate of a key's entropy: the smaller of its Shannon entropy over
    its own characters and the size zlib squeezes it to. secrets.token_urlsafe(50) scores
    about 350 bits; a repeated pattern scores what one repetition is worth."""
    data = value.encode()
    counts = [data.count(byte) for byte in set(data)]
    shannon = -sum(c * math.log2(c / len(data)) for c in counts)
    # zlib's 2-byte header and 4-byte checksum carry no information.
    compressed = (len(zlib.compress(data, 9)) - 6) * 8
    return min(shannon, compressed)


SECRET_KEY = _require_secret("SECRET_KEY", _DEV_SECRET)
JWT_SIGNING_KEY = _require_secret("JWT_SIGNING_KEY", _DEV_JWT_KEY)
if JWT_SIGNING_KEY == SECRET_KEY:
    raise ImproperlyConfigured("JWT_SIGNING_KEY must differ from SECRET_KEY.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The web app's public origin (https://relief.example.org), for links in mail (password
# reset). Unset: the origin the request causing the mail came to (its Host is checked
# against ALLOWED_HOSTS).
PUBLIC_URL = env.str("PUBLIC_URL", default="").rstrip("/")
if PUBLIC_URL and not (
    PUBLIC_URL.startswith(("https://", "http://"))
    and "/" not in PUBLIC_URL.split("://", 1)[1]
    and not any(ch in PUBLIC_URL for ch in "?# ")
):
    raise ImproperlyConfigured(
        f"PUBLIC_URL must be an origin such as https://relief.example.org, not {PUBLIC_URL!r}"
    )

INSTALLED_APPS = [
    # Django's admin with a sign-in limit and optional TOTP (accounts/admin_site.py).
    "accounts.admin_config.ReliefAdminConfig",
    # Before django.contrib.auth: its createsuperuser (accounts/management/commands) checks
    # the password of a non-interactive run too, which Django's own does not.
    "accounts",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # The task engine (django-tasks with its database backend; see "Background work").
    "django_tasks",
    "django_tasks_db",
    # The worker command and the periodic jobs' registry; no models.
    "core",
    "audit",
    "treatments",
    "diary",
    "reminders",
    "recovery",
    "interop",
    "push",
    # The demo clinic for `make run`, at the top: it uses every app above, none uses it.
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.request_id.RequestIdMiddleware",
    # Before anything can read the body: oversized requests are refused unread (413).
    "core.middleware.BodySizeLimitMiddleware",
    "core.middleware.NoStoreApiMiddleware",
    "core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The language of Accept-Language (no language in URLs); a signed-in API request's user
    # language then wins (core/i18n.py). Sets Content-Language and Vary: Accept-Language.
    # After the static files, which are the same in every language (as are the views marked
    # core.middleware.language_independent: no Vary: Accept-Language on those).
    "core.middleware.LocaleMiddleware",
    # After the static files (the web app's shell loads offline-first even then): while
    # PostgreSQL is known to be down, 503 with Retry-After at once (see core/outage.py).
    "core.outage.DatabaseOutageGate",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Marks a user signed in to the admin with a TOTP token as verified (django-otp).
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

# --- Database -----------------------------------------------------------------------------
# Unset: the embedded SQLite file under var/. postgres://…: PostgreSQL through psycopg 3
# with a connection pool (Django 5.1+ native pooling; CONN_MAX_AGE must then stay 0).
DATABASE_URL = env.str("DATABASE_URL", default="")
if DATABASE_URL:
    _db = env.db_url_config(DATABASE_URL)
else:
    # SQLITE_PATH: another file (the tests point a worker process at their test database).
    _db = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": env.str("SQLITE_PATH", default=str(VAR_DIR / "relief.sqlite3")),
    }

if _db["ENGINE"] == "django.db.backends.postgresql":
    _db.setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=2),
        "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=10),
        # A request waits at most this long for a connection, then fails with 503.
        "timeout": env.float("DATABASE_POOL_TIMEOUT", default=5.0),
    }
    _db["CONN_MAX_AGE"] = 0
    _db["OPTIONS"].setdefault("connect_timeout", 5)
elif _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed during a write; IMMEDIATE takes the write lock at BEGIN so
    # two writers queue on busy_timeout instead of failing with "database is locked".
    _db["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file, not SQLite's shared-cache memory database: shared cache reports "table is
    # locked" at once instead of waiting, which breaks the tests that write from threads.
    # One file per test process, so that two runs at once do not share it.
    _db["TEST"] = {"NAME": str(VAR_DIR / f"test_relief_{os.getpid()}.sqlite3")}
else:
    raise ImproperlyConfigured("DATABASE_URL must be a postgres:// URL (or unset for SQLite).")
_db["ATOMIC_REQUESTS"] = False
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Read replica (optional) ----------------------------------------------------------------
# postgres://… of a PostgreSQL streaming replica of DATABASE_URL: the cohort, the course, the
# exports and the physician's patient list read it when it is up, a standby, at most
# DATABASE_REPLICA_MAX_LAG seconds behind and past the user's own last write; everything else,
# and every write, uses the primary. See core/replica.py.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
DATABASE_REPLICA_MAX_LAG = env.float("DATABASE_REPLICA_MAX_LAG", default=10.0)
if not 0 < DATABASE_REPLICA_MAX_LAG <= 3600:
    raise ImproperlyConfigured("DATABASE_REPLICA_MAX_LAG must be seconds between 0 and 3600.")
if DATABASE_REPLICA_URL:
    _replica = env.db_url_config(DATABASE_REPLICA_URL)
    if (
        _replica["ENGINE"] != "django.db.backends.postgresql"
        or _db["ENGINE"] != "django.db.backends.postgresql"
    ):
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL must be a postgres:// URL, and DATABASE_URL too."
        )
    if not env.str("CACHE_URL", default=""):
        # Each user's last write position must be known to every app process.
        raise ImproperlyConfigured("DATABASE_REPLICA_URL needs CACHE_URL (redis://…) as well.")
    # No pool: a pool waits DATABASE_POOL_TIMEOUT for a dead server and reconnects with a
    # growing back-off; a persistent connection per worker fails at once (connect_timeout
    # bounds an unanswered connect) and reconnects at the first request after the replica
    # is back. Health-checked before reuse, so a restarted replica costs no failed query.
    _replica_options = _replica.setdefault("OPTIONS", {})
    _replica_options.setdefault(
        "connect_timeout", env.int("DATABASE_REPLICA_CONNECT_TIMEOUT", default=2)
    )
    # A replica that vanishes without closing the connection (a network partition) is
    # noticed in about 11 s, not after the kernel's TCP timeout of many minutes.
    for _name, _value in (
        ("keepalives", 1),
        ("keepalives_idle", 5),
        ("keepalives_interval", 2),
        ("keepalives_count", 3),
    ):
        _replica_options.setdefault(_name, _value)
    _replica["CONN_MAX_AGE"] = 60
    _replica["CONN_HEALTH_CHECKS"] = True
    _replica["ATOMIC_REQUESTS"] = False
    # Tests do not create a database for it: it is the same database.
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = _replica
    DATABASE_ROUTERS = ["core.replica.ReplicaRouter"]
    # Last: its process_exception sees a replica failure first and runs the view again.
    MIDDLEWARE.append("core.replica.ReplicaReadsMiddleware")

# --- Cache --------------------------------------------------------------------------------
# Unset: local memory (one process). redis://…: shared by every app process, which the
# sign-in limit needs when several workers or instances run.
CACHE_URL = env.str("CACHE_URL", default="")
if not CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
elif CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="relief"),
        }
    }
else:
    raise ImproperlyConfigured("CACHE_URL must be a redis:// URL (or unset for local memory).")

# --- Accounts and passwords ---------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# NIST SP 800-63B-4: 15+ characters for a password that signs in alone, up to 128, counted
# after NFKC; not blank, not the user's email or name, not a common password; no composition
# rules (so no NumericPasswordValidator). Why each figure: accounts/passwords.py.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "accounts.passwords.NotBlankValidator"},
    {"NAME": "accounts.passwords.LengthValidator"},
    {"NAME": "accounts.passwords.PersonalInfoValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "display_name")},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# --- Languages ------------------------------------------------------------------------------
# What Relief speaks (#18). An API request speaks its signed-in user's language
# (User.language, activated after authentication: core/i18n.py); an anonymous one the first
# of these its Accept-Language names (LocaleMiddleware), else English. Mail and push speak
# their recipient's. The Spanish catalog is backend/locale/es/LC_MESSAGES/django.po; its
# .mo is compiled (`relief compilemessages`), never committed: a missing or stale one stops
# start-up (core/checks.py).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "backend" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files and the PWA -------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
FRONTEND_DIR = BASE_DIR / "frontend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# The PWA is served from the site root: "/" is frontend/index.html.
WHITENOISE_ROOT = FRONTEND_DIR
WHITENOISE_INDEX_FILE = True
# Serve app static files (admin, Swagger UI) straight from the installed packages when
# collectstatic has not been run (tests, `relief runserver`).
WHITENOISE_USE_FINDERS = True
# WhiteNoise sends "Access-Control-Allow-Origin: *" by default; nothing here is for others.
WHITENOISE_ALLOW_ALL_ORIGINS = False

# --- Security -----------------------------------------------------------------------------
SECURE_SSL_REDIRECT = _bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
# Off behind make serve's and compose's nginx (deploy/): there gunicorn sets the scheme from
# X-Forwarded-Proto, trusted only on its unix socket, so a client that reaches gunicorn any
# other way cannot claim https. Django's header check cannot tell who sent the header.
if _bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = _bool("SECURE_HSTS_PRELOAD", False)
# Preloading is a commitment for the whole domain that only its operator can make (see
# README, "Deployment checks"); until SECURE_HSTS_PRELOAD is set, its reminder is silenced.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# --- API ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.RevocableJWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # orjson both ways (drf-orjson-renderer): the same JSON as DRF's own classes, datetimes
    # in UTC with "Z" as DateTimeField writes them, at a fraction of the cost.
    # orjson, with a number too large for any field answered by its field (core/parsers.py).
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["drf_orjson_renderer.renderers.ORJSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "ORJSON_RENDERER_OPTIONS": (orjson.OPT_UTC_Z,),
    "DEFAULT_SCHEMA_CLASS": "core.schema.ReliefAutoSchema",
    "EXCEPTION_HANDLER": "core.exceptions.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
    # No OPTIONS self-description: same-origin app, and the schema documents everything.
    "DEFAULT_METADATA_CLASS": None,
    # Number of reverse proxies in front of the app; used to find the client address for
    # the sign-in limit and the audit log (X-Forwarded-For is trusted only that far).
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Relief API",
    "DESCRIPTION": "Recovery tracking after trigger point injections.\n\n"
    "Languages: English (`en`, the default) and Spanish (`es`). A signed-in request's "
    "messages (`detail`, `fields`, chart and flag words) are in the user's `language` "
    "(`GET`/`PATCH /api/v1/auth/me/`); an anonymous one's in the first language of its "
    "`Accept-Language` that Relief speaks, else English. Every answer says which in "
    "`Content-Language`. Codes, enum values and JSON keys are the same in every language.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Every role (a user's), and the roles of a practice (its members, its invitations).
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "accounts.models.Role",
        "PracticeRoleEnum": "accounts.practice_apis.PRACTICE_ROLE_CHOICES",
        "LanguageEnum": "core.i18n.Language",
    },
}

# --- Request bodies -------------------------------------------------------------------------
# The largest request body accepted, in bytes (413 above it, before it is read). The batch
# sync endpoint takes a phone's whole outbox: 500 check-ins whose 5,000-character notes are
# all 4-byte UTF-8 characters come to about 10.2 MB of JSON. nginx applies the same limits.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=1024 * 1024)
SYNC_MAX_BODY_BYTES = env.int("SYNC_MAX_BODY_BYTES", default=12 * 1024 * 1024)
# Django's own guard for form posts (the admin) follows the API's.
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES

# --- The clinic -------------------------------------------------------------------------------
# Shown to patients beside the urgent aftercare advice (a tap-to-call link) and printed on
# visit reports: GET /api/v1/clinic/. Unset phone: no call line.
CLINIC_NAME = env.str("CLINIC_NAME", default="").strip()
CLINIC_PHONE = env.str("CLINIC_PHONE", default="").strip()
if CLINIC_PHONE and not (
    re.fullmatch(r"\+?[\d ()./-]{3,40}", CLINIC_PHONE) and len(re.findall(r"\d", CLINIC_PHONE)) >= 3
):
    raise ImproperlyConfigured(
        f"CLINIC_PHONE must be a phone number such as +44 20 7946 0000, not {CLINIC_PHONE!r}"
    )

# --- Tokens -------------------------------------------------------------------------------
# Access tokens are short; a sign-in ("session") lives as a family of single-use refresh
# tokens in the database (accounts.models.Session), with its own idle and absolute limits.
ACCESS_TOKEN_LIFETIME = timedelta(minutes=5)
# On PostgreSQL, each process remembers valid sessions until the database announces a
# change (accounts.session_cache); false checks the session in the database every request.
RELIEF_SESSION_CACHE = env.bool("RELIEF_SESSION_CACHE", default=True)
RELIEF_SESSION_LIMITS = {
    # role: (idle timeout or None, absolute lifetime)
    "physician": (timedelta(minutes=30), timedelta(hours=12)),
    # The practice's other desk roles: a shared clinic computer, so the physician's limits.
    "staff": (timedelta(minutes=30), timedelta(hours=12)),
    "practice_admin": (timedelta(minutes=30), timedelta(hours=12)),
    "patient": (None, timedelta(days=30)),
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": ACCESS_TOKEN_LIFETIME,
    "REFRESH_TOKEN_LIFETIME": timedelta(days=30),
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SIGNING_KEY,
    "AUDIENCE": env.str("JWT_AUDIENCE", default="relief-api"),
    "ISSUER": env.str("JWT_ISSUER", default="relief"),
    "LEEWAY": 0,
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "AUTH_HEADER_TYPES": ("Bearer",),
    "AUTH_TOKEN_CLASSES": ("rest_framework_simplejwt.tokens.AccessToken",),
    "UPDATE_LAST_LOGIN": False,
}
# A used refresh token presented again within this many seconds is a client race (two tabs
# refreshing at once): refused with Retry-After, but the session survives. Later than that it
# is reuse, unless the token issued for it was never used (a lost answer, below).
REFRESH_REUSE_GRACE_SECONDS = env.int("REFRESH_REUSE_GRACE_SECONDS", default=10)
# How long after a refresh token was spent a lost answer can still be recovered: presented
# again while the token issued for it has never been used, it gets a new pair instead of
# ending the session as reuse. 0 = never (strict rotation).
REFRESH_RECOVERY_SECONDS = env.int("REFRESH_RECOVERY_SECONDS", default=24 * 3600)
REFRESH_COOKIE_NAME = "relief_refresh"
REFRESH_COOKIE_PATH = "/api/v1/auth/"
REFRESH_COOKIE_SECURE = not DEBUG

# Failed sign-ins (API and /admin/): at most N attempts per window per client address, per
# (account, address) and, for clients without that account's device cookie, per account.
# A client with a valid device cookie for the account (OWASP "device cookies") is exempt
# from the account-wide count and has its own per-cookie count instead, so nobody can lock
# a patient or physician out of the browser they have signed in from before.
SIGNIN_LIMIT_PER_ACCOUNT = env.int("SIGNIN_LIMIT_PER_ACCOUNT", default=5)
SIGNIN_LIMIT_PER_ACCOUNT_ADDRESS = env.int("SIGNIN_LIMIT_PER_ACCOUNT_ADDRESS", default=5)
SIGNIN_LIMIT_PER_DEVICE = env.int("SIGNIN_LIMIT_PER_DEVICE", default=5)
SIGNIN_LIMIT_PER_ADDRESS = env.int("SIGNIN_LIMIT_PER_ADDRESS", default=30)
SIGNIN_LIMIT_WINDOW_SECONDS = env.int("SIGNIN_LIMIT_WINDOW_SECONDS", default=900)
DEVICE_COOKIE_NAME = "relief_device"
DEVICE_COOKIE_ADMIN_NAME = "relief_admin_device"
DEVICE_COOKIE_MAX_AGE = env.int("DEVICE_COOKIE_MAX_AGE", default=365 * 24 * 3600)
DEVICE_COOKIE_SECURE = not DEBUG
# TOTP for staff at /admin/ (django-otp): the name authenticator apps show.
OTP_TOTP_ISSUER = "Relief"

# --- Email --------------------------------------------------------------------------------
# One variable: EMAIL_URL. smtp://host:port (plain), smtp+tls://host:587 (STARTTLS),
# smtp+ssl://host:465 (TLS from the first byte); user and password in the URL
# (smtp+tls://user:p%40ss@mail.example:587, percent-encoded). Unset: under DEBUG each mail is
# a file under var/mail/ plus a line on the console (core/mail_backends.py); otherwise SMTP
# on localhost:25. Mail is always sent by the task worker (`relief worker`), never in a
# request: see accounts/mail.py.
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    try:
        _email = environ.Env.email_url_config(EMAIL_URL)
    except (ImproperlyConfigured, ValueError) as exc:
        raise ImproperlyConfigured(f"EMAIL_URL is not a mail URL: {exc}") from exc
    if not EMAIL_URL.startswith(("smtp://", "smtp+tls://", "smtp+ssl://", "smtps://")):
        raise ImproperlyConfigured("EMAIL_URL must start with smtp://, smtp+tls:// or smtp+ssl://")
    if _email.get("OPTIONS"):
        raise ImproperlyConfigured(
            f"EMAIL_URL has options Relief does not know: {', '.join(sorted(_email['OPTIONS']))}"
        )
    EMAIL_BACKEND = _email["EMAIL_BACKEND"]
    EMAIL_HOST = _email["EMAIL_HOST"] or "localhost"
    EMAIL_PORT = _email["EMAIL_PORT"] or (465 if _email.get("EMAIL_USE_SSL") else 25)
    EMAIL_HOST_USER = _email["EMAIL_HOST_USER"] or ""
    EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"] or ""
    EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS"))
    EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL"))
elif DEBUG:
    EMAIL_BACKEND = "core.mail_backends.DevMailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST, EMAIL_PORT = "localhost", 25
# Where DevMailBackend writes (one .eml file per mail).
EMAIL_DEV_DIR = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Relief <no-reply@relief.example>")
# One delivery of a mail (by the worker) spends at most this many seconds, quick retries
# included; a mail not sent then is tried again later with backoff (accounts/mail.py).
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=10.0)
if EMAIL_TIMEOUT <= 0:
    raise ImproperlyConfigured("EMAIL_TIMEOUT must be a positive number of seconds.")

# --- Background work ----------------------------------------------------------------------
# django-tasks (the backport of Django 6's Tasks) with its database backend: a task is a row
# written in the transaction that enqueues it, so it exists only if that commits, and a
# worker sees it only then. `relief worker` (core/management/commands/worker.py) runs the
# tasks and the periodic jobs (core/periodic.py); run one or more, on any machine that
# reaches the database. See README, "Background work".
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# How often an idle worker looks for a new task, and how often it runs the periodic jobs.
WORKER_POLL_SECONDS = env.float("WORKER_POLL_SECONDS", default=1.0)
WORKER_TICK_SECONDS = env.float("WORKER_TICK_SECONDS", default=30.0)
if WORKER_POLL_SECONDS <= 0 or WORKER_TICK_SECONDS <= 0:
    raise ImproperlyConfigured("WORKER_POLL_SECONDS and WORKER_TICK_SECONDS must be positive.")

# --- Web Push (push/) ----------------------------------------------------------------------
# The VAPID key that signs every push (RFC 8292): a P-256 private key, either as PEM (PKCS#8
# or SEC1; "\n" may stand for the line breaks) or as its 32-byte private number in base64url
# (what `npx web-push generate-vapid-keys` prints as the private key). The public key the
# phones subscribe with is derived from it. Unset with DEBUG: generated into
# var/vapid_private.pem on first use. Unset without DEBUG: no Web Push (the app never asks
# for notification permission; reminders go by e-mail). Changing it orphans every phone's
# subscription until the app subscribes again.
VAPID_PRIVATE_KEY = env.str("VAPID_PRIVATE_KEY", default="")
VAPID_DEV_KEY_FILE = VAR_DIR / "vapid_private.pem"
# Who push services may contact about this server's pushes: mailto:… or https://…
# Required with VAPID_PRIVATE_KEY unless DEBUG.
VAPID_SUBJECT = env.str("VAPID_SUBJECT", default="mailto:relief-dev@localhost" if DEBUG else "")
# The push services a phone's subscription may name (a leading "*." takes subdomains):
# the server POSTs to that address, so it must not be any address a client makes up.
PUSH_SERVICE_HOSTS = env.list(
    "PUSH_SERVICE_HOSTS",
    default=[
        "fcm.googleapis.com",  # Chrome, Edge on Android, Samsung Internet, Opera
        "updates.push.services.mozilla.com",  # Firefox
        "*.push.apple.com",  # Safari (iOS 16.4+ home-screen apps, macOS)
        "*.notify.windows.com",  # Edge on Windows
    ],
)
# http://localhost and http://127.0.0.1 endpoints (a push service run by the tests).
PUSH_ALLOW_LOCAL_HTTP = DEBUG

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Audit log: partitions, retention, archive (issue #19) -------------------------------
# On PostgreSQL the audit log is partitioned by calendar month (UTC; audit/partitions.py).
# The worker keeps this month's partition and this many months after it made ahead of time
# (`relief audit partitions` does the same by hand; a DEFAULT partition catches the rest).
AUDIT_PARTITIONS_AHEAD = env.int("AUDIT_PARTITIONS_AHEAD", default=3)
# The cohort (recovery/cohort.py) is kept: an answer computed for a scope and filters is
# served again for up to COHORT_MAX_AGE seconds (its "as_of" says when its data was read),
# and the worker recomputes every answer asked for in the last two hours once it is half
# that old (its cohort-refresh job, about every 30 s). 0 computes every request afresh.
COHORT_MAX_AGE = env.int("COHORT_MAX_AGE", default=300)
if not 0 <= COHORT_MAX_AGE <= 86_400:
    raise ImproperlyConfigured("COHORT_MAX_AGE must be seconds between 0 and 86400.")
# How long audit rows are kept, in months: a month's partition whose every row is older is
# exported to AUDIT_ARCHIVE_DIR (gzip'd CSV with its SHA-256 beside it, read back and checked)
# and only then dropped, by the worker or `relief audit archive`. Default 72 (six years,
# HIPAA's documentation period, 45 CFR 164.316(b)(2)); 0 keeps every row forever.
AUDIT_RETENTION_MONTHS = env.int("AUDIT_RETENTION_MONTHS", default=72)
AUDIT_ARCHIVE_DIR = Path(env.str("AUDIT_ARCHIVE_DIR", default="") or VAR_DIR / "audit-archive")
# Whether `relief worker` does both jobs on its own (partitions ahead, archive). False: run
# `relief audit partitions` (daily) and `relief audit archive` (monthly) from cron instead,
# as the tables' owner and on the machine that keeps the archive: what a deployment does
# whose app role may not run DDL, or whose workers run on several machines (the files are
# written where the job runs, so AUDIT_ARCHIVE_DIR must otherwise be the same shared,
# backed-up storage on each).
AUDIT_WORKER_MAINTENANCE = _bool("AUDIT_WORKER_MAINTENANCE", True)
if not 0 <= AUDIT_PARTITIONS_AHEAD <= 120:
    raise ImproperlyConfigured("AUDIT_PARTITIONS_AHEAD must be a number of months, 0 to 120.")
if AUDIT_RETENTION_MONTHS < 0:
    raise ImproperlyConfigured(
        "AUDIT_RETENTION_MONTHS must be a number of months (0 keeps audit rows forever)."
    )
