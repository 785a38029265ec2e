"""Configuration from the environment, with safe defaults for the demo.

Every setting can be given as an environment variable of the same name prefixed by
``MOTCUA_`` (``MOTCUA_SECRET_KEY``…); ``DATABASE_URL`` is read as is because that is
the name hosting platforms use.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

API_VERSION = "v1"


def _normalise_database_url(url: str) -> str:
    # psycopg 3 is the only PostgreSQL driver we ship; plain postgres:// URLs would
    # make SQLAlchemy look for psycopg2.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def public_base_url(value: str | None) -> str | None:
    """``MOTCUA_PUBLIC_BASE_URL`` checked: ``https://host[/prefix]`` without the last slash.

    None when unset: absolute links then use the address of the request being answered.
    """
    url = (value or "").strip().rstrip("/")
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(
            "MOTCUA_PUBLIC_BASE_URL phải là một địa chỉ http:// hoặc https:// đầy đủ "
            f"(must be a full http:// or https:// address): {value!r}"
        )
    return url


def _secret_key(instance_path: Path) -> str:
    """A stable secret for the demo: generated once and kept in the instance folder."""
    env = os.environ.get("MOTCUA_SECRET_KEY")
    if env:
        return env
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def from_environment(instance_path: Path) -> dict[str, Any]:
    """Build the Flask config mapping from environment variables."""
    env = os.environ
    default_db = f"sqlite:///{instance_path / 'motcua.sqlite3'}"
    return {
        "SECRET_KEY": _secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": _normalise_database_url(env.get("DATABASE_URL", default_db)),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # Uploads larger than this are refused with 413 before the view runs.
        "MAX_CONTENT_LENGTH": int(env.get("MOTCUA_MAX_CONTENT_LENGTH", 8 * 1024 * 1024)),
        # Several gunicorn workers share their counts through Redis
        # (``redis://127.0.0.1:6379/0``); the demo counts in memory. When Redis is
        # unreachable the limits go on in memory instead of failing the request.
        "RATELIMIT_STORAGE_URI": env.get("MOTCUA_RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_KEY_PREFIX": env.get("MOTCUA_RATELIMIT_KEY_PREFIX", "motcua"),
        # How many reverse proxies (nginx) stand in front: their X-Forwarded-For/-Proto
        # are then trusted for the client's address (rate limits, audit) and https.
        # "json": one JSON object per log line with the request id (server/observability.py).
        "LOG_FORMAT": env.get("MOTCUA_LOG_FORMAT", "text"),
        # Backups (server/backup.py): where `motcua backup` and the nightly job write, and
        # how many daily and monthly copies are kept.
        "BACKUP_DIR": env.get("MOTCUA_BACKUP_DIR", str(instance_path / "backups")),
        "BACKUP_KEEP_DAILY": int(env.get("MOTCUA_BACKUP_KEEP_DAILY", 14)),
        "BACKUP_KEEP_MONTHLY": int(env.get("MOTCUA_BACKUP_KEEP_MONTHLY", 12)),
        # Addresses (besides this machine) that may read /metrics: the Prometheus host.
        "METRICS_ALLOW": env.get("MOTCUA_METRICS_ALLOW", ""),
        # Notices to citizens (server/notices/providers.py): MOTCUA_NOTICE_SMS_URL,
        # _SMS_API_KEY, _SMS_SECRET_KEY, _SMS_BRANDNAME, _SMTP_HOST, _SMTP_PORT,
        # _SMTP_USER, _SMTP_PASSWORD, _SMTP_FROM, _ZALO_URL, _ZALO_TOKEN, _ZALO_TEMPLATE_ID.
        **{
            key[len("MOTCUA_") :]: value
            for key, value in env.items()
            if key.startswith("MOTCUA_NOTICE_")
        },
        "PROXY_COUNT": int(env.get("MOTCUA_PROXY_COUNT", 0)),
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": env.get("MOTCUA_LOGIN_RATE_LIMIT", "10 per minute"),
        # Failed log-ins from one address across all accounts (an office shares one
        # address behind its router, so this is generous); each account also backs off
        # on its own after repeated failures (server.services.login_guard).
        "LOGIN_ADDRESS_RATE_LIMIT": env.get("MOTCUA_LOGIN_ADDRESS_RATE_LIMIT", "60 per minute"),
        # Officers' sessions (server.auth.sessions): idle timeout and absolute lifetime.
        "SESSION_IDLE_MINUTES": float(env.get("MOTCUA_SESSION_IDLE_MINUTES", 30)),
        "SESSION_MAX_HOURS": float(env.get("MOTCUA_SESSION_MAX_HOURS", 12)),
        "PERMANENT_SESSION_LIFETIME": int(float(env.get("MOTCUA_SESSION_MAX_HOURS", 12)) * 3600),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env.get("MOTCUA_SECURE_COOKIES", "0") == "1",
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "API_TITLE": "Một Cửa Field API",
        "API_VERSION": API_VERSION,
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        # The docs page is served by our own view from the locally installed
        # swagger-ui-bundle, so it works with no internet.
        "OPENAPI_SWAGGER_UI_PATH": None,
        "JSON_SORT_KEYS": False,
        # Sync (sync/PROTOCOL.md): where photo bytes live, the oldest tablet app still
        # served, and how far ahead of the server a tablet's clock may run.
        "MOTCUA_BLOB_DIR": env.get("MOTCUA_BLOB_DIR", str(instance_path / "blobs")),
        "MIN_APP_VERSION": env.get("MOTCUA_MIN_APP_VERSION", "0.1.0"),
        "SYNC_MAX_SKEW_MS": int(env.get("MOTCUA_SYNC_MAX_SKEW_MS", 300_000)),
        # The largest sync body accepted once gunzipped (a small gzip can inflate a lot).
        "SYNC_MAX_INFLATED_BYTES": int(env.get("MOTCUA_SYNC_MAX_INFLATED_BYTES", 32 * 1024 * 1024)),
        # The address citizens reach the server at, for absolute links (the QR code and
        # the status link on slips, to ``/tra-cuu/…``); None: the request's own address.
        "PUBLIC_BASE_URL": public_base_url(env.get("MOTCUA_PUBLIC_BASE_URL")),
    }
