"""Adapters to the other areas' stores: where a data subject's data lives.

The privacy engine (export, erasure, consents) reads other areas' data only through
the functions here, so one file shows every dependency on them.
"""

from __future__ import annotations


def registration_record(user_id: str) -> tuple[str, str] | None:
    """(terms version, accepted-at instant) written by accounts at registration, if any."""
    return None
