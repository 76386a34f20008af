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
  as WARC expects; warcio adds ``WARC-Payload-Digest`` and ``WARC-Block-Digest``.
- :func:`read_warc` yields every response in a WARC, whoever wrote it: bodies de-chunked and
  decoded from their Content-Encoding (gzip, deflate, and whatever else httpx decodes), revisit
  records resolved to the payload they point at, and the request method taken from the matching
  request record.
- :class:`WarcArchive` holds a WARC's responses in memory as a
  :class:`~scraper.fixtures.ResponseSource`: :class:`~scraper.fixtures.ReplayTransport` and
  ``topicscrape serve`` read it exactly as they read a folder. When a URL was captured more than
  once, the last capture in the file wins (a re-recording appends).

Example::

    transport = WarcRecordingTransport(httpx.AsyncHTTPTransport(), "crawl.warc.gz")
    ...
    with httpx.Client(transport=WarcReplayTransport("crawl.warc.gz")) as client:
        client.get("https://www.dhs.gov/keywords/secure-communities")
"""

from __future__ import annotations

import http
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import IO, Any, NamedTuple

import httpx
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataReader
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from scraper._version import __version__
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
)

__all__ = [
    "HOP_BY_HOP_HEADERS",
    "PAGE_MEDIA_TYPES",
    "WARC_SUFFIXES",
    "WarcArchive",
    "WarcPage",
    "WarcRecordingTransport",
    "WarcReplayTransport",
    "WarcResponse",
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
_REVISIT_NOT_MODIFIED = "server-not-modified"


def is_warc_path(path: str | Path) -> bool:
    """Whether ``path`` names a WARC file (``.warc`` or ``.warc.gz``) rather than a fixture folder.

    >>> is_warc_path("crawl.warc.gz"), is_warc_path("fixtures/dhs")
    (True, False)
    """
    return str(path).lower().endswith(WARC_SUFFIXES)


def open_fixtures(path: str | Path) -> ResponseSource:
    """The saved responses at ``path``: a WARC file (by its suffix) or a fixture folder.

    Raises:
        FileNotFoundError: there is no such file or folder.
        ValueError: the file is not a WARC, or the folder's ``index.json`` is not a fixture index.
    """
    path = Path(path)
    if is_warc_path(path):
        return WarcArchive.load(path)
    if not path.is_dir():
        raise FileNotFoundError(f"fixture folder not found: {path}")
    return FixtureFolder.load(path)


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


def read_warc(path: str | Path) -> Iterator[WarcResponse]:
    """Every response in the WARC at ``path``, in file order.

    Reads ``response`` records, and ``revisit`` records resolved to the payload they refer to (by
    ``WARC-Payload-Digest``, or for a server-not-modified revisit the latest earlier response for
    ``WARC-Refers-To-Target-URI``); a revisit whose original is not in the file is skipped with a
    warning, as is a response whose body does not match its Content-Encoding. ``request`` records
    only lend their method to their response. Other record types (warcinfo, metadata, resource)
    are skipped. Compressed (one gzip member per record) and plain WARCs are both read.

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file is not a WARC (or ARC) file.
    """
    path = Path(path)
    with path.open("rb") as fh:
        yield from _Reader(path).responses(fh)


def iter_warc_pages(path: str | Path) -> Iterator[WarcPage]:
    """The pages in a WARC worth parsing: GET responses with a 2xx status whose media type is HTML
    (:data:`PAGE_MEDIA_TYPES`) or not given.

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file is not a WARC file.
    """
    for response in read_warc(path):
        if response.method != "GET" or not 200 <= response.status < 300:
            continue
        content_type = response.header("Content-Type")
        media = content_type.split(";", 1)[0].strip().lower() if content_type else None
        if media is None or media in PAGE_MEDIA_TYPES:
            yield WarcPage(response.url, content_type, response.body, response.date)


class _Reader:
    """One pass over a WARC; remembers where earlier payloads are so revisits can be resolved."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.by_digest: dict[str, int] = {}
        self.by_url: dict[str, int] = {}

    def responses(self, fh: IO[bytes]) -> Iterator[WarcResponse]:
        """Yield responses, each once the record after it (maybe its request) has been seen."""
        records = ArchiveIterator(fh)
        pending: WarcResponse | None = None
        methods: dict[str, str] = {}  # request record id → method, for responses that name it
        try:
            for record in records:
                kind = record.rec_type
                warc = record.rec_headers
                if kind == "request":
                    method = _request_method(record)
                    refers = warc.get_header("WARC-Concurrent-To")
                    if method is None:
                        continue
                    if pending is not None and refers is not None and refers == pending.record_id:
                        pending = replace(pending, method=method)
                    else:
                        methods[warc.get_header("WARC-Record-ID") or ""] = method
                    continue
                if pending is not None:
                    yield pending
                    pending = None
                if kind not in ("response", "revisit"):
                    continue
                found = self._read(record, records)
                if found is not None:
                    method = methods.pop(warc.get_header("WARC-Concurrent-To") or "", None)
                    pending = found if method is None else replace(found, method=method)
        except ArchiveLoadFailed as exc:
            raise ValueError(f"{self.path} is not a readable WARC file: {exc}") from exc
        if pending is not None:
            yield pending

    def _read(self, record: Any, records: ArchiveIterator) -> WarcResponse | None:
        """The response a record stands for, or None (logged) when it cannot be had."""
        if record.rec_type == "revisit":
            return self._resolve(record)
        found = _response(record, self.path)
        if found is not None:
            # Only after the body is read: asking for the offset makes warcio skip to the record's end.
            offset = records.get_record_offset()
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
            for record in ArchiveIterator(fh):
                return _response(record, self.path) if record.rec_type == "response" else None
        return None


