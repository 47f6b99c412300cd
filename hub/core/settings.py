"""The hub's settings, read once from the environment (see README, "Configuration")."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_MAIL_FROM = "OK OCE Hub <noreply@localhost>"


class SettingsError(ValueError):
    """An environment variable holds a value the hub cannot use."""


def _flag(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "on", "true", "yes"}:
        return True
    if raw in {"0", "off", "false", "no"}:
        return False
    raise SettingsError(f"{name} must be 'on' or 'off', not {raw!r}")


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, not {raw!r}") from None
    if value < 0:
        raise SettingsError(f"{name} must not be negative")
    return value


def _whole(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None


ROLES = ("ANONYMOUS", "PARTNER", "COORDINATOR", "STAFF", "ADMIN")
"""The roles a per-role limit names; ANONYMOUS is a request without a token."""

DEFAULT_MAX_COST = {
    "ANONYMOUS": 50_000,
    "PARTNER": 50_000,
    "COORDINATOR": 50_000,
    "STAFF": 50_000,
    "ADMIN": 500_000,
}
DEFAULT_RATE_LIMIT = {
    "ANONYMOUS": 1000,
    "PARTNER": 5000,
    "COORDINATOR": 5000,
    "STAFF": 5000,
    "ADMIN": 0,
}


def _per_role(env: Mapping[str, str], name: str, default: Mapping[str, int]) -> dict[str, int]:
    """`N` (every role) or `ROLE=N,…` (the roles named; the others keep their default)."""
    raw = env.get(name, "").strip()
    values = dict(default)
    if not raw:
        return values
    if "=" not in raw:
        number = _whole({name: raw}, name, 0)
        return dict.fromkeys(ROLES, _non_negative(name, number))
    for part in raw.split(","):
        named, _, amount = part.partition("=")
        role = named.strip().upper()
        if role not in ROLES:
            raise SettingsError(f"{name}: {role!r} is not one of {', '.join(ROLES)}")
        values[role] = _non_negative(name, _whole({name: amount}, name, 0))
    return values


def _networks(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """Comma-separated IP addresses or networks (`10.0.0.0/8`)."""
    entries = tuple(e.strip() for e in env.get(name, "").split(",") if e.strip())
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise SettingsError(f"{name}: {entry!r} is not an IP address or network") from None
    return entries


def _redis_url(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(name, "").strip()
    if raw and not raw.startswith(("redis://", "rediss://")):
        raise SettingsError(f"{name} must start with redis:// or rediss://, not {raw!r}")
    return raw or None


MIN_SECRET_LENGTH = 16


def _secret(env: Mapping[str, str], name: str) -> str | None:
    """A token callers present: long enough not to be guessed, printable, no spaces."""
    raw = env.get(name, "").strip()
    if not raw:
        return None
    if len(raw) < MIN_SECRET_LENGTH or not raw.isprintable() or any(c.isspace() for c in raw):
        raise SettingsError(
            f"{name} must be at least {MIN_SECRET_LENGTH} printable characters without spaces"
        )
    return raw


def _non_negative(name: str, value: int) -> int:
    if value < 0:
        raise SettingsError(f"{name} must not be negative")
    return value


@dataclass(frozen=True)
class Settings:
    """Everything configurable about one hub process."""

    data_dir: Path = Path("var")
    database_url: str = ""
    smtp_url: str | None = None
    mail_from: str = DEFAULT_MAIL_FROM
    base_url: str | None = None
    mail_retry_base_seconds: float = 60.0
    mail_retry_deadline_seconds: float = 86400.0
    mail_coalesce_seconds: float = 120.0
    secret_key: str | None = None
    cache_enabled: bool = True
    compiled_reads: bool = True
    """Planned reads answered by the compiled path (schema/compiled/); off: always the executor."""
    auto_migrate: bool = True
    worker_enabled: bool = True
    ws_per_message_deflate: bool = False
    """WebSockets offer per-message deflate (`hub serve`); off (the default): messages go
    uncompressed, which saves each subscriber's compressor and compressing each message once
    per subscriber (README, "For partner apps")."""
    cors_origins: tuple[str, ...] = ()
    graphiql_enabled: bool = True
    introspection_enabled: bool = True
    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 4000
    participant_retention_days: int = 730
    event_retention_days: int = 30
    subscription_queue_size: int = 1000
    """Events a subscriber may fall behind before it is closed with SLOW_CONSUMER."""
    """Days the event stream is kept; an older cursor is INVALID (DESIGN section 10)."""
    max_body_bytes: int = 1024 * 1024
    ws_token_check_seconds: float = 30.0
    """How often an open WebSocket's token is checked again (revoked or expired: closed)."""
    max_cost: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_MAX_COST))
    """The cost one request may have, per role (DESIGN section 9)."""
    rate_limit: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_RATE_LIMIT))
    """Points per hour, per token (anonymous: per client address), per role; 0 = unlimited."""
    redis_url: str | None = None
    trusted_proxies: tuple[str, ...] = ()
    metrics_token: str | None = None
    """The bearer token that lets a caller off the loopback interface read `/metrics`."""
    webhook_allow_private: bool = False
    """Webhooks may target loopback, private and link-local addresses, and http:// (tests,
    closed networks)."""
    webhook_retry_base_seconds: float = 30.0
    """The first retry delay of a webhook delivery (doubling with jitter)."""
    webhook_disable_after_seconds: float = 5 * 86400.0
    """An endpoint failing for this long without a success is disabled and its owner emailed."""
    webhook_timeout_seconds: float = 10.0
    """How long one webhook delivery may take (connect, send, answer)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        data_dir = Path(env.get("HUB_DATA_DIR", "").strip() or "var")
        database_url = env.get("HUB_DATABASE_URL", "").strip() or sqlite_url(
            data_dir / "hub.sqlite3"
        )
        if not database_url.startswith(("sqlite://", "postgres://", "postgresql://")):
            raise SettingsError("HUB_DATABASE_URL must start with sqlite:// or postgres://")
        origins = tuple(o.strip() for o in env.get("HUB_CORS_ORIGINS", "").split(",") if o.strip())
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            smtp_url=env.get("HUB_SMTP_URL", "").strip() or None,
            mail_from=env.get("HUB_MAIL_FROM", "").strip() or DEFAULT_MAIL_FROM,
            base_url=(env.get("HUB_BASE_URL", "").strip().rstrip("/") or None),
            mail_retry_base_seconds=_number(env, "HUB_MAIL_RETRY_BASE_SECONDS", 60.0),
            mail_retry_deadline_seconds=_number(env, "HUB_MAIL_RETRY_DEADLINE_SECONDS", 86400.0),
            mail_coalesce_seconds=_number(env, "HUB_MAIL_COALESCE_SECONDS", 120.0),
            secret_key=env.get("HUB_SECRET_KEY", "").strip() or None,
            cache_enabled=_flag(env, "HUB_CACHE", default=True),
            compiled_reads=_flag(env, "HUB_COMPILED_READS", default=True),
            auto_migrate=_flag(env, "HUB_AUTO_MIGRATE", default=True),
            worker_enabled=_flag(env, "HUB_WORKER", default=True),
            ws_per_message_deflate=_flag(env, "HUB_WS_PER_MESSAGE_DEFLATE", default=False),
            cors_origins=origins,
            graphiql_enabled=_flag(env, "HUB_GRAPHIQL", default=True),
            introspection_enabled=_flag(env, "HUB_INTROSPECTION", default=True),
            max_depth=_whole(env, "HUB_MAX_DEPTH", 12),
            max_aliases=_whole(env, "HUB_MAX_ALIASES", 30),
            max_tokens=_whole(env, "HUB_MAX_TOKENS", 4000),
            participant_retention_days=_whole(env, "HUB_PARTICIPANT_RETENTION_DAYS", 730),
            event_retention_days=_whole(env, "HUB_EVENT_RETENTION_DAYS", 30),
            subscription_queue_size=_whole(env, "HUB_SUBSCRIPTION_QUEUE_SIZE", 1000),
            max_body_bytes=_whole(env, "HUB_MAX_BODY_BYTES", 1024 * 1024),
            max_cost=_per_role(env, "HUB_MAX_COST", DEFAULT_MAX_COST),
            rate_limit=_per_role(env, "HUB_RATE_LIMIT", DEFAULT_RATE_LIMIT),
            redis_url=_redis_url(env, "HUB_REDIS_URL"),
            trusted_proxies=_networks(env, "HUB_TRUSTED_PROXIES"),
            metrics_token=_secret(env, "HUB_METRICS_TOKEN"),
            webhook_allow_private=_flag(env, "HUB_WEBHOOK_ALLOW_PRIVATE", default=False),
            webhook_retry_base_seconds=_number(env, "HUB_WEBHOOK_RETRY_BASE_SECONDS", 30.0),
            webhook_disable_after_seconds=_number(
                env, "HUB_WEBHOOK_DISABLE_AFTER_SECONDS", 5 * 86400.0
            ),
            webhook_timeout_seconds=_number(env, "HUB_WEBHOOK_TIMEOUT_SECONDS", 10.0),
        )

    def max_cost_of(self, role: str) -> int:
        return self.max_cost.get(role, DEFAULT_MAX_COST["ANONYMOUS"])

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite://")


def sqlite_url(path: Path) -> str:
    """A SQLite URL with the pragmas the hub relies on: WAL and a busy timeout, so the CLI can
    write while `hub serve` runs."""
    return f"sqlite://{path}?journal_mode=WAL&busy_timeout=10000"
