"""hfgate's HTTP protocol sends a response of known length in one write, a stream's head with its first
event when that is ready at once; a late first event, HEAD and an app that stops after its head in time."""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.server import ServerState

from hfgate.process.serve import HeaderDeadlineProtocol


class RecordingTransport(asyncio.Transport):
    """A socket's transport that keeps what is written to it."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 5000), "sockname": ("127.0.0.1", 8080)}.get(name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def whole(scope: Any, receive: Any, send: Any) -> None:
    await receive()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"11")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b'{"ok":true}'})


async def streamed(scope: Any, receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]})
    await send({"type": "http.response.body", "body": b"data: 1\n\n", "more_body": True})
    await send({"type": "http.response.body", "body": b"data: 2\n\n"})


async def late(scope: Any, receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]})
    for _ in range(3):
        await asyncio.sleep(0)  # the loop turns before the first event
    await send({"type": "http.response.body", "body": b"data: 1\n\n"})


async def started_only(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"5")]})


def connect(app: Any, request: bytes) -> tuple[HeaderDeadlineProtocol, RecordingTransport]:
    """hfgate's protocol on a new connection that has sent ``request``; the app runs in its tasks."""
    config = uvicorn.Config(app, lifespan="off", log_level="critical", access_log=False, proxy_headers=False)
    config.load()
    protocol = HeaderDeadlineProtocol(config=config, server_state=ServerState(), app_state={})
    transport = RecordingTransport()
    protocol.connection_made(transport)
    protocol.data_received(request)
    return protocol, transport


async def serve(app: Any, request: bytes) -> RecordingTransport:
    protocol, transport = connect(app, request)
    await asyncio.gather(*protocol.tasks)
    protocol.connection_lost(None)
    return transport


POST = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"


async def test_a_response_of_known_length_is_one_write() -> None:
    transport = await serve(whole, POST)
    assert len(transport.writes) == 1
    head, _, body = transport.writes[0].partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert b"content-length: 11" in head
    assert body == b'{"ok":true}'


async def test_a_stream_sends_its_head_with_a_first_event_ready_at_once() -> None:
    transport = await serve(streamed, POST)
    head, _, first = transport.writes[0].partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert b"transfer-encoding: chunked" in head
    assert first == b"9\r\ndata: 1\n\n\r\n"
    assert b"".join(transport.writes[1:]) == b"9\r\ndata: 2\n\n\r\n0\r\n\r\n"


async def test_a_stream_whose_first_event_is_late_gets_its_head_first() -> None:
    transport = await serve(late, POST)
    assert transport.writes[0].startswith(b"HTTP/1.1 200 OK")
    assert transport.writes[0].endswith(b"\r\n\r\n")
    assert b"".join(transport.writes[1:]) == b"9\r\ndata: 1\n\n\r\n0\r\n\r\n"


async def test_head_requests_get_their_head() -> None:
    transport = await serve(whole, b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert len(transport.writes) == 1
    assert transport.writes[0].startswith(b"HTTP/1.1 200 OK")
    assert transport.writes[0].endswith(b"\r\n\r\n")


async def test_an_app_that_stops_after_the_head_still_sends_it_then_closes() -> None:
    transport = await serve(started_only, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert transport.writes[0].startswith(b"HTTP/1.1 200 OK")
    assert transport.closed


async def test_keep_alive_requests_each_get_one_write() -> None:
    transport = await serve(whole, POST)
    first = transport.writes[:]
    transport = await serve(whole, POST + POST)
    assert len(transport.writes) == 2
    assert transport.writes[0] == transport.writes[1] == first[0]


async def test_a_stream_s_event_is_sent_in_its_own_turn_not_held_for_the_next() -> None:
    next_event = asyncio.Event()

    async def waiting(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]})
        await send({"type": "http.response.body", "body": b"data: 1\n\n", "more_body": True})
        await next_event.wait()
        await send({"type": "http.response.body", "body": b"data: 2\n\n"})

    protocol, transport = connect(waiting, POST)
    for _ in range(3):
        await asyncio.sleep(0)
    assert len(transport.writes) == 1
    assert transport.writes[0].endswith(b"9\r\ndata: 1\n\n\r\n")
    next_event.set()
    await asyncio.gather(*protocol.tasks)
    protocol.connection_lost(None)
    assert transport.writes[1:] == [b"9\r\ndata: 2\n\n\r\n0\r\n\r\n"]


async def test_the_transport_takes_any_bytes_like_write_and_sends_a_lone_head_at_the_turn_s_end() -> None:
    from hfgate.process.one_write import OneWriteTransport

    socket = RecordingTransport()
    transport = OneWriteTransport(socket, asyncio.get_running_loop())
    transport.write(memoryview(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n"))
    transport.write(memoryview(b"{}"))
    assert socket.writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"]
    transport.writelines([bytearray(b"HTTP/1.1 204 No Content\r\n\r\n")])
    assert socket.writes[1:] == []  # held for a body that may follow in this turn
    await asyncio.sleep(0)
    assert socket.writes[1:] == [b"HTTP/1.1 204 No Content\r\n\r\n"]
    transport.write(b"\x81\x05hello")  # not a response's head (a WebSocket frame): sent at once
    assert socket.writes[2:] == [b"\x81\x05hello"]
