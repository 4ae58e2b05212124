"""Settings for the whole project, read from the environment.

With nothing set, the site runs on SQLite with Celery tasks run eagerly and emails
printed to the console, so `make run` needs no services. Set DATABASE_URL and REDIS_URL
to run on PostgreSQL and Redis with real workers.
"""

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from whitenoise.compress import Compressor

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random "
            "string (for example: python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DEBUG=true for local development."
        )
    SECRET_KEY = "django-insecure-local-development-only"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])

INSTALLED_APPS = [
    "core.admin_apps.StaffAdminConfig",  # django.contrib.admin, with our site as admin.site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Third party
    "bootstrap",  # Bootstrap 5 static files from the django-bootstrap-static package
    "crispy_forms",
    "crispy_bootstrap5",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "phonenumber_field",
    "csp",  # django-csp: the Content-Security-Policy header (CONTENT_SECURITY_POLICY below)
    "core.admin_apps.SignInAttemptsConfig",  # axes
    "django_otp",
    "core.admin_apps.TwoFactorConfig",  # django_otp.plugins.otp_totp
    # Ours
    "core",
    "courses",
    "booking",
    "enquiries",
    "outbox",
    "trainers",
    "quotes",
    "invoicing",
    "insights",
    "records",
    "partners",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise, so static files carry the headers too.
    "csp.middleware.CSPMiddleware",
    "core.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.request_guard.RejectNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # CommonMiddleware, adding trailing slashes without turning a POST into a GET (core/slash.py).
    "core.slash.SlashMiddleware",
    "enquiries.attribution.AttributionMiddleware",  # a page cache goes below it: it adds the visitor's token
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out sign-in into the lockout page
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "core.context_processors.site",
            ],
        },
    },
]

# Database: SQLite unless DATABASE_URL says otherwise.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: broker, result backend and cache when REDIS_URL is set.
REDIS_URL = env("REDIS_URL", default="")
# The suite runs in parallel processes (pytest-xdist), each with its own PostgreSQL test database;
# each gets its own Redis database too, so one process's Celery worker never takes another's tasks.
_test_process = os.environ.get("PYTEST_XDIST_WORKER", "")
if REDIS_URL and _test_process.startswith("gw"):
    from urllib.parse import urlsplit, urlunsplit

    _parts = urlsplit(REDIS_URL)
    _db = int(_parts.path.strip("/") or 0)
    REDIS_URL = urlunsplit(_parts._replace(path=f"/{(_db - 1 - int(_test_process[2:])) % 16}"))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Short: a hung Redis must not hold a web request (rate limits fail open, see core/spam.py).
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Source maps are fetched only by browser developer tools: compressing them (with brotli) was
# more than half of collectstatic's time.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")
MEDIA_URL = "media/"
MEDIA_ROOT = BASE_DIR / "media"

# Email: printed to the console unless EMAIL_URL names a server (smtp://host:port).
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Calm Response Training <bookings@example.com>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SALES_EMAIL = env("SALES_EMAIL", default="sales@example.com")

