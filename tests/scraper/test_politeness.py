"""Tests for scraper/politeness.py: robots.txt, per-host pacing and concurrency, Retry-After pauses.

Time is a fake clock: the tests assert the waits politeness asks for, and never sleep.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from scraper.client import build_client, fetch
from scraper.errors import Blocked, FetchError
from scraper.politeness import (
    DEADLINE_EXTENSION,
    HostLimiter,
    PoliteTransport,
    host_key,
    parse_retry_after,
)
from scraper.settings import Settings

SITE = "https://www.example.gov"
NOW = datetime(2016, 7, 1, 12, tzinfo=UTC)

MockHandler = (
    Callable[[httpx.Request], httpx.Response]
    | Callable[[httpx.Request], Coroutine[None, None, httpx.Response]]
)

if TYPE_CHECKING:
    from conftest import FakeClock


class FakeSite:
    """A MockTransport handler: robots.txt text (or status), pages elsewhere; logs (clock time, path)."""

    def __init__(self, clock: FakeClock, robots: str | int | Exception = 404) -> None:
        self.clock = clock
        self.robots = robots
        self.log: list[tuple[float, str]] = []
        self.pages: dict[str, httpx.Response] = {}

    def times(self, path_prefix: str = "/") -> list[float]:
        """Clock times of requests whose path starts with ``path_prefix`` (robots.txt excluded)."""
        return [t for t, p in self.log if p.startswith(path_prefix) and p != "/robots.txt"]

    def count(self, path: str) -> int:
        """How many requests asked for ``path``."""
        return sum(1 for _, p in self.log if p == path)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.log.append((self.clock.monotonic(), request.url.path))
        if request.url.path == "/robots.txt":
            if isinstance(self.robots, Exception):
                raise self.robots
            if isinstance(self.robots, int):
                return httpx.Response(self.robots, text="robots error page")
            return httpx.Response(200, text=self.robots, headers={"Content-Type": "text/plain"})
        return self.pages.get(request.url.path) or httpx.Response(200, html="<p>page</p>")


def _settings(**kwargs: object) -> Settings:
    return Settings.model_validate({"delay": 0, **kwargs})


async def _get_all(
    handler: MockHandler, clock: FakeClock, urls: list[str], *, concurrent: bool = False, **kwargs: object
) -> list[Any]:
    """Fetch ``urls`` through PoliteTransport(MockTransport(handler)); return results or errors."""
    settings = _settings(**kwargs)
    transport = PoliteTransport(httpx.MockTransport(handler), settings=settings, clock=clock)
    async with build_client(settings, transport=transport) as client:

        async def one(url: str) -> object:
            try:
                return await fetch(client, url, settings=settings, clock=clock)
            except (Blocked, FetchError) as exc:
                return exc

        if concurrent:
            async with asyncio.timeout(5):  # a deadlock fails the test instead of hanging it
                return list(await asyncio.gather(*(one(u) for u in urls)))
        return [await one(u) for u in urls]


# -- pure helpers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 5 ", 5.0),
        ("1.5", 1.5),
        ("0", 0.0),
        ("Fri, 01 Jul 2016 12:00:30 GMT", 30.0),
        ("Fri, 01 Jul 2016 11:00:00 GMT", 0.0),
        ("-5", None),
        ("inf", None),
        ("nan", None),
        ("tomorrow", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    """Delay-seconds and HTTP-dates become seconds from now; junk becomes None."""
    assert parse_retry_after(value, now=NOW) == expected


def test_host_key_counts_http_and_https_together_but_ports_apart() -> None:
    """One budget per server: scheme and default ports do not split it, other ports do."""
    assert host_key("http://Example.gov/a") == host_key("https://example.gov:443/b") == "example.gov"
    assert host_key("http://127.0.0.1:8080/") == "127.0.0.1:8080"


def test_limiter_rejects_nonsense() -> None:
    """Zero concurrency or a negative delay is a caller mistake."""
    with pytest.raises(ValueError, match="concurrency"):
        HostLimiter(concurrency=0, delay=1)
    with pytest.raises(ValueError, match="delay"):
        HostLimiter(concurrency=1, delay=-1)


async def test_limiter_spaces_starts_per_host(fake_clock: FakeClock) -> None:
    """Starts on one host are ``delay`` apart; another host is not held back."""
    limiter = HostLimiter(concurrency=5, delay=2.0, clock=fake_clock)
    starts = []
    for host in ("a", "a", "b", "a"):
        await limiter.acquire(host)
        starts.append((host, fake_clock.monotonic()))
        limiter.release(host)
    assert starts == [("a", 1000.0), ("a", 1002.0), ("b", 1002.0), ("a", 1004.0)]


async def test_limiter_pause_holds_the_host(fake_clock: FakeClock) -> None:
    """A pause delays the next start on that host until it ends."""
    limiter = HostLimiter(concurrency=1, delay=0.0, clock=fake_clock)
    limiter.pause("a", 30)
    await limiter.acquire("a")
    assert fake_clock.monotonic() == 1030.0
    limiter.release("a")


async def test_limiter_raise_delay_only_lengthens(fake_clock: FakeClock) -> None:
    """Crawl-delay can make the spacing longer, never shorter."""
    limiter = HostLimiter(concurrency=1, delay=3.0, clock=fake_clock)
    limiter.raise_delay("a", 1.0)
    assert limiter.delay("a") == 3.0
    limiter.raise_delay("a", 7.0)
    assert limiter.delay("a") == 7.0


# -- pacing and concurrency through the transport --------------------------------------------


async def test_delay_spaces_request_starts(fake_clock: FakeClock) -> None:
    """With delay=2 three fetches of one host start 2 s apart (by the fake clock)."""
    site = FakeSite(fake_clock)
    await _get_all(site, fake_clock, [f"{SITE}/p{i}" for i in range(3)], delay=2.0, obey_robots=False)
    assert site.times() == [1000.0, 1002.0, 1004.0]


async def test_delay_spaces_concurrent_starts_too(fake_clock: FakeClock) -> None:
    """Workers racing for one host still start ``delay`` apart."""
    site = FakeSite(fake_clock)
    urls = [f"{SITE}/p{i}" for i in range(4)]
    await _get_all(site, fake_clock, urls, concurrent=True, delay=1.5, concurrency=4, obey_robots=False)
    times = sorted(site.times())
    assert [b - a for a, b in itertools.pairwise(times)] == [1.5, 1.5, 1.5]


class _Counting:
    """Counts requests in flight per host, from sending until the body is closed."""

    def __init__(self) -> None:
        self.in_flight: dict[str, int] = {}
        self.peak: dict[str, int] = {}

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        self.in_flight[host] = self.in_flight.get(host, 0) + 1
        self.peak[host] = max(self.peak.get(host, 0), self.in_flight[host])
        for _ in range(3):
            await asyncio.sleep(0)  # let other workers try to get in
        return httpx.Response(200, headers={"Content-Type": "text/html"}, stream=_SlowBody(self, host))


class _SlowBody(httpx.AsyncByteStream):
    """A body that yields to the event loop between chunks and reports its close."""

    def __init__(self, counter: _Counting, host: str) -> None:
        self.counter, self.host = counter, host

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(3):
            await asyncio.sleep(0)
            yield b"<p>x</p>"

    async def aclose(self) -> None:
        self.counter.in_flight[self.host] -= 1


async def test_concurrency_is_capped_per_host_until_the_body_closes(fake_clock: FakeClock) -> None:
    """Ten workers on each of two hosts never have more than two requests open per host."""
    counter = _Counting()
    urls = [f"https://{host}/p{i}" for i in range(10) for host in ("a.example.gov", "b.example.gov")]
    results = await _get_all(counter, fake_clock, urls, concurrent=True, concurrency=2, obey_robots=False)
    assert all(r.content == b"<p>x</p>" * 3 for r in results)
    assert counter.peak == {"a.example.gov": 2, "b.example.gov": 2}
    assert counter.in_flight == {"a.example.gov": 0, "b.example.gov": 0}


async def test_retry_after_pauses_the_whole_host(fake_clock: FakeClock) -> None:
    """A 429 with Retry-After holds back the next request to that host, whoever sends it."""
    site = FakeSite(fake_clock)
    site.pages["/busy"] = httpx.Response(429, headers={"Retry-After": "30"})
    settings = _settings(obey_robots=False)
    transport = PoliteTransport(httpx.MockTransport(site), settings=settings, clock=fake_clock)
    async with httpx.AsyncClient(transport=transport) as client:
        assert (await client.get(f"{SITE}/busy")).status_code == 429
        await client.get("https://other.example.gov/free")
        assert fake_clock.sleeps == []  # another host is not paused
        await client.get(f"{SITE}/next")
    assert fake_clock.sleeps == [30.0]
    assert site.times("/next") == [1030.0]


async def test_retry_after_pause_is_capped(fake_clock: FakeClock) -> None:
    """A pause is never longer than retry_after_cap."""
    site = FakeSite(fake_clock)
    site.pages["/busy"] = httpx.Response(503, headers={"Retry-After": "86400"})
    settings = _settings(obey_robots=False, retry_after_cap=60)
    transport = PoliteTransport(httpx.MockTransport(site), settings=settings, clock=fake_clock)
    async with httpx.AsyncClient(transport=transport) as client:
        await client.get(f"{SITE}/busy")
        await client.get(f"{SITE}/next")
    assert fake_clock.sleeps == [60.0]


# -- robots.txt --------------------------------------------------------------------------------

ROBOTS = """\
User-agent: *
Disallow: /private

