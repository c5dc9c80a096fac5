"""Personal data never reaches a log line: the shared formatter scrubs it."""

import io
import json
import logging

from aws_lambda_powertools import Logger

from chalicelib.observability import REDACTED, RedactingFormatter, redact


def test_sensitive_keys_are_masked_at_any_depth():
    # Given a record with secrets and contact data nested in it
    record = {"user": {"phone": "+994501234567", "password": "hunter2", "profile": {"email": "a@b.co"}}}
    # When it is redacted
    result = redact(record)
    # Then every sensitive value is replaced
    assert result == {"user": {"phone": REDACTED, "password": REDACTED, "profile": {"email": REDACTED}}}


def test_free_text_loses_emails_phones_and_tokens_but_keeps_timestamps():
    text = "sent to +994 50 123 45 67 and jane.doe@example.com with eyJhbGciOi.eyJzdWIiOi.sig at 2026-11-22 09:00:01"
    assert redact(text) == "sent to [phone] and [email] with [token] at 2026-11-22 09:00:01"


def test_logger_output_is_scrubbed_end_to_end():
    # Given a Powertools logger with the shared formatter writing to a buffer
    buffer = io.StringIO()
    log = Logger(
        service="t-redact",
        logger_formatter=RedactingFormatter(),
        logger_handler=logging.StreamHandler(buffer),
    )
    # When a message and extra keys carry personal data
    log.info("OTP for +14155550123", extra={"email": "x@y.io", "status": 200})
    # Then neither the number nor the address is in the output, and safe keys are kept
    line = json.loads(buffer.getvalue())
    assert "+14155550123" not in buffer.getvalue() and "x@y.io" not in buffer.getvalue()
    assert line["message"] == "OTP for [phone]" and line["status"] == 200
