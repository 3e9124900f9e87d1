"""NOMAD web settings, read from the environment.

Every value has a working default for the embedded mode (SQLite, eager Celery,
local-memory cache, local accounts, console email). ``NOMAD_ENV=production`` turns on
every secure setting and refuses to start without a real ``SECRET_KEY``.

A variable ``FOO`` may also be given as ``FOO_FILE``, the path of a file holding it
(Docker and Kubernetes secrets).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import dj_database_url
import django_stubs_ext
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from nomad_web.file_storage import filesystem_storages, s3_storages
from nomad_web.logs import logging_config

# Lets the code write ``ModelAdmin[Brand]`` and ``QuerySet[Visit]`` at run time too.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    """Value of ``name``, or the content of the file named by ``name_FILE``."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text().strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if not value:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


NOMAD_ENV = env("NOMAD_ENV", "development")
if NOMAD_ENV not in {"development", "production", "test"}:
    raise ImproperlyConfigured("NOMAD_ENV must be development, production or test.")
PRODUCTION = NOMAD_ENV == "production"

DEV_SECRET_KEY = "dev-only-insecure-secret-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env("SECRET_KEY", "" if PRODUCTION else DEV_SECRET_KEY)
if PRODUCTION and (not SECRET_KEY or SECRET_KEY == DEV_SECRET_KEY):
    raise ImproperlyConfigured("SECRET_KEY must be set in production.")
# Previous keys, still accepted while sessions and links signed with them expire
# (comma-separated): rotating SECRET_KEY then signs nobody out (docs/operations.md).
SECRET_KEY_FALLBACKS = [key for key in env("SECRET_KEY_FALLBACKS").split(",") if key.strip()]

DEBUG = env_bool("DEBUG", not PRODUCTION)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles: its runserver (replies sent without a 40 ms delay) is the one run.
    "nomad_web.devserver",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "csp",
    "django_htmx",
    "pwa",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "organisation",
    "visits",
    "quotes",
    "announcements",
    "signatures",
    "integrations",
    "dashboard",
    "privacy",
    "nomad_web",
]

MIDDLEWARE = [
    # Outermost: it times and logs what the client gets, redirects and static files too.
    "nomad_web.observability.RequestObservabilityMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "nomad_web.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "organisation.middleware.SessionLifetimeMiddleware",
    "organisation.oidc.SessionRefresh",
    "organisation.middleware.StaffTwoFactorMiddleware",
    "organisation.middleware.AccessAuditMiddleware",
]

ROOT_URLCONF = "nomad_web.urls"
WSGI_APPLICATION = "nomad_web.wsgi.application"

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
                "csp.context_processors.nonce",
                "organisation.context_processors.branding",
                "organisation.context_processors.sign_in",
                "announcements.context_processors.pending_announcements",
                "privacy.context_processors.offline_limits",
                "nomad_web.context_processors.page_texts",
            ],
        },
    },
]

# Database: PostgreSQL (psycopg 3) when DATABASE_URL is set, SQLite otherwise.
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            # Writers take the lock when their transaction begins and wait up to 20 s for
            # it, instead of failing with "database is locked" when two write at once.
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "organisation.User"

