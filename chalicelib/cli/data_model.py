"""docs/data-model.md: the whole table at a glance, generated from the code.

    python -m chalicelib.cli.data_model          write docs/data-model.md
    python -m chalicelib.cli.data_model --check  exit 1 if it is stale (a test runs this)

Each row's entity, module, description and retention come from the PynamoDB models and the
privacy manifest; the key shapes, indexes and writers are declared in ``SHAPES`` below, and
tests/unit/store/test_data_model.py checks that every model has a row and that each key
prefix is a literal in its module, so a new entity cannot be left out.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC_PATH = ROOT / "docs" / "data-model.md"


@dataclass(frozen=True)
class Shape:
    pk: str
    sk: str
    indexes: str = ""  # "GSI1 <pk> / <sk>; ..."
    writers: str = ""  # the use cases that write it


SHAPES: dict[str, Shape] = {
    "User": Shape("USER#<u>", "PROFILE", "", "register, PATCH /v1/me, erasure"),
    "RegistrationRecord": Shape("USER#<u>", "REGISTRATION", "", "register"),
    "ContactClaim": Shape("PHONE#<h> / EMAIL#<h> / TG#<h>", "CLAIM", "", "register, contact change"),
    "Session": Shape("SESSION#<sid>", "META", "GSI1 USER#<u> / SESSION#<created>#<sid>", "sign-in, refresh, sign-out"),
    "OtpChallenge": Shape("OTP#<h>", "<purpose>", "", "OTP send, verify"),
    "RateCounter": Shape("RL#<scope>#<h>", "W#<window start>", "", "every rate-limited call"),
    "Membership": Shape("BIZ#<b>", "STAFF#<u>", "GSI1 USER#<u> / BIZ#<b>", "business create, staff invite/remove"),
    "BusinessItem": Shape("BIZ#<b>", "META", "", "business create/patch"),
    "VenueItem": Shape(
        "BIZ#<b>", "VENUE#<v>", "GSI1 VENUE#<v> / META; GSI3 BIZ#<b>#VENUES / VENUE#<v>", "venue create/patch/delete"
    ),
    "ServiceItem": Shape("BIZ#<b>", "VENUE#<v>#SVC#<s>", "", "service create/patch/delete"),
    "SpecialistItem": Shape("BIZ#<b>", "VENUE#<v>#SPEC#<p>", "", "specialist create/patch/delete"),
    "VenueListing": Shape(
        "BIZ#<b>", "LISTING#<v>#<category or *>", "GSI2 DISCOVER#<city>#<category or *> / <name>#<v>", "venue writes"
    ),
    "SeedMarker": Shape("SEED#<name>", "META", "", "local demo seed"),
    "BookingRecord": Shape(
        "BKG#<id>",
        "BOOKING",
        "GSI1 CUST#<u> / <start>#<id>; GSI2 BIZ#<b>#VENUE#<v>#BKG / <start>#<id>; "
        "GSI3 BIZ#<b>#SPEC#<p>#BKG / <start>#<id>",
        "booking create (customer, staff), status changes, reschedule",
    ),
    "SpecialistDayLock": Shape("BIZ#<b>#SPEC#<p>", "DAY#<yyyy-mm-dd>", "", "booking create, cancel, reschedule"),
    "BookingIdempotencyRecord": Shape(
        "IDEM#<u>", "KEY#<sha256(key)>", "ByExpiry", "booking create, reschedule, status changes (with a key)"
    ),
    "DiscountCodeRecord": Shape("BIZ#<b>", "DISCOUNT#<CODE>", "", "discount create/patch; booking create/cancel"),
    "OutboxEvent": Shape(
        "OUTBOX#<event id>", "EVENT", "GSI1 OUTBOX#<shard 0-63> / <recorded>#<event id>", "every change with events"
    ),
    "DeliveryRecord": Shape("DELIVERY#<notification id>", "DELIVERY", "", "notification consumer"),
    "NotificationProfile": Shape("USER#<u>", "NOTIFY", "", "preferences, devices, unsubscribe"),
    "ReminderItem": Shape(
        "REMIND#<due day>#<shard 00-63>",
        "<due>#<booking>#<offset>",
        "GSI1 USER#<u> / REMIND#<sk>",
        "event relay (created)",
    ),
    "ReminderCursor": Shape("REMIND#CURSOR", "CURSOR", "", "reminder schedule"),
    "ConsentState": Shape("USER#<u>", "CONSENT#<kind>#<scope>", "", "PUT /v1/me/consents"),
    "ConsentEvent": Shape("USER#<u>", "CONSENTLOG#<instant>#<id>", "", "PUT /v1/me/consents"),
    "Favorite": Shape("USER#<u>", "FAV#<venue>", "", "favourites"),
    "ExportJob": Shape("USER#<u>", "EXPORT#<id>", "", "export request, jobs consumer"),
    "PrivacyRequest": Shape(
        "PRIVREQ#<id>", "META", "GSI1 USER#<u> / PRIVREQ#<received>#<id>; GSI2 PRIVREQS#<status> / <due>#<id>", "rights"
    ),
    "AuditRecord": Shape(
        "AUDIT#<tenant>#<shard 0-7>",
        "REC#<instant>#<record id>",
        "GSI1 AUDITQ#<queue 0-63> / <tenant>#<shard>#<sk> (unsealed only); "
        "GSI2 AUDIT#<tenant>#<shard> / <seq> (sealed); ByExpiry",
        "every audited change (in its transaction) and staff read; the sealer; sweep",
    ),
    "AuditChainHead": Shape("AUDIT#<tenant>#<shard 0-7>", "SEAL / ANCHOR#<seq> / RETENTION", "", "audit sealer, sweep"),
    "SweepCursor": Shape("SWEEP", "CURSOR#<sweep>", "", "retention sweep"),
    "Review": Shape(
        "REVIEW#<r>",
        "REVIEW",
        "GSI1 USER#<u> / REVIEW#<created>#<r>; visible only: GSI2 REVIEWS#VENUE#<v> / <created>#<r>, "
        "GSI3 REVIEWS#VENUE#<v> / <overall>#<created>#<r>",
        "review create/edit/delete, reply, hide/restore, erasure",
    ),
    "ReviewReport": Shape("REVIEW#<r>", "REPORT#<u>", "GSI1 USER#<u> / REVIEWREPORT#<r>", "review report"),
    "ReviewQueueEntry": Shape(
        "REVIEW#<r>", "QUEUE", "GSI1 REVIEWQUEUE / <first reported>#<r>", "review report, hide/restore, delete"
    ),
    "RatingAggregate": Shape(
        "BIZ#<b>",
        "RATING#VENUE#<v> / RATING#SPEC#<p>",
        "venues: GSI1 RATINGS#<shard 0-15> / VENUE#<v>",
        "every review change (in its transaction)",
    ),
    # --- travel requests (docs/travel.md) ---
    "TravelRequestRecord": Shape(
        "TRV#<r>",
        "REQUEST",
        "GSI1 USER#<u> / TRV#<created>#<r>; GSI2 BIZ#<b>#TRV#<status> / <created>#<r>",
        "travel request create, assign, status, messages, quotes, documents",
    ),
    "TravelMessageRecord": Shape(
        "TRV#<r>", "MSG#<sent>#<m>", "GSI1 USER#<u> / TRVMSG#<r>#<sent>#<m>", "travel request messages"
    ),
    "TravelQuoteRecord": Shape("TRV#<r>", "QUOTE#<q>", "GSI1 USER#<u> / TRVQUOTE#<r>#<q>", "quote create, accept"),
    "TravelDocumentRecord": Shape(
        "TRV#<r>", "DOC#<d>", "GSI1 USER#<u> / TRVDOC#<r>#<d>; ByExpiry (closed)", "document register, request close"
    ),
    "ExchangeRateTable": Shape("BIZ#<b>", "FXRATES / FXRATES#<version>", "", "PUT exchange-rates"),
    # calendar feeds and business webhooks (issue #18, items 4-5)
    "CalendarFeed": Shape(
        "CALFEED#<sha256(token)>", "CALFEED", "GSI1 USER#<u> / CALFEED#<target>", "calendar feed issue/revoke"
    ),
    "CalendarFeedSlot": Shape(
        "USER#<u>", "CALFEED#<me | BIZ#<b>#VENUE#<v> | BIZ#<b>#SPEC#<p>>", "", "calendar feed issue/revoke"
    ),
    "WebhookEndpoint": Shape("BIZ#<b>", "WEBHOOK#<id>", "", "webhook register/delete, webhooks consumer (its log)"),
    "WebhookCounter": Shape("BIZ#<b>", "WEBHOOKS", "", "webhook register/delete"),
    # --- wallet (docs/wallet.md) ---
    "WalletBalance": Shape(
        "BAL#<balance>",
        "BALANCE",
        "GSI1 USER#<u> / BAL#<kind>#<opened>#<balance>; GSI2 LEDGER#<shard 00-15> / <balance>",
        "wallet open, card link/unlink, every ledger movement",
    ),
    "LedgerEntry": Shape("BAL#<balance>", "ENTRY#<at>#<entry>", "ByExpiry", "every ledger movement"),
    "LedgerReversal": Shape("BAL#<balance>", "REVERSAL#<entry>", "ByExpiry", "refunds"),
    "LedgerMovement": Shape("MOVE#<sha256(kind:movement id)>", "MOVEMENT", "ByExpiry", "every ledger movement"),
    "WalletPointer": Shape("USER#<u>", "WALLET#<currency>", "", "wallet open"),
    "CardClaim": Shape("CARDNO#<h>", "CLAIM", "GSI1 USER#<u> / CARDCLAIM#<card>", "card link/unlink"),
    "TopUpIntent": Shape(
        "TOPUP#<intent>", "INTENT", "GSI1 USER#<u> / TOPUP#<created>#<intent>; ByExpiry", "top-up start, webhook"
    ),
    # issue #18 (staff bookings)
    "BusinessCustomer": Shape("BIZ#<b>", "BCUST#<id>", "ByExpiry", "staff booking create; customer erasure; sweep"),
    "VisitRecord": Shape("VISIT#<id>", "VISIT", "", "visit create"),
    "WaitlistEntry": Shape(
        "WAIT#<b>#<v>",
        "<joined>#<id>",
        "GSI1 USER#<u> / WAIT#<id>; GSI2 WAITOFFER / <expires>#<id> (open offers only); ByExpiry",
        "waitlist join/leave, offers (event relay, schedule), booking the offer",
    ),
    # --- surveys and support (docs/support.md) ---
    "SurveyAnswer": Shape(
        "SURVEY#<booking>", "ANSWER", "GSI1 USER#<u> / SURVEY#<answered>#<booking>", "survey answer (link or app)"
    ),
    "SurveyVenueTotals": Shape(
        "SURVEYSTATS#<v>", "TOTAL", "GSI1 SURVEYSTATS / <b>#<v>", "survey answer (in its transaction)"
    ),
    "SurveyPriceTotals": Shape("SURVEYSTATS#<v>", "PRICE#<currency>", "", "survey answer (in its transaction)"),
    "SupportTicket": Shape(
        "SUPPORT#<t>",
        "TICKET",
        "GSI1 USER#<u> / TICKET#<opened>#<t>; GSI2 SUPPORTQ#<status> / <opened>#<t>; ByExpiry (closed)",
        "ticket open, messages, assignment, status changes, attachments",
    ),
    "SupportMessage": Shape("SUPPORT#<t>", "MSG#<at>#<message>", "ByExpiry (closed)", "ticket open, messages"),
    "SupportAttachment": Shape("SUPPORT#<t>", "ATT#<attachment>", "ByExpiry (closed)", "attachment form, complete"),
    "CallRecording": Shape("SUPPORT#<t>", "RECORDING#<recording>", "ByExpiry", "support_recordings CLI"),
    # --- QR tickets (docs/wallet.md) ---
    "TicketProductRecord": Shape("TICKETPRODUCTS", "PRODUCT#<id>", "", "POST /v1/operator/ticket-products"),
    "TicketRecord": Shape(
        "TICKET#<id>",
        "TICKET",
        "GSI1 USER#<u> / TICKET#<purchased>#<id>; GSI2 TICKETFLAGS / <flagged>#<id> (flagged only); "
        "GSI3 TICKETREVOKED / <revoked>#<id> (refunded or revoked only); ByExpiry",
        "ticket purchase, scans, uploads, refund, revoke",
    ),
    "ValidatorRecord": Shape(
        "VALIDATOR#<id>", "VALIDATOR", "GSI1 VALIDATORS / <created>#<id>", "POST /v1/operator/validators"
    ),
    "UsageRecord": Shape("USER#<u>", "USAGE#<validator>#<scan id>", "ByExpiry", "scans, uploads, card taps"),
}

INTRO = """# Data model: the single table

