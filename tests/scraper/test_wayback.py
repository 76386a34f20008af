"""Tests for scraper/wayback.py: the pure part (CDX rows, memento URLs, merging, summaries) with property
tests, and the I/O part over httpx.MockTransport with a fake clock (paging, pacing, 429s, exclusions).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from parsers import Record, Teaser, TopicPage
from scraper.client import build_client
from scraper.errors import Blocked, FetchError, NotArchived
from scraper.settings import Settings
from scraper.wayback import (
    CDX_FIELDS,
    DEFAULT_CDX_URL,
    DEFAULT_RATE_LIMIT_WAIT,
    NOT_CDX_ATTEMPTS,
    CaptureResult,
    CaptureStore,
    CdxNotRecorded,
    CdxPage,
    CdxRecord,
    MementoUrl,
    RecordedCdx,
    Snapshot,
    SnapshotChange,
    _period_end,  # the range's last second, to check the short spelling
    archive_prefix,
    blocked_reason,
    build_archive_transport,
    cdx_date,
    cdx_json_rows,
    cdx_query_url,
    cdx_range,
    covering_cdx_query,
    cut_to_range,
    decode_cdx,
    fetch_capture,
    fetch_cdx_page,
    format_memento_url,
    format_timestamp,
    iter_cdx,
    merge_records,
    nearest_capture,
    parse_cdx_json,
    parse_memento_datetime,
    parse_memento_url,
    parse_timestamp,
    summarize,
)

if TYPE_CHECKING:
    from conftest import FakeClock

TOPIC = "https://www.dhs.gov/keywords/secure-communities"
ARCHIVE = "https://web.archive.org/web/"
CDX = "https://web.archive.org/cdx/search/cdx"
HTML = "text/html; charset=utf-8"

# -- strategies ----------------------------------------------------------------------------------------

times = st.datetimes(
    min_value=datetime(1996, 1, 1), max_value=datetime(2099, 12, 31, 23, 59, 59), timezones=st.just(UTC)
).map(lambda t: t.replace(microsecond=0))
stamps = times.map(format_timestamp)
tokens = st.text(st.characters(codec="utf-8", exclude_categories=("Z", "C")), min_size=1, max_size=20)
cdx_records = st.builds(
    CdxRecord,
    urlkey=tokens,
    timestamp=stamps,
    original=tokens,
    mimetype=tokens,
    statuscode=st.sampled_from(["200", "301", "404", "500", "-"]),
    digest=st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", min_size=32, max_size=32),
    length=st.integers(0, 10**7).map(str),
)
path_text = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789-_.~%/"), max_size=30)
page_urls = st.builds(
    lambda scheme, host, path, query: f"{scheme}://{host}/{path}" + (f"?{query}" if query else ""),
    st.sampled_from(["http", "https"]),
    st.from_regex(r"[a-z][a-z0-9-]{0,12}(\.[a-z]{2,6}){1,2}(:[1-9][0-9]{1,4})?", fullmatch=True),
    path_text,
    st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789=&%"), max_size=20),
)
modes = st.sampled_from(["", "id_", "im_", "js_", "cs_", "if_", "fw_"])
archives = st.sampled_from(
    [ARCHIVE, "http://127.0.0.1:8765/web/", "https://archive.example.org/wayback/web/"]
)


def _record(timestamp: str, *, page: int = 1, status: str = "200", original: str = TOPIC) -> CdxRecord:
    key = "gov,dhs)/keywords/secure-communities" + (f"?page={page}" if page else "")
    return CdxRecord(
        key, timestamp, original, "text/html", status, "Q7XJUCSMZHDEYPOLMWRTHNW2HVSEVNLC", "9241"
    )


def _teaser_record(title: str, when: datetime, *, position: int = 1, page: int = 0) -> Record:
    slug = title.lower().replace(" ", "-")
    page_url = TOPIC + (f"?page={page}" if page else "")
    page_obj = TopicPage(
        url=page_url,
        topic="Secure Communities",
        page=page,
        teasers=(Teaser(title=title, url=f"https://www.dhs.gov/news/{slug}", position=position),),
        profile="drupal7",
    )
    (record,) = page_obj.to_records(
        archived_at=when,
        capture_url=format_memento_url(page_url, format_timestamp(when), archive_url=ARCHIVE),
    )
    return record


# -- timestamps and dates --------------------------------------------------------------------------------


@given(times)
def test_timestamp_round_trips(when: datetime) -> None:
    """A Wayback timestamp names the second it was made from, and back."""
    stamp = format_timestamp(when)
    assert len(stamp) == 14
    assert parse_timestamp(stamp) == when
    assert format_timestamp(parse_timestamp(stamp)) == stamp


def test_shortened_timestamps_mean_the_start_of_the_period() -> None:
    """``2016`` is 1 January 2016 and ``201607`` is 1 July, as the archive reads them."""
    assert parse_timestamp("2016") == datetime(2016, 1, 1, tzinfo=UTC)
    assert parse_timestamp("201607") == datetime(2016, 7, 1, tzinfo=UTC)
    assert parse_timestamp("2016070114") == datetime(2016, 7, 1, 14, tzinfo=UTC)


@pytest.mark.parametrize(
    "bad", ["", "201", "20160", "2016x7", "20000231000000", "201607011403121", "２０１６"]
)
def test_bad_timestamps_are_refused(bad: str) -> None:
    """Odd lengths, non-digits and impossible dates are a ValueError."""
    with pytest.raises(ValueError, match=r"timestamp|does not match|day is out of range"):
        parse_timestamp(bad)


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("2011", "2011"),
        ("2011-03", "201103"),
        ("2011-03-15", "20110315"),
        ("2016-07-01T14:03:12Z", "20160701140312"),
        ("20160701140312", "20160701140312"),
        (" 2017 ", "2017"),
    ],
)
def test_cdx_date_turns_what_people_type_into_a_cdx_prefix(typed: str, sent: str) -> None:
    """Dates as people write them become the digit prefixes the CDX API takes."""
    assert cdx_date(typed) == sent


@pytest.mark.parametrize("bad", ["yesterday", "11", "2011-3", "2011-13", "2011.03.15"])
def test_cdx_date_refuses_what_it_cannot_read(bad: str) -> None:
    """A date that is not one is a ValueError naming the forms that work."""
    with pytest.raises(ValueError, match="use 2011, 2011-03"):
        cdx_date(bad)


def test_memento_datetime_is_an_http_date() -> None:
    """``Memento-Datetime`` parses to an aware UTC time; garbage and absence give None."""
    assert parse_memento_datetime("Fri, 01 Jul 2016 14:03:12 GMT") == datetime(
        2016, 7, 1, 14, 3, 12, tzinfo=UTC
    )
    assert parse_memento_datetime("not a date") is None
    assert parse_memento_datetime(None) is None


# -- CDX rows ----------------------------------------------------------------------------------------------


@given(cdx_records)
def test_cdx_line_round_trips(record: CdxRecord) -> None:
    """A CDX record written as a text line reads back as the same record, field names intact."""
    line = record.to_line()
    assert CdxRecord.from_line(line) == record
    assert CdxRecord._fields == CDX_FIELDS


@given(st.lists(cdx_records, max_size=8), st.none() | tokens)
def test_cdx_json_round_trips(records: list[CdxRecord], resume_key: str | None) -> None:
    """JSON output written from records reads back as them (consecutive repeats dropped) and the key."""
    page = parse_cdx_json(json.loads(json.dumps(cdx_json_rows(records, resume_key))))
    expected = [r for i, r in enumerate(records) if i == 0 or records[i - 1] != r]
    assert page == CdxPage(tuple(expected), resume_key, 0)


def test_cdx_json_reads_fields_by_header_and_skips_malformed_rows() -> None:
    """Columns are found by the header's names; short rows and bad timestamps are counted, not fatal."""
    header = ["timestamp", "urlkey", "original", "mimetype", "statuscode", "digest", "length"]
    good = ["20160701140312", "gov,dhs)/k", TOPIC, "text/html", "200", "D", "9"]
    rows = [
        header,
        good,
        good,
        ["20160701"],
        ["20000231000000", *good[1:]],
        [],
        ["gov%2Cdhs%29%2Fk+20160701140312"],
    ]
    page = parse_cdx_json(rows)
    assert [r.timestamp for r in page.records] == ["20160701140312"]
    assert page.records[0].urlkey == "gov,dhs)/k"
    assert page.malformed == 2
    assert page.resume_key == "gov%2Cdhs%29%2Fk+20160701140312"


