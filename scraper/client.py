"""Fetching one page over HTTP: the client, its transport stack, and the one place where httpx
exceptions become :mod:`scraper.errors`.

``build_client`` makes the ``httpx.AsyncClient`` every worker of a crawl shares; ``fetch`` gets one
URL with our rules:

- **Redirects** are followed here, not by httpx, so the site rule can apply: only within the
  start URL's site (``www.`` and http/https count as the same site) unless ``allow_offsite``, at
  most ``max_redirects``, a revisited URL is a :class:`~scraper.errors.RedirectLoop`.
- **Retries** (stamina, exponential backoff with jitter, ``max_attempts`` tries): timeouts, resets,
  5xx, 408 and 429. A 429, or a 503 with ``Retry-After``, waits as the server says, capped by
  ``retry_after_cap``, through the injected clock. Other 4xx are not retried.
- **Time**: besides httpx's connect and read timeouts (each read waits at most ``read_timeout``),
  one try may take at most ``total_timeout`` from sending the request to the end of the body, so
  a server trickling a byte at a time cannot hold a worker for hours. Waits for politeness are
  not counted (``PoliteTransport`` stops the deadline while a request waits its turn).
- **Content-Encoding** (gzip, deflate) is undone here, not by httpx, so that a compressed body
  that stops before its stream's end is caught: a connection closed early looks like the end of a
  body that has no ``Content-Length`` or chunking, and httpx's decoders never check that the
  stream was complete. Such a body is a transient :class:`~scraper.errors.FetchError`.
- **Size**: ``Content-Length`` is checked first, then the *decompressed* body while it streams;
  over ``max_bytes`` is :class:`~scraper.errors.TooLarge`. Inflation stops one byte past the
  limit, so a gzip bomb costs no more memory than ``max_bytes`` (a body compressed twice over may
  still inflate one network chunk in its outer layer: at most 64 KiB x 1032).
- **Content type**: pages are ``text/html``, ``application/xhtml+xml``, ``text/plain`` (the text
  dumps the parsers read) or unlabelled; anything else is :class:`~scraper.errors.NotHtml`.
- **Credentials** in a URL (``https://user:password@host/``) are a secret: :class:`SiteCredentials`
  takes them off the start URLs once and sends them to that site only, so they reach no record,
  state file, log line or fixture.
- **Conditional requests**: pass ``If-None-Match``/``If-Modified-Since`` in ``headers``; a 304
  comes back as ``Fetched(not_modified=True)`` with an empty body.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import logging
import zlib
from collections.abc import Generator, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import httpx
import stamina

from scraper.aiohttp_transport import AiohttpTransport
from scraper.errors import (
    Blocked,
    FetchError,
    NotHtml,
    OffsiteRedirect,
    RateLimited,
    RedirectLoop,
    TooLarge,
)
from scraper.fixtures import FETCHED_AT_EXTENSION, FixtureFolder, RecordingTransport, ReplayTransport
from scraper.politeness import DEADLINE_EXTENSION, SYSTEM_CLOCK, Clock, PoliteTransport, parse_retry_after
from scraper.settings import Settings
from scraper.warc import WarcRecordingTransport, is_warc_path, open_fixtures

__all__ = [
    "ACCEPT",
    "PAGE_CONTENT_TYPES",
    "FetchStats",
    "Fetched",
    "SiteCredentials",
    "build_client",
    "build_transport",
    "fetch",
    "same_site",
    "site_key",
]

logger = logging.getLogger(__name__)

ACCEPT = "text/html,application/xhtml+xml;q=0.9,text/plain;q=0.8,*/*;q=0.5"
ACCEPT_ENCODING = "gzip, deflate"
"""Only what the standard library inflates; brotli/zstd would need optional packages."""

GZIP_WBITS = zlib.MAX_WBITS | 16
"""zlib's ``wbits`` for a gzip wrapper: header, deflate stream, CRC-32 and length trailer."""

CODING_WBITS = {"gzip": GZIP_WBITS, "x-gzip": GZIP_WBITS, "deflate": zlib.MAX_WBITS}
"""The Content-Encodings we undo, with zlib's ``wbits`` for each. deflate is zlib-wrapped (RFC 9110
§8.4.1.2); raw deflate, which some servers send instead, is tried when the first bytes are not a
zlib header (as httpx does)."""

