"""Django settings, read from environment variables through config.env (see docs/settings.md)."""

from pathlib import Path

import dj_database_url

from .env import ImproperlyConfiguredEnv, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("REGISTRY_VAR_DIR", str(BASE_DIR / "var"), "Folder for the SQLite file, uploads and logs."))
VAR_DIR.mkdir(parents=True, exist_ok=True)

REGISTRY_ENV = env_str("REGISTRY_ENV", "development", "development | production. Production refuses unsafe defaults.")
PRODUCTION = REGISTRY_ENV == "production"

DEBUG = env_bool("DJANGO_DEBUG", not PRODUCTION, "Django debug pages. Never true in production.")
SECRET_KEY = env_str("DJANGO_SECRET_KEY", None, "Signing key for sessions and tokens. Required in production.")
if PRODUCTION:
    if not SECRET_KEY:
        raise ImproperlyConfiguredEnv("DJANGO_SECRET_KEY must be set when REGISTRY_ENV=production")
    if DEBUG:
        raise ImproperlyConfiguredEnv("DJANGO_DEBUG must be false when REGISTRY_ENV=production")
SECRET_KEY = SECRET_KEY or "development-only-insecure-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"], "Host names this server answers to."
)
REGISTRY_TRUSTED_PROXIES = env_list(
    "REGISTRY_TRUSTED_PROXIES", [], "Addresses of our reverse proxies; X-Forwarded-For is believed only from them."
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [], "Origins (https://host) for CSRF behind a proxy.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",
    "csp",
    "registry.core",
    "registry.audit",
    "registry.accounts",
    "registry.sms",
    "registry.mail",
    "registry.records",
    "registry.applications",
    "registry.material_checks",
    "registry.review",
    "registry.transfers",
    "registry.imports",
    "registry.credits",
    "registry.notices",
    "registry.campaigns",
    "registry.integrity",
    "registry.stats",
    "registry.verification",
    "registry.demo",
    "registry.web",
    "registry.api",
]

MIDDLEWARE = [
    "registry.core.request_id.RequestIdMiddleware",  # first: the id is in every log line of the request
    "registry.core.replica.ReplicaPinMiddleware",  # before anything reads: who reads from the primary
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "registry.web.middleware.IdleTimeoutMiddleware",  # the 30-minute idle timeout (needs the session)
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "registry.accounts.middleware.AuthenticationMiddleware",  # the session and its user in one read
    "django.contrib.messages.middleware.MessageMiddleware",
    "registry.web.middleware.LoginAgainAfterPostMiddleware",  # a form sent after logout: back to its page
    "registry.web.middleware.NoStorePersonalDataMiddleware",
    "registry.web.middleware.ForcePasswordChangeMiddleware",
    "registry.api.middleware.RejectNulCharactersMiddleware",
    "registry.api.middleware.ApiCallAuditMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "registry.web.middleware.ChineseErrorPagesMiddleware",  # last: Chinese 404/500 pages with DEBUG on too, a page for a bare 405
    "registry.api.middleware.ApiProblemFallbackMiddleware",  # the API's own 404/405/500 as problem+json too
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
                "registry.web.context_processors.site",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
DATABASE_URL = env_str(
    "DATABASE_URL",
    f"sqlite:///{VAR_DIR / 'registry.sqlite3'}",
    "Database URL: sqlite:///path (embedded default) or postgres://user@host:5432/name.",
)
DATABASE_CONN_MAX_AGE = env_int(
    "DATABASE_CONN_MAX_AGE", 60, "Seconds a PostgreSQL connection is kept open between requests."
)
DATABASE_PREPARED_STATEMENTS = env_bool(
    "DATABASE_PREPARED_STATEMENTS",
    True,
    "PostgreSQL: the hot reads prepared once per connection (registry/core/prepared.py); off behind pgbouncer.",
)
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so concurrent writers wait (timeout) instead of
        # failing half-way with "database is locked"; WAL lets readers run beside one writer.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    # Tests use a file too, not Django's shared-cache in-memory database: there concurrent writers
    # (the live server's threads, background jobs) fail at once with "table is locked" instead of
    # waiting like they do on the real file.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-registry.sqlite3")}
else:
    # Django's PostgreSQL backend, with a health check of kept connections that sends nothing
    # (registry/core/postgresql/base.py): Django's own is a SELECT 1 before every request's first query.
    DATABASES["default"]["ENGINE"] = "registry.core.postgresql"
    DATABASES["default"]["CONN_MAX_AGE"] = DATABASE_CONN_MAX_AGE
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# pgbouncer in transaction mode hands each transaction to any server connection: nothing may outlive a
# transaction there — no server-side (named) cursors, no prepared statements, no kept connection.
DATABASE_PGBOUNCER = env_bool(
    "DATABASE_PGBOUNCER",
    False,
    "DATABASE_URL points at pgbouncer in transaction mode: no server-side cursors or prepared statements, CONN_MAX_AGE 0.",
)
if DATABASE_PGBOUNCER and DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = None
DATABASE_REPLICA_URL = env_str(
    "DATABASE_REPLICA_URL",
    None,
    "PostgreSQL streaming replica for statistics, exports and verification reads; unset = everything on the primary.",
)
REPLICA_PIN_SECONDS = env_int(
    "REPLICA_PIN_SECONDS",
    15,
    "After a browser's request writes, its reads stay on the primary this long (read-your-writes).",
)
REPLICA_RETRY_SECONDS = env_int(
    "REPLICA_RETRY_SECONDS", 30, "A replica that failed is not tried again by this process for this long."
)
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {
        **dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=DATABASES["default"].get("CONN_MAX_AGE", 0)),
        "ENGINE": "registry.core.postgresql",
        "CONN_HEALTH_CHECKS": True,
        "DISABLE_SERVER_SIDE_CURSORS": DATABASES["default"].get("DISABLE_SERVER_SIDE_CURSORS", False),
        "OPTIONS": {**DATABASES["default"].get("OPTIONS", {}), "connect_timeout": 2},
        "TEST": {"MIRROR": "default"},  # tests read the test database through this alias
    }
