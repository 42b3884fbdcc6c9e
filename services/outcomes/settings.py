"""What the outcomes service reads from its environment."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.config import ServiceSettings


class OutcomesSettings(ServiceSettings):
    """ServiceSettings (Kafka, MongoDB, HTTP, staff sign-in) plus the scheduler's interval."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    mongodb_database: str = "outcomes"
    http_port: int = 8002
    scheduler_interval_seconds: float = Field(
        default=60.0,
        gt=0,
        description="How often agreed dates (next contact, review) are checked for being missed.",
    )
