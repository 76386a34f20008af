"""Tests for scraper/client.py over httpx.MockTransport: retries, waits, limits, redirects, errors."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from scraper.client import (
    ACCEPT,
    Fetched,
    FetchStats,
    build_client,
    build_transport,
    fetch,
    same_site,
    site_key,
)
from scraper.errors import (
    Blocked,
    FetchError,
    NotHtml,
    OffsiteRedirect,
    RateLimited,
    RedirectLoop,
    TooLarge,
)
from scraper.fixtures import ReplayTransport
from scraper.politeness import SYSTEM_CLOCK, Clock, PoliteTransport
from scraper.settings import DEFAULT_USER_AGENT, Settings

URL = "https://www.example.gov/keywords/topic"
PAGE = b"<html><body><h1>Topic</h1></body></html>"
HTML = {"Content-Type": "text/html; charset=utf-8"}

Handler = Callable[[httpx.Request], httpx.Response]

if TYPE_CHECKING:
    from conftest import FakeClock


def _settings(**kwargs: object) -> Settings:
    """Settings for unit tests: no delay, no robots (politeness has its own tests)."""
    return Settings.model_validate({"delay": 0, "obey_robots": False, **kwargs})


@dataclass(frozen=True)
class Answer:
    """A response to build afresh each time it is served (a streamed body can be read only once)."""

    status: int
    headers: dict[str, str]
    content: bytes

    def build(self) -> httpx.Response:
        """A response the client decodes itself, as from the network."""
        return httpx.Response(self.status, headers=self.headers, stream=httpx.ByteStream(self.content))


class Recorder:
    """A MockTransport handler that answers from a list in turn, repeating the last one forever."""

    def __init__(self, *answers: Answer | httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer.build() if isinstance(answer, Answer) else answer


async def _fetch(
    handler: Handler, url: str = URL, *, clock: Clock = SYSTEM_CLOCK, **kwargs: object
) -> Fetched:
    """Fetch ``url`` through ``handler`` with test settings (``kwargs`` go to Settings or fetch)."""
    fetch_kw = {k: kwargs.pop(k) for k in ("headers", "site", "stats") if k in kwargs}
    settings = _settings(**kwargs)
    async with build_client(settings, transport=httpx.MockTransport(handler)) as client:
        return await fetch(client, url, settings=settings, clock=clock, **fetch_kw)  # type: ignore[arg-type]


def _page(status: int = 200, content: bytes = PAGE, **headers: str) -> Answer:
    """An HTML answer; ``Retry_After="7"`` names a header."""
    return Answer(status, {**HTML, **{k.replace("_", "-"): v for k, v in headers.items()}}, content)


async def test_sends_our_user_agent_and_accept_headers() -> None:
    """Every request names topicscrape, asks for HTML, and offers gzip/deflate only."""
    handler = Recorder(_page())
    await _fetch(handler)
    sent = handler.requests[0].headers
    assert sent["User-Agent"] == DEFAULT_USER_AGENT
    assert sent["User-Agent"].startswith("topicscrape/")
    assert "+https://github.com/topicscrape/topicscrape" in sent["User-Agent"]
    assert sent["Accept"] == ACCEPT
    assert sent["Accept-Encoding"] == "gzip, deflate"


async def test_returns_the_page_with_its_metadata(fake_clock: FakeClock) -> None:
    """A 200 gives content, headers, final URL and the fetch time from the injected clock."""
    fetched = await _fetch(Recorder(_page(ETag='"v1"')), clock=fake_clock)
    assert fetched.content == PAGE
    assert fetched.status == 200
    assert fetched.url == fetched.final_url == URL
    assert fetched.content_type == "text/html; charset=utf-8"
    assert fetched.etag == '"v1"'
    assert fetched.fetched_at == datetime(2016, 7, 1, 12, tzinfo=UTC)
    assert fetched.redirects == ()
    assert fetched.attempts == 1
    assert not fetched.not_modified


async def test_decodes_gzip() -> None:
    """A gzip body comes back decompressed."""
    body = PAGE * 100
    fetched = await _fetch(Recorder(_page(content=gzip.compress(body), Content_Encoding="gzip")))
    assert fetched.content == body


async def test_retries_a_503_then_succeeds() -> None:
    """A 503 without Retry-After is retried with backoff; the stats count the retry."""
    handler = Recorder(_page(503), _page())
    stats = FetchStats()
    fetched = await _fetch(handler, stats=stats)
    assert fetched.status == 200
    assert fetched.attempts == 2
    assert len(handler.requests) == 2
    assert (stats.requests, stats.retries) == (2, 1)


async def test_gives_up_after_max_attempts_on_5xx() -> None:
    """Persistent 502s end in a transient FetchError after exactly max_attempts tries."""
    handler = Recorder(_page(502))
    with pytest.raises(FetchError) as caught:
        await _fetch(handler, max_attempts=3)
    assert len(handler.requests) == 3
    assert caught.value.status == 502
    assert caught.value.transient
    assert "HTTP 502 Bad Gateway" in str(caught.value)


async def test_one_attempt_means_no_retry_of_a_transient_failure(fake_clock: FakeClock) -> None:
    """With max_attempts=1 a 503 or a 429 is tried once and raised, with no wait and no retry counted."""
    for answer in (_page(503), _page(429, Retry_After="7")):
        handler = Recorder(answer)
        stats = FetchStats()
        with pytest.raises(FetchError) as caught:
            await _fetch(handler, clock=fake_clock, max_attempts=1, stats=stats)
        assert caught.value.transient
        assert len(handler.requests) == 1
        assert (stats.requests, stats.retries) == (1, 0)
    assert fake_clock.sleeps == []


async def test_rate_limit_then_server_error_waits_only_for_the_rate_limit(fake_clock: FakeClock) -> None:
    """Retry-After applies to the try after the 429 only; a 503 without one backs off without a wait."""
    handler = Recorder(_page(429, Retry_After="7"), _page(503), _page())
    stats = FetchStats()
    fetched = await _fetch(handler, clock=fake_clock, stats=stats)
    assert fetched.attempts == 3
    assert fake_clock.sleeps == [7.0]
    assert (stats.requests, stats.retries, stats.rate_limited, stats.waited) == (3, 2, 1, 7.0)


async def test_429_waits_as_told_through_the_injected_clock(fake_clock: FakeClock) -> None:
    """Retry-After seconds on a 429 are waited out with clock.sleep before the retry."""
    stats = FetchStats()
    fetched = await _fetch(Recorder(_page(429, Retry_After="7"), _page()), clock=fake_clock, stats=stats)
    assert fetched.status == 200
    assert fake_clock.sleeps == [7.0]
    assert (stats.rate_limited, stats.waited) == (1, 7.0)


async def test_retry_after_is_capped(fake_clock: FakeClock) -> None:
    """A server asking for an hour gets retry_after_cap seconds."""
    await _fetch(Recorder(_page(429, Retry_After="3600"), _page()), clock=fake_clock, retry_after_cap=300)
    assert fake_clock.sleeps == [300.0]


async def test_retry_after_http_date_is_relative_to_the_clock(fake_clock: FakeClock) -> None:
    """An HTTP-date Retry-After on a 503 waits until that moment of the injected wall clock."""
    when = (fake_clock.now() + timedelta(seconds=45)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    await _fetch(Recorder(_page(503, Retry_After=when), _page()), clock=fake_clock)
    assert fake_clock.sleeps == [45.0]


async def test_persistent_429_raises_rate_limited_without_a_final_wait(fake_clock: FakeClock) -> None:
    """After the last try the server's wait is reported, not slept."""
    handler = Recorder(_page(429, Retry_After="10"))
    with pytest.raises(RateLimited) as caught:
        await _fetch(handler, clock=fake_clock, max_attempts=3)
    assert caught.value.retry_after == 10.0
    assert len(handler.requests) == 3
    assert fake_clock.sleeps == [10.0, 10.0]