DATABASE_ROUTERS = ["registry.core.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "registry.accounts.backends.PhoneOrIdNumberBackend",
    # First login with the old system's password claims the imported record (issue 15).
    "registry.imports.backends.ImportedPasswordBackend",
]
PASSWORD_HASHERS = [
    # Argon2id at OWASP's m=19 MiB, t=2, p=1 (registry/accounts/hashers.py); hashes made with Django's
    # defaults (100 MiB, p=8) still verify and are rewritten at the next login.
    "registry.accounts.hashers.RegistryArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    # Read only, for hashes imported from the old system; replaced by Argon2 at first login.
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "registry.imports.hashers.SaltedSHA256PasswordHasher",
    "registry.imports.hashers.SaltedSHA1PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "registry.accounts.password_validation.LettersAndDigitsValidator"},
    {"NAME": "registry.accounts.password_validation.NotPhoneOrIdNumberValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:home"
# Django's database sessions, read with one prepared-once statement (registry.accounts.sessions).
SESSION_ENGINE = "registry.accounts.sessions"
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 30 * 60, "Web session idle timeout in seconds.")
# The idle timeout is kept by registry.web.middleware.IdleTimeoutMiddleware (last-seen time in the
# session, refreshed once a minute), so the session is written only when it changes.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True

# --- HTTPS (on by default in production) --------------------------------------------------------
SECURE_SSL_REDIRECT = env_bool(
    "DJANGO_SECURE_SSL_REDIRECT", PRODUCTION, "Redirect http:// to https:// (default: on in production)."
)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe the health check over plain HTTP
SECURE_HSTS_SECONDS = env_int(
    "DJANGO_SECURE_HSTS_SECONDS",
    365 * 24 * 3600 if PRODUCTION else 0,
    "Strict-Transport-Security max-age on HTTPS answers (default: one year in production, 0 = off elsewhere).",
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool(
    "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS",
    False,
    "Add includeSubDomains to HSTS: only when every subdomain of the site's domain is served over HTTPS.",
)
_proxy_ssl_header = env_str(
    "DJANGO_SECURE_PROXY_SSL_HEADER",
    "X-Forwarded-Proto" if PRODUCTION else "off",
    "Header by which the TLS-terminating proxy says the request came over HTTPS (value `https`); "
    "`off` to trust no header. The proxy must set or strip it. Default in production: X-Forwarded-Proto.",
)
SECURE_PROXY_SSL_HEADER = (
    None if _proxy_ssl_header.lower() == "off" else ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https")
)
X_FRAME_OPTIONS = "SAMEORIGIN"
# Content-Security-Policy on every response (django-csp): scripts and styles only from our own static
# files — no inline script, no eval — so injected markup cannot run. PDFs of materials are embedded
# (<object>) from our own attachment URL, which answers with its own sandboxing policy.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'self'"],
        "frame-src": ["'self'"],
        "frame-ancestors": ["'self'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    }
}

# --- Locale -----------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files and uploads -----------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns on every request when it is missing
NODE_MODULES = BASE_DIR / "node_modules"
# Front-end libraries come from the npm registry (package.json) at install time, never a CDN.
STATICFILES_DIRS = [
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
]
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024  # larger uploads spool to a temporary file, removed after the request
MEDIA_ROOT = VAR_DIR / "media"  # private: no MEDIA_URL is served; files go through access-checked views
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 5 * 1024 * 1024, "Largest accepted material file (bytes); 413 beyond.")
# 17 Mpx admits every phone's normal mode (12 Mpx; 16 Mpx sensors give 4656×3496) and a 400-dpi A4
# scan; refuses 48/50 Mpx full-resolution photos and 600-dpi scans (docs/performance.md, "Uploads").
UPLOAD_MAX_PIXELS = env_int(
    "UPLOAD_MAX_PIXELS", 17_000_000, "Largest accepted image (pixels), judged from the header before decoding."
)
UPLOAD_IMAGE_MAX_SIDE = env_int(
    "UPLOAD_IMAGE_MAX_SIDE", 2048, "Images are stored with the longer side at most this (px): ~175 dpi for A4."
)
UPLOAD_PDF_MAX_PAGES = env_int("UPLOAD_PDF_MAX_PAGES", 20, "Pages a material PDF may have (each is rendered).")
UPLOAD_PDF_RENDER_DPI = env_int("UPLOAD_PDF_RENDER_DPI", 150, "Resolution of the page images made from a PDF.")
UPLOAD_PDF_PAGE_MAX_SIDE = env_int(
    "UPLOAD_PDF_PAGE_MAX_SIDE", 2000, "Longer side (px) of a rendered PDF page, whatever the page size."
)
UPLOAD_HOURLY_LIMIT = env_int("UPLOAD_HOURLY_LIMIT", 60, "Uploads one account may make per hour (429 beyond).")
UPLOAD_OTHER_MAX = env_int("UPLOAD_OTHER_MAX", 10, "Files of kind `other` one application may hold.")
CLAIM_HOURLY_LIMIT = env_int("CLAIM_HOURLY_LIMIT", 10, "Claims of imported records one account may try per hour.")
IMPORT_UPLOAD_MAX_BYTES = env_int(
    "IMPORT_UPLOAD_MAX_BYTES",
    10 * 1000 * 1000,
    "Largest import file the admin page accepts (bytes; ~60,000 rows, one background job under its time "
    "limit); larger files go through `manage.py import_records`.",
)
# Materials read back after upload (docs/materials.md): OCR compared with the form, legibility, the face.
MATERIAL_CHECKS = env_bool(
    "MATERIAL_CHECKS", True, "Read each stored image/PDF material back in a background job (warnings, never a block)."
)
MATERIAL_CHECKS_OCR_THREADS = env_int(
    "MATERIAL_CHECKS_OCR_THREADS", 1, "CPU threads one OCR run may use (one run at a time per process)."
)
MATERIAL_CHECKS_OCR_MODELS = env_str(
    "MATERIAL_CHECKS_OCR_MODELS", "", "Folder of the PP-OCR .onnx models; empty: those inside rapidocr-onnxruntime."
)
MATERIAL_CHECKS_CASCADE_DIR = env_str(
    "MATERIAL_CHECKS_CASCADE_DIR",
    "",
    "Folder holding haarcascade_frontalface_default.xml; empty: Debian opencv-data's /usr/share/opencv4/haarcascades.",
)

STORAGE_BACKEND = env_str("STORAGE_BACKEND", "local", "local | s3 (S3-compatible object storage for materials).")
_s3_options = {
    "bucket_name": env_str("STORAGE_S3_BUCKET", None, "Bucket for materials (STORAGE_BACKEND=s3)."),
    "endpoint_url": env_str("STORAGE_S3_ENDPOINT_URL", None, "S3-compatible endpoint URL."),
    "access_key": env_str("STORAGE_S3_ACCESS_KEY", None, "S3 access key."),
    "secret_key": env_str("STORAGE_S3_SECRET_KEY", None, "S3 secret key."),
    "region_name": env_str("STORAGE_S3_REGION", None, "S3 region name."),
    "verify": env_str(
        "STORAGE_S3_CA_BUNDLE",
        None,
        "CA certificate file for the S3 endpoint's TLS (a private CA); unset = the system's.",
    ),
    "addressing_style": env_str(
        "STORAGE_S3_ADDRESSING_STYLE", "auto", "auto | path | virtual (path for most self-hosted S3 and moto_server)."
    ),
}
if STORAGE_BACKEND == "s3":
    if PRODUCTION and not _s3_options["bucket_name"]:
        raise ImproperlyConfiguredEnv("STORAGE_S3_BUCKET must be set when STORAGE_BACKEND=s3")
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **_s3_options,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
            "signature_version": "s3v4",  # presigned URLs carry their lifetime (X-Amz-Expires)
        },
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT},
    }
