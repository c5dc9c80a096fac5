"""The HTTP side of a webhook delivery: resolve, check every address, POST to the checked one.

stdlib only (http.client, ssl, socket): ``requests`` is a dev dependency. Redirects are not
followed (http.client never does; a 3xx is a failed attempt). The connection goes to the
address that passed the check, with the URL's host name for TLS (SNI and certificate
verification) and the Host header, so a DNS answer that changes between the check and the
connect (rebinding) cannot redirect the request. Short timeouts: a slow receiver costs one
attempt, never the consumer's batch.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from collections.abc import Mapping

from chalicelib.domain.webhooks import EndpointRefused, Target, refused_address

CONNECT_TIMEOUT_SECONDS = 3.0
READ_TIMEOUT_SECONDS = 5.0
_MAX_RESPONSE_BYTES = 4096  # read (and drop) so the connection closes cleanly


class DeliveryFailed(Exception):
    """No HTTP answer (refused, timed out, TLS failure); ``reason`` is a short code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (an address literal is itself). Tests stub this."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise EndpointRefused("the host name does not resolve") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def checked_address(target: Target, *, allow_loopback: bool) -> str:
    """The address to connect to: the host's addresses must ALL be allowed (one private
    answer among public ones is refused too), else EndpointRefused."""
    addresses = resolve(target.host, target.port)
    if not addresses:
        raise EndpointRefused("the host name does not resolve")
    for address in addresses:
        reason = refused_address(address, allow_loopback=allow_loopback)
        if reason is not None:
            raise EndpointRefused(f"the host resolves to a {reason}")
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, address: str) -> None:
        super().__init__(target.host, target.port, timeout=CONNECT_TIMEOUT_SECONDS)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), CONNECT_TIMEOUT_SECONDS)
        self.sock.settimeout(READ_TIMEOUT_SECONDS)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, address: str) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=CONNECT_TIMEOUT_SECONDS, context=self._tls)
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), CONNECT_TIMEOUT_SECONDS)
        raw.settimeout(READ_TIMEOUT_SECONDS)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


def post(target: Target, address: str, body: bytes, headers: Mapping[str, str]) -> int:
    """POST ``body`` to the target at ``address``; the HTTP status, or DeliveryFailed."""
    connection: http.client.HTTPConnection
    if target.scheme == "https":
        connection = _PinnedHTTPSConnection(target, address)
    else:
        connection = _PinnedHTTPConnection(target, address)
    try:
        connection.request("POST", target.path, body=body, headers=dict(headers))
        response = connection.getresponse()
        response.read(_MAX_RESPONSE_BYTES)
        return int(response.status)
    except TimeoutError:
        raise DeliveryFailed("timeout") from None
    except ssl.SSLError:
        raise DeliveryFailed("tls_error") from None
    except (OSError, http.client.HTTPException):
        raise DeliveryFailed("connection_error") from None
    finally:
        connection.close()