# Redis: Celery broker and Django cache when REDIS_URL is set.
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "nomad_web.redis_cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "nomad",
        }
    }
    # Sessions read from Redis, written through to the database: a signed-in request
    # saves the session query (a session outlives a flush of the cache).
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The login rate limits live in the cache: a per-process cache gives each worker its own
# count, so production needs the shared Redis one.
if PRODUCTION and CACHES["default"]["BACKEND"].endswith("LocMemCache"):
    raise ImproperlyConfigured("REDIS_URL must be set in production (shared cache).")

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "Europe/Paris"
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Issued quotes past their validity become expired, every night.
    "expire-due-quotes": {
        "task": "quotes.tasks.expire_due_quotes",
        "schedule": crontab(hour=2, minute=0),
    },
    # Prospects past the retention period are anonymised, every night (docs/privacy.md).
    "anonymise-past-retention": {
        "task": "privacy.tasks.anonymise_past_retention",
        "schedule": crontab(hour=3, minute=0),
    },
    # Publishes the outbox to Kafka (does nothing in the embedded mode, without Kafka).
    "relay-outbox": {
        "task": "integrations.tasks.relay_outbox",
        "schedule": float(env("KAFKA_RELAY_EVERY_SECONDS", "5")),
    },
    # Runs again the after-commit tasks a crash left undone: sealed documents of signed
    # contracts, quote PDFs, their emails (nomad_web/sweeps.py), every 5 minutes.
    "sweep-side-effects": {
        "task": "nomad_web.tasks.sweep_side_effects",
        "schedule": float(env("SWEEP_EVERY_SECONDS", "300")),
    },
    # Rebuilds the dashboard's summary table of whole months (dashboard/summaries.py).
    "refresh-dashboard-summaries": {
        "task": "dashboard.tasks.refresh_summaries",
        "schedule": float(env("DASHBOARD_SUMMARY_EVERY_SECONDS", "300")),
    },
}
# The sweep leaves alone what is younger than this (the normal task is still running);
# a signed contract still without its documents after SWEEP_ALERT_SECONDS shows on the
# manager's dashboard and in /healthz.
SWEEP_GRACE_SECONDS = int(env("SWEEP_GRACE_SECONDS", "120"))
SWEEP_ALERT_SECONDS = int(env("SWEEP_ALERT_SECONDS", "600"))

# The bus to the back office (integrations/). Without KAFKA_BOOTSTRAP_SERVERS (the
# embedded mode) events stay in the outbox, visible in the admin, and nothing is sent.
KAFKA_BOOTSTRAP_SERVERS = env("KAFKA_BOOTSTRAP_SERVERS")
KAFKA_TOPIC_PREFIX = env("KAFKA_TOPIC_PREFIX", "nomad")
KAFKA_BACKOFFICE_TOPIC_PREFIX = env("KAFKA_BACKOFFICE_TOPIC_PREFIX", "backoffice")
KAFKA_CONSUMER_GROUP = env("KAFKA_CONSUMER_GROUP", "nomad-web")
# "classic", or "consumer" for the KIP-848 protocol (Kafka 4: faster group joins).
KAFKA_GROUP_PROTOCOL = env("KAFKA_GROUP_PROTOCOL", "classic")
KAFKA_SECURITY_PROTOCOL = env("KAFKA_SECURITY_PROTOCOL")
KAFKA_SASL_MECHANISM = env("KAFKA_SASL_MECHANISM")
KAFKA_SASL_USERNAME = env("KAFKA_SASL_USERNAME")
KAFKA_SASL_PASSWORD = env("KAFKA_SASL_PASSWORD")
# How long the relay waits for the brokers to acknowledge a batch before backing off.
KAFKA_DELIVERY_TIMEOUT_SECONDS = float(env("KAFKA_DELIVERY_TIMEOUT_SECONDS", "30"))
# Check every event written against its JSON Schema (on in the tests).
NOMAD_EVENTS_VALIDATE = env_bool("NOMAD_EVENTS_VALIDATE", False)