@pytest.mark.parametrize(
    "rows",
    [{"urlkey": 1}, [["urlkey", "timestamp"]], [list(CDX_FIELDS), [], ["a"], ["b"]], [list(CDX_FIELDS), []]],
)
def test_cdx_json_refuses_what_is_not_cdx(rows: object) -> None:
    """Not a list, a header without the CDX fields, or a broken resume key: ValueError."""
    with pytest.raises(ValueError, match="CDX"):
        parse_cdx_json(rows)


def test_cut_off_cdx_answer_is_a_clear_error() -> None:
    """A CDX answer that stops half-way says it is not complete JSON; an empty one is no captures."""
    body = json.dumps(cdx_json_rows([_record("20160701140312")])).encode()
    with pytest.raises(ValueError, match="not complete JSON"):
        decode_cdx(body[: len(body) // 2])
    assert decode_cdx(b"") == CdxPage(())
    assert decode_cdx(b"[]\n") == CdxPage(())


PYWB_LINE = {
    "urlkey": "gov,dhs)/keywords/secure-communities",
    "timestamp": "20160701140312",
    "url": TOPIC,
    "mime": "text/html",
    "status": "200",
    "digest": "Q7XJUCSMZHDEYPOLMWRTHNW2HVSEVNLC",
    "length": "9241",
    "offset": "1043",
    "filename": "dhs-2016.warc.gz",
}
"""One capture as pywb's CDX server writes it with ``output=json`` (its CDXJ Server API docs)."""


def test_ndjson_cdx_reads_pywb_and_wayback_field_names() -> None:
    """pywb's one-object-per-line CDX (url, mime, status) reads as the Wayback fields; extra fields are
    ignored, a repeated line dropped, a bad line counted."""
    wayback_names = dict(zip(CDX_FIELDS, _record("20170305181500", page=0), strict=True))
    minimal = {k: v for k, v in PYWB_LINE.items() if k not in ("mime", "status")} | {"timestamp": "2018"}
    lines = [PYWB_LINE, PYWB_LINE, wayback_names, {"urlkey": "x"}, minimal]
    page = decode_cdx("".join(json.dumps(line) + "\n" for line in lines).encode())
    assert page.records == (
        _record("20160701140312", page=0),
        _record("20170305181500", page=0),
        CdxRecord(PYWB_LINE["urlkey"], "2018", TOPIC, "-", "-", PYWB_LINE["digest"], "9241"),
    )
    assert (page.resume_key, page.malformed) == (None, 1)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (json.dumps(PYWB_LINE) + "\n" + json.dumps(PYWB_LINE)[:40], "cut off"),
        ('{"message": "collection not found"}\n', "no CDX record"),
    ],
)
def test_ndjson_cdx_cut_off_or_not_cdx_is_an_error(body: str, message: str) -> None:
    """A cut-off last line, or objects that are no captures, are errors (the fetcher asks again)."""
    with pytest.raises(ValueError, match=message):
        decode_cdx(body.encode())


def test_cdx_range_refuses_a_range_that_ends_before_it_starts() -> None:
    """--to is inclusive to the end of its period, so 2017..2017 is a range and 2017..2011 is not."""
    assert cdx_range("2017", "2017") == ("2017", "2017")
    assert cdx_range("2017-06-15", None) == ("20170615", None)
    with pytest.raises(ValueError, match=r"starts \(2017\) after it ends \(2011\)"):
        cdx_range("2017", "2011")
    with pytest.raises(ValueError, match="starts"):
        cdx_range("2017-06-02", "2017-06-01")


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        ("2011-01-01", "2017-12-31", ("2011", "2017")),
        ("2011-01", "2017-12", ("2011", "2017")),
        ("20110101000000", "20171231235959", ("2011", "2017")),
        ("2011-01-01T00:00:00Z", "2016-02-29", ("2011", "201602")),
        ("2011-03-01", "2017-06-30", ("201103", "201706")),
        ("2011-03-15", "2017-06-15", ("20110315", "20170615")),
    ],
)
def test_cdx_range_spells_one_range_one_way(low: str, high: str, expected: tuple[str, str]) -> None:
    """The same range written another way gives the same CDX from/to: the shortest that means it."""
    assert cdx_range(low, high) == expected


