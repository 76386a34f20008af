"""The live network under httpx: an ``httpx.AsyncBaseTransport`` that does its I/O with aiohttp.

httpx stays the API everything above is written against (the client, ``PoliteTransport``, recording,
replay, ``fetch``); only the bottom of the stack changes. httpx's default transport (httpcore on
anyio, h11 parsing in pure Python) costs 3-5 ms of CPU per 60 KB page on the benchmark machine,
more than parsing the page; aiohttp's pool and C parser (llhttp) do the same request for about
0.4 ms (``bench/crawl.py``, issue 3 point 10).

What stays with httpx, on purpose:

- **Content-Encoding**: aiohttp hands over the body as sent (``auto_decompress=False``) and httpx
  inflates it chunk by chunk, so ``fetch`` still counts the *decompressed* size against
  ``max_bytes`` as it streams. Chunks are at most :data:`READ_CHUNK` bytes, which bounds the
  inflation of one chunk exactly as with httpx's own transport.
- **Headers**: only what httpx puts on the request goes out: aiohttp adds no ``User-Agent``,
  ``Accept`` or ``Accept-Encoding`` of its own, and keeps no cookies (httpx's client does; a
  second jar would send them twice).
- **Errors**: aiohttp's exceptions become the httpx exceptions httpcore raises for the same event
  (:data:`ERROR_MAP`), so ``scraper.client`` remains the one place that turns them into
  ``FetchError``: a refused connection is a network error, a dropped one "server broke the
  connection", a slow one a read timeout.

Written here rather than taken from ``httpx-aiohttp`` (PyPI): that package maps every
``aiohttp.ClientConnectionError`` (refused, DNS failure, server disconnected) to
``httpx.ConnectTimeout``, which would report a refused connection as a timeout, and it keeps an
aiohttp cookie jar beside httpx's.

Example::

    transport = AiohttpTransport(proxy="http://proxy.example:3128")
    client = httpx.AsyncClient(transport=transport)
"""

from __future__ import annotations

import base64
import ssl
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import aiohttp
import certifi
import httpx

__all__ = ["ERROR_MAP", "MAX_HEADER_BYTES", "READ_CHUNK", "AiohttpTransport"]

READ_CHUNK = 64 * 1024
"""Largest body chunk handed to httpx: the size httpcore reads, so one chunk's inflation stays
bounded as the ``scraper.client`` docstring says (64 KiB x 1032 for deflate)."""

MAX_HEADER_BYTES = 64 * 1024
"""Longest response header line accepted. aiohttp's default (8190) refuses the long
``Content-Security-Policy`` and ``Set-Cookie`` lines some sites send, which httpx's h11 reads."""

ERROR_MAP: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    # Most specific first: several of these subclass each other.
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
    (aiohttp.SocketTimeoutError, httpx.ReadTimeout),
    (aiohttp.ServerTimeoutError, httpx.ReadTimeout),
    (aiohttp.ClientProxyConnectionError, httpx.ProxyError),
    (aiohttp.ClientHttpProxyError, httpx.ProxyError),
    (aiohttp.ClientConnectorError, httpx.ConnectError),  # refused, DNS, TLS handshake
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
    (aiohttp.ClientPayloadError, httpx.RemoteProtocolError),  # body cut short, bad chunking
    (aiohttp.ClientResponseError, httpx.RemoteProtocolError),  # unparsable status line or headers
    (aiohttp.ClientOSError, httpx.ReadError),  # reset by peer mid-exchange
    (aiohttp.ClientConnectionError, httpx.ReadError),
    (aiohttp.InvalidURL, httpx.UnsupportedProtocol),
    (aiohttp.NonHttpUrlClientError, httpx.UnsupportedProtocol),
    (aiohttp.ClientError, httpx.TransportError),
)
"""aiohttp exception → the httpx exception httpcore raises for the same event."""


@contextmanager
def _mapped_errors(request: httpx.Request) -> Iterator[None]:
    """Re-raise aiohttp errors as their httpx equivalent (see :data:`ERROR_MAP`), ``from`` the original."""
    try:
        yield
    except aiohttp.ClientError as exc:
        for source, target in ERROR_MAP:
            if isinstance(exc, source):
                raise target(str(exc) or type(exc).__name__, request=request) from exc
        raise  # pragma: no cover - ClientError is the map's last row


