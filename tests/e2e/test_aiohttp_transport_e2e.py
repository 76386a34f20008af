"""End-to-end: the aiohttp transport under httpx, against raw servers on 127.0.0.1.

Each test starts a tiny asyncio server in its own event loop that answers with exact bytes, so the
wire-level events the transport must translate (a refused port, a body cut short, a connection
dropped before the answer, an oversized header) happen for real. What every live crawl relies on
(gzip, timeouts, resets, size caps) is covered by test_transport_e2e.py over the same stack.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import socket
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
import pytest

from scraper.aiohttp_transport import AiohttpTransport
from scraper.client import build_client, fetch
from scraper.errors import FetchError
from scraper.settings import Settings

pytestmark = pytest.mark.slow

Answer = Callable[[bytes], Awaitable[bytes | None]]
"""Given the request head, the bytes to send back (then close), or None to close without a word."""


@asynccontextmanager
async def raw_server(answer: Answer) -> AsyncIterator[tuple[str, list[bytes]]]:
    """Serve ``answer`` on an ephemeral port; yield the base URL and the request heads received."""
    heads: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            heads.append(head)
            reply = await answer(head)
            if reply is not None:
                writer.write(reply)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", heads
    finally:
        server.close()
        await server.wait_closed()


def _settings(**kwargs: object) -> Settings:
    return Settings.model_validate({"delay": 0, "obey_robots": False, "max_attempts": 2, **kwargs})


async def _fetch(url: str, **kwargs: object) -> None:
    settings = _settings(**kwargs)
    async with build_client(settings) as client:
        await fetch(client, url, settings=settings)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_refused_connection_is_a_transient_network_error() -> None:
    """Nothing listening: a network error (not a timeout), retried, from httpx.ConnectError."""
    with pytest.raises(FetchError) as caught:
        await _fetch(f"http://127.0.0.1:{_free_port()}/topic")
    assert caught.value.reason.startswith("network error")
    assert caught.value.transient
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


async def test_body_cut_short_is_a_broken_connection() -> None:
    """Fewer bytes than Content-Length, then close: "server broke the connection", transient."""

    async def answer(head: bytes) -> bytes:
        return b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000\r\n\r\n<html>cut"

    async with raw_server(answer) as (base, heads):
        with pytest.raises(FetchError) as caught:
            await _fetch(base + "/topic")
    assert caught.value.reason.startswith("server broke the connection")
    assert caught.value.transient
    assert len(heads) == 2  # our retry, and no hidden retry underneath it


@pytest.mark.parametrize(
    ("coding", "compress"),
    [("gzip", gzip.compress), ("deflate", zlib.compress)],
)
async def test_compressed_body_missing_only_its_trailer_is_cut_short(
    coding: str, compress: Callable[[bytes], bytes]
) -> None:
    """No length, every page byte sent but not the stream's last 4 (its checksum), then close: transient."""
    body = compress(b"<html><body>" + b"<p>teaser</p>" * 500 + b"</body></html>")

    async def answer(head: bytes) -> bytes:
        headers = f"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: {coding}\r\n"
        return headers.encode() + b"Connection: close\r\n\r\n" + body[:-4]

    async with raw_server(answer) as (base, heads):
        with pytest.raises(FetchError) as caught:
            await _fetch(base + "/topic")
    assert caught.value.reason == f"the body ended before its {coding} stream did"
    assert caught.value.transient
    assert len(heads) == 2


async def test_dropped_connection_before_an_answer_is_retried_by_us_only() -> None:
    """A server that closes without answering: each of our tries is one request on the wire."""

    async def answer(head: bytes) -> None:
        return None

    async with raw_server(answer) as (base, heads):
        with pytest.raises(FetchError) as caught:
            await _fetch(base + "/topic", max_attempts=3)
    assert caught.value.reason == "server broke the connection: Server disconnected"
    assert len(heads) == 3


