"""Tests for scraper/wayback.py's ``run_wayback`` over httpx.MockTransport and a fake clock: identical
captures, pager pages in range and near page 0, resume identity, pywb archives, lazy outputs, link bases.

The archive here is a small in-process CDX server and capture player (:class:`MockArchive`) whose pages
are the DHS Secure Communities pages rebuilt with chosen teasers (``tests/e2e/make_wayback_fixtures``).
"""

from __future__ import annotations

import asyncio
import gc
import json
import re
import sqlite3
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import httpx
import pytest

from parsers import Record, TopicPage
from scraper import wayback
from scraper.errors import StateMismatch
from scraper.frontier import CrawlState
from scraper.settings import Settings
from scraper.sinks import Sink
from scraper.wayback import CDX_FIELDS, PAGER_WINDOW, WaybackStats, parse_timestamp, run_wayback

from e2e.archive import surt
from e2e.make_wayback_fixtures import dhs_pages, digest, listing, teaser_rows

if TYPE_CHECKING:
    from conftest import FakeClock

TOPIC = "https://www.dhs.gov/keywords/secure-communities"
ORIGIN = "https://archive.test"
CDX = f"{ORIGIN}/cdx/search/cdx"

_PAGES = dhs_pages()
_ROWS = teaser_rows(_PAGES)
_CAPTURE_RE = re.compile(r"^(?P<ts>\d{14})(?P<mode>[a-z]{2}_)?/(?P<url>.+)$")


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def _page(keys: Sequence[str], page: int = 0, pages: int = 1) -> bytes:
    """A DHS listing page with the teasers ``keys`` (A1-A5, B1-B5, C1-C3...) and a pager."""
    return listing(_PAGES[0], _ROWS, tuple(keys), page, pages).encode("utf-8")


@dataclass(frozen=True)
class Cap:
    """One capture the mock archive holds.

    ``status`` other than 200 is a capture of an error page (played back with that status). A
    ``revisit_of`` capture is a revisit record of that one: listed as ``warc/revisit``, status ``-``,
    with its digest, and played back, as the Wayback Machine does, with its bytes and status under
    the revisit's own time (``body`` unused).
    """

    original: str
    stamp: str
    body: bytes
    status: int = 200
    revisit_of: Cap | None = None

    def row(self) -> list[str]:
        """Its CDX row."""
        if self.revisit_of is not None:
            same = digest(self.revisit_of.body)
            return [surt(self.original), self.stamp, self.original, "warc/revisit", "-", same, "600"]
        status = str(self.status)
        return [
            surt(self.original),
            self.stamp,
            self.original,
            "text/html",
            status,
            digest(self.body),
            "9000",
        ]


class MockArchive:
    """A CDX server (``url`` by SURT, ``from``/``to``, ``collapse=digest``) and a capture player under
    ``prefix``, as a MockTransport handler; it logs CDX queries and the timestamps of captures asked for.

    Args:
        captures: what the archive holds.
        prefix: the playback path (``/web/``, or a pywb collection's ``/<coll>/``).
        ndjson: answer the CDX as pywb does: one JSON object per line, ``text/x-ndjson``, its field names.
        link: send ``Link: <original>; rel="original"`` with captures (pywb may not).
    """

    def __init__(
        self, captures: Sequence[Cap], *, prefix: str = "/web/", ndjson: bool = False, link: bool = True
    ) -> None:
        self.captures = sorted(captures, key=lambda c: c.stamp)
        self.prefix = prefix
        self.ndjson = ndjson
        self.link = link
        self.cdx_status = 200
        self.cdx_log: list[dict[str, list[str]]] = []
        self.web_log: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/cdx/search/cdx":
            return self._cdx(parse_qs(request.url.query.decode(), keep_blank_values=True))
        target = request.url.raw_path.decode("ascii")
        if target.startswith(self.prefix):
            return self._capture(target[len(self.prefix) :])
        return httpx.Response(404, text="not found")

    def _cdx(self, query: dict[str, list[str]]) -> httpx.Response:
        self.cdx_log.append(query)
        if self.cdx_status != 200:
            return httpx.Response(
                self.cdx_status, headers={"Content-Type": "text/html"}, text="<h1>down</h1>"
            )
        key = surt(query["url"][0])
        low = query.get("from", [""])[0].ljust(14, "0")
        high = query.get("to", [""])[0].ljust(14, "9")
        rows = [c.row() for c in self.captures if surt(c.original) == key and low <= c.stamp <= high]
        if "collapse" in query:
            rows = [row for i, row in enumerate(rows) if i == 0 or rows[i - 1][5] != row[5]]
        if self.ndjson:
            names = ("urlkey", "timestamp", "url", "mime", "status", "digest", "length")
            lines = (json.dumps(dict(zip(names, row, strict=True))) + "\n" for row in rows)
            return httpx.Response(200, headers={"Content-Type": "text/x-ndjson"}, text="".join(lines))
        body = json.dumps([list(CDX_FIELDS), *rows]) if rows else "[]"
        return httpx.Response(200, headers={"Content-Type": "application/json"}, text=body)

    def _capture(self, rest: str) -> httpx.Response:
        match = _CAPTURE_RE.match(rest)
        assert match is not None, rest
        self.web_log.append(match["ts"])
        for cap in self.captures:
            if cap.stamp == match["ts"] and surt(cap.original) == surt(match["url"]):
                headers = {
                    "Content-Type": "text/html; charset=utf-8",
                    "Memento-Datetime": format_datetime(parse_timestamp(cap.stamp), usegmt=True),
                }
                if self.link:
                    headers["Link"] = f'<{cap.original}>; rel="original"'
                played = cap.revisit_of or cap
                return httpx.Response(played.status, headers=headers, content=played.body)
        return httpx.Response(
            404, headers={"X-Archive-Wayback-Runtime-Error": "ResourceNotInArchiveException"}, text="no"
        )