UNDECODED_CODINGS = frozenset({"br", "zstd", "compress", "x-compress"})
"""Compressions we never offer in ``Accept-Encoding`` and do not undo: a body in one of them is
refused rather than parsed as garbage. Other unknown tokens (``utf-8``, ``none``: misconfigured
servers) are ignored, as httpx and browsers ignore them."""

PAGE_CONTENT_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/plain"})
"""Media types worth parsing; text/plain because ``parse_text_dump`` reads page dumps."""

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
TRANSIENT_4XX = frozenset({408, 429})
"""Client-error statuses that mean "not now" rather than "never" (Request Timeout, Too Many Requests)."""

BLOCKED_STATUSES = frozenset({401, 403, 451})
"""The site refuses us, not the page: retrying will not help (Unauthorized, Forbidden, Legal)."""

ERROR_BODY_LIMIT = 64 * 1024
"""Error and redirect bodies are read (so a recorder saves them) only this far."""

DEFAULT_PORTS = {"http": 80, "https": 443}

URL_CACHE_SIZE = 4096
"""Parsed URLs remembered by :func:`_parse_url`. A crawl parses each next-page link to check its
site, then again to fetch it some pages later, and its start URL once per page of the listing;
httpx's parser costs more than everything else done with the URL (about 40 us a parse in a crawl).
Between the check and the fetch every other listing in flight finishes about one page, so this
covers a few thousand listings crawled side by side."""


@dataclass(frozen=True)
class Fetched:
    """One fetched URL, after redirects and retries.

    Attributes:
        url: the URL asked for.
        final_url: the URL that answered (differs after redirects).
        status: the final HTTP status (2xx, or 304 when ``not_modified``).
        headers: the final response headers as (name, value) pairs.
        content: the body, decompressed; empty for a 304.
        fetched_at: when the final response arrived (UTC); the saved time when replaying fixtures.
        elapsed: seconds from the first request to the end of the body, waits included.
        redirects: the URLs that redirected, in order (``url`` first when there were any).
        not_modified: the server answered 304 to a conditional request.
        attempts: tries of the final request (1 when no retry was needed).
    """

    url: str
    final_url: str
    status: int
    headers: tuple[tuple[str, str], ...]
    content: bytes
    fetched_at: datetime
    elapsed: float
    redirects: tuple[str, ...] = ()
    not_modified: bool = False
    attempts: int = 1

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    @property
    def content_type(self) -> str | None:
        """The ``Content-Type`` header (with its charset), for ``parsers.decode_html``."""
        return self.header("Content-Type")

    @property
    def etag(self) -> str | None:
        """The ``ETag`` to send back as ``If-None-Match`` next time."""
        return self.header("ETag")

    @property
    def last_modified(self) -> str | None:
        """The ``Last-Modified`` to send back as ``If-Modified-Since`` next time."""
        return self.header("Last-Modified")


@dataclass
class FetchStats:
    """Counters a crawl can read for its summary. One instance may be shared by all workers.

    Attributes:
        requests: HTTP requests sent (every try and every redirect hop).
        retries: tries after the first.
        rate_limited: 429 answers, and 503 answers with ``Retry-After``.
        waited: seconds spent waiting on ``Retry-After`` (backoff waits not included).
        redirects: redirects followed.
        not_modified: 304 answers.
        bytes: decompressed body bytes received.
    """

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    waited: float = 0.0
    redirects: int = 0
    not_modified: int = 0
    bytes: int = 0


@functools.lru_cache(maxsize=URL_CACHE_SIZE)
def _parse_url(url: str) -> httpx.URL:
    """``httpx.URL(url)``, remembered (an ``httpx.URL`` is never changed in place, so one can be shared)."""
    return httpx.URL(url)


def site_key(url: str | httpx.URL) -> str:
    """What "the same site" means for redirects: host without ``www.``, plus any non-default port.

    >>> site_key("https://www.dhs.gov/news") == site_key("http://dhs.gov/")
    True
    >>> site_key("http://127.0.0.1:8080/")
    '127.0.0.1:8080'
    """
    parsed = url if isinstance(url, httpx.URL) else _parse_url(url)
    host = parsed.host.lower().removeprefix("www.")
    port = parsed.port
    return host if port is None or port == DEFAULT_PORTS.get(parsed.scheme) else f"{host}:{port}"