# Celery: eager (in-process) without REDIS_URL, a real broker with it.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Without this Celery closes the database connection after every task (one new PostgreSQL
# connection per email); config/celery.py still drops broken or old ones between tasks.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
CELERY_TASK_ROUTES = {
    "outbox.tasks.send_email": {"queue": "mail"},
    # Partners' webhooks go on their own queue: a slow receiver never delays emails or other work.
    "partners.tasks.deliver_webhook": {"queue": "webhooks"},
}
CELERY_TASK_DEFAULT_QUEUE = "celery"
# Publishing when the broker is down must fail fast: the outbox sweep sends the email later.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
CELERY_BEAT_SCHEDULE = {
    "release-expired-po-holds": {"task": "booking.tasks.release_expired_po_holds", "schedule": 300.0},
    "release-unconfirmed-bookings": {"task": "booking.tasks.release_unconfirmed_bookings", "schedule": 60.0},
    "sweep-outbox": {"task": "outbox.tasks.sweep_outbox", "schedule": 60.0},
    "send-delegate-reminders": {
        "task": "booking.tasks.send_delegate_reminders",
        "schedule": crontab(hour=7, minute=0),
    },
    "chase-purchase-orders": {"task": "booking.tasks.chase_purchase_orders", "schedule": crontab(minute=15)},
    "lead-overdue-alerts": {"task": "enquiries.tasks.send_overdue_alerts", "schedule": 300.0},
    "lead-morning-digest": {
        "task": "enquiries.tasks.send_morning_digests",
        "schedule": crontab(hour=8, minute=0, day_of_week="mon-fri"),
    },
    "personal-data-retention": {"task": "enquiries.tasks.apply_retention", "schedule": crontab(hour=2, minute=30)},
    "attendance-links": {"task": "records.tasks.send_attendance_links", "schedule": crontab(hour=6, minute=30)},
    "refresher-reminders": {"task": "records.tasks.send_refresher_reminders", "schedule": crontab(hour=9, minute=0)},
    "expire-idempotency-keys": {"task": "core.tasks.expire_idempotency_keys", "schedule": crontab(hour=3, minute=10)},
    # Requeues webhook deliveries that are due (a retry, or a hand-over lost while the broker was
    # down) and removes finished ones after WEBHOOK_DELIVERY_KEEP_DAYS.
    "webhook-sweep": {"task": "partners.tasks.webhook_sweep", "schedule": 60.0},
}
# An Idempotency-Key's answer is replayed for this many hours, then removed by the daily task.
IDEMPOTENCY_KEY_HOURS = env.int("IDEMPOTENCY_KEY_HOURS", default=48)

# Catalogue pages and the sessions API answered from the cache (core/http_cache.py): the longest an
# answer is reused whatever changes; 0 stops storing answers (ETags and 304s stay).
CATALOGUE_CACHE_SECONDS = env.int("CATALOGUE_CACHE_SECONDS", default=5)

# Webhooks (partners/): seconds between attempts (then the delivery is failed), how long a queued
# delivery may wait before the sweep queues it again, and how long finished deliveries are kept.
WEBHOOK_RETRY_DELAYS = env.list("WEBHOOK_RETRY_DELAYS", cast=int, default=[60, 300, 1800, 7200, 21600, 43200])
WEBHOOK_SWEEP_GRACE_SECONDS = env.int("WEBHOOK_SWEEP_GRACE_SECONDS", default=120)
WEBHOOK_DELIVERY_KEEP_DAYS = env.int("WEBHOOK_DELIVERY_KEEP_DAYS", default=30)
# One attempt, from connecting to the end of the answer, is cut off after this many seconds (each
# read also times out after 5 s, which alone lets an answer sent a byte at a time run for ever).
WEBHOOK_DEADLINE_SECONDS = env.float("WEBHOOK_DEADLINE_SECONDS", default=15)
# Active webhook endpoints a partner key may register through the API.
WEBHOOK_ENDPOINTS_PER_PARTNER = env.int("WEBHOOK_ENDPOINTS_PER_PARTNER", default=5)
# Off: deliveries are written but never sent (an environment that must not call out, such as the
# API fuzzing run in CI, where endpoints are registered with made-up addresses).
WEBHOOK_DELIVERIES_ENABLED = env.bool("WEBHOOK_DELIVERIES_ENABLED", default=True)
# Webhook URLs must be https to a public address; this allows http to loopback and private
# addresses, for development and tests only.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=DEBUG)

# After the course (records/)
# The trainer's attendance link works until this many days after the course ends.
ATTENDANCE_LINK_DAYS_AFTER = env.int("ATTENDANCE_LINK_DAYS_AFTER", default=14)
# Refresher reminders go this many days before a certificate expires, once each.
REFRESHER_REMINDER_DAYS = sorted(env.list("REFRESHER_REMINDER_DAYS", cast=int, default=[60, 14]), reverse=True)
# The training record calls a certificate "expiring" within this many days of its expiry.
TRAINING_RECORD_EXPIRING_DAYS = env.int("TRAINING_RECORD_EXPIRING_DAYS", default=90)
# Course pages show the average rating only from this many responses.
FEEDBACK_MIN_RESPONSES_SHOWN = env.int("FEEDBACK_MIN_RESPONSES_SHOWN", default=5)
# Certificate checks per client address per hour on the public verification page.
CERTIFICATE_VERIFY_RATE_LIMIT_PER_HOUR = env.int("CERTIFICATE_VERIFY_RATE_LIMIT_PER_HOUR", default=60)