# After the access check (and its audit) a private file reaches the browser one of three ways
# (applications/storage.delivery_response): streamed by the app, handed to nginx (X-Accel-Redirect to
# an internal location over MEDIA_ROOT; local storage only), or as a short-lived presigned URL (S3).
MATERIALS_DELIVERY = env_str(
    "MATERIALS_DELIVERY",
    "stream",
    "stream | x-accel (nginx sends local files from its internal /protected/ location) | redirect (S3 presigned URL).",
)
if MATERIALS_DELIVERY not in ("stream", "x-accel", "redirect"):
    raise ImproperlyConfiguredEnv(f"MATERIALS_DELIVERY must be stream, x-accel or redirect, got {MATERIALS_DELIVERY!r}")
if MATERIALS_DELIVERY == "redirect" and STORAGE_BACKEND != "s3":
    raise ImproperlyConfiguredEnv("MATERIALS_DELIVERY=redirect needs STORAGE_BACKEND=s3")
if MATERIALS_DELIVERY == "x-accel" and STORAGE_BACKEND != "local":
    raise ImproperlyConfiguredEnv("MATERIALS_DELIVERY=x-accel needs STORAGE_BACKEND=local (nginx reads MEDIA_ROOT)")
MATERIALS_ACCEL_PREFIX = env_str(
    "MATERIALS_ACCEL_PREFIX", "/protected/", "nginx's internal location whose alias is MEDIA_ROOT (x-accel)."
)
STORAGE_S3_URL_SECONDS = env_int("STORAGE_S3_URL_SECONDS", 60, "Lifetime of a presigned material URL (redirect).")
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
if MATERIALS_DELIVERY == "redirect" and _s3_options["endpoint_url"]:
    # page images and photos are fetched from the presigned URL the attachment address redirects to
    from urllib.parse import urlsplit as _urlsplit

    _s3 = _urlsplit(_s3_options["endpoint_url"])
    for _directive in ("img-src", "object-src", "frame-src"):
        CONTENT_SECURITY_POLICY["DIRECTIVES"][_directive].append(f"{_s3.scheme}://{_s3.netloc}")