def same_site(a: str | httpx.URL, b: str | httpx.URL) -> bool:
    """Whether two URLs are on the same site (see :func:`site_key`)."""
    return site_key(a) == site_key(b)


class SiteCredentials(httpx.Auth):
    """HTTP Basic credentials for the sites whose URLs carried them (``https://user:pw@host/``).

    Why: a URL is written everywhere (records, crawl state, logs, the summary), and its userinfo
    is a password. :meth:`take_from` takes it off a start URL and keeps it for that URL's origin;
    every later request to the origin carries it, as a browser's remembered credentials do, and
    also the same host's https after an http start URL (an upgrade redirect). A request to any
    other origin never does, redirect or not.
    """

    def __init__(self) -> None:
        self._by_origin: dict[tuple[str, str, int], str] = {}

    def __bool__(self) -> bool:
        return bool(self._by_origin)

    def take_from(self, url: str) -> str:
        """``url`` without its userinfo (unchanged when it has none); its credentials are kept."""
        if "@" not in url:
            return url
        try:
            parsed = _parse_url(url)
        except httpx.InvalidURL:
            return url  # fetch reports it
        if not parsed.userinfo:
            return url
        token = base64.b64encode(f"{parsed.username}:{parsed.password}".encode()).decode("ascii")
        value = f"Basic {token}"
        self._by_origin[_origin(parsed)] = value
        if parsed.scheme == "http" and _origin(parsed)[2] == DEFAULT_PORTS["http"]:
            self._by_origin.setdefault(("https", parsed.host.lower(), DEFAULT_PORTS["https"]), value)
        return str(parsed.copy_with(userinfo=b""))

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        value = self._by_origin.get(_origin(request.url))
        if value is not None and "Authorization" not in request.headers:
            request.headers["Authorization"] = value
        yield request


def _origin(url: httpx.URL) -> tuple[str, str, int]:
    return url.scheme, url.host.lower(), url.port or DEFAULT_PORTS.get(url.scheme, 0)


def build_transport(settings: Settings, *, clock: Clock = SYSTEM_CLOCK) -> httpx.AsyncBaseTransport:
    """The transport stack for ``settings``.

    - ``replay`` set: ``ReplayTransport`` over the fixture folder, or over the WARC file when the
      path ends in ``.warc``/``.warc.gz``; no network, no robots.txt, no delays.
    - otherwise ``PoliteTransport(AiohttpTransport())``, wrapped in ``RecordingTransport`` when
      ``record`` is set, or ``WarcRecordingTransport`` when it names a WARC file (robots.txt
      fetches are not recorded: replay does not need them).

    Raises:
        FileNotFoundError: the replay folder or WARC file does not exist.
        ValueError: it is not a fixture folder or a WARC file.
    """
    if settings.replay is not None:
        return ReplayTransport(open_fixtures(settings.replay))
    # aiohttp does the I/O under httpx: a fifth of httpx's own transport's CPU per page (see
    # scraper/aiohttp_transport.py and bench/crawl.py).
    transport: httpx.AsyncBaseTransport = PoliteTransport(
        AiohttpTransport(proxy=settings.proxy), settings=settings, clock=clock
    )
    if settings.record is not None and is_warc_path(settings.record):
        transport = WarcRecordingTransport(transport, settings.record, now=clock.now)
    elif settings.record is not None:
        transport = RecordingTransport(transport, FixtureFolder.load(settings.record), now=clock.now)
    return transport


def build_client(
    settings: Settings, transport: httpx.AsyncBaseTransport | None = None, *, clock: Clock = SYSTEM_CLOCK
) -> httpx.AsyncClient:
    """The ``httpx.AsyncClient`` for a crawl: our User-Agent, Accept headers, timeouts, no auto-redirects.

    Args:
        settings: user agent and timeouts; with no ``transport``, also the stack (:func:`build_transport`).
        transport: the transport to use instead (a ``MockTransport`` in tests, a custom stack).
        clock: time source for the default stack.

    Proxy environment variables are ignored (``trust_env=False``): httpx would route matching
    requests to its own proxy transport, around replay and politeness. Use ``Settings.proxy``.
    """
    return httpx.AsyncClient(
        transport=transport if transport is not None else build_transport(settings, clock=clock),
        headers={"User-Agent": settings.user_agent, "Accept": ACCEPT, "Accept-Encoding": ACCEPT_ENCODING},
        timeout=httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout),
        follow_redirects=False,
        trust_env=False,
    )