def _response(record: Any, path: Path) -> WarcResponse | None:
    """The response in a ``response`` record, or None (logged) when it has no URL, status or body."""
    warc = record.rec_headers
    url = _target_uri(warc.get_header("WARC-Target-URI"))
    if not url:
        return None
    status, headers = _status_and_headers(record.http_headers)
    if status is None:
        logger.warning("%s: skipping the response for %s: no HTTP status line", path, url)
        return None
    body = _body(record, url, headers)
    if body is None:
        return None
    return WarcResponse(
        url,
        status,
        _kept(headers),
        body,
        _warc_date(warc.get_header("WARC-Date")),
        record_id=warc.get_header("WARC-Record-ID"),
    )


def _target_uri(value: str | None) -> str | None:
    """The URI, without the angle brackets some WARC/1.1 writers put around it."""
    return value.strip().removeprefix("<").removesuffix(">") if value else None


def _key(url: str) -> str:
    """How httpx spells a URL, so lookups match however the file spelled it."""
    try:
        return str(httpx.URL(url))
    except httpx.InvalidURL:
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
    """The method of a request record (warcio keeps it as the status line's protocol)."""
    headers = record.http_headers
    method = getattr(headers, "protocol", None) if headers is not None else None
    return method.upper() if isinstance(method, str) and method.isalpha() else None


def _status_and_headers(http_headers: Any) -> tuple[int | None, list[tuple[str, str]]]:
    """The status code and header pairs of a record's HTTP message (None status when it has none)."""
    if not http_headers:
        return None, []
    headers = [(str(k), str(v)) for k, v in http_headers.headers]
    try:
        return int(http_headers.get_statuscode()), headers
    except ValueError:
        return None, headers


def _body(record: Any, url: str, headers: list[tuple[str, str]]) -> bytes | None:
    """The payload de-chunked (when it is chunked) and decoded, or None when the coding is broken."""
    chunked = any(k.lower() == "transfer-encoding" and "chunked" in v.lower() for k, v in headers)
    stream = ChunkedDataReader(record.raw_stream) if chunked else record.raw_stream
    raw = stream.read()
    try:
        return decoded_body(raw, httpx.Headers(headers))
    except httpx.DecodingError:
        logger.warning("skipping the response for %s: its body does not match its Content-Encoding", url)
        return None


