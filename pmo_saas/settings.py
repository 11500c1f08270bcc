"""Settings from the environment (prefix PMO_) and `.env`; one cached instance per process."""

from __future__ import annotations

import ipaddress
import re
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Delivery sync may never be allowed to reach these in production: the app's own loopback
# services and link-local (cloud metadata), the tests' allowance.
_LOCAL_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in ("127.0.0.0/8", "0.0.0.0/8", "169.254.0.0/16", "::1/128", "::/128", "fe80::/10")
)
PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "dev", "development", "placeholder"}


def _local_secret_key() -> str:
    """Development only: a random key generated once and kept beside the project."""
    path = PROJECT_ROOT / ".secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PMO_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    # In a hidden folder: the development server's reloader ignores it (and its WAL files).
    database_url: str = f"sqlite:///{PROJECT_ROOT / '.data' / 'pmo_saas.db'}"
    redis_url: str = ""
    secret_key: str = ""
    public_url: str = "http://localhost:3000"
    # On PostgreSQL, tenant transactions switch to this role so row-level security applies.
    db_tenant_role: str = "pmo_tenant"

    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    mail_from: str = "pmo_saas <no-reply@localhost>"

    session_days: int = 14
    invitation_days: int = 7
    password_reset_minutes: int = 60
    # --- password guessing and sign-up limits (identity/guessing.py) ----------------------
    # Failures one client may make against one account before each further failure doubles
    # the wait, from the first delay up to the maximum.
    guess_account_client_failures: int = 5
    guess_first_delay_seconds: int = 60
    guess_max_delay_seconds: int = 900
    # The per-account ceiling over every client together (a botnet's budget), per hour.
    guess_account_failures_per_hour: int = 100
    # Failures one client may make over all accounts, per window.
    guess_client_failures: int = 10
    guess_client_window_seconds: int = 900
    # Sign-ups one client may attempt per hour; "someone tried to sign up" mails per address.
    signup_per_client_per_hour: int = 10
    signup_notice_per_email_per_hour: int = 3
    email_verification_hours: int = 48
    # --- end password guessing ----------------------------------------------------------

    # --- single sign-on (identity/sso.py) ---------------------------------------------
    # Public base URL of the backend that serves /sso/callback (empty: the request's own).
    sso_callback_base_url: str = ""
    # Operator-level social sign-in for existing accounts; off until a client id is set.
    sso_google_client_id: str = ""
    sso_google_client_secret: SecretStr = SecretStr("")
    sso_google_issuer: str = "https://accounts.google.com"
    sso_microsoft_client_id: str = ""
    sso_microsoft_client_secret: SecretStr = SecretStr("")
    # A tenant id (GUID): "common" has no single issuer to validate ID tokens against.
    sso_microsoft_tenant: str = ""
    # Outbound SSO fetches (discovery, keys, token, userinfo) refuse private, loopback,
    # link-local, multicast and reserved addresses unless allowed here: "true" for all, or
    # PMO_SSO_ALLOWED_NETWORKS as CIDRs (e.g. "127.0.0.0/8,::1/128") for only those.
    sso_allow_private_networks: bool = False
    sso_allowed_networks: str = ""
    # DNS resolver for domain proofs (TXT records), "host:port" or "host"; empty: the system's.
    dns_resolver: str = ""
    # --- end single sign-on ----------------------------------------------------------

    # --- delivery sync (delivery/sync): Jira Cloud and GitHub ---------------------------
    # Outbound sync requests go to https on public addresses only, unless allowed here (tests:
    # the loopback peers): "true" for plain http and any address, or CIDRs for only those.
    delivery_sync_allow_private_networks: bool = False
    delivery_sync_allowed_networks: str = ""
    delivery_sync_timeout_seconds: float = 20.0
    # --- end delivery sync --------------------------------------------------------------

    # ---- billing (Stripe) --------------------------------------------------- begin billing
    # No secret key (the embedded default, self-hosting): billing is off, everything allowed.
    stripe_secret_key: SecretStr = SecretStr("")
    stripe_webhook_secret: SecretStr = SecretStr("")
    # Another Stripe-compatible API (the local test peer); empty means api.stripe.com.
    stripe_api_base: str = ""
    stripe_price_team: str = ""
    stripe_price_enterprise: str = ""
    billing_trial_days: int = 14
    billing_past_due_grace_days: int = 7
    # ---------------------------------------------------------------------- end billing

    # ---- operations (pmo_saas/ops) ---------------------------------------------- begin ops
    # "json" in the image: one object per line with request, organisation and user ids.
    log_format: Literal["text", "json"] = "text"
    log_level: str = "INFO"
    # Bearer token for /metrics; without one, /metrics answers loopback callers only.
    metrics_token: SecretStr = SecretStr("")
    # -------------------------------------------------------------------------- end ops
    # ---- background jobs (pmo_saas/jobs) -------------------------------------- begin jobs
    # The job queue: Redis (PMO_REDIS_URL) when set, else a SQLite file; empty means beside
    # the embedded database (or .data/jobs.db when the database is PostgreSQL).
    jobs_sqlite_path: str = ""
    # The queue's name (Redis key prefix): distinct per deployment sharing one Redis.
    jobs_queue_name: str = "pmo_saas"
    jobs_workers: int = 2
    # A failed mail is retried with back-off (1, 2, 4 ... minutes, at most 6 hours apart)
    # until it is delivered or has been tried this many times.
    jobs_mail_max_attempts: int = 10
    # -------------------------------------------------------------------------- end jobs
    # ---- collaboration (pmo_saas/collaboration) ------------------------ begin collaboration
    # Minutes after posting during which the author may still edit a comment.
    comment_edit_minutes: int = 15
    # Seconds between two unread-count reads of an open tab's notification bell.
    notification_poll_seconds: float = 3.0
    # ---------------------------------------------------------------- end collaboration

    @model_validator(mode="after")
    def _secret_key_policy(self) -> Settings:
        if self.secret_key.strip().lower() in PLACEHOLDER_SECRETS or len(self.secret_key) < 32:
            if self.environment == "production":
                raise ValueError(
                    "PMO_SECRET_KEY must be set to a random value of 32+ characters in production"
                )
            if not self.secret_key or self.secret_key.strip().lower() in PLACEHOLDER_SECRETS:
                self.secret_key = _local_secret_key()
        return self

    @model_validator(mode="after")
    def _sync_reaches_no_local_service_in_production(self) -> Settings:
        """The tests' loopback allowance (and link-local, where cloud metadata lives) is refused
        in production; a private network of a self-hosted Jira or GitHub may be allowed."""
        if self.environment != "production":
            return self
        if self.delivery_sync_allow_private_networks:
            raise ValueError("PMO_DELIVERY_SYNC_ALLOW_PRIVATE_NETWORKS is for tests only")
        for raw in self.delivery_sync_allowed_networks.split(","):
            if raw.strip():
                net = ipaddress.ip_network(raw.strip(), strict=False)
                if any(
                    net.overlaps(local) for local in _LOCAL_NETWORKS if local.version == net.version
                ):
                    raise ValueError(
                        f"PMO_DELIVERY_SYNC_ALLOWED_NETWORKS may not include {net} in production "
                        "(loopback and link-local addresses are the app's own and the cloud's)"
                    )
        return self

    @model_validator(mode="after")
    def _role_is_identifier(self) -> Settings:
        if self.db_tenant_role and not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", self.db_tenant_role):
            raise ValueError("PMO_DB_TENANT_ROLE must be a lower-case SQL identifier")
        return self

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")

    @property
    def smtp_enabled(self) -> bool:
        return bool(self.smtp_host)

    @property
    def cookie_secure(self) -> bool:
        return self.public_url.startswith("https://")


@lru_cache
def get_settings() -> Settings:
    return Settings()