class ListSink:
    """Keeps what a run writes."""

    def __init__(self, path: Path = Path("list")) -> None:
        self.path = path
        self.records: list[Record] = []

    def write(self, records: Sequence[Record]) -> int:
        self.records.extend(records)
        return len(records)


def _settings(**kwargs: object) -> Settings:
    return Settings.model_validate(
        {"cdx_url": CDX, "archive_url": f"{ORIGIN}/web/", "max_attempts": 2, **kwargs}
    )


async def _run(
    archive: MockArchive,
    clock: FakeClock,
    *,
    url: str = TOPIC,
    state: CrawlState | None = None,
    **settings: object,
) -> tuple[WaybackStats, list[Record]]:
    sink = ListSink()
    stats = await run_wayback(
        url,
        settings=_settings(**settings),
        sinks=[sink],
        state=state,
        clock=clock,
        transport=httpx.MockTransport(archive),
    )
    return stats, sink.records


def _by_title(records: Sequence[Record]) -> dict[str, Record]:
    return {record.title: record for record in records}


# -- identical captures -------------------------------------------------------------------------------

UNCHANGED = [
    Cap(TOPIC, "20170101000000", _page(["N1", "A1"])),
    Cap(TOPIC, "20170601000000", _page(["N1", "A1"])),
]
"""A page that stopped changing: its 2017-06-01 capture is byte-identical to the 2017-01-01 one."""


async def test_an_unchanged_page_is_seen_until_its_last_identical_capture(fake_clock: FakeClock) -> None:
    """The identical later capture is a sighting (last_seen, archived_at, capture_url) but not a fetch."""
    archive = MockArchive(UNCHANGED)
    stats, records = await _run(archive, fake_clock)
    assert len(records) == 2
    for record in records:
        assert (record.first_seen, record.last_seen) == (_utc(2017, 1, 1), _utc(2017, 6, 1))
        assert record.archived_at == _utc(2017, 6, 1)
        assert record.capture_url == f"{ORIGIN}/web/20170601000000id_/{TOPIC}"
    assert archive.web_log == ["20170101000000"]
    assert (stats.listed, stats.captures_read, stats.identical) == (2, 1, 1)
    assert "collapse" not in archive.cdx_log[0]


@pytest.mark.parametrize("from_date", [None, "2016", "2017-01", "2017-02"])
async def test_last_seen_does_not_depend_on_from(fake_clock: FakeClock, from_date: str | None) -> None:
    """Wherever the range starts, the last sighting of an unchanged page is its last capture."""
    _, records = await _run(MockArchive(UNCHANGED), fake_clock, from_date=from_date)
    assert {record.last_seen for record in records} == {_utc(2017, 6, 1)}


async def test_all_captures_and_summary_count_an_identical_capture(fake_clock: FakeClock) -> None:
    """--all-captures keeps a record per teaser per capture; --summary shows the repeat as no change."""
    archive = MockArchive(UNCHANGED)
    stats, records = await _run(archive, fake_clock, all_captures=True)
    assert sorted((r.title[:10], r.archived_at) for r in records) == sorted(
        (title[:10], when) for title in _by_title(records) for when in (_utc(2017, 1, 1), _utc(2017, 6, 1))
    )
    assert len({r.capture_url for r in records}) == 2
    assert [(c.teasers, len(c.appeared), len(c.disappeared)) for c in stats.changes] == [(2, 2, 0), (2, 0, 0)]
    assert archive.web_log == ["20170101000000"]


async def test_identical_captures_side_by_side_are_fetched_once(fake_clock: FakeClock) -> None:
    """Identical captures read at the same time (concurrency) still cost one request."""
    body = _page(["A1", "A2"])
    archive = MockArchive([Cap(TOPIC, f"2016010{day}000000", body) for day in (1, 2, 3)])
    stats, records = await _run(archive, fake_clock, concurrency=3)
    assert archive.web_log == ["20160101000000"]
    assert (stats.identical, stats.captures_read) == (2, 1)
    assert {r.last_seen for r in records} == {_utc(2016, 1, 3)}


