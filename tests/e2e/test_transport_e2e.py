"""End-to-end: the HTTP layer against a real server on 127.0.0.1 (real sockets, gzip, resets, robots.txt).

The server may be slow on purpose; the tests never sleep. Waits the client is told to make
(Retry-After, Crawl-delay) go through a fake clock, so they are asserted rather than served.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from selectolax.lexbor import LexborHTMLParser, LexborNode

from scraper.client import Fetched, build_client, fetch
from scraper.errors import Blocked, FetchError, FixtureMissing, OffsiteRedirect, RedirectLoop, TooLarge
from scraper.fixtures import FixtureFolder, RecordingTransport, ReplayTransport
from scraper.politeness import PoliteTransport
from scraper.settings import Settings

from e2e.site import Reply, Site

pytestmark = pytest.mark.slow

PAGE = (
    "<!DOCTYPE html><html><body><h1>Secure Communities</h1>" + "<p>teaser text</p>" * 200 + "</body></html>"
)

if TYPE_CHECKING:
    from conftest import FakeClock


def _settings(**kwargs: object) -> Settings:
    return Settings.model_validate({"delay": 0, "obey_robots": False, **kwargs})


async def _fetch(url: str, clock: FakeClock, **kwargs: object) -> Fetched:
    """Fetch ``url`` with the live stack (PoliteTransport over a real AsyncHTTPTransport)."""
    settings = _settings(**kwargs)
    async with build_client(settings, clock=clock) as client:
        return await fetch(client, url, settings=settings, clock=clock)


TRANSPORTS = ["aiohttp", "httpx"]
"""The I/O under PoliteTransport: ours by default (scraper.aiohttp_transport), or httpx's own."""


async def _fetch_over(transport: str, url: str, clock: FakeClock, **kwargs: object) -> Fetched:
    """Fetch ``url`` over the default live stack, or with httpx's own transport under politeness."""
    settings = _settings(**kwargs)
    stack = None
    if transport == "httpx":
        stack = PoliteTransport(httpx.AsyncHTTPTransport(), settings=settings, clock=clock)
    async with build_client(settings, stack, clock=clock) as client:
        return await fetch(client, url, settings=settings, clock=clock)


async def test_gzip_page_is_decoded(make_site: Callable[..., Site], fake_clock: FakeClock) -> None:
    """A gzip response over the wire comes back decompressed, and we asked for gzip."""
    site = make_site(gzip=True)
    site.page("/topic", PAGE)
    fetched = await _fetch(site.url("/topic"), fake_clock)
    assert fetched.content == PAGE.encode()
    assert fetched.header("Content-Encoding") == "gzip"
    (request,) = site.requests("/topic")
    assert request.header("Accept-Encoding") == "gzip, deflate"
    assert (request.header("User-Agent") or "").startswith("topicscrape/")


async def test_slow_response_times_out_and_is_retried(site: Site, fake_clock: FakeClock) -> None:
    """A server slower than read_timeout gives a transient FetchError after every attempt is used."""
    site.route("/slow", Reply(body=PAGE, delay=30))
    with pytest.raises(FetchError) as caught:
        await _fetch(site.url("/slow"), fake_clock, read_timeout=0.2, max_attempts=2)
    assert caught.value.reason == "read timeout"
    assert caught.value.transient
    assert len(site.requests("/slow")) == 2


async def test_connection_reset_is_retried_until_it_succeeds(site: Site, fake_clock: FakeClock) -> None:
    """Two dropped connections, then a page: the fetch succeeds on the third try."""
    site.route("/flaky", Site.burst(2, Reply(reset=True), then=Reply(body=PAGE)))
    fetched = await _fetch(site.url("/flaky"), fake_clock)
    assert fetched.content == PAGE.encode()
    assert fetched.attempts == 3
    assert len(site.requests("/flaky")) == 3


async def test_streamed_oversized_body_is_too_large(site: Site, fake_clock: FakeClock) -> None:
    """A chunked body past max_bytes is cut off while streaming."""
    site.route("/huge", Site.oversized(5 * 1024 * 1024))
    with pytest.raises(TooLarge) as caught:
        await _fetch(site.url("/huge"), fake_clock, max_bytes=1024 * 1024)
    assert caught.value.limit == 1024 * 1024
    assert caught.value.size is None


async def test_declared_oversized_body_is_refused_from_its_length(site: Site, fake_clock: FakeClock) -> None:
    """A Content-Length past max_bytes fails before the body is read."""
    site.route("/huge", Site.oversized(5 * 1024 * 1024, declare_length=True))
    with pytest.raises(TooLarge) as caught:
        await _fetch(site.url("/huge"), fake_clock, max_bytes=1024 * 1024)
    assert caught.value.size == 5 * 1024 * 1024


