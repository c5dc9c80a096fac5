"""Pure webhook rules: which addresses may be called (SSRF), URL shape, the retry schedule,
what a payload carries."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain import webhooks as rules

REFUSED = {
    "127.0.0.1": "loopback address",
    "127.8.9.10": "loopback address",
    "10.0.0.1": "private address",
    "172.16.5.4": "private address",
    "192.168.1.1": "private address",
    "100.64.0.1": "private address",  # shared address space (CGNAT)
    "169.254.169.254": "link-local address",  # cloud metadata
    "0.0.0.0": "reserved address",  # noqa: S104 - a refused target, not a bind address
    "240.0.0.1": "reserved address",
    "224.0.0.251": "multicast address",
    "192.0.2.10": "private address",  # documentation range
    "::1": "loopback address",
    "::": "reserved address",
    "fe80::1": "link-local address",
    "fc00::1": "private address",
    "ff02::1": "multicast address",
    "::ffff:127.0.0.1": "loopback address",  # IPv4-mapped
    "::ffff:169.254.169.254": "link-local address",
    "::ffff:10.0.0.1": "private address",
    "64:ff9b::a00:1": "private address",  # NAT64 of 10.0.0.1
    "2002:a9fe:a9fe::": "link-local address",  # 6to4 of 169.254.169.254
    "::10.0.0.1": "private address",  # IPv4-compatible (deprecated)
    "fe80::1%eth0": "link-local address",
    "example.com": "not an IP address",
}


@pytest.mark.parametrize(("address", "reason"), sorted(REFUSED.items()))
def test_private_loopback_link_local_multicast_and_reserved_addresses_are_refused(address, reason):
    assert rules.refused_address(address, allow_loopback=False) == reason


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:93.184.216.34"])
def test_public_unicast_addresses_are_allowed(address):
    assert rules.refused_address(address, allow_loopback=False) is None


def test_a_local_stage_allows_loopback_and_nothing_else_private():
    assert rules.refused_address("127.0.0.1", allow_loopback=True) is None
    assert rules.refused_address("::1", allow_loopback=True) is None
    assert rules.refused_address("::ffff:127.0.0.1", allow_loopback=True) is None
    assert rules.refused_address("10.0.0.1", allow_loopback=True) == "private address"
    assert rules.refused_address("169.254.169.254", allow_loopback=True) == "link-local address"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://hooks.example.com/x", "the URL must be https"),
        ("ftp://hooks.example.com/x", "the URL must be https"),
        ("https://user:pw@hooks.example.com/x", "the URL may not carry credentials"),
        ("https://hooks.example.com/x#frag", "the URL may not have a fragment"),
        ("https:///x", "the URL has no host"),
        ("https://hooks.example.com:99999/x", "not a valid URL"),
        ("https://hooks.example.com/a b", "not a valid URL"),
        ("https://hooks.example.com/" + "a" * 2100, "not a valid URL"),
    ],
)
def test_endpoint_urls_must_be_plain_https(url, reason):
    with pytest.raises(rules.EndpointRefused) as refused:
        rules.parse_url(url, allow_loopback=False)
    assert refused.value.reason == reason


def test_urls_are_split_for_the_pinned_connection():
    target = rules.parse_url("https://Hooks.Example.com./in?x=1", allow_loopback=False)
    assert (target.scheme, target.host, target.port, target.path) == ("https", "hooks.example.com", 443, "/in?x=1")
    assert rules.parse_url("https://[::1]:8443", allow_loopback=False).host == "::1"
    assert rules.parse_url("http://127.0.0.1:9000/hooks", allow_loopback=True).port == 9000


def test_the_retry_schedule_grows_and_ends_after_24_hours():
    first = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    times = [first]
    while (following := rules.next_attempt_at(first, len(times) - 1)) is not None:
        times.append(following)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert len(times) == 10 and times[-1] - first == timedelta(hours=24)
    assert gaps[:4] == [timedelta(seconds=5), timedelta(seconds=25), timedelta(seconds=90), timedelta(minutes=8)]
    assert all(gap <= timedelta(hours=8) for gap in gaps)
    assert not rules.should_disable(first, first + timedelta(hours=23, minutes=59))
    assert rules.should_disable(first, first + timedelta(hours=24)) and not rules.should_disable(None, first)


def test_a_payload_carries_the_booking_but_not_the_customer():
    # proves: SHARE-1
    event = {
        "booking_id": "b1", "business_id": "biz", "venue_id": "v", "customer_user_id": "u-secret",
        "venue_name": "Salon", "service_name": "Cut", "specialist_name": None, "start": "2026-11-24T10:00:00+00:00",
        "timezone": "Europe/Berlin", "reminder_offsets_minutes": [1440], "status": "confirmed",
    }  # fmt: skip
    body = rules.webhook_body("booking.confirmed", datetime(2026, 11, 22, tzinfo=UTC), event)
    assert body["type"] == "booking.confirmed" and body["timestamp"] == "2026-11-22T00:00:00+00:00"
    assert body["data"] == {
        "booking_id": "b1", "business_id": "biz", "venue_id": "v", "venue_name": "Salon", "service_name": "Cut",
        "start": "2026-11-24T10:00:00+00:00", "timezone": "Europe/Berlin", "status": "confirmed",
    }  # fmt: skip


def test_every_resolved_address_must_pass(monkeypatch):
    # Given a name with one public and one private answer (a rebinding attempt)
    from chalicelib.notify import webhook_http

    answers = {"mixed.example": ["93.184.216.34", "10.0.0.1"], "ok.example": ["93.184.216.34"]}
    monkeypatch.setattr(webhook_http, "resolve", lambda host, port: answers[host])
    target = rules.parse_url("https://mixed.example/x", allow_loopback=False)
    with pytest.raises(rules.EndpointRefused, match="private"):
        webhook_http.checked_address(target, allow_loopback=False)
    ok = rules.parse_url("https://ok.example/x", allow_loopback=False)
    assert webhook_http.checked_address(ok, allow_loopback=False) == "93.184.216.34"
