"""Tests for scraper/crawl.py over httpx.MockTransport: pagination, stops, failures, rejects, re-crawls.

Pages are realistic Drupal 7 listings (``e2e.site.drupal_listing``) whose pager is replaced by the
link under test, so each test names exactly how the next page is announced.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import httpx
import pytest

import parsers
import scraper.crawl as crawl_module
from parsers import Record, Teaser, TopicPage
from scraper.client import build_client
from scraper.crawl import RUN_IDENTITY, CrawlStats, crawl
from scraper.errors import OutputFailed
from scraper.frontier import CrawlState
from scraper.settings import Settings
from scraper.sinks import JsonlSink, SqliteSink

from e2e.site import TopicTeaser, drupal_listing

HTML = {"Content-Type": "text/html; charset=utf-8"}
Route = Callable[[httpx.Request], httpx.Response]


# -- pages ---------------------------------------------------------------------------------------


def items(host: str, slug: str, page: int, count: int = 3, *, first: int | None = None) -> list[TopicTeaser]:
    """``count`` teasers of listing ``slug`` on ``page``, numbered across pages (or from ``first``)."""
    start = page * count if first is None else first
    return [
        TopicTeaser(
            title=f"{slug.title()} story {n + 1}",
            url=f"https://{host}/news/{slug}-{n + 1}",
            excerpt=f"What changed in {slug} this week, item {n + 1}, and who is affected by it.",
            position=i + 1,
            page=page,
        )
        for i, n in enumerate(range(start, start + count))
    ]


def listing(
    slug: str,
    teasers: list[TopicTeaser],
    *,
    page: int = 0,
    next_href: str | None = None,
    rel_next: str | None = None,
    numbered: Sequence[str] = (),
) -> str:
    """A Drupal 7 listing with exactly one way to reach the next page (or none).

    Args:
        slug: the topic; its heading is ``slug.title()``.
        teasers: what the page lists (may be empty: a page past the end).
        page: the pager index shown in the title.
        next_href: a pager "next ›" link (``li.pager-next``).
        rel_next: a ``<link rel="next">`` in the head.
        numbered: plain page-number links in the pager (``?page=N``), without a "next" link.
    """
    page_html = drupal_listing(slug.title(), page, teasers, pages=1, path=f"/keywords/{slug}")
    pager = [f'<li class="pager-item"><a href="{href}">{n + 2}</a></li>' for n, href in enumerate(numbered)]
    if next_href is not None:
        pager.append(f'<li class="pager-next"><a title="Go to next page" href="{next_href}">next ›</a></li>')
    page_html = page_html.replace('<ul class="pager">\n', '<ul class="pager">\n' + "\n".join(pager), 1)
    if rel_next is not None:
        page_html = page_html.replace("</head>", f'<link rel="next" href="{rel_next}" />\n</head>', 1)
    return page_html


def ok(body: str, **headers: str) -> httpx.Response:
    """A 200 HTML response."""
    return httpx.Response(200, headers={**HTML, **headers}, content=body.encode())


@dataclass
class Server:
    """A MockTransport handler over a table of ``path?query`` → route, logging every request."""

    routes: dict[str, Route | httpx.Response] = field(default_factory=dict)
    seen: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        target = request.url.raw_path.decode()
        route = self.routes.get(f"{request.url.host}{target}") or self.routes.get(target)
        if route is None:
            return httpx.Response(404, headers=HTML, content=b"<h1>Page not found</h1>")
        return route(request) if callable(route) else route

    def targets(self) -> list[str]:
        """``host/path?query`` of every request, in order."""
        return [f"{r.url.host}{r.url.raw_path.decode()}" for r in self.seen]


@dataclass
class MemorySink:
    """A sink that keeps records in a list (the sinks have their own tests)."""

    path: Path = Path("memory")
    records: list[Record] = field(default_factory=list)
    cumulative: bool = False
    """Stands for a database (keeps earlier runs' records) when true."""

    def write(self, records: Sequence[Record]) -> int:
        self.records.extend(records)
        return len(records)

    def close(self) -> None:
        pass

    def __enter__(self) -> MemorySink:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


@dataclass
class Run:
    """One crawl's stats and the records it wrote."""

    stats: CrawlStats
    records: list[Record]
    progress: list[int]


@pytest.fixture
def state(tmp_path: Path) -> Iterator[CrawlState]:
    """A crawl state file in the test's folder."""
    with CrawlState.open(tmp_path / "state.sqlite") as opened:
        yield opened


async def run_crawl(
    server: Server,
    urls: list[str],
    state: CrawlState,
    *,
    rejects: Path | None = None,
    also_to_file: bool = False,
    **settings: Any,
) -> Run:
    """Crawl ``urls`` through ``server`` with no delays and no robots.txt, into one sink that
    stands for the database when ``db`` is set (and, ``also_to_file``, a file output beside it)."""
    options = Settings.model_validate({"delay": 0, "obey_robots": False, **settings})
    sink = MemorySink(cumulative=options.db is not None)
    sinks = [sink, MemorySink()] if also_to_file else [sink]
    progress: list[int] = []
    async with build_client(options, transport=httpx.MockTransport(server)) as client:
        stats = await crawl(
            urls,
            settings=options,
            sinks=sinks,
            state=state,
            rejects=rejects,
            client=client,
            progress=lambda s: progress.append(s.pages),
        )
    return Run(stats, sink.records, progress)


def shape(records: list[Record]) -> list[tuple[str, int, int, str | None]]:
    """(title, page, position, url) of each record, for comparing with what the site lists."""
    return [(r.title, r.page, r.position, r.url) for r in records]


def expected(teasers: list[TopicTeaser]) -> list[tuple[str, int, int, str | None]]:
    """The same shape for teasers as the site lists them."""
    return [(t.title, t.page, t.position, t.url) for t in teasers]


HOST = "www.example.gov"
BASE = f"https://{HOST}"


def paged_topic(
    server: Server, slug: str, pages: int, *, host: str = HOST, how: str = "pager"
) -> list[TopicTeaser]:
    """Serve ``pages`` pages of ``slug`` on ``host`` linked by ``how`` (pager, rel, numbered)."""
    listed: list[TopicTeaser] = []
    for page in range(pages):
        teasers = items(host, slug, page)
        listed += teasers
        target = f"/keywords/{slug}" + (f"?page={page}" if page else "")
        nxt = f"/keywords/{slug}?page={page + 1}" if page < pages - 1 else None
        links: dict[str, Any] = {}
        if nxt is not None:
            options: dict[str, dict[str, Any]] = {
                "pager": {"next_href": nxt},
                "rel": {"rel_next": nxt},
                "numbered": {"numbered": [nxt]},
            }
            links = options[how]
        server.routes[host + target] = ok(listing(slug, teasers, page=page, **links))
    return listed


# -- pagination ----------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["pager", "rel", "numbered"])
async def test_follows_pagination_to_the_end(state: CrawlState, how: str) -> None:
    """Pager "next", <link rel=next> and ?page=N links are each followed to the last page."""
    server = Server()
    listed = paged_topic(server, "secure-communities", 4, how=how)
    run = await run_crawl(server, [f"{BASE}/keywords/secure-communities"], state)
    assert shape(run.records) == expected(listed)
    assert server.targets() == [f"{HOST}/keywords/secure-communities"] + [
        f"{HOST}/keywords/secure-communities?page={n}" for n in (1, 2, 3)
    ]
    assert (run.stats.pages, run.stats.records, run.stats.new_records) == (4, 12, 12)
    assert run.stats.failures == []
    assert run.stats.loops == 0
    assert {r.topic for r in run.records} == {"Secure-Communities"}
    assert {r.source_url for r in run.records if r.page == 2} == {
        f"{BASE}/keywords/secure-communities?page=2"
    }
    assert run.progress == [1, 2, 3, 4]


async def test_a_next_link_with_a_fragment_is_the_page_without_it(state: CrawlState) -> None:
    """ "?page=1#main" asks for ?page=1 (no server sees a fragment): its records' source_url has none,
    and a pager linking "?page=1#top" from ?page=1 is a loop, not a new page."""
    server = Server()
    first, second = items(HOST, "frag", 0), items(HOST, "frag", 1)
    server.routes["/keywords/frag"] = ok(listing("frag", first, next_href="/keywords/frag?page=1#main"))
    server.routes["/keywords/frag?page=1"] = ok(
        listing("frag", second, next_href="/keywords/frag?page=1#top")
    )
    run = await run_crawl(server, [f"{BASE}/keywords/frag"], state)
    assert shape(run.records) == expected(first + second)
    assert {r.source_url for r in run.records} == {f"{BASE}/keywords/frag", f"{BASE}/keywords/frag?page=1"}
    assert server.targets() == [f"{HOST}/keywords/frag", f"{HOST}/keywords/frag?page=1"]
    assert run.stats.loops == 1


async def test_pager_loop_is_stopped_and_counted(state: CrawlState) -> None:
    """A "next" link back to a page already seen is not followed; the loop is counted in stats.loops."""
    server = Server()
    first, second = items(HOST, "loop", 0), items(HOST, "loop", 1)
    server.routes["/keywords/loop"] = ok(listing("loop", first, next_href="/keywords/loop?page=1"))
    server.routes["/keywords/loop?page=1"] = ok(listing("loop", second, page=1, next_href="/keywords/loop"))
    run = await run_crawl(server, [f"{BASE}/keywords/loop"], state)
    assert server.targets() == [f"{HOST}/keywords/loop", f"{HOST}/keywords/loop?page=1"]
    assert shape(run.records) == expected(first + second)
    assert run.stats.loops == 1
    assert run.stats.failures == []


class Roundabout(Server):
    """A listing whose pager never ends: ``?page=N`` shows page ``N % cycle`` and links page N+1
    with a fresh session id, so no URL repeats while the teasers go round."""

    cycle: int = 3

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        n = int(request.url.params.get("page", "0"))
        nxt = f"/keywords/roundabout?page={n + 1}&sid={len(self.seen)}"
        teasers = items(HOST, "roundabout", n % self.cycle)
        return ok(listing("roundabout", teasers, page=n % self.cycle, next_href=nxt))


async def test_a_pager_going_round_under_new_urls_is_stopped(state: CrawlState, tmp_path: Path) -> None:
    """Each next link is a new URL (``&sid=``), but the pages come round again: the crawl stops at
    the first page that lists the teasers of an earlier page of its listing, counts a loop, and
    says how many records it found and how many the output took (each once)."""
    server = Roundabout()
    options = Settings(delay=0, obey_robots=False, max_pages=50)  # without the guard: 50, not forever
    out = tmp_path / "out.jsonl"
    with JsonlSink(out, resume=False) as sink:
        async with build_client(options, transport=httpx.MockTransport(server)) as client:
            stats = await crawl(
                [f"{BASE}/keywords/roundabout"], settings=options, sinks=[sink], state=state, client=client
            )
    assert len(server.seen) == 4  # pages 0, 1, 2, then page 0's teasers again under ?page=3
    assert stats.loops == 1
    assert (stats.records, stats.written, stats.new_records) == (12, 9, 9)
    assert len(out.read_text(encoding="utf-8").splitlines()) == 9
    assert state.pending() == 0


class LinklessRoundabout(Roundabout):
    """The same pager going round, listing teasers without links (their ids hash the page URL)."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        answer = super().__call__(request)
        body = re.sub(r'(<h2 class="node-title"><a) href="[^"]*"', r"\1", answer.text)
        return ok(body)


async def test_a_pager_going_round_is_stopped_when_teasers_have_no_links(state: CrawlState) -> None:
    """Without links, ids change with the page URL (``&sid=``): the pages' titles still show the
    listing came round, so the crawl stops there instead of filling the output with duplicates."""
    server = LinklessRoundabout()
    run = await run_crawl(server, [f"{BASE}/keywords/roundabout"], state, max_pages=50)
    assert len(server.seen) == 4
    assert run.stats.loops == 1
    assert {r.url for r in run.records} == {None}
    assert len({r.title for r in run.records}) == 9


async def test_an_unasked_304_is_a_failure_not_an_unchanged_page(state: CrawlState) -> None:
    """A 304 to a request that offered no ETag or date to compare says nothing about the page's
    records: the page fails (listed), it is not counted unchanged with no records."""
    server = Server()
    server.routes["/keywords/odd"] = httpx.Response(304, headers={"ETag": '"x"'})
    run = await run_crawl(server, [f"{BASE}/keywords/odd"], state)
    assert run.stats.not_modified == 0
    assert [reason for _, reason in run.stats.failures] == [
        "FetchError: HTTP 304 Not Modified to a request that was not conditional"
    ]


async def test_a_listing_that_shows_one_teaser_again_goes_on(state: CrawlState) -> None:
    """A teaser repeated on the next page (a sticky post, an item pushed down by a new one) is no
    loop: only a page whose teasers all came on one earlier page stops the listing."""
    server = Server()
    pages = [items(HOST, "sticky", 0), items(HOST, "sticky", 1), items(HOST, "sticky", 2)]
    for page, teasers in enumerate(pages):
        shown = teasers if page == 0 else [pages[0][0], *teasers[1:]]
        nxt = f"/keywords/sticky?page={page + 1}" if page < 2 else None
        target = "/keywords/sticky" + (f"?page={page}" if page else "")
        server.routes[target] = ok(listing("sticky", shown, page=page, next_href=nxt))
    run = await run_crawl(server, [f"{BASE}/keywords/sticky"], state)
    assert len(server.seen) == 3
    assert run.stats.loops == 0


async def test_a_start_url_given_twice_is_crawled_once_with_a_warning(
    state: CrawlState, caplog: pytest.LogCaptureFixture
) -> None:
    """Two spellings of one start page (query order, host case) are one page: fetched once, and
    the second is named in a warning rather than dropped without a word."""
    server = Server()
    server.routes["/keywords/q?a=1&b=2"] = ok(listing("q", items(HOST, "q", 0)))
    second = "https://WWW.example.gov/keywords/q?b=2&a=1"
    run = await run_crawl(server, [f"{BASE}/keywords/q?a=1&b=2", second], state)
    assert len(server.seen) == 1
    assert run.stats.records == 3
    assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"] == [
        f"{second} is a start URL given before (same page once canonical): crawled once"
    ]


async def test_credentials_in_a_start_url_are_sent_to_its_site_and_written_nowhere(
    state: CrawlState, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """user:password@ on a start URL authenticates every page of the listing, and appears in no
    record, state file or log line (a record goes to a search index, a log to a terminal)."""
    server = Server()
    listed = paged_topic(server, "news", 3)
    server.routes[f"{HOST}/keywords/news?page=2"] = httpx.Response(503, headers=HTML, content=b"busy")
    caplog.set_level("DEBUG")
    run = await run_crawl(server, [f"https://alice:s3cret@{HOST}/keywords/news"], state, max_attempts=1)
    assert shape(run.records) == expected(listed[:6])
    assert {r.source_url for r in run.records} == {f"{BASE}/keywords/news", f"{BASE}/keywords/news?page=1"}
    assert len(server.seen) == 3
    assert {r.headers.get("Authorization") for r in server.seen} == {"Basic YWxpY2U6czNjcmV0"}
    assert run.stats.failures == [(f"{BASE}/keywords/news?page=2", ANY)]
    state.close()
    written = "".join(r.model_dump_json() for r in run.records) + caplog.text
    written += (tmp_path / "state.sqlite").read_bytes().decode("latin-1")
    assert "s3cret" not in written
    assert "alice" not in written


async def test_max_pages_stops_the_crawl(state: CrawlState) -> None:
    """--max-pages N fetches N listing pages in all, then stops with the rest still queued."""
    server = Server()
    listed = paged_topic(server, "news", 5)
    run = await run_crawl(server, [f"{BASE}/keywords/news"], state, max_pages=2)
    assert len(server.seen) == 2
    assert shape(run.records) == expected(listed[:6])
    assert run.stats.pages == 2
    assert state.pending() == 1  # page 2 was queued by page 1 and left for later


async def test_max_pages_counts_across_start_urls(state: CrawlState) -> None:
    """The --max-pages budget is shared by every start URL of the crawl."""
    server = Server()
    for slug in ("a", "b", "c"):
        paged_topic(server, slug, 3)
    run = await run_crawl(server, [f"{BASE}/keywords/{s}" for s in "abc"], state, max_pages=4)
    assert len(server.seen) == 4
    assert run.stats.pages == 4


async def test_queued_is_counted_when_read_and_kept_after_the_crawl(state: CrawlState) -> None:
    """``stats.queued`` is the frontier's count when read, and its last value once the state is closed."""
    server = Server()
    paged_topic(server, "news", 3)
    options = Settings.model_validate({"delay": 0, "obey_robots": False, "max_pages": 2})
    seen: list[tuple[int, int]] = []
    async with build_client(options, transport=httpx.MockTransport(server)) as client:
        stats = await crawl(
            [f"{BASE}/keywords/news"],
            settings=options,
            sinks=[MemorySink()],
            state=state,
            client=client,
            progress=lambda s: seen.append((s.pages, s.queued)),
        )
    assert seen == [(1, 1), (2, 1)]  # each page queued the next one before it was counted done
    state.close()
    assert stats.queued == 1  # page 2, left by --max-pages: still readable with the state closed


async def test_claimed_but_unfetched_pages_go_back_to_the_queue_on_resume(tmp_path: Path) -> None:
    """Pages claimed in a batch and never fetched (a kill) are fetched by the next --resume run."""
    server = Server()
    listed = [t for slug in "abc" for t in paged_topic(server, slug, 1)]
    urls = [f"{BASE}/keywords/{s}" for s in "abc"]
    with CrawlState.open(tmp_path / "state.sqlite") as state:
        state.start_run({}, resume=False, identity=RUN_IDENTITY)
        for url in urls:
            state.add(url, start_url=url, page=0)
        assert len(state.claim(3)) == 3  # a batch claimed, then the process was killed
    with CrawlState.open(tmp_path / "state.sqlite") as state:
        run = await run_crawl(server, urls, state, resume=True)
    assert sorted(shape(run.records)) == sorted(expected(listed))
    assert run.stats.pages == 3


async def test_page_without_teasers_ends_the_listing(state: CrawlState) -> None:
    """A later page that lists nothing is the end of the listing, not a failure."""
    server = Server()
    first, second = items(HOST, "end", 0), items(HOST, "end", 1)
    server.routes["/keywords/end"] = ok(listing("end", first, next_href="/keywords/end?page=1"))
    server.routes["/keywords/end?page=1"] = ok(
        listing("end", second, page=1, next_href="/keywords/end?page=2")
    )
    server.routes["/keywords/end?page=2"] = ok(listing("end", [], page=2, next_href="/keywords/end?page=3"))
    run = await run_crawl(server, [f"{BASE}/keywords/end"], state)
    assert len(server.seen) == 3  # ?page=3 is never asked for
    assert shape(run.records) == expected(first + second)
    assert run.stats.pages == 3
    assert run.stats.failures == []
    assert not run.stats.errors


async def test_start_page_without_teasers_is_a_failure(state: CrawlState) -> None:
    """A start page that lists nothing is listed as a failure (wrong URL or unknown template)."""
    server = Server()
    server.routes["/keywords/empty"] = ok(listing("empty", []))
    run = await run_crawl(server, [f"{BASE}/keywords/empty"], state)
    assert run.records == []
    [(url, reason)] = run.stats.failures
    assert url == f"{BASE}/keywords/empty"
    assert reason.startswith("NoTeasersFound: ")
    assert run.stats.errors == {"NoTeasersFound": 1}
    assert state.failures() == [(url, reason)]


async def test_many_start_urls_on_many_hosts(state: CrawlState) -> None:
    """Several start URLs on several hosts are crawled in one run, each to the end of its listing."""
    server = Server()
    hosts = ["www.one.gov", "news.two.org", "three.example.com"]
    listed = {host: paged_topic(server, "topic", 3, host=host) for host in hosts}
    run = await run_crawl(server, [f"https://{h}/keywords/topic" for h in hosts], state)
    assert run.stats.pages == 9
    assert run.stats.failures == []
    for host in hosts:
        mine = [r for r in run.records if r.source_url.startswith(f"https://{host}/")]
        assert sorted(shape(mine), key=lambda t: (t[1], t[2])) == expected(listed[host])
    assert len({r.id for r in run.records}) == 27


async def test_offsite_next_link_is_not_followed(state: CrawlState) -> None:
    """A "next" link to another site ends the listing unless offsite is allowed."""
    server = Server()
    server.routes["/keywords/x"] = ok(
        listing("x", items(HOST, "x", 0), next_href="https://elsewhere.com/x?page=1")
    )
    server.routes["elsewhere.com/x?page=1"] = ok(listing("x", items("elsewhere.com", "x", 1), page=1))
    run = await run_crawl(server, [f"{BASE}/keywords/x"], state)
    assert server.targets() == [f"{HOST}/keywords/x"]
    assert run.stats.records == 3
    server.seen.clear()
    run = await run_crawl(server, [f"{BASE}/keywords/x"], state, allow_offsite=True)
    assert server.targets() == [f"{HOST}/keywords/x", "elsewhere.com/x?page=1"]
    assert run.stats.records == 6


# -- failures and skips --------------------------------------------------------------------------


async def test_non_html_start_url_fails_and_a_non_html_next_page_is_skipped(state: CrawlState) -> None:
    """A start URL that is a PDF is a failure (the crawl got nothing it was asked for: exit 1 or 3,
    like a start page without teasers); a next-page link to a PDF ends its listing with a note."""
    server = Server()
    pdf = httpx.Response(200, headers={"Content-Type": "application/pdf"}, content=b"%PDF-1.4")
    server.routes["/report.pdf"] = pdf
    server.routes["/keywords/news"] = ok(listing("news", items(HOST, "news", 0), next_href="/news.pdf"))
    server.routes["/news.pdf"] = pdf
    run = await run_crawl(server, [f"{BASE}/report.pdf", f"{BASE}/keywords/news"], state)
    assert run.stats.failures == [
        (
            f"{BASE}/report.pdf",
            "NotHtml: not an HTML page (Content-Type: application/pdf)",
        )
    ]
    assert run.stats.skipped == [
        (f"{BASE}/news.pdf", f"{BASE}/news.pdf: not an HTML page (Content-Type: application/pdf)")
    ]
    assert run.stats.records == 3
    assert state.status(f"{BASE}/report.pdf") == "failed"
    assert state.status(f"{BASE}/news.pdf") == "done"


async def test_404_page_is_listed_and_not_retried(state: CrawlState) -> None:
    """A 404 in the middle of a listing is one failure with its status; the pages before are kept."""
    server = Server()
    first = items(HOST, "gone", 0)
    server.routes["/keywords/gone"] = ok(listing("gone", first, next_href="/keywords/gone?page=1"))
    run = await run_crawl(server, [f"{BASE}/keywords/gone"], state)
    assert shape(run.records) == expected(first)
    assert run.stats.failures == [(f"{BASE}/keywords/gone?page=1", "FetchError: HTTP 404 Not Found")]
    assert run.stats.errors == {"FetchError": 1}
    assert server.targets().count(f"{HOST}/keywords/gone?page=1") == 1
    assert run.stats.fetch.retries == 0


async def test_server_error_is_retried_then_listed(state: CrawlState) -> None:
    """A page answering 500 every time is tried max_attempts times, then listed as a failure."""
    server = Server()
    server.routes["/keywords/down"] = httpx.Response(500, headers=HTML, content=b"oops")
    run = await run_crawl(server, [f"{BASE}/keywords/down"], state, max_attempts=3)
    assert len(server.seen) == 3
    assert run.stats.fetch.retries == 2
    assert run.stats.failures == [(f"{BASE}/keywords/down", "FetchError: HTTP 500 Internal Server Error")]


async def test_offsite_redirect_fails_unless_allowed(state: CrawlState) -> None:
    """A start URL redirecting to another site fails with OffsiteRedirect; --allow-offsite follows it."""
    server = Server()
    server.routes["/keywords/moved"] = httpx.Response(
        301, headers={"Location": "https://new.example.org/topic"}
    )
    server.routes["new.example.org/topic"] = ok(listing("moved", items("new.example.org", "moved", 0)))
    run = await run_crawl(server, [f"{BASE}/keywords/moved"], state)
    [(_url, reason)] = run.stats.failures
    assert reason.startswith("OffsiteRedirect: ")
    assert "https://new.example.org/topic" in reason
    run = await run_crawl(server, [f"{BASE}/keywords/moved"], state, allow_offsite=True)
    assert run.stats.failures == []
    assert {r.source_url for r in run.records} == {"https://new.example.org/topic"}


# -- rejects -------------------------------------------------------------------------------------


async def test_a_malformed_link_keeps_its_teaser_and_the_crawl(state: CrawlState, tmp_path: Path) -> None:
    """A CMS typo in one link (a port out of range) neither crashes the crawl nor loses the teaser.

    The parser treats such a link like ``mailto:``: no web link, so the teaser is written with
    ``url`` null; nothing needs rejecting. (Rejects for what a profile could still produce are
    tested with hand-made pages below.)
    """
    server = Server()
    teasers = items(HOST, "intranet", 0)
    typo = "http://www.dhs.gov:99999/go-links"
    bad = TopicTeaser(title="Go links", url=typo, excerpt="Short links.", position=2, page=0)
    # The page renders root-relative links; this teaser's is written absolute, as the CMS typo was.
    page = listing("intranet", [teasers[0], bad, teasers[1]]).replace('href="/go-links"', f'href="{typo}"')
    server.routes["/keywords/intranet"] = ok(page)
    rejects_path = tmp_path / "out.rejects.jsonl"
    run = await run_crawl(server, [f"{BASE}/keywords/intranet"], state, rejects=rejects_path)
    assert [(r.title, r.url) for r in run.records] == [
        (teasers[0].title, teasers[0].url),
        ("Go links", None),
        (teasers[1].title, teasers[1].url),
    ]
    assert run.stats.failures == []
    assert run.stats.rejected == 0
    assert not rejects_path.exists()


async def test_every_invalid_teaser_goes_to_rejects_with_its_reasons(
    state: CrawlState, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Valid teasers are written; each invalid one (as a profile could produce) is rejected, never dropped."""
    url = f"{BASE}/keywords/x"
    good = Teaser(title="A real story", url=f"{BASE}/a", position=1)
    boilerplate = Teaser.model_construct(title="Read more", url=f"{BASE}/b", position=2)
    blank = Teaser.model_construct(title="   ", url="javascript:void(0)", position=3)
    page = TopicPage.model_construct(
        url=url, topic="X", page=0, teasers=(good, boilerplate, blank), next_url=None, profile="drupal7"
    )
    monkeypatch.setattr(crawl_module, "parse_topic_page", lambda html, **kwargs: page)
    server = Server({"/keywords/x": ok("<h1>X</h1>")})
    rejects = tmp_path / "rejects.jsonl"
    run = await run_crawl(server, [url], state, rejects=rejects)
    assert [r.title for r in run.records] == ["A real story"]
    assert run.stats.rejected == 2
    lines = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert [line["data"]["position"] for line in lines] == [2, 3]
    assert "title is navigation boilerplate" in lines[0]["reason"]
    assert "title: " in lines[1]["reason"]
    assert "url: " in lines[1]["reason"]
    assert all(line["source_url"] == url for line in lines)


async def test_no_rejects_file_when_nothing_is_rejected(state: CrawlState, tmp_path: Path) -> None:
    """A clean crawl leaves no empty rejects file beside the output."""
    server = Server()
    paged_topic(server, "clean", 1)
    run = await run_crawl(server, [f"{BASE}/keywords/clean"], state, rejects=tmp_path / "rejects.jsonl")
    assert run.stats.records == 3
    assert not (tmp_path / "rejects.jsonl").exists()


# -- incremental re-crawls -----------------------------------------------------------------------


async def test_stop_at_seen_stops_a_daily_recrawl_early(state: CrawlState) -> None:
    """--stop-at-seen N: the next run stops paginating once N teasers already known appear in a row."""
    server = Server()
    paged_topic(server, "daily", 5)
    first = await run_crawl(server, [f"{BASE}/keywords/daily"], state, stop_at_seen=4)
    assert first.stats.pages == 5
    assert first.stats.new_records == 15
    # A day later one new story tops the listing and pushes everything one place down.
    fresh = TopicTeaser("Daily story 0", f"{BASE}/news/daily-0", "Brand new today.", 1, 0)
    relist(server, "daily", [fresh, *items(HOST, "daily", 0, 15)], pages=5)
    server.seen.clear()
    second = await run_crawl(server, [f"{BASE}/keywords/daily"], state, stop_at_seen=4)
    # page 0: new, old, old (streak 2); page 1: old, old (streak 4): stop there.
    assert server.targets() == [f"{HOST}/keywords/daily", f"{HOST}/keywords/daily?page=1"]
    assert second.stats.new_records == 1
    assert second.stats.pages == 2


async def test_stop_at_seen_counts_only_earlier_runs(state: CrawlState) -> None:
    """Teasers repeated within one run do not stop it: only ids from an earlier run count as seen."""
    server = Server()
    first, second = items(HOST, "repeat", 0)[:2], items(HOST, "repeat", 1)
    relist(server, "repeat", [item for other in second for item in (*first, other)], pages=3)
    run = await run_crawl(server, [f"{BASE}/keywords/repeat"], state, stop_at_seen=2)
    assert run.stats.pages == 3


def relist(server: Server, slug: str, listed: list[TopicTeaser], *, pages: int, per_page: int = 3) -> None:
    """Serve ``listed`` as ``pages`` pages of ``per_page`` teasers, linked by a pager "next"."""
    for page in range(pages):
        chunk = listed[page * per_page : (page + 1) * per_page]
        placed = [TopicTeaser(t.title, t.url, t.excerpt, i + 1, page) for i, t in enumerate(chunk)]
        target = f"/keywords/{slug}" + (f"?page={page}" if page else "")
        nxt = f"/keywords/{slug}?page={page + 1}" if page < pages - 1 else None
        server.routes[HOST + target] = ok(listing(slug, placed, page=page, next_href=nxt))


def conditional_topic(server: Server, slug: str, pages: int, version: dict[int, int]) -> None:
    """Serve ``slug`` with ETag/Last-Modified per page; a matching conditional request gets a 304.

    ``version[page]`` (default 1) is the page's current version: bumping it changes the page.
    """

    def route(page: int) -> Route:
        def answer(request: httpx.Request) -> httpx.Response:
            v = version.get(page, 1)
            validators = {
                "ETag": f'"{slug}-{page}-v{v}"',
                "Last-Modified": f"Fri, 0{v} Jul 2016 12:00:00 GMT",
            }
            if request.headers.get("If-None-Match") == validators["ETag"]:
                return httpx.Response(304, headers=validators)
            teasers = items(HOST, slug, page, first=page * 3 + (100 * (v - 1)))
            nxt = f"/keywords/{slug}?page={page + 1}" if page < pages - 1 else None
            return ok(listing(slug, teasers, page=page, next_href=nxt), **validators)

        return answer

    for page in range(pages):
        server.routes[HOST + f"/keywords/{slug}" + (f"?page={page}" if page else "")] = route(page)


async def test_recrawl_with_db_is_conditional_and_304_is_not_parsed(
    state: CrawlState, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With state and --db, pages are asked for conditionally; a 304 is not parsed and the pager goes on."""
    server = Server()
    version: dict[int, int] = {}
    conditional_topic(server, "cond", 4, version)
    url = f"{BASE}/keywords/cond"
    db = tmp_path / "out.sqlite"
    first = await run_crawl(server, [url], state, db=db)
    assert first.stats.pages == 4
    assert all("If-None-Match" not in r.headers for r in server.seen)

    parsed: list[str] = []
    real_parse = parsers.parse_topic_page

    def counting_parse(html: str | bytes, **kwargs: Any) -> TopicPage:
        parsed.append(kwargs["url"])
        return real_parse(html, **kwargs)

    monkeypatch.setattr(crawl_module, "parse_topic_page", counting_parse)
    version[2] = 2  # page 2 changed since the first run
    server.seen.clear()
    second = await run_crawl(server, [url], state, db=db)
    assert [r.headers.get("If-None-Match") for r in server.seen] == [
        '"cond-0-v1"',
        '"cond-1-v1"',
        '"cond-2-v1"',
        '"cond-3-v1"',
    ]
    assert server.seen[0].headers["If-Modified-Since"] == "Fri, 01 Jul 2016 12:00:00 GMT"
    assert parsed == [f"{url}?page=2"]
    assert (second.stats.not_modified, second.stats.pages) == (3, 1)
    assert [r.title for r in second.records] == [t.title for t in items(HOST, "cond", 2, first=106)]
    assert second.stats.new_records == 3
    assert second.stats.failures == []
    # The changed page's new validators are stored: a third run sends them.
    server.seen.clear()
    await run_crawl(server, [url], state, db=db)
    assert server.seen[2].headers["If-None-Match"] == '"cond-2-v2"'


@pytest.mark.parametrize(
    "options", [{}, {"db": Path("out.sqlite"), "also_to_file": True}], ids=["file", "file and db"]
)
async def test_a_file_output_is_never_left_to_304s(state: CrawlState, options: dict[str, Any]) -> None:
    """A file output starts empty (a re-crawl, or a resume after a kill that cut the output the
    earlier run wrote), so no page may come back as a 304 with no body: every record is written
    again, also when a database beside it keeps the earlier ones."""
    server = Server()
    conditional_topic(server, "plain", 2, {})
    await run_crawl(server, [f"{BASE}/keywords/plain"], state, db=Path("out.sqlite"))
    server.seen.clear()
    run = await run_crawl(server, [f"{BASE}/keywords/plain"], state, **options)
    assert [r.headers.get("If-None-Match") for r in server.seen] == [None, None]
    assert run.stats.records == 6
    assert run.stats.not_modified == 0


async def test_a_new_database_gets_every_page_though_the_state_knows_them(
    state: CrawlState, tmp_path: Path
) -> None:
    """A database deleted and rebuilt (or a new one beside an old state file) holds none of the
    pages the state has validators for: no conditional requests, every record written."""
    server = Server()
    conditional_topic(server, "rebuilt", 2, {})
    url = f"{BASE}/keywords/rebuilt"
    options = Settings(delay=0, obey_robots=False)
    for name in ("first.sqlite", "rebuilt.sqlite", "rebuilt.sqlite"):
        server.seen.clear()
        with SqliteSink(tmp_path / name) as sink:
            async with build_client(options, transport=httpx.MockTransport(server)) as client:
                stats = await crawl([url], settings=options, sinks=[sink], state=state, client=client)
        if name == "first.sqlite" or not sink.cumulative:
            assert [r.headers.get("If-None-Match") for r in server.seen] == [None, None]
            assert (stats.pages, stats.written) == (2, 6)
        else:  # the rebuilt database, crawled again: now it holds the records a 304 stands for
            assert stats.not_modified == 2
    with sqlite3.connect(tmp_path / "rebuilt.sqlite") as conn:
        assert conn.execute("SELECT count(*) FROM records").fetchone()[0] == 6
    conn.close()


async def test_stop_at_seen_is_off_for_an_empty_database(state: CrawlState, tmp_path: Path) -> None:
    """The state knows every teaser from yesterday, but today's database is new (rebuilt): it gets
    every page, not only those before N known teasers; the next day stops early again."""
    server = Server()
    paged_topic(server, "daily", 5)
    url = f"{BASE}/keywords/daily"
    options = Settings(delay=0, obey_robots=False, stop_at_seen=3)
    pages = []
    for name in ("old.sqlite", "rebuilt.sqlite", "rebuilt.sqlite"):
        server.seen.clear()
        with SqliteSink(tmp_path / name) as sink:
            async with build_client(options, transport=httpx.MockTransport(server)) as client:
                stats = await crawl([url], settings=options, sinks=[sink], state=state, client=client)
        pages.append(stats.pages)
    assert pages == [5, 5, 1]
    with closing(sqlite3.connect(tmp_path / "rebuilt.sqlite")) as conn:
        assert conn.execute("SELECT count(*) FROM records").fetchone()[0] == 15


async def test_a_resumed_file_output_gets_every_page_it_lacks(state: CrawlState) -> None:
    """A re-crawl into a file is stopped after page 0 (it truncated the file the first crawl wrote);
    --resume must fetch the other pages whole, not as 304s whose records are in no file any more."""
    server = Server()
    conditional_topic(server, "plain", 3, {})
    url = f"{BASE}/keywords/plain"
    await run_crawl(server, [url], state)
    stopped = await run_crawl(server, [url], state, max_pages=1)
    server.seen.clear()
    resumed = await run_crawl(server, [url], state, resume=True)
    assert [str(r.url) for r in server.seen] == [f"{url}?page=1", f"{url}?page=2"]
    assert [r.headers.get("If-None-Match") for r in server.seen] == [None, None]
    assert stopped.stats.records + resumed.stats.records == 9
    assert resumed.stats.not_modified == 0


async def test_stop_at_seen_counts_the_teasers_of_unchanged_pages(state: CrawlState, tmp_path: Path) -> None:
    """A 304 page's teasers were all seen before, so --stop-at-seen stops there instead of paging on."""
    server = Server()
    conditional_topic(server, "quiet", 5, {})
    url = f"{BASE}/keywords/quiet"
    await run_crawl(server, [url], state, db=tmp_path / "out.sqlite", stop_at_seen=3)
    server.seen.clear()
    run = await run_crawl(server, [url], state, db=tmp_path / "out.sqlite", stop_at_seen=3)
    assert server.targets() == [f"{HOST}/keywords/quiet"]
    assert run.stats.not_modified == 1


async def test_resume_retries_failed_pages(state: CrawlState) -> None:
    """A page that failed (e.g. the server was down) is fetched again by --resume; done pages are not."""
    server = Server()
    listed = paged_topic(server, "flaky", 3)
    good_page_1 = server.routes[f"{HOST}/keywords/flaky?page=1"]
    server.routes[f"{HOST}/keywords/flaky?page=1"] = httpx.Response(503, headers=HTML, content=b"down")
    first = await run_crawl(server, [f"{BASE}/keywords/flaky"], state, max_attempts=1)
    assert [url for url, _ in first.stats.failures] == [f"{BASE}/keywords/flaky?page=1"]
    server.routes[f"{HOST}/keywords/flaky?page=1"] = good_page_1
    server.seen.clear()
    second = await run_crawl(server, [f"{BASE}/keywords/flaky"], state, resume=True)
    assert server.targets() == [f"{HOST}/keywords/flaky?page=1", f"{HOST}/keywords/flaky?page=2"]
    assert shape(first.records + second.records) == expected(listed)
    assert second.stats.failures == []


async def test_unchanged_page_does_not_follow_an_offsite_next_link(state: CrawlState, tmp_path: Path) -> None:
    """A 304 continues with the stored next link only where a parsed page would: on the same site."""
    server = Server()
    etag = {"ETag": '"v1"'}

    def page_zero(request: httpx.Request) -> httpx.Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return httpx.Response(304, headers=etag)
        return ok(listing("x", items(HOST, "x", 0), next_href="https://elsewhere.com/x?page=1"), **etag)

    server.routes["/keywords/x"] = page_zero
    server.routes["elsewhere.com/x?page=1"] = ok(listing("x", items("elsewhere.com", "x", 1), page=1))
    for _ in range(2):
        run = await run_crawl(server, [f"{BASE}/keywords/x"], state, db=tmp_path / "out.sqlite")
    assert server.targets() == [f"{HOST}/keywords/x", f"{HOST}/keywords/x"]
    assert run.stats.not_modified == 1


async def test_an_unexpected_error_on_one_page_is_listed_and_the_crawl_goes_on(
    state: CrawlState, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug hit on one page fails that page (listed with its kind); the other start URLs finish."""
    server = Server()
    for slug in ("good", "cursed"):
        server.routes[f"/keywords/{slug}"] = ok(listing(slug, items(HOST, slug, 0)))
    real_parse = crawl_module.parse_topic_page

    def parse(content: bytes, **kwargs: Any) -> TopicPage:
        if "cursed" in kwargs["url"]:
            raise RuntimeError("a bug in a profile")
        return real_parse(content, **kwargs)

    monkeypatch.setattr(crawl_module, "parse_topic_page", parse)
    run = await run_crawl(server, [f"{BASE}/keywords/good", f"{BASE}/keywords/cursed"], state)
    assert {r.topic for r in run.records} == {"Good"}
    assert run.stats.failures == [(f"{BASE}/keywords/cursed", "RuntimeError: a bug in a profile")]
    assert run.stats.errors == {"RuntimeError": 1}


@dataclass
class FullDisk(MemorySink):
    """A sink whose disk fills up after ``room`` writes."""

    room: int = 1

    def write(self, records: Sequence[Record]) -> int:
        if self.room == 0:
            raise OSError(28, "No space left on device")
        self.room -= 1
        return super().write(records)


async def test_an_output_that_cannot_be_written_stops_the_crawl_and_resume_finishes(
    state: CrawlState,
) -> None:
    """A full disk stops the crawl at once (every later page would fail the same way) with
    OutputFailed naming the output; the run is left interrupted, so --resume writes the rest."""
    server = Server()
    listed = paged_topic(server, "disk", 4)
    url = f"{BASE}/keywords/disk"
    options = Settings(delay=0, obey_robots=False)
    full = FullDisk(path=Path("out.jsonl"), room=1)
    async with build_client(options, transport=httpx.MockTransport(server)) as client:
        with pytest.raises(OutputFailed, match=r"cannot write out\.jsonl: No space left on device"):
            await crawl([url], settings=options, sinks=[full], state=state, client=client)
    assert len(server.seen) == 2  # page 1 failed to be written: no page after it was fetched
    assert state.counts().done == 1
    resumed = await run_crawl(server, [url], state, resume=True)
    assert shape(full.records + resumed.records) == expected(listed)
