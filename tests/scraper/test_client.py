"""Tests for scraper/client.py over httpx.MockTransport: retries, waits, limits, redirects, errors."""

from __future__ import annotations

import asyncio
import base64
import gzip
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
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
    SiteCredentials,
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

Handler = Callable[[httpx.Request], httpx.Response] | Callable[[httpx.Request], Awaitable[httpx.Response]]

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


async def test_inflation_stops_at_the_limit() -> None:
    """A 64 MiB bomb in one network chunk is inflated only to max_bytes, never whole in memory."""
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024))
    assert len(bomb) < 128 * 1024
    handler = Recorder(_page(content=bomb, Content_Encoding="gzip"))
    tracemalloc.start()
    try:
        with pytest.raises(TooLarge):
            await _fetch(handler, max_bytes=1000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024


def test_too_large_message_reads_well_with_and_without_a_size() -> None:
    """The message names the limit with thousands separators and the flag, the size when known."""
    unknown = TooLarge(URL, 10 * 1024 * 1024)
    assert unknown.reason == "too large: the body is larger than the 10,485,760-byte limit (--max-bytes)"
    declared = TooLarge(URL, 1000, size=5000)
    assert declared.reason == "too large: the body is 5,000 bytes, over the 1,000-byte limit (--max-bytes)"


async def test_streamed_too_large_error_has_the_readable_message() -> None:
    """A body without Content-Length that passes the limit says so in words, not with '>'."""
    with pytest.raises(TooLarge) as caught:
        await _fetch(Recorder(_page(content=b"x" * 2000)), max_bytes=1000)
    assert (
        str(caught.value) == f"{URL}: too large: the body is larger than the 1,000-byte limit (--max-bytes)"
    )


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


def _cut(data: bytes, keep: float | int) -> bytes:
    """``data`` cut short: a fraction of it, or all but ``-keep`` bytes."""
    return data[:keep] if isinstance(keep, int) else data[: int(len(data) * keep)]


BIG_PAGE = b"<html><body>" + b"".join(b"<p>teaser %d</p>" % i for i in range(2000)) + b"</body></html>"

CUT_STREAMS = [
    pytest.param("gzip", gzip.compress(BIG_PAGE), 0.5, id="gzip-half"),
    pytest.param("gzip", gzip.compress(BIG_PAGE), -4, id="gzip-without-its-trailer"),
    pytest.param("x-gzip", gzip.compress(BIG_PAGE), 0.9, id="x-gzip"),
    pytest.param("deflate", zlib.compress(BIG_PAGE), 0.5, id="deflate-zlib"),
    pytest.param("deflate", zlib.compress(BIG_PAGE)[2:-4], 0.5, id="deflate-raw"),
    pytest.param("deflate, gzip", gzip.compress(zlib.compress(BIG_PAGE)), 0.5, id="stacked"),
]


@pytest.mark.parametrize(("coding", "whole", "keep"), CUT_STREAMS)
async def test_compressed_body_cut_short_is_a_transient_error(coding: str, whole: bytes, keep: float) -> None:
    """A gzip/deflate body that ends before its stream does is retried, then a transient FetchError."""
    handler = Recorder(_page(content=_cut(whole, keep), Content_Encoding=coding))
    with pytest.raises(FetchError) as caught:
        await _fetch(handler, max_attempts=3)
    expected = "gzip" if "gzip" in coding else "deflate"
    assert caught.value.reason == f"the body ended before its {expected} stream did"
    assert caught.value.transient
    assert caught.value.status == 200
    assert len(handler.requests) == 3


async def test_a_later_gzip_member_cut_short_is_a_transient_error() -> None:
    """The second of two gzip members cut by a closed connection is a cut body too."""
    members = gzip.compress(BIG_PAGE[:7000]) + gzip.compress(BIG_PAGE[7000:])
    handler = Recorder(_page(content=members[:-20], Content_Encoding="gzip"))
    with pytest.raises(FetchError, match="ended before its gzip stream did") as caught:
        await _fetch(handler)
    assert caught.value.transient


async def test_cut_gzip_then_whole_one_is_the_page() -> None:
    """After a cut gzip body the retry's whole body is returned, on the second try."""
    whole = gzip.compress(BIG_PAGE)
    handler = Recorder(
        _page(content=whole[: len(whole) // 2], Content_Encoding="gzip"),
        _page(content=whole, Content_Encoding="gzip"),
    )
    fetched = await _fetch(handler)
    assert fetched.content == BIG_PAGE
    assert fetched.attempts == 2


@pytest.mark.parametrize(
    ("coding", "body"),
    [
        pytest.param("gzip", gzip.compress(BIG_PAGE), id="gzip"),
        pytest.param("GZIP", gzip.compress(BIG_PAGE), id="upper-case"),
        pytest.param("x-gzip", gzip.compress(BIG_PAGE), id="x-gzip"),
        pytest.param("deflate", zlib.compress(BIG_PAGE), id="deflate-zlib"),
        pytest.param("deflate", zlib.compress(BIG_PAGE)[2:-4], id="deflate-raw"),
        pytest.param("deflate, gzip", gzip.compress(zlib.compress(BIG_PAGE)), id="stacked"),
        pytest.param("identity", BIG_PAGE, id="identity"),
        pytest.param("utf-8", BIG_PAGE, id="unknown-token-ignored"),
        pytest.param("gzip", gzip.compress(BIG_PAGE) + b"\0\0\0\0", id="trailing-padding-ignored"),
        pytest.param(
            "gzip",
            b"".join(gzip.compress(BIG_PAGE[n : n + 7000]) for n in range(0, len(BIG_PAGE), 7000)),
            id="several-gzip-members",
        ),
    ],
)
async def test_whole_compressed_bodies_are_decoded(coding: str, body: bytes) -> None:
    """Every coding we offer, stacked or in odd spellings, comes back as the page."""
    fetched = await _fetch(Recorder(_page(content=body, Content_Encoding=coding)))
    assert fetched.content == BIG_PAGE


async def test_decoding_works_chunk_by_chunk() -> None:
    """A gzip body arriving a few bytes at a time decodes to the page (no chunk holds a whole stream)."""
    whole = gzip.compress(BIG_PAGE)

    def handler(request: httpx.Request) -> httpx.Response:
        pieces = [whole[i : i + 7] for i in range(0, len(whole), 7)]
        return httpx.Response(200, headers={**HTML, "Content-Encoding": "gzip"}, stream=_Pieces(pieces))

    fetched = await _fetch(handler)
    assert fetched.content == BIG_PAGE


class _Pieces(httpx.AsyncByteStream):
    """A body served in the given pieces."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            yield piece


async def test_empty_body_labelled_gzip_is_empty() -> None:
    """No bytes at all under Content-Encoding: gzip is an empty body, as httpx reads it, not a cut one."""
    fetched = await _fetch(Recorder(_page(content=b"", Content_Encoding="gzip")))
    assert fetched.content == b""


@pytest.mark.parametrize("coding", ["br", "zstd"])
async def test_compression_we_did_not_offer_is_refused(coding: str) -> None:
    """A body in a compression we never ask for fails at once instead of being parsed as garbage."""
    handler = Recorder(_page(content=b"\x8b\x02\x80garbage", Content_Encoding=coding))
    with pytest.raises(FetchError) as caught:
        await _fetch(handler)
    assert (
        caught.value.reason
        == f"the body is compressed as {coding!r}, which we do not accept (gzip, deflate only)"
    )
    assert not caught.value.transient
    assert len(handler.requests) == 1


@pytest.mark.parametrize(("status", "transient"), [(404, False), (503, True)])
async def test_broken_gzip_on_an_error_page_keeps_the_status(status: int, transient: bool) -> None:
    """An error page's body is not decoded, so a garbled one cannot hide the status it came with."""
    handler = Recorder(_page(status, content=b"not gzip", Content_Encoding="gzip"))
    with pytest.raises(FetchError) as caught:
        await _fetch(handler, max_attempts=2)
    assert caught.value.status == status
    assert caught.value.transient is transient


class _Trickle(httpx.AsyncByteStream):
    """A body whose first byte comes at once and whose rest never comes."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b"<"
        await asyncio.Event().wait()


class _Stalling:
    """A server that stalls for good: in the body after its first byte, or before any answer."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.requests: list[httpx.Request] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.where == "headers":
            await asyncio.Event().wait()
        return httpx.Response(200, headers=HTML, stream=_Trickle())


TOTAL = 0.05
"""A whole-answer deadline short enough for a unit test to wait out (a real one, on the event loop)."""


@pytest.mark.parametrize("where", ["body", "headers"])
async def test_an_answer_longer_than_total_timeout_is_a_transient_timeout(where: str) -> None:
    """However the server stalls, one try ends after total_timeout; the last is a transient FetchError."""
    server = _Stalling(where)
    async with asyncio.timeout(10):  # without the deadline the fetch would hang: fail instead
        with pytest.raises(FetchError) as caught:
            await _fetch(server, read_timeout=TOTAL, total_timeout=TOTAL, max_attempts=2)
    assert caught.value.reason == f"total timeout: the whole answer took longer than {TOTAL:g} s"
    assert caught.value.transient
    assert isinstance(caught.value.__cause__, TimeoutError)
    assert len(server.requests) == 2


async def test_total_timeout_does_not_cut_a_prompt_answer() -> None:
    """An answer well inside the deadline is the page, on the first try."""
    fetched = await _fetch(Recorder(_page()), read_timeout=1, total_timeout=1)
    assert fetched.content == PAGE
    assert fetched.attempts == 1


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


async def test_a_redirect_target_loses_its_fragment() -> None:
    """No server sees a fragment: "/b#top" is /b, and a redirect to the same URL plus a fragment
    is a loop at once, not ten hops of new-looking URLs."""
    fetched = await _fetch(
        _redirects({"/a": "/b#top"}, final="https://example.gov/b"), "https://example.gov/a"
    )
    assert fetched.final_url == "https://example.gov/b"
    handler = Recorder(httpx.Response(301, headers={"Location": "/a#main"}))
    with pytest.raises(RedirectLoop) as caught:
        await _fetch(handler, "https://example.gov/a")
    assert caught.value.chain == ("https://example.gov/a", "https://example.gov/a")
    assert len(handler.requests) == 1


@pytest.mark.parametrize(
    "location", ["http://[::1:80/", "http://x\tz/", "data:text/html,hi", "javascript:go()"]
)
async def test_a_bad_redirect_location_fails_once_and_says_so(location: str) -> None:
    """A Location that is no URL is the server's lasting mistake: not retried, named as a bad redirect
    (httpx calls it a protocol error, which reads as a dropped connection)."""
    handler = Recorder(httpx.Response(302, headers={"Location": location}))
    with pytest.raises(FetchError) as caught:
        await _fetch(handler, max_attempts=3)
    assert caught.value.reason.startswith("bad redirect: ")
    assert not caught.value.transient
    assert len(handler.requests) == 1


async def test_a_protocol_error_quoting_the_page_is_cut_to_one_short_line() -> None:
    """A parser error that quotes the whole buffer (a page of HTML) is shown on one line, cut."""
    quoted = "Bad status line: " + "<div>\n  teaser text\n</div>\n" * 2000
    with pytest.raises(FetchError) as caught:
        await _fetch(Recorder(httpx.RemoteProtocolError(quoted)), max_attempts=1)
    assert caught.value.reason.startswith(
        "server broke the connection: Bad status line: <div> teaser text </div>"
    )
    assert len(caught.value.reason) < 250
    assert "\n" not in caught.value.reason


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


# -- credentials in a URL ------------------------------------------------------------------------


def _basic(userinfo: bytes) -> str:
    return "Basic " + base64.b64encode(userinfo).decode()


def test_take_from_takes_the_credentials_off_and_leaves_other_urls_alone() -> None:
    """A URL with user:password@ loses it (percent-escapes decoded into the credentials); others
    come back exactly as given."""
    credentials = SiteCredentials()
    assert not credentials
    assert credentials.take_from("https://x.gov/a?b=c@d") == "https://x.gov/a?b=c@d"
    assert not credentials
    assert credentials.take_from("https://alice:s%40cret@x.gov/news") == "https://x.gov/news"
    assert credentials


async def test_credentials_go_to_their_site_only_also_after_a_redirect() -> None:
    """Taken off the start URL, the credentials go with every request to its origin and to the
    same host's https, never to another host a redirect leads to."""
    credentials = SiteCredentials()
    start = credentials.take_from("http://alice:s3cret@x.gov/news")
    sent: dict[str, str | None] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        sent[url] = request.headers.get("Authorization")
        hops = {"http://x.gov/news": "https://x.gov/news", "https://x.gov/news": "https://cdn.y.org/news"}
        if url in hops:
            return httpx.Response(301, headers={"Location": hops[url]})
        return httpx.Response(200, headers=HTML, content=PAGE)

    settings = _settings(allow_offsite=True)
    async with build_client(settings, transport=httpx.MockTransport(handler)) as client:
        fetched = await fetch(client, start, settings=settings, auth=credentials)
    assert fetched.final_url == "https://cdn.y.org/news"
    assert sent == {
        "http://x.gov/news": _basic(b"alice:s3cret"),
        "https://x.gov/news": _basic(b"alice:s3cret"),
        "https://cdn.y.org/news": None,
    }


async def test_credentials_do_not_follow_a_downgrade_or_another_port() -> None:
    """Credentials given for https are not sent over plain http, nor to another port."""
    credentials = SiteCredentials()
    credentials.take_from("https://alice:s3cret@x.gov/news")
    sent = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers.get("Authorization"))
        return httpx.Response(200, headers=HTML, content=PAGE)

    settings = _settings()
    async with build_client(settings, transport=httpx.MockTransport(handler)) as client:
        for url in ("http://x.gov/news", "https://x.gov:8443/news", "https://x.gov/news"):
            await fetch(client, url, settings=settings, auth=credentials)
    assert sent == [None, None, _basic(b"alice:s3cret")]
