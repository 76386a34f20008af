"""The Wayback Machine as a crawl source: every teaser a topic page ever listed, and when it was seen.

``topicscrape wayback URL`` lists the page's captures with the CDX API, reads each one as the site
served it (``id_`` mode), follows the archived page's own pager, and merges the teasers across
captures by record id, each with ``first_seen``/``last_seen``.

Pure part (no I/O, property-tested):

- :class:`CdxRecord` keeps the CDX API's field names (``urlkey``, ``timestamp``, ``original``,
  ``mimetype``, ``statuscode``, ``digest``, ``length``); :func:`parse_cdx_json` and
  :func:`cdx_json_rows` read and write the JSON output, :func:`parse_cdx_ndjson` pywb's
  newline-delimited JSON, :meth:`CdxRecord.from_line` and :meth:`CdxRecord.to_line` the classic
  space-separated lines.
- :func:`format_memento_url` / :func:`parse_memento_url`, :func:`archive_prefix` (``…/web/``, or a
  pywb collection's ``…/<coll>/``), :func:`format_timestamp` / :func:`parse_timestamp`,
  :func:`cdx_date` and :func:`cdx_range` (the user's ``--from 2011-03``).
- :func:`blocked_reason`, :func:`nearest_capture`,
  :func:`merge_records`, :func:`summarize`.

I/O part:

- The transport stack is ``ArchiveTransport(PacedTransport(AsyncHTTPTransport()))``.
  :class:`~scraper.politeness.PacedTransport` spends one :class:`~scraper.politeness.HostLimiter`
  shared by every worker: CDX requests at ``cdx_per_minute`` (24), captures at
  ``captures_per_second`` (8). A 429 pauses the archive for its ``Retry-After``, or
  :data:`DEFAULT_RATE_LIMIT_WAIT` when it gives none, and no request goes out sooner.
  :class:`ArchiveTransport` turns the archive's answers into :mod:`scraper.errors`: an excluded URL
  is :class:`~scraper.errors.Blocked`, a capture of an error page is
  :class:`~scraper.errors.NotArchived`. robots.txt is not fetched: the archive is an API with a
  published budget, and it applies the sites' exclusions itself.
- :func:`iter_cdx` (``resumeKey`` paging), :func:`fetch_capture`, and :func:`run_wayback`, which the
  CLI calls. A teaser that fails record validation goes to the rejects file with the reason and its
  capture, never dropped silently (``run_wayback(rejects=...)``).
- Replaying a fixture folder, a CDX query it does not hold is answered from a recorded one of the same
  page over a wider range (or none), its rows cut to the range asked (:class:`RecordedCdx`); without
  one, :class:`CdxNotRecorded` names the ranges the folder holds (or, for a folder recorded with
  another ``--cdx-url``, the CDX endpoints and capture prefix it holds). The range is always sent in
  its shortest spelling (:func:`cdx_range`), so ``--from 2011-01-01`` asks what ``--from 2011`` asked.
- A CDX answer cut off half-way is asked for again (``max_attempts``); one that is no CDX listing at
  all (an HTML maintenance page, not JSON) is asked for :data:`NOT_CDX_ATTEMPTS` times, and the error
  says what came instead.

How a run survives a kill
-------------------------
The crawl state (:class:`~scraper.frontier.CrawlState`) holds the frontier: every CDX page and every
listed capture of page 0 (a *snapshot*), with its status. Each capture read (any page) is stored with
its records in the same SQLite file by :class:`CaptureStore`, committed before the snapshot is marked
done, so ``--resume`` never fetches a capture twice; the CDX digest of every capture listed is kept
too, so a capture identical to one read is never fetched at all (workers reading identical captures
at once share one read; if it fails, each reads its own). The run's identity (URL, range,
archive) is stored with it, and a ``--resume`` of another run's state is refused. The output is
written once, at the end, from the store: merged records depend on every capture, so a partial file
would hold stale ``last_seen`` values that an append-only sink could never correct. Open file sinks
with ``resume=False``, and only when there is something to write (``run_wayback(open_sinks=...)``).

Example:
    >>> record = CdxRecord.from_line(
    ...     "gov,dhs)/keywords/secure-communities 20160701140312 https://www.dhs.gov/keywords/"
    ...     "secure-communities text/html 200 Q7XJUCSMZHDEYPOLMWRTHNW2HVSEVNLC 9241"
    ... )
    >>> record.raw_url
    'https://web.archive.org/web/20160701140312id_/https://www.dhs.gov/keywords/secure-communities'
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import email.utils
import html
import json
import logging
import re
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, NamedTuple, TypeVar

import httpx
from pydantic import ValidationError

from parsers import NoTeasersFound, ParseError, Record, TopicPage, parse_topic_page
from scraper.client import FetchStats, build_client, build_transport, fetch
from scraper.errors import (
    Blocked,
    FetchError,
    FixtureMissing,
    NotArchived,
    StateMismatch,
    validation_problems,
)
from scraper.fixtures import FixtureFolder, RecordingTransport, ReplayTransport, ResponseSource
from scraper.frontier import CrawlState, canonicalize
from scraper.politeness import SYSTEM_CLOCK, Clock, HostLimiter, PacedTransport, host_key
from scraper.settings import Settings
from scraper.sinks import RejectsSink, Sink
from scraper.warc import WarcRecordingTransport, is_warc_path

__all__ = [
    "CDX_FIELDS",
    "CDX_FILTERS",
    "DEFAULT_ARCHIVE_URL",
    "DEFAULT_CDX_URL",
    "DEFAULT_RATE_LIMIT_WAIT",
    "MODE_ORIGINAL",
    "MODE_VIEW",
    "NDJSON_FIELDS",
    "NOT_CDX_ATTEMPTS",
    "PAGER_WINDOW",
    "RECORDS_CACHE_SIZE",
    "REDIRECT_WINDOW",
    "REVISIT_MIMETYPE",
    "ArchiveTransport",
    "Capture",
    "CaptureResult",
    "CaptureStore",
    "CdxNotRecorded",
    "CdxPage",
    "CdxRecord",
    "MementoUrl",
    "RecordedCdx",
    "Snapshot",
    "SnapshotChange",
    "WaybackEvent",
    "WaybackStats",
    "archive_limiter",
    "archive_prefix",
    "blocked_reason",
    "build_archive_transport",
    "cdx_date",
    "cdx_json_rows",
    "cdx_query_url",
    "cdx_range",
    "covering_cdx_query",
    "cut_to_range",
    "decode_cdx",
    "fetch_capture",
    "fetch_cdx_page",
    "format_memento_url",
    "format_timestamp",
    "is_revisit",
    "iter_cdx",
    "merge_records",
    "nearest_capture",
    "parse_cdx_json",
    "parse_cdx_ndjson",
    "parse_memento_datetime",
    "parse_memento_url",
    "parse_timestamp",
    "run_wayback",
    "summarize",
]

logger = logging.getLogger(__name__)

DEFAULT_CDX_URL = "https://web.archive.org/cdx/search/cdx"
DEFAULT_ARCHIVE_URL = "https://web.archive.org/web/"

CDX_FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")
"""The CDX API's default fields, in its order and with its names."""

REVISIT_MIMETYPE = "warc/revisit"
"""The ``mimetype`` the CDX gives a revisit record (with ``statuscode`` ``-``): a capture whose bytes were
the same as an earlier one's (the ``digest`` it repeats), stored by reference. The Internet Archive
keeps most repeated identical captures so."""

CDX_FILTERS = ("statuscode:200|-", "mimetype:text/html|warc/revisit")
"""The ``filter`` parameters of a listing: 200s of ``text/html``, and revisit records.

The Wayback CDX server matches each ``[!]field:regex`` against the whole field (a Java regex,
``Pattern.matches``; wayback-cdx-server README, "Filtering"; EDGI's ``search()``: "Regexes are matched
against the *entire* field value"), so ``200|-`` is "200" or "-". A revisit carries neither the
status nor the media type of what it repeats: whether it is a page is known from the capture it
repeats (the same digest), see :func:`is_revisit`. ``resolveRevisits=true`` is not sent: on the
Wayback CDX server it adds the original's storage fields (``orig.filename``...; its
``RevisitResolver``), which the public output does not show, and EDGI's client, which sends it,
still meets revisits as ``warc/revisit`` and ``-``."""

MODE_ORIGINAL = "id_"
"""Playback mode for the bytes as captured: no toolbar, no rewritten links."""
MODE_VIEW = ""
"""Playback mode for people: links rewritten into the archive, a toolbar on top."""

DEFAULT_RATE_LIMIT_WAIT = 60.0
"""Seconds to wait after a 429 without ``Retry-After``. EDGI's wayback uses 60 s; Internet Archive staff
say a client that ignores 429s for over a minute is firewalled for an hour, doubling on repeat
(edgi-govdata-archiving/wayback#137). As of 2023-11-27 the Archive sent no ``Retry-After`` at all
(EDGI's ``_client.py``)."""

REDIRECT_WINDOW = timedelta(hours=24)
"""Farthest the archive may redirect a capture request to another capture of the page, as EDGI's
``get_memento(target_window=86400)``; a farther one is a different version, not the one listed."""

PAGER_WINDOW = timedelta(days=30)
"""Farthest a pager page's capture may be from the capture of page 0 it is read with.

A snapshot counts page N's teasers as what the list held when page 0 was captured: ``--summary``
compares snapshots, so a page read with one must not make teasers appear or disappear there. The
archive may capture page N days or weeks after page 0 (hence not :data:`REDIRECT_WINDOW`, which is
about one capture); a list that gains a few teasers a month is then shifted by a few places. A
capture years away (``?page=1`` captured only in 2019 for a 2012 page 0) is another list altogether.
A month is a judgment call, not a measurement: revisit it with the CDX of real topic pages. A farther
page is skipped with a note ("no capture near this one"), as a capture the archive redirects beyond
:data:`REDIRECT_WINDOW` is, and the snapshot is marked incomplete; each record keeps its own
capture's ``archived_at`` either way, so ``first_seen``/``last_seen`` are true sightings."""

MAX_ARCHIVED_PAGES = 100
"""Most pager pages followed from one capture of page 0: a guard against pagers that never end."""

ERROR_BODY_LIMIT = 256 * 1024
"""Error answers from the archive are read this far to look for the exclusion messages."""

CDX_CONTENT_TYPES = frozenset({"application/json", "text/json", "application/x-ndjson", "text/x-ndjson"})
"""Media types a CDX server may label its JSON with (pywb and Common Crawl send ``text/x-ndjson``); the
page fetcher expects text, see ArchiveTransport."""

NOT_CDX_ATTEMPTS = 2
"""Tries of a CDX request answered with no CDX listing at all (an HTML page, or not JSON), within
``max_attempts``: the Wayback Machine's "temporarily offline" page (HTTP 200, ``text/html``) may be
gone a moment later, so it is asked for once more, but not as often as a cut-off answer (the CDX
server's timeouts, which the next try usually mends): an endpoint that is down or not a CDX server
answers the same again, and ``--resume`` tries later."""

_NOT_CDX_SNIPPET = 100
"""Characters of an HTML answer's title (or text) quoted in the error, to tell which page it was."""

NDJSON_FIELDS: dict[str, tuple[str, ...]] = {
    "urlkey": ("urlkey",),
    "timestamp": ("timestamp",),
    "original": ("original", "url"),
    "mimetype": ("mimetype", "mime"),
    "statuscode": ("statuscode", "status"),
    "digest": ("digest",),
    "length": ("length",),
}
"""Where each CDX field is found in a line of newline-delimited JSON CDX (one object per capture):
pywb's ``output=json`` names them ``url``, ``mime`` and ``status`` (its CDXJ Server API, the ``fl``
parameter; ``CDXObject.CDX_ALT_FIELDS`` maps the Wayback names onto these), the Wayback CDX server's
names are read too. ``mime`` and ``status`` are missing from a minimal pywb index: read as ``-``."""

_TIMESTAMP_RE = re.compile(r"^\d{4}(?:\d{2}){0,5}$", re.ASCII)
_TIMESTAMP_PAD = "0101000000"  # January 1st, 00:00:00: what a shortened timestamp means
_MODE_RE = re.compile(r"^[a-z]{2}_$")
_MEMENTO_RE = re.compile(
    r"^(?P<archive>(?:https?://[^/?#]+)?(?:/[^?#]*?)?/web/)(?P<timestamp>\d{1,14})(?P<mode>[a-z]{2}_)?/(?P<url>.+)$",
    re.IGNORECASE | re.ASCII,
)
_MEMENTO_REST_RE = re.compile(
    r"^(?P<timestamp>\d{1,14})(?P<mode>[a-z]{2}_)?/(?P<url>.+)$", re.IGNORECASE | re.ASCII
)
_LINK_ORIGINAL_RE = re.compile(r'<([^>]+)>\s*;\s*rel="?(?:[^",]*\s)?original(?:\s[^",]*)?"?', re.IGNORECASE)

_BLOCKED_SIGNS = (
    (
        "AdministrativeAccessControlException",
        "the Wayback Machine excludes this site at its owner's request "
        "(AdministrativeAccessControlException)",
    ),
    (
        "URL has been excluded",
        "the Wayback Machine excludes this URL from access (URL has been excluded)",
    ),
    (
        "RobotAccessControlException",
        "the Wayback Machine hides this URL because the site's robots.txt disallows it "
        "(RobotAccessControlException)",
    ),
)
"""Markers of an exclusion, in an error body or the ``X-Archive-Wayback-Runtime-Error`` header
(EDGI's ``_client.py``: ``BlockedSiteError``, ``BlockedByRobotsError``)."""

_MIN_TIME = datetime.min.replace(tzinfo=UTC)
_MAX_TIME = datetime.max.replace(tzinfo=UTC)


# -- timestamps ------------------------------------------------------------------------------------


