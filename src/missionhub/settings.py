"""Every knob of the platform in one typed object, validated at start-up.

Values come from the environment (``MISSIONHUB_*``, plus the conventional ``DATABASE_URL``)
or a ``.env`` file. Outside development and test, a default secret is refused.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEV_SECRET = "development-only-secret-do-not-use-in-production"  # noqa: S105


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Platform settings. Each field is documented in ``docs/settings.md`` (checked by a test)."""

    model_config = SettingsConfigDict(env_prefix="MISSIONHUB_", env_file=".env", extra="ignore")

    environment: Environment = Field(
        Environment.DEVELOPMENT, description="development, test or production."
    )
    database_url: str = Field(
        f"sqlite:///{PROJECT_ROOT / 'var' / 'missionhub.db'}",
        validation_alias=AliasChoices("DATABASE_URL", "MISSIONHUB_DATABASE_URL"),
        description="SQLAlchemy URL of the store: sqlite:///path or postgresql+psycopg://...",
    )
    secret_key: str = Field(
        DEV_SECRET, description="Signs CSRF tokens and flash cookies. Required in production."
    )
    data_dir: Path = Field(
        PROJECT_ROOT.parent / "shared" / "data",
        description="Folder holding the real public datasets (registry/, procurement/, ...).",
    )
    var_dir: Path = Field(
        PROJECT_ROOT / "var", description="Folder for the SQLite file, uploads and job artefacts."
    )
    cookie_secure: bool | None = Field(
        None,
        description="Send cookies only over HTTPS. Defaults to on everywhere but development.",
    )
    session_hours: int = Field(8, ge=1, le=24 * 30, description="How long a login lasts.")
    login_max_failures: int = Field(
        5, ge=1, description="Failed logins for one account within the window before lock-out."
    )
    login_max_failures_per_ip: int = Field(
        30, ge=1, description="Failed logins from one address within the window before lock-out."
    )
    login_window_minutes: int = Field(15, ge=1, description="Window for login rate limiting.")
    page_size: int = Field(20, ge=5, le=200, description="Rows per page in lists.")
    run_worker_in_process: bool = Field(
        True, description="Run the background job worker inside the web process."
    )
    page_cache_seconds: float = Field(
        1.0,
        ge=0,
        le=3600,
        description="Public pages are cached until a write; other worker processes' writes are "
        "noticed within this many seconds. 0 turns the page cache off.",
    )
    max_upload_mb: int = Field(
        500, ge=1, le=20_000, description="Largest file a user may upload, in megabytes."
    )
    public_url: str | None = Field(
        None,
        pattern=r"^https?://[^/\s]+(/[^\s]*)?$",
        description="Address of the site as people reach it (e.g. https://missionhub.example), "
        "for absolute links in published data such as the OCDS buying pipeline. When unset, "
        "development and test use the request's address and production writes relative links "
        "(never the Host header a client sent).",
    )
    demo_password: str | None = Field(
        None, description="Password given to demo accounts by `demo load` (development only)."
    )

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.environment is Environment.PRODUCTION:
            if self.secret_key == DEV_SECRET or len(self.secret_key) < 32:
                raise ValueError(
                    "MISSIONHUB_SECRET_KEY must be set to a random value of at least 32 "
                    "characters in production"
                )
            if self.cookie_secure is False:
                raise ValueError("MISSIONHUB_COOKIE_SECURE cannot be false in production")
        return self

    @property
    def secure_cookies(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.environment is not Environment.DEVELOPMENT

    def site_url(self, request_base: str) -> str:
        """The base for absolute links: ``public_url``, else (outside production only) the
        address the request came in on, else "" for relative links."""
        if self.public_url:
            return self.public_url.rstrip("/")
        if self.environment is Environment.PRODUCTION:
            return ""
        return request_base.rstrip("/")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """The settings of this process (read once)."""
    return Settings()