async def test_gzip_bomb_over_the_wire_is_too_large(site: Site, fake_clock: FakeClock) -> None:
    """A few KiB of gzip that inflate to 8 MiB hit the decompressed limit."""
    bomb = b"\0" * (8 * 1024 * 1024)
    assert len(gzip.compress(bomb)) < 16 * 1024
    site.route("/bomb", Reply(body=bomb, gzip=True))
    with pytest.raises(TooLarge):
        await _fetch(site.url("/bomb"), fake_clock, max_bytes=1024 * 1024)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_gzip_cut_by_a_closed_connection_is_a_transient_error(
    transport: str, site: Site, fake_clock: FakeClock
) -> None:
    """gzip with no Content-Length, the connection closed half-way: retried, then a transient error."""
    whole = gzip.compress(PAGE.encode())
    cut = Reply(body=whole[: len(whole) // 2], headers=(("Content-Encoding", "gzip"),), close_delimited=True)
    site.route("/cut", cut)
    with pytest.raises(FetchError) as caught:
        await _fetch_over(transport, site.url("/cut"), fake_clock, max_attempts=2)
    assert caught.value.reason == "the body ended before its gzip stream did"
    assert caught.value.transient
    assert caught.value.url == site.url("/cut")
    assert len(site.requests("/cut")) == 2


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_whole_gzip_ended_by_closing_the_connection_is_the_page(
    transport: str, site: Site, fake_clock: FakeClock
) -> None:
    """The same framing with the whole gzip stream is a page: the check does not misfire."""
    site.route("/whole", Reply(body=PAGE, gzip=True, close_delimited=True))
    fetched = await _fetch_over(transport, site.url("/whole"), fake_clock)
    assert fetched.content == PAGE.encode()
    assert fetched.header("Content-Length") is None


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_body_dripping_past_total_timeout_is_given_up(
    transport: str, site: Site, fake_clock: FakeClock
) -> None:
    """A byte every 50 ms never trips the read timeout; total_timeout ends each try, transiently."""
    site.route("/drip", site.drip(PAGE, every=0.05))
    with pytest.raises(FetchError) as caught:
        await _fetch_over(
            transport, site.url("/drip"), fake_clock, read_timeout=0.3, total_timeout=0.4, max_attempts=2
        )
    assert caught.value.reason == "total timeout: the whole answer took longer than 0.4 s"
    assert caught.value.transient
    assert len(site.requests("/drip")) == 2


async def test_robots_503_is_retried_after_its_retry_after(site: Site, fake_clock: FakeClock) -> None:
    """robots.txt answering 503 (Retry-After: 1) once: the host waits 1 s, asks again, gets the page."""
    busy = Reply(status=503, headers=(("Retry-After", "1"),), body="busy", content_type="text/plain")
    site.route("/robots.txt", Site.burst(1, busy, then=Reply(status=404, body="none")))
    site.page("/topic", PAGE)
    fetched = await _fetch(site.url("/topic"), fake_clock, obey_robots=True)
    assert fetched.content == PAGE.encode()
    assert fetched.attempts == 2
    assert fake_clock.sleeps == [1.0]
    assert len(site.requests("/robots.txt")) == 2
    assert len(site.requests("/topic")) == 1


async def test_robots_that_keeps_failing_fails_the_page_for_later(site: Site, fake_clock: FakeClock) -> None:
    """robots.txt answering 503 to every try: the page is not fetched, and fails transiently."""
    site.route("/robots.txt", Reply(status=503, body="down", content_type="text/plain"))
    site.page("/topic", PAGE)
    with pytest.raises(FetchError) as caught:
        await _fetch(site.url("/topic"), fake_clock, obey_robots=True, max_attempts=3)
    host = f"127.0.0.1:{site.port}"
    assert caught.value.reason == f"robots.txt of {host} answered 503: try again later with --resume"
    assert caught.value.transient
    assert len(site.requests("/robots.txt")) == 3
    assert site.requests("/topic") == []


async def test_429_burst_waits_as_told_then_succeeds(site: Site, fake_clock: FakeClock) -> None:
    """Two 429s with Retry-After: 1, then the page: waits of 1 s each (fake clock), then success."""
    busy = Reply(status=429, headers=(("Retry-After", "1"),), body="slow down")
    site.route("/busy", Site.burst(2, busy, then=Reply(body=PAGE)))
    fetched = await _fetch(site.url("/busy"), fake_clock)
    assert fetched.content == PAGE.encode()
    assert fetched.attempts == 3
    assert fake_clock.sleeps == [1.0, 1.0]


async def test_robots_txt_from_the_server_blocks_and_paces(site: Site, fake_clock: FakeClock) -> None:
    """robots.txt is read once from the server: Disallow refuses, Crawl-delay spaces the pages."""
    site.robots("User-agent: *\nDisallow: /private\nCrawl-delay: 2\n")
    site.page("/a", PAGE)
    site.page("/b", PAGE)
    settings = _settings(obey_robots=True)
    async with build_client(settings, clock=fake_clock) as client:
        with pytest.raises(Blocked):
            await fetch(client, site.url("/private/page"), settings=settings, clock=fake_clock)
        for path in ("/a", "/b"):
            await fetch(client, site.url(path), settings=settings, clock=fake_clock)
    assert len(site.requests("/robots.txt")) == 1
    assert site.requests("/private/page") == []
    assert fake_clock.sleeps == [2.0, 2.0]
    assert site.requests("/robots.txt")[0].header("User-Agent") == settings.user_agent


async def test_etag_revalidation_gets_304(site: Site, fake_clock: FakeClock) -> None:
    """Sending back the ETag we got yields not_modified."""
    site.route("/page", Site.conditional(PAGE, etag='"v1"', last_modified="Fri, 01 Jul 2016 12:00:00 GMT"))
    settings = _settings()
    async with build_client(settings, clock=fake_clock) as client:
        first = await fetch(client, site.url("/page"), settings=settings, clock=fake_clock)
        assert first.etag is not None
        again = await fetch(
            client, site.url("/page"), settings=settings, headers={"If-None-Match": first.etag}
        )
    assert again.not_modified
    assert again.content == b""


async def test_redirect_loop_over_the_wire(site: Site, fake_clock: FakeClock) -> None:
    """/a → /b → /a is detected, not followed forever."""
    site.redirect("/a", "/b")
    site.redirect("/b", "/a")
    with pytest.raises(RedirectLoop):
        await _fetch(site.url("/a"), fake_clock)
    assert len(site.requests("/a")) == 1


async def test_redirect_to_another_server_is_offsite(
    make_site: Callable[..., Site], fake_clock: FakeClock
) -> None:
    """Another port on 127.0.0.1 is another site; the redirect is refused."""
    home, elsewhere = make_site(), make_site()
    elsewhere.page("/x", PAGE)
    home.redirect("/go", elsewhere.url("/x"))
    with pytest.raises(OffsiteRedirect):
        await _fetch(home.url("/go"), fake_clock)
    assert elsewhere.requests() == []


async def test_record_then_replay_without_the_server(
    site: Site, fake_clock: FakeClock, tmp_path: Path
) -> None:
    """Pages recorded from the live site replay identically after the server is gone."""
    topic = site.add_topic("secure-communities", "Secure Communities", pages=3, per_page=4)
    urls = [topic.url(n) for n in range(3)]
    settings = _settings()
    live = RecordingTransport(
        PoliteTransport(httpx.AsyncHTTPTransport(), settings=settings, clock=fake_clock),
        FixtureFolder(tmp_path),
    )
    async with build_client(settings, transport=live) as client:
        recorded = [await fetch(client, u, settings=settings, clock=fake_clock) for u in urls]
    site.stop()
    async with build_client(settings, transport=ReplayTransport(FixtureFolder.load(tmp_path))) as client:
        replayed = [await fetch(client, u, settings=settings) for u in urls]
        with pytest.raises(FixtureMissing):
            await fetch(client, topic.url(7), settings=settings)
    assert [r.content for r in replayed] == [r.content for r in recorded]
    assert [r.fetched_at for r in replayed] == [r.fetched_at for r in recorded]
    assert sorted(p.name for p in tmp_path.glob("*/*.html")) == [
        "keywords-secure-communities-page-1.html",
        "keywords-secure-communities-page-2.html",
        "keywords-secure-communities.html",
    ]


def _text(node: LexborNode, selector: str) -> str:
    """The text of the first match of ``selector`` inside ``node``; the test fails if there is none."""
    found = node.css_first(selector)
    assert found is not None, selector
    return found.text()


async def test_synthetic_topic_pages_have_drupal7_structure(site: Site, fake_clock: FakeClock) -> None:
    """The listing helper serves the selectors the drupal7 profile reads, with a pager until the end."""
    topic = site.add_topic("secure-communities", "Secure Communities", pages=3, per_page=5)
    for page in range(3):
        fetched = await _fetch(topic.url(page), fake_clock)
        tree = LexborHTMLParser(fetched.content.decode())
        rows = tree.css(".view-content > .views-row > .node.node-teaser")
        titles = [_text(r, "h2.node-title > a") for r in rows]
        assert titles == [t.title for t in topic.teasers(page)]
        excerpts = [_text(r, ".content .field-name-body .field-item p") for r in rows]
        assert excerpts == [t.excerpt for t in topic.teasers(page)]
        assert len(tree.css("ul.links li.node-readmore a")) == 5
        next_link = tree.css_first("ul.pager li.pager-next a")
        if page < 2:
            assert next_link is not None
            assert next_link.attributes["href"] == f"/keywords/secure-communities?page={page + 1}"
        else:
            assert next_link is None
    with pytest.raises(FetchError) as caught:
        await _fetch(topic.url(3), fake_clock)
    assert caught.value.status == 404
    article = await _fetch(topic.teaser(0).url, fake_clock)
    assert topic.teaser(0).title.encode() in article.content
