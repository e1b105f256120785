"""Settings of the reform portal, read only from the environment (see .env.example)."""

import re
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from portal.env import env_bool, env_int, env_list, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent

# --- Core -------------------------------------------------------------------------------------------
# DEBUG defaults on so that `make run` works with nothing set; production sets DEBUG=0 and then
# every secret must be given explicitly.
DEBUG = env_bool("DEBUG", True)

_DEV_SECRET_KEY = "django-insecure-development-only-key-never-use-in-production-000000"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY") or (_DEV_SECRET_KEY if DEBUG else None)
if SECRET_KEY is None:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG=0.")
if not DEBUG and (len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure")):
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 random characters when DEBUG=0.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG=0 (comma-separated host names).")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # Two-factor sign-in (portal/accounts); before portal, whose admin unregisters their device admins.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "portal",
    "workers",
    "training",
    "mediation",
    "indicators",
    "selfservice",
    "seed",
    "portal.adminsite.PortalAdminConfig",  # django.contrib.admin, with the portal's admin site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "django_celery_beat",
    "django_celery_results",
    "axes",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise, so static files keep their own headers; before the rest, so every page Django
    # answers (errors and lockouts too) gets the policy and Cache-Control: private, no-store.
    "portal.middleware.PortalCSPMiddleware",
    "portal.middleware.PrivateResponseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(); then staff who need a second factor reach only the two-factor pages
    # until they pass it (portal/accounts/middleware.py).
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "portal.accounts.middleware.TwoFactorMiddleware",
    # Before any view reads the body; after the middleware its "file too large" page needs.
    "portal.middleware.RequestSizeLimitMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: it turns a flagged lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"
AUTH_USER_MODEL = "portal.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------------
DATABASE_URL = env_url("DATABASE_URL", schemes=("sqlite", "postgres", "postgresql")) or (
    f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
)
_db = dj_database_url.parse(DATABASE_URL)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dev server read while an in-process job writes; IMMEDIATE avoids
    # "database is locked" when two writers upgrade their locks at once.
    _db["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }
else:
    DATABASE_POOL = env_bool("DATABASE_POOL", True)
    _db["CONN_MAX_AGE"] = 0 if DATABASE_POOL else env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0)
    # With the pool, Django turns this into the pool's check of each connection it hands out (one round
    # trip): after a database restart or failover, dead connections are replaced, not shown as errors.
    _db["CONN_HEALTH_CHECKS"] = True
    _db["OPTIONS"] = {
        "application_name": "reform-portal",
        # Pool sizes per process; celery.py drops a pool inherited through fork().
        "pool": (
            {
                "min_size": env_int("DATABASE_POOL_MIN", 1, minimum=0),
                "max_size": env_int("DATABASE_POOL_MAX", 8, minimum=1),
                "timeout": 10,
            }
            if DATABASE_POOL
            else False
        ),
    }
DATABASES = {"default": _db}

# --- Cache, Celery ------------------------------------------------------------------------------------
REDIS_URL = env_url("REDIS_URL", schemes=("redis", "rediss"))

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "portal",
            # A Redis outage degrades the cache to misses; the site keeps serving.
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
        }
    }
    DJANGO_REDIS_IGNORE_EXCEPTIONS = True
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "portal"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
# Without a broker, tasks run inside the request and their results are still stored.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_STORE_EAGER_RESULT = True
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_CACHE_BACKEND = "django-cache"
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 3600, minimum=10)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 5
# With Redis, an unacknowledged task is redelivered after this many seconds; it must exceed the
# longest task, or a slow task would run twice while still running. Socket timeouts and one retry
# bound how long queuing a job can take when Redis is down or hangs (about 4 s; the job is then
# failed and the user told, portal.jobs.job_submit); without them a hung Redis hangs the request.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_TASK_TIME_LIMIT + 600,
    "socket_connect_timeout": 2,
    "socket_timeout": 2,
    "max_retries": 1,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# acks_late is set per task, only where running twice is harmless (imports, exports); a task whose
