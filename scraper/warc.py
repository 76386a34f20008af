"""WARC files: record a crawl as WARC/1.1, read any tool's WARC back, replay it like a fixture folder.

WARC (ISO 28500) is what web archives and their tools (warcio, pywb, Heritrix, wget, Browsertrix)
read and write. This module speaks it through warcio and plugs it into the fixture machinery of
:mod:`scraper.fixtures`, so nothing about replay is implemented twice:

- :class:`WarcRecordingTransport` is a :class:`~scraper.fixtures.CapturingTransport` (the same tee as
  the folder recorder) that appends a ``request`` and a ``response`` record per exchange. Each
  record is its own gzip member (for ``.warc.gz``), so files concatenate and a crash loses at most
  the exchange being written. The response block is the HTTP message as received, except that
  credentials are removed (:data:`~scraper.fixtures.SECRET_HEADERS`, from the request record too)
  and a chunked body is stored de-chunked with a ``Content-Length`` (the HTTP layer removes the
  chunking before we see the bytes). ``Content-Encoding`` is kept, with the still-encoded payload,
  as WARC expects; warcio adds ``WARC-Payload-Digest`` and ``WARC-Block-Digest``. Appends hold an
  ``flock`` on the file, so several processes may record into one WARC.
- :func:`read_warc` yields every response in a WARC, whoever wrote it: bodies de-chunked and
  decoded from their Content-Encoding (gzip, deflate, and whatever else httpx decodes), revisit
  records resolved to the payload they point at, and the request method taken from the matching
  request record.
- :class:`WarcArchive` holds a WARC's responses in memory as a
  :class:`~scraper.fixtures.ResponseSource`: :class:`~scraper.fixtures.ReplayTransport` and
  ``topicscrape serve`` read it exactly as they read a folder. When a URL was captured more than
  once, the last capture in the file wins (a re-recording appends). URLs are stored and looked
  up as fixture folders do (:func:`~scraper.fixtures.fixture_url`): no userinfo and no fragment
  is ever written to ``WARC-Target-URI``, and one read from another tool's file does not matter.

**A body that did not come whole is never returned as a page.** A response record is *cut* when
the file ends inside it (fewer bytes than its WARC ``Content-Length``: a crash, a copy stopped
half-way), when it fails its ``WARC-Block-Digest`` or ``WARC-Payload-Digest`` (warcio's
``check_digests``; a corrupt gzip member also ends the file there, for warcio reads no further),
or when its payload is shorter than its HTTP ``Content-Length`` (the capture itself was cut; an
empty payload is left alone, as a HEAD response has one). What each command does with one:

- ``parse FILE.warc.gz`` (:func:`iter_warc_pages`) and ``record --from-warc`` (:func:`warc_to_folder`)
  skip it with a WARNING naming the file, the URL and the byte counts, and go on with the whole
  records: one crash-cut record at the end must not cost the rest of the archive.
- ``--replay FILE.warc.gz`` and ``serve FILE.warc.gz`` (:class:`WarcArchive`) warn the same way
  when loading, replay an earlier whole capture of that URL if there is one, and otherwise raise
  :class:`~scraper.errors.FixtureCorrupt` (naming URL, byte counts and the re-record command)
  when the URL is asked for: the crawl lists that page as failed, ``serve`` answers 500.
- A file that cannot be read on from some record (it ends inside that record's headers or first
  line, or warcio trips over what is left of them, whatever it raises: :data:`UNREADABLE_ERRORS`)
  gives one WARNING with the byte offset, and every whole record before it is used. Damage in the
  middle (a gzip member or header lines garbled) costs only the records it hits: the reader finds
  the next whole record (:func:`_next_record`: a gzip member that inflates to ``WARC/1.x``, or a
  ``WARC/1.x`` line in a plain file) and reads on, with a WARNING naming the bytes skipped. Only
  a file with no whole record at the start (not a WARC, or cut inside its first record) raises
  :class:`~scraper.errors.WarcNotAppendable`, a ``FixtureCorrupt``.
- A request record whose request line is cut (``G``) lends no method (:func:`_request_method`);
  its response stays a GET, with a warning.
- A response whose payload does not decode whole from its ``Content-Encoding`` (a gzip stream cut
  on the wire, recorded whole by another tool) is cut too, by :func:`~scraper.fixtures.decoded_body`.

**Recording never makes a file unreadable.** :class:`WarcRecordingTransport` writes no response
whose body does not decode whole (the fetch rejected it; the folder recorder skips it too), and
before appending to an existing file it checks, once, that the file reads to its end
(:func:`check_appendable`): a record appended after a cut could never be read. A file that does
not is refused with :class:`~scraper.errors.WarcNotAppendable`, which says to move it away; so is
re-recording a URL whose only capture is cut in such a file, and a URL missing from one (it may
have been in the lost part).

Example::

    transport = WarcRecordingTransport(httpx.AsyncHTTPTransport(), "crawl.warc.gz")
    ...
    with httpx.Client(transport=WarcReplayTransport("crawl.warc.gz")) as client:
        client.get("https://www.dhs.gov/keywords/secure-communities")
"""

from __future__ import annotations

import http
import logging
import os
import re
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import IO, Any, NamedTuple, cast

import httpx
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataReader, DecompressingBufferedReader
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParserException
from warcio.warcwriter import WARCWriter

from scraper._version import __version__
from scraper.errors import FixtureCorrupt, WarcNotAppendable
from scraper.fixtures import (
    DROPPED_HEADERS,
    SECRET_HEADERS,
    CapturingTransport,
    Exchange,
    FixtureFolder,
    ReplayTransport,
    ResponseSource,
    SavedResponse,
    decoded_body,
    fixture_key,
    fixture_url,
)

try:
    import fcntl