async def fetch(
    client: httpx.AsyncClient,
    url: str,
    *,
    settings: Settings,
    headers: Mapping[str, str] | None = None,
    site: str | None = None,
    stats: FetchStats | None = None,
    clock: Clock = SYSTEM_CLOCK,
    auth: httpx.Auth | None = None,
) -> Fetched:
    """GET ``url`` with redirects, retries, size and type checks; see the module docstring.

    Args:
        client: from :func:`build_client`.
        url: an absolute http(s) URL.
        settings: ``max_attempts``, backoff, ``retry_after_cap``, ``total_timeout``, ``max_bytes``,
            ``max_redirects``, ``allow_offsite``.
        headers: extra request headers, e.g. ``If-None-Match`` (sent on every hop).
        site: the URL whose site redirects must stay on (the crawl's start URL); default ``url``.
        stats: counters to update.
        clock: time source; ``Retry-After`` waits go through ``clock.sleep``.
        auth: for every hop instead of the client's (:class:`SiteCredentials`).

    Returns:
        The final response.

    Raises:
        FetchError: or a subclass (``RateLimited``, ``TooLarge``, ``NotHtml``, ``OffsiteRedirect``,
            ``RedirectLoop``) when the page cannot be had.
        Blocked: robots.txt (from ``PoliteTransport``) or the site (401/403/451) refuses us.
        FixtureMissing: replaying, and the URL is not saved.
        ValueError: ``url`` is not an absolute http(s) URL.

    An error's ``.url`` is the URL whose request failed: after a redirect, the redirect's target
    (the start of the chain is the ``url`` you passed). Redirect errors name ``url`` itself.
    """
    try:
        parsed = _parse_url(url)
    except httpx.InvalidURL as exc:
        raise ValueError(f"not a valid URL: {url!r}") from exc
    if parsed.scheme not in DEFAULT_PORTS or not parsed.host:
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    stats = stats if stats is not None else FetchStats()
    home = site if site is not None else url
    started = clock.monotonic()
    chain = [str(parsed)]
    while True:
        # The parsed URL goes on to the client: parsing it again from text would cost as much.
        hop, attempts = await _get(
            client, parsed, settings=settings, headers=headers, stats=stats, clock=clock, auth=auth
        )
        if hop.location is None:
            break
        target = hop.location
        parsed = httpx.URL(target)
        if parsed.scheme not in DEFAULT_PORTS:
            raise FetchError(url, f"redirect to a non-http URL: {target}", status=hop.status)
        if not settings.allow_offsite and not same_site(target, home):
            raise OffsiteRedirect(url, target, status=hop.status)
        if target in chain:
            raise RedirectLoop(url, [*chain, target])
        if len(chain) > settings.max_redirects:
            raise RedirectLoop(url, [*chain, target], limit=settings.max_redirects)
        stats.redirects += 1
        chain.append(target)
    if hop.status == 304:
        stats.not_modified += 1
    return Fetched(
        url=url,
        final_url=chain[-1],
        status=hop.status,
        headers=hop.headers,
        content=hop.content,
        fetched_at=hop.fetched_at,
        elapsed=clock.monotonic() - started,
        redirects=tuple(chain[:-1]),
        not_modified=hop.status == 304,
        attempts=attempts,
    )


@dataclass(frozen=True)
class _Hop:
    """One answered request: a page, a 304, or a redirect to ``location``."""

    status: int
    headers: tuple[tuple[str, str], ...]
    content: bytes
    fetched_at: datetime
    location: str | None = None