async def test_404_is_not_retried() -> None:
    """Client errors other than 408/429 fail at once, not transient."""
    handler = Recorder(_page(404))
    with pytest.raises(FetchError) as caught:
        await _fetch(handler)
    assert len(handler.requests) == 1
    assert caught.value.status == 404
    assert not caught.value.transient


@pytest.mark.parametrize("status", [401, 403, 451])
async def test_refusals_raise_blocked(status: int) -> None:
    """The site refusing us is Blocked, not retried."""
    handler = Recorder(_page(status))
    with pytest.raises(Blocked):
        await _fetch(handler)
    assert len(handler.requests) == 1


async def test_read_timeout_is_retried_then_succeeds() -> None:
    """A timeout is transient: the next try can succeed."""
    handler = Recorder(httpx.ReadTimeout("slow"), _page())
    fetched = await _fetch(handler)
    assert fetched.attempts == 2


async def test_timeouts_become_fetch_error_from_the_httpx_error() -> None:
    """The final timeout is a transient FetchError whose cause is the httpx exception."""
    with pytest.raises(FetchError) as caught:
        await _fetch(Recorder(httpx.ConnectTimeout("no answer")), max_attempts=2)
    assert caught.value.reason == "connect timeout"
    assert caught.value.transient
    assert isinstance(caught.value.__cause__, httpx.ConnectTimeout)


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (httpx.ConnectError("refused"), "network error: refused"),
        (httpx.ReadError("reset by peer"), "network error: reset by peer"),
        (
            httpx.RemoteProtocolError("Server disconnected"),
            "server broke the connection: Server disconnected",
        ),
    ],
)
async def test_connection_failures_are_transient(error: Exception, reason: str) -> None:
    """Refused, reset and dropped connections are retried and reported as transient."""
    handler = Recorder(error)
    with pytest.raises(FetchError) as caught:
        await _fetch(handler, max_attempts=2)
    assert caught.value.reason == reason
    assert caught.value.transient
    assert len(handler.requests) == 2