@given(times, times)
def test_cdx_range_keeps_the_seconds_it_covers(a: datetime, b: datetime) -> None:
    """The short spelling covers the same first and last second as the range typed."""
    low, high = sorted((a, b))
    typed_low, typed_high = format_timestamp(low), format_timestamp(high)
    short_low, short_high = cdx_range(typed_low, typed_high)
    assert short_low is not None
    assert short_high is not None
    assert parse_timestamp(short_low) == low
    assert _period_end(short_high) == typed_high  # the last second of the period it names
    assert cdx_range(short_low, short_high) == (short_low, short_high)


def _q(from_date: str | None = None, to_date: str | None = None, **kw: object) -> str:
    return cdx_query_url(TOPIC, from_date=from_date, to_date=to_date, **kw)  # type: ignore[arg-type]


def test_a_recorded_cdx_query_covers_a_narrower_one() -> None:
    """A replay answers a range from the narrowest recorded query of the same page holding it."""
    recorded = [_q(), _q("2011", "2017"), _q("2015", "2015")]
    assert covering_cdx_query(_q("2010", "2018"), recorded) == _q()
    assert covering_cdx_query(_q("2012", "2016-06"), recorded) == _q("2011", "2017")
    assert covering_cdx_query(_q("2011-01-01", "2017-12-31"), recorded) == _q("2011", "2017")
    assert covering_cdx_query(_q("2015-03", "2015-04"), recorded) == _q("2015", "2015")
    assert covering_cdx_query(_q("2015", "2015"), recorded) == _q("2015", "2015")


def test_a_cdx_query_is_covered_only_by_the_same_query_over_a_wider_range() -> None:
    """Another page, page size or resume key is no cover, nor a narrower range."""
    assert covering_cdx_query(_q("2010"), [_q("2011", "2017")]) is None
    assert covering_cdx_query(_q(), [_q("2011")]) is None
    assert covering_cdx_query(_q("2012"), [_q(limit=500)]) is None
    assert covering_cdx_query(_q("2012", resume_key="k2"), [_q(resume_key="k1")]) is None
    assert covering_cdx_query(_q("2012", resume_key="k1"), [_q(resume_key="k1")]) == _q(resume_key="k1")
    other = cdx_query_url(TOPIC + "?page=1")
    assert covering_cdx_query(_q("2012"), [other]) is None


def test_cut_to_range_keeps_what_the_cdx_server_would() -> None:
    """Rows are cut to [from, end of the to period], as the CDX server reads from/to."""
    rows = tuple(
        CdxRecord("k", ts, TOPIC, "text/html", "200", "D", "1")
        for ts in ("20101231235959", "20110101000000", "20160229235959", "20160301000000")
    )
    page = CdxPage(rows, "key")
    cut = cut_to_range(page, "2011", "201602")
    assert [r.timestamp for r in cut.records] == ["20110101000000", "20160229235959"]
    assert cut.resume_key == "key"
    assert cut_to_range(page, None, None) == page


def test_cdx_not_recorded_names_the_ranges_the_folder_holds() -> None:
    """A replay without a covering CDX answer says which ranges it holds, to rerun with one."""
    recorded = RecordedCdx(Path("fx"), (_q("2011", "2017"), _q("2013"), _q("2011", "2017", resume_key="k")))
    with pytest.raises(CdxNotRecorded) as caught:
        recorded.query_for(_q("2010", "2018"))
    assert caught.value.ranges == ("--from 2011 --to 2017", "--from 2013")
    assert "holds CDX answers for https://www.dhs.gov/keywords/secure-communities with --from 2011 --to " in (
        str(caught.value)
    )
    empty = RecordedCdx(Path("fx"), ())
    with pytest.raises(CdxNotRecorded, match="holds no CDX answer for"):
        empty.query_for(_q())


def test_cdx_not_recorded_names_the_endpoints_a_folder_recorded_with_another_cdx_url_holds() -> None:
    """A folder with no CDX answer from the endpoint asked, but some for the page from others (recorded
    with another --cdx-url), names them and says to rerun with --cdx-url (and --archive-url when
    its captures are under another prefix)."""
    pywb = "http://127.0.0.1:8080/my-coll/cdx"
    local = "http://127.0.0.1:18931/cdx/search/cdx"
    recorded = RecordedCdx(
        Path("fx"),
        (),
        (
            cdx_query_url(TOPIC, cdx_url=local, from_date="2015"),
            cdx_query_url(TOPIC + "?page=1", cdx_url=pywb),
        ),
        ("http://127.0.0.1:18931/web/",),
    )
    with pytest.raises(CdxNotRecorded) as caught:
        recorded.query_for(_q("2016", "2017"))
    assert (caught.value.ranges, caught.value.endpoints) == ((), (local,))
    assert str(caught.value).endswith(
        f"it holds no CDX answer for {TOPIC} from {CDX}, but holds some from {local} (recorded with another "
        f"--cdx-url): rerun with --cdx-url {local} --archive-url http://127.0.0.1:18931/web/"
    )
    both = replace(
        recorded, elsewhere=(*recorded.elsewhere, cdx_query_url(TOPIC, cdx_url=pywb)), archive_urls=()
    )
    with pytest.raises(CdxNotRecorded) as caught:
        both.query_for(_q())
    assert caught.value.endpoints == (local, pywb)
    assert str(caught.value).endswith(
        f"from {local} and {pywb} (recorded with another --cdx-url): rerun with --cdx-url and one of those"
    )
    ours = replace(recorded, queries=(_q("2011", "2012"),))
    with pytest.raises(CdxNotRecorded) as caught:
        ours.query_for(_q("2016"))
    assert (caught.value.ranges, caught.value.endpoints) == (("--from 2011 --to 2012",), ())


def test_snapshot_change_notes_carried_pages() -> None:
    """--summary's note says how many teasers sit on pages read at an earlier snapshot's captures."""
    t = datetime(2016, 7, 3, 5, 20, tzinfo=UTC)
    then = datetime(2016, 7, 1, 14, 3, 15, tzinfo=UTC)
    change = SnapshotChange(t, "a", 13, frozenset(), frozenset(), False, 8, ((2, then), (1, then)))
    assert change.note == "(some pages unread; 8 on pages 1, 2 as captured 2016-07-01 14:03)"
    assert SnapshotChange(t, "a", 5, frozenset(), frozenset(), True).note == ""


@pytest.mark.parametrize("prefix", ["/web/", "/wayback/", "/all/", "/my-coll/", "/pywb/my-coll/"])
def test_memento_urls_under_any_collection_prefix(prefix: str) -> None:
    """pywb collections play captures back under /<coll>/, not /web/: read with that prefix."""
    archive = f"http://127.0.0.1:8080{prefix}"
    url = format_memento_url(TOPIC, "20160701140312", archive_url=archive)
    assert archive_prefix(archive.rstrip("/")) == archive
    assert parse_memento_url(url, archive_url=archive) == MementoUrl(TOPIC, "20160701140312", "id_", archive)