# Authentication: django-allauth with email as login.
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "organisation.oidc.OIDCBackend",
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "organisation.adapters.AccountAdapter"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_PREVENT_ENUMERATION = True
# A password reset for an unknown address sends nothing (allauth would invite a sign-up,
# and sign-up is closed); the page says the same as for a known one.
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
# Failed logins: at most 10 a minute from one client address, 5 in 5 minutes on one account
# (the login email), whatever the address.
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
# Reverse proxies in front of the app: the client's address is then this many entries from
# the right of X-Forwarded-For (nomad_web.http.client_ip); 0 trusts REMOTE_ADDR only.
NOMAD_TRUSTED_PROXIES = int(env("NOMAD_TRUSTED_PROXIES", "0"))
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if PRODUCTION else "http"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "NOMAD web"
# allauth refuses TOTP while an account has an unverified address (against sign-ups that
# squat an address). Sign-up is closed and addresses are set by staff or the SSO, so a
# leftover unverified record must not lock staff out of the enrolment they are sent to.
MFA_ALLOW_UNVERIFIED_EMAIL = True
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"
# false: only staff may sign in with a local account (everyone else through the company SSO).
NOMAD_LOCAL_LOGIN = env_bool("NOMAD_LOCAL_LOGIN", True)
# A session ends after this much inactivity, and in any case this long after login.
NOMAD_SESSION_IDLE_MINUTES = int(env("NOMAD_SESSION_IDLE_MINUTES", "30"))
NOMAD_SESSION_MAX_HOURS = int(env("NOMAD_SESSION_MAX_HOURS", "12"))

