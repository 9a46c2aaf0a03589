"""Read settings from the environment, failing loudly on bad values.

Every helper raises ``ImproperlyConfigured`` naming the variable, so a typo in
``DEBUG=ture`` stops start-up instead of silently meaning something else
(the healthchecks ``envbool`` idea).
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use true/false (or 1/0, yes/no, on/off)")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}")
    return value


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={raw!r} is not one of {', '.join(choices)}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_database(name: str, default: str, *, base_dir: Path, conn_max_age: int = 0) -> dict:
    """Parse a database URL (postgres://…, sqlite:///relative.sqlite3, sqlite:////abs.sqlite3).

    SQLite paths are resolved against ``base_dir`` and the test database is a
    file next to it, so a Celery worker *process* can see the test data. ``conn_max_age`` keeps a
    connection open between requests (seconds); health checks replace one the server dropped.
    """
    import dj_database_url

    url = env_str(name, default)
    scheme = urlsplit(url).scheme
    if scheme not in {"sqlite", "postgres", "postgresql", "pgsql"}:
        raise ImproperlyConfigured(f"{name}={url!r} has unsupported scheme {scheme!r}; use postgres://… or sqlite:///…")
    try:
        config = dj_database_url.parse(url, conn_max_age=conn_max_age, conn_health_checks=True)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={url!r} is not a valid database URL: {exc}") from None
    if config["ENGINE"].endswith("sqlite3"):
        path = Path(config["NAME"] or "db.sqlite3")
        if not path.is_absolute():
            path = base_dir / path
        config["NAME"] = str(path)
        config["TEST"] = {"NAME": str(path.with_name("test_" + path.name))}
    elif not config.get("NAME"):
        raise ImproperlyConfigured(f"{name}={url!r} names no database (add /dbname to the URL)")
    return config


def env_broker(name: str) -> str:
    """Return the broker URL, or '' when unset (tasks then run eagerly)."""
    url = env_str(name)
    if url and urlsplit(url).scheme not in {"redis", "rediss", "amqp", "amqps", "pyamqp", "memory"}:
        raise ImproperlyConfigured(f"{name}={url!r} is not a broker URL; use redis://host:6379/0 or amqp://…")
    return url