@pytest.mark.parametrize(
    "bad",
    ["ftp://archive.example/web/", "http:///web/", "http://a.example/web/?coll=x", "http://a.example/web/#x"],
)
def test_archive_prefix_refuses_what_no_capture_url_can_follow(bad: str) -> None:
    """An archive URL without a host, or with a query or fragment, is a clear ValueError."""
    with pytest.raises(ValueError, match="archive URL"):
        archive_prefix(bad)


def test_cdx_query_lists_identical_captures_unless_asked() -> None:
    """Identical captures are listed (each is a sighting); collapse=digest only on request."""
    assert "collapse" not in cdx_query_url(TOPIC)
    assert "collapse=digest" in cdx_query_url(TOPIC, collapse=True)


def test_record_urls_point_at_the_archive() -> None:
    """``raw_url`` is the capture as served (``id_``); ``view_url`` the browsable one; typed fields."""
    record = _record("20160701140312", page=0)
    assert record.raw_url == f"{ARCHIVE}20160701140312id_/{TOPIC}"
    assert record.view_url == f"{ARCHIVE}20160701140312/{TOPIC}"
    assert record.memento_url("http://127.0.0.1:9/web") == f"http://127.0.0.1:9/web/20160701140312id_/{TOPIC}"
    assert record.captured_at == datetime(2016, 7, 1, 14, 3, 12, tzinfo=UTC)
    assert record.status == 200
    assert record._replace(statuscode="-").status is None


def test_nearest_capture_is_nearest_in_time() -> None:
    """The capture closest to the time wins, the earlier on a tie; none gives None."""
    rows = [_record(ts) for ts in ("20160601000000", "20160701140315", "20160701140309", "20170101000000")]
    assert nearest_capture(rows, datetime(2016, 7, 1, 14, 3, 12, tzinfo=UTC)) == rows[2]
    assert nearest_capture(rows, datetime(2030, 1, 1, tzinfo=UTC)) == rows[3]
    assert nearest_capture([], datetime(2016, 1, 1, tzinfo=UTC)) is None


# -- memento URLs --------------------------------------------------------------------------------------------


@given(page_urls, stamps, modes, archives)
def test_memento_url_round_trips(url: str, stamp: str, mode: str, archive: str) -> None:
    """A capture URL built from its parts gives the same parts back, told the archive or not."""
    memento = format_memento_url(url, stamp, mode=mode, archive_url=archive)
    assert parse_memento_url(memento, archive_url=archive) == MementoUrl(url, stamp, mode, archive)
    assert parse_memento_url(memento) == MementoUrl(url, stamp, mode, archive)


def test_memento_url_forms_seen_in_archived_pages() -> None:
    """Root-relative links, collapsed ``//`` and a datetime all work; other URLs are refused."""
    assert parse_memento_url("/web/20150114083000/https://www.dhs.gov/a").url == "https://www.dhs.gov/a"
    assert parse_memento_url(f"{ARCHIVE}2015id_/http:/www.dhs.gov/a").url == "http://www.dhs.gov/a"
    assert parse_memento_url(f"{ARCHIVE}2015/www.dhs.gov/a").url == "http://www.dhs.gov/a"
    when = datetime(2016, 7, 1, 14, 3, 12, tzinfo=UTC)
    assert format_memento_url(TOPIC, when) == f"{ARCHIVE}20160701140312id_/{TOPIC}"
    with pytest.raises(ValueError, match="capture URL"):
        parse_memento_url(TOPIC)
    with pytest.raises(ValueError, match="under"):
        parse_memento_url(f"{ARCHIVE}2015/{TOPIC}", archive_url="http://127.0.0.1/web/")
    with pytest.raises(ValueError, match="playback mode"):
        format_memento_url(TOPIC, "2016", mode="xyz")


def test_blocked_reason_reads_the_archive_exclusion_messages() -> None:
    """Both exclusion exceptions are told apart, in the body or the runtime-error header."""
    robots = blocked_reason(b"", "RobotAccessControlException: Blocked By Robots")
    owner = blocked_reason("<p>AdministrativeAccessControlException: Blocked Site Error</p>")
    assert robots is not None
    assert "robots.txt" in robots
    assert owner is not None
    assert "owner's request" in owner
    assert blocked_reason(b"<h1>Service Unavailable</h1>") is None


# -- merging and summaries --------------------------------------------------------------------------------

T0 = datetime(2011, 3, 15, 10, 15, tzinfo=UTC)


def test_merge_keeps_one_record_per_teaser_with_first_and_last_seen() -> None:
    """The latest capture's record is kept, with the earliest and latest times it was listed."""
    old = _teaser_record("Myth vs. Fact", T0, position=4)
    mid = _teaser_record("Myth vs. Fact", T0 + timedelta(days=800), position=2)
    new = _teaser_record("Myth vs. Fact", T0 + timedelta(days=400), position=3)
    other = _teaser_record("Remarks by Secretary Johnson", T0 + timedelta(days=10))
    merged = merge_records([old, mid, new, other])
    assert [r.title for r in merged] == ["Myth vs. Fact", "Remarks by Secretary Johnson"]
    myth = merged[0]
    assert (myth.first_seen, myth.last_seen) == (T0, T0 + timedelta(days=800))
    assert (myth.archived_at, myth.capture_url, myth.position) == (mid.archived_at, mid.capture_url, 2)
    assert merged[1].first_seen == merged[1].last_seen == T0 + timedelta(days=10)


def test_merge_keeps_the_day_a_capture_named_when_later_ones_do_not() -> None:
    """A teaser shown "Yesterday", then "3 days ago", then "2 weeks ago" (no day) keeps the day the
    latest capture to name one gave, with that capture's text; the rest is the latest capture's."""

    def shown(raw: str, when: datetime) -> Record:
        record = _teaser_record("Myth vs. Fact", when)
        page = TopicPage(url=TOPIC, page=0, profile="drupal7", teasers=(
            Teaser(title="Myth vs. Fact", url=record.url, date_raw=raw, position=1),
        ))  # fmt: skip
        return page.record(page.teasers[0], archived_at=when, capture_url=record.capture_url)

    day = timedelta(days=1)
    captures = [
        shown("Yesterday", T0),
        shown("3 days ago", T0 + 2 * day),
        shown("2 weeks ago", T0 + 13 * day),
    ]
    assert [c.date for c in captures] == [T0.date() - day, T0.date() - day, None]
    (merged,) = merge_records(captures)
    assert (merged.date, merged.date_raw) == (T0.date() - day, "3 days ago")
    assert merged.archived_at == T0 + 13 * day
    (latest_first,) = merge_records([shown("2 weeks ago", T0 + 13 * day), shown("Yesterday", T0)])
    assert (latest_first.date, latest_first.date_raw) == (T0.date() - day, "Yesterday")