# Single sign-on with Keycloak (OpenID Connect, mozilla-django-oidc); see docs/keycloak.md.
# On when a client id, a secret and either the issuer or the endpoints are given; the
# endpoints are then discovered from the issuer at first use (organisation/oidc.py).
OIDC_ISSUER = env("OIDC_ISSUER").rstrip("/")
OIDC_OP_AUTHORIZATION_ENDPOINT = env("OIDC_OP_AUTHORIZATION_ENDPOINT")
OIDC_OP_TOKEN_ENDPOINT = env("OIDC_OP_TOKEN_ENDPOINT")
OIDC_OP_USER_ENDPOINT = env("OIDC_OP_USER_ENDPOINT")
OIDC_OP_JWKS_ENDPOINT = env("OIDC_OP_JWKS_ENDPOINT")
OIDC_OP_LOGOUT_ENDPOINT = env("OIDC_OP_LOGOUT_ENDPOINT")
OIDC_RP_CLIENT_ID = env("OIDC_RP_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = env("OIDC_RP_CLIENT_SECRET")
OIDC_RP_SIGN_ALGO = env("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = env("OIDC_RP_SCOPES", "openid email profile")
OIDC_USE_PKCE = True
OIDC_PKCE_CODE_CHALLENGE_METHOD = "S256"
OIDC_USE_NONCE = True
# Tokens stay in the server-side session (the id token is the hint for provider logout).
OIDC_STORE_ACCESS_TOKEN = False
OIDC_STORE_ID_TOKEN = True
OIDC_CREATE_USER = True
OIDC_TIMEOUT = 10
# How often a signed-in person is checked again with the provider (silent re-login):
# someone disabled in Keycloak loses access within this interval.
OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS = int(env("OIDC_RECHECK_SECONDS", "900"))
OIDC_ROLE_ADVISOR = env("OIDC_ROLE_ADVISOR", "nomad-advisor")
OIDC_ROLE_MANAGER = env("OIDC_ROLE_MANAGER", "nomad-manager")
OIDC_ROLE_STAFF = env("OIDC_ROLE_STAFF", "nomad-staff")
OIDC_AGENCY_CLAIM = env("OIDC_AGENCY_CLAIM", "nomad_agencies")
# Staff coming through Keycloak skip our TOTP only when Keycloak enforces its own MFA;
# otherwise they are refused there and sign in with their local account and TOTP.
OIDC_STAFF_MFA_FROM_PROVIDER = env_bool("OIDC_STAFF_MFA_FROM_PROVIDER", False)
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"
LOGIN_REDIRECT_URL_FAILURE = "account_login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Business settings.
NOMAD_MIN_BILLED_MINUTES = int(env("NOMAD_MIN_BILLED_MINUTES", "120"))
# Privacy (docs/privacy.md): prospects who signed nothing are anonymised this many days
# after the last contact (3 years, the CNIL's reference for prospects); data prepared
# for offline use is removed from the device after this many days.
NOMAD_RETENTION_PROSPECT_DAYS = int(env("NOMAD_RETENTION_PROSPECT_DAYS", "1095"))
NOMAD_OFFLINE_MAX_DAYS = int(env("NOMAD_OFFLINE_MAX_DAYS", "7"))
# How long the tablet waits for the network before it shows the prepared copy of a page
# (and, for a send from the outbox, before it keeps the write for later). Poor 4G.
NOMAD_NETWORK_TIMEOUT_MS = min(int(env("NOMAD_NETWORK_TIMEOUT_MS", "3000")), 3000)
NOMAD_SEND_TIMEOUT_MS = int(env("NOMAD_SEND_TIMEOUT_MS", "15000"))
# Benchmarks only: adds /bench/ok, a view that answers "ok" without touching the database
# (the bare-Django baseline of bench/bench_load.py). Never on in a deployment or the tests.
NOMAD_BENCH_URLS = env_bool("NOMAD_BENCH_URLS", False)
# Appended to the service worker's version (tests use it to ship a "new release").
NOMAD_OFFLINE_VERSION_SUFFIX = ""

# Email: console by default; any Django backend through EMAIL_BACKEND.
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "NOMAD web <no-reply@nomad.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Internationalisation: French by default, English available.
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
# Outside production, whitenoise serves straight from the source folders (no collectstatic),
# so the missing collectstatic folder it warns about is expected there.
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    warnings.filterwarnings("ignore", message="No directory at", module="django.core.handlers")
# Quote and contract PDFs: clients' personal data, so never under the public MEDIA_URL;
# served only through the agency-scoped views.
DOCUMENTS_ROOT = Path(env("DOCUMENTS_ROOT", str(BASE_DIR / "private" / "documents")))

# Signatures. Each brand (legal entity) seals its documents (PAdES) with its own
# certificate and key, NAME.pem and NAME.key in this directory (NAME: Brand.seal_name, else
# its slug). Outside production a missing pair is generated, self-signed.
NOMAD_SEAL_DIR = Path(env("NOMAD_SEAL_DIR", str(BASE_DIR / "private" / "seal")))
NOMAD_SEAL_GENERATE = not PRODUCTION
if {"NOMAD_SEAL_CERT_FILE", "NOMAD_SEAL_KEY_FILE"} & set(os.environ):
    raise ImproperlyConfigured(
        "NOMAD_SEAL_CERT_FILE and NOMAD_SEAL_KEY_FILE are gone: each brand's seal is "
        "NAME.pem and NAME.key in NOMAD_SEAL_DIR."
    )


def _seal_key_passwords() -> dict[str, str]:
    """NOMAD_SEAL_KEY_PASSWORD_<NAME> (or its _FILE) by NAME: upper-cased, - as _."""
    prefix = "NOMAD_SEAL_KEY_PASSWORD_"
    names = {
        v.removeprefix(prefix).removesuffix("_FILE") for v in os.environ if v.startswith(prefix)
    }
    names.discard("FILE")  # NOMAD_SEAL_KEY_PASSWORD_FILE: the password of every key
    return {name: env(prefix + name) for name in names if env(prefix + name)}


# The keys' password: their own if set, else NOMAD_SEAL_KEY_PASSWORD for all.
NOMAD_SEAL_KEY_PASSWORD = env("NOMAD_SEAL_KEY_PASSWORD")
NOMAD_SEAL_KEY_PASSWORDS = _seal_key_passwords()
NOMAD_TSA_URL = env("NOMAD_TSA_URL")  # RFC 3161 timestamping authority, optional
# Yousign API v3 (remote signature); without a key only on-site signature is offered.
YOUSIGN_API_URL = env("YOUSIGN_API_URL", "https://api-sandbox.yousign.app/v3")
YOUSIGN_API_KEY = env("YOUSIGN_API_KEY")
YOUSIGN_WEBHOOK_SECRET = env("YOUSIGN_WEBHOOK_SECRET")
YOUSIGN_TIMEOUT_SECONDS = float(env("YOUSIGN_TIMEOUT_SECONDS", "10"))
# Embedded mode: no email from Yousign, the client signs in a frame of our status page.
YOUSIGN_EMBEDDED = env_bool("YOUSIGN_EMBEDDED", False)
# First delay before retrying a Yousign call that failed with 5xx or no answer (doubled).
YOUSIGN_RETRY_BACKOFF_SECONDS = float(env("YOUSIGN_RETRY_BACKOFF_SECONDS", "0.5"))
# Where uploaded files (brand logos) and documents live: the local file system (embedded
# default, one node), or an S3-compatible object store shared by every node
# (nomad_web/file_storage.py).
DOCUMENTS_STORAGE = env("DOCUMENTS_STORAGE", "filesystem")
if DOCUMENTS_STORAGE == "s3":
    if not env("S3_BUCKET"):
        raise ImproperlyConfigured("S3_BUCKET must be set when DOCUMENTS_STORAGE is s3.")
    FILE_STORAGES = s3_storages(
        bucket=env("S3_BUCKET"),
        endpoint_url=env("S3_ENDPOINT_URL"),
        region=env("S3_REGION"),
        access_key=env("S3_ACCESS_KEY_ID"),
        secret_key=env("S3_SECRET_ACCESS_KEY"),
    )
elif DOCUMENTS_STORAGE == "filesystem":
    FILE_STORAGES = filesystem_storages(documents_root=DOCUMENTS_ROOT)
else:
    raise ImproperlyConfigured("DOCUMENTS_STORAGE must be filesystem or s3.")
STORAGES = {
    **FILE_STORAGES,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Content Security Policy: no inline script or style; nonces where one is needed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "manifest-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}

SESSION_COOKIE_AGE = NOMAD_SESSION_MAX_HOURS * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

if PRODUCTION:
    # Both stay true in any real deployment; the benchmarks turn them off to serve plain
    # HTTP on loopback (bench/bench_load.py), as does SECURE_SSL_REDIRECT=false.
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# django-pwa: manifest and meta tags (our own service worker comes with offline work).
PWA_APP_NAME = "NOMAD web"
PWA_APP_SHORT_NAME = "NOMAD"
PWA_APP_DESCRIPTION = "Visites à domicile, devis et contrats"
PWA_APP_THEME_COLOR = "#1f4e79"
PWA_APP_BACKGROUND_COLOR = "#ffffff"
PWA_APP_DISPLAY = "standalone"
PWA_APP_START_URL = "/"
PWA_APP_LANG = "fr-FR"
PWA_APP_ICONS = [{"src": "/static/img/icon.svg", "sizes": "any"}]
PWA_APP_ICONS_APPLE = PWA_APP_ICONS

# Logs: one JSON object per line in production, plain text in development (LOG_FORMAT);
# the request and task lines are written by nomad_web/observability.py.
LOG_FORMAT = env("LOG_FORMAT", "json" if PRODUCTION else "text").strip().lower()
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured("LOG_FORMAT must be json or text.")
LOGGING = logging_config(log_format=LOG_FORMAT, level=env("LOG_LEVEL", "INFO"))
# The worker keeps these handlers and formats instead of putting its own on the root logger.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Observability (README, "Observability"). /metrics and the details of /healthz/ready
# answer a bearer token equal to METRICS_TOKEN; without one, /metrics is not served in
# production (404) and is open elsewhere (a developer's machine, the tests).
METRICS_TOKEN = env("METRICS_TOKEN")
# Error tracking (Sentry SDK) and tracing (OpenTelemetry, OTLP over HTTP): each is on only
# when its variable is set (nomad_web/telemetry.py, from NomadWebConfig.ready).
SENTRY_DSN = env("SENTRY_DSN")
SENTRY_ENVIRONMENT = env("SENTRY_ENVIRONMENT", NOMAD_ENV)
SENTRY_TRACES_SAMPLE_RATE = float(env("SENTRY_TRACES_SAMPLE_RATE", "0"))
OTEL_EXPORTER_OTLP_ENDPOINT = env("OTEL_EXPORTER_OTLP_ENDPOINT")
