"""End-to-end: ``topicscrape wayback`` against a fake Wayback Machine on 127.0.0.1 built from
``fixtures/wayback`` (real sockets, gzip, redirects), against the replay fixtures, and through the CLI.

Waits the archive asks for (the CDX budget, 429s) go through a fake clock: they are asserted, never
served.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import socket
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from parsers import Record, TopicPage
from scraper import wayback
from scraper.cli import main
from scraper.frontier import CrawlState
from scraper.settings import Settings
from scraper.sinks import JsonlSink
from scraper.wayback import DEFAULT_RATE_LIMIT_WAIT, CdxNotRecorded, WaybackStats, run_wayback

from e2e.archive import FIXTURES, FakeArchive
from e2e.make_wayback_fixtures import RANGES, build
from e2e.site import Reply, SeenRequest

if TYPE_CHECKING:
    from conftest import FakeClock

pytestmark = pytest.mark.slow

TOPIC = "https://www.dhs.gov/keywords/secure-communities"
LABELS = (
    Path(__file__).resolve().parents[2] / "fixtures" / "dhs" / "expected" / "keywords-secure-communities.json"
)


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


SEED_SEEN = {
    "Securing our Communities: Resources for Small and Medium Businesses": (
        _utc(2016, 7, 1, 14, 3, 12),
        _utc(2017, 3, 5, 18, 15),
    ),
    "Readout Of Deputy Secretary Mayorkas' Call With The Secure Community Network": (
        _utc(2016, 7, 1, 14, 3, 12),
        _utc(2017, 3, 5, 18, 15),
    ),
    "Priority Enforcement Program – How DHS is Focusing on Deporting Felons": (
        _utc(2016, 7, 1, 14, 3, 12),
        _utc(2017, 3, 5, 18, 15),
    ),
    # First listed by the capture the archive redirected 20130612011500 to.
    "Record-Breaking Immigration Enforcement Results": (_utc(2013, 6, 12, 9, 30), _utc(2017, 3, 5, 18, 15)),
    # Pushed to page 1 in 2017: last seen on that page's capture, two minutes after page 0's.
    '"Secure Communities" - One Year Later': (_utc(2011, 3, 15, 10, 15), _utc(2017, 3, 5, 18, 17)),
}
"""The seed's five teasers: when the archive first and last shows them, 2011-2017."""

ALL_CAPTURES_ROWS = 7 + 10 + 10 + 13 + 5 + 5 + 13
"""Rows of ``--all-captures`` 2011-2017: one per teaser per capture. The 2016-07-03 repeat adds its
page 0 (five teasers, stamped with its time); its pages 1 and 2 are the 2016-07-01 captures."""


class ListSink:
    """Keeps what a run writes."""

    def __init__(self) -> None:
        self.records: list[Record] = []
        self.writes = 0

    def write(self, records: Sequence[Record]) -> int:
        self.writes += 1
        self.records.extend(records)
        return len(records)


