"""Business webhooks: the pure rules (issue #18, item 5).

- Endpoint URLs: https only (a local stage may allow http to a loopback address so a user
  can try it); no credentials in the URL, no fragment, bounded length.
- SSRF: every address a name resolves to must be a public unicast one; private, loopback,
  link-local, multicast, reserved, unspecified, shared (CGNAT), documentation and
  IPv4-mapped/-translated IPv6 forms of those are refused (``refused_address``). Checked at
  registration AND before each delivery (a name may be re-pointed after registration), and
  the delivery connects to the address that was checked (no second lookup to rebind).
- Retries: attempt n runs ``RETRY_OFFSETS[n]`` after the event's first attempt: 0, 5 s,
  30 s, 2 min, 10 min, 1 h, 3 h, 8 h, 16 h, 24 h (gaps grow roughly exponentially, capped at
  8 h), so an event is tried for up to 24 hours, 10 attempts in all.
- An endpoint failing without a single success for ``DISABLE_AFTER`` (24 h: an event's
  whole schedule) is disabled, and its owners are told.
- Payload: only what the business already sees of the booking (SHARE-1), minimised: the
  booking's ids, status, service, specialist, times. The customer's name and phone are not
  pushed: a receiver that needs them reads the booking through the API, where that staff
  access is audited (SEC-6).
"""

from __future__ import annotations

import ipaddress
import urllib.parse
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

MAX_URL_CHARS = 2048
MAX_ENDPOINTS_PER_BUSINESS = 10
SECRET_PREFIX = "whsec_"  # noqa: S105 - the Standard Webhooks prefix, not a secret

# Seconds after the first attempt: 0, 5 s, 30 s, 2 min, 10 min, 1 h, 3 h, 8 h, 16 h, 24 h.
_RETRY_SCHEDULE = (0, 5, 30, 120, 600, 3_600, 10_800, 28_800, 57_600, 86_400)
RETRY_OFFSETS: tuple[timedelta, ...] = tuple(timedelta(seconds=s) for s in _RETRY_SCHEDULE)
DISABLE_AFTER = RETRY_OFFSETS[-1]  # failing for an event's whole schedule, with no success

# What a webhook may carry of a booking event's payload (notify.events.BookingEvent): the
# customer's account id and the reminder plan stay inside the platform.
PAYLOAD_FIELDS: tuple[str, ...] = ("booking_id", "business_id", "venue_id", "venue_name", "service_name")
PAYLOAD_FIELDS += ("specialist_name", "start", "timezone", "status")


class EndpointRefused(ValueError):
    """The URL or an address it resolves to may not be called; ``reason`` says why (no secrets)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # a name or an address literal (IPv6 without brackets)
    port: int
    path: str  # path and query, as sent in the request line


def parse_url(url: str, *, allow_loopback: bool) -> Target:
    """The parts of an endpoint URL, or EndpointRefused. ``allow_loopback`` (local stages
    only) also accepts ``http://``; the address check still allows loopback and nothing else."""
    if len(url) > MAX_URL_CHARS or any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url):
        raise EndpointRefused("not a valid URL")
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        raise EndpointRefused("not a valid URL") from None
    allowed = ("https", "http") if allow_loopback else ("https",)
    if parts.scheme not in allowed:
        raise EndpointRefused("the URL must be https")
    if parts.username is not None or parts.password is not None:
        raise EndpointRefused("the URL may not carry credentials")
    if parts.fragment or "#" in url:
        raise EndpointRefused("the URL may not have a fragment")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise EndpointRefused("the URL has no host")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port or (443 if parts.scheme == "https" else 80), path)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries: mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::/96),
    6to4 (2002::/16) or the deprecated compatible form (::a.b.c.d)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in ipaddress.ip_network("64:ff9b::/96"):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if int(address) >> 32 == 0 and int(address) > 1:
        return ipaddress.IPv4Address(int(address))
    return None


def refused_address(text: str, *, allow_loopback: bool) -> str | None:
    """Why ``text`` (an address) may not be called, or None when it is a public unicast one.
    ``allow_loopback`` lets loopback through (local stages) and nothing else."""
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return refused_address(str(embedded), allow_loopback=allow_loopback)
    if address.is_loopback:
        return None if allow_loopback else "loopback address"
    if address.is_multicast:
        return "multicast address"
    if address.is_link_local:
        return "link-local address"
    if address.is_unspecified or address.is_reserved:
        return "reserved address"
    if address.is_private or not address.is_global:
        return "private address"
    return None


def webhook_body(kind: str, recorded_at: datetime, payload: dict[str, Any]) -> dict[str, Any]:
    """The JSON a delivery posts (Standard Webhooks' ``type`` / ``timestamp`` / ``data``)."""
    data = {name: payload[name] for name in PAYLOAD_FIELDS if payload.get(name) is not None}
    return {"type": kind, "timestamp": recorded_at.isoformat(), "data": data}


def next_attempt_at(first_attempt_at: datetime, attempt: int) -> datetime | None:
    """When attempt ``attempt + 1`` runs, or None when ``attempt`` was the last one."""
    following = attempt + 1
    if following >= len(RETRY_OFFSETS):
        return None
    return first_attempt_at + RETRY_OFFSETS[following]


def should_disable(failing_since: datetime | None, now: datetime) -> bool:
    """Sustained failure: no success at all since ``failing_since`` for DISABLE_AFTER."""
    return failing_since is not None and now - failing_since >= DISABLE_AFTER
