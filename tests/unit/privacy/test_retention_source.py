"""One source for every retention window: the privacy manifest (_retention.toml).

Code reads a window through ``chalicelib.retention_rules.window(name)`` (re-exported as
``chalicelib.privacy.manifest.window``). This scans chalicelib/ with ``ast`` for durations
spelled as literals anywhere else and fails, naming file:line, for any not listed in
ALLOWED below with the reason it is not a retention window (or, for the store modules being
rewritten, ``TODO(store)`` and the rule they must derive from).
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from chalicelib.retention_rules import window

ROOT = Path(__file__).resolve().parents[3]
SOURCE = ROOT / "chalicelib"
# The manifest and its reader are where windows are declared.
EXEMPT = ("chalicelib/privacy/manifest/", "chalicelib/retention_rules.py")

UNITS = {"weeks", "days", "hours", "minutes", "seconds", "milliseconds", "microseconds"}
UNIT_SUFFIX = re.compile(r"_(days|hours|minutes|seconds)$")
# A constant whose name ends in one of these and whose value is a number is a duration.
NAME_TOKENS = {"day", "days", "hours", "minutes", "seconds", "ttl", "window", "lifetime", "horizon"}
NAME_TOKENS |= {"backstop", "keep", "after", "age", "timeout", "expiry", "expires"}
SECONDS_IN = {3600, 86400, 604800}  # an hour, a day, a week in seconds: `* 86400`, `/ 3600`

# (file, scope, code) -> (why it may stay in code, the manifest rule it must equal or None).
# scope: the enclosing function/class, or the constant assigned at module/class level.
ALLOWED: dict[tuple[str, str, str], tuple[str, str | None]] = {
    # --- chalicelib/store (being rewritten elsewhere): the entries with a rule are
    # TODO(store): derive from manifest. Until then each literal is pinned to its rule
    # (test_store_literals_awaiting_their_wiring_equal_their_manifest_rule). ---
    ("chalicelib/schemas/common.py", "_LATEST_INSTANT", "timedelta(days=1)"): (
        "calendar step: the accepted range ends with the last instant of its ceiling day",
        None,
    ),
    ("chalicelib/store/bookings.py", "RELEASE_HORIZON", "timedelta(days=30)"): (
        "not a keep window: how far back a status change still releases a lock (below day_lock, tested)",
        None,
    ),
    ("chalicelib/store/bookings.py", "busy_intervals", "timedelta(days=1)"): (
        "calendar step: the lock of the day before may hold an interval crossing midnight",
        None,
    ),
    ("chalicelib/store/bookings.py", "busy_intervals", "timedelta(microseconds=1)"): (
        "calendar step: an interval ending at midnight does not touch the next day",
        None,
    ),
    ("chalicelib/store/reminders.py", "BUCKET_MINUTES", "BUCKET_MINUTES = 5"): (
        "scheduling granularity of the reminder index, not a keep window",
        None,
    ),
    ("chalicelib/store/reminders.py", "due", "timedelta(days=1)"): (
        "step from one due-day partition of the reminder index to the next, not a keep window",
        None,
    ),
    ("chalicelib/store/reminders.py", "_legacy_partitions", "timedelta(days=1)"): (
        "end of the due day whose legacy five-minute buckets are read, not a keep window",
        None,
    ),
    # --- settings: security parameters and timings, configurable per stage ---
    ("chalicelib/settings.py", "Settings.access_token_ttl_seconds", "default=900"): (
        "security parameter: access token (JWT) lifetime; nothing is stored for it",
        None,
    ),
    ("chalicelib/settings.py", "Settings.refresh_token_ttl_days", "default=30"): (
        "security parameter: refresh token lifetime; the session item is kept window('session') after it",
        None,
    ),
    ("chalicelib/settings.py", "Settings.otp_ttl_seconds", "default=300"): (
        "security parameter (SEC-2): how long a code is valid; the item is kept window('otp_challenge') after it",
        None,
    ),
    ("chalicelib/settings.py", "Settings.otp_phone_window_seconds", "default=900"): (
        "rate-limit window (abuse control), not a keep window",
        None,
    ),
    ("chalicelib/settings.py", "Settings.otp_ip_window_seconds", "default=3600"): (
        "rate-limit window (abuse control), not a keep window",
        None,
    ),
    ("chalicelib/settings.py", "Settings.login_ip_window_seconds", "default=900"): (
        "rate-limit window (abuse control), not a keep window",
        None,
    ),
    ("chalicelib/settings.py", "Settings.register_ip_window_seconds", "default=3600"): (
        "rate-limit window (registration probing), not a keep window",
        None,
    ),
    ("chalicelib/settings.py", "Settings.telegram_max_age_seconds", "default=3600"): (
        "security parameter: how old a Telegram login signature may be; nothing is stored",
        None,
    ),
    ("chalicelib/settings.py", "Settings.dynamodb_connect_timeout_seconds", "default=2"): (
        "network timeout of a DynamoDB call (aws_clients.dynamodb_config)",
        None,
    ),
    ("chalicelib/settings.py", "Settings.dynamodb_read_timeout_seconds", "default=10"): (
        "network timeout of a DynamoDB call (aws_clients.dynamodb_config)",
        None,
    ),
    ("chalicelib/settings.py", "Settings.telegram_timeout_seconds", "default=5.0"): (
        "HTTP timeout of the Telegram API call",
        None,
    ),
    ("chalicelib/settings.py", "Settings.reminder_catch_up_hours", "default=24"): (
        "how far back a late reminder run still sends, not a keep window",
        None,
    ),
    # --- resources ---
    ("chalicelib/resources.py", "QUEUES", "visibility_timeout_seconds=60"): (
        "SQS redelivery timing of the notifications queue, not a keep window",
        None,
    ),
    ("chalicelib/resources.py", "QUEUES", "visibility_timeout_seconds=300"): (
        "SQS redelivery timing of the jobs queue, not a keep window",
        None,
    ),
    # --- privacy ---
    ("chalicelib/privacy/erasure.py", "STALE_AFTER", "timedelta(hours=24)"): (
        "alarm threshold: how long an erasure job may run before it is re-enqueued and counted; "
        "nothing is kept longer because of it (RET-1's 30 days is the manifest's)",
        None,
    ),
    ("chalicelib/privacy/requests.py", "in_progress_received_before", "timedelta(days=1)"): (
        "query bound: how far a due date can shift past a later request's (time of day over a weekend)",
        None,
    ),
    # --- notify ---
    # --- audit ---
    ("chalicelib/privacy/audit.py", "STRANDED_AFTER", "timedelta(minutes=5)"): (
        "sealing schedule: how old an unsealed audit record must be before the schedule seals it",
        None,
    ),
    ("chalicelib/store/audit.py", "ANCHOR_INTERVAL", "timedelta(hours=1)"): (
        "how often a signed checkpoint is written per audit chain, not a keep window",
        None,
    ),
    ("chalicelib/services/events.py", "STRANDED_AFTER", "timedelta(minutes=2)"): (
        "relay scheduling: how old an unrelayed event must be before the schedule retries it",
        None,
    ),
    ("chalicelib/notify/dispatcher.py", "claim_lease", "timedelta(seconds=max(5, timeout - 5))"): (
        "delivery claim lease, derived from the queue's visibility timeout",
        None,
    ),
    (
        "chalicelib/notify/events.py",
        "DEFAULT_REMINDER_OFFSETS_MINUTES",
        "DEFAULT_REMINDER_OFFSETS_MINUTES = (24 * 60, 2 * 60)",
    ): (
        "reminder lead times before a booking",
        None,
    ),
    ("chalicelib/notify/events.py", "POLICY_NOTICE_DAYS", "POLICY_NOTICE_DAYS = 30"): (
        "NOTE-5: notice period before a policy change applies",
        None,
    ),
    # --- privacy ---
    ("chalicelib/privacy/exports.py", "LINK_LIFETIME", "timedelta(minutes=15)"): (
        "security parameter: presigned download link lifetime; the file is kept window('export')",
        None,
    ),
    ("chalicelib/privacy/requests.py", "BUSINESS_DAYS", "BUSINESS_DAYS = 10"): (
        "our deadline to answer a privacy request, not how long data is kept",
        None,
    ),
    ("chalicelib/privacy/requests.py", "add_business_days", "timedelta(days=1)"): (
        "calendar step: counting working days",
        None,
    ),
    ("chalicelib/privacy/sweeps.py", "FIRST_RUN_LOOKBACK_DAYS", "FIRST_RUN_LOOKBACK_DAYS = 60"): (
        "sweep scan range of a first run (no cursor yet), not a keep window",
        None,
    ),
    ("chalicelib/privacy/sweeps.py", "run", "timedelta(days=1)"): (
        "calendar step: the next due day",
        None,
    ),
    ("chalicelib/privacy/sweeps.py", "first_due_day", "timedelta(days=1)"): (
        "calendar step: the day after the last swept one",
        None,
    ),
    # --- services ---
    ("chalicelib/services/availability.py", "MAX_DAYS", "MAX_DAYS = 31"): (
        "longest date range one availability query may ask for",
        None,
    ),
    ("chalicelib/services/availability.py", "free_slots", "timedelta(days=1)"): (
        "calendar margin: bookings crossing midnight at either end of the range",
        None,
    ),
    ("chalicelib/services/bookings.py", "change_as_business", "timedelta(0)"): (
        "a business changing a booking has no cancellation notice to respect",
        None,
    ),
    ("chalicelib/services/bookings.py", "cancel_as_customer", "timedelta(0)"): (
        "a booking whose venue is gone has no cancellation notice to respect",
        None,
    ),
    ("chalicelib/domain/catalog.py", "MAX_SERVICE_MINUTES", "MAX_SERVICE_MINUTES = 12 * 60"): (
        "the longest a service lasts: how far back a delete looks for a booking still running",
        None,
    ),
    # --- domain ---
    ("chalicelib/domain/bookings.py", "lock_days", "timedelta(microseconds=1)"): (
        "calendar step: an interval ending at midnight does not touch the next day",
        None,
    ),
    ("chalicelib/domain/bookings.py", "lock_days", "timedelta(days=1)"): (
        "calendar step: the next UTC day",
        None,
    ),
    ("chalicelib/domain/bookings.py", "ensure_customer_may_change", "notice.total_seconds() / 3600"): (
        "unit conversion for the error message (the notice in hours)",
        None,
    ),
    ("chalicelib/domain/availability.py", "_DAY", "_DAY = 86400"): (
        "seconds in a day, for the availability arithmetic",
        None,
    ),
    ("chalicelib/domain/availability.py", "_wall_to_epoch", "timedelta(days=1)"): (
        "calendar step: the next local day",
        None,
    ),
    ("chalicelib/domain/availability.py", "working_intervals", "timedelta(days=1)"): (
        "calendar step: the next local day",
        None,
    ),
    ("chalicelib/domain/availability.py", "_free_epochs", "timedelta(days=1)"): (
        "calendar step: the neighbouring local days read so a date's starts do not depend on the range",
        None,
    ),
    ("chalicelib/domain/availability.py", "day_bounds", "timedelta(days=1)"): (
        "calendar step: the end of the last local day",
        None,
    ),
    ("chalicelib/notify/channels/telegram.py", "MAX_BACKOFF_SECONDS", "MAX_BACKOFF_SECONDS = 2.0"): (
        "retry backoff cap of a Telegram API call",
        None,
    ),
    # --- travel requests (docs/travel.md): timings and service levels, not keep windows ---
    ("chalicelib/privacy/export_document.py", "DOCUMENT_LINK_SECONDS", "DOCUMENT_LINK_SECONDS = 15 * 60"): (
        "security parameter: lifetime of a travel document's presigned link in an export (as the export's own)",
        None,
    ),
    ("chalicelib/schemas/travel.py", "HORIZON_DAYS", "HORIZON_DAYS = 365"): (
        "the documented default of how far ahead a trip may be, not a keep window",
        None,
    ),
    ("chalicelib/settings.py", "Settings.travel_first_response_hours", "default=24"): (
        "service level: when staff's first answer to a travel request is due",
        None,
    ),
    ("chalicelib/settings.py", "Settings.travel_horizon_days", "default=365"): (
        "how far ahead a trip may start or end, not a keep window",
        None,
    ),
    ("chalicelib/settings.py", "Settings.travel_quote_validity_hours", "default=72"): (
        "how long a quote can be accepted; the quote is kept with its request (rule travel_request)",
        None,
    ),
    ("chalicelib/settings.py", "Settings.travel_rate_max_age_hours", "default=48"): (
        "TRV-3: exchange rates older than this are stale for new quotes; nothing is deleted",
        None,
    ),
    ("chalicelib/settings.py", "Settings.travel_upload_form_seconds", "default=600"): (
        "security parameter: lifetime of a document upload form (presigned POST)",
        None,
    ),
    ("chalicelib/settings.py", "Settings.travel_document_link_seconds", "default=300"): (
        "security parameter: lifetime of a document's presigned GET",
        None,
    ),
    # --- calendar feeds and business webhooks (issue #18, items 4-5) ---
    ("chalicelib/domain/ics.py", "FEED_REFRESH", "timedelta(hours=1)"): (
        "how often a subscribed calendar client should re-read a feed; nothing is stored",
        None,
    ),
    ("chalicelib/services/calendar_feeds.py", "FEED_DAYS", "FEED_DAYS = 90"): (
        "how far ahead a calendar feed lists bookings (a read bound), not a keep window",
        None,
    ),
    ("chalicelib/services/calendar_feeds.py", "FEED_LOOKBACK", "timedelta(hours=12)"): (
        "how far back a feed still lists today's visits (a read bound), not a keep window",
        None,
    ),
    ("chalicelib/notify/webhook_http.py", "CONNECT_TIMEOUT_SECONDS", "CONNECT_TIMEOUT_SECONDS = 3.0"): (
        "network timeout of a webhook delivery's connect",
        None,
    ),
    ("chalicelib/notify/webhook_http.py", "READ_TIMEOUT_SECONDS", "READ_TIMEOUT_SECONDS = 5.0"): (
        "network timeout of a webhook delivery's answer",
        None,
    ),
    ("chalicelib/domain/webhooks.py", "_RETRY_SCHEDULE", "3_600"): (
        "webhook retry schedule (when attempt n runs after the first), not a keep window",
        None,
    ),
    ("chalicelib/domain/webhooks.py", "_RETRY_SCHEDULE", "86_400"): (
        "webhook retry schedule: the last attempt, 24 hours after the first (issue #18), not a keep window",
        None,
    ),
    ("chalicelib/domain/webhooks.py", "DISABLE_AFTER", "RETRY_OFFSETS[-1]"): (
        "how long an endpoint fails without a success before it is disabled, not a keep window",
        None,
    ),
    ("chalicelib/settings.py", "Settings.webhook_max_delay_seconds", "default=900"): (
        "SQS DelaySeconds cap of a webhook retry (SQS's own maximum), not a keep window",
        None,
    ),
    # --- surveys and support (docs/support.md) ---
    ("chalicelib/settings.py", "Settings.survey_link_days", "default=30"): (
        "how long a survey link answers (a signed deadline in the token); nothing is kept for it",
        None,
    ),
    ("chalicelib/settings.py", "Settings.support_first_response_hours", "default=24"): (
        "service target shown to operators (first-response due date), not a keep window",
        None,
    ),
    ("chalicelib/settings.py", "Settings.support_upload_form_seconds", "default=900"): (
        "lifetime of a presigned upload form; nothing is kept for it",
        None,
    ),
    ("chalicelib/settings.py", "Settings.support_download_seconds", "default=300"): (
        "lifetime of a presigned download link; nothing is kept for it",
        None,
    ),
}

# A venue's and a service's booking rules (slot grid, notice, horizon, buffers, reminder lead
# times): business settings with their defaults, not how long data is kept.
_BOOKING_RULES = "booking rule default of a venue or service (a business setting, not data retention)"
ALLOWED |= {
    (path, scope, code): (_BOOKING_RULES, None)
    for path, scope, code in [
        ("chalicelib/domain/catalog.py", "Venue.slot_interval_minutes", "slot_interval_minutes = 15"),
        ("chalicelib/domain/catalog.py", "Venue.min_notice_minutes", "min_notice_minutes = 60"),
        ("chalicelib/domain/catalog.py", "Venue.horizon_days", "horizon_days = 60"),
        ("chalicelib/domain/catalog.py", "Venue.cancellation_notice_minutes", "cancellation_notice_minutes = 24 * 60"),
        ("chalicelib/domain/catalog.py", "Venue.reminder_offsets_minutes", "reminder_offsets_minutes = (24 * 60, 120)"),
        ("chalicelib/domain/catalog.py", "Service.buffer_before_minutes", "buffer_before_minutes = 0"),
        ("chalicelib/domain/catalog.py", "Service.buffer_after_minutes", "buffer_after_minutes = 0"),
        ("chalicelib/schemas/catalog.py", "VenueCreate.slot_interval_minutes", "default=15"),
        ("chalicelib/schemas/catalog.py", "VenueCreate.min_notice_minutes", "default=60"),
        ("chalicelib/schemas/catalog.py", "VenueCreate.horizon_days", "default=60"),
        ("chalicelib/schemas/catalog.py", "VenueCreate.cancellation_notice_minutes", "default=24 * 60"),
        ("chalicelib/schemas/catalog.py", "ServiceCreate.buffer_before_minutes", "default=0"),
        ("chalicelib/schemas/catalog.py", "ServiceCreate.buffer_after_minutes", "default=0"),
        ("chalicelib/store/catalog.py", "ServiceItem.buffer_before_minutes", "default=0"),
        ("chalicelib/store/catalog.py", "ServiceItem.buffer_after_minutes", "default=0"),
    ]
}

# Reviews (docs/reviews.md): when a visit may be reviewed or a review edited, and the report
# rate limit's window: product rules, not how long data is kept (reviews stay until the user
# deletes them or the account: rule until_user_deletes, RET-7).
_REVIEW_RULES = "review product rule (who may review or edit when, report rate limit), not a keep window"
ALLOWED |= {
    ("chalicelib/settings.py", "Settings.review_window_days", "default=90"): (_REVIEW_RULES, None),
    ("chalicelib/settings.py", "Settings.review_edit_days", "default=30"): (_REVIEW_RULES, None),
    ("chalicelib/settings.py", "Settings.review_report_window_seconds", "default=3600"): (_REVIEW_RULES, None),
}

# --- wallet (docs/wallet.md): not keep windows ---
ALLOWED |= {
    ("chalicelib/settings.py", "Settings.payments_webhook_tolerance_seconds", "default=300"): (
        "how old a signed webhook may be when it arrives (replay window), not how long data is kept",
        None,
    ),
}

# issue #18 (staff bookings): booking rules, not retention.
ALLOWED |= {
    ("chalicelib/domain/bookings.py", "BLOCK_MAX", "timedelta(hours=24)"): (
        "the longest personal block staff may make (a booking rule, not data retention)",
        None,
    ),
    ("chalicelib/services/staff_bookings.py", "_create", "min_notice_minutes=0"): (
        "staff bookings skip the venue's minimum notice (a booking rule, not data retention)",
        None,
    ),
}
_VISIT_STEP = "calendar step (the neighbouring local days of a visit or a waitlist window), not retention"
ALLOWED |= {
    ("chalicelib/domain/availability.py", "chain_free_starts", "timedelta(days=1)"): (_VISIT_STEP, None),
    ("chalicelib/domain/availability.py", "fits_working_time", "timedelta(days=1)"): (_VISIT_STEP, None),
    ("chalicelib/services/availability.py", "free_visit_slots", "timedelta(days=1)"): (_VISIT_STEP, None),
    (
        "chalicelib/services/availability.py",
        "free_visit_slots",
        "timedelta(seconds=availability.chain_offsets(chain)[-1])",
    ): ("how far a visit's later parts reach past its first start (busy intervals read that far)", None),
    (
        "chalicelib/services/visits.py",
        "cancel_visit",
        "timedelta(minutes=catalog.get_venue(live[0].business_id, live[0].venue_id).cancellation_notice_minutes)",
    ): ("the venue's cancellation notice (a booking rule, not retention)", None),
    ("chalicelib/services/visits.py", "cancel_visit", "timedelta(0)"): (
        "no notice for a visit whose venue is gone (as a single booking's cancel)",
        None,
    ),
    ("chalicelib/services/waitlist.py", "MAX_WINDOW", "timedelta(days=14)"): (
        "the longest time window a customer may wait for (a request bound; the entry leaves at its end)",
        None,
    ),
    ("chalicelib/services/waitlist.py", "_offer", "timedelta(days=1)"): (_VISIT_STEP, None),
    ("chalicelib/services/waitlist.py", "EARLIEST_START", "timedelta(days=12)"): (
        "how far back a waitlist window may start (a request bound, not retention)",
        None,
    ),
    ("chalicelib/settings.py", "Settings.waitlist_hold_minutes", "default=15"): (
        "how long a waitlist offer holds its slot (a booking rule: the hold is lock occupancy, not stored data)",
        None,
    ),
}

# --- QR tickets (docs/wallet.md): bounds on input and clocks, not keep windows ---
ALLOWED |= {
    ("chalicelib/schemas/tickets.py", "MAX_DURATION_MINUTES", "MAX_DURATION_MINUTES = 366 * 24 * 60"): (
        "input bound: the longest validity a product may give (a year's pass), not a keep window",
        None,
    ),
    ("chalicelib/services/tickets.py", "OFFLINE_CLOCK_SKEW", "timedelta(minutes=5)"): (
        "input bound: how far an offline validator's clock may run ahead of the server's",
        None,
    ),
    ("chalicelib/services/tickets.py", "OFFLINE_MAX_AGE", "timedelta(days=30)"): (
        "input bound: how old an offline scan may be when uploaded (usage records keep their own rule)",
        None,
    ),
    ("chalicelib/services/tickets.py", "REVOCATION_OVERLAP", "timedelta(minutes=1)"): (
        "read overlap: a revocation list download restarts a minute back, so no in-flight refund is missed",
        None,
    ),
}


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    scope: str
    code: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.path, self.scope, self.code)


def _is_number(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool)


def _has_number(node: ast.AST) -> bool:
    return any(_is_number(n) for n in ast.walk(node))


def _is_literal(node: ast.AST) -> bool:
    """A number, or arithmetic/tuples made only of numbers (``14 * 24 * 3600``)."""
    return all(
        _is_number(n) or isinstance(n, ast.BinOp | ast.UnaryOp | ast.Tuple | ast.operator | ast.unaryop | ast.Load)
        for n in ast.walk(node)
    ) and _has_number(node)


def _is_timedelta(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    return (isinstance(func, ast.Name) and func.id == "timedelta") or (
        isinstance(func, ast.Attribute) and func.attr == "timedelta"
    )


def _last_token(name: str) -> str:
    return name.lower().rstrip("_").rsplit("_", 1)[-1]


class _Scanner(ast.NodeVisitor):
    def __init__(self, path: str, source: str) -> None:
        self.path, self.source = path, source
        self.scopes: list[str] = []
        self.findings: list[Finding] = []
        self.covered: set[int] = set()
        self.in_function = 0

    def _add(self, node: ast.AST, code: str) -> None:
        if id(node) in self.covered:
            return
        self.covered |= {id(n) for n in ast.walk(node)}
        self.findings.append(Finding(self.path, getattr(node, "lineno", 0), ".".join(self.scopes), code))

    def _segment(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.source, node) or ast.unparse(node)

    def _scoped(self, name: str, node: ast.AST) -> None:
        self.scopes.append(name)
        self.generic_visit(node)
        self.scopes.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.in_function += 1
        self._scoped(node.name, node)
        self.in_function -= 1

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._scoped(node.name, node)

    def _assignment(self, node: ast.Assign | ast.AnnAssign, targets: list[ast.expr]) -> None:
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        if self.in_function or not names:
            self.generic_visit(node)
            return
        self.scopes.append(names[0])
        value = node.value
        if value is not None and _last_token(names[0]) in NAME_TOKENS and not any(map(_is_timedelta, ast.walk(value))):
            if _is_literal(value):
                self._add(node, f"{names[0]} = {self._segment(value)}")
            elif isinstance(value, ast.Call):  # Field(default=900, ge=60): the default is the duration
                defaults = [k for k in value.keywords if k.arg == "default" and _is_literal(k.value)]
                if defaults:
                    self._add(node, self._segment(defaults[0]))
            elif _has_number(value):
                self._add(node, self._segment(value))
        self.generic_visit(node)
        self.scopes.pop()

    def visit_Assign(self, node: ast.Assign) -> None:
        self._assignment(node, node.targets)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._assignment(node, [node.target])

    def visit_Call(self, node: ast.Call) -> None:
        if _is_timedelta(node) and _has_number(node):
            self._add(node, self._segment(node))
            return
        for keyword in node.keywords:
            name = keyword.arg or ""
            if (name in UNITS or UNIT_SUFFIX.search(name)) and _is_literal(keyword.value):
                self._add(keyword, self._segment(keyword))
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if any(_is_number(side) and side.value in SECONDS_IN for side in (node.left, node.right)):  # type: ignore[attr-defined]
            self._add(node, self._segment(node))
            return
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if _is_number(node) and node.value in SECONDS_IN:
            self._add(node, self._segment(node))


def scan(path: str, source: str) -> list[Finding]:
    scanner = _Scanner(path, source)
    scanner.visit(ast.parse(source))
    return scanner.findings


def scan_tree() -> list[Finding]:
    found: list[Finding] = []
    for file in sorted(SOURCE.rglob("*.py")):
        path = file.relative_to(ROOT).as_posix()
        if not path.startswith(EXEMPT):
            found += scan(path, file.read_text())
    return found


def _unlisted(findings: list[Finding]) -> list[str]:
    return [f"{f.path}:{f.line} ({f.scope}): {f.code}" for f in findings if f.key not in ALLOWED]


# --- the checks ------------------------------------------------------------------------


def test_no_duration_is_spelled_outside_the_manifest_unless_allowlisted():
    # Given every literal duration in chalicelib/ outside the manifest
    findings = scan_tree()
    # Then each is a listed non-retention duration (or a store constant awaiting its wiring)
    unlisted = _unlisted(findings)
    assert not unlisted, (
        "Literal durations outside the privacy manifest. A window that decides how long stored data "
        "is kept must be a rule in chalicelib/privacy/manifest/_retention.toml read through "
        "window(name); anything else goes into ALLOWED with its reason:\n- " + "\n- ".join(unlisted)
    )


def test_the_allowlist_names_only_what_is_there():
    # Given the allowlist, when the source is scanned, then every entry is still found (no stale excuses)
    found = {f.key for f in scan_tree()}
    stale = sorted(key for key in ALLOWED if key not in found)
    assert not stale, f"allowlisted durations no longer in the source (remove them): {stale}"


def test_store_literals_awaiting_their_wiring_equal_their_manifest_rule():
    # Given the store durations still spelled in code (TODO(store)), then each equals its rule today
    for (path, scope, code), (_reason, rule) in ALLOWED.items():
        if rule is not None:
            assert eval(code, {"timedelta": timedelta}) == window(rule), (path, scope, code, rule)  # noqa: S307


def test_derived_constants_equal_the_manifest():
    from chalicelib import resources
    from chalicelib.domain import bookings as domain_bookings
    from chalicelib.privacy import manifest
    from chalicelib.store import bookings, deliveries, exports, outbox, reminders, retention

    # The one accessor, whichever layer reads it
    assert manifest.window is window
    assert window("idempotency") == timedelta(hours=24) == manifest.load().rule("idempotency").window
    # Derived in code
    assert window("idempotency") == domain_bookings.IDEMPOTENCY_WINDOW
    assert window("idempotency") == bookings.IDEMPOTENCY_WINDOW  # the store reads the domain's
    assert resources.dlq_retention_seconds() == window("dead_letters").total_seconds()
    # Still spelled in the store (TODO(store)), equal all the same
    assert window("outbox") == outbox.TTL
    assert window("day_lock") == bookings.LOCK_TTL_AFTER_DAY
    assert window("export") == exports.KEEP
    assert window("delivery_record") == deliveries.RECORD_LIFETIME
    assert window("reminder") == reminders.TTL_AFTER_START
    assert window("ttl_backstop") == retention.TTL_BACKSTOP
    # A late status change may only skip releasing a lock interval the lock no longer keeps
    assert window("day_lock") > bookings.RELEASE_HORIZON


def test_every_entity_under_a_timed_rule_names_it():
    # The entities whose items expire on their own are declared under their own rule
    from chalicelib.privacy.manifest import load

    expected = {
        "BookingIdempotencyRecord": "idempotency",
        "OtpChallenge": "otp_challenge",
        "Session": "session",
        "RateCounter": "rate_counter",
        "OutboxEvent": "outbox",
        "DeliveryRecord": "delivery_record",
        "ReminderItem": "reminder",
        "SpecialistDayLock": "day_lock",
        "ExportJob": "export",
    }
    assert {name: load().entity(name).retention for name in expected} == expected


def test_importing_the_app_parses_no_toml():
    # Every Lambda imports app.py: the windows are read on first use, not at import
    probe = "import sys, app; print('tomllib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)  # noqa: S603
    assert out.stdout.strip() == "False"


# --- the scanner itself ----------------------------------------------------------------

PLANTED = """
from datetime import timedelta
import datetime