async def test_a_page_that_changed_back_is_not_fetched_again(fake_clock: FakeClock) -> None:
    """A, then B, then A again: the third is A's records at the third's time, without a request."""
    first, changed = _page(["A1", "A2"]), _page(["N1", "A1"])
    archive = MockArchive(
        [
            Cap(TOPIC, "20160101000000", first),
            Cap(TOPIC, "20160201000000", changed),
            Cap(TOPIC, "20160301000000", first),
        ]
    )
    stats, records = await _run(archive, fake_clock)
    assert archive.web_log == ["20160101000000", "20160201000000"]
    seen = {r.title[:12]: (r.first_seen, r.last_seen) for r in records}
    assert set(seen.values()) == {
        (_utc(2016, 1, 1), _utc(2016, 3, 1)),  # A1 in all three, A2 in the first and the third
        (_utc(2016, 2, 1), _utc(2016, 2, 1)),  # N1 only in the changed one
    }
    assert [len(c.disappeared) for c in stats.changes] == [0, 1, 1]


# -- pager pages ----------------------------------------------------------------------------------------


def _paged(stamp: str, page1_stamp: str) -> list[Cap]:
    return [
        Cap(TOPIC, stamp, _page(["A1", "A2", "A3", "A4", "A5"], 0, 2)),
        Cap(f"{TOPIC}?page=1", page1_stamp, _page(["B1", "B2"], 1, 2)),
    ]


async def test_pager_page_outside_the_range_is_never_read(fake_clock: FakeClock) -> None:
    """Page 1 captured only in 2019 is not read with a 2012 page 0 in a 2012-2013 run; a note says why."""
    archive = MockArchive(_paged("20120101000000", "20190101000000"))
    stats, records = await _run(archive, fake_clock, from_date="2012", to_date="2013")
    assert archive.web_log == ["20120101000000"]
    lookup = archive.cdx_log[1]
    assert (lookup["url"], lookup["from"], lookup["to"]) == ([f"{TOPIC}?page=1"], ["2012"], ["2013"])
    assert stats.skipped == [
        (f"{TOPIC}?page=1", "the archive holds no readable capture of this page in this range")
    ]
    assert [c.complete for c in stats.changes] == [False]
    assert len(records) == 5


@pytest.mark.parametrize(("page1", "read"), [("20120120000000", True), ("20120601000000", False)])
async def test_pager_page_far_from_page_0_is_not_read_with_it(
    fake_clock: FakeClock, page1: str, read: bool
) -> None:
    """Within the range, page 1 is read with page 0 only within PAGER_WINDOW; farther it is a note."""
    archive = MockArchive(_paged("20120101000000", page1))
    stats, records = await _run(archive, fake_clock, from_date="2012", to_date="2012")
    gap = parse_timestamp(page1) - _utc(2012, 1, 1)
    assert (gap <= PAGER_WINDOW) is read
    assert (page1 in archive.web_log) is read
    assert len(records) == (7 if read else 5)
    if not read:
        ((url, reason),) = stats.skipped
        assert url == f"{TOPIC}?page=1"
        assert reason.startswith(
            "no capture near this one: the nearest capture of this page is 152 days away"
        )


# -- resume ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"url": "https://www.dhs.gov/keywords/e-verify"},
        {"from_date": "2016"},
        {"to_date": "2018"},
        {"cdx_url": "https://other.test/cdx/search/cdx"},
        {"archive_url": "https://other.test/web/"},
    ],
)
async def test_resume_refuses_the_state_of_another_run(
    fake_clock: FakeClock, tmp_path: Path, change: dict[str, str]
) -> None:
    """--resume with another URL, range, CDX or archive raises StateMismatch before any request, and
    leaves the state as it was: the same run resumes afterwards, fetching nothing again."""
    archive = MockArchive(UNCHANGED)
    path = tmp_path / "state.sqlite"
    with CrawlState.open(path, clock=fake_clock.now) as state:
        await _run(archive, fake_clock, state=state)
    requests = len(archive.cdx_log) + len(archive.web_log)
    url = change.get("url", TOPIC)
    other = {k: v for k, v in change.items() if k != "url"}
    with CrawlState.open(path, clock=fake_clock.now) as state, pytest.raises(StateMismatch) as refused:
        await _run(archive, fake_clock, url=url, state=state, resume=True, **other)
    assert refused.value.stored is not None
    assert refused.value.stored["url"] == TOPIC
    assert len(archive.cdx_log) + len(archive.web_log) == requests
    with CrawlState.open(path, clock=fake_clock.now) as state:
        stats, records = await _run(archive, fake_clock, state=state, resume=True)
    assert len(records) == 2
    assert stats.captures_read == 0


# -- revisit records -----------------------------------------------------------------------------------

_ORIGINAL = Cap(TOPIC, "20160101000000", _page(["N1", "A1"]))
REVISITS = [
    _ORIGINAL,
    Cap(TOPIC, "20160601000000", b"", revisit_of=_ORIGINAL),
    Cap(TOPIC, "20170101000000", b"", revisit_of=_ORIGINAL),
    Cap(TOPIC, "20180101000000", _page(["C1"])),
]
"""As the Internet Archive lists a page that did not change: the 2016-06 and 2017-01 captures are
``warc/revisit`` records (status ``-``) of the 2016-01 one."""