# --- Cache and background jobs ----------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", None, "Redis URL for the cache and (unless CELERY_BROKER_URL is set) the broker.")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL, "Celery broker. Unset (and no REDIS_URL): in-process.")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
# Jobs are acknowledged when done, and a worker child that dies mid-job (SIGKILL, OOM) puts it back on
# the queue instead of acknowledging it: every task must be safe to run again (SMS: deliver_once).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_TIME_LIMIT = 90
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
BROKER_VISIBILITY_TIMEOUT = env_int(
    "BROKER_VISIBILITY_TIMEOUT",
    120,
    "Seconds before Redis gives a job whose worker vanished to another worker. Longer than any task's "
    "time limit (90 s) and retry countdown (30 s), shorter than SMS_CODE_TTL_SECONDS.",
)
# Sweep for such jobs every 5 s (kombu 5.7 reads these; 5.6 sweeps about every 100 s, and the SMS
# requeue on the beat schedule takes over a dead worker's message within 90 s + 1 min anyway).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": BROKER_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": 5,
    "unacked_restore_throttle": 1,
}
# When Redis goes away the worker waits for it forever (systemd restarts it if it exits anyway), and
# cancels running late-acknowledged jobs: they are redelivered, not run twice at once.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TIMEZONE = TIME_ZONE
WORKER_HEARTBEAT_MAX_AGE = env_int(
    "WORKER_HEARTBEAT_MAX_AGE", 120, "/healthz?deep=1 fails when no worker has written a heartbeat for this long."
)