KEEP_FOR = timedelta(days=30)
GRACE_SECONDS = 14 * 24 * 3600
CODE_TTL = 600

def save(item, now):
    item.ttl = now + datetime.timedelta(hours=2)
    item.exp = int(now.timestamp()) + 7 * 86400
    put(item, lifetime_seconds=900)
    return now + timedelta(days=settings.keep_days)  # derived: not a literal
"""


def test_the_scanner_names_every_planted_literal_with_its_line():
    # Given source text with literal durations of every shape the check knows
    findings = scan("chalicelib/planted.py", PLANTED)
    # Then each is reported with file, line, scope and code; the derived one is not
    assert _unlisted(findings) == [
        "chalicelib/planted.py:5 (KEEP_FOR): timedelta(days=30)",
        "chalicelib/planted.py:6 (GRACE_SECONDS): GRACE_SECONDS = 14 * 24 * 3600",
        "chalicelib/planted.py:7 (CODE_TTL): CODE_TTL = 600",
        "chalicelib/planted.py:10 (save): datetime.timedelta(hours=2)",
        "chalicelib/planted.py:11 (save): 7 * 86400",
        "chalicelib/planted.py:12 (save): lifetime_seconds=900",
    ]


def test_the_check_fails_on_a_planted_retention_window(monkeypatch: pytest.MonkeyPatch):
    # Given a module that computes a deadline itself
    real = scan_tree()
    monkeypatch.setattr(sys.modules[__name__], "scan_tree", lambda: [*real, *scan("chalicelib/planted.py", PLANTED)])
    # When the check runs, then it fails naming the planted file and line
    with pytest.raises(AssertionError, match=r"chalicelib/planted\.py:5 \(KEEP_FOR\): timedelta\(days=30\)"):
        test_no_duration_is_spelled_outside_the_manifest_unless_allowlisted()


def test_a_rule_gives_exactly_one_whole_span():
    from chalicelib.retention_rules import parse_rules

    problems: list[str] = []
    parsed = parse_rules(
        '[rules.both]\ndescription = "d"\ntrigger = "created"\ndays = 1\nhours = 2\n\n'
        '[rules.neither]\ndescription = "d"\ntrigger = "created"\n\n'
        '[rules.fraction]\ndescription = "d"\ntrigger = "created"\nhours = 1.5\n\n'
        '[rules.fine]\ndescription = "d"\ntrigger = "expired"\nhours = 36\n',
        problems,
    )
    assert problems == [
        "_retention.toml [rules.both]: give exactly one of 'days' or 'hours'",
        "_retention.toml [rules.neither]: give exactly one of 'days' or 'hours'",
        "_retention.toml [rules.fraction]: 'hours' must be a whole number >= 0",
    ]
    assert parsed["fine"].window == timedelta(hours=36)