except ImportError:  # Windows: appends are whole writes, but two processes are not kept apart
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "HOP_BY_HOP_HEADERS",
    "PAGE_MEDIA_TYPES",
    "WARC_SUFFIXES",
    "WarcArchive",
    "WarcPage",
    "WarcRecordingTransport",
    "WarcReplayTransport",
    "WarcResponse",
    "check_appendable",
    "is_warc_path",
    "iter_warc_pages",
    "open_fixtures",
    "read_warc",
    "warc_to_folder",
]

logger = logging.getLogger(__name__)

WARC_SUFFIXES = (".warc", ".warc.gz")
"""A path ending so (any case) is a WARC file; anything else is a fixture folder."""

WARC_VERSION = "1.1"
SOFTWARE = f"topicscrape/{__version__}"

PAGE_MEDIA_TYPES = frozenset({"text/html", "application/xhtml+xml"})
"""Responses :func:`iter_warc_pages` hands to the parser (plus unlabelled ones, as the crawler does)."""

HOP_BY_HOP_HEADERS = frozenset({"connection", "keep-alive", "transfer-encoding"})
"""Describe one connection, not the response (RFC 9110 §7.6.1); not kept in a written record."""

NOT_MODIFIED = 304
NO_BODY_STATUSES = frozenset({204, 304})
"""Statuses whose ``Content-Length`` describes no body here (RFC 9110 §8.6), so it is not checked."""

HTTP_METHODS = frozenset({"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"})
"""RFC 9110 §9 methods, plus PATCH (RFC 5789): taken from a request line even with no target after."""

UNREADABLE_ERRORS: tuple[type[Exception], ...] = (
    ArchiveLoadFailed,
    StatusAndHeadersParserException,
    zlib.error,
    EOFError,
    # warcio 1.8 parses what it is given: a record whose WARC headers are cut before
    # WARC-Target-URI raises AttributeError ('NoneType' has no 'startswith'), a cut number a
    # ValueError. Any of these means the file cannot be read on from that record.
    AttributeError,
    IndexError,
    KeyError,
    TypeError,
    ValueError,
)
"""What warcio raises on a damaged WARC; each means "unreadable from here", never a crash."""

PAYLOAD_ERRORS: tuple[type[Exception], ...] = (ArchiveLoadFailed, zlib.error, EOFError)
"""What reading a record's body may raise on damaged bytes (a corrupt gzip member)."""

MAX_ERROR_TEXT = 100
"""Characters of a warcio error message kept in a warning (its messages quote the damaged bytes)."""

GZIP_MAGIC = b"\x1f\x8b"
TAIL_PEEK = 64 * 1024
"""Bytes read from an unreadable end of file to find which URL its record was for (headers come first)."""

_REVISIT_NOT_MODIFIED = "server-not-modified"
_METHOD_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
"""An HTTP method is a token (RFC 9110 §9.1)."""


def is_warc_path(path: str | Path) -> bool:
    """Whether ``path`` names a WARC file (``.warc`` or ``.warc.gz``) rather than a fixture folder.

    >>> is_warc_path("crawl.warc.gz"), is_warc_path("fixtures/dhs")
    (True, False)
    """
    return str(path).lower().endswith(WARC_SUFFIXES)


def open_fixtures(path: str | Path) -> ResponseSource:
    """The saved responses at ``path``: a WARC file (by its suffix) or a fixture folder.

    A WARC file opened again unchanged gives the same (read-only) archive, read and warned about once.

    Raises:
        FileNotFoundError: there is no such file or folder.
        FixtureCorrupt: the file is not a readable WARC, or the folder's index is broken (a
            ``ValueError`` too).
        ValueError: the path is a file of another kind.
    """
    path = Path(path)
    if is_warc_path(path):
        return _load_once(path)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{path} is neither a fixture folder nor a WARC file (.warc, .warc.gz)")
    if not path.is_dir():
        raise FileNotFoundError(f"fixture folder not found: {path}")
    return FixtureFolder.load(path)


_last_loaded: tuple[tuple[Path, int, int, int, int], WarcArchive] | None = None
_last_loaded_lock = threading.Lock()


def _load_once(path: Path) -> WarcArchive:
    """:meth:`WarcArchive.load`, reusing the archive read last when it is the same, unchanged file.

    A command opens its source twice (the CLI checks it before any output is opened, then the
    replay or the server opens it): read once, its warnings about cut records are given once.
    Only the last archive is kept; any change to the file (size, mtime, inode) reads it again.
    """
    global _last_loaded
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise FileNotFoundError(f"WARC file not found: {path}") from None
    key = (path.resolve(), stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)
    with _last_loaded_lock:
        if _last_loaded is not None and _last_loaded[0] == key:
            return _last_loaded[1]
    archive = WarcArchive.load(path)
    with _last_loaded_lock:
        _last_loaded = (key, archive)
    return archive


# -- reading ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WarcResponse:
    """One response read from a WARC, shaped like a fixture entry.

    Attributes:
        url: ``WARC-Target-URI``.
        status: the HTTP status.
        headers: the HTTP headers in order, without :data:`~scraper.fixtures.DROPPED_HEADERS`
            (the body is decoded, and secrets are never passed on).
        body: the payload, de-chunked and decoded from its Content-Encoding.
        date: ``WARC-Date`` (UTC), or None when missing or unreadable.
        method: the request method, from the request record that goes with it (GET if none).
        record_id: ``WARC-Record-ID``.
    """

    url: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    date: datetime | None
    method: str = "GET"
    record_id: str | None = None

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


class WarcPage(NamedTuple):
    """A page for the parser: what ``topicscrape parse FILE.warc.gz`` turns into records."""

    url: str
    content_type: str | None
    body: bytes
    fetched_at: datetime | None


