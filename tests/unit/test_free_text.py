"""Free text is one type (schemas/common.FreeText): no control characters, NFC, length after NFC.

The class-closing check walks every request model in chalicelib/schemas: a ``str`` that a
client sends is either FreeText or listed in ALLOWED with the reason it is not free text
(an identifier, a code, a secret or a value with its own validator).
"""

from __future__ import annotations

import importlib
import pkgutil
import types
import typing
from collections.abc import Iterator
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, ValidationError

import chalicelib.schemas
from chalicelib.schemas.common import FreeText, RequestModel

ALLOWED = {
    # identifiers and codes: a closed ASCII pattern, or looked up by key (unknown -> 404/422)
    "AvailabilityQuery.service_id": "an id looked up by key; an unknown one is a 404",
    "AvailabilityQuery.specialist_id": "an id looked up by key, or 'any'; an unknown one is a 404",
    "BookingCreate.venue_id": "Id: pattern ^[A-Za-z0-9_-]+$",
    "BookingCreate.service_id": "Id: pattern ^[A-Za-z0-9_-]+$",
    "BookingCreate.specialist_id": "Id: pattern ^[A-Za-z0-9_-]+$",
    "BookingCreate.discount_code": "Code: pattern ^[A-Za-z0-9_-]+$",
    "BusinessBookingsQuery.venue_id": "Id: pattern ^[A-Za-z0-9_-]+$",
    "BusinessBookingsQuery.specialist_id": "Id: pattern ^[A-Za-z0-9_-]+$",
    "DiscountCodeCreate.code": "Code: pattern ^[A-Za-z0-9_-]+$",
    "DiscountCodeCreate.currency": "ISO 4217 code, checked against the code list",
    "PartnerConsentChange.partner_id": "pattern ^(all|[A-Za-z0-9_-]{1,64})$",
    "SpecialistCreate.user_id": "Id: pattern ^[A-Za-z0-9_-]+$",
    "SpecialistPatch.user_id": "Id: pattern ^[A-Za-z0-9_-]+$",
    "StaffInvite.user_id": "Id: pattern ^[A-Za-z0-9_-]+$",
    "ServiceCreate.currency": "ISO 4217 code, checked against the code list",
    "ServicePatch.currency": "ISO 4217 code, checked against the code list",
    "ServiceCreate.specialist_ids": "Id: pattern ^[A-Za-z0-9_-]+$",
    "ServicePatch.specialist_ids": "Id: pattern ^[A-Za-z0-9_-]+$",
    "VenueCreate.categories": "Category: pattern ^[a-z0-9-]+$",
    "VenuePatch.categories": "Category: pattern ^[a-z0-9-]+$",
    "VenueSearchQuery.category": "pattern ^[a-z0-9-]+$",
    "VenueCreate.timezone": "TimeZoneName: an enum of the tzdata zone names",
    "VenuePatch.timezone": "TimeZoneName: an enum of the tzdata zone names",
    "TimeRangeIn.start": "HhMm: pattern HH:MM",
    "TimeRangeIn.end": "HhMm: pattern HH:MM",
    "BusinessCreate.tax_number": "pattern ^[A-Za-z0-9 -]+$",
    "BusinessPatch.tax_number": "pattern ^[A-Za-z0-9 -]+$",
    "PaymentDetailsIn.iban": "own validator: compacted and matched against the IBAN shape",
    "PaymentDetailsIn.bic": "pattern: the BIC shape",
    "RegisterRequest.terms_version": "const: the current terms version; any other value is a 422",
    "TelegramRequest.terms_version": "compared with the current terms version; any other value is a 422",
    "RegisterRequest.locale": "Locale: pattern ^[a-z]{2}(-[A-Z]{2})?$",
    "MePatch.locale": "Locale: pattern ^[a-z]{2}(-[A-Z]{2})?$",
    # contacts: their own validators normalise them (E.164, e-mail)
    "RegisterRequest.phone": "Phone: normalised to E.164 by its validator",
    "RegisterRequest.email": "Email: pattern, then normalised by its validator",
    "MePatch.phone": "Phone: normalised to E.164 by its validator",
    "MePatch.email": "Email: pattern, then normalised by its validator",
    "OtpRequest.phone": "Phone: normalised to E.164 by its validator",
    "OtpVerifyRequest.phone": "Phone: normalised to E.164 by its validator",
    "StaffInvite.phone": "normalised to E.164 by the service (a 422 otherwise)",
    "LoginRequest.login": "a phone or e-mail, normalised by the service before the lookup",
    # secrets and signed or opaque tokens: compared byte for byte, never shown
    "LoginRequest.password": "a secret: hashed as sent (normalising would change existing hashes)",
    "RegisterRequest.password": "a secret: hashed as sent (normalising would change existing hashes)",
    "OtpVerifyRequest.code": "pattern ^\\d{6}$",
    "ContactVerification.code": "pattern ^\\d{6}$",
    "TelegramRequest.init_data": "signed by Telegram: verified byte for byte (HMAC)",
    "RefreshRequest.refresh_token": "an opaque token, looked up by hash",
    "DeviceIn.token": "an APNs/FCM token, passed to the push service as issued",
    "UnsubscribeQuery.token": "a signed token, verified (x-server-issued)",
    "PageQuery.cursor": "an opaque signed cursor (api/pagination.py, x-server-issued)",
    "OperatorPrivacyRequestQuery.cursor": "an opaque signed cursor (api/pagination.py, x-server-issued)",
    "VenueSearchQuery.near": "pattern: 'lat,lon' in degrees, the ranges included",
    # travel requests (docs/travel.md)
    "TravelRequestCreate.business_id": "Id: pattern ^[A-Za-z0-9_-]+$",
    "AssignBody.user_id": "Id: pattern ^[A-Za-z0-9_-]+$",
    "RatesQuery.business_id": "Id: pattern ^[A-Za-z0-9_-]+$",
    "QuoteLineIn.unit_price": "Amount: decimal pattern ^[0-9]{1,12}(\\.[0-9]{1,2})?$",
    # calendar feeds and business webhooks (issue #18, items 4-5)
    "BusinessFeedCreate.venue_id": "Id: pattern ^[A-Za-z0-9_-]+$",
    "BusinessFeedCreate.specialist_id": "Id: pattern ^[A-Za-z0-9_-]+$",
    "BusinessFeedTarget.venue_id": "Id: pattern ^[A-Za-z0-9_-]+$",
    "BusinessFeedTarget.specialist_id": "Id: pattern ^[A-Za-z0-9_-]+$",
    "WebhookCreate.url": "pattern: an http(s) URL without spaces or fragment; parsed and its host checked (SSRF)",
    # --- wallet (docs/wallet.md) ---
    "CardLink.card_number": "pattern ^[0-9]{16}$ (hashed at once, never stored)",
    "CardTarget.card_number": "pattern ^[0-9]{16}$ (hashed at once, never stored)",
    "EntryQuery.card_id": "Id: pattern ^[a-f0-9]{32}$",
    "TopUpCreate.card_id": "Id: pattern ^[a-f0-9]{32}$",
    "IntentTarget.intent_id": "Id: pattern ^[a-f0-9]{32}$",
    "PaymentData.payment_id": "the provider's id: pattern ^[A-Za-z0-9_.:-]+$",
    "PaymentData.currency": "Currency: pattern ^[A-Z]{3}$, an ISO 4217 code",
    "Adjustment.movement_id": "pattern ^[\\x21-\\x7E]+$ (printable ASCII), an idempotency id",
    # issue #18 (staff bookings)
    "StaffBookingCreate.venue_id": "Id: pattern ^[A-Za-z0-9_-]+$",
    "StaffBookingCreate.service_id": "Id: pattern ^[A-Za-z0-9_-]+$",
    "StaffBookingCreate.specialist_id": "Id: pattern ^[A-Za-z0-9_-]+$",
    "StaffBookingCreate.customer_id": "Id: pattern ^[A-Za-z0-9_-]+$",
    "WalkInCustomer.phone": "Phone: normalised to E.164 by its validator",
    "VisitCreate.venue_id": "Id: pattern ^[A-Za-z0-9_-]+$",
    "VisitPartIn.service_id": "Id: pattern ^[A-Za-z0-9_-]+$",
    "VisitPartIn.specialist_id": "Id: pattern ^[A-Za-z0-9_-]+$",
    "WaitlistJoin.service_id": "Id: pattern ^[A-Za-z0-9_-]+$",
    "WaitlistJoin.specialist_id": "Id: pattern ^[A-Za-z0-9_-]+$",
    "AvailabilityQuery.then_service_ids": "pattern: comma-separated ids ^[A-Za-z0-9_-]{1,64}(,...){0,3}$",
    # --- surveys and support ---
    "SurveyTokenQuery.token": "a signed token, verified (x-server-issued)",
    "SurveyPrices.currency": "ISO 4217 code, checked against the code list",
    "OperatorSurveyQuery.venue_id": "an id: letters, digits, - and _ only (pattern)",
    "AssignIn.assignee_id": "an id: letters, digits, - and _ only (pattern)",
    "TicketIn.booking_id": "an id: letters, digits, - and _ only (pattern)",
    # --- tickets (docs/wallet.md) ---
    "ScanIn.payload": "QrPayload: pattern ^[A-Za-z0-9_-]{156}$, a signed code verified byte for byte",
    "OfflineScanIn.payload": "QrPayload: pattern ^[A-Za-z0-9_-]{156}$, a signed code verified byte for byte",
    "ScanIn.scan_id": "ScanId: pattern ^[A-Za-z0-9._:-]+$, the validator's idempotency id",
    "OfflineScanIn.scan_id": "ScanId: pattern ^[A-Za-z0-9._:-]+$, the validator's idempotency id",
    "TapIn.scan_id": "ScanId: pattern ^[A-Za-z0-9._:-]+$, the validator's idempotency id",
    "TapIn.card_number": "pattern ^[0-9]{16}$ (hashed at once, never stored)",
    "ProductCreate.currency": "ISO 4217 code, an enum of the code list",
    "TicketBuy.product_id": "Id: pattern ^[0-9a-f]{32}$ (x-refers-to ticket_product)",
}


