"""Support correspondence (RET-6): tickets, messages, attachments (routes)."""

from __future__ import annotations

from chalice.app import Blueprint

blueprint = Blueprint(__name__)