def read_warc(path: str | Path, *, damage: list[str] | None = None) -> Iterator[WarcResponse]:
    """Every whole response in the WARC at ``path``, in file order.

    Reads ``response`` records, and ``revisit`` records resolved to the payload they refer to (by
    ``WARC-Payload-Digest``, or for a server-not-modified revisit the latest earlier response for
    ``WARC-Refers-To-Target-URI``); a revisit whose original is not in the file is skipped with a
    warning, as is a response whose body does not match its Content-Encoding, and one whose body is
    cut (see the module docstring). ``request`` records only lend their method to their response.
    Other record types (warcinfo, metadata, resource) are skipped. Compressed (one gzip member per
    record) and plain WARCs are both read. ``damage`` gets one line per cut response and for a
    part of the file that cannot be read (each also warned about).

    Raises:
        FileNotFoundError: no such file.
        FixtureCorrupt: the file is not a WARC (or ARC) file, or cannot be read on from some point
            (a ``ValueError`` too).
    """
    for found in _read_all(Path(path)):
        if isinstance(found, WarcResponse):
            yield found
            continue
        if isinstance(found, _Cut):
            _warn_cut(Path(path), found)
        if damage is not None:
            damage.append(found.problem)


WARC_STARTS = (GZIP_MAGIC, b"WARC/", b"filedesc://")
"""How a WARC file (compressed or not) or an ARC file begins; anything else is not one, though
warcio, lenient, reads the lines of an HTML page as ARC records."""


def _read_all(path: Path) -> Iterator[WarcResponse | _Cut | _Broken]:
    with path.open("rb") as fh:
        start = fh.read(16)
        if start and not start.startswith(WARC_STARTS):
            shown = start.decode("ascii", "replace").split("\n", 1)[0]
            raise WarcNotAppendable(path, f"is not a WARC file (it begins {shown!r}, not 'WARC/')")
        fh.seek(0)
        yield from _Reader(path).responses(fh)


def _warn_cut(path: Path, cut: _Cut) -> None:
    logger.warning("%s: skipping the response for %s: %s", path, cut.response.url, cut.problem)


def iter_warc_pages(path: str | Path, *, damage: list[str] | None = None) -> Iterator[WarcPage]:
    """The pages in a WARC worth parsing: GET responses with a 2xx status whose media type is HTML
    (:data:`PAGE_MEDIA_TYPES`) or not given. A page whose body is cut is skipped with a warning,
    and named in ``damage`` (see :func:`read_warc`).

    Raises:
        FileNotFoundError: no such file.
        FixtureCorrupt: the file is not a WARC file (a ``ValueError`` too).
    """
    for response in read_warc(path, damage=damage):
        if response.method != "GET" or not 200 <= response.status < 300:
            continue
        content_type = response.header("Content-Type")
        media = content_type.split(";", 1)[0].strip().lower() if content_type else None
        if media is None or media in PAGE_MEDIA_TYPES:
            yield WarcPage(response.url, content_type, response.body, response.date)


@dataclass(frozen=True)
class _Cut:
    """A response record whose body did not come whole: never handed on as a page.

    Attributes:
        response: the record's URL, status and headers, with an empty body.
        problem: what is wrong, with the byte counts ("cut short: 27450 of 43541 bytes ...").
    """

    response: WarcResponse
    problem: str
    in_file: bool = True


@dataclass(frozen=True)
class _Broken:
    """The file cannot be read on from ``offset`` (a cut, damaged bytes): nothing may be appended.

    Attributes:
        offset: the byte where the unreadable part starts.
        problem: what is wrong and how much is lost, as warned.
    """

    offset: int
    problem: str
    cause: str = ""
    """What is wrong, without what is lost (the file may be read on after it)."""
    warned: bool = False
    """Whether the damage was warned about already (a cut response, with its URL)."""


def _with_method(found: WarcResponse | _Cut, method: str) -> WarcResponse | _Cut:
    if isinstance(found, _Cut):
        return replace(found, response=replace(found.response, method=method))
    return replace(found, method=method)