# --- Product ----------------------------------------------------------------------------------
REGISTRY_JURISDICTION = env_str("REGISTRY_JURISDICTION", "110000", "GB/T 2260 code of the deployment's province.")
REGISTRY_BUREAU_NAME = env_str("REGISTRY_BUREAU_NAME", "北京市财政局", "Name of the bureau shown in the header.")
SMS_BACKEND = env_str("SMS_BACKEND", "console", "console | file | http: where SMS codes and notices are sent.")
SMS_FILE_PATH = env_str("SMS_FILE_PATH", str(VAR_DIR / "sms.jsonl"), "File the `file` SMS backend appends to.")
SMS_HTTP_URL = env_str(
    "SMS_HTTP_URL", None, "Gateway URL for SMS_BACKEND=http (JSON POST of phone, text, purpose, message_id)."
)
SMS_HTTP_TOKEN = env_str("SMS_HTTP_TOKEN", None, "Bearer token sent to the SMS gateway.")
SMS_HTTP_TIMEOUT = float(env_str("SMS_HTTP_TIMEOUT", "5", "Seconds before a gateway call is abandoned."))
SMS_CODE_TTL_SECONDS = env_int("SMS_CODE_TTL_SECONDS", 300, "How long an SMS verification code is valid.")
SMS_PHONE_INTERVAL_SECONDS = env_int("SMS_PHONE_INTERVAL_SECONDS", 60, "Minimum seconds between codes to one phone.")
SMS_PHONE_DAILY_LIMIT = env_int("SMS_PHONE_DAILY_LIMIT", 10, "Codes per phone per day.")
SMS_IP_HOURLY_LIMIT = env_int("SMS_IP_HOURLY_LIMIT", 30, "Codes requested from one IP address per hour.")
SMS_CODE_MAX_ATTEMPTS = env_int("SMS_CODE_MAX_ATTEMPTS", 5, "Wrong entries after which a code is void.")
SMS_DELIVERY_BATCH = env_int("SMS_DELIVERY_BATCH", 100, "Messages of a notice handed to one background delivery job.")
# Email (a notice's email channel): Django's email framework, delivered by background jobs
# (registry/mail). Development and tests write each message to a file; production sets SMTP.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.filebased.EmailBackend",
    "Django email backend: the file backend (EMAIL_FILE_PATH) or django.core.mail.backends.smtp.EmailBackend.",
)
EMAIL_FILE_PATH = env_str(
    "EMAIL_FILE_PATH", str(VAR_DIR / "mail"), "Folder the file email backend writes one .log file per connection to."
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost", "SMTP server (EMAIL_BACKEND=…smtp.EmailBackend).")
EMAIL_PORT = env_int("EMAIL_PORT", 25, "SMTP port: 25, 587 with EMAIL_USE_TLS, 465 with EMAIL_USE_SSL.")
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", None, "SMTP login name (unset: no login).") or ""
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", None, "SMTP password.") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False, "SMTP with STARTTLS (usually port 587).")
EMAIL_USE_SSL = env_bool(
    "EMAIL_USE_SSL", False, "SMTP over TLS from the start (usually port 465); not with EMAIL_USE_TLS."
)
EMAIL_TIMEOUT = env_int(
    "EMAIL_TIMEOUT", 30, "Seconds an SMTP connection waits for the server before the attempt fails."
)
DEFAULT_FROM_EMAIL = env_str(
    "DEFAULT_FROM_EMAIL", "noreply@localhost", "Sender address of notices sent by email (the SMTP account's address)."
)
EMAIL_DELIVERY_BATCH = env_int(
    "EMAIL_DELIVERY_BATCH", 100, "Emails of a notice handed to one background delivery job (one SMTP connection)."
)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfiguredEnv("EMAIL_USE_TLS and EMAIL_USE_SSL exclude each other; set one")
NOTICE_FANOUT_BATCH = env_int(
    "NOTICE_FANOUT_BATCH", 5000, "People added to a notice (or a campaign) per transaction during its fan-out."
)
NOTICE_ID_LIST_MAX = env_int("NOTICE_ID_LIST_MAX", 100_000, "Most ID numbers in one uploaded notice audience list.")

LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, "Failed logins on one account that lock it.")
LOGIN_IP_FAILURE_LIMIT = env_int(
    "LOGIN_IP_FAILURE_LIMIT", 30, "Failed logins from one IP (any accounts) that lock the IP; offices share NAT."
)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 15 * 60, "Failure window and lock duration.")
REVIEW_SLA_WORKING_DAYS = env_int(
    "REVIEW_SLA_WORKING_DAYS",
    15,
    "Working days a district has to decide, until an admin sets 审核时限 rows in /admin/ (they take over).",
)
TRANSFER_CODE_DAYS = env_int("TRANSFER_CODE_DAYS", 90, "Days a transfer code (调转编号) stays valid.")
TRANSFER_DOCUMENT_CODE_TRIES = env_int(
    "TRANSFER_DOCUMENT_CODE_TRIES", 5, "Wrong transfer codes per signed transfer document per hour; then 429."
)
TRANSFER_KEY_PATH = env_str(
    "TRANSFER_KEY_PATH", str(VAR_DIR / "transfer_ed25519.pem"), "This deployment's Ed25519 signing key (PEM)."
)
REGISTRY_DEPLOYMENT_NAME = env_str(
    "REGISTRY_DEPLOYMENT_NAME", "北京市会计人员信息管理系统", "Name written into signed transfer documents."
)
API_KEY_RATE_LIMIT = env_int(
    "API_KEY_RATE_LIMIT", 600, "Calls one API key (X-Api-Key: verification, providers) may make per minute; then 429."
)
CREDITS_PDF_FONT = env_str(
    "CREDITS_PDF_FONT",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "TrueType font (TTF/TTC) with Chinese glyphs, embedded in transcript PDFs (Debian: fonts-wqy-microhei).",
)
# A provider's push of 10,000 credit records is 2-3 MB of JSON (Django's default limit is 2.5 MB).
DATA_UPLOAD_MAX_MEMORY_SIZE = 8 * 1024 * 1024
API_TOKEN_TTL_SECONDS = env_int("API_TOKEN_TTL_SECONDS", 12 * 3600, "Lifetime of a bearer token from /auth/login.")

