"""One settings object, read from the environment once per process.

A plain pydantic model filled from ``BOOKING_*`` variables: pydantic-settings would do the
same but costs ~0.2 s of cold start (it imports asyncio, argparse and dotenv).
"""

from __future__ import annotations

import json
import os
import typing
from collections.abc import Mapping
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from chalicelib import resources

ENV_PREFIX = "BOOKING_"
# Stages whose secrets may be the dummy local defaults below; any other stage must set them.
LOCAL_STAGES = frozenset({"local", "test"})
_LOCAL_ONLY_MARKER = "local-only"


class Settings(BaseModel):
    """Runtime configuration. Every field ``x`` is read from ``BOOKING_X`` (e.g. BOOKING_STAGE);
    list fields take JSON (``BOOKING_ALLOWED_ORIGINS='["https://app.example"]'``)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    stage: str = Field(default=resources.DEFAULT_STAGE, min_length=1)  # as resources.stage_from_env() reads it
    region: str = "eu-central-1"
    # Local stack endpoints; unset in AWS, where the SDK's defaults apply.
    dynamodb_endpoint: str | None = None
    aws_endpoint: str | None = None
    # One DynamoDB client configuration (chalicelib/aws_clients.dynamodb_config): both the
    # low-level client and PynamoDB's connection use it.
    dynamodb_connect_timeout_seconds: int = Field(default=2, ge=1, le=30)
    dynamodb_read_timeout_seconds: int = Field(default=10, ge=1, le=60)
    dynamodb_max_attempts: int = Field(default=5, ge=1, le=10)
    dynamodb_max_pool_connections: int = Field(default=50, ge=1, le=200)
    # Resource names are derived from the stage (chalicelib.resources) unless overridden.
    table_name: str | None = None

    max_body_bytes: int = Field(default=64 * 1024, gt=0)
    log_level: str = "INFO"
    cursor_signing_key: SecretStr = SecretStr("local-only-cursor-key-not-for-deployment-000000")  # list cursors
    # Signs the audit chains' seal heads and anchors (SEC-6): without it a forged head shows.
    audit_anchor_key: SecretStr = SecretStr("local-only-audit-anchor-key-not-for-deployment-00")

    # --- accounts and sign-in (docs/accounts.md); secrets: dummy local defaults only ---
    jwt_secret: SecretStr = SecretStr("local-only-jwt-secret-not-for-deployment-000000")
    jwt_issuer: str = "booking-platform"
    jwt_audience: str = "booking-api"
    access_token_ttl_seconds: int = Field(default=900, ge=60, le=3600)
    refresh_token_ttl_days: int = Field(default=30, ge=1, le=90)
    bcrypt_rounds: int = Field(default=12, ge=12, le=16)  # SEC-1: never below 12
    otp_hmac_key: SecretStr = SecretStr("local-only-otp-key-not-for-deployment-0000000000")
    lookup_hmac_key: SecretStr = SecretStr("local-only-lookup-key-not-for-deployment-00000")
    otp_ttl_seconds: int = Field(default=300, ge=60, le=600)  # SEC-2: at most 10 minutes
    otp_max_attempts: int = Field(default=5, ge=1, le=5)
    otp_phone_limit: int = Field(default=3, ge=1)  # sends per phone per window
    otp_phone_window_seconds: int = Field(default=900, ge=60)
    otp_ip_limit: int = Field(default=10, ge=1)  # sends per client IP per window
    otp_ip_window_seconds: int = Field(default=3600, ge=60)
    login_ip_limit: int = Field(default=30, ge=1)  # password/OTP/Telegram attempts per IP per window
    login_ip_window_seconds: int = Field(default=900, ge=60)
    register_ip_limit: int = Field(default=10, ge=1)  # registrations per client IP per window (enumeration)
    register_ip_window_seconds: int = Field(default=3600, ge=60)
    telegram_bot_token: SecretStr = SecretStr("000000:local-only-telegram-bot-token")
    telegram_max_age_seconds: int = Field(default=3600, ge=30, le=86400)
    terms_version: str = "2026-01"  # the terms/privacy version registration must accept (DATA-2)
    # Browser origins allowed to make cookie-authenticated state changes (JSON list in env).
    allowed_origins: list[str] = Field(default_factory=lambda: ["http://localhost:3000"])

    # --- notifications (docs/notifications.md); secrets: dummy local defaults only ---
    # True ONLY where the SQS event source mapping sets ReportBatchItemFailures (infra merge
    # template); otherwise the consumer deletes what it delivered and fails the invocation.
    notify_partial_batch_response: bool = False
    notify_default_channels: list[str] = Field(default_factory=lambda: ["sms", "push", "email", "telegram"])
    notify_unsubscribe_key: SecretStr = SecretStr("local-only-unsubscribe-key-not-for-deployment-00")
    public_base_url: str = "http://127.0.0.1:8000"  # where unsubscribe links point
    email_sender: str = "no-reply@booking.local"  # a verified SES identity
    push_apns_application_arn: str | None = None  # SNS platform applications (APNs, FCM)
    push_fcm_application_arn: str | None = None
    telegram_bot_token_secret_id: str | None = None  # Secrets Manager id; else telegram_bot_token
    telegram_api_base: str = "https://api.telegram.org"
    telegram_timeout_seconds: float = Field(default=5.0, gt=0, le=30)
    telegram_max_attempts: int = Field(default=3, ge=1, le=5)
    reminder_catch_up_hours: int = Field(default=24, ge=1, le=72)  # how far back a late schedule looks
    # --- travel requests (docs/travel.md) ---
    travel_first_response_hours: int = Field(default=24, ge=1, le=240)  # staff's first answer is due after this
    travel_horizon_days: int = Field(default=365, ge=1, le=730)  # how far ahead a trip may start or end
    travel_quote_validity_hours: int = Field(default=72, ge=1, le=720)  # a quote can be accepted this long
    travel_rate_max_age_hours: int = Field(default=48, ge=1, le=720)  # older rates are stale (no new quotes)
    travel_upload_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, le=50 * 1024 * 1024)
    travel_upload_form_seconds: int = Field(default=600, ge=60, le=3600)  # a presigned POST's lifetime
    travel_document_link_seconds: int = Field(default=300, ge=30, le=3600)  # a presigned GET's lifetime

    # --- reviews (docs/reviews.md) ---
    review_window_days: int = Field(default=90, ge=1, le=365)  # REV-1: from the visit's end
    review_edit_days: int = Field(default=30, ge=1, le=365)  # edits allowed this long after posting
    review_report_limit: int = Field(default=10, ge=1)  # reports per user per window
    review_report_window_seconds: int = Field(default=3600, ge=60)

    # --- business webhooks (docs/webhooks.md); secrets: dummy local defaults only ---
    # Derives every endpoint's whsec_ signing secret (none is stored); rotating it changes all.
    webhook_signing_key: SecretStr = SecretStr("local-only-webhook-key-not-for-deployment-0000")
    # Local stages only: http:// and loopback receivers (a deployed stage refuses them: SSRF).
    webhooks_allow_loopback: bool = False
    # SQS DelaySeconds cap for a retry (SQS allows 900); a longer wait is chained (not_before).
    webhook_max_delay_seconds: int = Field(default=900, ge=0, le=900)

    # --- wallet and top-ups (docs/wallet.md); secrets: dummy local defaults only ---
    wallet_currency: str = Field(default="AZN", pattern=r"^[A-Z]{3}$")  # the deployment's wallet currency
    # The Standard Webhooks secret the payment provider signs top-up webhooks with (its
    # "whsec_<base64>" form, or raw text).
    payments_webhook_secret: SecretStr = SecretStr("local-only-payments-webhook-secret-not-for-deployment")
    payments_webhook_tolerance_seconds: int = Field(default=300, ge=30, le=300)  # refused outside 5 minutes
    payments_page_base: str = "http://127.0.0.1:5300"  # the provider's payment page (local: the fake)
    waitlist_hold_minutes: int = Field(default=15, ge=1, le=240)  # issue #18: how long a waitlist offer holds its slot

    # --- surveys and support (docs/support.md) ---
    # How long a survey invitation's signed link answers (REV-3); the invitation goes out when
    # the business marks the visit attended. Not a keep window: the answer's own rule decides that.
    survey_link_days: int = Field(default=30, ge=1, le=90)
    # Operators see each ticket's first-response due date: opened + this (RET-6 queue).
    support_first_response_hours: int = Field(default=24, ge=1, le=240)
    support_attachment_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, le=50 * 1024 * 1024)
    support_upload_form_seconds: int = Field(default=900, ge=60, le=3600)  # presigned POST lifetime
    support_download_seconds: int = Field(default=300, ge=30, le=3600)  # presigned GET lifetime

    # --- QR tickets and validators (docs/wallet.md, "QR tickets") ---
    # Deployed: the KMS key (spec ECC_NIST_EDWARDS25519) that signs ticket payloads. Local and
    # test stages: a PEM file generated on first use (default $LOCAL_DATA_DIR/ticket-signing-key.pem).
    ticket_signing_kms_key_id: str | None = None
    ticket_signing_key_file: str | None = None
    # Raw Ed25519 public keys (base64url) of rotated-out signing keys, still published to validators.
    ticket_retired_public_keys: list[str] = Field(default_factory=list)
    ticket_timezone: str = "Asia/Baku"  # the zone "ticket used" messages show times in

    def resolved_table_name(self) -> str:
        return self.table_name or resources.table_name(self.stage)

    def dummy_secrets(self) -> list[str]:
        """Secret fields still holding the local-only defaults."""
        return sorted(
            name
            for name, value in self
            if isinstance(value, SecretStr) and _LOCAL_ONLY_MARKER in value.get_secret_value()
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        values: dict[str, object] = {}
        for name, field in cls.model_fields.items():
            raw = environ.get(ENV_PREFIX + name.upper())
            if raw is not None:
                values[name] = json.loads(raw) if typing.get_origin(field.annotation) is list else raw
        settings = cls.model_validate(values)
        # On Lambda, a deployed stage must never run on the dummy keys (packaging imports the
        # app without secrets, so the check is about where the code runs, not the stage alone).
        if "AWS_LAMBDA_FUNCTION_NAME" in environ and settings.stage not in LOCAL_STAGES and settings.dummy_secrets():
            raise ValueError(f"stage {settings.stage!r} needs real secrets for: {', '.join(settings.dummy_secrets())}")
        return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