class _Reader:
    """One pass over a WARC; remembers where earlier payloads are so revisits can be resolved."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.by_digest: dict[str, int] = {}
        self.by_url: dict[str, int] = {}

    def responses(self, fh: IO[bytes]) -> Iterator[WarcResponse | _Cut | _Broken]:
        """Yield responses (and cut ones), each once the record after it (maybe its request) is seen;
        last, a :class:`_Broken` when the file cannot be read to its end (warned about: the whole
        records before the break are all there is).

        Raises:
            WarcNotAppendable: the file holds no whole record at all (not a WARC, or cut inside its
                first record); a ``FixtureCorrupt`` and a ``ValueError`` too.
        """
        size = self.path.stat().st_size
        first = True
        while True:
            broken: list[_Broken] = []
            yield from self._segment(fh, broken, size, first=first)
            if not broken:
                return
            first = False
            damage = broken[0]
            resume = _next_record(fh, damage.offset + 1)
            if resume is None:
                if not damage.warned:
                    logger.warning("%s: %s", self.path, damage.problem)
                yield damage
                return
            problem = (
                f"{damage.cause}: bytes {damage.offset} to {resume} are skipped, and the file is read on "
                f"from the next whole record, at byte {resume}"
            )
            logger.warning("%s: %s", self.path, problem)
            yield _Broken(damage.offset, problem)
            fh.seek(resume)

    def _segment(
        self, fh: IO[bytes], broken: list[_Broken], size: int, *, first: bool
    ) -> Iterator[WarcResponse | _Cut | _Broken]:
        """The responses from ``fh``'s position to the end of the file, or to the first damage
        (put in ``broken``, not yet warned about: the file may be read on after it)."""
        records = _Records(fh, check_digests=True)
        pending: WarcResponse | _Cut | None = None
        methods: dict[str, str] = {}  # request record id → method, for responses that name it
        whole = 0  # records read to their end
        short: tuple[int, str] | None = None  # (offset, kind) of a record the file ends inside
        failures: list[str] = []
        try:
            for record in _each(records, failures):
                kind = record.rec_type
                warc = record.rec_headers
                if kind == "request":
                    method = self._request(record)
                    refers = warc.get_header("WARC-Concurrent-To")
                    if method is not None:
                        if pending is not None and refers is not None and refers == _record_id(pending):
                            pending = _with_method(pending, method)
                        else:
                            methods[warc.get_header("WARC-Record-ID") or ""] = method
                else:
                    if pending is not None:
                        yield pending
                        pending = None
                    if kind in ("response", "revisit"):
                        found = self._read(record, records)
                        if found is not None:
                            method = methods.pop(warc.get_header("WARC-Concurrent-To") or "", None)
                            pending = found if method is None else _with_method(found, method)
                if _is_short(record):
                    short = (records.get_record_offset(), kind)
                else:
                    whole += 1
        except PAYLOAD_ERRORS as exc:  # reading a body: damaged compressed bytes
            failures.append(_one_line(exc))
        if first and whole == 0 and size > 0:
            what = failures[0] if failures else f"it ends inside its first record, after {size} bytes"
            raise WarcNotAppendable(self.path, f"is not a readable WARC file: {what}")
        if pending is not None:
            yield pending
        if failures or records.offset < size:
            offset = min(records.offset, size)
            uri = _tail_uri(self.path, offset)
            # warcio stops quietly at a record whose headers the file ends inside of, and raises
            # (ArchiveLoadFailed, or worse) at one whose first lines are cut or damaged.
            why = f"a record cannot be read ({failures[0]})" if failures else "the file ends inside a record"
            cause = f"{why}{f' (of {uri})' if uri else ''}"
            problem = (
                f"{cause}: its last {size - offset} bytes "
                f"(from byte {offset}) cannot be read; the {whole} whole records before it are used"
            )
            broken.append(_Broken(offset, problem, cause))
        elif short is not None:
            offset, kind = short
            problem = f"the file ends inside its last record (a {kind} record, from byte {offset})"
            # A cut response was warned about with its URL and byte counts.
            broken.append(_Broken(offset, problem, f"a {kind} record is cut", warned=kind == "response"))

    def _request(self, record: Any) -> str | None:
        """The method of a request record, or None (warned about when its request line is cut)."""
        method = _request_method(record)
        if method is None:
            url = _target_uri(record.rec_headers.get_header("WARC-Target-URI")) or "an unnamed URL"
            logger.warning(
                "%s: the request record for %s is cut or damaged (no whole request line): "
                "its response, if any, is taken as a GET",
                self.path,
                url,
            )
        return method

    def _read(self, record: Any, records: ArchiveIterator) -> WarcResponse | _Cut | None:
        """The response a record stands for, or None (logged) when it cannot be had."""
        if record.rec_type == "revisit":
            return self._resolve(record)
        found = _response(record, self.path)
        if found is None:
            return None
        # Only after the body is read: asking for the offset makes warcio skip to the record's end.
        offset = records.get_record_offset()
        if isinstance(found, _Cut):
            if not found.in_file:
                return found
            return replace(found, problem=f"{found.problem}; {_why_cut(self.path, offset)}")
        digest = record.rec_headers.get_header("WARC-Payload-Digest")
        if digest:
            self.by_digest.setdefault(digest, offset)
        self.by_url[_key(found.url)] = offset
        return found

    def _resolve(self, record: Any) -> WarcResponse | None:
        """A revisit made whole: its own status and headers (if it has them) with the original payload."""
        warc = record.rec_headers
        url = _target_uri(warc.get_header("WARC-Target-URI"))
        if not url:
            return None
        profile = warc.get_header("WARC-Profile") or ""
        if _REVISIT_NOT_MODIFIED in profile:
            refers = _target_uri(warc.get_header("WARC-Refers-To-Target-URI")) or url
            offset = self.by_url.get(_key(refers))
        else:
            offset = self.by_digest.get(warc.get_header("WARC-Payload-Digest") or "")
        original = self._original(offset) if offset is not None else None
        if original is None:
            logger.warning(
                "%s: skipping the revisit of %s: the record it refers to is not here", self.path, url
            )
            return None
        status, headers = _status_and_headers(record.http_headers)
        if status is None or _REVISIT_NOT_MODIFIED in profile:
            # A 304 (or a bare revisit) stands for the original response as it was.
            status, headers = original.status, list(original.headers)
        return WarcResponse(
            url,
            status,
            _kept(headers),
            original.body,
            _warc_date(warc.get_header("WARC-Date")),
            record_id=warc.get_header("WARC-Record-ID"),
        )

    def _original(self, offset: int) -> WarcResponse | None:
        """The response record at ``offset`` of this file, read again."""
        with self.path.open("rb") as fh:
            fh.seek(offset)
            for record in _Records(fh):
                if record.rec_type != "response":
                    return None
                found = _response(record, self.path)
                return found if isinstance(found, WarcResponse) else None
        return None


class _QuietReader(DecompressingBufferedReader):  # type: ignore[misc]
    """warcio's reader, without the line it writes straight to stderr when a gzip member breaks off
    half-way ("Error -3 while decompressing data"): the cut is found and warned about anyway."""

    def _decompress(self, data: bytes) -> bytes:
        if self.decompressor and data and self.num_block_read:
            try:
                return cast(bytes, self.decompressor.decompress(data))
            except zlib.error:
                return b""  # what warcio returns, after its note
        return cast(bytes, super()._decompress(data))


class _Records(ArchiveIterator):  # type: ignore[misc]
    """warcio's record iterator, without the notes it writes straight to stderr: when a record is
    not followed by a blank line ("Record not followed by newline…", three lines per record), and
    when a gzip member breaks off (:class:`_QuietReader`). The reader's own warning names the
    damage once, through logging, and a CLI error stays one line."""

    INC_RECORD = ""

    def __init__(self, fileobj: IO[bytes], **kwargs: Any) -> None:
        super().__init__(fileobj, **kwargs)
        self.reader.__class__ = _QuietReader


def _each(records: ArchiveIterator, failures: list[str]) -> Iterator[Any]:
    """warcio's records until the first one it cannot read, whose error is added to ``failures``."""
    iterator = iter(records)
    while True:
        try:
            record = next(iterator)
        except StopIteration:
            return
        except (*PAYLOAD_ERRORS, StatusAndHeadersParserException) as exc:
            failures.append(_one_line(exc))
            return
        except UNREADABLE_ERRORS as exc:  # warcio tripping over what it parsed
            failures.append(f"cut or damaged record headers; warcio: {_one_line(exc)}")
            return
        yield record