async def test_only_our_headers_go_out_and_long_header_lines_are_read() -> None:
    """httpx's headers as named, no aiohttp defaults; a 20 KB header line does not fail the page."""
    policy = "default-src 'self'; " + "script-src https://cdn.example; " * 600

    async def answer(head: bytes) -> bytes:
        body = b"<html><body><h1>ok</h1></body></html>"
        return (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
            + f"Content-Security-Policy: {policy}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body
        )

    async with raw_server(answer) as (base, heads):
        settings = _settings()
        async with build_client(settings) as client:
            fetched = await fetch(client, base + "/topic", settings=settings)
    assert fetched.content.endswith(b"</html>")
    lines = heads[0].decode("latin-1").split("\r\n")
    names = sorted(line.split(":", 1)[0] for line in lines[1:] if line)
    assert names == ["Accept", "Accept-Encoding", "Connection", "Host", "User-Agent"]
    assert "Accept-Encoding: gzip, deflate" in lines


async def test_cookies_are_sent_back_once() -> None:
    """A cookie the site sets comes back on the next request exactly once (httpx's jar only)."""

    async def answer(head: bytes) -> bytes:
        return (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nSet-Cookie: session=abc; Path=/\r\n"
            b"Content-Length: 2\r\n\r\nok"
        )

    async with raw_server(answer) as (base, heads):
        settings = _settings()
        async with build_client(settings) as client:
            await fetch(client, base + "/one", settings=settings)
            await fetch(client, base + "/two", settings=settings)
    second = heads[1].decode("latin-1").lower()
    assert second.count("cookie:") == 1
    assert "cookie: session=abc" in second


async def test_proxy_gets_absolute_urls_and_the_credentials() -> None:
    """With a proxy, requests go to it in absolute form, credentials as Proxy-Authorization."""

    async def answer(head: bytes) -> bytes:
        return b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 2\r\n\r\nok"

    async with raw_server(answer) as (base, heads):
        proxy = base.replace("http://", "http://bench:s3cret@")
        settings = _settings(proxy=proxy)
        async with build_client(settings) as client:
            fetched = await fetch(client, "http://topics.example/keywords/a", settings=settings)
    assert fetched.content == b"ok"
    request_line, *headers = heads[0].decode("latin-1").split("\r\n")
    assert request_line == "GET http://topics.example/keywords/a HTTP/1.1"
    token = base64.b64encode(b"bench:s3cret").decode()
    assert f"Proxy-Authorization: Basic {token}" in headers


async def test_transport_closes_its_session() -> None:
    """aclose() closes the aiohttp session it opened; a closed transport can be closed again."""

    async def answer(head: bytes) -> bytes:
        return b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

    transport = AiohttpTransport()
    async with raw_server(answer) as (base, _heads), httpx.AsyncClient(transport=transport) as client:
        response = await client.get(base + "/")
        assert response.text == "ok"
        session = transport._session
        assert session is not None
    assert session.closed
    await transport.aclose()


async def test_credentials_in_the_url_go_out_once_as_basic_auth() -> None:
    """``http://user:pass@host/`` is fetched with one Authorization header (httpx's), and the
    request line carries no user info (aiohttp refuses both at once)."""

    async def answer(head: bytes) -> bytes:
        return b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 11\r\n\r\n<h1>ok</h1>"

    async with raw_server(answer) as (base, heads):
        settings = _settings()
        secured = base.replace("http://", "http://alice:s3cret@") + "/members"
        async with build_client(settings) as client:
            fetched = await fetch(client, secured, settings=settings)
    assert fetched.content == b"<h1>ok</h1>"
    lines = heads[0].decode("latin-1").split("\r\n")
    assert lines[0] == "GET /members HTTP/1.1"
    token = base64.b64encode(b"alice:s3cret").decode()
    assert [line for line in lines if line.lower().startswith("authorization:")] == [
        f"Authorization: Basic {token}"
    ]