User-agent: otherbot
Disallow: /
"""


async def test_robots_disallow_raises_blocked_without_requesting_the_page(fake_clock: FakeClock) -> None:
    """A disallowed URL is Blocked and never sent; allowed ones are fetched."""
    site = FakeSite(fake_clock, robots=ROBOTS)
    blocked, allowed = await _get_all(site, fake_clock, [f"{SITE}/private/x", f"{SITE}/public"])
    assert isinstance(blocked, Blocked)
    assert "disallowed by https://www.example.gov/robots.txt" in str(blocked)
    assert allowed.status == 200
    assert site.count("/private/x") == 0


async def test_robots_group_for_our_token_applies(fake_clock: FakeClock) -> None:
    """A group naming topicscrape wins over the * group."""
    site = FakeSite(
        fake_clock, robots="User-agent: *\nDisallow:\n\nUser-agent: topicscrape\nDisallow: /keywords\n"
    )
    (result,) = await _get_all(site, fake_clock, [f"{SITE}/keywords/x"])
    assert isinstance(result, Blocked)


async def test_robots_is_fetched_once_per_origin_with_our_user_agent(fake_clock: FakeClock) -> None:
    """Many pages, concurrent workers: one robots.txt request, carrying our User-Agent."""
    seen: list[httpx.Request] = []
    site = FakeSite(fake_clock, robots=ROBOTS)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return site(request)

    await _get_all(handler, fake_clock, [f"{SITE}/p{i}" for i in range(6)], concurrent=True)
    robots = [r for r in seen if r.url.path == "/robots.txt"]
    assert len(robots) == 1
    assert robots[0].headers["User-Agent"].startswith("topicscrape/")


async def test_robots_fetch_cannot_deadlock_with_one_slot(fake_clock: FakeClock) -> None:
    """concurrency=1 and a cold robots cache: every worker still gets through."""
    site = FakeSite(fake_clock, robots=ROBOTS)
    results = await _get_all(
        site, fake_clock, [f"{SITE}/p{i}" for i in range(5)], concurrent=True, concurrency=1
    )
    assert [r.status for r in results] == [200] * 5


@pytest.mark.parametrize("status", [401, 403, 404, 410])
async def test_missing_robots_allows_everything(fake_clock: FakeClock, status: int) -> None:
    """A 4xx robots.txt (other than 429) means no rules (RFC 9309 §2.3.1.3), once for the origin."""
    site = FakeSite(fake_clock, robots=status)
    results = await _get_all(site, fake_clock, [f"{SITE}/a", f"{SITE}/b"])
    assert [r.status for r in results] == [200, 200]
    assert site.count("/robots.txt") == 1


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_robots_server_error_is_retried_then_fails_transiently(
    fake_clock: FakeClock, status: int
) -> None:
    """A 5xx/429 robots.txt disallows the page for now (RFC 9309 §2.3.1.4): each try asks again,
    and the last failure is transient, naming the host, not a Blocked."""
    site = FakeSite(fake_clock, robots=status)
    (result,) = await _get_all(site, fake_clock, [f"{SITE}/a"], max_attempts=3)
    assert isinstance(result, FetchError)
    assert not isinstance(result, Blocked)
    assert result.transient
    assert result.url == f"{SITE}/a"
    assert result.reason == f"robots.txt of www.example.gov answered {status}: try again later with --resume"
    assert site.count("/robots.txt") == 3
    assert site.count("/a") == 0


async def test_robots_server_error_is_not_remembered(fake_clock: FakeClock) -> None:
    """A request after a failed robots.txt asks again, and goes through once it answers."""
    site = FakeSite(fake_clock, robots=503)
    settings = _settings(max_attempts=1)
    transport = PoliteTransport(httpx.MockTransport(site), settings=settings, clock=fake_clock)
    async with build_client(settings, transport=transport) as client:
        with pytest.raises(FetchError, match="answered 503"):
            await fetch(client, f"{SITE}/a", settings=settings, clock=fake_clock)
        site.robots = ROBOTS
        fetched = await fetch(client, f"{SITE}/a", settings=settings, clock=fake_clock)
        with pytest.raises(Blocked):  # the rules now come from the file, and are kept
            await fetch(client, f"{SITE}/private/x", settings=settings, clock=fake_clock)
    assert fetched.status == 200
    assert site.count("/robots.txt") == 2


async def test_robots_retry_after_is_waited_out_then_the_page_is_fetched(fake_clock: FakeClock) -> None:
    """robots.txt answering 503 with Retry-After pauses the host by the clock; the retry reads it."""
    answers = [httpx.Response(503, headers={"Retry-After": "7"}, text="busy")]
    site = FakeSite(fake_clock, robots=ROBOTS)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt" and answers:
            site.log.append((fake_clock.monotonic(), "/robots.txt"))
            return answers.pop(0)
        return site(request)

    (result,) = await _get_all(handler, fake_clock, [f"{SITE}/a"])
    assert result.status == 200
    assert result.attempts == 2
    assert fake_clock.sleeps == [7.0]
    assert [t for t, p in site.log if p == "/robots.txt"] == [1000.0, 1007.0]
    assert site.times("/a") == [1007.0]


async def test_requests_waiting_for_a_failing_robots_share_its_answer(fake_clock: FakeClock) -> None:
    """Workers queued behind one robots.txt request all fail with its 503; none asks again."""
    site = FakeSite(fake_clock, robots=503)

    async def handler(request: httpx.Request) -> httpx.Response:
        for _ in range(3):
            await asyncio.sleep(0)  # the answer takes a while: the other workers queue up meanwhile
        return site(request)

    urls = [f"{SITE}/p{i}" for i in range(4)]
    results = await _get_all(handler, fake_clock, urls, concurrent=True, max_attempts=1)
    assert all(isinstance(r, FetchError) and r.transient for r in results)
    assert site.count("/robots.txt") == 1


async def test_waiting_for_the_host_stops_the_whole_answer_deadline(fake_clock: FakeClock) -> None:
    """A request's deadline does not run while politeness holds it back, and runs on once it is sent."""
    site = FakeSite(fake_clock, robots=ROBOTS)
    settings = _settings(delay=5.0)
    transport = PoliteTransport(httpx.MockTransport(site), settings=settings, clock=fake_clock)
    while_waiting: list[float | None] = []
    async with asyncio.timeout(60) as deadline:
        real_sleep = fake_clock.sleep

        async def sleep(seconds: float) -> None:
            while_waiting.append(deadline.when())
            await real_sleep(seconds)

        fake_clock.sleep = sleep  # type: ignore[method-assign]
        for path in ("/a", "/b"):
            request = httpx.Request("GET", f"{SITE}{path}", extensions={DEADLINE_EXTENSION: deadline})
            response = await transport.handle_async_request(request)
            await response.aclose()
        when_sent = deadline.when()
    assert fake_clock.sleeps == [5.0, 5.0]  # /a waits after robots.txt, /b after /a
    assert while_waiting == [None, None]
    assert when_sent is not None


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (httpx.ConnectError("connection refused"), "could not be read (network error: connection refused)"),
        (httpx.ReadTimeout("timed out"), "could not be read (read timeout)"),
    ],
)
async def test_an_unreachable_robots_txt_is_named_as_the_cause(
    fake_clock: FakeClock, error: Exception, said: str
) -> None:
    """An unreachable robots.txt disallows for now (RFC 9309 §2.3.1.4) and is not cached: each try
    asks again, and the page's transient failure names robots.txt, not the page, as the cause."""
    site = FakeSite(fake_clock, robots=error)
    (result,) = await _get_all(site, fake_clock, [f"{SITE}/a"], max_attempts=3)
    assert isinstance(result, FetchError)
    assert result.transient
    assert result.reason == f"robots.txt of www.example.gov {said}: try again later with --resume"
    assert site.count("/robots.txt") == 3
    assert site.count("/a") == 0