def _is_short(record: Any) -> bool:
    """Whether the file ends inside ``record``: fewer bytes than its WARC ``Content-Length``, or
    headers cut before that (mandatory) field, so that warcio reads to the end of the file.

    Reads what is left of the record (usually nothing: its body has been read already).
    """
    block = record.raw_stream
    while block.read(64 * 1024):
        pass
    if str(getattr(record, "format", "")).startswith("warc"):
        declared = record.rec_headers.get_header("Content-Length")
        if declared is None or not declared.strip().isdigit():  # cut before or inside its value
            return True
    return getattr(record, "length", None) is None or int(getattr(block, "limit", 0) or 0) > 0


def _one_line(exc: BaseException) -> str:
    """``ExcType: message`` on one short printable line: warcio's messages quote the damaged bytes
    (a binary "first line" of hundreds of bytes, line breaks and all)."""
    said = " ".join(str(exc).split())
    said = "".join(c if c.isprintable() else "?" for c in said)
    if len(said) > MAX_ERROR_TEXT:
        said = said[:MAX_ERROR_TEXT] + "..."
    return f"{type(exc).__name__}: {said}" if said else type(exc).__name__


def _record_id(found: WarcResponse | _Cut) -> str | None:
    return found.response.record_id if isinstance(found, _Cut) else found.record_id


def _response(record: Any, path: Path) -> WarcResponse | _Cut | None:
    """The response in a ``response`` record; a :class:`_Cut` when its body did not come whole;
    None (logged) when it has no URL, status or decodable body."""
    warc = record.rec_headers
    url = _target_uri(warc.get_header("WARC-Target-URI"))
    if not url:
        return None
    status, headers = _status_and_headers(record.http_headers)
    if status is None:
        logger.warning("%s: skipping the response for %s: no HTTP status line", path, url)
        return None
    found = WarcResponse(
        url,
        status,
        _kept(headers),
        b"",
        _warc_date(warc.get_header("WARC-Date")),
        record_id=warc.get_header("WARC-Record-ID"),
    )
    raw = _payload(record, status, headers)
    if isinstance(raw, str):
        return _Cut(found, raw)
    try:
        body = decoded_body(raw, httpx.Headers(headers))
    except httpx.DecodingError as exc:
        # A gzip/deflate stream that ends early is a capture cut on the wire (a closed connection):
        # the record is whole, the page in it is not.
        return _Cut(found, f"its body does not decode whole from its Content-Encoding ({exc})", in_file=False)
    return replace(found, body=body)


def _payload(record: Any, status: int, headers: list[tuple[str, str]]) -> bytes | str:
    """The payload as captured (de-chunked), or what is wrong with it when it did not come whole.

    Three checks, each a way a body gets cut: the file ends inside the record (fewer bytes than its
    WARC ``Content-Length``), the record fails its ``WARC-Block-Digest``/``WARC-Payload-Digest``
    (warcio's ``check_digests``), or the payload is shorter than the HTTP ``Content-Length`` (the
    capture itself was cut; an empty one is left alone, as a HEAD response is).
    """
    chunked = any(k.lower() == "transfer-encoding" and "chunked" in v.lower() for k, v in headers)
    block = record.raw_stream
    raw: bytes = ChunkedDataReader(block).read() if chunked else block.read()
    block.read()  # whatever the de-chunking left, so the counts and digests below see the whole block
    missing = getattr(block, "limit", 0)
    if missing > 0:
        told = f"{len(raw)} of {len(raw) + missing} body bytes" if not chunked else f"{missing} bytes missing"
        return f"cut short ({told})"
    checker = getattr(record, "digest_checker", None)
    problems = [str(problem) for problem in checker.problems] if checker is not None else []
    # A digest warcio cannot compute ("unknown hash algorithm") says nothing about the bytes. Over a
    # chunked body, tools disagree on what the payload digest covers (chunked or de-chunked bytes:
    # warcio issues #74, #75), so only the block digest counts there.
    failed = [p for p in problems if p.startswith("block digest failed")]
    if not chunked:
        failed += [p for p in problems if p.startswith("payload digest failed")]
    if failed:
        return "corrupt: " + "; ".join(failed)
    declared = next((v for k, v in headers if k.lower() == "content-length"), None)
    if not chunked and declared is not None and declared.strip().isdigit() and status not in NO_BODY_STATUSES:
        expected = int(declared)
        if 0 < len(raw) < expected:
            return f"cut short when it was captured ({len(raw)} of {expected} bytes, its Content-Length)"
    return raw


def _why_cut(path: Path, offset: int) -> str:
    """Why the record at ``offset`` ended early: the file ends inside it, or its gzip data is corrupt
    (the file is then read on from the next whole record, :func:`_next_record`)."""
    with path.open("rb") as fh:
        fh.seek(offset)
        if fh.read(2) != GZIP_MAGIC:
            return "the file ends inside the record"
        fh.seek(offset)
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        while chunk := fh.read(64 * 1024):
            try:
                inflater.decompress(chunk, 64 * 1024)
                while inflater.unconsumed_tail and not inflater.eof:
                    inflater.decompress(inflater.unconsumed_tail, 64 * 1024)
            except zlib.error as exc:
                return f"the file is corrupt inside the record ({exc})"
            if inflater.eof:
                return "the record holds fewer bytes than its WARC Content-Length"
    return "the file ends inside the record"


RESYNC_CHUNK = 1024 * 1024
"""Bytes scanned at a time for the next record after damaged ones."""


