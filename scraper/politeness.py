"""Politeness: robots.txt, per-host pacing and concurrency, and ``Retry-After``, as an httpx transport.

:class:`PoliteTransport` wraps the transport that does the I/O (``PoliteTransport(AsyncHTTPTransport())``)
so every request a crawl makes, from any number of workers sharing one client, passes through:

1. **robots.txt** (RFC 9309, read by protego as Scrapy reads it). Fetched once per origin through the
   inner transport, cached for :data:`ROBOTS_CACHE_TTL`. A disallowed URL raises
   :class:`~scraper.errors.Blocked`. Missing (4xx) means allow all. A server error (5xx, or 429)
   means disallow all for now, as RFC 9309 §2.3.1.4 requires: the request fails with a *transient*
   :class:`~scraper.errors.FetchError` ("robots.txt of HOST answered 503: try again later"), so
   ``fetch`` retries it like any server error (backoff, and the host paused for the answer's
   ``Retry-After``), each retry asking for robots.txt again, and a crawl's ``--resume`` tries the
   page again later. Requests already waiting for that robots.txt share the failed answer; later
   ones ask afresh. A network error fetching robots.txt is not cached either: it propagates as the
   request's own network error, so the caller's retries cover it. ``Crawl-delay`` raises the
   host's delay (never lowers it), up to ``Settings.max_crawl_delay``.
2. **Pacing** (:class:`HostLimiter`): at most ``concurrency`` requests in flight per host, counted
   until the response body is closed, and at least ``delay`` seconds between two request starts.
3. **Retry-After**: a 429 or 503 carrying ``Retry-After`` pauses the whole host (every worker) for
   that long, capped by ``Settings.retry_after_cap``. The caller's own retry then waits here.

The robots.txt request is paced like any other but never holds a slot while waiting for robots.txt,
so it cannot deadlock even with ``concurrency=1``.

Waiting for a turn does not count against the request's whole-answer deadline
(:data:`DEADLINE_EXTENSION`, set by ``scraper.client``): the deadline stops while the request waits
for its host, and runs on when the request goes out.

Time comes from a :class:`Clock`, so tests drive a fake clock and never sleep.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import math
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import httpx
from protego import Protego

from scraper.errors import Blocked, FetchError
from scraper.settings import Settings

__all__ = [
    "DEADLINE_EXTENSION",
    "ROBOTS_CACHE_TTL",
    "ROBOTS_MAX_BYTES",
    "ROBOTS_MAX_REDIRECTS",
    "SYSTEM_CLOCK",
    "Clock",
    "HostLimiter",
    "PacedTransport",
    "PoliteTransport",
    "RobotsCache",
    "RobotsRules",
    "SystemClock",
    "host_key",
    "parse_retry_after",
]

logger = logging.getLogger(__name__)

ROBOTS_CACHE_TTL = 24 * 3600.0
"""RFC 9309 §2.4: a cached robots.txt SHOULD NOT be used for more than 24 hours."""

ROBOTS_MAX_BYTES = 500 * 1024
"""RFC 9309 §2.5: crawlers MUST parse at least 500 KiB; anything past it is ignored."""

ROBOTS_MAX_REDIRECTS = 5
"""RFC 9309 §2.3.1.2: follow at least five redirects, then treat robots.txt as unavailable."""

RETRY_AFTER_STATUSES = frozenset({429, 503})
"""Statuses whose ``Retry-After`` pauses the host (RFC 9110 §10.2.3, RFC 6585 §4)."""

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

DEADLINE_EXTENSION = "topicscrape.deadline"
"""Request extension holding the ``asyncio.Timeout`` that bounds one whole answer (``scraper.client``
sets it from ``Settings.total_timeout``). Politeness stops it while the request waits for its turn:
a wait we impose on ourselves (delay, Crawl-delay, another worker's Retry-After) is not the server
being slow."""


class Clock(Protocol):
    """Where time comes from: the system in production, a fake in tests."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back; only differences matter."""
        ...

    def now(self) -> datetime:
        """The current wall-clock time, timezone-aware UTC (for ``fetched_at`` and HTTP dates)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` without blocking the event loop."""
        ...


class SystemClock:
    """The real clock: ``time.monotonic``, ``datetime.now(UTC)`` and ``asyncio.sleep``."""

    def monotonic(self) -> float:
        """Seconds from ``time.monotonic``."""
        return time.monotonic()

    def now(self) -> datetime:
        """Now, in UTC."""
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        """``asyncio.sleep``; negative waits return at once."""
        await asyncio.sleep(max(0.0, seconds))


SYSTEM_CLOCK: Clock = SystemClock()


@contextmanager
def _deadline_stopped(request: httpx.Request) -> Iterator[None]:
    """Stop ``request``'s whole-answer deadline (:data:`DEADLINE_EXTENSION`), if any, for the block.

    The time left is kept: the deadline runs on from there afterwards.
    """
    deadline = request.extensions.get(DEADLINE_EXTENSION)
    if not isinstance(deadline, asyncio.Timeout) or (when := deadline.when()) is None:
        yield
        return
    loop = asyncio.get_running_loop()
    left = when - loop.time()
    deadline.reschedule(None)
    try:
        yield
    finally:
        deadline.reschedule(loop.time() + left)


def host_key(url: httpx.URL | str) -> str:
    """The key politeness is counted by: the host, plus the port when it is not the scheme's default.

    http and https on the same host share one budget: it is the same server.

    >>> host_key("https://WWW.DHS.gov/keywords?page=1")
    'www.dhs.gov'
    >>> host_key("http://127.0.0.1:8080/")
    '127.0.0.1:8080'
    """
    parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
    host = parsed.host.lower()
    return f"{host}:{parsed.port}" if parsed.port is not None else host


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds to wait according to a ``Retry-After`` value: delay-seconds or an HTTP-date.

    Returns None when the value is missing or unreadable (the caller then falls back to backoff).
    A date in the past means "now" (0.0). Fractional seconds are accepted though RFC 9110 only
    allows integers.

    >>> parse_retry_after("120", now=datetime(2016, 7, 1, 12, tzinfo=UTC))
    120.0
    >>> parse_retry_after("Fri, 01 Jul 2016 12:00:30 GMT", now=datetime(2016, 7, 1, 12, tzinfo=UTC))
    30.0
    >>> parse_retry_after("soon", now=datetime(2016, 7, 1, 12, tzinfo=UTC)) is None
    True
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; the parser leaves "-0000" naive
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


@dataclass
class _HostState:
    """Pacing state of one host (mutable, owned by one :class:`HostLimiter`)."""

    slots: asyncio.Semaphore
    delay: float
    next_start: float = -math.inf
    paused_until: float = -math.inf


class HostLimiter:
    """Per-host concurrency cap, minimum spacing of request starts, and pauses.

    One instance is shared by every worker of a crawl. ``acquire`` waits for a free slot, then for
    the host's next allowed start time (re-checked after each wait, so a pause set meanwhile is
    honoured); ``release`` frees the slot.

    Keys are plain strings: a host (:func:`host_key`) for crawling, or any name a caller paces by,
    such as one endpoint of an API with its own budget (see :class:`PacedTransport`).

    Args:
        concurrency: most requests in flight per host.
        delay: least seconds between two request starts on one host.
        clock: time source.
        delays: spacing for particular keys, instead of ``delay``.
    """

    def __init__(
        self,
        *,
        concurrency: int,
        delay: float,
        clock: Clock = SYSTEM_CLOCK,
        delays: Mapping[str, float] | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if delay < 0 or any(value < 0 for value in (delays or {}).values()):
            raise ValueError("delay must not be negative")
        self._concurrency = concurrency
        self._default_delay = delay
        self._delays = dict(delays or {})
        self._clock = clock
        self._hosts: dict[str, _HostState] = {}

    def _state(self, host: str) -> _HostState:
        """The host's state, created on first use."""
        state = self._hosts.get(host)
        if state is None:
            state = _HostState(
                slots=asyncio.Semaphore(self._concurrency), delay=self._delays.get(host, self._default_delay)
            )
            self._hosts[host] = state
        return state

    def delay(self, host: str) -> float:
        """The spacing currently enforced for ``host``."""
        return self._state(host).delay

    def raise_delay(self, host: str, delay: float) -> None:
        """Make ``host``'s spacing at least ``delay`` seconds (robots.txt ``Crawl-delay``).

        The request scheduled next is pushed back too, so it starts ``delay`` after the last one.
        """
        state = self._state(host)
        if delay > state.delay:
            state.next_start += delay - state.delay
            state.delay = delay

    def pause(self, host: str, seconds: float) -> None:
        """Let no request to ``host`` start for ``seconds`` from now (``Retry-After``)."""
        state = self._state(host)
        state.paused_until = max(state.paused_until, self._clock.monotonic() + seconds)

    async def acquire(self, host: str) -> None:
        """Wait until a request to ``host`` may start, and take a slot. Pair with :meth:`release`."""
        state = self._state(host)
        await state.slots.acquire()
        try:
            while True:
                now = self._clock.monotonic()
                start = max(state.next_start, state.paused_until)
                if start <= now:
                    state.next_start = now + state.delay
                    return
                await self._clock.sleep(start - now)
        except BaseException:
            state.slots.release()
            raise

    def release(self, host: str) -> None:
        """Give back the slot taken by :meth:`acquire`."""
        self._state(host).slots.release()


@dataclass(frozen=True)
class RobotsRules:
    """What one origin's robots.txt says, and until when we believe it.

    Attributes:
        robots_url: where it was read.
        parser: the parsed file; None when there is none (allow all) or it failed (see ``error``).
        error: why everything is disallowed for now (``"answered 503"``: a server error), or None.
        expires: ``Clock.monotonic()`` time after which to fetch it again (the time it was fetched,
            for an error: only the requests that were waiting for it share it).
    """

    robots_url: str
    parser: Protego | None
    error: str | None
    expires: float

    def allows(self, url: str, user_agent: str) -> bool:
        """Whether ``user_agent`` may fetch ``url``."""
        if self.error is not None:
            return False
        return self.parser is None or self.parser.can_fetch(url, user_agent)

    def crawl_delay(self, user_agent: str) -> float | None:
        """The ``Crawl-delay`` for ``user_agent``, if the file gives one."""
        return None if self.parser is None else self.parser.crawl_delay(user_agent)

    def reason(self) -> str:
        """Why a URL is refused: the ``Blocked`` message, or the transient error's when ``error`` is set."""
        if self.error is not None:
            return f"robots.txt of {host_key(self.robots_url)} {self.error}: try again later with --resume"
        return f"disallowed by {self.robots_url}"


class RobotsCache:
    """Fetches robots.txt once per origin (``scheme://host:port``) and remembers it.

    Concurrent requests to a new origin wait for a single fetch, and share its answer, a server
    error included; a request that comes after a server error asks again. The fetch goes through
    ``inner`` (below politeness, so it is not itself checked against robots.txt) but is paced by
    ``limiter``. It carries the triggering request's User-Agent, timeouts and deadline.

    Args:
        inner: the transport that does the I/O.
        limiter: paces the robots.txt requests with the rest of the host's.
        clock: time source.
        on_answer: called with the host and every robots.txt response, before its body is read
            (``PoliteTransport`` pauses the host on a ``Retry-After``).
    """

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        *,
        limiter: HostLimiter,
        clock: Clock = SYSTEM_CLOCK,
        on_answer: Callable[[str, httpx.Response], None] | None = None,
    ):
        self._inner = inner
        self._limiter = limiter
        self._clock = clock
        self._on_answer = on_answer
        self._rules: dict[str, RobotsRules] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._fetches: dict[str, int] = {}
        """robots.txt answers read per origin, so a waiter can tell one arrived while it waited."""

    async def rules_for(self, request: httpx.Request) -> tuple[RobotsRules, bool]:
        """The robots.txt rules for ``request``'s origin, and whether they were fetched just now.

        robots.txt that cannot be reached (a timeout, a refused connection) gives rules that
        disallow everything for now, with the reason (RFC 9309 §2.3.1.4), as a server error does.
        """
        url = request.url
        origin = f"{url.scheme}://{url.netloc.decode('ascii')}"
        lock = self._locks.setdefault(origin, asyncio.Lock())
        fetches = self._fetches.get(origin, 0)
        with _deadline_stopped(request):
            await lock.acquire()
        try:
            cached = self._rules.get(origin)
            answered_meanwhile = self._fetches.get(origin, 0) != fetches
            if cached is not None and (answered_meanwhile or cached.expires > self._clock.monotonic()):
                return cached, False
            rules = await self._fetch(f"{origin}/robots.txt", request)
            self._rules[origin] = rules
            self._fetches[origin] = self._fetches.get(origin, 0) + 1
            return rules, True
        finally:
            lock.release()

    async def _fetch(self, robots_url: str, trigger: httpx.Request) -> RobotsRules:
        """GET robots.txt (following up to five redirects) and turn the answer into rules."""
        headers = {"User-Agent": trigger.headers.get("User-Agent", ""), "Accept": "text/plain, */*;q=0.5"}
        url = httpx.URL(robots_url)
        for _ in range(ROBOTS_MAX_REDIRECTS + 1):
            request = httpx.Request("GET", url, headers=headers, extensions=dict(trigger.extensions))
            host = host_key(url)
            with _deadline_stopped(request):
                await self._limiter.acquire(host)
            try:
                response = await self._inner.handle_async_request(request)
                try:
                    if self._on_answer is not None:
                        self._on_answer(host, response)
                    status = response.status_code
                    location = response.headers.get("Location")
                    body = await _read_capped(response, ROBOTS_MAX_BYTES) if 200 <= status < 300 else b""
                except httpx.DecodingError:
                    body = b""  # a garbled file has no valid lines; RFC 9309 §2.2 ignores those
                finally:
                    await response.aclose()
            except httpx.TransportError as exc:
                # RFC 9309 §2.3.1.4: unreachable (a timeout, a refused connection, also at a
                # redirect's target) is as a server error: disallow all for now, and say so.
                logger.info("robots.txt at %s could not be read: %s", url, exc)
                return RobotsRules(
                    robots_url, None, f"could not be read ({_unreachable(exc)})", self._clock.monotonic()
                )
            finally:
                self._limiter.release(host)
            now = self._clock.monotonic()
            if status in REDIRECT_STATUSES and location:
                try:
                    url = url.join(location)
                except httpx.InvalidURL:
                    break
                continue
            if 200 <= status < 300:
                text = body.decode("utf-8", errors="replace").lstrip("\ufeff")
                return RobotsRules(robots_url, Protego.parse(text), None, now + ROBOTS_CACHE_TTL)
            if status == 429 or status >= 500:
                # RFC 9309 §2.3.1.4: assume disallow-all; the requests fail, transiently, until it answers.
                logger.info(
                    "robots.txt at %s answered HTTP %d: nothing fetched from it for now", robots_url, status
                )
                return RobotsRules(robots_url, None, f"answered {status}", now)
            # 4xx other than 429 (and odd statuses): "unavailable", RFC 9309 §2.3.1.3 allows everything.
            return RobotsRules(robots_url, None, None, now + ROBOTS_CACHE_TTL)
        # Too many (or broken) redirects: RFC 9309 lets us treat robots.txt as unavailable.
        return RobotsRules(robots_url, None, None, self._clock.monotonic() + ROBOTS_CACHE_TTL)


def _unreachable(exc: httpx.TransportError) -> str:
    """What went wrong reaching robots.txt, in a few words (``read timeout``, ``network error: …``)."""
    if isinstance(exc, httpx.TimeoutException):
        return {httpx.ConnectTimeout: "connect timeout", httpx.ReadTimeout: "read timeout"}.get(
            type(exc), "timeout"
        )
    said = " ".join(str(exc).split())[:120] or type(exc).__name__
    return f"network error: {said}" if isinstance(exc, httpx.NetworkError) else said


async def _read_capped(response: httpx.Response, limit: int) -> bytes:
    """The decoded body, cut off after ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return b"".join(chunks)[:limit]


class _ReleasingStream(httpx.AsyncByteStream):
    """A response body that calls ``on_close`` once when it is closed (frees the host slot)."""

    def __init__(self, inner: httpx.AsyncByteStream, on_close: Callable[[], None]) -> None:
        self._inner = inner
        self._on_close: Callable[[], None] | None = on_close

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            if self._on_close is not None:
                on_close, self._on_close = self._on_close, None
                on_close()


class PoliteTransport(httpx.AsyncBaseTransport):
    """An httpx transport that applies robots.txt, per-host pacing and ``Retry-After`` around ``inner``.

    Example:
        >>> transport = PoliteTransport(httpx.AsyncHTTPTransport(), settings=Settings(delay=2.0))

    Args:
        inner: the transport that does the I/O.
        settings: ``concurrency``, ``delay``, ``obey_robots``, ``max_crawl_delay``, ``retry_after_cap``.
        clock: time source (a fake in tests).
        limiter: share one limiter between several transports; by default one is made from settings.

    Raises (from ``handle_async_request``):
        Blocked: robots.txt disallows the URL.
        FetchError: (transient) robots.txt answered a server error or 429: try again later.
    """

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        *,
        settings: Settings,
        clock: Clock = SYSTEM_CLOCK,
        limiter: HostLimiter | None = None,
    ) -> None:
        self.inner = inner
        self.settings = settings
        self.clock = clock
        self.limiter = limiter or HostLimiter(
            concurrency=settings.concurrency, delay=settings.delay, clock=clock
        )
        self.robots = RobotsCache(inner, limiter=self.limiter, clock=clock, on_answer=self._note_retry_after)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Check robots.txt, wait for the host's turn, send, and hold the slot until the body closes."""
        host = host_key(request.url)
        if self.settings.obey_robots and request.url.path != "/robots.txt":
            await self._check_robots(request, host)
        with _deadline_stopped(request):
            await self.limiter.acquire(host)
        try:
            response = await self.inner.handle_async_request(request)
        except BaseException:
            self.limiter.release(host)
            raise
        self._note_retry_after(host, response)
        assert isinstance(response.stream, httpx.AsyncByteStream)
        limiter = self.limiter
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_ReleasingStream(response.stream, lambda: limiter.release(host)),
            extensions=response.extensions,
        )

    async def _check_robots(self, request: httpx.Request, host: str) -> None:
        """Raise ``Blocked`` if robots.txt disallows ``request``; apply a new ``Crawl-delay``.

        Raises:
            Blocked: robots.txt disallows the URL.
            FetchError: (transient) robots.txt answered a server error or 429.
        """
        rules, fresh = await self.robots.rules_for(request)
        user_agent = request.headers.get("User-Agent", "")
        if fresh:
            crawl_delay = rules.crawl_delay(user_agent)
            if crawl_delay is not None:
                if crawl_delay > self.settings.max_crawl_delay:
                    logger.warning(
                        "%s asks for Crawl-delay %g s; capping at %g s",
                        rules.robots_url,
                        crawl_delay,
                        self.settings.max_crawl_delay,
                    )
                self.limiter.raise_delay(host, min(crawl_delay, self.settings.max_crawl_delay))
        url = str(request.url)
        if rules.error is not None:
            raise FetchError(url, rules.reason(), transient=True)
        if not rules.allows(url, user_agent):
            raise Blocked(url, rules.reason())

    def _note_retry_after(self, host: str, response: httpx.Response) -> None:
        """Pause the host when the server says so (429/503 with ``Retry-After``)."""
        if response.status_code not in RETRY_AFTER_STATUSES:
            return
        wait = parse_retry_after(response.headers.get("Retry-After"), now=self.clock.now())
        if wait is not None:
            wait = min(wait, self.settings.retry_after_cap)
            logger.info("%s answered %d: pausing the host for %g s", host, response.status_code, wait)
            self.limiter.pause(host, wait)

    async def aclose(self) -> None:
        """Close the inner transport."""
        await self.inner.aclose()