LOG_LEVEL = env_str("LOG_LEVEL", "INFO", "Log level of the registry loggers.")
# One console handler on the root logger, every line with the request id: errors from anything
# (unhandled exceptions via django.request, broker failures, libraries), Django's warnings and the
# registry's own loggers at LOG_LEVEL. Under systemd/gunicorn the console goes to the journal.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "registry.core.request_id.RequestIdFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": "ERROR"},
    "loggers": {
        "registry": {"level": LOG_LEVEL},
        # Django's own defaults print only with DEBUG and mail ADMINS (unset): use the root instead.
        "django": {"handlers": [], "level": "WARNING"},
        "django.request": {"level": "ERROR"},
    },
}

# --- Operations: production guards, audit keys and anchors -------------------------------------
if PRODUCTION and SMS_BACKEND == "console":
    # The console backend prints codes to the server log: anyone who reads logs could register as anyone.
    raise ImproperlyConfiguredEnv(
        "SMS_BACKEND=console is for development; set file or http when REGISTRY_ENV=production"
    )
AUDIT_KEY_PATH = env_str(
    "AUDIT_KEY_PATH",
    str(VAR_DIR / "audit_keys.json"),
    "HMAC keyring of the audit chain (outside the database; back it up). `audit_keys --create`; development creates it.",
)
AUDIT_ANCHOR_DIR = env_str(
    "AUDIT_ANCHOR_DIR",
    str(VAR_DIR / "audit-anchors"),
    "Folder for signed audit-chain anchors (`audit_anchor`); keep it on other storage than the database.",
)

# --- Statistics, exports and verification (issue 14) -------------------------------------------
STATS_REFRESH_LIMIT = env_int(
    "STATS_REFRESH_LIMIT",
    200_000,
    "Changed records one statistics refresh brings into the reporting facts (a larger backlog completes over runs).",
)
EXPORT_SYNC_MAX_ROWS = env_int(
    "EXPORT_SYNC_MAX_ROWS",
    50_000,
    "Exports with more rows than this run as a background job (download link when ready) instead of in the request.",
)
EXPORT_PART_ROWS = env_int(
    "EXPORT_PART_ROWS", 100_000, "Rows one background export step writes (each step stays well under the task limit)."
)
EXPORT_DIR = env_str("EXPORT_DIR", str(VAR_DIR / "exports"), "Private folder for background export files.")
EXPORT_KEEP_HOURS = env_int(
    "EXPORT_KEEP_HOURS",
    72,
    "Hours a background export file (personal data) is kept after it is ready; then it is deleted and must be re-run.",
)
VERIFY_BATCH_MAX = env_int("VERIFY_BATCH_MAX", 1000, "People one POST /api/v1/verify/batch may check.")
