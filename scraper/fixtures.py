"""Fixture folders: saved HTTP responses that a crawl can replay byte for byte, and the transports
that write and read them.

A folder ``DIR`` holds ``DIR/index.json`` and one body file per response under ``DIR/<host>/``::

    {
      "format": "topicscrape-fixtures",
      "version": 1,
      "responses": {
        "https://www.dhs.gov/keywords/secure-communities": {
          "method": "GET", "status": 200,
          "headers": [["Content-Type", "text/html; charset=utf-8"], ["ETag", "\\"abc\\""]],
          "file": "www.dhs.gov/keywords-secure-communities.html",
          "fetched_at": "2016-07-01T12:00:00Z"
        }
      }
    }

Keys are request URLs as sent. Bodies are stored decoded from any ``Content-Encoding`` so a person
can open and edit them; the stored headers therefore leave out ``Content-Encoding``,
``Content-Length`` and ``Transfer-Encoding``, and never hold ``Set-Cookie``, ``Cookie`` or
``Authorization`` (:data:`DROPPED_HEADERS`). ``file`` is null for an empty body (a redirect).
Reading a folder reads every ``index.json`` below it, so ``fixtures/`` can hold many folders.

- :class:`RecordingTransport` saves every response it passes on, once its body has been read to
  the end (a body abandoned half-way, e.g. too large, is not saved). It is one
  :class:`CapturingTransport`, the tee shared with the WARC writer (:mod:`scraper.warc`); both work
  for sync and async clients.
- :class:`ReplayTransport` serves saved responses and never opens a socket; a URL that is not saved
  raises :class:`~scraper.errors.FixtureMissing`, whose message gives the ``topicscrape record``
  command. It answers ``If-None-Match``/``If-Modified-Since`` with 304 as a server would. It reads
  any :class:`ResponseSource`: a :class:`FixtureFolder`, or a WARC file loaded by
  :class:`scraper.warc.WarcArchive`, so both replay through the same code.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import httpx

from scraper.errors import FixtureMissing

__all__ = [
    "DROPPED_HEADERS",
    "FETCHED_AT_EXTENSION",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "INDEX_NAME",
    "SECRET_HEADERS",
    "CapturingTransport",
    "Exchange",
    "FixtureFolder",
    "RecordingTransport",
    "ReplayTransport",
    "ResponseSource",
    "SavedResponse",
    "decoded_body",
    "fixture_name",
]

logger = logging.getLogger(__name__)

FORMAT_NAME = "topicscrape-fixtures"
FORMAT_VERSION = 1
INDEX_NAME = "index.json"

FETCHED_AT_EXTENSION = "topicscrape.fetched_at"
"""Response extension holding the saved fetch time, so a replayed crawl reports the original one."""

SECRET_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization", "set-cookie", "set-cookie2"})
"""Request and response headers that carry credentials: never written to a fixture folder or a WARC."""

DROPPED_HEADERS = SECRET_HEADERS | frozenset(
    {
        # describe the bytes on the wire, not the decoded body we store
        "content-encoding",
        "content-length",
        "transfer-encoding",
        # hop-by-hop (RFC 9110 §7.6.1)
        "connection",
        "keep-alive",
    }
)
"""Response headers a fixture folder leaves out: the secrets, and what only the wire format needs."""

MAX_SLUG_LENGTH = 80
"""Keeps ``<slug>-<hash>.<ext>`` far below the 255-byte file name limit of common filesystems."""

HASH_LENGTH = 10
"""Hex digits of sha256(url) added to a name that another URL already uses (40 bits)."""

WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"} | {f"{p}{n}" for p in ("com", "lpt") for n in range(10)}
)
"""Names Windows will not create, whatever the extension; such slugs get a hash suffix."""

EXTENSIONS = {
    "text/html": "html",
    "application/xhtml+xml": "xhtml",
    "text/plain": "txt",
    "application/json": "json",
    "text/xml": "xml",
    "application/xml": "xml",
    "application/rss+xml": "xml",
    "application/atom+xml": "xml",
    "text/css": "css",
    "text/javascript": "js",
    "application/javascript": "js",
    "application/pdf": "pdf",
}
"""File extension by media type, so a person (and an editor) knows what a body file holds."""

NOT_MODIFIED = 304

NOT_MODIFIED_HEADERS = frozenset({"cache-control", "content-location", "date", "etag", "expires", "vary"})
"""Headers a 304 repeats from the 200 it stands for (RFC 9110 §15.4.5)."""

_UNSAFE = re.compile(r"[^a-z0-9]+")
_UNSAFE_HOST = re.compile(r"[^a-z0-9.-]+")


def fixture_name(url: str, content_type: str | None = None) -> str:
    """The human-readable file name for a response body: ``<host>/<slug>.<ext>``, relative to DIR.

    The slug comes from the URL's *encoded* path and query, lowercased, with every run of other
    characters turned into ``-``, so no ``/``, ``..`` or ``%2F`` can reach the filesystem. It is not
    unique on its own (``/A`` and ``/a`` share it); :meth:`FixtureFolder.save` adds a hash suffix
    when another URL already holds the name.

    >>> fixture_name("https://www.dhs.gov/keywords/secure-communities", "text/html; charset=utf-8")
    'www.dhs.gov/keywords-secure-communities.html'
    >>> fixture_name("http://127.0.0.1:8000/news?page=2")
    '127.0.0.1_8000/news-page-2.html'
    """
    parsed = httpx.URL(url)
    host = parsed.raw_host.decode("ascii").lower() + (f"_{parsed.port}" if parsed.port is not None else "")
    host = _UNSAFE_HOST.sub("_", host).lstrip(".") or "_"
    slug = _UNSAFE.sub("-", parsed.raw_path.decode("ascii").lower()).strip("-")
    slug = slug[:MAX_SLUG_LENGTH].rstrip("-") or "index"
    return f"{host}/{slug}.{_extension(content_type)}"


def _extension(content_type: str | None) -> str:
    """The extension for a Content-Type; html when none was sent, bin when unknown."""
    if not content_type:
        return "html"
    media = content_type.split(";", 1)[0].strip().lower()
    return EXTENSIONS.get(media, "bin")


def _with_hash(name: str, url: str, length: int = HASH_LENGTH) -> str:
    """``host/slug.ext`` → ``host/slug-<hash>.ext``, the hash taken from the whole URL."""
    stem, ext = name.rsplit(".", 1)
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:length]
    return f"{stem}-{digest}.{ext}"


def _key(url: str) -> str:
    """The form a URL takes once httpx has parsed it (what ``str(request.url)`` gives)."""
    return str(httpx.URL(url))


def _format_time(when: datetime) -> str:
    """RFC 3339 UTC with a ``Z``, to the second (the records' format)."""
    return when.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _parse_time(text: str) -> datetime:
    """An index time back into an aware datetime (UTC assumed when a hand-edited one has no zone)."""
    when = datetime.fromisoformat(text)
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and ``os.replace``: readers never see half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _inside(base: Path, relative: str) -> Path:
    """``base / relative``, refusing anything that resolves outside ``base``."""
    target = (base / relative).resolve()
    if not target.is_relative_to(base.resolve()):
        raise ValueError(f"fixture file {relative!r} escapes its folder {base}")
    return target


@dataclass(frozen=True)
class SavedResponse:
    """One saved response, as listed in an ``index.json``.

    Attributes:
        url: the request URL, as sent.
        method: the request method (GET).
        status: the HTTP status.
        headers: response headers as (name, value) pairs, in the order served.
        file: body file relative to ``folder``; None for an empty body.
        fetched_at: when it was fetched (UTC), if known.
        folder: the directory of the ``index.json`` that lists it.
    """

    url: str
    method: str
    status: int
    headers: tuple[tuple[str, str], ...]
    file: str | None
    fetched_at: datetime | None
    folder: Path

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    def to_json(self) -> dict[str, Any]:
        """The ``index.json`` entry."""
        return {
            "method": self.method,
            "status": self.status,
            "headers": [list(pair) for pair in self.headers],
            "file": self.file,
            "fetched_at": None if self.fetched_at is None else _format_time(self.fetched_at),
        }


class ResponseSource(Protocol):
    """Saved responses looked up by URL: what :class:`ReplayTransport` and ``topicscrape serve`` read.

    :class:`FixtureFolder` is one; :class:`scraper.warc.WarcArchive` (a WARC file read into memory)
    is the other. ``root`` is the folder or file they came from, named in ``FixtureMissing``.
    """

    @property
    def root(self) -> Path:
        """The folder or file the responses were read from."""
        ...

    def __iter__(self) -> Iterator[SavedResponse]: ...

    def __len__(self) -> int: ...

    def get(self, url: str) -> SavedResponse | None:
        """The saved response for ``url`` (compared as httpx spells URLs), or None."""
        ...

    def body(self, saved: SavedResponse) -> bytes:
        """The saved body, decoded from any Content-Encoding (b"" when there is none)."""
        ...


class FixtureFolder:
    """A fixture folder on disk: look responses up by URL, add or replace them.

    Use :meth:`load` to read an existing folder (every ``index.json`` below ``root``); a new,
    empty folder is created on the first :meth:`save`. New responses go into ``root/index.json``;
    re-saving a URL replaces its entry (and body file) wherever it is listed, so nothing is
    duplicated. Writes are atomic. Not thread-safe: use it from one event loop.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._entries: dict[str, SavedResponse] = {}
        self._indexes: dict[Path, dict[str, SavedResponse]] = {}

    @classmethod
    def load(cls, root: str | Path) -> FixtureFolder:
        """Read every ``index.json`` under ``root`` (recursively; the shallowest wins a duplicate URL).

        A missing ``root`` gives an empty folder (recording into a new directory).

        Raises:
            ValueError: an ``index.json`` is not a topicscrape fixture index, or names a file outside
                its folder.
        """
        folder = cls(root)
        if folder.root.is_dir():
            paths = sorted(folder.root.rglob(INDEX_NAME), key=lambda p: (len(p.parts), str(p)))
            for path in paths:
                folder._read_index(path)
        return folder

    def _read_index(self, path: Path) -> None:
        """Add the entries of one ``index.json``."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path} is not valid JSON: {exc}") from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
            raise ValueError(f"{path} is not a {FORMAT_NAME} index")
        if data.get("version") != FORMAT_VERSION:
            raise ValueError(
                f"{path} has version {data.get('version')!r}; this topicscrape reads {FORMAT_VERSION}"
            )
        base = path.parent
        index = self._indexes.setdefault(base, {})
        for url, entry in data.get("responses", {}).items():
            if entry.get("file") is not None:
                _inside(base, entry["file"])
            fetched = entry.get("fetched_at")
            saved = SavedResponse(
                url=url,
                method=entry.get("method", "GET"),
                status=int(entry["status"]),
                headers=tuple((str(k), str(v)) for k, v in entry.get("headers", [])),
                file=entry.get("file"),
                fetched_at=None if fetched is None else _parse_time(fetched),
                folder=base,
            )
            index[url] = saved
            if _key(url) in self._entries:
                logger.warning("%s lists %s again; keeping the one found first", path, url)
                continue
            self._entries[_key(url)] = saved

    def __contains__(self, url: object) -> bool:
        return isinstance(url, str) and _key(url) in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[SavedResponse]:
        return iter(self._entries.values())

    def get(self, url: str) -> SavedResponse | None:
        """The saved response for ``url``, or None."""
        return self._entries.get(_key(url))

    def body(self, saved: SavedResponse) -> bytes:
        """The saved body (b"" when there is none)."""
        if saved.file is None:
            return b""
        return _inside(saved.folder, saved.file).read_bytes()

    def save(
        self,
        url: str,
        *,
        status: int,
        headers: Iterable[tuple[str, str]],
        body: bytes,
        fetched_at: datetime | None = None,
        method: str = "GET",
    ) -> SavedResponse:
        """Save (or replace) the response for ``url`` and rewrite its ``index.json``.

        Args:
            url: the request URL as sent.
            status: HTTP status.
            headers: response headers; :data:`DROPPED_HEADERS` are left out here.
            body: the body, already decoded from any Content-Encoding.
            fetched_at: when it was fetched (UTC).
            method: request method.

        Returns:
            The new entry.
        """
        kept = tuple((name, value) for name, value in headers if name.lower() not in DROPPED_HEADERS)
        previous = self._entries.get(_key(url))
        base = previous.folder if previous is not None else self.root
        index = self._indexes.setdefault(base, {})
        file: str | None = None
        if body:
            content_type = next((v for k, v in kept if k.lower() == "content-type"), None)
            file = self._choose_file(base, index, url, content_type, previous)
            _atomic_write(_inside(base, file), body)
        if previous is not None and previous.file is not None and previous.file != file:
            _inside(base, previous.file).unlink(missing_ok=True)
        saved = SavedResponse(url, method, status, kept, file, fetched_at, base)
        index.pop(previous.url if previous is not None else url, None)
        index[url] = saved
        self._entries[_key(url)] = saved
        self._write_index(base)
        return saved

    def _choose_file(
        self,
        base: Path,
        index: dict[str, SavedResponse],
        url: str,
        content_type: str | None,
        previous: SavedResponse | None,
    ) -> str:
        """A body file name no other URL in this index uses (reusing the URL's old name when it fits)."""
        name = fixture_name(url, content_type)
        if (
            previous is not None
            and previous.file is not None
            and previous.file.endswith("." + name.rsplit(".", 1)[1])
        ):
            return previous.file
        taken = {s.file.lower() for s in index.values() if s.file is not None and _key(s.url) != _key(url)}
        stem = name.rsplit("/", 1)[1].rsplit(".", 1)[0]
        length = HASH_LENGTH
        candidate = name if stem not in WINDOWS_RESERVED else _with_hash(name, url, length)
        while candidate.lower() in taken:
            candidate = _with_hash(name, url, length)
            length += 4  # only if two URLs share the first 40 bits of their hash
        return candidate

    def _write_index(self, base: Path) -> None:
        """Rewrite ``base/index.json`` from memory, URLs sorted so diffs stay small."""
        index = self._indexes.get(base, {})
        data = {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "responses": {url: index[url].to_json() for url in sorted(index)},
        }
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        _atomic_write(base / INDEX_NAME, text.encode("utf-8"))