class Timed(httpx.AsyncBaseTransport):
    """Logs (fake time, event, status or path) of each request start and answer, in order."""

    def __init__(self, inner: httpx.AsyncBaseTransport, clock: FakeClock) -> None:
        self.inner = inner
        self.clock = clock
        self.log: list[tuple[float, str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.log.append((self.clock.monotonic(), "start", request.url.path))
        response = await self.inner.handle_async_request(request)
        self.log.append((self.clock.monotonic(), "answer", str(response.status_code)))
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


class Killed(BaseException):
    """The process dying mid-run (nothing of the run's own cleanup may count on it)."""


class Killing(httpx.AsyncBaseTransport):
    """Dies instead of sending the capture request number ``after + 1``."""

    def __init__(self, inner: httpx.AsyncBaseTransport, *, after: int) -> None:
        self.inner = inner
        self.left = after

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/web/"):
            if self.left == 0:
                raise Killed
            self.left -= 1
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


class Collection(httpx.AsyncBaseTransport):
    """Puts the fake archive's ``/web/`` captures under a pywb collection's path (``/wayback/``...):
    requests under ``prefix`` go to ``/web/``, redirects come back under ``prefix``."""

    def __init__(self, inner: httpx.AsyncBaseTransport, prefix: str) -> None:
        self.inner = inner
        self.prefix = prefix

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        target = request.url.raw_path.decode("ascii")
        if target.startswith(self.prefix):
            raw = ("/web/" + target[len(self.prefix) :]).encode("ascii")
            request = httpx.Request(
                request.method, request.url.copy_with(raw_path=raw), headers=request.headers
            )
        response = await self.inner.handle_async_request(request)
        headers = [
            (k, v.replace("/web/", self.prefix) if k.lower() == "location" else v)
            for k, v in response.headers.multi_items()
        ]
        return httpx.Response(
            response.status_code, headers=headers, stream=response.stream, extensions=response.extensions
        )

    async def aclose(self) -> None:
        await self.inner.aclose()


class DownArchive(FakeArchive):
    """The fake archive whose CDX endpoint answers 500 while ``cdx_down`` is set, and its "temporarily
    offline" page (HTTP 200, text/html) while ``cdx_offline`` is set."""

    cdx_down = False
    cdx_offline = False

    def respond(self, request: SeenRequest) -> Reply:
        """500 or the offline page for the CDX while it is down; else as the fake archive."""
        if self.cdx_down and request.path == "/cdx/search/cdx":
            return Reply(status=500, body="<h1>Internal Server Error</h1>")
        if self.cdx_offline and request.path == "/cdx/search/cdx":
            with self._lock:
                self.cdx_log.append(request.target)
            return Reply(body="<h1>Wayback Machine</h1><p>Sorry, this service is temporarily offline.</p>")
        return super().respond(request)


@pytest.fixture
def archive() -> Iterator[FakeArchive]:
    """The fake archive, serving on 127.0.0.1."""
    fake = FakeArchive()
    site = fake.serve()
    yield fake
    site.stop()


def _settings(fake: FakeArchive, **kwargs: object) -> Settings:
    base = {
        "cdx_url": f"{fake.base_url}/cdx/search/cdx",
        "archive_url": f"{fake.base_url}/web/",
        "from_date": "2011",
        "to_date": "2017",
    }
    return Settings.model_validate({**base, **kwargs})


async def _run(
    settings: Settings,
    clock: FakeClock,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    state: CrawlState | None = None,
) -> tuple[WaybackStats, list[Record]]:
    sink = ListSink()
    stats = await run_wayback(
        TOPIC, settings=settings, sinks=[sink], state=state, clock=clock, transport=transport
    )
    assert sink.writes == (0 if stats.blocked else 1)
    return stats, sink.records


def _seen(records: Sequence[Record]) -> set[tuple[str, str, datetime | None, datetime | None]]:
    return {(r.id, r.title, r.first_seen, r.last_seen) for r in records}


def _stamp(target: str) -> str:
    """The timestamp of a ``/web/<ts>id_/...`` request target."""
    return target.split("/")[2].removesuffix("id_")


async def test_full_run_dates_the_seed_teasers(archive: FakeArchive, fake_clock: FakeClock) -> None:
    """2011-2017: every teaser once, the seed's five first and last seen when the captures show them.

    The 2017 captures show the federal banner (USWDS markup) on the Drupal 7 page: their teasers
    keep their excerpts, and their pages 1 and 2 are read too."""
    stats, records = await _run(_settings(archive), fake_clock)
    labels = json.loads(LABELS.read_text(encoding="utf-8"))["teasers"]
    by_title = {r.title: r for r in records}
    assert [t["title"] for t in labels] == list(SEED_SEEN)
    for label in labels:
        record = by_title[label["title"]]
        assert record.url == label["url"]
        assert record.excerpt == label["excerpt"]
        assert (record.first_seen, record.last_seen) == SEED_SEEN[label["title"]]
        assert record.archived_at == record.last_seen
    assert len(records) == len({r.id for r in records}) == 16
    assert all(r.excerpt and r.profile == "drupal7" for r in records)
    assert all(r.url is not None and "/web/" not in r.url for r in records)
    assert all(r.source_url.startswith(TOPIC) for r in records)
    assert all((r.capture_url or "").startswith(f"{archive.base_url}/web/") for r in records)
    assert (stats.listed, stats.snapshots, stats.failed) == (9, 7, [])
    assert [(c.teasers, len(c.appeared), len(c.disappeared)) for c in stats.changes] == [
        (7, 7, 0),
        (10, 4, 1),
        (10, 1, 1),
        (13, 3, 0),
        (13, 0, 0),  # the 2016-07-03 repeat: the same page, no change
        (13, 0, 0),  # the 2016-07-05 revisit record of it: a sighting too
        (13, 1, 1),
    ]


async def test_identical_and_unreadable_captures_are_never_fetched(
    archive: FakeArchive, fake_clock: FakeClock
) -> None:
    """The repeat and the revisit record are listed but not fetched (their digest is that of a capture
    read); the error captures are filtered; nothing twice."""
    stats, _ = await _run(_settings(archive), fake_clock)
    stamps = Counter(_stamp(target) for target in archive.web_log)
    assert stamps.most_common(1)[0][1] == 1
    for never in ("20160703052000", "20160705101010", "20140820000000", "20160701140313", "20101102091500"):
        assert never not in stamps
    assert stats.identical == 2
    assert not any("collapse" in q for q in archive.cdx_log)
    assert len(archive.cdx_log) == 3  # the listing, then one lookup for each pager page
    assert all("from=2011&to=2017" in q for q in archive.cdx_log)  # lookups keep to the range too


class PlaybackDown(FakeArchive):
    """The fake archive, whose captures at the timestamps in ``down`` answer its own 503 (no
    Memento-Datetime: the archive failing, not a capture of an error page)."""

    down: frozenset[str] = frozenset()

    def respond(self, request: SeenRequest) -> Reply:
        """503 for a capture that is down; else as the fake archive."""
        if request.path.startswith("/web/") and _stamp(request.target) in self.down:
            with self._lock:
                self.web_log.append(request.target)
            return Reply(status=503, body="<h1>Service Unavailable</h1>")
        return super().respond(request)


@pytest.mark.parametrize("concurrency", [1, 9])
async def test_a_repeat_of_a_capture_that_fails_is_read_by_its_own_url(
    fake_clock: FakeClock, concurrency: int
) -> None:
    """The 2016-07-01 capture answers 503 while its repeat (2016-07-03) and revisit (2016-07-05) wait
    for its read (9 at once: every capture listed is under way): only it fails; the repeat is read by
    its own id_ URL, the revisit takes its records, and the snapshots are as one after the other."""
    fake = PlaybackDown()
    fake.down = frozenset({"20160701140312"})
    site = fake.serve()
    try:
        stats, records = await _run(_settings(fake, concurrency=concurrency, max_attempts=2), fake_clock)
    finally:
        site.stop()
    ((where, why),) = stats.failed
    assert ("20160701140312id_" in where, why) == (True, "HTTP 503 Service Unavailable")
    stamps = Counter(_stamp(target) for target in fake.web_log)
    assert (stamps["20160701140312"], stamps["20160703052000"], stamps["20160705101010"]) == (2, 1, 0)
    assert (stats.listed, stats.snapshots, stats.failed_captures, stats.identical) == (9, 6, 1, 1)
    first_seen = {r.title: r.first_seen for r in records}
    assert first_seen["Securing our Communities: Resources for Small and Medium Businesses"] == _utc(
        2016, 7, 3, 5, 20
    )


async def test_redirecting_capture_is_read_at_its_target(archive: FakeArchive, fake_clock: FakeClock) -> None:
    """A listed capture the archive redirects is read where it leads, and dated by that capture."""
    _, records = await _run(_settings(archive, all_captures=True), fake_clock)
    stamps = [_stamp(target) for target in archive.web_log]
    # 20130612093000 is listed too (it repeats 20130612011500): it is read once, through the redirect,
    # and its listing reuses that read. Other captures are read meanwhile: two are in flight at once.
    assert stamps.count("20130612093000") == 1
    assert stamps.index("20130612093000") > stamps.index("20130612011500")
    from_2013 = [r for r in records if r.archived_at == _utc(2013, 6, 12, 9, 30)]
    assert len(from_2013) == 5
    assert {r.capture_url for r in from_2013} == {
        f"{archive.base_url}/web/20130612093000id_/http://www.dhs.gov/keywords/secure-communities"
    }


async def test_maintenance_capture_is_skipped_with_a_note(
    archive: FakeArchive, fake_clock: FakeClock
) -> None:
    """A 200 capture without teasers is a note in the summary, not a failure."""
    stats, _ = await _run(_settings(archive), fake_clock)
    (skipped,) = stats.skipped
    assert "20150320160000id_" in skipped[0]
    assert "no teasers" in skipped[1]
    assert stats.failed == []


async def test_all_captures_keeps_one_record_per_teaser_per_capture(
    archive: FakeArchive, fake_clock: FakeClock
) -> None:
    """With all_captures, a teaser listed by seven captures gives seven records, dated alike."""
    _, records = await _run(_settings(archive, all_captures=True), fake_clock)
    one_year = [r for r in records if r.title == '"Secure Communities" - One Year Later']
    assert len(one_year) == 7
    assert len({r.capture_url for r in one_year}) == 7
    assert {(r.first_seen, r.last_seen) for r in one_year} == {
        SEED_SEEN['"Secure Communities" - One Year Later']
    }
    assert len(records) == ALL_CAPTURES_ROWS


async def test_cut_off_cdx_answer_is_asked_again(archive: FakeArchive, fake_clock: FakeClock) -> None:
    """A CDX answer cut off half-way is requested again, and the run is as if nothing happened."""
    archive.truncate_cdx(1)
    stats, records = await _run(_settings(archive), fake_clock)
    assert len(records) == 16
    assert stats.failed == []
    assert archive.cdx_log[0] == archive.cdx_log[1]


async def test_cdx_cut_off_every_time_fails_then_resumes(
    archive: FakeArchive, fake_clock: FakeClock, tmp_path: Path
) -> None:
    """A listing that stays unreadable is a listed failure; --resume later lists and reads everything."""
    settings = _settings(archive, max_attempts=3)
    archive.truncate_cdx(1, 2, 3)
    with CrawlState.open(tmp_path / "state.sqlite", clock=fake_clock.now) as state:
        stats, records = await _run(settings, fake_clock, state=state)
    ((url, reason),) = stats.failed
    assert "/cdx/search/cdx" in url
    assert "unreadable 3 times" in reason
    assert records == []
    with CrawlState.open(tmp_path / "state.sqlite", clock=fake_clock.now) as state:
        stats, records = await _run(settings.model_copy(update={"resume": True}), fake_clock, state=state)
    assert stats.failed == []
    assert len(records) == 16


@pytest.mark.parametrize(("prefix", "retry_after"), [("/cdx/", None), ("/web/", "120")])
async def test_429_burst_is_waited_out(
    archive: FakeArchive, fake_clock: FakeClock, prefix: str, retry_after: str | None
) -> None:
    """After each 429 nothing goes to the archive for Retry-After seconds (60 without one); the run ends."""
    archive.rate_limit(2, prefix=prefix, retry_after=retry_after)
    timed = Timed(httpx.AsyncHTTPTransport(), fake_clock)
    stats, records = await _run(_settings(archive), fake_clock, transport=timed)
    assert len(records) == 16
    assert stats.failed == []
    assert stats.fetch.rate_limited == 2
    wait = float(retry_after) if retry_after else DEFAULT_RATE_LIMIT_WAIT
    refused = [i for i, (_, event, what) in enumerate(timed.log) if event == "answer" and what == "429"]
    assert len(refused) == 2
    for i in refused:
        answered_at = timed.log[i][0]
        later_starts = [t for t, event, _ in timed.log[i + 1 :] if event == "start"]
        assert later_starts
        assert min(later_starts) >= answered_at + wait


async def test_resume_after_a_kill_fetches_nothing_twice(
    archive: FakeArchive, fake_clock: FakeClock, tmp_path: Path
) -> None:
    """Killed mid-snapshot, a --resume reads only what was not read and writes each teaser once."""
    settings = _settings(archive)
    state_path = tmp_path / "sc.jsonl.state.sqlite"
    # One capture at a time, so the kill falls between two captures: the 2013 page 0 is read (after
    # the archive's redirect), its page 1 is not.
    killing = Killing(httpx.AsyncHTTPTransport(), after=4)
    with CrawlState.open(state_path, clock=fake_clock.now) as state, pytest.raises(Killed):
        await _run(settings.model_copy(update={"concurrency": 1}), fake_clock, transport=killing, state=state)
    assert [_stamp(target) for target in archive.web_log][-2:] == ["20130612011500", "20130612093000"]
    with (
        CrawlState.open(state_path, clock=fake_clock.now) as state,
        JsonlSink(tmp_path / "sc.jsonl", resume=False) as out,
    ):
        sink = ListSink()
        stats = await run_wayback(
            TOPIC,
            settings=settings.model_copy(update={"resume": True, "concurrency": 1}),
            sinks=[sink, out],
            state=state,
            clock=fake_clock,
        )
    assert Counter(archive.web_log).most_common(1)[0][1] == 1
    # Not fetched, read before the kill: the 2013 page 0 (for 20130612011500, then listed as
    # 20130612093000). Read by this run already: that snapshot's page 1 (for 20130612093000), and the
    # pages 1 and 2 of the 2016-07-03 repeat and of the 2016-07-05 revisit record.
    assert (stats.resumed, stats.reused) == (2, 5)
    assert stats.identical == 2  # the page 0 of the 2016-07-03 repeat and of the 07-05 revisit
    lines = (tmp_path / "sc.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len({json.loads(line)["id"] for line in lines}) == 16
    clean = FakeArchive()
    clean_site = clean.serve()
    try:
        _, again = await _run(_settings(clean), fake_clock)
    finally:
        clean_site.stop()
    assert {(i, t, f, last) for i, t, f, last in _seen(sink.records)} == _seen(again)


async def test_blocked_url_gives_a_clear_reason(archive: FakeArchive, fake_clock: FakeClock) -> None:
    """A robots-excluded URL stops the run at the listing, says why, and writes nothing."""
    archive.block(TOPIC)
    stats, records = await _run(_settings(archive), fake_clock)
    assert stats.blocked is not None
    assert "robots.txt" in stats.blocked
    assert records == []
    assert archive.web_log == []


@pytest.mark.parametrize(("from_date", "to_date"), RANGES)
async def test_replay_fixtures_answer_every_request_of_a_run(
    archive: FakeArchive, fake_clock: FakeClock, from_date: str | None, to_date: str | None
) -> None:
    """--replay fixtures/wayback serves every request of a run (no FixtureMissing), with the live result."""
    replayed, records = await _run(
        Settings(replay=FIXTURES, from_date=from_date, to_date=to_date), fake_clock
    )
    assert replayed.failed == []
    assert all((r.capture_url or "").startswith("https://web.archive.org/web/") for r in records)
    assert all(r.fetched_at == _utc(2025, 1, 15, 12) for r in records)
    _, live = await _run(_settings(archive, from_date=from_date, to_date=to_date), fake_clock)
    assert _seen(records) == _seen(live)


async def test_recorded_run_replays_offline(
    archive: FakeArchive, fake_clock: FakeClock, tmp_path: Path
) -> None:
    """A run with ``record`` saves what the archive answered; replaying that folder gives the same records."""
    _, live = await _run(_settings(archive, record=tmp_path / "saved"), fake_clock)
    requests = len(archive.web_log) + len(archive.cdx_log)
    replayed, records = await _run(_settings(archive, replay=tmp_path / "saved"), fake_clock)
    assert replayed.failed == []
    assert _seen(records) == _seen(live)
    assert len(archive.web_log) + len(archive.cdx_log) == requests  # the replay sent nothing


@pytest.mark.parametrize(
    ("from_date", "to_date"),
    [("2010", "2018"), ("2012", "2016-06"), ("2011-01-01", "2017-12-31"), ("2013-06", None)],
)
async def test_replay_answers_a_range_from_a_recorded_wider_one(
    archive: FakeArchive, fake_clock: FakeClock, from_date: str, to_date: str | None
) -> None:
    """A range the fixtures did not record is answered from a recorded CDX query that holds it (no
    range, or 2011-2017), cut to the range: the same records as the archive gives for that range."""
    replayed, records = await _run(
        Settings(replay=FIXTURES, from_date=from_date, to_date=to_date), fake_clock
    )
    assert replayed.failed == []
    _, live = await _run(_settings(archive, from_date=from_date, to_date=to_date), fake_clock)
    assert _seen(records) == _seen(live)
    assert len(records) == len(live) > 0


def _without_the_unranged_cdx(tmp_path: Path) -> Path:
    """A copy of fixtures/wayback holding only the 2011-2017 CDX answers."""
    folder = tmp_path / "wayback"
    shutil.copytree(FIXTURES, folder)
    index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    index["responses"] = {
        url: saved for url, saved in index["responses"].items() if "/cdx/" not in url or "from=2011" in url
    }
    (folder / "index.json").write_text(json.dumps(index), encoding="utf-8")
    return folder


async def test_replay_without_a_covering_cdx_answer_names_the_recorded_ranges(
    fake_clock: FakeClock, tmp_path: Path
) -> None:
    """A folder holding only the 2011-2017 CDX answers cannot answer --from 2010: the error names the
    range it holds (CdxNotRecorded); a range inside it is answered."""
    folder = _without_the_unranged_cdx(tmp_path)
    with pytest.raises(CdxNotRecorded) as caught:
        await _run(Settings(replay=folder, from_date="2010"), fake_clock)
    assert caught.value.ranges == ("--from 2011 --to 2017",)
    assert f"holds CDX answers for {TOPIC} with --from 2011 --to 2017" in str(caught.value)
    _, records = await _run(Settings(replay=folder, from_date="2012", to_date="2013"), fake_clock)
    assert len(records) == 10


def test_cli_replay_without_a_covering_cdx_answer_exits_3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CLI exits 3 in one line, saying the query is not in the folder and which ranges it holds."""
    folder = _without_the_unranged_cdx(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["wayback", TOPIC, "--replay", str(folder), "-q", "--from", "2010"]) == 3
    err = capsys.readouterr().err
    assert "is not in" in err
    assert "--from 2011 --to 2017" in err
    assert err.count("\n") == 1


async def test_fixture_run_figures_add_up_and_carried_pages_are_named(fake_clock: FakeClock) -> None:
    """The bundled run: 9 listed = 7 snapshots + 1 the same (the 2013 redirect) + 1 skipped; nothing
    resumed; the 2016-07-03 repeat and 2016-07-05 revisit carry the 8 teasers of pages 1-2 captured
    2016-07-01, so --all-captures has 13 - 8 rows at each, and those teasers' last_seen stays
    2016-07-01 (or a later capture of their page) while the table lists them until 2017."""
    settings = Settings(replay=FIXTURES, from_date="2011", to_date="2017")
    stats, _ = await _run(settings, fake_clock)
    figures = (stats.listed, stats.snapshots, stats.same_as_listed, stats.skipped_captures)
    assert figures == (9, 7, 1, 1)
    assert (stats.failed_captures, stats.unread, stats.resumed, stats.identical) == (0, 0, 0, 2)
    carried = {c.archived_at: (c.teasers, c.carried, c.note) for c in stats.changes if c.carried}
    note = "(8 on pages 1, 2 as captured 2016-07-01 14:03)"
    assert carried == {
        _utc(2016, 7, 3, 5, 20): (13, 8, note),
        _utc(2016, 7, 5, 10, 10, 10): (13, 8, note),
    }
    _, rows = await _run(settings.model_copy(update={"all_captures": True}), fake_clock)
    per_capture = Counter(r.archived_at for r in rows)
    assert per_capture[_utc(2016, 7, 3, 5, 20)] == per_capture[_utc(2016, 7, 5, 10, 10, 10)] == 13 - 8
    gone = next(r for r in rows if r.title == "Q&A: How Secure Communities Works")
    assert gone.last_seen == _utc(2016, 7, 1, 14, 3, 18)


def test_cli_run_with_a_rejected_teaser_finishes_without_a_traceback(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A teaser Record refuses no longer aborts the run (exit 2, asyncio traceback): exit 0, the other
    teasers written, the refused one in the rejects file the summary names."""
    parse = wayback.parse_topic_page

    def parse_with_a_bad_link(*args: Any, **kwargs: Any) -> TopicPage:
        page = parse(*args, **kwargs)
        teasers = tuple(
            t.model_copy(update={"url": "https://user@/news/x"}) if t.title.startswith("Fact Sheet") else t
            for t in page.teasers
        )
        return page.model_copy(update={"teasers": teasers})

    monkeypatch.setattr(wayback, "parse_topic_page", parse_with_a_bad_link)
    monkeypatch.chdir(tmp_path)
    code = main(
        ["wayback", TOPIC, "--replay", str(FIXTURES), "--from", "2011", "--to", "2017", "-o", "sc.jsonl"]
    )
    err = capsys.readouterr().err
    assert code == 0, err
    assert "Traceback" not in err
    assert "never retrieved" not in err
    assert len((tmp_path / "sc.jsonl").read_text(encoding="utf-8").splitlines()) == 15
    rejects = tmp_path / "sc.rejects.jsonl"
    rejected = [json.loads(line) for line in rejects.read_text(encoding="utf-8").splitlines()]
    assert rejected
    assert {r["data"]["title"][:10] for r in rejected} == {"Fact Sheet"}
    assert f"rejected (see {Path('sc.rejects.jsonl')})" in err


def test_fixtures_are_what_the_generator_writes(tmp_path: Path) -> None:
    """fixtures/wayback is exactly what tests/e2e/make_wayback_fixtures.py builds (rebuild after a change)."""
    build(tmp_path / "wayback")
    built = {p.relative_to(tmp_path / "wayback") for p in (tmp_path / "wayback").rglob("*") if p.is_file()}
    committed = {p.relative_to(FIXTURES) for p in FIXTURES.rglob("*") if p.is_file()} - {Path("README.md")}
    assert built == committed
    for name in sorted(built):
        assert (tmp_path / "wayback" / name).read_bytes() == (FIXTURES / name).read_bytes(), name


SEED_PAGE_0 = [title for title, (first, _) in SEED_SEEN.items() if first == _utc(2016, 7, 1, 14, 3, 12)]
"""The seed teasers first listed by the 2016-07-01 capture of page 0 (repeated, identical, on 07-03)."""


@pytest.mark.parametrize("from_date", ["2011", "2016-07-02"])
async def test_identical_capture_is_a_sighting_not_a_fetch(
    archive: FakeArchive, fake_clock: FakeClock, from_date: str
) -> None:
    """Up to 2016, the seed's new teasers were last seen on the 2016-07-05 revisit record of the 07-01
    capture (after its 07-03 repeat), wherever the range starts; neither is fetched, and --summary
    shows they changed nothing."""
    stats, records = await _run(_settings(archive, from_date=from_date, to_date="2016"), fake_clock)
    by_title = {r.title: r for r in records}
    for title in SEED_PAGE_0:
        record = by_title[title]
        assert record.last_seen == record.archived_at == _utc(2016, 7, 5, 10, 10, 10)
        assert (record.capture_url or "").endswith(f"/web/20160705101010id_/{TOPIC}")
    if from_date == "2011":
        assert {by_title[t].first_seen for t in SEED_PAGE_0} == {_utc(2016, 7, 1, 14, 3, 12)}
        assert {"20160703052000", "20160705101010"}.isdisjoint(_stamp(target) for target in archive.web_log)
        assert stats.identical == 2
        changes = [(len(c.appeared), len(c.disappeared)) for c in stats.changes][-3:]
        assert changes == [(3, 0), (0, 0), (0, 0)]
    else:  # the 07-01 capture is out of range: the 07-03 repeat is read, the 07-05 revisit is not
        assert "20160705101010" not in {_stamp(target) for target in archive.web_log}
        assert stats.identical == 1


@pytest.mark.parametrize(
    ("from_date", "to_date", "page_1", "why"),
    [
        # page 0 at 2010-11-02 09:15, its page 1 at 09:17: one minute past the end of the range
        ("2010", "20101102091600", "20101102091700", "the archive holds no readable capture of this page in"),
        # page 0 at 2013-06-12 09:30, its page 1 at 09:34 past the end: the nearest page 1 in the
        # range is 2011's, two years off
        ("2011", "20130612093100", "20130612093400", "no capture near this one: the nearest capture of"),
    ],
)
async def test_pager_page_is_read_in_range_and_near_page_0_only(
    archive: FakeArchive, fake_clock: FakeClock, from_date: str, to_date: str, page_1: str, why: str
) -> None:
    """A pager page is never read from a capture outside the run's range, nor from one far from page 0:
    the snapshot is incomplete, with a note."""
    stats, records = await _run(_settings(archive, from_date=from_date, to_date=to_date), fake_clock)
    stamps = {_stamp(target) for target in archive.web_log}
    assert page_1 not in stamps
    assert max(stamps) <= to_date
    assert all(r.page == 0 for r in records if (r.archived_at or _utc(1996, 1, 1)) >= _utc(2012, 1, 1))
    notes = {reason for url, reason in stats.skipped if url == f"{TOPIC}?page=1"}
    assert len(notes) == 1
    assert notes.pop().startswith(why)
    assert stats.changes[-1].complete is False


@pytest.mark.parametrize("prefix", ["/wayback/", "/my-coll/"])
async def test_pywb_collection_is_read_under_its_prefix(
    archive: FakeArchive, fake_clock: FakeClock, prefix: str
) -> None:
    """An archive whose captures live under /<collection>/ (pywb) is read like the Wayback Machine."""
    _, live = await _run(_settings(archive), fake_clock)
    collection = Collection(httpx.AsyncHTTPTransport(), prefix)
    stats, records = await _run(
        _settings(archive, archive_url=f"{archive.base_url}{prefix}"), fake_clock, transport=collection
    )
    assert stats.failed == []
    assert _seen(records) == _seen(live)
    assert all((r.capture_url or "").startswith(f"{archive.base_url}{prefix}") for r in records)


async def test_links_resolve_against_each_capture_original(
    archive: FakeArchive, fake_clock: FakeClock
) -> None:
    """Typed as http://dhs.gov/..., relative links resolve against the URL each capture was made of
    (www.dhs.gov, https from 2015); source_url keeps the typed spelling; pager pages are looked up once."""
    typed = "http://dhs.gov/keywords/secure-communities"
    sink = ListSink()
    await run_wayback(typed, settings=_settings(archive), sinks=[sink], clock=fake_clock)
    labels = json.loads(LABELS.read_text(encoding="utf-8"))["teasers"]
    by_title = {r.title: r for r in sink.records}
    assert [by_title[label["title"]].url for label in labels] == [label["url"] for label in labels]
    assert {httpx.URL(r.url or "").host for r in sink.records} == {"www.dhs.gov"}
    assert {r.source_url for r in sink.records} <= {typed, f"{typed}?page=1", f"{typed}?page=2"}
    assert len(archive.cdx_log) == 3


# -- the command line -----------------------------------------------------------------------------------


def test_cli_writes_a_spreadsheet_and_a_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README example: offline, CSV with a BOM, one row per teaser, per-date changes on stdout, and
    a summary that says which captures were not fetched."""
    monkeypatch.chdir(tmp_path)
    argv = ["wayback", TOPIC, "--from", "2011", "--to", "2017", "--replay", str(FIXTURES), "-o", "sc.csv"]
    assert main([*argv, "--summary"]) == 0
    data = (tmp_path / "sc.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbfschema_version,id,title")
    assert data.count(b"\r\n") == 17
    out = capsys.readouterr()
    assert "2013-06-12 09:30" in out.out
    assert "+4" in out.out
    assert "9 listed" in out.err
    assert "not fetched: 2 identical to a capture read (same digest)" in out.err
    assert (tmp_path / "sc.csv.state.sqlite").exists()


def test_cli_all_captures_prints_a_line_per_teaser_per_capture(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--all-captures on standard output keeps every capture's line, though ids repeat."""
    monkeypatch.chdir(tmp_path)
    argv = [
        "wayback",
        TOPIC,
        "--from",
        "2011",
        "--to",
        "2017",
        "--replay",
        str(FIXTURES),
        "--all-captures",
        "-q",
    ]
    assert main(argv) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == ALL_CAPTURES_ROWS
    assert len({line["id"] for line in lines}) == 16
    assert list(tmp_path.iterdir()) == []  # no output file, so no state file either


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_cli_all_captures_into_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str) -> None:
    """--all-captures -o FILE keeps a row per teaser per capture in the file too."""
    monkeypatch.chdir(tmp_path)
    out = tmp_path / f"sc{suffix}"
    argv = ["wayback", TOPIC, "--from", "2011", "--to", "2017", "--replay", str(FIXTURES)]
    assert main([*argv, "--all-captures", "-o", str(out), "-q"]) == 0
    text = out.read_text(encoding="utf-8-sig")
    rows = (
        [json.loads(line) for line in text.splitlines()]
        if suffix == ".jsonl"
        else list(csv.DictReader(io.StringIO(text)))
    )
    assert len(rows) == ALL_CAPTURES_ROWS
    assert len({row["id"] for row in rows}) == 16


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        (["--all-captures", "--db", "x.sqlite"], 2, "one row per teaser id"),
        (["--from", "last year"], 2, "not a date"),
        (["--from", "2017", "--to", "2011"], 2, "starts (2017) after it ends (2011)"),
        (["--archive-url", "https://web.archive.org/web/?collection=x"], 2, "--archive-url"),
        (["--resume"], 2, "--resume needs"),
    ],
)
def test_cli_refuses_clearly(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    code: int,
    message: str,
) -> None:
    """Usage errors exit 2; a replay lacking the run's requests exits 3; each says what is wrong."""
    monkeypatch.chdir(tmp_path)
    assert main(["wayback", TOPIC, "--replay", str(FIXTURES), "-q", *extra]) == code
    assert message in capsys.readouterr().err


