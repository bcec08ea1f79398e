"""One class per environment. Secrets and service addresses come only from the environment.

Without DATABASE_URL / REDIS_URL the embedded default is used: SQLite in instance/,
Celery over kombu's sqla+sqlite transport, mail written as files to instance/outbox/.
"""

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{INSTANCE_DIR / 'socialwork.sqlite'}"
    # Heroku-style URLs name the dialect "postgres"; SQLAlchemy wants "postgresql".
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    return url


def _broker_url() -> str:
    return os.environ.get("REDIS_URL") or f"sqla+sqlite:///{INSTANCE_DIR / 'celery-broker.sqlite'}"


def _result_backend() -> str:
    return os.environ.get("REDIS_URL") or f"db+sqlite:///{INSTANCE_DIR / 'celery-results.sqlite'}"


# Seconds: (soft, hard). The soft limit raises inside the task (its transaction rolls back), the
# hard one kills the worker's child process.
TIME_LIMITS = {
    name: {"soft_time_limit": soft, "time_limit": hard}
    for name, (soft, hard) in {
        "allowance.compute_part": (1500, 1800),
        "allowance.compute_previous_month": (120, 180),
        "core.apply_import": (1500, 1800),
        "core.backup_database": (3300, 3600),
        "core.purge_old_uploads": (300, 360),
        "core.reap": (50, 60),
        "reminders.scan_due": (540, 600),
        "reminders.send_pending": (110, 140),
    }.items()
}


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_UPLOAD_MB", "32")) * 1024 * 1024
    UPLOAD_DIR = str(INSTANCE_DIR / "uploads")
    # What an imported file may hold once unpacked (app/core/tabular.py): 72 KB of .xlsx can be
    # half a million rows.
    IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "200000"))
    IMPORT_MAX_UNPACKED_MB = int(os.environ.get("IMPORT_MAX_UNPACKED_MB", "200"))

    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = {"zh_CN": "中文", "en": "English"}

    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(days=int(os.environ.get("REMEMBER_DAYS", "14")))
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead of a clock

    # The record of the finance API's calls is kept this many days (a year's audit and more); the
    # reaper's tick deletes older rows (app/api/retention.py).
    API_CALL_KEEP_DAYS = int(os.environ.get("API_CALL_KEEP_DAYS", "400"))

    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL") or "memory://"
    RATELIMIT_STRATEGY = "moving-window"  # a fixed window lets twice the limit through at its edge
    RATELIMIT_HEADERS_ENABLED = True
    # Redis down: the throttles go on counting in this process's memory (and back to Redis once it
    # answers), any other storage error is logged, never a 500; a dead host fails within a second.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}
    # Failed sign-ins only; limits in the syntax of the `limits` library, several joined by ";".
    LOGIN_ACCOUNT_LIMITS = os.environ.get("LOGIN_ACCOUNT_LIMITS", "5 per minute;20 per 15 minutes")
    LOGIN_ADDRESS_LIMITS = os.environ.get("LOGIN_ADDRESS_LIMITS", "50 per 15 minutes")
    # Reverse proxies in front of the app whose X-Forwarded-For / -Proto are trusted (0: none).
    # Behind a proxy, set it: otherwise every client has the proxy's address and shares its throttle.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    SERVER_HEADER = "socialwork"  # the Server header names no framework or version

    CELERY = {
        "broker_url": _broker_url(),
        "result_backend": _result_backend(),
        "task_ignore_result": True,
        # Only the tasks that are safe to run twice ask for a late ack and a requeue when their
        # worker dies (acks_late / reject_on_worker_lost on the task); the rest are acked on receipt.
        "task_acks_late": False,
        # Long tasks: a worker takes one message at a time, the others stay for a free worker.
        "worker_prefetch_multiplier": 1,
        # A Redis blip does not stop a computation in progress; if its message comes back (after
        # Redis's visibility timeout, one hour, longer than any task's hard limit), it finds the work done.
        "worker_cancel_long_running_tasks_on_connection_loss": False,
        "timezone": "Asia/Shanghai",
        "broker_connection_retry_on_startup": True,
        # A page that queues work while the broker is down answers within a couple of seconds.
        "broker_connection_timeout": 2,
        "task_publish_retry_policy": {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5},
        # The default queue; the others are named after it (celery.compute...: app/core/celery.py),
        # so test runs on a shared Redis, each with its own CELERY_QUEUE, never take each other's tasks.
        "task_default_queue": os.environ.get("CELERY_QUEUE", "celery"),
        "task_annotations": TIME_LIMITS,
        # One beat only; even so, each tick of each entry is claimed in the database first (app/core/celery.py).
        "beat_scheduler": "app.core.celery:GuardedScheduler",
    }
    # The queue of each task that does not go to the default one (which holds the scans, the
    # backups, the reaper...); a worker started without -Q consumes all four.
    CELERY_QUEUE_OF = {
        "allowance.compute_part": "compute",  # a 100k month never delays a reminder
        "core.apply_import": "imports",
        "reminders.send_pending": "mail",  # mail and SMS
    }
    # The reaper (app/core/reaper.py), run by beat: work the database holds as queued and that no
    # worker has taken for REAPER_STALL_SECONDS, or whose worker is gone (its row lock released
    # on PostgreSQL, REAPER_DEAD_SECONDS after it was taken), is queued again, at most
    # REAPER_MAX_ATTEMPTS times.
    REAPER_EVERY_SECONDS = int(os.environ.get("REAPER_EVERY_SECONDS", "60"))
    REAPER_STALL_SECONDS = int(os.environ.get("REAPER_STALL_SECONDS", "180"))
    REAPER_DEAD_SECONDS = int(os.environ.get("REAPER_DEAD_SECONDS", "30"))
    REAPER_MAX_ATTEMPTS = int(os.environ.get("REAPER_MAX_ATTEMPTS", "5"))

    # `flask allowance compute` on PostgreSQL: connections computing groups of districts at once
    # (app/allowance/parallel.py); 1 is one statement. Default: the CPUs, at most 4.
    ALLOWANCE_COMPUTE_JOBS = int(os.environ.get("ALLOWANCE_COMPUTE_JOBS") or min(4, os.cpu_count() or 1))

    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "file")
    MAIL_FILE_PATH = str(INSTANCE_DIR / "outbox")
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "0") == "1"
    MAIL_USE_SSL = os.environ.get("MAIL_USE_SSL", "0") == "1"
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "noreply@socialwork.local")
    # Seconds an SMTP connection may stay silent before the send fails (and is retried later);
    # well under REMINDER_CLAIM_EXPIRY_SECONDS, so a sender cut off mid-mail has given up on it
    # before another sender may take the delivery.
    MAIL_TIMEOUT = int(os.environ.get("MAIL_TIMEOUT", "30"))

    SMS_GATEWAY_URL = os.environ.get("SMS_GATEWAY_URL", "")
    SMS_GATEWAY_TOKEN = os.environ.get("SMS_GATEWAY_TOKEN", "")
    # Mail and SMS wait outside these hours (Asia/Shanghai); empty means no quiet hours.
    QUIET_HOURS = os.environ.get("QUIET_HOURS", "22:00-08:00")
    REMINDER_CLAIM_EXPIRY_SECONDS = int(os.environ.get("REMINDER_CLAIM_EXPIRY_SECONDS", "600"))

    # Log lines below this level are not written (DEBUG, INFO, WARNING, ERROR); see app/core/logs.py.
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()

    # /metrics (app/core/metrics.py): a Bearer token, or addresses/networks allowed without one.
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
    METRICS_ALLOW = os.environ.get("METRICS_ALLOW", "127.0.0.1,::1")
    # `flask backup` and the nightly backup (app/core/backup.py): where, and how many are kept.
    BACKUP_DIR = os.environ.get("BACKUP_DIR") or str(INSTANCE_DIR / "backups")
    BACKUP_KEEP = int(os.environ.get("BACKUP_KEEP", "14"))
    # The folder of pg_dump / pg_restore when they are not the ones on PATH (e.g. /usr/lib/postgresql/15/bin).
    BACKUP_PG_BIN = os.environ.get("BACKUP_PG_BIN", "")

    # A list's total of at least LIST_TOTAL_CACHE_FROM rows (the city's workers) is counted once
    # in LIST_TOTAL_CACHE_SECONDS by each web process, not on every page (app/core/totals.py);
    # 0 seconds counts every time.
    LIST_TOTAL_CACHE_SECONDS = int(os.environ.get("LIST_TOTAL_CACHE_SECONDS", "60"))
    LIST_TOTAL_CACHE_FROM = int(os.environ.get("LIST_TOTAL_CACHE_FROM", "10000"))

    SECURITY_HEADERS = True
    PAGE_SIZE = 50

    @staticmethod
    def refuse_unsafe(config: dict) -> None:
        """Raise when the app must not start with this configuration (see ProductionConfig)."""