def _kept(headers: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """Headers as a fixture keeps them (the body is decoded; secrets go)."""
    return tuple((k, v) for k, v in headers if k.lower() not in DROPPED_HEADERS)


# -- replaying -------------------------------------------------------------------------------------


class WarcArchive:
    """The responses of one WARC file in memory, as a :class:`~scraper.fixtures.ResponseSource`.

    GET responses only (replay looks URLs up, not methods); the last capture of a URL wins.
    Bodies are held in memory: meant for fixture-sized files, not a crawl of millions of pages
    (stream those with :func:`read_warc`).
    """

    def __init__(self, root: str | Path, responses: Iterable[WarcResponse] = ()) -> None:
        self._root = Path(root)
        self._entries: dict[str, SavedResponse] = {}
        self._bodies: dict[str, bytes] = {}
        for response in responses:
            self.add(response)

    @classmethod
    def load(cls, path: str | Path) -> WarcArchive:
        """Read the WARC at ``path``.

        Raises:
            FileNotFoundError: no such file.
            ValueError: not a WARC file.
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"WARC file not found: {path}")
        return cls(path, read_warc(path))

    @property
    def root(self) -> Path:
        """The WARC file."""
        return self._root

    def add(self, response: WarcResponse) -> None:
        """Hold ``response``, replacing an earlier one for its URL.

        Non-GET responses are ignored, and so are plain 304 records: a 304 stands for the response
        captured before it, which must stay what an unconditional request replays.
        """
        if response.method != "GET" or response.status == NOT_MODIFIED:
            return
        key = _key(response.url)
        self._entries[key] = SavedResponse(
            url=response.url,
            method=response.method,
            status=response.status,
            headers=response.headers,
            file=None,
            fetched_at=response.date,
            folder=self._root,
        )
        self._bodies[key] = response.body

    def __contains__(self, url: object) -> bool:
        return isinstance(url, str) and _key(url) in self._entries

    def __iter__(self) -> Iterator[SavedResponse]:
        return iter(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, url: str) -> SavedResponse | None:
        """The saved response for ``url``, or None."""
        return self._entries.get(_key(url))

    def body(self, saved: SavedResponse) -> bytes:
        """The decoded body of ``saved``."""
        return self._bodies.get(_key(saved.url), b"")


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
    once, its last capture is kept.

    Returns:
        How many URLs were saved.

    Raises:
        FileNotFoundError: no such WARC file.
        ValueError: not a WARC file.
    """
    archive = WarcArchive.load(warc)
    target = folder if isinstance(folder, FixtureFolder) else FixtureFolder.load(folder)
    for saved in archive:
        target.save(
            saved.url,
            status=saved.status,
            headers=saved.headers,
            body=archive.body(saved),
            fetched_at=saved.fetched_at,
            method=saved.method,
        )
    return len(archive)


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

    def capture(self, exchange: Exchange) -> None:
        """Append the exchange's request and response records."""
        buffer = BytesIO()
        writer = WARCWriter(buffer, gzip=self._gzip, warc_version=WARC_VERSION)
        with self._lock:
            if not self.path.exists() or self.path.stat().st_size == 0:
                info = {
                    "software": f"topicscrape/{__version__}",
                    "format": f"WARC File Format {WARC_VERSION}",
                }
                writer.write_record(writer.create_warcinfo_record(self.path.name, info))
            request, response = _records(writer, exchange)
            writer.write_request_response_pair(request, response)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("ab") as fh:
                fh.write(buffer.getvalue())


def _records(writer: WARCWriter, exchange: Exchange) -> tuple[Any, Any]:
    """The request and response records of one exchange, secrets removed."""
    url = str(exchange.request.url)
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