def _timeout(request: httpx.Request) -> aiohttp.ClientTimeout:
    """httpx's per-request timeouts (connect, read, pool) in aiohttp's terms.

    No overall deadline here (``total=None``): ``scraper.client`` bounds each whole answer, over any
    transport, by ``Settings.total_timeout``, leaving out the time politeness holds a request back.
    """
    timeout = request.extensions.get("timeout", {})
    return aiohttp.ClientTimeout(
        total=None,
        connect=timeout.get("pool"),  # waiting for a pooled connection, as httpx's pool timeout
        sock_connect=timeout.get("connect"),
        sock_read=timeout.get("read"),
    )


class _Body(httpx.AsyncByteStream):
    """A response body read from aiohttp in chunks of at most :data:`READ_CHUNK` bytes."""

    def __init__(self, response: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._response = response
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _mapped_errors(self._request):
            async for chunk in self._response.content.iter_chunked(READ_CHUNK):
                yield chunk

    async def aclose(self) -> None:
        # A fully read body returns the connection to the pool; a partly read one closes it.
        self._response.release()


class AiohttpTransport(httpx.AsyncBaseTransport):
    """Send httpx requests with an aiohttp ``ClientSession`` (HTTP/1.1, keep-alive, TLS, proxies).

    The session is made on the first request, inside the running event loop, and closed by
    :meth:`aclose` (``httpx.AsyncClient.aclose`` calls it).

    Args:
        proxy: an ``http://`` (or ``https://``) proxy URL for every request; credentials in it are
            sent as ``Proxy-Authorization``.
        max_connections: most open connections in all (politeness caps each host far lower).
        keepalive_expiry: seconds an idle connection is kept for reuse.
        verify: TLS verification: True (certifi's CA bundle, as httpx uses), False, or an
            ``ssl.SSLContext``.
    """

    def __init__(
        self,
        *,
        proxy: str | None = None,
        max_connections: int = 100,
        keepalive_expiry: float = 5.0,
        verify: bool | ssl.SSLContext = True,
    ) -> None:
        self._proxy: str | None = None
        self._proxy_authorization: str | None = None
        if proxy is not None:
            url = httpx.URL(proxy)
            if url.username or url.password:
                token = base64.b64encode(f"{url.username}:{url.password}".encode()).decode("ascii")
                self._proxy_authorization = f"Basic {token}"
                url = url.copy_with(username=None, password=None)
            self._proxy = str(url)
        self._max_connections = max_connections
        self._keepalive_expiry = keepalive_expiry
        # The same trust store httpx would use, so switching transports changes no TLS verdict.
        self._verify = ssl.create_default_context(cafile=certifi.where()) if verify is True else verify
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections,
                keepalive_timeout=self._keepalive_expiry,
                ssl=self._verify,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,
                trust_env=False,
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding"),
                max_line_size=MAX_HEADER_BYTES,
                max_field_size=MAX_HEADER_BYTES,
            )
            # aiohttp silently re-sends an idempotent request once when the connection drops. Our
            # retries (scraper.client: counted, backed off, paced by PoliteTransport) must see every
            # failure, as they do over httpx's own transport; aiohttp's test utilities turn it off
            # the same way (there is no public switch).
            self._session._retry_connection = False
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` and return a streaming response (the body is read as httpx iterates)."""
        session = self._open()
        body = await request.aread()
        # Names as httpx was given them (httpx's own transport sends them so, not lower-cased).
        encoding = request.headers.encoding
        headers = [(name.decode(encoding), value.decode(encoding)) for name, value in request.headers.raw]
        proxy_headers = None
        if self._proxy_authorization is not None:
            # A plain-http request goes to the proxy itself and carries the credentials; an https one
            # is tunnelled, so they go on the CONNECT only, never to the site.
            if request.url.scheme == "http":
                headers.append(("Proxy-Authorization", self._proxy_authorization))
            else:
                proxy_headers = {"Proxy-Authorization": self._proxy_authorization}
        with _mapped_errors(request):
            response = await session.request(
                request.method,
                # httpx turned the URL's user info into the Authorization header already; aiohttp
                # refuses a request that carries both.
                str(request.url.copy_with(userinfo=b"") if request.url.userinfo else request.url),
                headers=headers,
                data=body or None,
                allow_redirects=False,
                timeout=_timeout(request),
                proxy=self._proxy,
                proxy_headers=proxy_headers,
            )
        version = response.version
        return httpx.Response(
            status_code=response.status,
            headers=response.raw_headers,
            stream=_Body(response, request),
            extensions={
                "http_version": f"HTTP/{version.major}.{version.minor}".encode() if version else b"HTTP/1.1",
                "reason_phrase": (response.reason or "").encode("latin-1", errors="replace"),
            },
        )

    async def aclose(self) -> None:
        """Close the session and its connections."""
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()