def _next_record(fh: IO[bytes], offset: int) -> int | None:
    """Where the next whole record starts at or after ``offset``: a gzip member that inflates to
    ``WARC/1.x`` (a compressed WARC holds one member per record), or a ``WARC/1.x`` line in a plain
    one. None if there is none: the damage runs to the end of the file."""
    fh.seek(0)
    compressed = fh.read(2) == GZIP_MAGIC
    marker = b"\x1f\x8b\x08" if compressed else b"\nWARC/1."
    while True:
        fh.seek(offset)
        chunk = fh.read(RESYNC_CHUNK + TAIL_PEEK)  # a candidate near the end still gets its peek
        if not chunk:
            return None
        at = chunk.find(marker)
        while 0 <= at < RESYNC_CHUNK:
            if not compressed:
                return offset + at + 1
            try:
                head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(chunk[at : at + TAIL_PEEK], 16)
            except zlib.error:
                head = b""
            if head.startswith((b"WARC/1.0\r\n", b"WARC/1.1\r\n")):
                return offset + at
            at = chunk.find(marker, at + 1)
        if len(chunk) <= RESYNC_CHUNK:
            return None
        offset += RESYNC_CHUNK


def _tail_uri(path: Path, offset: int) -> str | None:
    """The ``WARC-Target-URI`` in the unreadable end of a file, if enough of it is there."""
    with path.open("rb") as fh:
        fh.seek(offset)
        tail = fh.read(TAIL_PEEK)
    if tail[:2] == GZIP_MAGIC:
        try:
            tail = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(tail, TAIL_PEEK)
        except zlib.error:
            return None
    found = re.search(rb"WARC-Target-URI:[ \t]*<?([^\s>]+)>?\r?\n", tail)  # whole, not cut mid-URI
    return found.group(1).decode("utf-8", "replace") if found else None


def _target_uri(value: str | None) -> str | None:
    """The URI, without the angle brackets some WARC/1.1 writers put around it."""
    return value.strip().removeprefix("<").removesuffix(">") if value else None


def _key(url: str) -> str:
    """The fixture lookup key (:func:`~scraper.fixtures.fixture_key`), so lookups match however the
    file spelled the URL; a URL httpx cannot parse is its own key."""
    try:
        return fixture_key(url)
    except ValueError:
        return url


def _stored(url: str) -> str:
    """A URL as fixtures keep it: no userinfo, no fragment (a URL httpx cannot parse stays as it is)."""
    try:
        return fixture_url(url)
    except ValueError:
        return url


def _warc_date(value: str | None) -> datetime | None:
    """``WARC-Date`` (``2016-07-01T12:00:00Z``, fractions allowed in WARC/1.1) as an aware datetime."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _request_method(record: Any) -> str | None:
    """The method of a request record, or None when its request line is not whole.

    warcio keeps the method as the status line's protocol, and the rest (``/path HTTP/1.1``) as
    its status line. A request line cut after a byte or two (``G``) must not pass for a method: a
    known method (:data:`HTTP_METHODS`) is taken as it is, any other token only when a request
    target follows it.
    """
    headers = record.http_headers
    method = getattr(headers, "protocol", None) if headers is not None else None
    if not isinstance(method, str) or not _METHOD_TOKEN.fullmatch(method):
        return None
    if method.upper() in HTTP_METHODS:
        return method.upper()
    target = str(getattr(headers, "statusline", "") or "").split(" ", 1)[0]
    return method.upper() if target else None


def _status_and_headers(http_headers: Any) -> tuple[int | None, list[tuple[str, str]]]:
    """The status code and header pairs of a record's HTTP message (None status when it has none)."""
    if not http_headers:
        return None, []
    headers = [(str(k), str(v)) for k, v in http_headers.headers]
    try:
        return int(http_headers.get_statuscode()), headers
    except ValueError:
        return None, headers