# Leads and newsletter
PRIVACY_NOTICE_VERSION = env("PRIVACY_NOTICE_VERSION", default="2026-01")
LEADS_ROUND_ROBIN = env.bool("LEADS_ROUND_ROBIN", default=True)
CALLBACK_SLA_WORKING_HOURS = env.float("CALLBACK_SLA_WORKING_HOURS", default=2)
ENQUIRY_SLA_WORKING_HOURS = env.float("ENQUIRY_SLA_WORKING_HOURS", default=8)
LEAD_RETENTION_MONTHS = env.int("LEAD_RETENTION_MONTHS", default=24)
# An open lead overdue longer than this many working hours is escalated (once) to the "Sales
# managers" group and SALES_MANAGER_EMAIL.
LEAD_ESCALATE_AFTER_WORKING_HOURS = env.float("LEAD_ESCALATE_AFTER_WORKING_HOURS", default=4)
SALES_MANAGER_EMAIL = env("SALES_MANAGER_EMAIL", default="")
# The morning digest lists this many of the most urgent leads, with a link to the rest.
LEAD_DIGEST_LIST_LIMIT = env.int("LEAD_DIGEST_LIST_LIMIT", default=20)
# Bulk actions on more leads than this run in a Celery task; the user sees the result on its page.
LEAD_BULK_INLINE_LIMIT = env.int("LEAD_BULK_INLINE_LIMIT", default=200)
NEWSLETTER_UNCONFIRMED_DAYS = env.int("NEWSLETTER_UNCONFIRMED_DAYS", default=30)
# Spam and abuse: submissions per client address per hour, and the fastest a person fills a form.
LEADS_RATE_LIMIT_PER_HOUR = env.int("LEADS_RATE_LIMIT_PER_HOUR", default=5)
LEADS_MIN_SUBMIT_SECONDS = env.float("LEADS_MIN_SUBMIT_SECONDS", default=3)
# How many proxies in front of the app append to X-Forwarded-For (0: use the socket's address).
TRUSTED_PROXIES = env.int("TRUSTED_PROXIES", default=0)

# Email outbox
# Transient errors are retried for EMAIL_RETRY_FOR_HOURS, the wait doubling from the base up to
# the max; EMAIL_MAX_ATTEMPTS is only a backstop (24 hours take about 30 attempts).
EMAIL_RETRY_FOR_HOURS = env.float("EMAIL_RETRY_FOR_HOURS", default=24.0)
EMAIL_RETRY_BASE_SECONDS = env.float("EMAIL_RETRY_BASE_SECONDS", default=30.0)
EMAIL_RETRY_MAX_SECONDS = env.float("EMAIL_RETRY_MAX_SECONDS", default=3600.0)
EMAIL_MAX_ATTEMPTS = env.int("EMAIL_MAX_ATTEMPTS", default=100)
EMAIL_SWEEP_GRACE_SECONDS = env.int("EMAIL_SWEEP_GRACE_SECONDS", default=60)
# Longer than one send can take (EMAIL_TIMEOUT + EMAIL_REPLY_TIMEOUT and more), or the sweep
# would call a slow send "unknown" while it is still going.
EMAIL_SENDING_TIMEOUT_SECONDS = env.int("EMAIL_SENDING_TIMEOUT_SECONDS", default=1800)
# Seconds to connect to the mail server, then to wait for each of its replies: the reply to the
# end of DATA may take minutes (RFC 5321 suggests waiting 10).
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=20)
EMAIL_REPLY_TIMEOUT = env.float("EMAIL_REPLY_TIMEOUT", default=600)
# Told once when emails start failing or their delivery becomes unknown (outbox/alerts.py).
OPS_EMAIL = env("OPS_EMAIL", default=SALES_EMAIL)
REMINDER_DAYS_BEFORE = env.int("REMINDER_DAYS_BEFORE", default=3)
PO_REMINDER_DAYS_BEFORE = [3, 1]

# Forms and messages
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
PHONENUMBER_DEFAULT_REGION = "GB"
from django.contrib.messages import constants as message_constants  # noqa: E402

MESSAGE_TAGS = {message_constants.ERROR: "danger"}