def _should_retry(exc: Exception) -> bool | float:
    """stamina's hook: which errors to retry, and how long to back off.

    A ``Retry-After`` wait is returned as 0.0 (no backoff from stamina) because ``_get`` waits it out
    itself through the injected clock: stamina can be told a server-given wait, but it sleeps with
    ``asyncio.sleep`` and skips custom waits in test mode, so a test could not see the waits and a
    crawl could not share them. Everything else transient backs off exponentially, with jitter.
    """
    if isinstance(exc, RateLimited) and exc.retry_after is not None:
        return 0.0
    return isinstance(exc, FetchError) and exc.transient


async def _get(
    client: httpx.AsyncClient,
    url: httpx.URL,
    *,
    settings: Settings,
    headers: Mapping[str, str] | None,
    stats: FetchStats,
    clock: Clock,
    auth: httpx.Auth | None,
) -> tuple[_Hop, int]:
    """One hop with retries; returns the answer and the number of tries it took.

    The first try runs before stamina is asked: nearly every request succeeds at once, and setting
    up stamina's retry context costs about 0.1 ms a request on the benchmark machine
    (``bench/crawl.py``). After a failure worth retrying, stamina runs the tries from the first
    on, and its first "try" re-raises that failure, so it counts the attempts and backs off
    exactly as if it had made every one.
    """
    try:
        return await _request_once(
            client, url, settings=settings, headers=headers, stats=stats, clock=clock, auth=auth
        ), 1
    except Exception as exc:
        if _should_retry(exc) is False:  # a float, even 0.0, means "retry after that long"
            raise
        failure = exc
    async for attempt in stamina.retry_context(
        on=_should_retry,
        attempts=settings.max_attempts,
        timeout=None,  # bounded by attempts; a wall-clock budget would cut Retry-After waits short
        wait_initial=settings.backoff_initial,
        wait_max=settings.backoff_max,
        wait_jitter=settings.backoff_jitter,
    ):
        with attempt:
            if attempt.num == 1:
                raise failure
            stats.retries += 1
            if isinstance(failure, RateLimited) and failure.retry_after is not None:
                wait = min(failure.retry_after, settings.retry_after_cap)
                stats.waited += wait
                await clock.sleep(wait)
            try:
                hop = await _request_once(
                    client, url, settings=settings, headers=headers, stats=stats, clock=clock, auth=auth
                )
            except Exception as exc:
                failure = exc
                raise
            return hop, attempt.num
    raise AssertionError("unreachable: stamina re-raises the last error")  # pragma: no cover


async def _request_once(
    client: httpx.AsyncClient,
    url: httpx.URL,
    *,
    settings: Settings,
    headers: Mapping[str, str] | None,
    stats: FetchStats,
    clock: Clock,
    auth: httpx.Auth | None,
) -> _Hop:
    """Send one GET and judge the answer within ``total_timeout``; translates httpx errors.

    The deadline travels with the request (:data:`~scraper.politeness.DEADLINE_EXTENSION`) so
    that ``PoliteTransport`` can stop it while the request waits for its turn.
    """
    stats.requests += 1
    text = str(url)
    request = client.build_request("GET", url, headers=headers)
    deadline = asyncio.timeout(settings.total_timeout)
    try:
        async with deadline:
            request.extensions[DEADLINE_EXTENSION] = deadline
            with _translate_errors(text):
                response = await client.send(
                    request, stream=True, auth=httpx.USE_CLIENT_DEFAULT if auth is None else auth
                )
                try:
                    return await _judge(text, response, settings=settings, stats=stats, clock=clock)
                finally:
                    await response.aclose()
    except TimeoutError as exc:
        if not deadline.expired():
            raise
        reason = f"total timeout: the whole answer took longer than {settings.total_timeout:g} s"
        raise FetchError(text, reason, transient=True) from exc