async def test_robots_redirect_is_followed(fake_clock: FakeClock) -> None:
    """robots.txt behind a redirect (http → https, say) is still read."""
    site = FakeSite(fake_clock, robots=301)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            site.log.append((fake_clock.monotonic(), "/robots.txt"))
            return httpx.Response(301, headers={"Location": "/real-robots.txt"})
        if request.url.path == "/real-robots.txt":
            return httpx.Response(200, text="User-agent: *\nDisallow: /x\n")
        return site(request)

    blocked, ok = await _get_all(handler, fake_clock, [f"{SITE}/x", f"{SITE}/y"])
    assert isinstance(blocked, Blocked)
    assert ok.status == 200


async def test_crawl_delay_lengthens_the_spacing(fake_clock: FakeClock) -> None:
    """Crawl-delay 5 with delay 1: pages start 5 s apart, the first 5 s after robots.txt."""
    site = FakeSite(fake_clock, robots="User-agent: *\nCrawl-delay: 5\n")
    await _get_all(site, fake_clock, [f"{SITE}/p{i}" for i in range(3)], delay=1.0)
    robots_at = next(t for t, p in site.log if p == "/robots.txt")
    assert site.times() == [robots_at + 5, robots_at + 10, robots_at + 15]


async def test_crawl_delay_is_capped(fake_clock: FakeClock) -> None:
    """An absurd Crawl-delay is cut to max_crawl_delay."""
    site = FakeSite(fake_clock, robots="User-agent: *\nCrawl-delay: 3600\n")
    await _get_all(site, fake_clock, [f"{SITE}/p{i}" for i in range(2)], max_crawl_delay=60)
    first, second = site.times()
    assert second - first == 60


