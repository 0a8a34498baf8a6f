"""Configuration defaults. Overridden by an instance file (`instance/config.py`) and by
environment variables prefixed `FLASK_` (e.g. `FLASK_DATABASE_URL`)."""

from __future__ import annotations

DEV_SECRET_KEY = "dev-only-secret-key-change-me"  # noqa: S105 - refused in production


class Defaults:
    SECRET_KEY = DEV_SECRET_KEY
    # None = SQLite file `demo.sqlite` in the instance folder.
    DATABASE_URL: str | None = None
    DEMO_MODE = False
    TESTING = False
    # Server-side sessions: absolute lifetime and idle timeout, in seconds.
    SESSION_LIFETIME_SECONDS = 8 * 3600
    SESSION_IDLE_SECONDS = 60 * 60
    SESSION_COOKIE_NAME = "forsoeg_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    # Login throttling: this many failures for one e-mail within the window lock it for the window.
    LOGIN_MAX_FAILURES = 5
    LOGIN_WINDOW_SECONDS = 15 * 60
    # A link to choose a new password (mailed by user management) works once, for this long.
    PASSWORD_LINK_HOURS = 24
    BABEL_DEFAULT_LOCALE = "da"
    BABEL_DEFAULT_TIMEZONE = "Europe/Copenhagen"
    LANGUAGES = ("da", "en")
    WTF_CSRF_TIME_LIMIT = None  # bound to the server-side session instead
    # Mail: SMTP when MAIL_SERVER is set, else files in the outbox folder.
    MAIL_SERVER: str | None = None
    MAIL_PORT = 587
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_USE_TLS = True
    MAIL_SENDER = "forsoegsportalen@star.example.dk"
    # Shown in the footer as the address for help and contact.
    SUPPORT_EMAIL = "forsoegsportalen@star.example.dk"
    OUTBOX_DIR: str | None = None  # None = `outbox/` in the instance folder
    UPLOAD_DIR: str | None = None  # None = `uploads/` in the instance folder
    # Background work (Huey): None = an SQLite queue file in the instance folder; or
    # "postgresql://…" or "redis://…" for workers on several hosts (see portal/queue.py).
    QUEUE_URL: str | None = None
    # Maps: None = the embedded tile map; or the path of an official municipality boundary file
    # (DAGI's municipalities as GeoJSON, GeoPackage or Shapefile; see portal/maps.py).
    BOUNDARY_FILE: str | None = None
    # A signed-in page is kept per session this many seconds while the data is unchanged
    # (portal/pagecache.py); 0 renders every page. Each process keeps at most PAGE_CACHE_BYTES.
    PAGE_CACHE_SECONDS = 10.0
    PAGE_CACHE_BYTES = 32 * 1024 * 1024
    MAX_CONTENT_LENGTH = 25 * 1024 * 1024
    ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
    APPLICATION_ATTACHMENTS_MAX_BYTES = 20 * 1024 * 1024
    # A decision letter's complaint deadline: this many weeks after the day it is sent.
    LETTER_COMPLAINT_WEEKS = 4
    INFLOW_MAX_BYTES = 2 * 1024 * 1024  # a reported inflow CSV (24 a-kasser x 98 kommuner: ~70 kB)