class DevelopmentConfig(Config):
    """`make run`: the embedded default on a laptop."""

    SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-not-secret"
    if os.environ.get("MAIL_SERVER"):
        MAIL_BACKEND = "smtp"


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "test-only-not-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    MAIL_BACKEND = "locmem"
    # Libraries' INFO lines (a test SMTP server logs every command) would slow the suite down;
    # tests of the log lines raise the level themselves (tests/core/test_logs.py).
    LOG_LEVEL = "WARNING"
    # Cheap argon2id parameters keep the suite fast; production uses the library's defaults.
    ARGON2 = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}
    CELERY = {**Config.CELERY, "task_always_eager": True, "task_eager_propagates": True}
    # A test's data is in its own open transaction, which other connections cannot see.
    ALLOWANCE_COMPUTE_JOBS = 1


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "smtp")

    @staticmethod
    def refuse_unsafe(config: dict) -> None:
        """Production never falls back to the embedded default: no made-up secret, no SQLite,
        no broker in a local file that other hosts cannot reach."""
        missing = [name for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL") if not os.environ.get(name)]
        if missing:
            raise RuntimeError(
                f"APP_CONFIG=production needs {', '.join(missing)} in the environment"
                " (README, Environment variables); refusing to start."
            )
        if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
            raise RuntimeError(
                "APP_CONFIG=production refuses SQLite: set DATABASE_URL to a PostgreSQL database"
                " (postgresql://user:password@host:5432/name); refusing to start."
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