def test_merge_all_captures_keeps_a_record_per_capture() -> None:
    """``all_captures`` keeps every capture's record (a repeat within one capture once), in time order."""
    first = _teaser_record("Myth vs. Fact", T0)
    again_same_capture = first.model_copy(update={"position": 5})
    later = _teaser_record("Myth vs. Fact", T0 + timedelta(days=30))
    merged = merge_records([later, first, again_same_capture], all_captures=True)
    assert [r.archived_at for r in merged] == [T0, T0 + timedelta(days=30)]
    assert {(r.first_seen, r.last_seen) for r in merged} == {(T0, T0 + timedelta(days=30))}


def _merge_reference(records: list[Record]) -> list[Record]:
    """The merge as first written: every record of a teaser held, then the latest taken (the first
    read on a tie) and the latest dated one's date."""
    groups: dict[str, list[Record]] = {}
    for record in records:
        groups.setdefault(record.id, []).append(record)
    least = datetime.min.replace(tzinfo=UTC)
    merged = []
    for group in groups.values():
        times = [r.archived_at for r in group if r.archived_at is not None]
        seen: dict[str, object] = {
            "first_seen": min(times, default=None),
            "last_seen": max(times, default=None),
        }
        latest = max(group, key=lambda r: r.archived_at or least)
        dated = [r for r in group if r.date is not None]
        if latest.date is None and dated:
            known = max(dated, key=lambda r: r.archived_at or least)
            seen = {**seen, "date": known.date, "date_raw": known.date_raw}
        merged.append(latest.model_copy(update=seen))
    merged.sort(key=lambda r: (r.first_seen or least, r.archived_at or least, r.page, r.position))
    return merged


@given(
    st.lists(
        st.tuples(
            st.sampled_from("ABC"), st.integers(0, 4), st.integers(1, 4), st.sampled_from(["", "Yesterday"])
        ),
        min_size=1,
        max_size=25,
    )
)
def test_merge_in_one_pass_is_the_grouped_merge(seen: list[tuple[str, int, int, str]]) -> None:
    """Read once from an iterator (memory per teaser, not per sighting), the merge gives what grouping
    every sighting first gives, ties in time and dates included."""
    records = []
    for name, day, position, raw in seen:
        record = _teaser_record(f"Story {name}", T0 + timedelta(days=day), position=position)
        if raw:
            record = record.model_copy(
                update={"date": (T0 + timedelta(days=day - 1)).date(), "date_raw": raw}
            )
        records.append(record)
    assert merge_records(iter(records)) == _merge_reference(records)


@given(st.lists(st.tuples(st.sampled_from("ABCD"), st.integers(0, 3000)), min_size=1, max_size=20))
def test_merge_invariants(seen: list[tuple[str, int]]) -> None:
    """One record per id; first_seen/last_seen are the min/max capture time of that id."""
    records = [_teaser_record(f"Story {name}", T0 + timedelta(days=day)) for name, day in seen]
    merged = merge_records(records)
    assert len(merged) == len({r.id for r in records})
    for record in merged:
        days = [day for name, day in seen if f"Story {name}" == record.title]
        assert record.first_seen == T0 + timedelta(days=min(days))
        assert record.last_seen == record.archived_at == T0 + timedelta(days=max(days))
    firsts = [r.first_seen for r in merged if r.first_seen is not None]
    assert firsts == sorted(firsts)
    assert len(firsts) == len(merged)


def test_summary_counts_what_appeared_and_disappeared() -> None:
    """Per snapshot in time order: the first lists everything as appeared, then differences."""
    day = timedelta(days=1)
    changes = summarize(
        [
            Snapshot(T0 + 2 * day, "c", frozenset("bcd"), complete=False),
            Snapshot(T0, "a", frozenset("ab")),
            Snapshot(T0 + day, "b", frozenset("bc")),
        ]
    )
    assert [c.capture_url for c in changes] == ["a", "b", "c"]
    assert [(c.teasers, sorted(c.appeared), sorted(c.disappeared)) for c in changes] == [
        (2, ["a", "b"], []),
        (2, ["c"], ["a"]),
        (3, ["d"], []),
    ]
    assert [c.complete for c in changes] == [True, True, False]


def test_capture_store_round_trips(tmp_path: object) -> None:
    """Captures (with records), lookups and snapshots come back as stored, aliases included."""
    store = CaptureStore(":memory:")
    record = _teaser_record("Myth vs. Fact", T0)
    result = CaptureResult(
        url=f"{ARCHIVE}20110315000000id_/{TOPIC}",
        final_url=record.capture_url or "",
        page_url=TOPIC,
        page=0,
        archived_at=T0,
        records=(record,),
        next_url=f"{TOPIC}?page=1",
    )
    store.save_capture(result)
    assert store.capture(result.url) == result
    assert store.capture(result.final_url) == replace(result, url=result.final_url)
    assert store.captures() == [replace(result, url=result.final_url)]
    rows = (_record("20110315101720"),)
    store.save_lookup(f"{TOPIC}?page=1", rows)
    assert store.lookup(f"{TOPIC}?page=1") == rows
    assert store.lookup(f"{TOPIC}?page=2") is None
    store.save_snapshot(result.url, [result], complete=True)
    assert store.snapshots() == [Snapshot(T0, result.final_url, frozenset({record.id}), True)]
    store.clear()
    assert store.captures() == []
    store.close()