def _kept(headers: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """Headers as a fixture keeps them (the body is decoded; secrets go)."""
    return tuple((k, v) for k, v in headers if k.lower() not in DROPPED_HEADERS)


# -- replaying -------------------------------------------------------------------------------------


class WarcArchive:
    """The responses of one WARC file in memory, as a :class:`~scraper.fixtures.ResponseSource`.

    GET responses only (replay looks URLs up, not methods); the last whole capture of a URL wins.
    A capture whose body is cut never does: it is skipped with a warning, and when a URL has no
    whole capture at all, asking for its body raises :class:`~scraper.errors.FixtureCorrupt`
    (replay fails that page with the reason, ``serve`` answers 500) rather than a ``FixtureMissing``
    that would say it was never recorded. Bodies are held in memory: meant for fixture-sized files,
    not a crawl of millions of pages (stream those with :func:`read_warc`).
    """

    def __init__(self, root: str | Path, responses: Iterable[WarcResponse] = ()) -> None:
        self._root = Path(root)
        self._entries: dict[str, SavedResponse] = {}
        self._bodies: dict[str, bytes] = {}
        self._cut: dict[str, str] = {}  # key → what is wrong, for URLs with no whole capture
        self._broken: _Broken | None = None  # the file cannot be read to its end
        for response in responses:
            self.add(response)

    @classmethod
    def load(cls, path: str | Path) -> WarcArchive:
        """Read the WARC at ``path``.

        Raises:
            FileNotFoundError: no such file.
            FixtureCorrupt: not a readable WARC file (a ``ValueError`` too).
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"WARC file not found: {path}")
        archive = cls(path)
        for found in _read_all(path):
            if isinstance(found, _Cut):
                archive._add_cut(found)
            elif isinstance(found, _Broken):
                archive._broken = archive._broken or found  # the first damage
            else:
                archive.add(found)
        return archive

    @property
    def root(self) -> Path:
        """The WARC file."""
        return self._root

    @property
    def broken(self) -> str | None:
        """Where the file stops being readable ("byte 46306, where a record cannot be read"), or
        None when it reads to its end. A URL not found may have been lost there, and nothing can be
        recorded into the file (:func:`check_appendable`)."""
        if self._broken is None:
            return None
        return f"byte {self._broken.offset}, from where the file cannot be read"

    def add(self, response: WarcResponse) -> None:
        """Hold ``response``, replacing an earlier one for its URL.

        Non-GET responses are ignored, and so are plain 304 records: a 304 stands for the response
        captured before it, which must stay what an unconditional request replays.
        """
        if response.method != "GET" or response.status == NOT_MODIFIED:
            return
        key = _key(response.url)
        self._entries[key] = self._saved(response)
        self._bodies[key] = response.body
        self._cut.pop(key, None)

    def _add_cut(self, cut: _Cut) -> None:
        """Note a capture whose body is cut: warned about; known but broken if nothing whole has its URL."""
        response = cut.response
        if response.method != "GET" or response.status == NOT_MODIFIED:
            return
        key = _key(response.url)
        if key in self._entries and key not in self._cut:
            logger.warning(
                "%s: the capture of %s at %s is cut (%s); replaying the earlier whole one",
                self._root,
                response.url,
                response.date,
                cut.problem,
            )
            return
        _warn_cut(self._root, cut)
        self._entries[key] = self._saved(response)
        self._bodies.pop(key, None)
        self._cut[key] = cut.problem

    def _saved(self, response: WarcResponse) -> SavedResponse:
        return SavedResponse(
            url=_stored(response.url),
            method=response.method,
            status=response.status,
            headers=response.headers,
            file=None,
            fetched_at=response.date,
            folder=self._root,
        )

    def __contains__(self, url: object) -> bool:
        return isinstance(url, str) and _key(url) in self._entries

    def __iter__(self) -> Iterator[SavedResponse]:
        return iter(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, url: str) -> SavedResponse | None:
        """The saved response for ``url`` (userinfo, fragment and escape case do not matter), or None."""
        return self._entries.get(_key(url))

    def problem(self, url: str) -> str | None:
        """What is wrong with the capture of ``url`` when it has no whole one (its body is cut), else None."""
        return self._cut.get(_key(url))

    def body(self, saved: SavedResponse) -> bytes:
        """The decoded body of ``saved``.

        Raises:
            FixtureCorrupt: every capture of this URL in the file is cut; the message gives the
                byte counts and the command that records it again. It is a
                :class:`~scraper.errors.WarcNotAppendable` when the file cannot be read to its end
                (nothing can be recorded into it: the message says to move it away first).
        """
        key = _key(saved.url)
        problem = self._cut.get(key)
        if problem is not None:
            if self._broken is not None:  # re-recording into this file would append past its break
                raise WarcNotAppendable(self._root, problem, url=saved.url)
            raise FixtureCorrupt(self._root, problem, url=saved.url, folder=self._root, editable=False)
        return self._bodies.get(key, b"")


class WarcReplayTransport(ReplayTransport):
    """:class:`~scraper.fixtures.ReplayTransport` over a WARC file: byte-exact, no sockets,
    ``FixtureMissing`` for a URL the file does not hold. Sync and async clients alike.

    Example::

        client = httpx.Client(transport=WarcReplayTransport("crawl.warc.gz"))
    """

    def __init__(self, path: str | Path) -> None:
        super().__init__(WarcArchive.load(path))


def warc_to_folder(warc: str | Path, folder: str | Path | FixtureFolder) -> int:
    """Save the GET responses of a WARC into a fixture folder (``topicscrape record --from-warc``).

    URLs already in the folder are replaced, not duplicated; when the WARC holds a URL more than
    once, its last whole capture is kept. A response whose body is cut is not saved (it is logged
    as a warning while the WARC is read).

    Returns:
        How many URLs were saved.

    Raises:
        FileNotFoundError: no such WARC file.
        FixtureCorrupt: not a readable WARC file (a ``ValueError`` too).
    """
    archive = WarcArchive.load(warc)
    target = folder if isinstance(folder, FixtureFolder) else FixtureFolder.load(folder)
    saved_count = 0
    for saved in archive:
        if archive.problem(saved.url) is not None:
            continue
        target.save(
            saved.url,
            status=saved.status,
            headers=saved.headers,
            body=archive.body(saved),
            fetched_at=saved.fetched_at,
            method=saved.method,
        )
        saved_count += 1
    return saved_count


# -- writing ---------------------------------------------------------------------------------------


class WarcRecordingTransport(CapturingTransport):
    """Appends a WARC/1.1 ``request`` and ``response`` record for every exchange that passes.

    ``.warc.gz`` gets one gzip member per record; ``.warc`` is written plain. A new file starts with
    a ``warcinfo`` record. Writes are whole exchanges, appended under a lock, so sync clients in
    several threads and async ones share a file safely. What is (not) written: see the module
    docstring. Stack it where :class:`~scraper.fixtures.RecordingTransport` goes.

    Args:
        inner: the transport that fetches (sync or async).
        path: the WARC file; created, or appended to.
        now: wall clock for ``WARC-Date`` (UTC).

    Raises:
        WarcNotAppendable: ``path`` exists but does not read to its end (:func:`check_appendable`).
    """

    def __init__(
        self,
        inner: httpx.BaseTransport | httpx.AsyncBaseTransport,
        path: str | Path,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(inner, now=now)
        self.path = Path(path)
        self._gzip = self.path.name.lower().endswith(".gz")
        self._lock = threading.Lock()
        check_appendable(self.path)

    def capture(self, exchange: Exchange) -> None:
        """Append the exchange's request and response records (under ``flock`` against other processes).

        A response whose body does not decode whole from its Content-Encoding (a gzip stream cut by
        a closed connection: the fetch rejected it) is not written, with a warning, as the folder
        recorder does: a reader would skip it anyway, and an earlier whole capture would lose.
        """
        url = fixture_url(str(exchange.request.url))
        try:
            decoded_body(exchange.raw, exchange.headers)
        except httpx.DecodingError as exc:
            logger.warning("not recording %s: its body does not match its Content-Encoding (%s)", url, exc)
            return
        request, response = _records(
            WARCWriter(BytesIO(), gzip=self._gzip, warc_version=WARC_VERSION), exchange
        )
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("ab") as fh:
                if fcntl is not None:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_EX)  # released when the file is closed
                buffer = BytesIO()
                writer = WARCWriter(buffer, gzip=self._gzip, warc_version=WARC_VERSION)
                if os.fstat(fh.fileno()).st_size == 0:
                    info = {
                        "software": f"topicscrape/{__version__}",
                        "format": f"WARC File Format {WARC_VERSION}",
                    }
                    writer.write_record(writer.create_warcinfo_record(self.path.name, info))
                writer.write_request_response_pair(request, response)
                fh.write(buffer.getvalue())


def check_appendable(path: str | Path) -> None:
    """Refuse to record into a WARC file that cannot be read to its end.

    warcio reads a file front to back and stops at the first record it cannot read, so a record
    appended after a cut (a crash, a copy stopped half-way) or to a file that is no WARC at all
    could never be read back. A missing or empty file is fine. Reads the whole file once (its
    record headers and blocks, not their digests), holding a shared ``flock`` so a recorder in
    another process is not caught half-way through an append.

    Raises:
        WarcNotAppendable: the file does not read to its end, or is compressed otherwise than its
            name says (records of both kinds in one file cannot be read); the message says to move
            it away or record into a new file. A ``FixtureCorrupt`` and a ``ValueError`` too.
    """
    path = Path(path)
    try:
        fh = path.open("rb")
    except FileNotFoundError:
        return
    with fh:
        if fcntl is not None:
            fcntl.flock(fh.fileno(), fcntl.LOCK_SH)  # released when the file is closed
        size = os.fstat(fh.fileno()).st_size
        if size == 0:
            return
        problem = _unreadable_at(fh, size, gzipped=path.name.lower().endswith(".gz"))
    if problem is not None:
        raise WarcNotAppendable(path, f"cannot record into it: {problem}")


def _unreadable_at(fh: IO[bytes], size: int, *, gzipped: bool) -> str | None:
    """What stops ``fh`` (``size`` bytes) from reading to its end as a WARC, or None when it does."""
    magic = fh.read(2) == GZIP_MAGIC
    fh.seek(0)
    records = _Records(fh)
    failures: list[str] = []
    seen = 0
    last = 0
    try:
        for record in _each(records, failures):
            last = records.get_record_offset()
            if _is_short(record):
                return f"the file ends inside its record at byte {last} (of {size})"
            seen += 1
    except PAYLOAD_ERRORS as exc:
        failures.append(_one_line(exc))
    if not failures and magic and records.offset >= size and not _member_ends(fh, last):
        # the record is all there but not the gzip trailer: a new member would be read as its rest
        return f"the file ends inside the gzip member of its last record (from byte {last} of {size})"
    if failures or records.offset < size:
        offset = min(records.offset, size)
        why = f" ({failures[0]})" if failures else ""
        what = "it is not a WARC file" if seen == 0 else f"it cannot be read from byte {offset} of {size}"
        return what + why
    if magic != gzipped:  # one file cannot mix the two: a reader takes it as one or the other
        held, named = ("gzip-compressed", "does not end .gz") if magic else ("uncompressed", "ends .gz")
        return f"it holds {held} records but its name {named}, so new records would not match them"
    return None


def _member_ends(fh: IO[bytes], offset: int) -> bool:
    """Whether the gzip member at ``offset`` of ``fh`` ends (its trailer is there) before the file does."""
    fh.seek(offset)
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        while not inflater.eof and (chunk := fh.read(64 * 1024)):
            inflater.decompress(chunk, 64 * 1024)
            while inflater.unconsumed_tail and not inflater.eof:
                inflater.decompress(inflater.unconsumed_tail, 64 * 1024)
    except zlib.error:
        return False
    return inflater.eof


def _records(writer: WARCWriter, exchange: Exchange) -> tuple[Any, Any]:
    """The request and response records of one exchange, secrets removed (the URL's userinfo too)."""
    url = fixture_url(str(exchange.request.url))
    warc_headers = {"WARC-Date": _warc_date_text(exchange.fetched_at)}

    received = [
        (k.decode("latin-1"), v.decode("latin-1"))
        for k, v in exchange.headers.raw
        if k.decode("latin-1").lower() not in SECRET_HEADERS
    ]
    chunked = any(k.lower() == "transfer-encoding" for k, _ in received)
    headers = [(k, v) for k, v in received if k.lower() not in HOP_BY_HOP_HEADERS]
    if chunked:  # the bytes we hold are de-chunked: say how many there are instead
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(exchange.raw))))
    # WARC has no form for HTTP/2 framing; archives write such responses as HTTP/1.1 messages.
    version = "HTTP/1.0" if exchange.http_version == "HTTP/1.0" else "HTTP/1.1"
    reason = exchange.reason or _reason(exchange.status)
    response_http = StatusAndHeaders(f"{exchange.status} {reason}".strip(), headers, protocol=version)
    response = writer.create_warc_record(
        url,
        "response",
        payload=BytesIO(exchange.raw),
        length=len(exchange.raw),
        http_headers=response_http,
        warc_headers_dict=dict(warc_headers),
    )

    sent = exchange.request
    request_headers = [
        (k.decode("latin-1"), v.decode("latin-1"))
        for k, v in sent.headers.raw
        if k.decode("latin-1").lower() not in SECRET_HEADERS
    ]
    target = sent.url.raw_path.decode("ascii")
    request_http = StatusAndHeaders(
        f"{sent.method} {target} {version}", request_headers, is_http_request=True
    )
    try:
        content = sent.content
    except httpx.RequestNotRead:  # a streamed upload we did not keep: the record gets headers only
        content = b""
    request = writer.create_warc_record(
        url,
        "request",
        payload=BytesIO(content) if content else None,
        length=len(content) if content else None,
        http_headers=request_http,
        warc_headers_dict=dict(warc_headers),
    )
    return request, response


def _warc_date_text(when: datetime) -> str:
    """``WARC-Date`` to the second, as ``fetched_at`` is kept (``2016-07-01T12:00:00Z``)."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _reason(status: int) -> str:
    """The standard reason phrase for ``status`` (HTTP/2 sends none), or ""."""
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""