def _decode_headers(headers: httpx.Headers) -> list[tuple[str, str]]:
    """Header pairs with their original spelling and order."""
    return [(k.decode(headers.encoding), v.decode(headers.encoding)) for k, v in headers.raw]


def decoded_body(raw: bytes, headers: httpx.Headers) -> bytes:
    """``raw`` decoded from its Content-Encoding, as httpx would decode it for a client.

    Raises:
        httpx.DecodingError: the bytes do not match the Content-Encoding.
    """
    encoding = headers.get("Content-Encoding")
    if not encoding:
        return raw
    return httpx.Response(200, headers={"Content-Encoding": encoding}, content=raw).read()


@dataclass(frozen=True)
class Exchange:
    """One request and its response, once the body has been read to the end.

    Attributes:
        request: the request as sent. Its headers may hold secrets (:data:`SECRET_HEADERS`).
        status: the response status.
        headers: the response headers as received.
        raw: the body as received: without chunking (the HTTP layer removes it), still in its
            Content-Encoding.
        fetched_at: when the request was sent, UTC, whole seconds (as ``index.json`` stores it).
        http_version: the response's protocol, e.g. ``HTTP/1.1``.
        reason: the response's reason phrase (may be empty, e.g. over HTTP/2).
    """

    request: httpx.Request
    status: int
    headers: httpx.Headers
    raw: bytes
    fetched_at: datetime
    http_version: str = "HTTP/1.1"
    reason: str = ""


