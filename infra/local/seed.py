"""Demo data for `make run`: a salon with services and specialists, loaded once.

Interface (called by infra.local.stack after the resources exist, with settings pointing
at the local stack): ``seed() -> bool`` writes the demo data unless it is already there
and returns True when it wrote something. The body belongs to the booking-catalog area.
"""

from __future__ import annotations


def seed() -> bool:
    return False  # placeholder until the catalog area fills in the demo data