class PacedTransport(httpx.AsyncBaseTransport):
    """Paces requests through a shared :class:`HostLimiter` by a key the caller chooses, for APIs.

    :class:`PoliteTransport` is for crawling sites: robots.txt, one budget per host. An API such as
    the Wayback Machine publishes a budget per endpoint instead (its CDX search and its captures have
    different limits) and enforces its own exclusions, so this transport only paces: ``key`` maps a
    request to the limiter key it counts against, and a 429 (or a 503 with ``Retry-After``) pauses
    every key in ``pause_keys`` for as long as the server asks, or ``default_retry_after`` seconds
    when a 429 does not say. The wait is not capped: a server that says when to come back is never
    asked sooner. The slot is held until the response body is closed.

    Example:
        >>> limiter = HostLimiter(concurrency=2, delay=0.125, delays={"api search": 2.5})
        >>> transport = PacedTransport(
        ...     httpx.AsyncHTTPTransport(),
        ...     limiter=limiter,
        ...     key=lambda r: "api search" if r.url.path.startswith("/search") else "api",
        ... )

    Args:
        inner: the transport that does the I/O.
        limiter: the limiter shared by every worker (its per-key ``delays`` set the budgets).
        key: the limiter key of a request; by default its :func:`host_key`.
        pause_keys: the keys a rate-limit answer to a request pauses; by default its own ``key``.
        default_retry_after: seconds to pause after a 429 without a readable ``Retry-After``; None
            leaves such a 429 to the caller's backoff.
        clock: time source.
    """

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        *,
        limiter: HostLimiter,
        key: Callable[[httpx.Request], str] | None = None,
        pause_keys: Callable[[httpx.Request], Iterable[str]] | None = None,
        default_retry_after: float | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.inner = inner
        self.limiter = limiter
        self._key: Callable[[httpx.Request], str] = key or (lambda request: host_key(request.url))
        self._pause_keys = pause_keys
        self.default_retry_after = default_retry_after
        self.clock = clock

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Wait for the key's turn, send, pause on a rate-limit answer, hold the slot until closed."""
        key = self._key(request)
        await self.limiter.acquire(key)
        try:
            response = await self.inner.handle_async_request(request)
        except BaseException:
            self.limiter.release(key)
            raise
        if response.status_code in RETRY_AFTER_STATUSES:
            wait = parse_retry_after(response.headers.get("Retry-After"), now=self.clock.now())
            if wait is None and response.status_code == 429:
                wait = self.default_retry_after
            if wait is not None:
                keys = list(self._pause_keys(request)) if self._pause_keys is not None else [key]
                logger.info("%s answered %d: pausing %s for %g s", key, response.status_code, keys, wait)
                for paused in keys:
                    self.limiter.pause(paused, wait)
        assert isinstance(response.stream, httpx.AsyncByteStream)
        limiter = self.limiter
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_ReleasingStream(response.stream, lambda: limiter.release(key)),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        """Close the inner transport."""
        await self.inner.aclose()