async def test_corrupt_gzip_is_not_retried() -> None:
    """A body that does not match its Content-Encoding fails once, not transient."""
    handler = Recorder(_page(content=b"not gzip at all", Content_Encoding="gzip"))
    with pytest.raises(FetchError) as caught:
        await _fetch(handler)
    assert "Content-Encoding" in caught.value.reason
    assert not caught.value.transient
    assert isinstance(caught.value.__cause__, httpx.DecodingError)
    assert len(handler.requests) == 1


async def test_gzip_bomb_is_stopped_by_the_decompressed_size() -> None:
    """A small gzip body that inflates past max_bytes is TooLarge."""
    bomb = gzip.compress(b"\0" * (8 * 1024 * 1024))
    assert len(bomb) < 64 * 1024
    with pytest.raises(TooLarge) as caught:
        await _fetch(Recorder(_page(content=bomb, Content_Encoding="gzip")), max_bytes=1024 * 1024)
    assert caught.value.limit == 1024 * 1024


async def test_declared_length_over_the_limit_fails_before_reading() -> None:
    """A Content-Length over max_bytes is refused without reading the body."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={**HTML, "Content-Length": "5000"}, stream=_Unread())

    with pytest.raises(TooLarge) as caught:
        await _fetch(handler, max_bytes=1000)
    assert caught.value.size == 5000


class _Unread(httpx.AsyncByteStream):
    """A body that fails the test if anyone reads it."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        raise AssertionError("the body was read")
        yield b""  # pragma: no cover


async def test_body_at_the_limit_is_accepted() -> None:
    """Exactly max_bytes is fine; the limit is inclusive."""
    fetched = await _fetch(Recorder(_page(content=b"x" * 1000)), max_bytes=1000)
    assert len(fetched.content) == 1000


@pytest.mark.parametrize("content_type", ["application/pdf", "image/png", "application/json"])
async def test_non_html_raises_not_html(content_type: str) -> None:
    """Types a parser cannot read are NotHtml, naming the type."""
    handler = Recorder(httpx.Response(200, headers={"Content-Type": content_type}, content=b"%PDF"))
    with pytest.raises(NotHtml) as caught:
        await _fetch(handler)
    assert caught.value.content_type == content_type


@pytest.mark.parametrize(
    "content_type", ["text/html", "TEXT/HTML; charset=latin-1", "application/xhtml+xml", "text/plain"]
)
async def test_page_types_are_accepted(content_type: str) -> None:
    """HTML, XHTML and plain-text dumps are pages."""
    fetched = await _fetch(
        Recorder(httpx.Response(200, headers={"Content-Type": content_type}, content=PAGE))
    )
    assert fetched.content == PAGE


async def test_missing_content_type_is_accepted() -> None:
    """With no Content-Type, the parser decides (it sniffs binary itself)."""
    fetched = await _fetch(Recorder(httpx.Response(200, content=PAGE)))
    assert fetched.content_type is None
    assert fetched.content == PAGE


def _redirects(routes: dict[str, str], final: str) -> Handler:
    """Each path in ``routes`` redirects (301) to its value; ``final`` serves the page."""

    def handler(request: httpx.Request) -> httpx.Response:
        if str(request.url) == final:
            return _page().build()
        return httpx.Response(301, headers={"Location": routes[request.url.path]})

    return handler