def _live_cli(base_url: str, tmp_path: Path, *args: str, cdx_url: str | None = None) -> int:
    """``topicscrape wayback TOPIC`` against the archive at ``base_url``, at full speed (a config raises
    the budgets: the CLI runs on the real clock)."""
    config = tmp_path / "fast.toml"
    config.write_text("cdx_per_minute = 60000\ncaptures_per_second = 1000\n", encoding="utf-8")
    cdx = cdx_url or f"{base_url}/cdx/search/cdx"
    argv = ["wayback", TOPIC, "--cdx-url", cdx, "--archive-url", f"{base_url}/web/", "--config", str(config)]
    return main([*argv, *args])


ELSEWHERE = ("--cdx-url", "http://127.0.0.1:9/cdx/search/cdx", "--archive-url", "http://127.0.0.1:9/web/")
"""Another archive's endpoints than the ones fixtures/wayback was recorded from (web.archive.org)."""


async def test_replay_with_another_cdx_url_names_the_endpoints_recorded(fake_clock: FakeClock) -> None:
    """fixtures/wayback replayed with another archive's --cdx-url and --archive-url: the error names the
    CDX endpoint and the capture prefix the folder was recorded from; with the CDX one only, each
    capture's failure names the prefix; rerun with both, it reads."""
    other = Settings(replay=FIXTURES, cdx_url=ELSEWHERE[1], archive_url=ELSEWHERE[3], from_date="2011")
    with pytest.raises(CdxNotRecorded) as caught:
        await _run(other, fake_clock)
    assert caught.value.endpoints == ("https://web.archive.org/cdx/search/cdx",)
    assert caught.value.archive_urls == ("https://web.archive.org/web/",)
    assert str(caught.value).endswith(
        f"it holds no CDX answer for {TOPIC} from {ELSEWHERE[1]}, but holds some from "
        "https://web.archive.org/cdx/search/cdx (recorded with another --cdx-url): rerun with --cdx-url "
        "https://web.archive.org/cdx/search/cdx --archive-url https://web.archive.org/web/"
    )
    half = Settings(replay=FIXTURES, archive_url=ELSEWHERE[3], from_date="2011")  # the CDX only
    stats, records = await _run(half, fake_clock)
    assert (stats.listed, stats.failed_captures, records) == (10, 10, [])
    assert {why for _, why in stats.failed} == {
        "not in the fixture folder (it holds captures under https://web.archive.org/web/: rerun with "
        "--archive-url https://web.archive.org/web/)"
    }
    stats, records = await _run(Settings(replay=FIXTURES, from_date="2011"), fake_clock)
    assert (stats.failed, len(records)) == ([], 16 + 1)  # 2011-2017, and the 2018 teaser