def test_capture_store_finds_a_read_capture_identical_to_a_listed_one() -> None:
    """An identical capture is one with the same digest of the same original URL, read for the same page."""
    store = CaptureStore(":memory:")
    record = _teaser_record("Myth vs. Fact", T0)
    first = f"{ARCHIVE}20110315000000id_/{TOPIC}"
    later, other_spelling, changed = (f"{ARCHIVE}{ts}id_/{TOPIC}" for ts in ("2012", "2013", "2014"))
    same = _record("20110315000000", page=0)
    store.save_digests(
        [
            (first, same),
            (later, same._replace(timestamp="2012")),
            (other_spelling, same._replace(timestamp="2013", original=TOPIC.replace("https", "http"))),
            (changed, same._replace(timestamp="2014", digest="B" * 32)),
        ]
    )
    assert store.digest(later) == (TOPIC, same.digest)
    assert store.twin(later, page_url=TOPIC, page=0) is None  # nothing read yet
    result = CaptureResult(first, first, TOPIC, 0, T0, records=(record,))
    store.save_capture(result)
    assert store.twin(later, page_url=TOPIC, page=0) == result
    assert store.twin(later, page_url=TOPIC, page=1) is None
    assert store.twin(other_spelling, page_url=TOPIC, page=0) is None
    assert store.twin(changed, page_url=TOPIC, page=0) is None
    store.close()


# -- I/O over MockTransport -------------------------------------------------------------------------------


def _settings(**kwargs: object) -> Settings:
    return Settings.model_validate({"max_attempts": 3, **kwargs})