async def test_crawl_delay_never_shortens_our_delay(fake_clock: FakeClock) -> None:
    """Our own delay stays when robots.txt asks for less."""
    site = FakeSite(fake_clock, robots="User-agent: *\nCrawl-delay: 1\n")
    await _get_all(site, fake_clock, [f"{SITE}/p{i}" for i in range(2)], delay=4.0)
    first, second = site.times()
    assert second - first == 4


async def test_no_robots_skips_the_robots_request(fake_clock: FakeClock) -> None:
    """obey_robots=False never asks for robots.txt and fetches disallowed paths."""
    site = FakeSite(fake_clock, robots=ROBOTS)
    (result,) = await _get_all(site, fake_clock, [f"{SITE}/private/x"], obey_robots=False)
    assert result.status == 200
    assert site.count("/robots.txt") == 0


async def test_robots_txt_itself_is_not_checked_against_robots(fake_clock: FakeClock) -> None:
    """Asking for /robots.txt directly never recurses into a robots lookup."""
    site = FakeSite(fake_clock, robots="User-agent: *\nDisallow: /\n")
    settings = _settings()
    transport = PoliteTransport(httpx.MockTransport(site), settings=settings, clock=fake_clock)
    async with httpx.AsyncClient(transport=transport) as client:
        response = await client.get(f"{SITE}/robots.txt")
    assert response.status_code == 200
    assert site.count("/robots.txt") == 1


async def test_garbled_robots_body_allows_everything(fake_clock: FakeClock) -> None:
    """A robots.txt whose gzip is broken has no valid lines, so nothing is disallowed."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(
                200, headers={"Content-Encoding": "gzip"}, stream=httpx.ByteStream(b"not gzip")
            )
        return httpx.Response(200, html="<p>page</p>")

    (result,) = await _get_all(handler, fake_clock, [f"{SITE}/a"])
    assert result.status == 200
