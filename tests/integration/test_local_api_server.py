"""The local API server takes a burst of concurrent connections without resetting any."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from infra.local.api_server import create_server

CONNECTIONS = 200


@pytest.fixture
def api_server() -> Iterator[int]:
    server = create_server("127.0.0.1", 0)  # loopback only, an ephemeral port
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server.server_address[1]
    finally:
        server.server.shutdown()
        server.server.server_close()


def test_200_concurrent_connections_are_all_answered_without_a_reset(api_server: int) -> None:
    # Given 200 clients that connect at the same instant
    barrier = threading.Barrier(CONNECTIONS)
    failures: list[str] = []
    answers: list[bytes] = []
    lock = threading.Lock()

    def client() -> None:
        barrier.wait(timeout=30)
        try:
            with socket.create_connection(("127.0.0.1", api_server), timeout=10) as sock:
                sock.sendall(b"GET /no-such-route HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                first = sock.recv(64)
            with lock:
                answers.append(first)
        except OSError as error:
            with lock:
                failures.append(repr(error))

    # When each sends a request
    threads = [threading.Thread(target=client) for _ in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # Then none was reset or refused, and every one got its HTTP answer
    assert failures == []
    assert len(answers) == CONNECTIONS
    assert all(answer.startswith(b"HTTP/1.") for answer in answers)
