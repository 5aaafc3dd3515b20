"""The tests' ports: servers started together never share one."""

from __future__ import annotations

import socket

from tests.support.live_server import free_port


def test_free_port_never_hands_out_a_port_twice() -> None:
    # 1,000 ports from a ~28,000-port ephemeral range: bind(0) alone repeats about 18 times in as many.
    ports = [free_port() for _ in range(1000)]
    assert len(set(ports)) == len(ports)


def test_a_port_handed_out_is_free_to_bind() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", free_port()))