async def _judge(
    url: str, response: httpx.Response, *, settings: Settings, stats: FetchStats, clock: Clock
) -> _Hop:
    """Turn one response into a hop, or raise the error it stands for."""
    status = response.status_code
    encoding = response.headers.encoding
    pairs = tuple((k.decode(encoding), v.decode(encoding)) for k, v in response.headers.raw)
    saved_at = response.extensions.get(FETCHED_AT_EXTENSION)
    fetched_at = saved_at if isinstance(saved_at, datetime) else clock.now()
    reason = f"HTTP {status} {response.reason_phrase}".rstrip()

    if status in REDIRECT_STATUSES and response.next_request is not None:
        await _read_quietly(response, ERROR_BODY_LIMIT)  # so a recorder saves the redirect
        # Without its fragment: no server sees one, and "#top" must not make the page a new URL.
        location = str(response.next_request.url.copy_with(fragment=None))
        return _Hop(status, pairs, b"", fetched_at, location=location)
    if status == 304:
        return _Hop(status, pairs, b"", fetched_at)
    if not 200 <= status < 300:
        await _read_quietly(response, ERROR_BODY_LIMIT)  # so a recorder saves the error page
    retry_after = parse_retry_after(response.headers.get("Retry-After"), now=clock.now())
    if status == 429 or (status == 503 and retry_after is not None):
        stats.rate_limited += 1
        raise RateLimited(url, retry_after, status=status)
    if status >= 500 or status in TRANSIENT_4XX:
        raise FetchError(url, reason, status=status, transient=True)
    if status in BLOCKED_STATUSES:
        raise Blocked(url, reason)
    if not 200 <= status < 300:
        raise FetchError(url, reason, status=status)

    content_type = response.headers.get("Content-Type")
    if content_type and content_type.split(";", 1)[0].strip().lower() not in PAGE_CONTENT_TYPES:
        # Read as an error page is (a small feed or PDF is then recorded, and its replay fails
        # the same way instead of "not recorded"); a large one is dropped after the limit.
        await _read_quietly(response, ERROR_BODY_LIMIT)
        raise NotHtml(url, content_type, status=status)
    content = await _read_capped(url, response, settings.max_bytes)
    stats.bytes += len(content)
    return _Hop(status, pairs, content, fetched_at)


async def _read_capped(url: str, response: httpx.Response, limit: int) -> bytes:
    """The decompressed body, or ``TooLarge`` as soon as it (or its declared length) passes ``limit``.

    Raises:
        TooLarge: over ``limit`` bytes once decompressed.
        FetchError: a compression we did not ask for; or (transient) the body stopped before the
            end of its compressed stream.
        httpx.DecodingError: the body does not match its Content-Encoding.
    """
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge(url, limit, size=int(declared), status=response.status_code)
    if response.is_stream_consumed:
        # Made in memory with ``content=`` (a test's mock): httpx decoded it whole when it was made.
        if len(response.content) > limit:
            raise TooLarge(url, limit, status=response.status_code)
        return response.content
    layers = _inflaters(url, response)
    chunks: list[bytes] = []
    size = 0
    async for raw in response.aiter_raw():
        chunk = raw
        for layer in layers[:-1]:
            chunk = layer.inflate(chunk)
        if layers:
            chunk = layers[-1].inflate(chunk, max_length=limit - size + 1)
        size += len(chunk)
        if size > limit:
            raise TooLarge(url, limit, status=response.status_code)
        chunks.append(chunk)
    for layer in layers:
        if not layer.complete:
            reason = f"the body ended before its {layer.coding} stream did"
            raise FetchError(url, reason, status=response.status_code, transient=True)
    return b"".join(chunks)


def _inflaters(url: str, response: httpx.Response) -> list[_Inflater]:
    """The decoders for ``response``'s Content-Encoding, the one to apply first first.

    Raises:
        FetchError: a compression in :data:`UNDECODED_CODINGS`.
    """
    layers: list[_Inflater] = []
    for token in response.headers.get_list("Content-Encoding", split_commas=True):
        coding = token.strip().lower()
        if coding in CODING_WBITS:
            layers.append(_Inflater(coding))
        elif coding in UNDECODED_CODINGS:
            reason = f"the body is compressed as {coding!r}, which we do not accept ({ACCEPT_ENCODING} only)"
            raise FetchError(url, reason, status=response.status_code)
    # Codings are listed in the order they were applied: undo the last one first.
    return layers[::-1]


GZIP_MAGIC = b"\x1f\x8b"
"""The first bytes of a gzip member (RFC 1952)."""