class _Tee:
    """Keeps a copy of a body as it passes; calls ``on_complete`` once, on close, if it was read whole."""

    def __init__(self, on_complete: Callable[[bytes], None]) -> None:
        self._on_complete: Callable[[bytes], None] | None = on_complete
        self._chunks: list[bytes] = []
        self._complete = False

    def _finish(self) -> None:
        if self._complete and self._on_complete is not None:
            on_complete, self._on_complete = self._on_complete, None
            on_complete(b"".join(self._chunks))


class _SyncTee(_Tee, httpx.SyncByteStream):
    """:class:`_Tee` for sync clients."""

    def __init__(self, inner: httpx.SyncByteStream, on_complete: Callable[[bytes], None]) -> None:
        super().__init__(on_complete)
        self._inner = inner

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            self._chunks.append(chunk)
            yield chunk
        self._complete = True

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._finish()


class _AsyncTee(_Tee, httpx.AsyncByteStream):
    """:class:`_Tee` for async clients."""

    def __init__(self, inner: httpx.AsyncByteStream, on_complete: Callable[[bytes], None]) -> None:
        super().__init__(on_complete)
        self._inner = inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            self._chunks.append(chunk)
            yield chunk
        self._complete = True

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            self._finish()


class CapturingTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Hands every request to ``inner`` and each complete :class:`Exchange` to :meth:`capture`.

    The base of the recorders (:class:`RecordingTransport` into a folder,
    :class:`scraper.warc.WarcRecordingTransport` into a WARC). It serves sync clients when ``inner``
    is a sync transport and async clients when it is an async one. An exchange is captured when the
    caller has read the body to the end and closed it, so a body abandoned half-way (too large, not
    HTML) is never kept as if it were whole. A ``304 Not Modified`` is never captured: it stands
    for a response saved earlier, which it would otherwise replace. Responses pass on unchanged,
    plus the :data:`FETCHED_AT_EXTENSION` that a replay would give them.

    Args:
        inner: the transport that fetches.
        now: wall clock for ``fetched_at`` (UTC).
    """

    def __init__(
        self,
        inner: httpx.BaseTransport | httpx.AsyncBaseTransport,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.inner = inner
        self._now = now

    def capture(self, exchange: Exchange) -> None:
        """Keep ``exchange`` (subclasses say where). Errors propagate to the caller closing the body."""
        raise NotImplementedError

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send through a sync ``inner``; capture the exchange once its body is read and closed."""
        if not isinstance(self.inner, httpx.BaseTransport):
            raise TypeError(f"{type(self.inner).__name__} is an async transport: use an httpx.AsyncClient")
        fetched_at = self._fetched_at()
        response = self.inner.handle_request(request)
        assert isinstance(response.stream, httpx.SyncByteStream)
        stream = _SyncTee(response.stream, self._on_complete(request, response, fetched_at))
        return self._passed_on(response, stream, fetched_at)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send through an async ``inner``; capture the exchange once its body is read and closed."""
        if not isinstance(self.inner, httpx.AsyncBaseTransport):
            raise TypeError(f"{type(self.inner).__name__} is a sync transport: use an httpx.Client")
        fetched_at = self._fetched_at()
        response = await self.inner.handle_async_request(request)
        assert isinstance(response.stream, httpx.AsyncByteStream)
        stream = _AsyncTee(response.stream, self._on_complete(request, response, fetched_at))
        return self._passed_on(response, stream, fetched_at)

    def close(self) -> None:
        """Close a sync ``inner``."""
        if isinstance(self.inner, httpx.BaseTransport):
            self.inner.close()

    async def aclose(self) -> None:
        """Close an async ``inner``."""
        if isinstance(self.inner, httpx.AsyncBaseTransport):
            await self.inner.aclose()

    def _fetched_at(self) -> datetime:
        # Whole seconds, as index.json stores it, so a recorded and a replayed crawl report the same time.
        return self._now().replace(microsecond=0)

    def _on_complete(
        self, request: httpx.Request, response: httpx.Response, fetched_at: datetime
    ) -> Callable[[bytes], None]:
        """The callback that turns the finished body into an :class:`Exchange` for :meth:`capture`."""
        status, headers = response.status_code, response.headers
        version = response.extensions.get("http_version")
        reason = response.extensions.get("reason_phrase")
        http_version = version.decode("ascii", "replace") if isinstance(version, bytes) else "HTTP/1.1"
        reason_phrase = reason.decode("latin-1") if isinstance(reason, bytes) else ""

        def complete(raw: bytes) -> None:
            if status == NOT_MODIFIED:
                return
            self.capture(
                Exchange(
                    request=request,
                    status=status,
                    headers=headers,
                    raw=raw,
                    fetched_at=fetched_at,
                    http_version=http_version,
                    reason=reason_phrase,
                )
            )

        return complete

    @staticmethod
    def _passed_on(
        response: httpx.Response, stream: httpx.SyncByteStream | httpx.AsyncByteStream, fetched_at: datetime
    ) -> httpx.Response:
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=stream,
            extensions={**response.extensions, FETCHED_AT_EXTENSION: fetched_at},
        )


class RecordingTransport(CapturingTransport):
    """Saves every response that passes through it into ``folder``, then hands it on unchanged.

    Stack it outside politeness: ``RecordingTransport(PoliteTransport(AsyncHTTPTransport(), ...), folder)``;
    ``RecordingTransport(httpx.HTTPTransport(), folder)`` records for a sync ``httpx.Client``.
    A response is saved when its body has been read to the end and closed, so a body the caller
    abandons (too large, not HTML) is not saved. Request headers are never saved.

    Args:
        inner: the transport that fetches (sync or async).
        folder: where to save.
        now: wall clock for ``fetched_at`` (UTC).
    """

    def __init__(
        self,
        inner: httpx.BaseTransport | httpx.AsyncBaseTransport,
        folder: FixtureFolder,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(inner, now=now)
        self.folder = folder

    def capture(self, exchange: Exchange) -> None:
        """Save the decoded body and the headers (secrets and wire headers left out) in the folder."""
        url = str(exchange.request.url)
        try:
            body = decoded_body(exchange.raw, exchange.headers)
        except httpx.DecodingError:
            logger.warning("not recording %s: its body does not match its Content-Encoding", url)
            return
        self.folder.save(
            url,
            method=exchange.request.method,
            status=exchange.status,
            headers=_decode_headers(exchange.headers),
            body=body,
            fetched_at=exchange.fetched_at,
        )


class ReplayTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Serves responses from a fixture folder, for sync and async clients; never opens a socket.

    Example:
        >>> client = httpx.Client(transport=ReplayTransport(FixtureFolder.load("fixtures/dhs")))

    Args:
        folder: a :class:`FixtureFolder`, or any :class:`ResponseSource` (a loaded WARC file).

    Raises (from ``handle_request``/``handle_async_request``):
        FixtureMissing: the URL is not saved; the message gives the command that records it.
    """

    def __init__(self, folder: ResponseSource) -> None:
        self.folder = folder

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Serve the saved response for ``request`` (sync clients)."""
        return self._respond(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Serve the saved response for ``request`` (async clients)."""
        return self._respond(request)

    def _respond(self, request: httpx.Request) -> httpx.Response:
        """The saved status, headers and body, or a 304 when the request's validators match."""
        url = str(request.url)
        saved = self.folder.get(url)
        if saved is None:
            raise FixtureMissing(url, self.folder.root)
        extensions: dict[str, Any] = {FETCHED_AT_EXTENSION: saved.fetched_at}
        if saved.status == 200 and _not_modified(request.headers, saved):
            kept = [(k, v) for k, v in saved.headers if k.lower() in NOT_MODIFIED_HEADERS]
            return httpx.Response(
                304, headers=_encode(kept), stream=httpx.ByteStream(b""), extensions=extensions
            )
        body = self.folder.body(saved)
        return httpx.Response(
            saved.status, headers=_encode(saved.headers), stream=httpx.ByteStream(body), extensions=extensions
        )


def _encode(headers: Iterable[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    """Header pairs as bytes, exactly as saved (UTF-8 for the rare non-ASCII value)."""
    return [(k.encode("ascii"), v.encode("utf-8")) for k, v in headers]


def _not_modified(request_headers: httpx.Headers, saved: SavedResponse) -> bool:
    """Whether a conditional request matches the saved validators (RFC 9110 §13.1.1-2).

    ``If-None-Match`` wins over ``If-Modified-Since`` when both are sent; ETags compare weakly.
    """
    if_none_match = request_headers.get("If-None-Match")
    etag = saved.header("ETag")
    if if_none_match is not None:
        if etag is None:
            return False
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or etag.strip().removeprefix("W/") in tags
    since = request_headers.get("If-Modified-Since")
    modified = saved.header("Last-Modified")
    if since is None or modified is None:
        return False
    try:
        return email.utils.parsedate_to_datetime(modified) <= email.utils.parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