def format_timestamp(when: datetime) -> str:
    """A Wayback timestamp (``YYYYMMDDhhmmss``, UTC) for ``when``; a naive time is taken as UTC.

    >>> format_timestamp(datetime(2016, 7, 1, 14, 3, 12, tzinfo=UTC))
    '20160701140312'
    """
    aware = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def parse_timestamp(timestamp: str) -> datetime:
    """The UTC time a Wayback timestamp names; a shortened one (``2016``, ``201607``) means its start.

    >>> parse_timestamp("20160701140312")
    datetime.datetime(2016, 7, 1, 14, 3, 12, tzinfo=datetime.timezone.utc)
    >>> parse_timestamp("2016")
    datetime.datetime(2016, 1, 1, 0, 0, tzinfo=datetime.timezone.utc)

    Raises:
        ValueError: not 4 to 14 digits in whole fields, or not a real date (``20000231``).
    """
    if not _TIMESTAMP_RE.match(timestamp):
        raise ValueError(f"not a Wayback timestamp (YYYY[MM[DD[hh[mm[ss]]]]]): {timestamp!r}")
    padded = timestamp + _TIMESTAMP_PAD[len(timestamp) - 4 :]
    return datetime.strptime(padded, "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def cdx_date(value: str) -> str:
    """The CDX ``from``/``to`` form of a date a person typed: separators dropped, digits kept.

    The CDX server reads a prefix: ``from=2011`` starts at 2011-01-01, ``to=2017`` runs to the end of
    2017.

    >>> cdx_date("2011-03-15"), cdx_date("2017"), cdx_date("2016-07-01T14:03:12Z")
    ('20110315', '2017', '20160701140312')

    Raises:
        ValueError: not a date the CDX API can take.
    """
    text = value.strip().removesuffix("Z")
    digits = "".join(ch for ch in text if ch not in "-:T /")
    try:
        parse_timestamp(digits)
    except ValueError:
        raise ValueError(
            f"not a date: {value!r} (use 2011, 2011-03, 2011-03-15 or a Wayback timestamp)"
        ) from None
    return digits


def cdx_range(from_date: str | None, to_date: str | None) -> tuple[str | None, str | None]:
    """The CDX ``from`` and ``to`` of the dates a person typed (see :func:`cdx_date`), either may be None.

    ``to`` is inclusive to the end of the period it names, as the CDX server reads it: ``2017`` to
    ``2017`` is the whole of 2017.

    >>> cdx_range("2011", "2017-06")
    ('2011', '201706')

    Raises:
        ValueError: a date is not readable, or ``from`` is after ``to`` (no capture could be listed).
    """
    low = _shortest_start(cdx_date(from_date)) if from_date else None
    high = _shortest_end(cdx_date(to_date)) if to_date else None
    if low is not None and high is not None and low.ljust(14, "0") > high.ljust(14, "9"):
        raise ValueError(
            f"the range starts ({from_date}) after it ends ({to_date}): no capture can be in it "
            f"(the end is inclusive: {to_date} runs to the end of that period)"
        )
    return low, high


def _shortest_start(timestamp: str) -> str:
    """The shortest timestamp whose period starts when ``timestamp``'s does: one range, one spelling.

    ``--from 2011-01-01`` and ``--from 2011`` then send the same CDX query (``from=2011``): a
    ``--resume`` asks for what the run it continues asked for, and a replay finds it.

    >>> _shortest_start("20110101000000"), _shortest_start("20110315"), _shortest_start("201101")
    ('2011', '20110315', '2011')
    """
    start = parse_timestamp(timestamp)
    for size in (4, 6, 8, 10, 12):
        if size < len(timestamp) and parse_timestamp(timestamp[:size]) == start:
            return timestamp[:size]
    return timestamp


def _shortest_end(timestamp: str) -> str:
    """The shortest timestamp whose period ends when ``timestamp``'s does (the CDX ``to`` is inclusive).

    >>> [_shortest_end(t) for t in ("20171231", "20171231235959", "20160229", "201706")]
    ['2017', '2017', '201602', '201706']
    """
    end = _period_end(timestamp)
    for size in (4, 6, 8, 10, 12):
        if size < len(timestamp) and _period_end(timestamp[:size]) == end:
            return timestamp[:size]
    return timestamp


def parse_memento_datetime(value: str | None) -> datetime | None:
    """The capture time a ``Memento-Datetime`` header gives (RFC 7089: an HTTP-date), or None.

    >>> parse_memento_datetime("Fri, 01 Jul 2016 14:03:12 GMT")
    datetime.datetime(2016, 7, 1, 14, 3, 12, tzinfo=datetime.timezone.utc)
    """
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError):
        return None
    return (when if when.tzinfo is not None else when.replace(tzinfo=UTC)).astimezone(UTC)


# -- CDX records -----------------------------------------------------------------------------------


class CdxRecord(NamedTuple):
    """One line of the CDX index: one capture (or revisit) of one URL, fields as the API names them.

    Values are kept as the server wrote them (strings), so a record writes back to the same line;
    :attr:`captured_at` and :attr:`status` give them typed.

    Attributes:
        urlkey: the URL in SURT form (``gov,dhs)/keywords/secure-communities``): what the index is
            sorted and matched by, so http/https and ``www.`` variants share it.
        timestamp: capture time, ``YYYYMMDDhhmmss`` UTC.
        original: the URL as it was captured (scheme, ``:80`` and all).
        mimetype: the captured Content-Type's media type; ``warc/revisit`` for a revisit record.
        statuscode: the captured HTTP status; ``-`` for a revisit record.
        digest: base-32 SHA-1 of the captured body: equal digests mean identical captures.
        length: size of the compressed archive record, in bytes.
    """

    urlkey: str
    timestamp: str
    original: str
    mimetype: str
    statuscode: str
    digest: str
    length: str

    @classmethod
    def from_line(cls, line: str) -> CdxRecord:
        """Read one line of the CDX text output (space-separated, the seven default fields).

        Raises:
            ValueError: not seven fields, or not a valid timestamp.
        """
        fields = line.split()
        if len(fields) != len(CDX_FIELDS):
            raise ValueError(f"a CDX line has {len(CDX_FIELDS)} fields, not {len(fields)}: {line!r}")
        return _checked(cls(*fields))

    def to_line(self) -> str:
        """The record as a line of the CDX text output."""
        return " ".join(self)

    @property
    def captured_at(self) -> datetime:
        """When the capture was made (UTC)."""
        return parse_timestamp(self.timestamp)

    @property
    def status(self) -> int | None:
        """The captured HTTP status, or None for a revisit record (``-``)."""
        return int(self.statuscode) if self.statuscode.isdigit() else None

    @property
    def raw_url(self) -> str:
        """The capture as served, on the Wayback Machine (``id_`` mode)."""
        return self.memento_url()

    @property
    def view_url(self) -> str:
        """The capture for a browser, on the Wayback Machine (links rewritten, toolbar on top)."""
        return self.memento_url(mode=MODE_VIEW)

    def memento_url(self, archive_url: str = DEFAULT_ARCHIVE_URL, mode: str = MODE_ORIGINAL) -> str:
        """The capture's URL on ``archive_url`` in playback ``mode``."""
        return format_memento_url(self.original, self.timestamp, mode=mode, archive_url=archive_url)


def _checked(record: CdxRecord) -> CdxRecord:
    """``record`` if its fields can be used; ValueError otherwise."""
    parse_timestamp(record.timestamp)
    if not all(record) or any(any(ch.isspace() for ch in value) for value in record):
        raise ValueError(f"a CDX field is empty or holds whitespace: {record!r}")
    return record


@dataclass(frozen=True)
class CdxPage:
    """One answer of the CDX API.

    Attributes:
        records: the captures, in index order, consecutive repeats dropped.
        resume_key: where the next page starts (``showResumeKey=true``), None on the last page.
        malformed: rows that could not be read and were skipped.
        resumable: the answer is in a form that carries a resume key when there is more (the Wayback
            CDX server's JSON rows); False for pywb's newline-delimited JSON, which pages by
            ``page=`` and never sends one.
    """

    records: tuple[CdxRecord, ...]
    resume_key: str | None = None
    malformed: int = 0
    resumable: bool = True


def parse_cdx_json(rows: object) -> CdxPage:
    """Read the CDX API's JSON output (``output=json``): a header row of field names, then one row per
    capture; with ``showResumeKey=true``, an empty row and a row holding the resume key end it.

    Rows that cannot be read (wrong length, a bad timestamp) are counted in ``malformed`` and
    skipped, as EDGI's ``skip_malformed_results`` does; a row repeating the one before is dropped.

    >>> page = parse_cdx_json([list(CDX_FIELDS), ["a)/", "2016", "http://a/", "text/html", "200",
    ...     "D", "9"], [], ["a%29%2F+2016"]])
    >>> page.records[0].timestamp, page.resume_key
    ('2016', 'a%29%2F+2016')

    Raises:
        ValueError: not a list of rows, or the header does not name the CDX fields.
    """
    if not isinstance(rows, list):
        raise ValueError(f"a CDX JSON answer is a list of rows, not {type(rows).__name__}")
    if not rows:
        return CdxPage(())
    header = rows[0]
    if not isinstance(header, list) or not set(CDX_FIELDS) <= {
        name for name in header if isinstance(name, str)
    }:
        raise ValueError(f"the first CDX row should name the fields {list(CDX_FIELDS)}, not {header!r}")
    where = [header.index(name) for name in CDX_FIELDS]
    records: list[CdxRecord] = []
    malformed = 0
    previous: object = None
    body = rows[1:]
    for index, row in enumerate(body):
        if row == []:
            rest = body[index + 1 :]
            key = rest[0] if len(rest) == 1 else None
            if not (isinstance(key, list) and len(key) == 1 and isinstance(key[0], str) and key[0]):
                raise ValueError("an empty CDX row must be followed by the resume key, alone")
            return CdxPage(tuple(records), key[0], malformed)
        if row == previous:
            continue
        previous = row
        if not isinstance(row, list) or len(row) != len(header) or not all(isinstance(c, str) for c in row):
            malformed += 1
            continue
        try:
            records.append(_checked(CdxRecord(*(row[i] for i in where))))
        except ValueError:
            malformed += 1
    return CdxPage(tuple(records), None, malformed)


def cdx_json_rows(records: Iterable[CdxRecord], resume_key: str | None = None) -> list[list[str]]:
    """The CDX JSON output for ``records``: the inverse of :func:`parse_cdx_json`.

    >>> cdx_json_rows([], "k")
    [['urlkey', 'timestamp', 'original', 'mimetype', 'statuscode', 'digest', 'length'], [], ['k']]
    """
    rows: list[list[str]] = [list(CDX_FIELDS), *(list(record) for record in records)]
    if resume_key is not None:
        rows += [[], [resume_key]]
    return rows


def parse_cdx_ndjson(text: str) -> CdxPage:
    """Read newline-delimited JSON CDX (pywb's ``output=json``): one object per capture and line,
    fields named as in :data:`NDJSON_FIELDS`; other fields (``offset``, ``filename``...) are ignored.

    Lines that cannot be read (not an object, a field missing or not a string) are counted in
    ``malformed`` and skipped; a line repeating the one before is dropped. pywb pages with ``page=``,
    not ``resumeKey``: the page has no resume key.

    >>> page = parse_cdx_ndjson('{"urlkey": "a)/", "timestamp": "2016", "url": "http://a/", '
    ...     '"mime": "text/html", "status": "200", "digest": "D", "length": "9", "offset": "0"}\\n')
    >>> page.records[0].original, page.records[0].statuscode
    ('http://a/', '200')

    Raises:
        ValueError: the last line is not complete JSON (a cut-off answer), or no line is a capture.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    records: list[CdxRecord] = []
    malformed = 0
    previous: object = None
    for number, line in enumerate(lines, start=1):
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            if number == len(lines):
                raise ValueError(f"the last CDX line is not complete JSON (cut off?): {exc}") from exc
            malformed += 1
            continue
        if item == previous:
            continue
        previous = item
        try:
            records.append(_checked(CdxRecord(*(_ndjson_field(item, name) for name in CDX_FIELDS))))
        except ValueError:
            malformed += 1
    if malformed and not records:
        raise ValueError(f"no CDX record in {malformed} line(s) of JSON; the first: {lines[0][:200]!r}")
    return CdxPage(tuple(records), None, malformed, resumable=False)


def _ndjson_field(item: object, name: str) -> str:
    """Field ``name`` of one NDJSON CDX object, as a string (ValueError when it cannot be had)."""
    if not isinstance(item, dict):
        raise ValueError(f"a CDX line is an object, not {type(item).__name__}")
    for key in NDJSON_FIELDS[name]:
        value = item.get(key)
        if isinstance(value, str):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
    if name in ("mimetype", "statuscode"):
        return "-"
    raise ValueError(f"a CDX line has no {name!r}: {item!r}")


class _NotCdx(ValueError):
    """A CDX answer that is no CDX listing at all: an HTML page, or not JSON (see :func:`decode_cdx`).

    Attributes:
        what: what it was instead ("an HTML page ('Service offline')"), for a message.
    """

    def __init__(self, what: str, size: int) -> None:
        super().__init__(f"the CDX answer is not a CDX listing but {what} ({size} bytes)")
        self.what = what


def _html_words(text: str) -> str:
    """An HTML page's title, else its text (tags, scripts and styles dropped), cut short: to quote."""
    title = re.search(r"<title[^>]*>(.*?)</title", text, re.IGNORECASE | re.DOTALL)
    words = title[1] if title is not None and title[1].strip() else ""
    if not words:
        words = re.sub(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->|<[^>]*>", " ", text, flags=re.I | re.S)
    words = " ".join(html.unescape(words).split())
    return words if len(words) <= _NOT_CDX_SNIPPET else words[: _NOT_CDX_SNIPPET - 1] + "…"


def decode_cdx(body: bytes) -> CdxPage:
    """A CDX answer's bytes, read: the Wayback CDX server's JSON rows (``output=json``), or pywb's
    newline-delimited JSON objects; an empty body is an empty page (no captures).

    What is wrong with an answer that cannot be read is told apart: JSON that starts as a CDX answer
    does and stops early was cut off (the server's timeout: asking again usually mends it); an HTML
    page (the archive's "temporarily offline" page, or a URL that is no CDX endpoint) or anything
    else that is not JSON is no CDX answer at all.

    >>> try:
    ...     decode_cdx(b"<html><title>Service offline</title>...")
    ... except ValueError as exc:
    ...     print(exc)
    the CDX answer is not a CDX listing but an HTML page ('Service offline') (39 bytes)

    Raises:
        ValueError: not UTF-8, not complete JSON (a cut-off answer), or not CDX rows; an HTML page or
            not JSON at all (a ``ValueError`` too, whose ``what`` says which).
    """
    start = body.removeprefix(codecs.BOM_UTF8).lstrip()[:1]
    if not start:
        return CdxPage(())
    if start not in (b"[", b"{"):
        text = body.decode("utf-8", errors="replace")
        if start == b"<":
            words = _html_words(text)
            raise _NotCdx(f"an HTML page ({words!r})" if words else "an HTML page", len(body))
        raise _NotCdx(f"something that is not JSON (it starts {text.lstrip()[:40]!r})", len(body))
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"the CDX answer is not UTF-8: {exc}") from exc
    if text.lstrip().startswith("{"):
        return parse_cdx_ndjson(text)
    try:
        rows = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the CDX answer is not complete JSON ({len(body)} bytes; cut off?): {exc}") from exc
    return parse_cdx_json(rows)


def is_revisit(record: CdxRecord) -> bool:
    """Whether ``record`` is a revisit record: a capture identical to an earlier one, listed by the
    CDX with ``warc/revisit`` (or a resolved media type) and status ``-``.

    >>> is_revisit(CdxRecord("k", "2016", "http://a/", "warc/revisit", "-", "D", "1"))
    True
    """
    if record.mimetype == REVISIT_MIMETYPE:
        return True
    return record.statuscode == "-" and record.mimetype == "text/html"