class Archive:
    """A MockTransport handler: answers from a list per endpoint, logging (fake time, URL) of each request."""

    def __init__(
        self, clock: FakeClock, *, cdx: list[httpx.Response], web: list[httpx.Response] | None = None
    ) -> None:
        self.clock = clock
        self.cdx = list(cdx)
        self.web = list(web or [])
        self.log: list[tuple[float, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.log.append((self.clock.monotonic(), str(request.url)))
        answers = self.cdx if request.url.path.startswith("/cdx/") else self.web
        return answers.pop(0) if len(answers) > 1 else answers[0]

    def times(self, kind: str) -> list[float]:
        """Fake times of the requests to ``/cdx/`` or ``/web/``."""
        return [t for t, url in self.log if urlsplit(url).path.startswith(f"/{kind}/")]


def _cdx_answer(records: list[CdxRecord], resume_key: str | None = None, **kwargs: object) -> httpx.Response:
    body = json.dumps(cdx_json_rows(records, resume_key)).encode()
    headers = {"Content-Type": "text/plain; charset=utf-8", **{k: str(v) for k, v in kwargs.items()}}
    return httpx.Response(200, headers=headers, content=body)


def _memento(stamp: str, body: str = "<h1>page</h1>", *, status: int = 200, **headers: str) -> httpx.Response:
    when = parse_timestamp(stamp).strftime("%a, %d %b %Y %H:%M:%S GMT")
    return httpx.Response(
        status,
        headers={"Content-Type": HTML, "Memento-Datetime": when, **headers},
        content=body.encode(),
    )


def _client(
    settings: Settings, handler: Callable[[httpx.Request], httpx.Response], clock: FakeClock
) -> httpx.AsyncClient:
    transport = build_archive_transport(settings, transport=httpx.MockTransport(handler), clock=clock)
    return build_client(settings, transport=transport, clock=clock)


async def test_iter_cdx_pages_with_the_resume_key(fake_clock: FakeClock) -> None:
    """Pages follow the resume key; a row repeated across pages is given once; the query is as documented,
    identical captures included (no ``collapse=digest``: each is a sighting)."""
    rows = [_record(f"2016070114031{i}") for i in range(5)]
    archive = Archive(fake_clock, cdx=[_cdx_answer(rows[:3], "k%2C1+2016"), _cdx_answer(rows[2:])])
    settings = _settings(cdx_page_size=3)
    async with _client(settings, archive, fake_clock) as client:
        found = [
            r
            async for r in iter_cdx(
                client, TOPIC, settings=settings, from_date="2011", to_date="2017", clock=fake_clock
            )
        ]
    assert found == rows
    first, second = (parse_qs(urlsplit(url).query) for _, url in archive.log)
    assert first == {
        "url": [TOPIC],
        "output": ["json"],
        "from": ["2011"],
        "to": ["2017"],
        "filter": ["statuscode:200|-", "mimetype:text/html|warc/revisit"],
        "showResumeKey": ["true"],
        "limit": ["3"],
    }
    assert second["resumeKey"] == ["k%2C1+2016"]


@pytest.mark.parametrize(("ndjson", "warned"), [(False, False), (True, True)])
async def test_a_full_last_page_is_cut_only_where_no_resume_key_could_say_so(
    fake_clock: FakeClock, caplog: pytest.LogCaptureFixture, ndjson: bool, warned: bool
) -> None:
    """A last page of exactly cdx_page_size rows is whole from the Wayback CDX server (it sends a resume
    key only when more rows remain); from pywb (NDJSON, paged by page=) it may be cut: a warning."""
    rows = [_record(f"2016070114031{i}") for i in range(3)]
    if ndjson:
        lines = "".join(json.dumps(dict(zip(CDX_FIELDS, row, strict=True))) + "\n" for row in rows)
        answer = httpx.Response(200, headers={"Content-Type": "text/x-ndjson"}, content=lines.encode())
    else:
        answer = _cdx_answer(rows)
    archive = Archive(fake_clock, cdx=[answer])
    settings = _settings(cdx_page_size=3)
    async with _client(settings, archive, fake_clock) as client:
        found = [r async for r in iter_cdx(client, TOPIC, settings=settings, clock=fake_clock)]
    assert found == rows
    assert any("may hold more" in message for message in caplog.messages) is warned


async def test_iter_cdx_stops_on_a_resume_key_sent_twice(fake_clock: FakeClock) -> None:
    """A server that keeps sending the same resume key would loop forever: FetchError."""
    archive = Archive(fake_clock, cdx=[_cdx_answer([_record("20160701140312")], "same")])
    settings = _settings()
    async with _client(settings, archive, fake_clock) as client:
        with pytest.raises(FetchError, match="twice"):
            [r async for r in iter_cdx(client, TOPIC, settings=settings, clock=fake_clock)]


async def test_cut_off_cdx_answer_is_asked_again(fake_clock: FakeClock) -> None:
    """A truncated CDX answer is requested again; the full one is read."""
    full = _cdx_answer([_record("20160701140312")])
    cut = httpx.Response(200, headers={"Content-Type": "text/plain"}, content=full.content[:40])
    archive = Archive(fake_clock, cdx=[cut, full])
    settings = _settings()
    async with _client(settings, archive, fake_clock) as client:
        page = await fetch_cdx_page(client, cdx_query_url(TOPIC), settings=settings, clock=fake_clock)
    assert [r.timestamp for r in page.records] == ["20160701140312"]
    assert len(archive.log) == 2


async def test_always_cut_off_cdx_answer_is_a_transient_failure(fake_clock: FakeClock) -> None:
    """Every try cut off: a transient FetchError saying so, after max_attempts tries."""
    cut = httpx.Response(200, headers={"Content-Type": "text/plain"}, content=b'[["urlkey","timest')
    archive = Archive(fake_clock, cdx=[cut])
    settings = _settings(max_attempts=3)
    async with _client(settings, archive, fake_clock) as client:
        with pytest.raises(FetchError, match="unreadable 3 times") as caught:
            await fetch_cdx_page(client, cdx_query_url(TOPIC), settings=settings, clock=fake_clock)
    assert caught.value.transient
    assert len(archive.log) == 3


OFFLINE_PAGE = (
    b"<html><head><style>h1 {color: red}</style></head><body><h1>Wayback Machine</h1>"
    b"<p>Sorry, this service is temporarily offline.</p></body></html>"
)
"""A CDX endpoint's maintenance page, as the archive serves it: HTTP 200, text/html."""


@pytest.mark.parametrize(
    ("body", "what"),
    [
        (OFFLINE_PAGE, "an HTML page ('Wayback Machine Sorry, this service is temporarily offline.')"),
        (b"\n<!DOCTYPE html><title>Error &amp; outage</title><p>x", "an HTML page ('Error & outage')"),
        (b"\x00\x01garbage{{{[[", "something that is not JSON (it starts '\\x00\\x01garbage{{{[[')"),
        (b"Service Unavailable", "something that is not JSON (it starts 'Service Unavailable')"),
    ],
)
def test_an_answer_that_is_no_cdx_listing_says_what_it_is(body: bytes, what: str) -> None:
    """An HTML page or text that is not JSON is named as such, never taken for a cut-off answer."""
    with pytest.raises(ValueError, match="not a CDX listing") as caught:
        decode_cdx(body)
    assert str(caught.value) == f"the CDX answer is not a CDX listing but {what} ({len(body)} bytes)"
    assert "cut off" not in str(caught.value)


async def test_an_html_cdx_answer_is_asked_once_more_then_named(fake_clock: FakeClock) -> None:
    """A 200 HTML page from the CDX endpoint is asked for twice (NOT_CDX_ATTEMPTS), not max_attempts
    times; the transient error names the page, and says the server may be down or --cdx-url wrong."""
    offline = httpx.Response(200, headers={"Content-Type": HTML}, content=OFFLINE_PAGE)
    archive = Archive(fake_clock, cdx=[offline])
    settings = _settings(max_attempts=4)
    query = cdx_query_url(TOPIC)
    async with _client(settings, archive, fake_clock) as client:
        with pytest.raises(FetchError) as caught:
            await fetch_cdx_page(client, query, settings=settings, clock=fake_clock)
    assert len(archive.log) == NOT_CDX_ATTEMPTS == 2
    assert caught.value.transient
    assert caught.value.reason == (
        "the CDX endpoint answered twice with an HTML page ('Wayback Machine Sorry, this service is "
        "temporarily offline.'), not a CDX listing: the CDX server may be down (a maintenance page?), "
        f"or {DEFAULT_CDX_URL} is not a CDX endpoint (check --cdx-url)"
    )


async def test_a_maintenance_page_gone_on_the_next_try_is_read(fake_clock: FakeClock) -> None:
    """The offline page once, then the listing: the listing is read."""
    offline = httpx.Response(200, headers={"Content-Type": HTML}, content=OFFLINE_PAGE)
    archive = Archive(fake_clock, cdx=[offline, _cdx_answer([_record("20160701140312")])])
    settings = _settings()
    async with _client(settings, archive, fake_clock) as client:
        page = await fetch_cdx_page(client, cdx_query_url(TOPIC), settings=settings, clock=fake_clock)
    assert [r.timestamp for r in page.records] == ["20160701140312"]
    assert len(archive.log) == 2


async def test_json_labelled_cdx_answer_is_read(fake_clock: FakeClock) -> None:
    """A CDX answer labelled application/json is read like a text one (the page fetcher wants text)."""
    answer = _cdx_answer([_record("20160701140312")], **{"Content-Type": "application/json"})
    archive = Archive(fake_clock, cdx=[answer])
    settings = _settings()
    async with _client(settings, archive, fake_clock) as client:
        page = await fetch_cdx_page(client, cdx_query_url(TOPIC), settings=settings, clock=fake_clock)
    assert len(page.records) == 1


@pytest.mark.parametrize(("retry_after", "wait"), [(None, DEFAULT_RATE_LIMIT_WAIT), ("90", 90.0)])
async def test_429_waits_retry_after_or_a_minute_and_never_less(
    fake_clock: FakeClock, retry_after: str | None, wait: float
) -> None:
    """After a 429 the next request goes out no sooner than Retry-After, or 60 s when it says nothing."""
    headers = {"Retry-After": retry_after} if retry_after else {}
    busy = httpx.Response(429, headers=headers, content=b"Too Many Requests")
    archive = Archive(fake_clock, cdx=[busy, busy, _cdx_answer([_record("20160701140312")])])
    settings = _settings(max_attempts=4)
    async with _client(settings, archive, fake_clock) as client:
        page = await fetch_cdx_page(client, cdx_query_url(TOPIC), settings=settings, clock=fake_clock)
    assert len(page.records) == 1
    times = archive.times("cdx")
    assert len(times) == 3
    assert all(later - earlier >= wait for earlier, later in itertools.pairwise(times))
    assert max(fake_clock.sleeps) >= wait


async def test_429_on_the_cdx_pauses_captures_too(fake_clock: FakeClock) -> None:
    """The archive blocks an address, not an endpoint: a 429 anywhere holds back every request to it."""
    busy = httpx.Response(429, content=b"Too Many Requests")
    archive = Archive(fake_clock, cdx=[busy, _cdx_answer([])], web=[_memento("20160701140312")])
    settings = _settings()
    async with _client(settings, archive, fake_clock) as client:
        await fetch_cdx_page(client, cdx_query_url(TOPIC), settings=settings, clock=fake_clock)
        await fetch_capture(client, _record("20160701140312", page=0), settings=settings, clock=fake_clock)
    (first_cdx, _), (capture_time,) = archive.times("cdx"), archive.times("web")
    assert capture_time - first_cdx >= DEFAULT_RATE_LIMIT_WAIT


async def test_budgets_are_shared_by_every_worker(fake_clock: FakeClock) -> None:
    """Concurrent listings stay under 24 CDX requests a minute, captures under 8 a second, together."""
    archive = Archive(fake_clock, cdx=[_cdx_answer([])], web=[_memento("20160701140312")])
    settings = _settings(concurrency=4)
    async with _client(settings, archive, fake_clock) as client:

        async def listing() -> None:
            await fetch_cdx_page(client, cdx_query_url(TOPIC), settings=settings, clock=fake_clock)

        async def capture() -> None:
            await fetch_capture(
                client, _record("20160701140312", page=0), settings=settings, clock=fake_clock
            )

        await asyncio.gather(*(listing() for _ in range(6)), *(capture() for _ in range(12)))
    cdx, web = archive.times("cdx"), archive.times("web")
    assert len(cdx) == 6
    assert len(web) == 12
    assert all(b - a >= 60 / 24 for a, b in itertools.pairwise(cdx))
    assert all(b - a >= 1 / 8 for a, b in itertools.pairwise(web))


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (httpx.Response(403, content=b"AdministrativeAccessControlException: Blocked Site Error"), "owner"),
        (
            httpx.Response(
                403,
                headers={"X-Archive-Wayback-Runtime-Error": "RobotAccessControlException: Blocked By Robots"},
                content=b"<p>Sorry.</p>",
            ),
            "robots.txt",
        ),
    ],
)
async def test_excluded_url_is_blocked_with_the_reason(
    fake_clock: FakeClock, answer: httpx.Response, reason: str
) -> None:
    """An exclusion message in an error answer raises Blocked naming which exclusion, without retries."""
    archive = Archive(fake_clock, cdx=[answer], web=[answer])
    settings = _settings()
    async with _client(settings, archive, fake_clock) as client:
        with pytest.raises(Blocked, match=reason):
            await fetch_cdx_page(client, cdx_query_url(TOPIC), settings=settings, clock=fake_clock)
        with pytest.raises(Blocked, match=reason):
            await fetch_capture(
                client, _record("20160701140312", page=0), settings=settings, clock=fake_clock
            )
    assert len(archive.log) == 2