# child process is killed is then acknowledged as failed, not requeued (no redelivery loop for a file
# that kills its worker); the stale-work reapers fail its job, which the user can run again.
CELERY_TASK_REJECT_ON_WORKER_LOST = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# The schedule lives in code and is copied into django-celery-beat's tables, where staff can edit it.
CELERY_BEAT_SCHEDULE = {
    "indicators-nightly": {
        "task": "indicators.compute_open_periods",
        "schedule": crontab(hour=2, minute=0),
        "options": {"expires": 6 * 3600},
    },
    "mediation-record-overdue-cases": {
        "task": "mediation.record_overdue_cases",
        "schedule": crontab(hour=0, minute=30),
        "options": {"expires": 6 * 3600},
    },
    # Work whose worker died is noticed within minutes (and whenever a worker starts).
    "portal-reap-stale-jobs": {
        "task": "portal.reap_stale_jobs",
        "schedule": 120.0,
        "options": {"expires": 110},
    },
    "indicators-fail-stale-runs": {
        "task": "indicators.fail_stale_runs",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
}

# --- Sessions and passwords -----------------------------------------------------------------------------
# Sessions live in the database (a Redis outage signs nobody out) and are read through the cache: a
# signed-in request costs no session query while Redis answers (measured: bench/bench_load.py).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600, minimum=300)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Language and time --------------------------------------------------------------------------------
# Chinese whatever the browser asks for; English only when the user picks it (ChosenLanguageMiddleware).
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

# --- Static and uploaded files --------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploads are private (receipts, plans): never under the web root; views serve them after a scope check.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or BASE_DIR / "media")
MEDIA_URL = "/files/"  # portal.media.private_file checks the owner's scope before sending a file
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploads above this size go to a temporary file instead of memory (not a limit).
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Form fields and JSON bodies, files not counted; refused with a 400 above this.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Whole request bodies above this are refused (413) before they are read: the limit of the largest
# upload, a registry import; receipts, plans and case documents have smaller limits (portal/uploads.py).
UPLOAD_MAX_MB = env_int("UPLOAD_MAX_MB", 100, minimum=1, maximum=2048)
# Office files (XLSX imports, DOCX and XLSX documents) are zip packages: before anything is unpacked,
# their table of contents must show at most this many parts, no part unpacking to more than
# UPLOAD_ZIP_MAX_ENTRY_MB, all of them to more than UPLOAD_ZIP_MAX_TOTAL_MB, nor any part over 1 MB
# unpacking to more than UPLOAD_ZIP_MAX_RATIO times its packed size (a zip bomb); the unpacking itself
# counts bytes and stops at the same limits (portal/uploads.py).
UPLOAD_ZIP_MAX_ENTRIES = env_int("UPLOAD_ZIP_MAX_ENTRIES", 1000, minimum=10, maximum=100_000)
UPLOAD_ZIP_MAX_ENTRY_MB = env_int("UPLOAD_ZIP_MAX_ENTRY_MB", 1024, minimum=1, maximum=16 * 1024)
UPLOAD_ZIP_MAX_TOTAL_MB = env_int("UPLOAD_ZIP_MAX_TOTAL_MB", 2048, minimum=1, maximum=32 * 1024)
UPLOAD_ZIP_MAX_RATIO = env_int("UPLOAD_ZIP_MAX_RATIO", 100, minimum=10, maximum=10_000)
# One spreadsheet row (its XML in a workbook, its text in a CSV file) and one cell's text: a file with a
# bigger one is refused, naming the row, before it is held in memory (portal/spreadsheets/reading.py).
UPLOAD_ROW_MAX_KB = env_int("UPLOAD_ROW_MAX_KB", 1024, minimum=16, maximum=64 * 1024)
UPLOAD_CELL_MAX_CHARS = env_int("UPLOAD_CELL_MAX_CHARS", 32_767, minimum=256, maximum=1_000_000)
# Uploaded files readable by the portal's user only.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# --- Security (behind a TLS-terminating proxy that sets X-Forwarded-Proto) ------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_SECURE = not DEBUG
# No script reads a cookie: forms carry the CSRF token, Swagger UI gets it from its own script.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_HTTPONLY = True
# Lax, not Strict: a link to the portal from a message or e-mail must arrive signed in.
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
# Our own pages get the full address (the admin's "back to the list"), other sites nothing.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Content-Security-Policy (django-csp 4, portal.middleware.PortalCSPMiddleware): everything from our
# own origin, no inline script, event handler or eval anywhere (data reaches scripts through data-*
# attributes and json_script); no inline style either, except on the admin's pages (see the middleware).
# ECharts needs neither eval nor inline styles; Swagger UI runs from a script file (SpectacularSwaggerSplitView).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # data: for the icons inside Swagger UI's and the admin's style sheets.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- REST API ------------------------------------------------------------------------------------------
# Online mediation applications one worker may file in any hour (counted in the database: a Redis
# outage does not lift it; mediation.services.cases).
MEDIATION_APPLICATIONS_PER_HOUR = env_int("MEDIATION_APPLICATIONS_PER_HOUR", 10, minimum=1, maximum=1000)
REST_FRAMEWORK = {
    # Tokens first: its WWW-Authenticate challenge makes an unauthenticated request a 401, not a 403.
    # Hashed, expiring tokens each user manages on /account/tokens/ (rest_framework.authtoken is retired).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["portal.api.permissions.ScopedModelPermissions"],
    "DEFAULT_FILTER_BACKENDS": [
        "portal.api.filters.StrictFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "portal.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    # drf-spectacular's, plus every operation's error responses in the one error shape.
    "DEFAULT_SCHEMA_CLASS": "portal.api.schema.PortalAutoSchema",
    "EXCEPTION_HANDLER": "portal.api.errors.exception_handler",
    # The application limit is also counted in the database by the service (it holds without Redis).
    "DEFAULT_THROTTLE_RATES": {
        "anon": "60/min",
        "user": "600/min",
        "mediation_applications": f"{MEDIATION_APPLICATIONS_PER_HOUR}/hour",
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Industrial-worker reform portal API",
    "DESCRIPTION": "Scoped, paginated access to the reform portal's records and indicators.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and Swagger UI are for signed-in users only (a token or a session); Swagger UI's page
    # also sends an anonymous browser to the sign-in page (portal/api/urls.py).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    # No badge from validator.swagger.io: nothing is loaded from another site (CSP).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a "kind", "level" or "status": name each choice set after its class.
    "ENUM_NAME_OVERRIDES": {
        "SkillLevelEnum": "workers.choices.SkillLevel",
        "TitleLevelEnum": "workers.choices.TitleLevel",
        "DistrictKindEnum": "portal.choices.DistrictKind",
        "ClaimKindEnum": "training.choices.ClaimKind",
        "ClaimStatusEnum": "training.choices.ClaimStatus",
        "EnrollmentStatusEnum": "training.choices.EnrollmentStatus",
        "BatchStatusEnum": "training.choices.BatchStatus",
        "PaymentStatusEnum": "training.choices.PaymentStatus",
        "CaseStatusEnum": "mediation.choices.CaseStatus",
        "CaseSourceEnum": "mediation.choices.CaseSource",
        "DisputeTypeEnum": "mediation.choices.DisputeType",
        "CommitteeKindEnum": "mediation.choices.CommitteeKind",
        "MemberRoleEnum": "mediation.choices.MemberRole",
        "EventTypeEnum": "mediation.choices.EventType",
    },
}

# --- Logging --------------------------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(f"LOG_LEVEL={LOG_LEVEL!r} is not a logging level.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_query_strings": {"()": "portal.log_filters.DropQueryStrings"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "axes": {"level": "WARNING"},
        # runserver's request lines, without query strings (admin searches may be ID numbers).
        "django.server": {
            "handlers": ["django.server"],
            "filters": ["no_query_strings"],
            "level": "INFO",
            "propagate": False,
        },
    },
}

# --- Personal data at rest (see portal/crypto.py) ------------------------------------------------------
# PERSONAL_DATA_KEYS: comma-separated "keyid:base64-32-bytes"; the first encrypts, all decrypt (rotation).
# PERSONAL_DATA_HASH_KEY: base64 key of the keyed hash (HMAC) used for exact lookups and uniqueness.
PERSONAL_DATA_KEYS = env_list("PERSONAL_DATA_KEYS")
PERSONAL_DATA_HASH_KEY = env_str("PERSONAL_DATA_HASH_KEY")
if not DEBUG and not (PERSONAL_DATA_KEYS and PERSONAL_DATA_HASH_KEY):
    raise ImproperlyConfigured("PERSONAL_DATA_KEYS and PERSONAL_DATA_HASH_KEY must be set when DEBUG=0.")
# With DEBUG on and no keys, crypto derives development keys from SECRET_KEY (never in production).
PERSONAL_DATA_DEV_KEYS = DEBUG

# --- Portal -------------------------------------------------------------------------------------------
# Claims above this many yuan need an approver from the city union (four eyes and one more level).
CLAIM_CITY_APPROVAL_THRESHOLD = env_int("CLAIM_CITY_APPROVAL_THRESHOLD", 50_000, minimum=0)
# Imports with more rows than this, and exports with more rows than EXPORT_BACKGROUND_ROWS, run as
# background jobs with a progress page; smaller ones answer within the request.
IMPORT_BACKGROUND_ROWS = env_int("IMPORT_BACKGROUND_ROWS", 5_000, minimum=1)
EXPORT_BACKGROUND_ROWS = env_int("EXPORT_BACKGROUND_ROWS", 10_000, minimum=1)
# Days both parties may agree to extend mediation beyond the 15-day limit (received_on + 15), at most.
MEDIATION_EXTENSION_CAP_DAYS = env_int("MEDIATION_EXTENSION_CAP_DAYS", 15, minimum=0)
# A period is recomputed every night until this many days after its end; then its last snapshot stands.
INDICATOR_GRACE_DAYS = env_int("INDICATOR_GRACE_DAYS", 30, minimum=0)
# PostgreSQL work_mem of an indicator run's transaction (the per-enterprise grouping sorts in memory).
INDICATOR_WORK_MEM = env_str("INDICATOR_WORK_MEM", "64MB")
if not re.fullmatch(r"[1-9][0-9]*(kB|MB|GB)", INDICATOR_WORK_MEM):
    raise ImproperlyConfigured(
        f"INDICATOR_WORK_MEM={INDICATOR_WORK_MEM!r} is not a PostgreSQL size like 64MB."
    )
PORTAL_NAME = _("Industrial-Worker Reform Portal")

# --- Login protection (django-axes) and worker self-service ---
# Lockout first (django-axes), then workers by ID number, then everyone by user name.
AUTHENTICATION_BACKENDS = [
    "selfservice.throttle.LoginThrottleBackend",
    "selfservice.auth.IdNumberBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failed sign-ins and activations are counted per identifier *and* client address together: after
# AXES_FAILURE_LIMIT failures within AXES_COOLOFF_TIME that identifier is locked from that address only,
# so one worker's typos behind a shared public address lock out nobody else (staff included).
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
# In hours, as axes reads a number.
AXES_COOLOFF_TIME = env_int("LOGIN_LOCKOUT_MINUTES", 30, minimum=1, maximum=24 * 60) / 60
# A success clears only that account's failures (selfservice/signals.py), not its address's.
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Attempts refused during a lockout are not counted again (the lockout ends when it said it would).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Besides, one address is throttled (no account locked) after this many failures over all identifiers
# within the window: it bounds guesses spread over many accounts (selfservice/throttle.py).
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("LOGIN_ADDRESS_FAILURE_LIMIT", 100, minimum=1)
LOGIN_ADDRESS_WINDOW_MINUTES = env_int("LOGIN_ADDRESS_WINDOW_MINUTES", 15, minimum=1, maximum=24 * 60)
# Axes stores and logs a keyed hash of the identifier typed, never an ID number (selfservice/identity.py).
AXES_USERNAME_CALLABLE = "selfservice.identity.axes_username"
# Reverse proxies in front of Django that append to X-Forwarded-For; 0 trusts only REMOTE_ADDR.
AXES_IPWARE_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0, maximum=5)
# DRF's address-based throttles read the same count.
REST_FRAMEWORK["NUM_PROXIES"] = AXES_IPWARE_PROXY_COUNT
AXES_CLIENT_IP_CALLABLE = "selfservice.identity.client_ip"
AXES_LOCKOUT_CALLABLE = "selfservice.views.locked_out"
# Form fields whose values axes must never copy into its attempt records.
AXES_SENSITIVE_PARAMETERS = [
    "username", "ip_address", "id_number", "name", "phone", "code", "account", "account_again",
    "new_password1", "new_password2",
]  # fmt: skip
AXES_ENABLE_ACCESS_FAILURE_LOG = True

# An SMS step for activation can be plugged in here later (dotted path to a class implementing
# selfservice.sms.ActivationSmsBackend); None: no SMS, activation by ID number, name and phone.
WORKER_ACTIVATION_SMS_BACKEND = env_str("WORKER_ACTIVATION_SMS_BACKEND") or None
# How long an activation code a clerk issues stays valid.
WORKER_ACTIVATION_CODE_HOURS = env_int("WORKER_ACTIVATION_CODE_HOURS", 72, minimum=1, maximum=24 * 30)
# Receipts uploaded with an online tuition claim: at most this many megabytes.
WORKER_RECEIPT_MAX_MB = env_int("WORKER_RECEIPT_MAX_MB", 5, minimum=1, maximum=20)

# --- Staff accounts: two-factor sign-in, one-time password links, API tokens (portal/accounts) ---
# Roles that must sign in with an authenticator app besides city staff's default; superusers, payment
# staff and user administrators always must, workers never (comma-separated: city_staff,district_staff,
# district_official).
OTP_REQUIRED_ROLES = env_list("OTP_REQUIRED_ROLES", ["city_staff"])
_unknown_roles = set(OTP_REQUIRED_ROLES) - {"city_staff", "district_staff", "district_official"}
if _unknown_roles:
    raise ImproperlyConfigured(
        f"OTP_REQUIRED_ROLES names {sorted(_unknown_roles)}: only staff and official roles (workers never)."
    )
# The name authenticator apps show next to the code.
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Reform portal")
# Recovery codes made at enrolment (each signs in once).
OTP_RECOVERY_CODES = env_int("OTP_RECOVERY_CODES", 10, minimum=1, maximum=20)
# How long a one-time password link a user administrator issues stays valid.
STAFF_PASSWORD_LINK_HOURS = env_int("STAFF_PASSWORD_LINK_HOURS", 24, minimum=1, maximum=24 * 14)
# API tokens: default and longest lifetime in days, and how many live tokens one user may hold.
API_TOKEN_DAYS = env_int("API_TOKEN_DAYS", 90, minimum=1, maximum=3650)
API_TOKEN_MAX_DAYS = env_int("API_TOKEN_MAX_DAYS", 365, minimum=1, maximum=3650)
if API_TOKEN_DAYS > API_TOKEN_MAX_DAYS:
    raise ImproperlyConfigured("API_TOKEN_DAYS must not exceed API_TOKEN_MAX_DAYS.")
API_TOKEN_MAX_PER_USER = env_int("API_TOKEN_MAX_PER_USER", 10, minimum=1, maximum=100)