async def test_a_revisit_record_is_a_sighting_of_the_capture_it_repeats(fake_clock: FakeClock) -> None:
    """Revisit records are listed and dated like the capture they repeat, which is read once only."""
    archive = MockArchive(REVISITS)
    stats, records = await _run(archive, fake_clock)
    seen = sorted((r.first_seen, r.last_seen, r.capture_url) for r in records)
    assert seen == [
        (_utc(2016, 1, 1), _utc(2017, 1, 1), f"{ORIGIN}/web/20170101000000id_/{TOPIC}"),
        (_utc(2016, 1, 1), _utc(2017, 1, 1), f"{ORIGIN}/web/20170101000000id_/{TOPIC}"),
        (_utc(2018, 1, 1), _utc(2018, 1, 1), f"{ORIGIN}/web/20180101000000id_/{TOPIC}"),
    ]
    assert archive.web_log == ["20160101000000", "20180101000000"]
    assert (stats.listed, stats.identical, stats.snapshots) == (4, 2, 4)
    assert [len(change.appeared) for change in stats.changes] == [2, 0, 0, 1]


async def test_a_revisit_of_a_capture_outside_the_range_is_read_by_its_own_url(
    fake_clock: FakeClock,
) -> None:
    """A revisit whose original is not listed is asked for by its id_ URL, which the archive answers
    with the original's bytes under the revisit's time; the next revisit of it is not fetched."""
    archive = MockArchive(REVISITS)
    stats, records = await _run(archive, fake_clock, from_date="2016-03", to_date="2017")
    assert archive.web_log == ["20160601000000"]
    assert stats.identical == 1
    assert {(r.first_seen, r.last_seen) for r in records} == {(_utc(2016, 6, 1), _utc(2017, 1, 1))}


async def test_a_revisit_of_an_error_page_gives_no_records(fake_clock: FakeClock) -> None:
    """A revisit of a capture that is not a 200 page (filtered from the listing) makes no records: the
    archive plays it back as that error, and the skip says it was a revisit record."""
    error = Cap(TOPIC, "20160101000000", b"<h1>Not found</h1>", status=404)
    good = Cap(TOPIC, "20150101000000", _page(["A1"]))
    archive = MockArchive([good, error, Cap(TOPIC, "20160601000000", b"", revisit_of=error)])
    stats, records = await _run(archive, fake_clock)
    assert [(r.first_seen, r.last_seen) for r in records] == [(_utc(2015, 1, 1), _utc(2015, 1, 1))]
    assert archive.web_log == ["20150101000000", "20160601000000"]
    ((where, why),) = stats.skipped
    assert "20160601000000id_" in where
    assert "revisit record" in why
    assert stats.failed == []


# -- many identical captures ---------------------------------------------------------------------------


async def test_identical_captures_are_stored_as_pointers_not_copies(
    fake_clock: FakeClock, tmp_path: Path
) -> None:
    """Forty identical captures keep one copy of the records in the state file; the output and a
    resume give the same sightings as if each had been read."""
    stamps = [f"2016{month:02d}{day:02d}000000" for month in range(1, 11) for day in (1, 8, 15, 22)]
    archive = MockArchive([Cap(TOPIC, stamp, _page(["N1", "A1"])) for stamp in stamps])
    path = tmp_path / "state.sqlite"
    with CrawlState.open(path, clock=fake_clock.now) as state:
        stats, records = await _run(archive, fake_clock, state=state, all_captures=True)
    assert archive.web_log == [stamps[0]]
    assert (stats.identical, len(records)) == (39, 80)
    assert {r.capture_url for r in records} == {f"{ORIGIN}/web/{stamp}id_/{TOPIC}" for stamp in stamps}
    with closing(sqlite3.connect(path)) as db:
        copies = db.execute("SELECT count(*) FROM wayback_captures WHERE records != '[]'").fetchone()
        plan = db.execute(
            "EXPLAIN QUERY PLAN SELECT c.url FROM wayback_digests mine JOIN wayback_digests d "
            "ON d.digest = mine.digest AND d.original = mine.original AND d.url != mine.url "
            "JOIN wayback_captures c ON c.url = d.url WHERE mine.url = 'x'"
        ).fetchall()
    assert copies == (1,)
    assert all(row[-1].startswith("SEARCH") for row in plan), plan  # no table is scanned
    with CrawlState.open(path, clock=fake_clock.now) as state:
        again, resumed = await _run(archive, fake_clock, state=state, all_captures=True, resume=True)
    assert archive.web_log == [stamps[0]]
    assert again.failed == []
    assert resumed == records


# -- resume identity -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "then"),
    [
        (("2011", "2016"), ("2011-01-01", "2016-12-31")),
        (("201101", "2016-12"), ("2011-01-01T00:00:00Z", "20161231235959")),
        ((None, "2016-02"), (None, "2016-02-29")),
    ],
)
async def test_resume_takes_the_same_range_written_differently(
    fake_clock: FakeClock, tmp_path: Path, first: tuple[str | None, str], then: tuple[str | None, str]
) -> None:
    """--resume compares the range as the seconds it covers, not as typed."""
    archive = MockArchive(UNCHANGED)
    path = tmp_path / "state.sqlite"
    with CrawlState.open(path, clock=fake_clock.now) as state:
        await _run(archive, fake_clock, state=state, from_date=first[0], to_date=first[1])
    fetched = len(archive.web_log)
    with CrawlState.open(path, clock=fake_clock.now) as state:
        stats, _ = await _run(
            archive, fake_clock, state=state, from_date=then[0], to_date=then[1], resume=True
        )
    assert len(archive.web_log) == fetched
    assert stats.failed == []