class _Inflater:
    """Undoes one gzip or deflate layer with zlib, and knows whether its stream reached its end.

    ``inflate`` raises ``httpx.DecodingError`` for bytes that are not what the coding says, so
    :func:`_translate_errors` reports them like httpx's own decoders would.
    """

    def __init__(self, coding: str) -> None:
        self.coding = "gzip" if coding == "x-gzip" else coding
        self._zlib = zlib.decompressobj(CODING_WBITS[coding])
        self._started = False

    def inflate(self, data: bytes, max_length: int = 0) -> bytes:
        """The bytes ``data`` inflates to, at most ``max_length`` of them (0: all).

        Past ``max_length`` the rest of ``data`` is left unread: the caller stops there anyway.
        A gzip member followed by another is read on into it (RFC 1952 allows several; browsers and
        Python's gzip read them all, httpx only the first); other bytes after the end are ignored.
        """
        if not data:
            return b""
        first, self._started = not self._started, True
        try:
            try:
                out = self._zlib.decompress(data, max_length)
            except zlib.error:
                if not (first and self.coding == "deflate"):
                    raise
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                out = self._zlib.decompress(data, max_length)
            while (
                self.coding == "gzip"
                and self._zlib.eof
                and self._zlib.unused_data.startswith(GZIP_MAGIC)
                and not (max_length and len(out) >= max_length)
            ):
                rest = self._zlib.unused_data
                self._zlib = zlib.decompressobj(CODING_WBITS["gzip"])
                out += self._zlib.decompress(rest, max_length - len(out) if max_length else 0)
            return out
        except zlib.error as exc:
            raise httpx.DecodingError(f"{self.coding}: {exc}") from exc

    @property
    def complete(self) -> bool:
        """Whether the stream reached its end (its gzip trailer checked), or never began (empty body)."""
        return not self._started or self._zlib.eof


async def _read_quietly(response: httpx.Response, limit: int) -> None:
    """Read and drop up to ``limit`` bytes of a body nobody needs (errors, redirects, non-pages).

    The bytes are not decompressed: nobody reads them, and a broken gzip error page must not hide
    the status it came with.
    """
    if response.is_stream_consumed:  # made in memory, already read
        return
    size = 0
    async for chunk in response.aiter_raw():
        size += len(chunk)
        if size > limit:
            return


_TIMEOUTS = {
    httpx.ConnectTimeout: "connect timeout",
    httpx.ReadTimeout: "read timeout",
    httpx.WriteTimeout: "write timeout",
    httpx.PoolTimeout: "timed out waiting for a free connection",
}


@contextmanager
def _translate_errors(url: str) -> Iterator[None]:
    """THE place httpx exceptions become ``FetchError``s, most specific first, ``from`` the original.

    Timeouts, network errors and a server dropping the connection are transient (retried);
    a body that does not match its Content-Encoding, a proxy refusal or anything else httpx raises
    is not. ``StreamError``s are bugs in our code and are left alone.
    """
    try:
        yield
    except httpx.TimeoutException as exc:
        raise FetchError(url, _TIMEOUTS.get(type(exc), "timeout"), transient=True) from exc
    except httpx.NetworkError as exc:
        raise FetchError(url, f"network error: {_said(exc)}", transient=True) from exc
    except httpx.RemoteProtocolError as exc:
        if str(exc).startswith("Invalid URL in location header"):  # httpx reading a redirect
            raise FetchError(url, f"bad redirect: {_said(exc)}") from exc
        raise FetchError(url, f"server broke the connection: {_said(exc)}", transient=True) from exc
    except httpx.DecodingError as exc:
        raise FetchError(url, f"body does not match its Content-Encoding: {_said(exc)}") from exc
    except httpx.HTTPError as exc:
        raise FetchError(url, f"{type(exc).__name__}: {_said(exc)}") from exc
    except httpx.InvalidURL as exc:  # the URL asked for was checked: a redirect's Location is bad
        raise FetchError(url, f"bad redirect: the Location is no http(s) URL: {_said(exc)}") from exc


_SAID_CHARS = 200
"""Characters of an exception's text a failure shows: a parser error can quote the whole buffer it
choked on (a page of HTML), which would fill the log and the summary."""


def _said(exc: BaseException) -> str:
    """An exception's text on one line, cut to :data:`_SAID_CHARS`."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= _SAID_CHARS else text[: _SAID_CHARS - 1] + "…"