async def test_follows_redirects_within_the_site() -> None:
    """Relative and www/https-changing redirects on the same site are followed and listed."""
    stats = FetchStats()
    handler = _redirects(
        {"/old": "/newer", "/newer": "http://example.gov/newest"},
        final="http://example.gov/newest",
    )
    fetched = await _fetch(handler, "https://www.example.gov/old", stats=stats)
    assert fetched.final_url == "http://example.gov/newest"
    assert fetched.redirects == ("https://www.example.gov/old", "https://www.example.gov/newer")
    assert fetched.content == PAGE
    assert stats.redirects == 2


async def test_offsite_redirect_is_refused() -> None:
    """A redirect to another site raises OffsiteRedirect and is not followed."""
    handler = Recorder(httpx.Response(302, headers={"Location": "https://tracker.example.com/x"}))
    with pytest.raises(OffsiteRedirect) as caught:
        await _fetch(handler)
    assert caught.value.location == "https://tracker.example.com/x"
    assert len(handler.requests) == 1


async def test_offsite_redirect_is_followed_when_allowed() -> None:
    """allow_offsite lifts the site rule."""
    handler = _redirects(
        {"/keywords/topic": "https://mirror.example.org/x"}, final="https://mirror.example.org/x"
    )
    fetched = await _fetch(handler, allow_offsite=True)
    assert fetched.final_url == "https://mirror.example.org/x"


async def test_site_argument_sets_the_home_site() -> None:
    """Redirects are judged against the crawl's start site, not the page's own host."""
    handler = _redirects({"/p": "https://www.example.gov/q"}, final="https://www.example.gov/q")
    fetched = await _fetch(handler, "https://cdn.example.net/p", site="https://example.gov/")
    assert fetched.final_url == "https://www.example.gov/q"


async def test_redirect_loop_is_detected() -> None:
    """A redirect back to a visited URL raises RedirectLoop with the chain."""
    handler = _redirects({"/a": "/b", "/b": "/a"}, final="never")
    with pytest.raises(RedirectLoop) as caught:
        await _fetch(handler, "https://example.gov/a")
    assert caught.value.chain == ("https://example.gov/a", "https://example.gov/b", "https://example.gov/a")


async def test_too_many_redirects() -> None:
    """More than max_redirects distinct hops raises RedirectLoop(too_many)."""

    def handler(request: httpx.Request) -> httpx.Response:
        n = int(request.url.path.strip("/"))
        return httpx.Response(302, headers={"Location": f"/{n + 1}"})

    with pytest.raises(RedirectLoop) as caught:
        await _fetch(handler, "https://example.gov/0", max_redirects=3)
    assert "more than 3 redirects" in str(caught.value)
    assert len(caught.value.chain) == 5


async def test_conditional_headers_are_sent_and_304_is_not_modified() -> None:
    """Caller validators go out; a 304 comes back as not_modified with no body."""
    handler = Recorder(httpx.Response(304, headers={"ETag": '"v1"'}))
    stats = FetchStats()
    fetched = await _fetch(handler, headers={"If-None-Match": '"v1"'}, stats=stats)
    assert handler.requests[0].headers["If-None-Match"] == '"v1"'
    assert fetched.not_modified
    assert fetched.status == 304
    assert fetched.content == b""
    assert stats.not_modified == 1


@pytest.mark.parametrize("url", ["ftp://example.gov/x", "/relative/path", "mailto:someone@example.gov"])
async def test_non_http_url_is_a_caller_mistake(url: str) -> None:
    """fetch refuses what is not an absolute http(s) URL with ValueError."""
    with pytest.raises(ValueError, match="absolute http"):
        await _fetch(Recorder(_page()), url)


def test_site_key_treats_www_and_scheme_alike() -> None:
    """www., http/https and default ports do not change the site; other ports and hosts do."""
    assert same_site("https://www.dhs.gov/a", "http://dhs.gov:80/b")
    assert same_site("https://dhs.gov:443/", "HTTPS://WWW.DHS.GOV/")
    assert not same_site("https://dhs.gov/", "https://ice.dhs.gov/")
    assert not same_site("http://127.0.0.1:8000/", "http://127.0.0.1:8001/")
    assert site_key("http://127.0.0.1:8000/x") == "127.0.0.1:8000"


def test_build_transport_picks_the_stack(tmp_path: Path) -> None:
    """Replay settings give a ReplayTransport; live ones a PoliteTransport; a missing folder is an error."""
    (tmp_path / "index.json").write_text('{"format": "topicscrape-fixtures", "version": 1, "responses": {}}')
    assert isinstance(build_transport(Settings(replay=tmp_path)), ReplayTransport)
    assert isinstance(build_transport(Settings()), PoliteTransport)
    with pytest.raises(FileNotFoundError):
        build_transport(Settings(replay=tmp_path / "nope"))