def _listable(record: CdxRecord) -> bool:
    """A capture a run reads or counts: a 200 of ``text/html``, or a revisit record (whose original
    decides; see :meth:`_Run._capture`)."""
    return (record.status == 200 and record.mimetype == "text/html") or is_revisit(record)


def nearest_capture(captures: Iterable[CdxRecord], when: datetime) -> CdxRecord | None:
    """The capture closest in time to ``when`` (the earlier one on a tie), or None if there is none.

    >>> rows = [CdxRecord("k", ts, "http://a/", "text/html", "200", "D", "1") for ts in
    ...         ("20160601000000", "20160702000000")]
    >>> nearest_capture(rows, datetime(2016, 7, 1, tzinfo=UTC)).timestamp
    '20160702000000'
    """
    best: tuple[float, str, CdxRecord] | None = None
    for record in captures:
        gap = abs((record.captured_at - when).total_seconds())
        if best is None or (gap, record.timestamp) < best[:2]:
            best = (gap, record.timestamp, record)
    return None if best is None else best[2]


# -- memento URLs ----------------------------------------------------------------------------------


class MementoUrl(NamedTuple):
    """A capture's address in an archive, taken apart.

    Attributes:
        url: the original URL of the captured page.
        timestamp: the capture's Wayback timestamp (1 to 14 digits as written).
        mode: the playback mode: ``id_`` (as captured), ``""`` (view), ``im_``, ``js_``...
        archive_url: the archive's prefix, up to the timestamp: ``…/web/`` on the Wayback Machine,
            the collection's ``…/<coll>/`` on pywb (``/wayback/``, ``/all/``...).
    """

    url: str
    timestamp: str
    mode: str
    archive_url: str


def _archive_prefix(archive_url: str) -> str:
    return archive_url if archive_url.endswith("/") else archive_url + "/"


def archive_prefix(archive_url: str) -> str:
    """The prefix captures are read under (``<prefix><timestamp>id_/<url>``), checked, ``/`` ended.

    Any path works: ``…/web/`` on the Wayback Machine, a pywb collection's ``…/wayback/``,
    ``…/all/`` or ``…/<coll>/``.

    >>> archive_prefix("http://127.0.0.1:8080/my-coll")
    'http://127.0.0.1:8080/my-coll/'

    Raises:
        ValueError: not an http(s) URL with a host, or it holds a query or a fragment (nothing could
            follow it to make a capture URL).
    """
    parts = httpx.URL(archive_url) if archive_url.startswith(("http://", "https://")) else None
    if parts is None or not parts.host:
        raise ValueError(f"not an archive URL (http(s)://host/prefix/): {archive_url!r}")
    if parts.query or parts.fragment or "?" in archive_url or "#" in archive_url:
        raise ValueError(
            f"an archive URL is the prefix captures are read under (…/web/, …/<collection>/), "
            f"without ?query or #fragment: {archive_url!r}"
        )
    return _archive_prefix(archive_url)


def _capture_url_parts(url: str, archive_url: str) -> MementoUrl:
    """``url`` taken apart as a capture under ``archive_url``, else in any ``…/web/`` form.

    Raises:
        ValueError: neither.
    """
    try:
        return parse_memento_url(url, archive_url=archive_url)
    except ValueError:
        pass
    try:
        return parse_memento_url(url)
    except ValueError:
        raise ValueError(
            f"not a capture URL ({_archive_prefix(archive_url)}<timestamp>[mode]/<url>): {url!r}"
        ) from None


def format_memento_url(
    url: str, timestamp: str | datetime, *, mode: str = MODE_ORIGINAL, archive_url: str = DEFAULT_ARCHIVE_URL
) -> str:
    """The archive URL of ``url`` captured at ``timestamp`` in playback ``mode``.

    >>> format_memento_url("https://www.dhs.gov/a", "20160701140312")
    'https://web.archive.org/web/20160701140312id_/https://www.dhs.gov/a'
    >>> format_memento_url("https://www.dhs.gov/a", "2016", mode="", archive_url="http://127.0.0.1:8000/web")
    'http://127.0.0.1:8000/web/2016/https://www.dhs.gov/a'

    Raises:
        ValueError: the timestamp is not 1 to 14 digits, or the mode not two letters and ``_``.
    """
    stamp = format_timestamp(timestamp) if isinstance(timestamp, datetime) else timestamp
    if not (stamp.isdigit() and stamp.isascii() and 1 <= len(stamp) <= 14):
        raise ValueError(f"not a Wayback timestamp: {stamp!r}")
    if mode and not _MODE_RE.match(mode):
        raise ValueError(f"not a playback mode: {mode!r} (id_, im_, js_... or '' for view)")
    return f"{_archive_prefix(archive_url)}{stamp}{mode}/{url}"


def parse_memento_url(memento_url: str, *, archive_url: str | None = None) -> MementoUrl:
    """Take an archive URL apart: the inverse of :func:`format_memento_url`.

    Without ``archive_url`` any ``…/web/<timestamp><mode>/<url>`` form is read, root-relative
    (``/web/2016…/https://…``, as view-mode pages link) included. An embedded URL whose ``//`` the
    archive collapsed (``https:/www…``) gets it back; one without a scheme gets ``http://``.

    >>> parse_memento_url("https://web.archive.org/web/20160701140312id_/https://www.dhs.gov/a?page=1")
    MementoUrl(url='https://www.dhs.gov/a?page=1', timestamp='20160701140312', mode='id_', \
archive_url='https://web.archive.org/web/')

    Raises:
        ValueError: not an archive URL (or not one under ``archive_url``).
    """
    if archive_url is not None:
        prefix = _archive_prefix(archive_url)
        if not memento_url.startswith(prefix):
            raise ValueError(f"not a capture URL under {prefix}: {memento_url!r}")
        match = _MEMENTO_REST_RE.match(memento_url[len(prefix) :])
    else:
        match = _MEMENTO_RE.match(memento_url)
        prefix = match["archive"] if match is not None else ""
    if match is None:
        raise ValueError(f"not a capture URL (…/web/<timestamp>[mode]/<url>): {memento_url!r}")
    url = match["url"]
    if not url.lower().startswith(("http://", "https://", "http:/", "https:/")):
        url = "http://" + url
    url = re.sub(r"^(https?):/(?!/)", r"\1://", url, flags=re.IGNORECASE)
    return MementoUrl(url, match["timestamp"], (match["mode"] or "").lower(), prefix)


def blocked_reason(body: bytes | str, runtime_error: str | None = None) -> str | None:
    """Why the archive refuses a URL, if ``body`` or its ``X-Archive-Wayback-Runtime-Error`` header
    says it is excluded; None when it does not.

    >>> blocked_reason(b"...RobotAccessControlException: Blocked By Robots...")[:42]
    'the Wayback Machine hides this URL because'
    """
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    for sign, reason in _BLOCKED_SIGNS:
        if sign in (runtime_error or "") or sign in text:
            return reason
    return None


# -- merging and summaries ---------------------------------------------------------------------------


@dataclass
class _Teaser:
    """What :func:`merge_records` keeps of one teaser while it reads: its first and last sighting, its
    latest record (the first one read on a tie), and its latest record that gave a date."""

    first: datetime | None
    last: datetime | None
    latest: Record
    dated: Record | None


def _merge_latest(records: Iterable[Record]) -> list[Record]:
    """:func:`merge_records` without ``all_captures``, in one pass."""
    teasers: dict[str, _Teaser] = {}
    for record in records:
        when = record.archived_at
        teaser = teasers.get(record.id)
        if teaser is None:
            teasers[record.id] = _Teaser(when, when, record, record if record.date is not None else None)
            continue
        if when is not None:
            teaser.first = when if teaser.first is None else min(teaser.first, when)
            teaser.last = when if teaser.last is None else max(teaser.last, when)
        rank = when or _MIN_TIME
        if rank > (teaser.latest.archived_at or _MIN_TIME):
            teaser.latest = record
        if record.date is not None and (
            teaser.dated is None or rank > (teaser.dated.archived_at or _MIN_TIME)
        ):
            teaser.dated = record
    merged: list[Record] = []
    for teaser in teasers.values():
        seen: dict[str, object] = {"first_seen": teaser.first, "last_seen": teaser.last}
        if teaser.latest.date is None and teaser.dated is not None:
            seen = {**seen, "date": teaser.dated.date, "date_raw": teaser.dated.date_raw}
        merged.append(teaser.latest.model_copy(update=seen))
    merged.sort(key=lambda r: (r.first_seen or _MIN_TIME, r.archived_at or _MIN_TIME, r.page, r.position))
    return merged


def merge_records(records: Iterable[Record], *, all_captures: bool = False) -> list[Record]:
    """Merge teasers seen in several captures by ``id``.

    Each teaser gets ``first_seen``/``last_seen``: its earliest and latest ``archived_at`` over every
    capture that listed it. By default one record per teaser comes back, the one from its latest
    capture (so ``archived_at``, ``capture_url``, title and excerpt are the latest seen), ordered by
    ``first_seen``. Its ``date`` (with ``date_raw``) is that of the latest capture that gave one:
    a teaser shown "Yesterday" in one capture and "2 weeks ago" (no day) in the next keeps the day
    the first named. With ``all_captures`` every capture keeps its record (one per teaser per
    capture, a teaser listed twice in one capture counted once), ordered by capture time.

    Records without ``archived_at`` (not from an archive) take part but set no time. By default
    ``records`` is read once, keeping per teaser only what the merge needs: memory grows with the
    teasers, not with the captures that listed them.
    """
    if not all_captures:
        return _merge_latest(records)
    groups: dict[str, list[Record]] = {}
    for record in records:
        groups.setdefault(record.id, []).append(record)
    merged: list[Record] = []
    for group in groups.values():
        times = [r.archived_at for r in group if r.archived_at is not None]
        seen: dict[str, object] = {
            "first_seen": min(times, default=None),
            "last_seen": max(times, default=None),
        }
        per_capture: dict[tuple[str | None, datetime | None], Record] = {}
        for record in group:
            per_capture.setdefault((record.capture_url, record.archived_at), record)
        merged.extend(record.model_copy(update=seen) for record in per_capture.values())
    merged.sort(key=lambda r: (r.archived_at or _MIN_TIME, r.page, r.position, r.id))
    return merged


@dataclass(frozen=True)
class Snapshot:
    """What one capture of page 0, with the pages followed from it, listed.

    A pager page is read at its capture nearest to page 0's (:data:`PAGER_WINDOW`). The archive
    often captures page 0 again without the pager pages: the later snapshot then reads them at the
    captures made with an earlier page 0 (or a later one). Such a page is *carried*: its teasers count
    in the snapshot's list (``--summary`` compares whole lists), but the snapshot's capture time is
    no sighting of them: their records keep the time of the capture that showed them, and
    ``last_seen`` is never stretched to a capture that did not list the teaser.

    Attributes:
        archived_at: the capture time of page 0.
        capture_url: the capture of page 0.
        ids: the record ids of every teaser on every page read (carried pages included).
        complete: every page of the pager was read (False: later pages failed or were missing).
        carried: the ids listed only on carried pages: pager pages read at a capture that belongs to
            another snapshot (made nearer to that one's page 0 than to this one's).
        carried_pages: ``(page, capture time)`` of each carried page.
    """

    archived_at: datetime
    capture_url: str
    ids: frozenset[str]
    complete: bool = True
    carried: frozenset[str] = frozenset()
    carried_pages: tuple[tuple[int, datetime], ...] = ()


@dataclass(frozen=True)
class SnapshotChange:
    """How a snapshot differs from the one before it, for ``--summary``.

    Attributes:
        archived_at: the capture time of page 0.
        capture_url: the capture of page 0.
        teasers: teasers listed.
        appeared: ids listed now and not in the previous snapshot (all of them in the first).
        disappeared: ids in the previous snapshot and not listed now.
        complete: as :attr:`Snapshot.complete`; an incomplete one may show teasers "disappearing"
            that sat on a page that could not be read.
        carried: of ``teasers``, those only on carried pages (see :class:`Snapshot`): counted in the
            list, but seen at their own captures' times, not at this one.
        carried_pages: ``(page, capture time)`` of each carried page.
    """

    archived_at: datetime
    capture_url: str
    teasers: int
    appeared: frozenset[str]
    disappeared: frozenset[str]
    complete: bool
    carried: int = 0
    carried_pages: tuple[tuple[int, datetime], ...] = ()

    @property
    def note(self) -> str:
        """What ``--summary`` says beside the counts: pages not read, and carried pages.

        >>> t = datetime(2016, 7, 1, 14, 3, tzinfo=UTC)
        >>> SnapshotChange(t, "a", 13, frozenset(), frozenset(), True, 8, ((1, t), (2, t))).note
        '(8 on pages 1, 2 as captured 2016-07-01 14:03)'
        """
        notes = [] if self.complete else ["some pages unread"]
        if self.carried_pages:
            by_time: dict[str, list[str]] = {}
            for page, when in sorted(self.carried_pages):
                by_time.setdefault(when.strftime("%Y-%m-%d %H:%M"), []).append(str(page))
            where = "; ".join(
                f"page{'s' if len(numbers) > 1 else ''} {', '.join(numbers)} as captured {when}"
                for when, numbers in by_time.items()
            )
            notes.append(f"{self.carried} on {where}")
        return f"({'; '.join(notes)})" if notes else ""


def summarize(snapshots: Iterable[Snapshot]) -> list[SnapshotChange]:
    """Per snapshot, in time order, which teasers appeared and disappeared since the one before.

    >>> t = datetime(2016, 7, 1, tzinfo=UTC)
    >>> snaps = [Snapshot(t, "a", frozenset("xy")), Snapshot(t + timedelta(1), "b", frozenset("yz"))]
    >>> rows = summarize(snaps)
    >>> [(len(r.appeared), len(r.disappeared)) for r in rows]
    [(2, 0), (1, 1)]
    """
    changes: list[SnapshotChange] = []
    previous: frozenset[str] = frozenset()
    for snap in sorted(snapshots, key=lambda s: (s.archived_at, s.capture_url)):
        changes.append(
            SnapshotChange(
                archived_at=snap.archived_at,
                capture_url=snap.capture_url,
                teasers=len(snap.ids),
                appeared=snap.ids - previous,
                disappeared=previous - snap.ids,
                complete=snap.complete,
                carried=len(snap.carried),
                carried_pages=snap.carried_pages,
            )
        )
        previous = snap.ids
    return changes


# -- the transport stack ---------------------------------------------------------------------------