async def test_capture_is_identified_by_memento_datetime(fake_clock: FakeClock) -> None:
    """The capture's time is its Memento-Datetime; its original URL comes from the Link header."""
    link = f'<http://www.dhs.gov/keywords/secure-communities>; rel="original", <{ARCHIVE}x>; rel="timemap"'
    archive = Archive(fake_clock, cdx=[_cdx_answer([])], web=[_memento("20110315101500", Link=link)])
    settings = _settings()
    async with _client(settings, archive, fake_clock) as client:
        capture = await fetch_capture(
            client, _record("20110315101500", page=0), settings=settings, clock=fake_clock
        )
    assert capture.archived_at == datetime(2011, 3, 15, 10, 15, tzinfo=UTC)
    assert capture.original == "http://www.dhs.gov/keywords/secure-communities"
    assert capture.url == capture.requested_url == f"{ARCHIVE}20110315101500id_/{TOPIC}"
    assert capture.content == b"<h1>page</h1>"


async def test_archive_redirect_to_a_nearby_capture_is_followed(fake_clock: FakeClock) -> None:
    """A redirect to another capture within a day is followed; that capture's time and URL are kept."""
    target = f"{ARCHIVE}20130612093000id_/{TOPIC}"
    archive = Archive(
        fake_clock,
        cdx=[_cdx_answer([])],
        web=[httpx.Response(302, headers={"Location": target}), _memento("20130612093000")],
    )
    settings = _settings()
    async with _client(settings, archive, fake_clock) as client:
        capture = await fetch_capture(
            client, f"{ARCHIVE}20130612011500id_/{TOPIC}", settings=settings, clock=fake_clock
        )
    assert capture.url == target
    assert capture.redirects == (f"{ARCHIVE}20130612011500id_/{TOPIC}",)
    assert capture.archived_at == datetime(2013, 6, 12, 9, 30, tzinfo=UTC)


async def test_archive_redirect_far_away_is_not_this_capture(fake_clock: FakeClock) -> None:
    """A redirect to a capture months away is a different version: NotArchived, with the gap."""
    target = f"{ARCHIVE}20140101000000id_/{TOPIC}"
    archive = Archive(
        fake_clock,
        cdx=[_cdx_answer([])],
        web=[httpx.Response(302, headers={"Location": target}), _memento("20140101000000")],
    )
    settings = _settings()
    async with _client(settings, archive, fake_clock) as client:
        with pytest.raises(NotArchived, match="redirected to a capture 202 days"):
            await fetch_capture(
                client, f"{ARCHIVE}20130612011500id_/{TOPIC}", settings=settings, clock=fake_clock
            )


@pytest.mark.parametrize(
    ("answer", "detail"),
    [
        (_memento("20140820000000", "<h1>Service Unavailable</h1>", status=500), "HTTP 500 error page"),
        (httpx.Response(200, headers={"Content-Type": HTML}, content=b"<h1>hi</h1>"), "no Memento-Datetime"),
        (
            httpx.Response(
                404,
                headers={"X-Archive-Wayback-Runtime-Error": "ResourceNotInArchiveException: x was not found"},
            ),
            "ResourceNotInArchiveException",
        ),
    ],
)
async def test_unusable_capture_is_not_archived_and_not_retried(
    fake_clock: FakeClock, answer: httpx.Response, detail: str
) -> None:
    """A captured error page, a non-capture or a missing capture: NotArchived at once, one request."""
    archive = Archive(fake_clock, cdx=[_cdx_answer([])], web=[answer])
    settings = _settings(max_attempts=4)
    async with _client(settings, archive, fake_clock) as client:
        with pytest.raises(NotArchived, match=detail):
            await fetch_capture(
                client, _record("20140820000000", page=0), settings=settings, clock=fake_clock
            )
    assert len(archive.log) == 1


async def test_the_archive_own_errors_are_retried(fake_clock: FakeClock) -> None:
    """A 503 from the archive itself (no Memento-Datetime) is transient: retried, then read."""
    archive = Archive(
        fake_clock,
        cdx=[_cdx_answer([])],
        web=[httpx.Response(503, content=b"busy"), _memento("20160701140312")],
    )
    settings = _settings()
    async with _client(settings, archive, fake_clock) as client:
        capture = await fetch_capture(
            client, _record("20160701140312", page=0), settings=settings, clock=fake_clock
        )
    assert capture.archived_at.year == 2016
    assert len(archive.log) == 2