Generated by `python -m chalicelib.cli.data_model` from the PynamoDB models (chalicelib/store/),
the privacy manifest (chalicelib/privacy/manifest/) and the key shapes declared beside the
generator; `make test` fails when this page is stale. `<u>` user id, `<b>` business, `<v>`
venue, `<p>` specialist, `<h>` keyed hash (security/lookup.py). Every instant in a key or
attribute is the store's one codec (store/codec.py: `0837-07-07T05:44:10.000000Z`).

Indexes: GSI1, GSI2, GSI3 (`gsiNpk` / `gsiNsk`, all attributes projected) and the sparse
ByExpiry (`exp_pk` = `EXPIRES#<day>#<shard 00-63>`, shard crc32 of the pk, or the legacy
unsharded `EXPIRES#<day>`; `exp_sk` = `<due>#<pk>#<sk>`: items with a retention deadline, read
by the sweep). `ttl` is DynamoDB's TTL (epoch seconds), a backstop only.
Retention rules are defined in chalicelib/privacy/manifest/_retention.toml.

| entity | module | PK | SK | indexes | written by | retention |
|---|---|---|---|---|---|---|
"""


def models() -> list[type]:
    """Every item type of the table (store/items.models: each store module defines its own),
    leaving out stand-ins that tests define."""
    from chalicelib.store import items

    found = [model for model in items.models().values() if model.__module__.startswith("chalicelib.store.")]
    return sorted(found, key=lambda m: (m.__module__, m.__name__))


def render() -> str:
    from chalicelib.privacy import manifest

    loaded = manifest.load()
    rows = []
    for model in models():
        shape = SHAPES.get(model.__name__)
        if shape is None:
            raise KeyError(f"{model.__name__} has no key shape in chalicelib/cli/data_model.py SHAPES")
        retention = loaded.entity(model.__name__).retention
        module = model.__module__.removeprefix("chalicelib.store.")
        cells = [model.__name__, module, f"`{shape.pk}`", f"`{shape.sk}`", shape.indexes, shape.writers, retention]
        rows.append("| " + " | ".join(cells) + " |")
    return INTRO + "\n".join(rows) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = render()
    if "--check" in args:
        if DOC_PATH.read_text() != text:
            sys.stderr.write("docs/data-model.md is stale: run python -m chalicelib.cli.data_model\n")
            return 1
        return 0
    DOC_PATH.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
