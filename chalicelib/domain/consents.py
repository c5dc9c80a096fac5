"""Consent vocabulary (SHARE-4, RIGHT-5): what a user can grant, withdraw or object to."""

from __future__ import annotations

from dataclasses import dataclass

# Kinds of consent or objection a user controls. Scope "-" when the kind has none.
PARTNER_MARKETING = "partner_marketing"  # scope: a partner (business) id, or "all"
LOCATION = "location"
MARKETING_OBJECTION = "marketing_objection"  # RIGHT-5: absolute, beats any consent
PROCESSING_RESTRICTION = "processing_restriction"  # RIGHT-5: restriction of processing
KINDS = (PARTNER_MARKETING, LOCATION, MARKETING_OBJECTION, PROCESSING_RESTRICTION)
ALL_PARTNERS = "all"
NO_SCOPE = "-"


@dataclass(frozen=True)
class ConsentChange:
    kind: str
    scope: str
    granted: bool


@dataclass(frozen=True)
class ConsentView:
    kind: str
    scope: str
    granted: bool
    at: str
    source: str = ""
