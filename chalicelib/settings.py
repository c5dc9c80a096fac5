"""One settings object, read from the environment once per process."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Runtime configuration. Every variable is prefixed ``BOOKING_`` (e.g. BOOKING_STAGE)."""

    model_config = SettingsConfigDict(env_prefix="BOOKING_", frozen=True, extra="ignore")

    stage: str = "local"
    region: str = "eu-central-1"
    # Local stack endpoints; unset in AWS, where the SDK's defaults apply.
    dynamodb_endpoint: str | None = None
    aws_endpoint: str | None = None
    # Resource names are derived from the stage (chalicelib.resources) unless overridden.
    table_name: str | None = None
    idempotency_table_name: str | None = None

    max_body_bytes: int = Field(default=64 * 1024, gt=0)
    log_level: str = "INFO"

    def resolved_table_name(self) -> str:
        from chalicelib import resources

        return self.table_name or resources.table_name(self.stage)

    def resolved_idempotency_table_name(self) -> str:
        from chalicelib import resources

        return self.idempotency_table_name or resources.idempotency_table_name(self.stage)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