async def test_resume_takes_a_state_that_stored_the_range_as_typed(
    fake_clock: FakeClock, tmp_path: Path
) -> None:
    """A state file from before the range was stored as seconds (``2011``, ``2016``) resumes with the
    same range; another range is still refused."""
    archive = MockArchive(UNCHANGED)
    path = tmp_path / "state.sqlite"
    with CrawlState.open(path, clock=fake_clock.now) as state:
        await _run(archive, fake_clock, state=state, from_date="2011", to_date="2017")
    with closing(sqlite3.connect(path)) as db:
        (settings,) = db.execute("SELECT settings FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        old = json.loads(settings)
        old["identity"] = {**old["identity"], "from": "2011", "to": "2017"}
        db.execute("UPDATE runs SET settings = ?", (json.dumps(old),))
        db.commit()
    with CrawlState.open(path, clock=fake_clock.now) as state:
        stats, _ = await _run(
            archive, fake_clock, state=state, from_date="2011-01", to_date="2017", resume=True
        )
    assert stats.captures_read == 0
    with CrawlState.open(path, clock=fake_clock.now) as state, pytest.raises(StateMismatch):
        await _run(archive, fake_clock, state=state, from_date="2012", to_date="2017", resume=True)


# -- other archives ----------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["/wayback/", "/all/", "/my-coll/"])
async def test_pywb_collection_prefix_is_read(fake_clock: FakeClock, prefix: str) -> None:
    """Captures played back under a pywb collection (no Link header) are read like /web/ ones."""
    archive = MockArchive(UNCHANGED[:1], prefix=prefix, link=False)
    stats, records = await _run(archive, fake_clock, archive_url=f"{ORIGIN}{prefix}")
    assert stats.failed == []
    assert len(records) == 2
    assert {r.capture_url for r in records} == {f"{ORIGIN}{prefix}20170101000000id_/{TOPIC}"}


async def test_pywb_ndjson_cdx_is_read(fake_clock: FakeClock) -> None:
    """A CDX answer in pywb's form (text/x-ndjson, one object per line, url/mime/status) lists captures."""
    archive = MockArchive(UNCHANGED, ndjson=True)
    stats, records = await _run(archive, fake_clock)
    assert (stats.failed, stats.listed) == ([], 2)
    assert {r.last_seen for r in records} == {_utc(2017, 6, 1)}


async def test_bad_range_or_archive_url_is_refused_before_any_request(fake_clock: FakeClock) -> None:
    """A range that ends before it starts, or an archive URL nothing can follow, is a ValueError."""
    archive = MockArchive(UNCHANGED)
    with pytest.raises(ValueError, match="after it ends"):
        await _run(archive, fake_clock, from_date="2017", to_date="2011")
    with pytest.raises(ValueError, match="archive URL"):
        await _run(archive, fake_clock, archive_url=f"{ORIGIN}/web/?collection=x")
    assert archive.cdx_log == archive.web_log == []


# -- outputs ------------------------------------------------------------------------------------------


async def test_sinks_are_opened_only_with_records_to_write(fake_clock: FakeClock) -> None:
    """open_sinks is not called by a run that read nothing (CDX down, or no capture), once otherwise."""
    archive = MockArchive(UNCHANGED)
    opened: list[ListSink] = []

    def open_sinks() -> list[Sink]:
        opened.append(ListSink())
        return [opened[-1]]

    async def run(**settings: object) -> WaybackStats:
        return await run_wayback(
            TOPIC,
            settings=_settings(**settings),
            open_sinks=open_sinks,
            clock=fake_clock,
            transport=httpx.MockTransport(archive),
        )

    archive.cdx_status = 500
    stats = await run()
    assert [url for url, _ in stats.failed] == [url for url, _ in stats.failed if url.startswith(CDX)] != []
    archive.cdx_status = 200
    await run(from_date="2019")
    assert opened == []
    await run()
    assert [len(sink.records) for sink in opened] == [2]


# -- links -------------------------------------------------------------------------------------------


async def test_links_resolve_against_the_capture_original(fake_clock: FakeClock) -> None:
    """Relative links take the captured URL's scheme and host, not the typed one's; the records'
    source_url and the pager page looked up keep the typed spelling, looked up once for both captures."""
    typed = "http://dhs.gov/keywords/secure-communities"
    archive = MockArchive(
        [
            Cap(
                "https://www.dhs.gov/keywords/secure-communities", "20160101000000", _page(["A1", "A2"], 0, 2)
            ),
            Cap(
                "http://www.dhs.gov/keywords/secure-communities", "20160201000000", _page(["A2", "A1"], 0, 2)
            ),
            Cap(f"{TOPIC}?page=1", "20160101000100", _page(["B1"], 1, 2)),
        ]
    )
    stats, records = await _run(archive, fake_clock, url=typed, all_captures=True)
    origins = {(r.archived_at, r.page, str(httpx.URL(r.url or "").copy_with(path="/"))) for r in records}
    assert origins == {
        (_utc(2016, 1, 1), 0, "https://www.dhs.gov/"),
        (_utc(2016, 2, 1), 0, "http://www.dhs.gov/"),
        (_utc(2016, 1, 1, 0, 1), 1, "https://www.dhs.gov/"),
    }
    assert {(r.page, r.source_url) for r in records} == {(0, typed), (1, f"{typed}?page=1")}
    lookups = [q["url"] for q in archive.cdx_log[1:]]
    assert lookups == [[f"{typed}?page=1"]]
    assert stats.failed == []


# -- rejects ----------------------------------------------------------------------------------------


BAD_LINK = "https://user@/news/x"
"""A link Record refuses (a host that is only user info); a parser may keep it, as QA's did."""


@pytest.fixture
def bad_link(monkeypatch: pytest.MonkeyPatch) -> None:
    """The parser keeps A2's link as ``https://user@/news/x`` (a teaser Record refuses)."""
    parse = wayback.parse_topic_page

    def parse_with_a_bad_link(*args: Any, **kwargs: Any) -> TopicPage:
        page = parse(*args, **kwargs)
        teasers = tuple(
            t.model_copy(update={"url": BAD_LINK}) if t.title.startswith("Readout Of Deputy") else t
            for t in page.teasers
        )
        return page.model_copy(update={"teasers": teasers})

    monkeypatch.setattr(wayback, "parse_topic_page", parse_with_a_bad_link)


def _bad_link_page() -> bytes:
    """A page whose second teaser (A2) gets the bad link under the ``bad_link`` fixture."""
    return _page(["A1", "A2"])


@pytest.mark.usefixtures("bad_link")
async def test_a_teaser_that_fails_validation_goes_to_the_rejects_file(
    fake_clock: FakeClock, tmp_path: Path
) -> None:
    """The run goes on past a teaser Record refuses: the others are written, it goes to the rejects
    file with the reason and the capture, counted once per capture read (not per identical one)."""
    body = _bad_link_page()
    archive = MockArchive([Cap(TOPIC, "20160101000000", body), Cap(TOPIC, "20160201000000", body)])
    rejects = tmp_path / "out.rejects.jsonl"
    sink = ListSink()
    stats = await run_wayback(
        TOPIC,
        settings=_settings(),
        sinks=[sink],
        rejects=rejects,
        clock=fake_clock,
        transport=httpx.MockTransport(archive),
    )
    assert [r.title[:10] for r in sink.records] == ["Securing o"]
    assert (stats.rejected, stats.rejects, stats.failed) == (1, rejects, [])
    (line,) = rejects.read_text(encoding="utf-8").splitlines()
    reject = json.loads(line)
    assert reject["reason"].startswith(
        "url: Value error, not an absolute http(s) URL: 'https://user@/news/x'"
    )
    assert reject["source_url"] == TOPIC
    assert reject["data"]["title"].startswith("Readout Of Deputy Secretary")
    assert reject["data"]["capture_url"] == f"{ORIGIN}/web/20160101000000id_/{TOPIC}"
    assert reject["data"]["archived_at"] == "2016-01-01T00:00:00Z"


@pytest.mark.usefixtures("bad_link")
async def test_rejects_survive_a_resume_and_a_clean_run_removes_the_old_file(
    fake_clock: FakeClock, tmp_path: Path
) -> None:
    """Rejects are kept in the state with their capture, so a --resume that reads nothing still
    writes them; a later run without rejects that writes its outputs removes the stale file."""
    rejects = tmp_path / "out.rejects.jsonl"
    path = tmp_path / "state.sqlite"
    archive = MockArchive([Cap(TOPIC, "20160101000000", _bad_link_page())])
    with CrawlState.open(path, clock=fake_clock.now) as state:
        await run_wayback(
            TOPIC,
            settings=_settings(),
            state=state,
            rejects=rejects,
            clock=fake_clock,
            transport=httpx.MockTransport(archive),
        )
    rejects.unlink()
    with CrawlState.open(path, clock=fake_clock.now) as state:
        stats = await run_wayback(
            TOPIC,
            settings=_settings(resume=True),
            state=state,
            rejects=rejects,
            clock=fake_clock,
            transport=httpx.MockTransport(archive),
        )
    assert stats.captures_read == 0
    assert (stats.rejected, len(rejects.read_text().splitlines())) == (1, 1)
    clean = MockArchive([Cap(TOPIC, "20160101000000", _page(["A1", "A3"]))])
    sink = ListSink()
    stats = await run_wayback(
        TOPIC,
        settings=_settings(),
        open_sinks=lambda: [sink],
        rejects=rejects,
        clock=fake_clock,
        transport=httpx.MockTransport(clean),
    )
    assert (stats.rejected, stats.rejects, len(sink.records)) == (0, None, 2)
    assert not rejects.exists()


@pytest.mark.usefixtures("bad_link")
async def test_without_a_rejects_file_a_reject_is_logged(
    fake_clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """With no rejects file (no output to put it beside), each reject is a warning, never silence."""
    archive = MockArchive([Cap(TOPIC, "20160101000000", _bad_link_page())])
    stats, records = await _run(archive, fake_clock)
    assert (stats.rejected, stats.rejects, len(records)) == (1, None, 1)
    assert any("rejected a teaser on" in r.getMessage() and "user@" in r.getMessage() for r in caplog.records)


async def test_two_tasks_failing_at_once_leave_no_unretrieved_task_error(
    fake_clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """When several captures fail at once with an error that ends the run, the first is raised and
    every other is retrieved: asyncio never reports "Task exception was never retrieved"."""

    class Broken(Exception):
        pass

    archive = MockArchive([Cap(TOPIC, f"2016010{day}000000", _page([f"A{day}"])) for day in (1, 2, 3)])

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/web/"):
            raise Broken(str(request.url))
        return archive(request)

    with pytest.raises(Broken):
        await run_wayback(
            TOPIC, settings=_settings(concurrency=3), clock=fake_clock, transport=httpx.MockTransport(handler)
        )
    gc.collect()
    await asyncio.sleep(0)  # let the loop report what it found
    assert not [r for r in caplog.records if "never retrieved" in r.getMessage()]


# -- resume: the stored run's CDX queries, whatever the spelling ---------------------------------------


async def test_resume_with_the_range_spelled_otherwise_asks_the_stored_queries(
    fake_clock: FakeClock, tmp_path: Path
) -> None:
    """An interrupted 2011..2016 run resumed as 2011-01-01..2016-12-31 asks the CDX what the first
    run asked (from=2011, to=2016), for page 0 and for the pager pages alike."""
    captures = _paged("20120101000000", "20120101000500")
    archive = MockArchive(captures)
    path = tmp_path / "state.sqlite"

    class Killed(BaseException):
        """The process killed: not an error the run may catch."""

    def dying(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/web/"):
            raise Killed
        return archive(request)

    with CrawlState.open(path, clock=fake_clock.now) as state, pytest.raises(Killed):
        await run_wayback(
            TOPIC,
            settings=_settings(from_date="2011", to_date="2016"),
            state=state,
            clock=fake_clock,
            transport=httpx.MockTransport(dying),
        )
    with CrawlState.open(path, clock=fake_clock.now) as state:
        stats, records = await _run(
            archive, fake_clock, state=state, from_date="2011-01-01", to_date="2016-12-31", resume=True
        )
    assert {(q["from"][0], q["to"][0]) for q in archive.cdx_log} == {("2011", "2016")}
    assert [q["url"][0] for q in archive.cdx_log] == [TOPIC, f"{TOPIC}?page=1"]
    assert (stats.failed, len(records)) == ([], 7)


# -- carried pager pages ------------------------------------------------------------------------------


async def test_a_pager_page_not_recaptured_is_carried_not_seen_again(fake_clock: FakeClock) -> None:
    """Page 0 captured again 10 days later without its page 1: the second snapshot counts page 1's
    teasers (read at the first snapshot's capture) as carried, and their last_seen stays the time of
    the capture that showed them; --all-captures has the carried teasers at that time only."""
    captures = [
        *_paged("20120101000000", "20120101000500"),
        Cap(TOPIC, "20120111000000", _page(["A1", "A2", "A3", "A4", "A5"], 0, 2)),
    ]
    stats, records = await _run(MockArchive(captures), fake_clock)
    seen = {r.title[:12]: r.last_seen for r in records}
    assert sorted(set(seen.values())) == [_utc(2012, 1, 1, 0, 5), _utc(2012, 1, 11)]
    assert [(c.teasers, c.carried, len(c.appeared), len(c.disappeared)) for c in stats.changes] == [
        (7, 0, 7, 0),
        (7, 2, 0, 0),
    ]
    assert stats.changes[1].note == "(2 on page 1 as captured 2012-01-01 00:05)"
    _, every = await _run(MockArchive(captures), fake_clock, all_captures=True)
    at_second = [r for r in every if r.archived_at == _utc(2012, 1, 11)]
    assert len(at_second) == stats.changes[1].teasers - stats.changes[1].carried


async def test_a_pager_page_belongs_to_the_nearest_page_0(fake_clock: FakeClock) -> None:
    """Page 1 captured just before the second page 0 is that snapshot's own page; the first one
    carries it."""
    captures = [
        Cap(TOPIC, "20120101000000", _page(["A1", "A2", "A3", "A4", "A5"], 0, 2)),
        Cap(f"{TOPIC}?page=1", "20120110230000", _page(["B1", "B2"], 1, 2)),
        Cap(TOPIC, "20120111000000", _page(["A1", "A2", "A3", "A4", "A5"], 0, 2)),
    ]
    stats, _ = await _run(MockArchive(captures), fake_clock)
    assert [c.carried for c in stats.changes] == [2, 0]


# -- the run's figures add up --------------------------------------------------------------------------


async def test_listed_captures_add_up_across_a_resume(fake_clock: FakeClock, tmp_path: Path) -> None:
    """listed = snapshots + same_as_listed + skipped + failed + unread, over the whole run: a --resume
    that lists nothing new still counts the captures its run listed; a fresh run resumed nothing."""
    captures = [
        *UNCHANGED,
        Cap(TOPIC, "20170301000000", b"<html><body>Down for maintenance</body></html>"),
        Cap(TOPIC, "20170501000000", _page(["N2", "N1"])),
    ]
    archive = MockArchive(captures)
    down = {"20170501000000"}

    def flaky(request: httpx.Request) -> httpx.Response:
        if any(stamp in str(request.url) for stamp in down):
            raise httpx.ConnectError("refused", request=request)
        return archive(request)

    path = tmp_path / "state.sqlite"
    with CrawlState.open(path, clock=fake_clock.now) as state:
        stats = await run_wayback(
            TOPIC, settings=_settings(), state=state, clock=fake_clock, transport=httpx.MockTransport(flaky)
        )
    counts = (stats.listed, stats.snapshots, stats.same_as_listed, stats.skipped_captures)
    assert counts == (4, 2, 0, 1)
    assert (stats.failed_captures, stats.unread, stats.resumed, stats.reused) == (1, 0, 0, 0)
    down.clear()
    with CrawlState.open(path, clock=fake_clock.now) as state:
        again, _ = await _run(archive, fake_clock, state=state, resume=True)
    assert (again.listed, again.snapshots, again.skipped_captures, again.failed_captures) == (4, 3, 1, 0)
    assert again.listed == (
        again.snapshots + again.same_as_listed + again.skipped_captures + again.failed_captures + again.unread
    )


# -- captures shared while in flight ---------------------------------------------------------------------


class DownAt(MockArchive):
    """The mock archive, whose capture at ``stamp`` always gets the archive's own 503 (no
    Memento-Datetime: the archive failing, not a capture of an error page)."""

    def __init__(self, captures: Sequence[Cap], stamp: str) -> None:
        super().__init__(captures)
        self.stamp = stamp

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if f"/web/{self.stamp}" in request.url.path:
            self.web_log.append(self.stamp)
            return httpx.Response(503, text="<html>playback error</html>")
        return super().__call__(request)


@pytest.mark.parametrize("concurrency", [1, 3])
async def test_an_identical_capture_is_not_failed_with_its_twins_error(
    fake_clock: FakeClock, concurrency: int
) -> None:
    """Page 0's capture answers 503 while a revisit record and a repeat of it wait for its read: the
    failure is that capture's only; the revisit is read by its own id_ URL, the repeat takes its
    records, and both are sightings (last_seen), whatever the concurrency."""
    down = Cap(TOPIC, "20160101000000", _page(["A1", "A2"]))
    captures = [
        down,
        Cap(TOPIC, "20160201000000", b"", revisit_of=down),
        Cap(TOPIC, "20160301000000", down.body),
    ]
    archive = DownAt(captures, down.stamp)
    stats, records = await _run(archive, fake_clock, concurrency=concurrency)
    assert stats.failed == [(f"{ORIGIN}/web/{down.stamp}id_/{TOPIC}", "HTTP 503 Service Unavailable")]
    assert archive.web_log == [down.stamp, down.stamp, "20160201000000"]  # max_attempts=2, then its own
    assert {(r.first_seen, r.last_seen) for r in records} == {(_utc(2016, 2, 1), _utc(2016, 3, 1))}
    assert (stats.listed, stats.snapshots, stats.failed_captures) == (3, 2, 1)
    assert (stats.captures_read, stats.identical, stats.reused) == (1, 1, 0)


async def test_a_capture_read_for_two_snapshots_at_once_counts_as_reused(fake_clock: FakeClock) -> None:
    """Two captures of page 0 both read page 1 at its one capture, at once (the archive takes a moment
    to answer): one request, and the second use counts as reused, as when they are read one after
    the other; the listed figures add up."""
    captures = [
        *_paged("20120101000000", "20120101000500"),
        Cap(TOPIC, "20120102000000", _page(["N1", "A1", "A2", "A3", "A4"], 0, 2)),
    ]
    figures = []
    for concurrency in (1, 2, 4):
        archive = MockArchive(captures)

        async def slow(request: httpx.Request, archive: MockArchive = archive) -> httpx.Response:
            for _ in range(10):  # the answer comes in pieces (fake time): the other snapshot goes on
                await fake_clock.sleep(0.1)
            return archive(request)

        stats = await run_wayback(
            TOPIC,
            settings=_settings(concurrency=concurrency),
            clock=fake_clock,
            transport=httpx.MockTransport(slow),
        )
        if concurrency > 1:  # both snapshots were under way before page 1 was asked for
            assert archive.web_log == ["20120101000000", "20120102000000", "20120101000500"]
        else:
            assert archive.web_log == ["20120101000000", "20120101000500", "20120102000000"]
        figures.append((stats.captures_read, stats.reused, stats.identical, stats.snapshots, stats.listed))
        assert stats.listed == stats.snapshots + stats.same_as_listed + stats.skipped_captures
    assert figures == [(3, 1, 0, 2, 2)] * 3