def test_cli_replay_with_another_cdx_url_says_which_to_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CLI exits 3 in one line that names the --cdx-url and --archive-url to rerun with."""
    monkeypatch.chdir(tmp_path)
    assert main(["wayback", TOPIC, "--replay", str(FIXTURES), "-q", *ELSEWHERE]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "holds no CDX answer for" in err
    assert err.rstrip().endswith(
        "rerun with --cdx-url https://web.archive.org/cdx/search/cdx --archive-url https://web.archive.org/web/"
    )


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize(
    "failure", ["cdx 500", "cdx cut off", "cdx offline page", "cdx unreachable", "no capture in range"]
)
@pytest.mark.parametrize("quiet", [True, False])
def test_cli_failed_run_keeps_the_previous_output_and_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], failure: str, quiet: bool
) -> None:
    """A run that reads nothing leaves yesterday's output untouched, exits 3, and its last line (the only
    one with -q) says what could not be read and how to go on, never "no readable capture" for an outage."""
    fake = DownArchive()
    site = fake.serve()
    try:
        out = tmp_path / "sc.jsonl"
        assert _live_cli(site.base_url, tmp_path, "-o", str(out), "-q") == 0
        before = out.read_bytes()
        assert before.count(b"\n") == 16 + 2  # 2010 and 2018 teasers too: no range
        capsys.readouterr()
        asked_before = len(fake.cdx_log)
        extra = ["-q"] if quiet else []
        cdx_url = None
        if failure == "cdx 500":
            fake.cdx_down = True
        elif failure == "cdx cut off":
            fake.truncate_cdx(*range(2, 10))
        elif failure == "cdx offline page":
            fake.cdx_offline = True
        elif failure == "cdx unreachable":
            cdx_url = f"http://127.0.0.1:{_closed_port()}/cdx/search/cdx"
        else:
            extra += ["--from", "2019"]
        assert _live_cli(site.base_url, tmp_path, "-o", str(out), *extra, cdx_url=cdx_url) == 3
    finally:
        site.stop()
    assert out.read_bytes() == before
    err = capsys.readouterr().err.strip().splitlines()
    if quiet:
        assert len(err) == 1
    last = err[-1]
    if failure == "no capture in range":
        assert last == f"error: no readable capture of {TOPIC} in the archive for this range"
        return
    assert last.startswith(f"error: the CDX listing of {TOPIC} could not be read (")
    assert {
        "cdx 500": "HTTP 500",
        "cdx cut off": "unreadable",
        "cdx offline page": "answered twice with an HTML page ('Wayback Machine Sorry, this service is "
        f"temporarily offline.'), not a CDX listing: the CDX server may be down (a maintenance page?), "
        f"or {site.base_url}/cdx/search/cdx is not a CDX endpoint (check --cdx-url)",
        "cdx unreachable": "network",
    }[failure] in last
    assert ("cut off" in last) is (failure == "cdx cut off")
    if failure == "cdx offline page":  # asked for twice (a maintenance page may go), not four times
        assert len(fake.cdx_log) - asked_before == 2
    assert last.endswith(
        f"nothing was written; run the same command with --resume to try again (state in {out}.state.sqlite)"
    )
    assert not any("no readable capture" in line or "some captures failed" in line for line in err)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (["https://www.dhs.gov/keywords/e-verify"], f"a wayback run of {TOPIC} (all dates)"),
        ([TOPIC, "--from", "2016"], f"a wayback run of {TOPIC} (all dates)"),
    ],
)
def test_cli_resume_of_another_run_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: list[str], named: str
) -> None:
    """--resume naming another URL or range than the state's run exits 2, says whose state it is and what
    to do, and leaves the output and the state as they were."""
    fake = FakeArchive()
    site = fake.serve()
    try:
        out = tmp_path / "sc.jsonl"
        assert _live_cli(site.base_url, tmp_path, "-o", str(out), "-q") == 0
        before = out.read_bytes()
        requests = len(fake.cdx_log) + len(fake.web_log)
        capsys.readouterr()
        config = tmp_path / "fast.toml"
        cdx, web = f"{site.base_url}/cdx/search/cdx", f"{site.base_url}/web/"
        argv = ["wayback", *change, "--cdx-url", cdx, "--archive-url", web, "--config", str(config)]
        assert main([*argv, "-o", str(out), "--resume", "-q"]) == 2
        assert len(fake.cdx_log) + len(fake.web_log) == requests
        assert _live_cli(site.base_url, tmp_path, "-o", str(out), "--resume", "-q") == 0
    finally:
        site.stop()
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line == (
        f"error: {out}.state.sqlite belongs to {named}; drop --resume to start this run afresh, "
        "or choose another -o/--state"
    )
    assert out.read_bytes() == before


def test_a_capture_missing_from_the_replay_folder_fails_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A capture the recorded run never read is one failed capture (exit 1, the others written),
    not the end of the run; a range whose only capture is missing writes nothing (exit 3)."""
    folder = tmp_path / "wayback"
    shutil.copytree(FIXTURES, folder)
    index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    gone = [url for url in index["responses"] if "/web/20170305" in url and "page=" not in url]
    assert len(gone) == 1
    del index["responses"][gone[0]]
    (folder / "index.json").write_text(json.dumps(index), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    args = ["wayback", TOPIC, "--replay", str(folder), "--from", "2011", "--to", "2017"]
    assert main([*args, "-o", "sc.jsonl"]) == 1
    err = capsys.readouterr().err
    assert f"failed {gone[0]}: not in the fixture folder (the recorded run did not read it)" in err
    assert f"some captures failed; {folder} does not hold them: record the run live with --record" in err
    assert "--resume" not in err  # a replay has nothing more to fetch
    assert len((tmp_path / "sc.jsonl").read_text(encoding="utf-8").splitlines()) > 10
    narrow = ["wayback", TOPIC, "--replay", str(FIXTURES), "--from", "2016-07-02", "--to", "2016-07-04"]
    assert main([*narrow, "-o", "narrow.jsonl"]) == 3
    err = capsys.readouterr().err
    assert "not in the fixture folder" in err
    assert f"nothing was written; {FIXTURES} does not hold them" in err
    assert "--resume" not in err
    assert "Traceback" not in err
    assert not (tmp_path / "narrow.jsonl").exists()