# REST API
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "core.api.Pagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First: DRF takes the WWW-Authenticate header of a 401 from the first class, and answers
        # 403 instead when it has none (SessionAuthentication), so bad credentials are 401 + Bearer.
        "partners.auth.PartnerKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
        # Per-user tokens for integrators, revoked by deleting them in the admin.
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "EXCEPTION_HANDLER": "core.api.exception_handler",
}
# Default limits for a new partner API key (partners.PartnerKey); each key's own can be changed in the admin.
PARTNER_BOOKINGS_PER_HOUR = env.int("PARTNER_BOOKINGS_PER_HOUR", default=60)
PARTNER_LEADS_PER_HOUR = env.int("PARTNER_LEADS_PER_HOUR", default=60)
SPECTACULAR_SETTINGS = {
    "TITLE": "Calm Response Training API",
    "DESCRIPTION": (
        "Courses, sectors, sessions, bookings and leads.\n\n"
        'Bodies are JSON (application/json) and every field has its own JSON type: "true" is not true, '
        '"12" is not 12. Fields an operation does not know, and query parameters a list does not know, '
        "are refused (400 naming them), never ignored; no text may contain a NUL character (\\u0000). "
        "Errors share one shape: code, detail and, for invalid fields, errors. Addresses end with a "
        "slash; without it the answer is a 308 to the right one."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Separate components for what is sent and what comes back (DelegateRequest and Delegate):
    # read-only fields are never asked for, and answers mark what is always there.
    "COMPONENT_SPLIT_REQUEST": True,
    # Operations named and tagged by resource (bookings_create, tag "bookings"), not all "v1_...".
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Booleans that must be one value (accept_terms is true; po_to_follow false beside a purchase order).
    "ENUM_NAME_OVERRIDES": {"TrueEnum": [(True, True)], "FalseEnum": [(False, False)]},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        # A request body is marked required wherever it has required fields.
        "core.api.require_request_bodies",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# The provider, shown on pages and in emails.
PROVIDER = {
    "name": env("PROVIDER_NAME", default="Calm Response Training"),
    "phone": env("PROVIDER_PHONE", default="01473 555 012"),
    "email": env("PROVIDER_EMAIL", default="hello@example.com"),
    "address": env("PROVIDER_ADDRESS", default="Unit 4, Orwell Business Park, Ipswich IP3 9SJ"),
    # Shown on quotes, invoices and credit notes (a UK VAT invoice must carry it).
    "vat_number": env("PROVIDER_VAT_NUMBER", default="GB 123 4567 89"),
    "company_number": env("PROVIDER_COMPANY_NUMBER", default=""),
    "bank_details": env("PROVIDER_BANK_DETAILS", default="Sort code 00-00-00, account 00000000"),
}
VAT_RATE = Decimal(env("VAT_RATE", default="0.20"))

# Booking rules
BOOKING_CLOSES_BEFORE_START = timedelta(hours=env.int("BOOKING_CLOSES_HOURS", default=24))
PO_HOLD_DAYS = env.int("PO_HOLD_DAYS", default=7)
# Cancelling (or removing a delegate) is free until booking closes; after that this share of the
# price is charged, and a credit note gives back the rest.
LATE_CANCELLATION_CHARGE_PERCENT = Decimal(env("LATE_CANCELLATION_CHARGE_PERCENT", default="100"))

# Quotes and invoices
QUOTE_VALID_DAYS = env.int("QUOTE_VALID_DAYS", default=30)
QUOTE_TERMS_VERSION = env("QUOTE_TERMS_VERSION", default="2026-01")
INVOICE_DUE_DAYS = env.int("INVOICE_DUE_DAYS", default=30)
# The accounts package's codes, written into the accounts export (invoicing/exports.py).
INVOICE_ACCOUNT_CODE = env("INVOICE_ACCOUNT_CODE", default="200")
INVOICE_TAX_TYPE = env("INVOICE_TAX_TYPE", default="20% (VAT on Income)")
BOOKING_TERMS_VERSION = env("BOOKING_TERMS_VERSION", default="2026-01")
# Seats must be earned: a booking made on the site or the public API holds its seats only this
# long until the booker confirms their email address from a link.
BOOKING_CONFIRM_MINUTES = env.int("BOOKING_CONFIRM_MINUTES", default=30)
# Seats one booker (email address) or organisation may hold unconfirmed at once, over all sessions.
BOOKING_UNCONFIRMED_SEATS_MAX = env.int("BOOKING_UNCONFIRMED_SEATS_MAX", default=12)
# Bookings (site and API) accepted from one client address per hour.
BOOKINGS_RATE_LIMIT_PER_HOUR = env.int("BOOKINGS_RATE_LIMIT_PER_HOUR", default=10)
# Delegate changes (add, remove, substitute) through a manage link per booking, and per client
# address, per hour: each one emails the people named.
BOOKING_CHANGES_PER_HOUR = env.int("BOOKING_CHANGES_PER_HOUR", default=20)
# How long a seat-counting transaction waits for another's lock before giving up (PostgreSQL).
BOOKING_LOCK_TIMEOUT_MS = env.int("BOOKING_LOCK_TIMEOUT_MS", default=5000)

# Security. USE_HTTPS defaults on outside DEBUG; `make run` turns it off to serve plain http
# on 127.0.0.1 while keeping DEBUG off (so the styled 404 and 500 pages show).
USE_HTTPS = env.bool("USE_HTTPS", default=not DEBUG)
SECURE_SSL_REDIRECT = USE_HTTPS
SESSION_COOKIE_SECURE = USE_HTTPS
CSRF_COOKIE_SECURE = USE_HTTPS
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if USE_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = USE_HTTPS
SECURE_HSTS_PRELOAD = USE_HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"  # a manage link's token never reaches another site
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Content-Security-Policy (django-csp) and Permissions-Policy (core.middleware), on every response.
# Everything the pages run or style comes from our own static files: no inline scripts, handlers
# or style attributes (tests/core/test_security_headers.py scans the templates), so neither
# script-src nor style-src needs 'unsafe-inline'. Swagger UI at /api/docs/ loads its start-up
# script as a file (SpectacularSwaggerSplitView) and its bundle from drf-spectacular-sidecar.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # data: for the small SVG icons Bootstrap and Swagger UI put in their CSS as data: URLs.
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}
# Browser features no page uses, denied to the pages and anything they embed.
PERMISSIONS_POLICY = {
    feature: []
    for feature in [
        "accelerometer", "autoplay", "camera", "display-capture", "encrypted-media",
        "geolocation", "gyroscope", "hid", "idle-detection", "magnetometer", "microphone", "midi",
        "payment", "screen-wake-lock", "serial", "usb", "xr-spatial-tracking",
    ]
}  # fmt: skip
# Swagger UI would otherwise show a badge image from validator.swagger.io, sending it our schema's
# address (and breaking img-src 'self'): no validator.
SPECTACULAR_SETTINGS["SWAGGER_UI_SETTINGS"] = {
    **SPECTACULAR_SETTINGS.get("SWAGGER_UI_SETTINGS", {"deepLinking": True}),
    "validatorUrl": None,
}

# Staff sign-in to the admin (core/admin_site.py): lockout after failed sign-ins (django-axes) and
# two-factor codes from an authenticator app (django-otp).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out sign-in before any password check
    "django.contrib.auth.backends.ModelBackend",
]
# Failed sign-ins (wrong passwords and wrong codes) counted per username and client address
# together, so an attacker locks out only themselves, never a staff member everywhere.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Ours (core.admin_site.SignInAttemptHandler): failed sign-ins from one address, all usernames; 0 is off.
AXES_IP_FAILURE_LIMIT = env.int("AXES_IP_FAILURE_LIMIT", default=20)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
if AXES_FAILURE_LIMIT < 1 or AXES_IP_FAILURE_LIMIT < 0 or AXES_COOLOFF_TIME.total_seconds() < 60:
    raise ImproperlyConfigured(
        "AXES_FAILURE_LIMIT and AXES_COOLOFF_MINUTES must be at least 1, and AXES_IP_FAILURE_LIMIT 0 or more."
    )
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "core.admin_site.SignInAttemptHandler"
AXES_CLIENT_IP_CALLABLE = "core.admin_site.client_ip"  # core.spam.client_address, so TRUSTED_PROXIES applies
AXES_LOCKOUT_CALLABLE = "core.admin_site.lockout_response"
AXES_VERBOSE = False  # no start-up banner on every manage.py command
# Staff with a TOTP device always give its code; with this on, every superuser must have one.
OTP_REQUIRED_FOR_SUPERUSERS = env.bool("OTP_REQUIRED_FOR_SUPERUSERS", default=False)
OTP_TOTP_ISSUER = PROVIDER["name"]  # the name authenticator apps show beside the code

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