class ArchiveTransport(httpx.AsyncBaseTransport):
    """Reads the archive's answers for the fetcher: exclusions, captured errors, CDX media types.

    - An error answer (4xx/5xx other than 429) saying the URL is excluded (robots.txt at capture time,
      or the owner's request) raises :class:`~scraper.errors.Blocked`, whose message says which.
    - An error answer that carries ``Memento-Datetime`` is a capture *of* an error page, or a 404 the
      archive explains in ``X-Archive-Wayback-Runtime-Error``: :class:`~scraper.errors.NotArchived`,
      raised here so the fetcher does not retry what will never change.
    - A CDX answer labelled as JSON is relabelled ``text/plain``: the fetcher takes text, not data,
      and the CDX JSON is text to us.

    Everything else (429s, the archive's own 5xx) passes through for the fetcher's retries.

    Args:
        inner: the transport below (pacing over the network, or replay).
        cdx_url: the CDX endpoint, to tell its answers apart.

    Attributes:
        counts: requests sent, by endpoint (``"cdx"``, ``"captures"``: redirect hops and retries too).
        recorded: the CDX queries the replay source holds, when ``inner`` replays one (see
            :class:`RecordedCdx`); None otherwise.
    """

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        *,
        cdx_url: str = DEFAULT_CDX_URL,
        recorded: RecordedCdx | None = None,
    ) -> None:
        self.inner = inner
        self._cdx = httpx.URL(cdx_url)
        self.counts: dict[str, int] = {"cdx": 0, "captures": 0}
        self.recorded = recorded

    def is_cdx(self, url: httpx.URL) -> bool:
        """Whether ``url`` is a request to the CDX endpoint."""
        return host_key(url) == host_key(self._cdx) and url.path == self._cdx.path

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send, then judge the answer as described above."""
        cdx = self.is_cdx(request.url)
        self.counts["cdx" if cdx else "captures"] += 1
        response = await self.inner.handle_async_request(request)
        status = response.status_code
        if status >= 400 and status != 429:
            return await self._judge_error(str(request.url), response)
        content_type = response.headers.get("Content-Type", "")
        if cdx and content_type.split(";", 1)[0].strip().lower() in CDX_CONTENT_TYPES:
            headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() != "content-type"]
            headers.append(("Content-Type", "text/plain; charset=utf-8"))
            return httpx.Response(
                status, headers=headers, stream=response.stream, extensions=response.extensions
            )
        return response

    async def _judge_error(self, url: str, response: httpx.Response) -> httpx.Response:
        """Raise for exclusions and captured errors; hand anything else on, body intact."""
        raw = b""
        try:
            assert isinstance(response.stream, httpx.AsyncByteStream)
            async for chunk in response.stream:
                raw += chunk
                if len(raw) > ERROR_BODY_LIMIT:
                    break
        finally:
            await response.aclose()
        runtime_error = response.headers.get("X-Archive-Wayback-Runtime-Error")
        reason = blocked_reason(_decoded(raw, response.headers), runtime_error)
        if reason is not None:
            raise Blocked(url, reason)
        if "Memento-Datetime" in response.headers:
            raise NotArchived(
                url, f"the archive holds a capture of an HTTP {response.status_code} error page"
            )
        if response.status_code == 404 and runtime_error:
            raise NotArchived(url, runtime_error)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=httpx.ByteStream(raw),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        """Close the inner transport."""
        await self.inner.aclose()


def _decoded(raw: bytes, headers: httpx.Headers) -> bytes:
    """An error body decoded from its Content-Encoding, or as it came if that fails."""
    encoding = headers.get("Content-Encoding")
    if not encoding:
        return raw
    try:
        return httpx.Response(200, headers={"Content-Encoding": encoding}, content=raw).read()
    except httpx.DecodingError:
        return raw


def _endpoint_keys(settings: Settings) -> tuple[str, str]:
    """The limiter keys of the CDX endpoint and of captures."""
    return f"{host_key(settings.cdx_url)} cdx", f"{host_key(settings.archive_url)} captures"


def archive_limiter(settings: Settings, *, clock: Clock = SYSTEM_CLOCK) -> HostLimiter:
    """One limiter for the archive, shared by every worker: CDX at ``cdx_per_minute``, captures at
    ``captures_per_second``, at most ``concurrency`` requests in flight per endpoint."""
    cdx_key, capture_key = _endpoint_keys(settings)
    capture_delay = 1.0 / settings.captures_per_second
    return HostLimiter(
        concurrency=settings.concurrency,
        delay=capture_delay,
        clock=clock,
        delays={cdx_key: 60.0 / settings.cdx_per_minute, capture_key: capture_delay},
    )


def build_archive_transport(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    limiter: HostLimiter | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> ArchiveTransport:
    """The stack a wayback run reads through.

    - ``settings.replay`` (and no ``transport``): the replay transport of
      :func:`scraper.client.build_transport`, no pacing: nothing goes to the network.
    - otherwise ``transport`` (default: ``httpx.AsyncHTTPTransport``) under a
      :class:`~scraper.politeness.PacedTransport` spending ``limiter`` (default :func:`archive_limiter`),
      under a recorder when ``settings.record`` names a fixture folder or a WARC file.

    All under :class:`ArchiveTransport`.
    """
    if transport is None and settings.replay is not None:
        replay = build_transport(settings, clock=clock)
        source = replay.folder if isinstance(replay, ReplayTransport) else None
        recorded = None if source is None else RecordedCdx.of(source, settings.cdx_url, settings.archive_url)
        return ArchiveTransport(replay, cdx_url=settings.cdx_url, recorded=recorded)
    cdx_key, capture_key = _endpoint_keys(settings)
    cdx = httpx.URL(settings.cdx_url)
    by_host: dict[str, list[str]] = {}
    by_host.setdefault(host_key(cdx), []).append(cdx_key)
    by_host.setdefault(host_key(settings.archive_url), []).append(capture_key)

    def key(request: httpx.Request) -> str:
        if host_key(request.url) == host_key(cdx) and request.url.path == cdx.path:
            return cdx_key
        return f"{host_key(request.url)} captures"

    def pause_keys(request: httpx.Request) -> list[str]:
        # The Archive blocks an address, not an endpoint: a 429 anywhere pauses all of that host.
        return by_host.get(host_key(request.url), [key(request)])

    inner: httpx.AsyncBaseTransport = PacedTransport(
        transport if transport is not None else httpx.AsyncHTTPTransport(proxy=settings.proxy),
        limiter=limiter if limiter is not None else archive_limiter(settings, clock=clock),
        key=key,
        pause_keys=pause_keys,
        default_retry_after=DEFAULT_RATE_LIMIT_WAIT,
        clock=clock,
    )
    # Saved as the archive answered them (exclusions and captured errors too), so a replay of the
    # folder meets what the run met.
    if settings.record is not None and is_warc_path(settings.record):
        inner = WarcRecordingTransport(inner, settings.record, now=clock.now)
    elif settings.record is not None:
        inner = RecordingTransport(inner, FixtureFolder.load(settings.record), now=clock.now)
    return ArchiveTransport(inner, cdx_url=settings.cdx_url)


# -- CDX listing -------------------------------------------------------------------------------------


def cdx_query_url(
    url: str,
    *,
    cdx_url: str = DEFAULT_CDX_URL,
    from_date: str | None = None,
    to_date: str | None = None,
    collapse: bool = False,
    limit: int = 1000,
    resume_key: str | None = None,
) -> str:
    """The CDX request listing ``url``'s readable captures: JSON, 200s of ``text/html`` and revisit
    records (:data:`CDX_FILTERS`), paged by ``resumeKey``.

    Identical captures are all listed, revisit records included: each is a sighting
    (``last_seen``), and a run reads one of each digest only (:class:`CaptureStore` hands the others
    the records read). ``collapse`` adds ``collapse=digest``, which keeps only the first of each run
    of identical captures.

    >>> cdx_query_url("https://www.dhs.gov/k", from_date="2011", to_date="2017", limit=500)
    'https://web.archive.org/cdx/search/cdx?url=https%3A%2F%2Fwww.dhs.gov%2Fk&output=json&from=2011&to=2017\
&filter=statuscode%3A200%7C-&filter=mimetype%3Atext%2Fhtml%7Cwarc%2Frevisit&showResumeKey=true&limit=500'

    Raises:
        ValueError: a date is not one :func:`cdx_date` reads.
    """
    params: list[tuple[str, str]] = [("url", url), ("output", "json")]
    if from_date:
        params.append(("from", cdx_date(from_date)))
    if to_date:
        params.append(("to", cdx_date(to_date)))
    params += [("filter", spec) for spec in CDX_FILTERS]
    if collapse:
        params.append(("collapse", "digest"))
    params += [("showResumeKey", "true"), ("limit", str(limit))]
    if resume_key is not None:
        # The server hands the key out URL-encoded and expects it back as a value: encoded again.
        params.append(("resumeKey", resume_key))
    return str(httpx.URL(cdx_url, params=params))


class CdxNotRecorded(FixtureMissing):
    """A replay was asked a CDX query that its folder does not hold, nor one whose range holds its
    range; the message names the ranges the folder holds CDX answers for, to rerun with one, or,
    when it holds none from this CDX endpoint, the endpoints it holds answers for the page from (the
    folder was recorded with another ``--cdx-url``), to rerun with one.

    Attributes:
        ranges: the recorded ranges for the page, as ``--from``/``--to`` options ("" for no range).
        endpoints: other CDX endpoints the folder holds answers for the page from (only when it
            holds none from the one asked).
        archive_urls: the capture prefixes the folder holds captures under, when they are not the
            run's (``--archive-url`` to rerun with), else empty.
    """

    def __init__(
        self,
        url: str,
        folder: str | Path,
        page: str,
        ranges: Sequence[str],
        *,
        endpoints: Sequence[str] = (),
        archive_urls: Sequence[str] = (),
    ) -> None:
        super().__init__(url, folder)
        self.ranges = tuple(ranges)
        self.endpoints = tuple(endpoints)
        self.archive_urls = tuple(archive_urls)
        held = " and ".join(r or "no --from/--to (every capture)" for r in self.ranges)
        if held:
            advice = (
                f"it holds CDX answers for {page} with {held}: rerun with one of those ranges, or a "
                "range inside one"
            )
        elif self.endpoints:
            asked = str(httpx.URL(url).copy_with(query=None))
            rerun = (
                f"rerun with --cdx-url {self.endpoints[0]}"
                if len(self.endpoints) == 1
                else "rerun with --cdx-url and one of those"
            )
            if len(self.archive_urls) == 1:
                rerun += f" --archive-url {self.archive_urls[0]}"
            advice = (
                f"it holds no CDX answer for {page} from {asked}, but holds some from "
                f"{' and '.join(self.endpoints)} (recorded with another --cdx-url): {rerun}"
            )
        else:
            advice = f"it holds no CDX answer for {page}"
        self.args = (f"{url} is not in {folder}, nor a CDX answer whose range holds this one's; {advice}",)


_RANGE_PARAMS = ("from", "to")


def _split_query(query_url: str) -> tuple[str, tuple[tuple[str, str], ...], str | None, str | None]:
    """A CDX query as (endpoint, its parameters but the range, sorted; ``from``; ``to``)."""
    url = httpx.URL(query_url)
    params = url.params
    rest = tuple(sorted((k, v) for k, v in params.multi_items() if k not in _RANGE_PARAMS))
    return str(url.copy_with(query=None)), rest, params.get("from"), params.get("to")


def _range_holds(outer: tuple[str | None, str | None], inner: tuple[str | None, str | None]) -> bool:
    """Whether the CDX range ``outer`` (``from``, ``to``; None: open) holds all of ``inner``."""
    try:
        starts_before = outer[0] is None or (
            inner[0] is not None and parse_timestamp(outer[0]) <= parse_timestamp(inner[0])
        )
        ends_after = outer[1] is None or (
            inner[1] is not None and _period_end(outer[1]) >= _period_end(inner[1])
        )
    except ValueError:
        return False
    return starts_before and ends_after


def _range_option(low: str | None, high: str | None) -> str:
    return " ".join(f"--{name} {value}" for name, value in (("from", low), ("to", high)) if value)


def covering_cdx_query(query_url: str, recorded: Iterable[str]) -> str | None:
    """Of the CDX queries ``recorded``, the one that answers ``query_url`` once its rows are cut to
    ``query_url``'s range: the same query (endpoint, URL, filters, page size, resume key) over a
    range that holds this one's (no range, or a wider one); the narrowest such, ``query_url``
    itself when it is there. None when there is none.

    >>> wide = cdx_query_url("https://a.gov/k")
    >>> covering_cdx_query(cdx_query_url("https://a.gov/k", from_date="2010", to_date="2018"), [wide]) == wide
    True
    >>> covering_cdx_query(wide, [cdx_query_url("https://a.gov/k", from_date="2011")]) is None
    True
    """
    endpoint, rest, low, high = _split_query(query_url)
    best: tuple[datetime, datetime, str] | None = None
    for candidate in recorded:
        try:
            their_endpoint, their_rest, their_low, their_high = _split_query(candidate)
        except (httpx.InvalidURL, ValueError):
            continue
        if (their_endpoint, their_rest) != (endpoint, rest):
            continue
        if not _range_holds((their_low, their_high), (low, high)):
            continue
        start = _MIN_TIME if their_low is None else parse_timestamp(their_low)
        end = _MAX_TIME if their_high is None else parse_timestamp(_period_end(their_high))
        # The narrowest: the latest start, then the earliest end.
        if best is None or (start, best[1]) > (best[0], end):
            best = (start, end, candidate)
    return None if best is None else best[2]


def cut_to_range(page: CdxPage, from_date: str | None, to_date: str | None) -> CdxPage:
    """``page`` with only the captures in the CDX range ``from_date``..``to_date`` (either may be None),
    read as the CDX server reads them (``to`` inclusive to the end of the period it names).

    >>> rows = [CdxRecord("k", ts, "http://a/", "text/html", "200", "D", "1") for ts in
    ...         ("20101231235959", "20110101000000", "20171231235959", "2018")]
    >>> [r.timestamp for r in cut_to_range(CdxPage(tuple(rows)), "2011", "2017").records]
    ['20110101000000', '20171231235959']
    """
    low = _MIN_TIME if from_date is None else parse_timestamp(from_date)
    high = None if to_date is None else parse_timestamp(_period_end(to_date))
    kept = tuple(
        record
        for record in page.records
        if low <= record.captured_at and (high is None or record.captured_at <= high)
    )
    return replace(page, records=kept)


def _looks_like_cdx(url: httpx.URL) -> bool:
    """Whether a saved request is a CDX query (to any endpoint): the Wayback CDX server's
    ``…/cdx/search/cdx`` or pywb's ``…/<coll>/cdx`` path, or ``url=`` and ``output=`` asked of a path
    that is no capture address."""
    if url.path.rstrip("/").endswith("/cdx"):
        return "url" in url.params
    return "url" in url.params and "output" in url.params and "://" not in url.path and "%3A" not in url.path


@dataclass(frozen=True)
class RecordedCdx:
    """The CDX queries a replay source holds, so that a query it does not hold is answered from one
    that covers its range (:func:`covering_cdx_query`), its rows cut to the range asked
    (:func:`cut_to_range`): ``--replay fixtures/wayback --from 2010 --to 2018`` reads the answer
    recorded without a range. Only CDX answers are so derived; captures are replayed as recorded.

    Attributes:
        root: the fixture folder or WARC file.
        queries: the recorded requests to the CDX endpoint.
        elsewhere: the recorded CDX queries to other endpoints (a folder recorded with another
            ``--cdx-url``), to name them when ``queries`` holds nothing for a page.
        archive_urls: the capture prefixes (``…/web/``) the source holds captures under, when the
            run's is not one of them; else empty.
    """

    root: Path
    queries: tuple[str, ...]
    elsewhere: tuple[str, ...] = ()
    archive_urls: tuple[str, ...] = ()

    @classmethod
    def of(cls, source: ResponseSource, cdx_url: str, archive_url: str | None = None) -> RecordedCdx:
        """The CDX queries (requests to ``cdx_url``'s endpoint) that ``source`` holds, and those to
        other endpoints; the capture prefixes it holds captures under if ``archive_url`` is not one."""
        endpoint = httpx.URL(cdx_url)
        ours = None if archive_url is None else _archive_prefix(archive_url)
        queries, elsewhere = [], []
        prefixes: set[str] = set()
        for saved in source:
            try:
                url = httpx.URL(saved.url)
            except httpx.InvalidURL:
                continue
            if host_key(url) == host_key(endpoint) and url.path == endpoint.path:
                queries.append(saved.url)
            elif _looks_like_cdx(url):
                elsewhere.append(saved.url)
            elif ours is not None and saved.url.startswith(ours):
                prefixes.add(ours)
            elif ours is not None:
                with contextlib.suppress(ValueError):  # not a capture either
                    prefixes.add(parse_memento_url(saved.url).archive_url)
        archive_urls = () if ours in prefixes else tuple(sorted(prefixes))
        return cls(source.root, tuple(queries), tuple(elsewhere), archive_urls)

    def query_for(self, query_url: str) -> str:
        """The recorded query that answers ``query_url`` (see :func:`covering_cdx_query`).

        Raises:
            CdxNotRecorded: there is none; its message names the ranges recorded for the page, or
                the other CDX endpoints the source holds answers for it from.
        """
        found = covering_cdx_query(query_url, self.queries)
        if found is not None:
            return found
        _, rest, _, _ = _split_query(query_url)
        page = dict(rest).get("url", query_url)
        ranges = []
        for candidate in self.queries:
            _, their_rest, low, high = _split_query(candidate)
            names = dict(their_rest)
            if names.get("url") == page and "resumeKey" not in names:
                ranges.append(_range_option(low, high))
        endpoints = []
        if not ranges:
            for candidate in self.elsewhere:
                their_endpoint, their_rest, _, _ = _split_query(candidate)
                if dict(their_rest).get("url") == page:
                    endpoints.append(their_endpoint)
        raise CdxNotRecorded(
            query_url,
            self.root,
            page,
            sorted(dict.fromkeys(ranges)),
            endpoints=sorted(dict.fromkeys(endpoints)),
            archive_urls=self.archive_urls,
        )


async def fetch_cdx_page(
    client: httpx.AsyncClient,
    query_url: str,
    *,
    settings: Settings,
    stats: FetchStats | None = None,
    clock: Clock = SYSTEM_CLOCK,
    recorded: RecordedCdx | None = None,
) -> CdxPage:
    """GET one CDX page and read it; a cut-off or garbled answer is asked for again.

    The CDX server sometimes ends an answer early (a timeout on its side); the same request usually
    works the next time: up to ``max_attempts`` tries. An answer that is no CDX listing at all (an
    HTML page such as the archive's "temporarily offline" page, or not JSON) is asked for
    :data:`NOT_CDX_ATTEMPTS` times at most, and the error says what came instead and that the server
    may be down or ``--cdx-url`` wrong. Each try waits its turn under the CDX budget like any other
    request.

    With ``recorded`` (a replay), the recorded query that covers ``query_url``'s range is asked for,
    and its rows cut to that range (see :class:`RecordedCdx`).

    Raises:
        FetchError: the request failed, or every answer was unreadable (``transient``: ``--resume``
            tries again).
        Blocked: the archive excludes the URL.
        CdxNotRecorded: ``recorded`` holds no query that covers this one.
    """
    asked = query_url
    if recorded is not None:
        query_url = recorded.query_for(asked)
        if query_url != asked:
            logger.info("%s: answered from the recorded %s", asked, query_url)
    problem: ValueError | None = None
    not_cdx, tries = 0, 0
    while tries < settings.max_attempts and not_cdx < NOT_CDX_ATTEMPTS:
        tries += 1
        fetched = await fetch(client, query_url, settings=settings, site=query_url, stats=stats, clock=clock)
        try:
            page = decode_cdx(fetched.content)
        except ValueError as exc:
            problem = exc
            not_cdx += isinstance(exc, _NotCdx)
            logger.warning("unreadable CDX answer (try %d of %d): %s", tries, settings.max_attempts, exc)
            continue
        if page.malformed:
            logger.warning("%s: skipped %d malformed CDX row(s)", query_url, page.malformed)
        if query_url != asked:
            _, _, low, high = _split_query(asked)
            page = cut_to_range(page, low, high)
        return page
    if isinstance(problem, _NotCdx):
        endpoint = str(httpx.URL(query_url).copy_with(query=None))
        times = {1: "once", 2: "twice"}.get(not_cdx, f"{not_cdx} times")
        raise FetchError(
            query_url,
            f"the CDX endpoint answered {times} with {problem.what}, not a CDX listing: the CDX server "
            f"may be down (a maintenance page?), or {endpoint} is not a CDX endpoint (check --cdx-url)",
            transient=True,
        )
    raise FetchError(query_url, f"the CDX answer was unreadable {tries} times: {problem}", transient=True)


async def iter_cdx(
    client: httpx.AsyncClient,
    url: str,
    *,
    settings: Settings,
    from_date: str | None = None,
    to_date: str | None = None,
    collapse: bool = False,
    stats: FetchStats | None = None,
    clock: Clock = SYSTEM_CLOCK,
    recorded: RecordedCdx | None = None,
) -> AsyncIterator[CdxRecord]:
    """Every readable capture of ``url`` (see :func:`cdx_query_url`), page after page by ``resumeKey``.

    The client's transport does the pacing (:func:`build_archive_transport`), so several listings
    running at once share the CDX budget. A record repeating the last one of the previous page is
    skipped.

    Raises:
        FetchError: a page could not be had (see :func:`fetch_cdx_page`), or the server sent the same
            resume key twice (it would loop forever).
        Blocked: the archive excludes the URL.
        CdxNotRecorded: ``recorded`` (a replay) holds no query that covers one asked for.
    """
    resume_key: str | None = None
    keys: set[str] = set()
    last: CdxRecord | None = None
    while True:
        query = cdx_query_url(
            url,
            cdx_url=settings.cdx_url,
            from_date=from_date,
            to_date=to_date,
            collapse=collapse,
            limit=settings.cdx_page_size,
            resume_key=resume_key,
        )
        page = await fetch_cdx_page(
            client, query, settings=settings, stats=stats, clock=clock, recorded=recorded
        )
        _warn_if_cut(page, settings.cdx_page_size, query)
        for record in page.records:
            if record != last:
                yield record
            last = record
        if page.resume_key is None:
            return
        if page.resume_key in keys:
            raise FetchError(query, f"the CDX server sent the resume key {page.resume_key!r} twice")
        keys.add(page.resume_key)
        resume_key = page.resume_key


def _warn_if_cut(page: CdxPage, limit: int, query_url: str) -> None:
    """Say so when a CDX answer filled its ``limit`` without a resume key from a server that pages by
    other means (pywb's ``page=``): it may hold more captures that the run will not see.

    The Wayback CDX server, asked with ``showResumeKey=true``, prints the key "only if the query has
    more results that have not been printed due to limit= (or max query limit)" (wayback-cdx-server
    README, "Resumption Key"): its last page may hold exactly ``limit`` rows, and is not cut."""
    if page.resumable:
        return
    if page.resume_key is None and len(page.records) + page.malformed >= limit:
        logger.warning(
            "%s: %d captures and no resume key: the CDX server may hold more than it sent "
            "(raise cdx_page_size in a --config file)",
            query_url,
            limit,
        )


# -- captures ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Capture:
    """One capture as the archive served it (``id_`` mode).

    Attributes:
        requested_url: the capture URL asked for.
        url: the capture URL that answered (another capture of the page after an archive redirect).
        original: the captured page's URL (the ``Link: rel="original"`` header, else from ``url``).
        archived_at: capture time, from ``Memento-Datetime``.
        fetched_at: when we read it (the saved time when replaying).
        content: the body as captured.
        content_type: the captured ``Content-Type``.
        redirects: the capture URLs that redirected, in order.
    """

    requested_url: str
    url: str
    original: str
    archived_at: datetime
    fetched_at: datetime
    content: bytes
    content_type: str | None
    redirects: tuple[str, ...] = ()


async def fetch_capture(
    client: httpx.AsyncClient,
    capture: CdxRecord | str,
    *,
    settings: Settings,
    stats: FetchStats | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> Capture:
    """Read one capture as the site served it, and make sure it is one.

    The archive may redirect a capture request to the nearest other capture of the page (when the
    one asked for cannot be played back, or is a revisit); that is followed, within
    :data:`REDIRECT_WINDOW`. A capture's identity is its ``Memento-Datetime``.

    Args:
        client: from :func:`scraper.client.build_client` over :func:`build_archive_transport`.
        capture: a CDX record (read from ``settings.archive_url`` in ``id_`` mode) or a capture URL
            (under ``settings.archive_url``, or any ``…/web/`` one).
        settings: retries, timeouts, ``archive_url``.
        stats: fetch counters.
        clock: time source for waits.

    Raises:
        NotArchived: nothing usable: a capture of an error page, an answer that is not a capture
            (no ``Memento-Datetime``), or a redirect to a capture too far away.
        Blocked: the archive excludes the URL.
        FetchError: the archive could not be reached or kept failing.
        ValueError: ``capture`` is not a capture URL.
    """
    url = capture.memento_url(settings.archive_url) if isinstance(capture, CdxRecord) else capture
    asked = _capture_url_parts(url, settings.archive_url)
    fetched = await fetch(client, url, settings=settings, site=url, stats=stats, clock=clock)
    archived_at = parse_memento_datetime(fetched.header("Memento-Datetime"))
    if archived_at is None:
        raise NotArchived(url, "the archive's answer is not a capture (no Memento-Datetime)")
    if fetched.redirects:
        gap = abs(archived_at - parse_timestamp(asked.timestamp))
        if gap > REDIRECT_WINDOW:
            raise NotArchived(url, f"the archive redirected to a capture {gap} away: {fetched.final_url}")
        logger.info("%s: the archive served the capture %s instead", url, fetched.final_url)
    link = _LINK_ORIGINAL_RE.search(fetched.header("Link") or "")
    try:
        original = (
            link.group(1)
            if link is not None
            else _capture_url_parts(fetched.final_url, settings.archive_url).url
        )
    except ValueError:
        original = asked.url
    return Capture(
        requested_url=url,
        url=fetched.final_url,
        original=original,
        archived_at=archived_at,
        fetched_at=fetched.fetched_at,
        content=fetched.content,
        content_type=fetched.content_type,
        redirects=fetched.redirects,
    )


# -- what a run has read ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CaptureResult:
    """One capture read for a listing page: its records and next-page link, or why it gave nothing.

    Attributes:
        url: the capture URL asked for.
        final_url: the capture that answered.
        page_url: the listing page's original URL (the records' ``source_url``).
        page: its 0-based pager index.
        archived_at: capture time, None when the archive served no capture.
        records: the page's records, stamped with ``archived_at`` and ``capture_url``.
        next_url: the original URL of the next page, if the capture links one.
        skipped: why the capture yields nothing (an error page, no teasers); None when it was read.
        rejects: the page's teasers that fail record validation, each as ``(reason, data)``: the
            teaser's fields plus the ``capture_url`` and ``archived_at`` it was read from.
    """

    url: str
    final_url: str
    page_url: str
    page: int
    archived_at: datetime | None
    records: tuple[Record, ...] = ()
    next_url: str | None = None
    skipped: str | None = None
    rejects: tuple[tuple[str, dict[str, object]], ...] = ()


_CAPTURE_SCHEMA = """
CREATE TABLE IF NOT EXISTS wayback_captures (
    url          TEXT PRIMARY KEY,
    final_url    TEXT NOT NULL,
    page_url     TEXT NOT NULL,
    page         INTEGER NOT NULL,
    archived_at  TEXT,
    next_url     TEXT,
    skipped      TEXT,
    records      TEXT NOT NULL,
    twin_of      TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS wayback_lookups (
    page_url     TEXT PRIMARY KEY,
    rows         TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS wayback_snapshots (
    capture      TEXT PRIMARY KEY,
    listed       TEXT NOT NULL,
    archived_at  TEXT NOT NULL,
    chain        TEXT NOT NULL,
    complete     INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS wayback_digests (
    url          TEXT PRIMARY KEY,
    original     TEXT NOT NULL,
    digest       TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS wayback_digests_twins ON wayback_digests (digest, original);
CREATE TABLE IF NOT EXISTS wayback_revisits (
    url          TEXT PRIMARY KEY
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS wayback_rejects (
    url          TEXT NOT NULL,
    position     INTEGER NOT NULL,
    reason       TEXT NOT NULL,
    data         TEXT NOT NULL,
    PRIMARY KEY (url, position)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS wayback_listed (
    url          TEXT PRIMARY KEY,
    outcome      TEXT,
    snapshot     TEXT
) WITHOUT ROWID;
"""
"""``wayback_captures.twin_of``: a capture identical to one read (same CDX digest of the same original)
is stored as a pointer to the capture whose records it repeats (``records`` left ``[]``), not as a copy
of them: a page captured unchanged 5,000 times costs 5,000 small rows, not 5,000 copies of its list.
``wayback_revisits`` names the listed captures that are revisit records (``warc/revisit``).
``wayback_rejects`` holds the teasers of the captures read that failed record validation, written to the
rejects file at the end of the run. ``wayback_listed`` holds every capture of page 0 the CDX listed and
what became of it (``read`` as part of ``snapshot``, ``skipped``, ``failed``; NULL: not yet), so the
run's figures add up across a ``--resume``."""

_CAPTURE_COLUMNS = "url, final_url, page_url, page, archived_at, next_url, skipped, twin_of"

RECORDS_CACHE_SIZE = 256
"""Captures whose parsed records :class:`CaptureStore` keeps at hand: the read ones their identical
captures point to. Captures come in time order and a page stays unchanged for runs of captures, so a
few are enough; the bound keeps memory flat however many captures a listing has."""


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _belongs(snapshot: datetime, captured: datetime | None, users: Sequence[datetime]) -> bool:
    """Whether a pager capture made at ``captured`` belongs to the snapshot of page 0 at
    ``snapshot``: of the snapshots ``users`` that read it, that one's page 0 is the nearest to it
    (the earlier on a tie)."""
    if captured is None:
        return True
    return min(users, key=lambda t: (abs(t - captured), t)) == snapshot


class CaptureStore:
    """Captures a wayback run has read, CDX lookups it made and the snapshots it put together, kept in
    SQLite (the crawl-state file, tables ``wayback_*``) so that ``--resume`` fetches nothing twice.

    Every method commits before it returns (``synchronous=FULL``). A capture is stored under the URL
    asked for and, after an archive redirect, under the URL that answered too. The CDX digest of
    every capture listed is kept too, so that a capture identical to one read (:meth:`twin`) is not
    fetched again; it is stored as a pointer to that one (:meth:`save_twin`), and its records are
    made from that one's when asked for.

    Args:
        path: the SQLite file (``":memory:"`` for a run that cannot be resumed).
    """

    def __init__(self, path: Path | str) -> None:
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30.0)
        self._lock = threading.Lock()
        self._records: OrderedDict[str, tuple[Record, ...]] = OrderedDict()
        self._ids: OrderedDict[tuple[str | None, ...], frozenset[str]] = OrderedDict()
        try:
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.executescript(_CAPTURE_SCHEMA)
            columns = {row[1] for row in self._conn.execute("PRAGMA table_info(wayback_captures)")}
            if "twin_of" not in columns:  # a state file of an earlier topicscrape: copies, no pointers
                self._conn.execute("ALTER TABLE wayback_captures ADD COLUMN twin_of TEXT")
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise ValueError(f"{path} is not a topicscrape state file: {exc}") from exc

    def _write(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.executemany(sql, rows)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _read(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def clear(self) -> None:
        """Forget everything (a run started without ``--resume``)."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            for table in (
                "wayback_captures",
                "wayback_lookups",
                "wayback_snapshots",
                "wayback_digests",
                "wayback_revisits",
                "wayback_rejects",
                "wayback_listed",
            ):
                self._conn.execute(f"DELETE FROM {table}")
            self._conn.execute("COMMIT")
            self._records.clear()
            self._ids.clear()

    def save_capture(self, result: CaptureResult) -> None:
        """Store a capture's outcome (replacing an earlier one)."""
        records = json.dumps([r.model_dump(mode="json") for r in result.records], ensure_ascii=False)
        stamp = None if result.archived_at is None else _iso(result.archived_at)
        row = (result.page_url, result.page, stamp, result.next_url, result.skipped, records)
        keys = dict.fromkeys((result.url, result.final_url))
        rejects = [
            (result.final_url, position, reason, json.dumps(data, ensure_ascii=False, default=str))
            for position, (reason, data) in enumerate(result.rejects)
        ]
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.executemany(
                    "INSERT OR REPLACE INTO wayback_captures (url, final_url, page_url, page, archived_at, "
                    "next_url, skipped, records, twin_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                    [(key, result.final_url, *row) for key in keys],
                )
                self._conn.execute("DELETE FROM wayback_rejects WHERE url = ?", (result.final_url,))
                self._conn.executemany("INSERT INTO wayback_rejects VALUES (?, ?, ?, ?)", rejects)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        with self._lock:
            for key in keys:
                self._records.pop(key, None)
            self._ids.clear()

    def save_twin(self, url: str, twin: CaptureResult, archived_at: datetime) -> None:
        """Store the listed capture ``url``, made at ``archived_at``, as identical to the capture read
        ``twin`` (see :meth:`twin`): one row pointing at it, its records not copied."""
        self._write(
            "INSERT OR REPLACE INTO wayback_captures (url, final_url, page_url, page, archived_at, next_url, "
            "skipped, records, twin_of) VALUES (?, ?, ?, ?, ?, ?, ?, '[]', ?)",
            [(url, url, twin.page_url, twin.page, _iso(archived_at), twin.next_url, twin.skipped, twin.url)],
        )

    def capture(self, url: str) -> CaptureResult | None:
        """The stored outcome of the capture ``url``, or None; an identical capture's records are
        those of the capture it points to, stamped with its own time and URL."""
        rows = self._read(f"SELECT {_CAPTURE_COLUMNS} FROM wayback_captures WHERE url = ?", (url,))
        return self._result(rows[0]) if rows else None

    def captures(self) -> list[CaptureResult]:
        """Every capture read, once each (aliases left out), in capture-time order."""
        return list(self.iter_captures())

    def iter_captures(self) -> Iterator[CaptureResult]:
        """As :meth:`captures`, one at a time: only the captures' addresses are held at once, and the
        parsed records of the last :data:`RECORDS_CACHE_SIZE` captures read."""
        rows = self._read(
            f"SELECT {_CAPTURE_COLUMNS} FROM wayback_captures WHERE url = final_url ORDER BY archived_at, url"
        )
        for row in rows:
            yield self._result(row)

    def skipped(self) -> list[tuple[str, str]]:
        """``(capture URL, why)`` of every capture stored as skipped, in capture-time order."""
        return [
            (url, why)
            for url, why in self._read(
                "SELECT url, skipped FROM wayback_captures WHERE url = final_url AND skipped IS NOT NULL "
                "ORDER BY archived_at, url"
            )
        ]

    def _result(self, row: tuple[Any, ...]) -> CaptureResult:
        url, final_url, page_url, page, archived_at, next_url, skipped, twin_of = row
        when = None if archived_at is None else _from_iso(archived_at)
        records = self._stored_records(url if twin_of is None else twin_of)
        if twin_of is not None:
            records = tuple(r.model_copy(update={"archived_at": when, "capture_url": url}) for r in records)
        return CaptureResult(
            url=url,
            final_url=final_url,
            page_url=page_url,
            page=int(page),
            archived_at=when,
            records=records,
            next_url=next_url,
            skipped=skipped,
        )

    def _stored_records(self, url: str) -> tuple[Record, ...]:
        """The records stored with the capture ``url`` (parsed once, kept for the next ones)."""
        with self._lock:
            cached = self._records.get(url)
            if cached is not None:
                self._records.move_to_end(url)
                return cached
        rows = self._read("SELECT records FROM wayback_captures WHERE url = ?", (url,))
        records = tuple(Record.model_validate(item) for item in json.loads(rows[0][0])) if rows else ()
        with self._lock:
            self._records[url] = records
            while len(self._records) > RECORDS_CACHE_SIZE:
                self._records.popitem(last=False)
        return records

    def rejects(self) -> Iterator[tuple[str, str, dict[str, object]]]:
        """``(reason, source URL, data)`` of every teaser rejected in a capture read, in capture order."""
        rows = self._read(
            "SELECT r.reason, c.page_url, r.data FROM wayback_rejects r "
            "JOIN wayback_captures c ON c.url = r.url ORDER BY c.archived_at, r.url, r.position"
        )
        for reason, page_url, data in rows:
            yield str(reason), str(page_url), json.loads(data)

    def save_listed(self, urls: Sequence[str]) -> None:
        """Remember captures of page 0 the CDX listed (a listed one again keeps its outcome)."""
        self._write("INSERT OR IGNORE INTO wayback_listed (url) VALUES (?)", [(url,) for url in urls])

    def save_outcome(
        self, url: str, outcome: Literal["read", "skipped", "failed"], snapshot: str | None = None
    ) -> None:
        """What became of the listed capture ``url``: ``read`` as the snapshot ``snapshot`` (the capture
        of page 0 that answered), ``skipped`` or ``failed``."""
        self._write(
            "INSERT OR REPLACE INTO wayback_listed (url, outcome, snapshot) VALUES (?, ?, ?)",
            [(url, outcome, snapshot)],
        )

    def listed_outcomes(self) -> dict[str, int]:
        """How many listed captures of page 0 were ``listed`` in all, and how many of them are
        ``snapshots`` (distinct snapshots read), ``same`` (answered with a capture another listed one
        was read as), ``skipped``, ``failed`` and ``unread``: the last five add up to the first."""
        ((listed, read, snapshots, skipped, failed, unread),) = self._read(
            "SELECT count(*), count(*) FILTER (WHERE outcome = 'read'), "
            "count(DISTINCT snapshot) FILTER (WHERE outcome = 'read'), "
            "count(*) FILTER (WHERE outcome = 'skipped'), count(*) FILTER (WHERE outcome = 'failed'), "
            "count(*) FILTER (WHERE outcome IS NULL) FROM wayback_listed"
        )
        return {
            "listed": listed,
            "snapshots": snapshots,
            "same": read - snapshots,
            "skipped": skipped,
            "failed": failed,
            "unread": unread,
        }

    def save_lookup(self, page_url: str, records: Sequence[CdxRecord]) -> None:
        """Store the CDX lookup of a listing page's captures."""
        self._write(
            "INSERT OR REPLACE INTO wayback_lookups (page_url, rows) VALUES (?, ?)",
            [(page_url, json.dumps(cdx_json_rows(records)))],
        )

    def save_digests(self, captures: Sequence[tuple[str, CdxRecord]]) -> None:
        """Remember the CDX digest (and original URL) of captures listed, by their capture URL, and
        which of them are revisit records."""
        self._write(
            "INSERT OR REPLACE INTO wayback_digests (url, original, digest) VALUES (?, ?, ?)",
            [(url, record.original, record.digest) for url, record in captures],
        )
        self._write(
            "INSERT OR IGNORE INTO wayback_revisits (url) VALUES (?)",
            [(url,) for url, record in captures if is_revisit(record)],
        )

    def digest(self, url: str) -> tuple[str, str] | None:
        """The original URL and CDX digest of the listed capture ``url``, or None if never listed."""
        rows = self._read("SELECT original, digest FROM wayback_digests WHERE url = ?", (url,))
        return (rows[0][0], rows[0][1]) if rows else None

    def is_revisit(self, url: str) -> bool:
        """Whether the listed capture ``url`` is a revisit record (``warc/revisit``)."""
        return bool(self._read("SELECT 1 FROM wayback_revisits WHERE url = ?", (url,)))

    def twin(self, url: str, *, page_url: str, page: int) -> CaptureResult | None:
        """A capture read (as listing page ``page`` at ``page_url``) that is identical to the listed
        capture ``url``: the same CDX digest of the same original URL; the earliest, or None.

        Only a capture whose own bytes were read counts (one the archive did not redirect, or
        redirected to a capture whose digest is known; not one stored as identical to another), and
        only one that was served at all: a skip for lack of teasers is shared, an archive error is
        not. The index on ``(digest, original)`` makes this a look-up among the captures of that one
        digest, not a scan of the store.
        """
        rows = self._read(
            "SELECT c.url, c.final_url, c.page_url, c.page, c.archived_at, c.next_url, c.skipped, "
            "c.twin_of FROM wayback_digests mine "
            "JOIN wayback_digests d ON d.digest = mine.digest AND d.original = mine.original "
            "AND d.url != mine.url "
            "JOIN wayback_captures c ON c.url = d.url AND c.final_url = d.url "
            "WHERE mine.url = ? AND c.twin_of IS NULL AND c.archived_at IS NOT NULL AND c.page_url = ? "
            "AND c.page = ? ORDER BY c.archived_at, c.url LIMIT 1",
            (url, page_url, page),
        )
        return self._result(rows[0]) if rows else None

    def lookup(self, page_url: str) -> tuple[CdxRecord, ...] | None:
        """The stored CDX lookup of ``page_url``, or None."""
        rows = self._read("SELECT rows FROM wayback_lookups WHERE page_url = ?", (page_url,))
        return parse_cdx_json(json.loads(rows[0][0])).records if rows else None

    def save_snapshot(self, listed: str, chain: Sequence[CaptureResult], *, complete: bool) -> None:
        """Store which captures make up the snapshot that the listed capture ``listed`` started."""
        first = chain[0]
        assert first.archived_at is not None
        self._write(
            "INSERT OR REPLACE INTO wayback_snapshots (capture, listed, archived_at, chain, complete) "
            "VALUES (?, ?, ?, ?, ?)",
            [
                (
                    first.final_url,
                    listed,
                    _iso(first.archived_at),
                    json.dumps([c.url for c in chain]),
                    complete,
                )
            ],
        )

    def snapshots(self) -> list[Snapshot]:
        """Every stored snapshot, with the ids its pages listed.

        Snapshots made of the same captures read (identical captures of every page) share one set
        of ids: memory grows with the distinct lists, not with the captures."""
        rows = [
            (capture, _from_iso(archived_at), list(json.loads(chain)), bool(complete))
            for capture, archived_at, chain, complete in self._read(
                "SELECT capture, archived_at, chain, complete FROM wayback_snapshots"
            )
        ]
        # A pager page's capture belongs to the snapshot whose page 0 was captured nearest to it;
        # the others that read it carry it (see Snapshot.carried).
        used_by: dict[str, list[datetime]] = {}
        for _, when, chain, _ in rows:
            for url in chain[1:]:
                used_by.setdefault(url, []).append(when)
        pages: dict[str, tuple[int, datetime | None]] = {}
        for url in used_by:
            found = self._read("SELECT page, archived_at FROM wayback_captures WHERE url = ?", (url,))
            page, stamp = found[0] if found else (0, None)
            pages[url] = (int(page), None if stamp is None else _from_iso(stamp))
        snapshots = []
        for capture, when, chain, complete in rows:
            own: list[str] = [chain[0]]
            carried: list[str] = []
            for url in chain[1:]:
                (own if _belongs(when, pages[url][1], used_by[url]) else carried).append(url)
            ids = self._ids_of(own)
            carried_ids = self._ids_of(carried) - ids
            snapshots.append(
                Snapshot(
                    when,
                    capture,
                    ids | carried_ids,
                    complete,
                    carried=carried_ids,
                    carried_pages=tuple((pages[url][0], pages[url][1] or when) for url in carried),
                )
            )
        return snapshots

    def _ids_of(self, urls: Sequence[str]) -> frozenset[str]:
        """The record ids of the captures ``urls``; the same captures share one set (memory grows
        with the distinct lists, not with the snapshots)."""
        sources = tuple(self._source(url) for url in urls)
        ids = self._ids.get(sources)
        if ids is None:
            found: set[str] = set()
            for source in sources:
                if source is not None:
                    found.update(record.id for record in self._stored_records(source))
            ids = self._ids[sources] = frozenset(found)
            while len(self._ids) > RECORDS_CACHE_SIZE:
                self._ids.popitem(last=False)
        return ids

    def _source(self, url: str) -> str | None:
        """The capture whose stored records are those of ``url`` (itself, or the one it points to)."""
        rows = self._read("SELECT twin_of FROM wayback_captures WHERE url = ?", (url,))
        if not rows:
            return None
        return str(rows[0][0]) if rows[0][0] is not None else url

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()


# -- a run -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WaybackEvent:
    """Progress of a run, for a progress bar.

    Attributes:
        kind: ``listed`` (a CDX page read), ``snapshot`` (a capture of page 0 and its pages read),
            ``skipped`` (nothing usable there), ``failed``.
        url: the CDX page or capture concerned.
        done: snapshots finished so far in this run.
        total: snapshots listed so far (grows while the CDX listing pages in).
        detail: a short human-readable note.
    """

    kind: Literal["listed", "snapshot", "skipped", "failed"]
    url: str
    done: int
    total: int
    detail: str = ""


@dataclass
class WaybackStats:
    """Figures and notes of a run, for its summary.

    The captures of page 0 add up, over the whole run (the runs a ``--resume`` continues included):
    ``listed == snapshots + same_as_listed + skipped_captures + failed_captures + unread``.

    Attributes:
        url: the topic page.
        listed: captures of page 0 the CDX listing gave, identical ones included.
        snapshots: of those, the ones read with their pages: one per row of ``changes``.
        same_as_listed: of those, the ones the archive answered with another listed capture that was
            read (it redirects to the nearest capture it can play back): one snapshot for both.
        skipped_captures: of those, the ones with nothing usable (an error or maintenance page, no
            teasers), each named in ``skipped``.
        failed_captures: of those, the ones that could not be read (page 0 or a pager page failed);
            ``--resume`` tries them again.
        unread: of those, the ones not read yet (the run stopped: the archive excludes the URL).
        captures_read: capture requests answered by a capture, this run.
        identical: captures not fetched because one with the same CDX digest (same bytes) was read:
            its records were taken, stamped with this capture's time, this run.
        reused: captures not fetched because this run had read them already, for another snapshot
            (a pager page nearest to two captures of page 0; a capture the archive redirected to).
        resumed: captures not fetched because the run a ``--resume`` continues had read them.
        cdx_requests: requests sent to the CDX endpoint, this run.
        capture_requests: requests sent for captures (redirect hops and retries included), this run.
        records: records written.
        teasers: distinct teasers (record ids).
        rejected: teasers that failed record validation, in the captures read (whole run): written to
            ``rejects`` with the reason, never dropped silently.
        rejects: the rejects file written, None when there was nothing to write there (or no file was
            given: each reject is then logged as a warning).
        skipped: ``(capture URL, why)`` of captures with nothing usable (error pages, no teasers) and
            of pager pages not read (no capture near page 0's); notes, not failures.
        failed: ``(URL, why)`` of what could not be read this run; ``--resume`` tries them again.
        blocked: the archive's reason when it excludes the URL; nothing was read.
        changes: per snapshot, teasers that appeared and disappeared (for ``--summary``).
        fetch: HTTP counters (retries, 429s, seconds waited on ``Retry-After``).
    """

    url: str
    listed: int = 0
    snapshots: int = 0
    same_as_listed: int = 0
    skipped_captures: int = 0
    failed_captures: int = 0
    unread: int = 0
    captures_read: int = 0
    identical: int = 0
    reused: int = 0
    resumed: int = 0
    cdx_requests: int = 0
    capture_requests: int = 0
    records: int = 0
    teasers: int = 0
    rejected: int = 0
    rejects: Path | None = None
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    blocked: str | None = None
    changes: list[SnapshotChange] = field(default_factory=list)
    fetch: FetchStats = field(default_factory=FetchStats)


_T = TypeVar("_T")


class _SharedFailure(Exception):
    """The work another asker of the same key ran failed: its error is that asker's, not this one's.

    Attributes:
        error: what the work raised.
    """

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class _Once:
    """In-flight work shared by key: concurrent askers of one key await one result."""

    def __init__(self) -> None:
        self._running: dict[str, asyncio.Future[Any]] = {}

    async def run(self, key: str, work: Callable[[], Awaitable[_T]]) -> tuple[_T, bool]:
        """``work()``'s result, run once for all who ask for ``key`` while it runs.

        Returns:
            The result, and whether it was shared: True for an asker that found the work running
            (another asker's), False for the asker that ran it. A caller counts what it got
            accordingly: the figures then do not depend on who came first.

        Raises:
            _SharedFailure: the work another asker ran failed (its error as ``error``): a caller
                decides whether that failure is its own.
            Exception: what ``work`` raised, for the asker that ran it.
        """
        running = self._running.get(key)
        if running is not None:
            try:
                shared: _T = await asyncio.shield(running)
            except Exception as exc:
                raise _SharedFailure(exc) from exc
            return shared, True
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._running[key] = future
        try:
            result = await work()
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError):
                future.cancel()
            else:
                future.set_exception(exc)
                future.exception()  # mark it retrieved: nobody else may be waiting
            raise
        else:
            future.set_result(result)
            return result, False
        finally:
            del self._running[key]


class _Stop(Exception):
    """The archive excludes the topic page: stop the whole run."""


class _Run:
    """One ``run_wayback`` call: the frontier loop, the capture cache, the figures."""

    def __init__(
        self,
        url: str,
        *,
        settings: Settings,
        state: CrawlState,
        store: CaptureStore,
        progress: Callable[[WaybackEvent], None] | None,
        clock: Clock,
    ) -> None:
        self.url = url
        self.settings = settings
        self.state = state
        self.store = store
        self.progress = progress
        self.clock = clock
        self.stats = WaybackStats(url=url)
        self.from_date, self.to_date = cdx_range(settings.from_date, settings.to_date)
        self._captures = _Once()
        self._lookups = _Once()
        self._saved: set[str] = set()  # captures this run stored: a later use of one is `reused`
        self.recorded: RecordedCdx | None = None
        self._done = 0
        self._total = 0

    def _emit(
        self, kind: Literal["listed", "snapshot", "skipped", "failed"], url: str, detail: str = ""
    ) -> None:
        if self.progress is not None:
            self.progress(WaybackEvent(kind, url, self._done, self._total, detail))

    def _fail(self, url: str, reason: str) -> None:
        self.stats.failed.append((url, reason))
        self._emit("failed", url, reason)

    async def drive(self, client: httpx.AsyncClient) -> None:
        """Claim frontier items and work on up to ``concurrency`` at once until none is left."""
        tasks: set[asyncio.Task[None]] = set()
        try:
            while True:
                room = self.settings.concurrency - len(tasks)
                if room > 0:
                    for item in self.state.claim(room):
                        tasks.add(asyncio.create_task(self._item(client, item.url, item.page)))
                if not tasks:
                    return
                done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                tasks = set(pending)
                # Every finished task's outcome is taken (the first error is raised, after the
                # others are retrieved): none is left for asyncio to report as never retrieved.
                errors = [task.exception() for task in done if not task.cancelled()]
                error = next((exc for exc in errors if exc is not None), None)
                if error is not None:
                    raise error
        finally:
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)

    async def _item(self, client: httpx.AsyncClient, url: str, page: int) -> None:
        if url.startswith(self.settings.cdx_url):
            await self._list(client, url, page)
        else:
            await self._snapshot(client, url)

    async def _list(self, client: httpx.AsyncClient, query_url: str, page: int) -> None:
        """Read one CDX page: queue its captures and the next page."""
        try:
            listing = await fetch_cdx_page(
                client,
                query_url,
                settings=self.settings,
                stats=self.stats.fetch,
                clock=self.clock,
                recorded=self.recorded,
            )
        except Blocked as exc:
            self.stats.blocked = exc.reason
            self.state.mark_failed(query_url, str(exc))
            raise _Stop(exc.reason) from exc
        except (FetchError, NotArchived) as exc:
            self.state.mark_failed(query_url, str(exc))
            self._fail(query_url, getattr(exc, "reason", None) or str(exc))
            return
        # The server filters already; a CDX server that ignores filters must not make us read junk.
        readable = [
            (record.memento_url(self.settings.archive_url), record)
            for record in listing.records
            if _listable(record)
        ]
        self.store.save_digests(readable)  # before the captures are queued: a worker may claim one now
        self.store.save_listed([capture_url for capture_url, _ in readable])
        for capture_url, _ in readable:
            if self.state.add(capture_url, start_url=self.url, page=0):
                self._total += 1
        _warn_if_cut(listing, self.settings.cdx_page_size, query_url)
        if listing.resume_key is not None:
            next_query = cdx_query_url(
                self.url,
                cdx_url=self.settings.cdx_url,
                from_date=self.from_date,
                to_date=self.to_date,
                collapse=False,
                limit=self.settings.cdx_page_size,
                resume_key=listing.resume_key,
            )
            if not self.state.add(next_query, start_url=self.url, page=page + 1):
                self._fail(query_url, f"the CDX server sent an old resume key again: {listing.resume_key!r}")
        self.state.mark_done(query_url, records=len(listing.records))
        self._emit("listed", query_url, f"{len(listing.records)} capture(s)")

    async def _snapshot(self, client: httpx.AsyncClient, listed: str) -> None:
        """Read a capture of page 0 and the pages its pager leads to, each at the nearest capture."""
        chain: list[CaptureResult] = []
        page_url, page, capture_url = self.url, 0, listed
        seen_pages = {canonicalize(page_url)}
        complete, failure = True, None
        while True:
            try:
                result = await self._capture(client, capture_url, page_url, page)
            except (FetchError, Blocked) as exc:
                failure = (capture_url, getattr(exc, "reason", str(exc)))
                break
            except FixtureMissing:  # replaying: this capture was never read by the recorded run
                failure = (capture_url, self._not_recorded())
                break
            if result.skipped is not None:  # stored with the capture: the run's notes come from the store
                self._emit("skipped", result.url, result.skipped)
                complete = False
                break
            chain.append(result)
            next_url = result.next_url
            if next_url is None:
                break
            if canonicalize(next_url) in seen_pages:
                logger.info("%s: the pager leads back to a page already read; stopping there", result.url)
                break
            if page + 1 >= MAX_ARCHIVED_PAGES:
                logger.warning("%s: %d pages read from one capture; stopping there", listed, page + 1)
                break
            seen_pages.add(canonicalize(next_url))
            try:
                candidates = await self._lookup(client, next_url)
            except (FetchError, Blocked, NotArchived) as exc:
                failure = (next_url, getattr(exc, "reason", None) or str(exc))
                break
            assert chain[0].archived_at is not None
            reason, chosen = self._pager_capture(candidates, chain[0].archived_at)
            if chosen is None:
                self.stats.skipped.append((next_url, reason))
                self._emit("skipped", next_url, reason)
                complete = False
                break
            page_url, page, capture_url = next_url, page + 1, chosen.memento_url(self.settings.archive_url)
        if chain:
            self.store.save_snapshot(listed, chain, complete=complete and failure is None)
        if failure is not None:
            self.store.save_outcome(listed, "failed")
            self.state.mark_failed(listed, f"{failure[0]}: {failure[1]}")
            self._fail(*failure)
            return
        if chain:
            self.store.save_outcome(listed, "read", chain[0].final_url)
        else:
            self.store.save_outcome(listed, "skipped")
        ids = [record.id for result in chain for record in result.records]
        self.state.mark_done(listed, records=len(ids), ids=ids)
        self._done += 1
        if chain:
            self._emit("snapshot", listed, f"{len(chain)} page(s), {len(set(ids))} teaser(s)")

    def _not_recorded(self) -> str:
        """Why a capture is missing from the replayed folder: the recorded run did not read it, or
        read its captures under another ``--archive-url`` (named, to rerun with)."""
        prefixes = () if self.recorded is None else self.recorded.archive_urls
        if len(prefixes) == 1:
            held = prefixes[0]
            return (
                f"not in the fixture folder (it holds captures under {held}: rerun with --archive-url {held})"
            )
        return "not in the fixture folder (the recorded run did not read it)"

    def _pager_capture(self, candidates: Sequence[CdxRecord], when: datetime) -> tuple[str, CdxRecord | None]:
        """The capture of a pager page to read with page 0 captured at ``when``, or why there is none.

        The lookup holds only captures in the run's range; the nearest is taken if it is within
        :data:`PAGER_WINDOW` of page 0.
        """
        chosen = nearest_capture(candidates, when)
        if chosen is None:
            where = " in this range" if self.from_date or self.to_date else ""
            return f"the archive holds no readable capture of this page{where}", None
        gap = abs(chosen.captured_at - when)
        if gap > PAGER_WINDOW:
            return (
                f"no capture near this one: the nearest capture of this page is {_span(gap)} away "
                f"(more than {_span(PAGER_WINDOW)})",
                None,
            )
        return "", chosen

    async def _capture(self, client: httpx.AsyncClient, url: str, page_url: str, page: int) -> CaptureResult:
        """The capture ``url`` read as listing page ``page``: from the store, from an identical capture
        already read (same CDX digest), or fetched once.

        Identical captures listed side by side are read once: the work is shared under their digest,
        and each of the others then takes the records read (see :meth:`_known`). Whatever the
        concurrency, the outcome and the figures are those of one ask after the other: a capture
        handed over while in flight counts as ``reused`` (or ``identical``) as it would from the
        store, and a failed read is only the failure of the capture it read. Another asker then reads
        its own capture (its own ``id_`` URL), and fails only with its own error.
        """
        known = self._known(url, page_url, page)
        if known is not None:
            return known
        listed = self.store.digest(url)
        key = url if listed is None else f"digest {listed[1]} {listed[0]} {page} {page_url}"

        async def read() -> CaptureResult:
            known = self._known(url, page_url, page)  # an identical capture may have been read meanwhile
            if known is not None:
                return known
            result = await self._read(client, url, page_url, page)
            self.store.save_capture(result)
            self._saved.update((result.url, result.final_url))
            return result

        while True:
            try:
                result, shared = await self._captures.run(key, read)
            except _SharedFailure:
                # The read this one waited for failed: an identical capture's, or this capture's for
                # another snapshot. That error is not this ask's (as it would not be one after the
                # other): ask again. The first asker back reads its own capture; the rest wait for it.
                continue
            if not shared:
                return result
            if result.url == url:  # this very capture, read for another snapshot while this one waited
                self.stats.reused += 1
                return result
            known = self._known(url, page_url, page)  # an identical capture's read: take its records
            if known is not None:
                return known
            key = url  # it gives nothing to take (an archive error, a redirect): read this one

    def _known(self, url: str, page_url: str, page: int) -> CaptureResult | None:
        """The capture ``url`` without fetching it, if it can be had so.

        Either it was read already (this run or an interrupted one: ``reused``), or a capture with the
        same digest of the same original URL was (``identical``): its records are taken, stamped with
        this capture's time and URL. They keep the ``fetched_at`` of the read, and a date the page
        showed relative to the capture time ("Yesterday") stays as read then: the bytes are the same
        page, unchanged since, not a newer one. A revisit record is such a capture by definition: the
        digest it lists is that of the capture it repeats. It is stored as a pointer to the capture
        read (:meth:`CaptureStore.save_twin`), not as a copy of its records.
        """
        stored = self.store.capture(url)
        if stored is not None:
            if url in self._saved:
                self.stats.reused += 1
            else:
                self.stats.resumed += 1
            return stored
        twin = self.store.twin(url, page_url=page_url, page=page)
        if twin is None:
            return None
        when = parse_timestamp(_capture_url_parts(url, self.settings.archive_url).timestamp)
        result = CaptureResult(
            url=url,
            final_url=url,
            page_url=twin.page_url,
            page=twin.page,
            archived_at=when,
            records=tuple(
                r.model_copy(update={"archived_at": when, "capture_url": url}) for r in twin.records
            ),
            next_url=twin.next_url,
            skipped=twin.skipped,
        )
        self.store.save_twin(url, twin, when)
        self._saved.add(url)
        self.stats.identical += 1
        return result

    async def _read(self, client: httpx.AsyncClient, url: str, page_url: str, page: int) -> CaptureResult:
        """Fetch and parse one capture; what the archive cannot give becomes a skip with its reason.

        A revisit record read here repeats a capture the run does not know (outside the range, or not
        a 200 page): it is asked for by its own ``id_`` URL, which the Wayback Machine (and pywb)
        answers with the content of the capture it repeats, under the revisit's time. A revisit of an
        error page is answered with that error (a skip), and one of anything but a listing page lists
        no teasers (a skip): no record comes from a revisit that the archive does not serve as a page.

        Links resolve against the URL the capture was made of (its ``original``: ``http://dhs.gov/…``
        in 2011, ``https://www.dhs.gov/…`` later), as a browser did then. The page itself keeps the
        URL it was reached by (``page_url``: the records' ``source_url``), and a next-page link on the
        captured site is spelled on that URL's scheme and host: each pager page is then one URL,
        looked up in the CDX once, whatever the spelling of the captures that link it.
        """
        try:
            capture = await fetch_capture(
                client, url, settings=self.settings, stats=self.stats.fetch, clock=self.clock
            )
        except NotArchived as exc:
            why = exc.detail or str(exc)
            if self.store.is_revisit(url):
                why = f"{_REVISIT_NOTE}; the archive served nothing usable for it: {why}"
            return CaptureResult(url, url, page_url, page, None, skipped=why)
        self.stats.captures_read += 1
        base = CaptureResult(url, capture.url, page_url, page, capture.archived_at)
        try:
            parsed = parse_topic_page(
                capture.content,
                url=capture.original,
                page=page,
                content_type=capture.content_type,
                profile=self.settings.profile,
                backend=self.settings.backend,
            )
        except NoTeasersFound:
            why = "the capture lists no teasers (an error or maintenance page?)"
            if self.store.is_revisit(url):
                why = f"{_REVISIT_NOTE}, and what the archive served for it lists no teasers"
            return replace(base, skipped=why)
        except ParseError as exc:
            note = f"{_REVISIT_NOTE}; " if self.store.is_revisit(url) else ""
            return replace(base, skipped=f"{note}the capture cannot be read: {exc}")
        next_url = _on_site_of(parsed.next_url, capture.original, page_url)
        parsed = parsed.model_copy(update={"url": page_url, "next_url": next_url})
        records, rejects = _validated(parsed, capture)
        return replace(base, records=records, next_url=next_url, rejects=rejects)

    async def _lookup(self, client: httpx.AsyncClient, page_url: str) -> tuple[CdxRecord, ...]:
        """The readable captures of a pager page in the run's range, looked up once (per run, and
        across a resume); their digests are kept, so identical ones are read once."""
        stored = self.store.lookup(page_url)
        if stored is not None:
            return stored

        async def look() -> tuple[CdxRecord, ...]:
            found = tuple(
                [
                    record
                    async for record in iter_cdx(
                        client,
                        page_url,
                        settings=self.settings,
                        from_date=self.from_date,
                        to_date=self.to_date,
                        collapse=False,  # nearest in time wants every capture, identical or not
                        stats=self.stats.fetch,
                        clock=self.clock,
                        recorded=self.recorded,
                    )
                    if _listable(record)
                ]
            )
            self.store.save_digests(
                [(record.memento_url(self.settings.archive_url), record) for record in found]
            )
            self.store.save_lookup(page_url, found)
            return found

        try:
            found, _ = await self._lookups.run(page_url, look)
        except _SharedFailure as failure:  # the same query, asked for another snapshot: its error
            raise failure.error from None
        return found


def _validated(
    page: TopicPage, capture: Capture
) -> tuple[tuple[Record, ...], tuple[tuple[str, dict[str, object]], ...]]:
    """The records of a capture's teasers, and the teasers that fail validation with the reason:
    never dropped silently, they go to the rejects file (as a crawl's do), with the capture they were
    read from."""
    records: list[Record] = []
    rejects: list[tuple[str, dict[str, object]]] = []
    for teaser in page.teasers:
        try:
            records.append(
                page.record(
                    teaser,
                    fetched_at=capture.fetched_at,
                    archived_at=capture.archived_at,
                    capture_url=capture.url,
                )
            )
        except ValidationError as exc:
            reason = validation_problems(exc)
            data = {
                **teaser.model_dump(mode="json"),
                "capture_url": capture.url,
                "archived_at": _iso(capture.archived_at),
            }
            rejects.append((reason, data))
    return tuple(records), tuple(rejects)


_REVISIT_NOTE = "a revisit record of a capture not in this listing (outside the range, or not a 200 page)"


def _span(gap: timedelta) -> str:
    """A time gap for people: whole days when there are any (``2557 days``), else ``h:mm:ss``."""
    if gap.days:
        return f"{gap.days} day" + ("s" if gap.days != 1 else "")
    return str(gap)


def _on_site_of(link: str | None, original: str, page_url: str) -> str | None:
    """``link`` (found on a capture of ``original``) spelled on ``page_url``'s scheme and host, when
    it points at the captured page's own host and that is ``page_url``'s site (``www.`` aside).

    >>> _on_site_of("http://dhs.gov/k?page=1", "http://dhs.gov/k", "https://www.dhs.gov/k")
    'https://www.dhs.gov/k?page=1'
    >>> _on_site_of("https://other.org/k?page=1", "http://dhs.gov/k", "https://www.dhs.gov/k")
    'https://other.org/k?page=1'
    """
    if link is None:
        return None
    target, source, reached = httpx.URL(link), httpx.URL(original), httpx.URL(page_url)
    if target.host != source.host or _site(source.host) != _site(reached.host):
        return link
    return str(target.copy_with(scheme=reached.scheme, host=reached.host, port=reached.port))


def _site(host: str) -> str:
    return host.lower().removeprefix("www.")


def _count_listed(stats: WaybackStats, store: CaptureStore) -> None:
    """Fill in what became of the listed captures of page 0 (see :class:`WaybackStats`)."""
    counts = store.listed_outcomes()
    stats.listed = counts["listed"]
    stats.snapshots = counts["snapshots"]
    stats.same_as_listed = counts["same"]
    stats.skipped_captures = counts["skipped"]
    stats.failed_captures = counts["failed"]
    stats.unread = counts["unread"]


def _write_rejects(
    store: CaptureStore, path: Path | None, *, outputs_written: bool
) -> tuple[int, Path | None]:
    """Write the run's rejects to ``path`` (whole, replacing the file), or log them without one.

    Returns:
        How many teasers were rejected, and the file they are in (None when none was written).
    """
    found = 0
    sink: RejectsSink | None = None
    try:
        for reason, source_url, data in store.rejects():
            found += 1
            if path is None:
                logger.warning(
                    "rejected a teaser on %s (%s): %s", source_url, data.get("capture_url"), reason
                )
                continue
            if sink is None:
                sink = RejectsSink(path, resume=False)
            sink.reject(reason, source_url=source_url, data=data)
    finally:
        if sink is not None:
            sink.close()
    if sink is None and path is not None and outputs_written and path.is_file():
        # It listed the rejects of the output this run has just replaced.
        logger.info("%s: no rejects in this run; removing the earlier run's file", path)
        path.unlink()
    return found, path if sink is not None else None


def _identity(url: str, from_date: str | None, to_date: str | None, settings: Settings) -> dict[str, object]:
    """What makes two wayback runs one: URL, range (as the 14-digit first and last second it covers,
    so ``--from 2011 --to 2016`` and ``--from 2011-01-01 --to 2016-12-31`` are one range), CDX and
    archive URLs."""
    return {
        "command": "wayback",
        "url": url,
        "from": None if from_date is None else format_timestamp(parse_timestamp(from_date)),
        "to": None if to_date is None else _period_end(to_date),
        "cdx_url": settings.cdx_url,
        "archive_url": archive_prefix(settings.archive_url),
    }


def _period_end(timestamp: str) -> str:
    """The last second of the period a Wayback timestamp names (``2016`` → ``20161231235959``).

    >>> _period_end("2016"), _period_end("201602"), _period_end("20160701140312")
    ('20161231235959', '20160229235959', '20160701140312')
    """
    start = parse_timestamp(timestamp)
    if len(timestamp) == 4:
        after = start.replace(year=start.year + 1)
    elif len(timestamp) == 6:
        after = (start + timedelta(days=31)).replace(day=1)
    else:
        after = start + {8: timedelta(days=1), 10: timedelta(hours=1), 12: timedelta(minutes=1)}.get(
            len(timestamp), timedelta(seconds=1)
        )
    return format_timestamp(after - timedelta(seconds=1))


def _start_run(state: CrawlState, identity: dict[str, object], *, resume: bool) -> None:
    """``state.start_run`` with ``identity``; a resumed state file written by an earlier topicscrape,
    which stored the range as typed (``2011``), is the same run when its range means the same."""
    try:
        state.start_run(identity, resume=resume, identity=identity)
    except StateMismatch as exc:
        stored = exc.stored
        if stored is None or not _same_range_as_typed(stored, identity):
            raise
        state.start_run(identity, resume=resume, identity=stored)


def _same_range_as_typed(stored: dict[str, object], identity: dict[str, object]) -> bool:
    """Whether ``stored`` (an identity with the range as typed) is ``identity``."""
    low, high = stored.get("from"), stored.get("to")
    for value in (low, high):
        if value is not None and not (isinstance(value, str) and _TIMESTAMP_RE.match(value)):
            return False
    normalised = {
        **stored,
        "from": None if low is None else format_timestamp(parse_timestamp(str(low))),
        "to": None if high is None else _period_end(str(high)),
    }
    return normalised == identity


async def run_wayback(
    url: str,
    *,
    settings: Settings,
    sinks: Sequence[Sink] = (),
    open_sinks: Callable[[], Sequence[Sink]] | None = None,
    state: CrawlState | None = None,
    rejects: Path | None = None,
    progress: Callable[[WaybackEvent], None] | None = None,
    clock: Clock = SYSTEM_CLOCK,
    transport: httpx.AsyncBaseTransport | None = None,
) -> WaybackStats:
    """Read every capture of the topic page ``url`` in the archive and write the merged teasers.

    Lists the captures (``settings.from_date``/``to_date``, CDX at ``settings.cdx_url``), reads each
    with its pager pages (captures at ``settings.archive_url``), then writes :func:`merge_records`
    of everything read to each sink, once, at the end (``settings.all_captures`` for one record per
    capture). Failures are listed in the returned stats; the run goes on past them.

    Identical captures (the same CDX digest) are all listed, and each counts as a sighting, but
    only the first is fetched: the others take its records, stamped with their own time
    (``stats.identical``). A pager page is read at its capture nearest to page 0's, within the
    range and :data:`PAGER_WINDOW`.

    Args:
        url: the topic page's original URL.
        settings: see the ``web archive`` fields of :class:`~scraper.settings.Settings`; ``replay``
            reads a fixture folder instead of the network; ``concurrency`` snapshots are read at once.
        sinks: where the records go. File sinks should be opened with ``resume=False``: the whole
            merged output is written at the end of every run (see the module docstring).
        open_sinks: opens more sinks, called at the end only when there are records to write: an
            output opened there is left as it was by a run that read nothing (the CDX down, no
            capture in the range), where opening a file sink empties it.
        state: the crawl state, for ``--resume`` (``settings.resume``). The run's identity (URL,
            range, CDX and archive URLs) is stored in it; a resume of another run's state raises
            :class:`~scraper.errors.StateMismatch` before anything is read. None keeps it in memory.
        rejects: the JSON Lines file for teasers that fail record validation (the reason, the page,
            the teaser's fields and the capture it was read from; ``default_rejects_path`` of the
            first output). Written at the end, whole, like the outputs, whenever there are rejects;
            a rejects file left by an earlier run is removed when this run writes its outputs
            without any. None: each reject is logged as a warning instead.
        progress: called with a :class:`WaybackEvent` as the run goes.
        clock: time source for pacing and waits.
        transport: the transport that does the I/O (default: the network, or the replay folder);
            pacing and :class:`ArchiveTransport` are put over it.

    Returns:
        The run's figures and notes. ``stats.blocked`` is set (and nothing written) when the archive
        excludes ``url``.

    Raises:
        ValueError: ``url`` is not an http(s) URL, a date is not readable, the range ends before it
            starts, or ``settings.archive_url`` cannot be a capture prefix (see :func:`archive_prefix`).
        StateMismatch: ``settings.resume`` with a state that belongs to another run.
        FileNotFoundError: the replay folder does not exist.
    """
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) URL: {url!r}")
    from_date, to_date = cdx_range(settings.from_date, settings.to_date)
    identity = _identity(url, from_date, to_date, settings)
    owned = state is None
    if state is None:
        state = CrawlState.open(":memory:", clock=clock.now)
    store = CaptureStore(state.path)
    try:
        run = _Run(url, settings=settings, state=state, store=store, progress=progress, clock=clock)
        stack = build_archive_transport(settings, transport=transport, clock=clock)
        run.recorded = stack.recorded
        _start_run(state, identity, resume=settings.resume)
        if settings.resume:
            state.requeue_failed()
        else:
            store.clear()
        first = cdx_query_url(
            url,
            cdx_url=settings.cdx_url,
            from_date=run.from_date,
            to_date=run.to_date,
            limit=settings.cdx_page_size,
        )
        state.add(first, start_url=url, page=0)
        try:
            async with build_client(settings, transport=stack, clock=clock) as client:
                await run.drive(client)
        except _Stop:
            state.end_run("failed")
            _count_listed(run.stats, store)
            return run.stats
        except (asyncio.CancelledError, KeyboardInterrupt):
            state.end_run("interrupted")
            raise
        finally:
            run.stats.cdx_requests = stack.counts["cdx"]
            run.stats.capture_requests = stack.counts["captures"]
        stats = run.stats
        stats.skipped = store.skipped() + stats.skipped
        records = merge_records(
            (record for capture in store.iter_captures() for record in capture.records),
            all_captures=settings.all_captures,
        )
        opened = open_sinks() if open_sinks is not None and records else ()
        for sink in (*sinks, *opened):
            sink.write(records)
        stats.rejected, stats.rejects = _write_rejects(store, rejects, outputs_written=bool(opened))
        _count_listed(stats, store)
        stats.changes = summarize(store.snapshots())
        stats.records = len(records)
        stats.teasers = len({record.id for record in records})
        state.end_run("failed" if stats.failed else "done")
        return stats
    finally:
        store.close()
        if owned:
            state.close()