def _request_models() -> list[type[BaseModel]]:
    for info in pkgutil.iter_modules(chalicelib.schemas.__path__):
        importlib.import_module(f"chalicelib.schemas.{info.name}")
    found: dict[str, type[BaseModel]] = {}

    def walk(cls: type[BaseModel]) -> None:
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("chalicelib.schemas."):
                found[f"{sub.__module__}.{sub.__qualname__}"] = sub
            walk(sub)

    walk(RequestModel)
    return list(found.values())


def _str_leaves(annotation: Any, free: bool = False) -> Iterator[bool]:
    """For each ``str`` inside the annotation: whether it is FreeText."""
    if typing.get_origin(annotation) is Annotated:
        inner, *metadata = typing.get_args(annotation)
        yield from _str_leaves(inner, free or any(isinstance(m, FreeText) for m in metadata))
    elif annotation is str:
        yield free
    elif isinstance(annotation, types.UnionType) or typing.get_origin(annotation) in (typing.Union, list, tuple, set):
        for arg in typing.get_args(annotation):
            yield from _str_leaves(arg, free)


def _fields(model: type[BaseModel]) -> Iterator[tuple[str, bool]]:
    """(owner.field, is FreeText) for every str field, named by the class that declared it."""
    hints = typing.get_type_hints(model, include_extras=True)
    for name, info in model.model_fields.items():
        owner = next(c for c in model.__mro__ if name in getattr(c, "__annotations__", {}))
        direct = any(isinstance(m, FreeText) for m in info.metadata)
        for is_free in _str_leaves(hints[name]):
            yield f"{owner.__name__}.{name}", is_free or direct


def test_every_free_text_field_of_a_request_uses_the_one_text_type():
    # Given every request model of the public contract
    models = _request_models()
    assert len(models) > 30
    # When each str field is classified
    unclassified: set[str] = set()
    seen: set[str] = set()
    for model in models:
        for name, is_free in _fields(model):
            seen.add(name)
            if not is_free and name not in ALLOWED:
                unclassified.add(name)
    # Then each is FreeText or allowlisted with its reason, and no allowlist entry is stale
    assert not unclassified, f"free text must be FreeText (schemas/common.py) or allowlisted here: {unclassified}"
    assert not set(ALLOWED) - seen, f"stale allowlist entries: {set(ALLOWED) - seen}"
    assert all(reason.strip() for reason in ALLOWED.values())


class _Probe(RequestModel):
    name: Annotated[str, FreeText(max_length=3, min_length=1)]
    notes: Annotated[str, FreeText(max_length=5, multiline=True)] = ""


@pytest.mark.parametrize("name", ["a\x00b", "a\nb", "a\tb", "a\x1bb", "a\x7fb", "a\x85b", "a\x9fb"])
def test_a_single_line_text_refuses_every_control_character(name):
    # When a name carries a control character, Then it is refused, naming the character
    with pytest.raises(ValidationError) as refused:
        _Probe.model_validate({"name": name})
    assert f"U+{ord(name[1]):04X}" in refused.value.errors()[0]["msg"]


def test_a_multi_line_text_keeps_tab_and_newline_but_refuses_the_other_controls():
    assert _Probe.model_validate({"name": "a", "notes": "a\n\tb"}).notes == "a\n\tb"
    for notes in ("a\x00b", "a\rb", "a\x0bb", "a\x90b"):
        with pytest.raises(ValidationError):
            _Probe.model_validate({"name": "a", "notes": notes})


def test_text_is_normalised_to_nfc_and_its_length_counted_after():
    # Given "é" sent decomposed (e + combining acute: two code points each)
    decomposed = "e\u0301" * 3
    # Then it is stored composed, and three characters fit a limit of three
    assert _Probe.model_validate({"name": decomposed}).name == "\u00e9" * 3
    with pytest.raises(ValidationError, match="at most 3"):
        _Probe.model_validate({"name": "\u00e9" * 4})


def test_the_openapi_schema_documents_the_text_rule():
    schema = _Probe.model_json_schema()["properties"]
    assert schema["name"]["pattern"] == r"^[^\u0000-\u001F\u007F-\u009F]*$"
    assert (schema["name"]["maxLength"], schema["name"]["minLength"]) == (3, 1)
    assert "\\u000B" in schema["notes"]["pattern"] and "NFC" in schema["notes"]["x-free-text"]
