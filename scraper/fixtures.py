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

Keys are request URLs as sent, less two parts no server ever sees from a fixture: the userinfo
(``user:password@``, a secret) and the fragment (``#...``, never sent) (:func:`fixture_url`). A
lookup compares URLs as httpx spells them, with percent-escapes in one case (:func:`fixture_key`),
so ``https://alice:pw@x.gov/a#top`` and ``https://x.gov/a`` find the same entry. Bodies are stored
decoded from any ``Content-Encoding`` so a person can open and edit them; the stored headers
therefore leave out ``Content-Encoding``, ``Content-Length`` and ``Transfer-Encoding``, and never
hold ``Set-Cookie``, ``Cookie`` or ``Authorization`` (:data:`DROPPED_HEADERS`). ``file`` is null
for an empty body (a redirect). Files are created with the mode the umask gives (as ``touch``
would), never more private or more open.

**Body file names** are ``<host>/<slug>.<ext>`` (:func:`fixture_name`), never called
``index.json``: the one body that would be (JSON served at a host's ``/`` or ``/index``) gets the
hash suffix that a clash or a name Windows reserves gets (``<host>/index-<hash>.json``).

**Reading a folder** (:meth:`FixtureFolder.load`) reads ``DIR/index.json``, and looks for more
fixture folders in the sub-folders of ``DIR`` that are not its host folders, recursively, so
``fixtures/`` can hold many folders. A host folder (one that holds a body file listed in the
index) is never searched, so no body is read as an index; that keeps folders recorded before the
rule above (a JSON body saved as ``<host>/index.json``) loadable too. A nested ``index.json``
that is JSON but not a fixture index is skipped with a warning. Anything else wrong (invalid
JSON, an entry without ``status``, a bad ``fetched_at``, a ``file`` outside the folder) raises
:class:`~scraper.errors.FixtureCorrupt` naming the index, the URL and the problem; so does asking
for a response whose body file was deleted or renamed.

**One response per URL, and the GET one wins.** An index is keyed by URL alone, and what a crawl
replays is the page a GET returns. So a non-GET answer never replaces a GET entry: a HEAD (or
POST) recorded after the GET of its URL is not saved (logged at INFO), and one recorded first is
replaced by the GET when that comes. An entry recorded for another method (``"method": "HEAD"``)
answers only that method: a GET of its URL raises ``FixtureMissing``, as the page was never
recorded, rather than replaying an empty body. A HEAD request is answered from the GET entry,
with its status and headers and no body, as a server answers HEAD.

**Recording into a folder others write too** (two ``topicscrape record`` runs, ``pytest -n 4
--record-fixtures``): each save takes an exclusive lock on the index (``flock`` on
``DIR/.index.json.lock``, removed again after), re-reads the index if another process changed
it, and writes the merge, so no process drops another's entries. Where ``flock`` does not exist
(Windows) saves still merge, without the lock.

- :class:`RecordingTransport` saves every response it passes on, once its body has been read to
  the end. A body abandoned half-way (too large, a test that read a few bytes of a stream) is not
  saved: :meth:`CapturingTransport.abandoned` is told, which logs it (the pytest plugin warns);
  so is a body never closed, when the transport closes.
  It is one :class:`CapturingTransport`, the tee shared with the WARC writer
  (:mod:`scraper.warc`); both work for sync and async clients.
- :class:`ReplayTransport` serves saved responses and never opens a socket; a URL that is not saved
  raises :class:`~scraper.errors.FixtureMissing`, whose message gives the ``topicscrape record``
  command. It answers ``If-None-Match``/``If-Modified-Since`` with 304 as a server would. It reads
  any :class:`ResponseSource`: a :class:`FixtureFolder`, or a WARC file loaded by
  :class:`scraper.warc.WarcArchive`, so both replay through the same code.
"""

from __future__ import annotations

import email.utils
import functools
import hashlib
import json
import logging
import os
import re
import secrets
import threading
import zlib
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

import httpx

from scraper.errors import FixtureCorrupt, FixtureMissing, WarcNotAppendable

try:
    import fcntl
except ImportError:  # Windows: no flock; saves still merge with the index on disk
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "DROPPED_HEADERS",
    "FETCHED_AT_EXTENSION",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "INDEX_NAME",
    "LOCK_NAME",
    "SECRET_HEADERS",
    "CapturingTransport",
    "Exchange",
    "FixtureFolder",
    "RecordingTransport",
    "ReplayTransport",
    "ResponseSource",
    "SavedResponse",
    "decoded_body",
    "fixture_key",
    "fixture_name",
    "fixture_url",
]

logger = logging.getLogger(__name__)

FORMAT_NAME = "topicscrape-fixtures"
FORMAT_VERSION = 1
INDEX_NAME = "index.json"

LOCK_NAME = ".index.json.lock"
"""The lock file a save holds (``flock``) while it merges and rewrites ``index.json``; removed after."""

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

STATUS_CODES = range(100, 600)
"""What an index's ``status`` may be: the three-digit codes of RFC 9110 §15."""

NOT_MODIFIED_HEADERS = frozenset({"cache-control", "content-location", "date", "etag", "expires", "vary"})
"""Headers a 304 repeats from the 200 it stands for (RFC 9110 §15.4.5)."""

NEW_FILE_MODE = 0o666
"""Mode asked for when creating a file; the umask takes its bits off, as for any program's files."""

_UNSAFE = re.compile(r"[^a-z0-9]+")
_UNSAFE_HOST = re.compile(r"[^a-z0-9.-]+")
_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
"""A header name (RFC 9110 §5.6.2 token)."""


def fixture_url(url: str) -> str:
    """The URL as a fixture folder or WARC stores it: as httpx spells it, without the userinfo
    (``user:password@``, a secret) or the fragment (``#...``, which no request sends).

    >>> fixture_url("https://alice:s3cret@www.dhs.gov/keywords/secure-communities?page=1#main")
    'https://www.dhs.gov/keywords/secure-communities?page=1'

    Raises:
        ValueError: ``url`` is not a valid URL.
    """
    try:
        return str(httpx.URL(url).copy_with(userinfo=b"", fragment=None))
    except httpx.InvalidURL as exc:
        raise ValueError(f"not a valid URL: {url!r}") from exc


@functools.lru_cache(maxsize=4096)
def fixture_key(url: str) -> str:
    """What saved responses are looked up by: :func:`fixture_url`, with percent-escapes in upper
    case (``%c3%a9`` and ``%C3%A9`` are the same byte, RFC 3986 §2.1).

    >>> fixture_key("http://Example.gov/caf%c3%a9#top")
    'http://example.gov/caf%C3%A9'

    Raises:
        ValueError: ``url`` is not a valid URL.
    """
    return _ESCAPE.sub(lambda escape: escape.group().upper(), fixture_url(url))


def fixture_name(url: str, content_type: str | None = None) -> str:
    """The human-readable file name for a response body: ``<host>/<slug>.<ext>``, relative to DIR.

    The slug comes from the URL's *encoded* path and query, lowercased, with every run of other
    characters turned into ``-``, so no ``/``, ``..`` or ``%2F`` can reach the filesystem. It is not
    unique on its own (``/A`` and ``/a`` share it); :meth:`FixtureFolder.save` adds a hash suffix
    when another URL already holds the name, or when the name is reserved (``index.json``, a
    Windows device name such as ``con.html``).

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


def _format_time(when: datetime) -> str:
    """RFC 3339 UTC with a ``Z``, to the second (the records' format)."""
    return when.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _parse_time(text: str) -> datetime:
    """An index time back into an aware datetime (UTC assumed when a hand-edited one has no zone)."""
    when = datetime.fromisoformat(text)
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and ``os.replace``: readers never see half.

    The file gets the umask's mode. ``tempfile.mkstemp`` would make it 0600 whatever the umask, so
    the temporary name is made here and created with ``O_EXCL``, as mkstemp does.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(tmp, flags, NEW_FILE_MODE)
        except FileExistsError:  # 1 in 4 billion, and only next to another writer's temporary file
            continue
        break
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _inside(base: Path, relative: str) -> Path:
    """``base / relative``, refusing anything that resolves outside ``base`` (or to ``base`` itself)."""
    root = base.resolve()
    target = (base / relative).resolve()
    if target == root or not target.is_relative_to(root):
        raise ValueError(f"fixture file {relative!r} escapes its folder {base}")
    return target


def _stamp(data: bytes | None) -> bytes | None:
    """What tells whether an index changed since we last read or wrote it: a digest of its bytes.

    Not its inode, mtime and size: a freed inode is soon reused, mtimes are as coarse as the
    kernel's clock tick, and a rewritten entry leaves the size as it was.
    """
    return None if data is None else hashlib.sha256(data).digest()


def _index_bytes(path: Path) -> bytes | None:
    """The bytes of an ``index.json``, or None when there is none.

    Raises:
        FixtureCorrupt: it cannot be read.
    """
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise FixtureCorrupt(path, f"cannot be read: {exc.strerror or exc}", folder=path.parent) from exc


class _IndexLock:
    """An exclusive ``flock`` on ``base/.index.json.lock`` while an index is read, merged and written.

    The lock file is removed on release, so a folder holds no stray file. A waiter that wakes up on
    a lock file already removed (its inode no longer the path's) opens the new one and waits again:
    the usual lock-and-unlink protocol. A crash leaves the (empty, unlocked) file behind; the next
    save uses it and removes it. Without ``fcntl`` (Windows) or on a filesystem that refuses
    ``flock``, saves go on unlocked.
    """

    def __init__(self, base: Path) -> None:
        self.path = base / LOCK_NAME
        self._fd: int | None = None

    def __enter__(self) -> _IndexLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if fcntl is None:
            return self
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, NEW_FILE_MODE)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError as exc:  # e.g. a network filesystem without locks
                os.close(fd)
                logger.debug("cannot lock %s (%s); saving without a lock", self.path, exc)
                return self
            try:
                mine = os.stat(self.path)
            except FileNotFoundError:
                mine = None
            held = os.fstat(fd)
            if mine is not None and (mine.st_dev, mine.st_ino) == (held.st_dev, held.st_ino):
                self._fd = fd
                return self
            os.close(fd)  # the holder before us removed this file: lock the current one

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._fd is not None:
            self.path.unlink(missing_ok=True)
            os.close(self._fd)
            self._fd = None


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

    Use :meth:`load` to read an existing folder (its ``index.json`` and the folders nested in it);
    a new, empty folder is created on the first :meth:`save`. New responses go into
    ``root/index.json``; re-saving a URL replaces its entry (and body file) wherever it is listed,
    so nothing is duplicated. Writes are atomic, and a save merges with what other processes wrote
    to the same index meanwhile (see the module docstring), so several recorders may share a folder.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._entries: dict[str, SavedResponse] = {}  # fixture_key → entry; the shallowest index wins
        self._indexes: dict[Path, dict[str, SavedResponse]] = {}  # folder → {URL as listed: entry}
        self._stamps: dict[Path, bytes | None] = {}  # folder → its index.json as last seen (_stamp)
        self._lock = threading.Lock()

    @classmethod
    def load(cls, root: str | Path) -> FixtureFolder:
        """Read ``root/index.json`` and the fixture folders nested in ``root`` (never in its host
        folders, nor in hidden ones such as ``.git``).

        The shallowest index wins a URL listed twice. A missing ``root`` gives an empty folder
        (recording into a new directory).

        Raises:
            FixtureCorrupt: an index is not valid JSON or not a fixture index (``root``'s own), or
                one of its entries is broken; the message names the file, the URL and the problem.
        """
        folder = cls(root)
        if folder.root.is_dir():
            folder._load_tree()
        return folder

    def _load_tree(self) -> None:
        """Breadth first, so a shallower index is read (and wins) before a deeper one."""
        queue = deque([self.root])
        seen: set[Path] = set()
        while queue:
            directory = queue.popleft()
            real = directory.resolve()
            if real in seen:  # a symlink loop
                continue
            seen.add(real)
            hosts: set[str] = set()
            index = directory / INDEX_NAME
            if index.is_file():
                hosts = self._read_index(index, nested=directory != self.root)
            queue.extend(
                sorted(
                    child
                    for child in directory.iterdir()
                    if child.is_dir() and child.name not in hosts and not child.name.startswith(".")
                )
            )

    def _read_index(self, path: Path, *, nested: bool) -> set[str]:
        """Add the entries of one ``index.json``; returns its host folders (those holding its bodies)."""
        data = _index_bytes(path)
        entries = _read_entries(path, data, nested=nested) if data is not None else {}
        if entries is None:
            return set()
        base = path.parent
        self._indexes[base] = entries
        self._stamps[base] = _stamp(data)
        for url, saved in entries.items():
            key = fixture_key(url)
            found = self._entries.get(key)
            if found is not None:
                logger.warning("%s lists %s again (as %s); keeping the one found first", path, url, found.url)
                continue
            self._entries[key] = saved
        return {saved.file.split("/", 1)[0] for saved in entries.values() if saved.file and "/" in saved.file}

    def __contains__(self, url: object) -> bool:
        return isinstance(url, str) and self.get(url) is not None

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[SavedResponse]:
        return iter(list(self._entries.values()))

    def get(self, url: str) -> SavedResponse | None:
        """The saved response for ``url`` (userinfo, fragment and escape case do not matter), or None."""
        try:
            return self._entries.get(fixture_key(url))
        except ValueError:
            return None

    def body(self, saved: SavedResponse) -> bytes:
        """The saved body (b"" when there is none).

        Raises:
            FixtureCorrupt: the body file is missing (deleted, renamed), unreadable, or outside the
                folder; the message names it and the command that records the URL again.
        """
        if saved.file is None:
            return b""
        index = saved.folder / INDEX_NAME
        try:
            path = _inside(saved.folder, saved.file)
        except ValueError:
            raise FixtureCorrupt(
                index, f'its "file" {saved.file!r} is outside the folder', url=saved.url, folder=saved.folder
            ) from None
        shown = saved.folder / saved.file
        try:
            return path.read_bytes()
        except FileNotFoundError as exc:
            raise FixtureCorrupt(
                index,
                f"its body file {shown} is missing (deleted or renamed?)",
                url=saved.url,
                folder=saved.folder,
            ) from exc
        except OSError as exc:
            raise FixtureCorrupt(
                index,
                f"its body file {shown} cannot be read: {exc.strerror or exc}",
                url=saved.url,
                folder=saved.folder,
            ) from exc

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

        The index is locked, re-read if another process changed it, and written back merged. A
        folder holds one response per URL, so a non-GET answer (a HEAD's) never replaces a GET
        one: it is saved only when the URL has no GET entry (see the module docstring).

        Args:
            url: the request URL as sent (its userinfo and fragment are not saved).
            status: HTTP status.
            headers: response headers; :data:`DROPPED_HEADERS` are left out here.
            body: the body, already decoded from any Content-Encoding.
            fetched_at: when it was fetched (UTC).
            method: request method.

        Returns:
            The new entry, or the GET entry kept in its place.

        Raises:
            FixtureCorrupt: the index on disk, changed by another process, is broken.
        """
        url = fixture_url(url)
        key = fixture_key(url)
        kept = tuple((name, value) for name, value in headers if name.lower() not in DROPPED_HEADERS)
        with self._lock:
            home = self._entries.get(key)
            base = home.folder if home is not None else self.root
            with _IndexLock(base):
                index = self._refresh(base)
                kept_get = self._entries.get(key)
                if method.upper() != "GET" and kept_get is not None and kept_get.method.upper() == "GET":
                    logger.info("not saving the %s answer for %s over its GET fixture", method, url)
                    return kept_get
                spellings = [saved for saved in index.values() if fixture_key(saved.url) == key]
                previous = spellings[0] if spellings else None
                file: str | None = None
                if body:
                    content_type = next((v for k, v in kept if k.lower() == "content-type"), None)
                    file = self._choose_file(index, url, key, content_type, previous)
                    _atomic_write(_inside(base, file), body)
                for old in spellings:
                    if old.file is not None and old.file != file:
                        _inside(base, old.file).unlink(missing_ok=True)
                    del index[old.url]
                saved = SavedResponse(url, method, status, kept, file, fetched_at, base)
                index[url] = saved
                self._write_index(base)
            found = self._entries.get(key)
            if found is None or found.folder == base:  # else a shallower index lists it and wins
                self._entries[key] = saved
        return saved

    def _refresh(self, base: Path) -> dict[str, SavedResponse]:
        """``base``'s index as it is on disk now (read again only if another process rewrote it)."""
        path = base / INDEX_NAME
        data = _index_bytes(path)
        stamp = _stamp(data)
        if base in self._indexes and stamp == self._stamps.get(base):
            return self._indexes[base]
        entries = (_read_entries(path, data, nested=False) or {}) if data is not None else {}
        self._indexes[base] = entries
        self._stamps[base] = stamp
        self._entries = {}
        for index in self._indexes.values():
            for saved in index.values():
                self._entries.setdefault(fixture_key(saved.url), saved)
        return entries

    def _choose_file(
        self,
        index: dict[str, SavedResponse],
        url: str,
        key: str,
        content_type: str | None,
        previous: SavedResponse | None,
    ) -> str:
        """A body file name no other URL in this index uses (reusing the URL's old name when it fits)."""
        name = fixture_name(url, content_type)
        if (
            previous is not None
            and previous.file is not None
            and previous.file.endswith("." + name.rsplit(".", 1)[1])
            and not _reserved(previous.file)
        ):
            return previous.file
        taken = {s.file.lower() for s in index.values() if s.file is not None and fixture_key(s.url) != key}
        length = HASH_LENGTH
        candidate = _with_hash(name, url, length) if _reserved(name) else name
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
        encoded = (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        _atomic_write(base / INDEX_NAME, encoded)
        self._stamps[base] = _stamp(encoded)


def _reserved(name: str) -> bool:
    """Whether a body file may not be called ``name``: a Windows device name, or the index's name."""
    file = name.rsplit("/", 1)[-1].lower()
    return file == INDEX_NAME or file.split(".", 1)[0] in WINDOWS_RESERVED


def _read_entries(path: Path, data: bytes, *, nested: bool) -> dict[str, SavedResponse] | None:
    """The entries of one ``index.json`` (``data``, read from ``path``), each checked; None for a
    nested file that is not a fixture index.

    Raises:
        FixtureCorrupt: the file or an entry is broken.
    """
    base = path.parent

    def broken(problem: str) -> FixtureCorrupt:
        return FixtureCorrupt(path, problem, folder=base)

    try:
        text = data.decode("utf-8-sig")  # an editor may have put a byte order mark in front
    except UnicodeDecodeError:
        raise broken("is not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise broken(f"is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        if nested:  # some other JSON file kept among the fixtures
            logger.warning("skipping %s: it is not a %s index", path, FORMAT_NAME)
            return None
        raise broken(f'is not a {FORMAT_NAME} index (it has no "format": "{FORMAT_NAME}")')
    if data.get("version") != FORMAT_VERSION:
        raise broken(
            f"has version {data.get('version')!r}; this topicscrape reads version {FORMAT_VERSION} "
            "(a newer index needs a newer topicscrape)"
        )
    responses = data.get("responses", {})
    if not isinstance(responses, dict):
        raise broken('its "responses" is not an object of URL: entry')
    return {url: _entry(path, url, entry) for url, entry in responses.items()}


def _entry(path: Path, url: str, entry: object) -> SavedResponse:
    """One ``index.json`` entry, checked field by field.

    Raises:
        FixtureCorrupt: naming the index, the URL and the field at fault.
    """
    base = path.parent

    def broken(problem: str) -> FixtureCorrupt:
        return FixtureCorrupt(path, problem, url=url, folder=base)

    if not _is_absolute_http(url):  # no record command to suggest for it: the index is at fault
        raise FixtureCorrupt(path, f"its key {url!r} is not an absolute http(s) URL", folder=base)
    if not isinstance(entry, dict):
        raise broken("the entry is not an object")
    if "status" not in entry:
        raise broken('"status" is missing')
    status = entry["status"]
    if isinstance(status, bool) or not isinstance(status, int | str) or not str(status).isdigit():
        raise broken(f'"status" is not an HTTP status code: {status!r}')
    if int(status) not in STATUS_CODES:
        raise broken(f'"status" is not an HTTP status code: {status!r}')
    method = entry.get("method", "GET")
    if not isinstance(method, str) or not _TOKEN.fullmatch(method):
        raise broken(f'"method" is not an HTTP method: {method!r}')
    headers = entry.get("headers", [])
    if not isinstance(headers, list) or not all(_is_header(pair) for pair in headers):
        raise broken('"headers" is not a list of ["Name", "value"] pairs')
    file = entry.get("file")
    if file is not None:
        if not isinstance(file, str) or not file:
            raise broken(f'"file" is not a file name: {file!r}')
        try:
            target = _inside(base, file)
        except ValueError:
            raise broken(f'"file" {file!r} is outside the folder') from None
        if target == (base / INDEX_NAME).resolve():
            raise broken(f'"file" {file!r} is the index itself')
    fetched = entry.get("fetched_at")
    try:
        fetched_at = None if fetched is None else _parse_time(fetched)
    except (TypeError, ValueError):
        raise broken(
            f'"fetched_at" is not an RFC 3339 time such as 2016-07-01T12:00:00Z: {fetched!r}'
        ) from None
    return SavedResponse(
        url=url,
        method=method,
        status=int(status),
        headers=tuple((str(k), str(v)) for k, v in headers),
        file=file,
        fetched_at=fetched_at,
        folder=base,
    )


def _is_absolute_http(url: str) -> bool:
    """Whether an index key is an absolute http(s) URL with a host, the only kind a crawl asks for."""
    try:
        parsed = httpx.URL(fixture_url(url))
    except ValueError:
        return False
    return parsed.scheme in ("http", "https") and bool(parsed.host)


def _is_header(pair: object) -> bool:
    """A ``[name, value]`` pair that can go back on the wire."""
    if not isinstance(pair, list | tuple) or len(pair) != 2:
        return False
    name, value = pair
    return (
        isinstance(name, str)
        and _TOKEN.fullmatch(name) is not None
        and isinstance(value, str | int | float)
        and not any(c in str(value) for c in "\r\n\0")
    )


def _content_length(headers: httpx.Headers) -> int | None:
    """The ``Content-Length`` a response declares (bytes on the wire), or None."""
    value = headers.get("Content-Length", "").strip()
    return int(value) if value.isdigit() else None


def _decode_headers(headers: httpx.Headers) -> list[tuple[str, str]]:
    """Header pairs with their original spelling and order."""
    return [(k.decode(headers.encoding), v.decode(headers.encoding)) for k, v in headers.raw]


def decoded_body(raw: bytes, headers: httpx.Headers) -> bytes:
    """``raw`` decoded from its Content-Encoding, as httpx would decode it for a client, and only if
    whole: httpx decodes a gzip or deflate stream cut short (a connection closed mid-body) without
    a word, and a cut page saved as a fixture would replay as a shorter page forever.

    Raises:
        httpx.DecodingError: the bytes do not match the Content-Encoding, or end before its stream.
    """
    encoding = headers.get("Content-Encoding")
    if not encoding:
        return raw
    coding = encoding.strip().lower()
    if raw and coding in _ZLIB_WBITS and not _stream_ends(raw, _ZLIB_WBITS[coding]):
        raise httpx.DecodingError(f"the body ended before its {coding} stream did")
    # x-gzip is gzip (RFC 9110), which httpx only knows by its short name.
    known = re.sub(r"\bx-gzip\b", "gzip", encoding, flags=re.IGNORECASE)
    return httpx.Response(200, headers={"Content-Encoding": known}, content=raw).read()


# zlib's window bits per coding: gzip's header and trailer; deflate as zlib-wrapped, else raw.
_ZLIB_WBITS: dict[str, tuple[int, ...]] = {
    "gzip": (16 + zlib.MAX_WBITS,),
    "x-gzip": (16 + zlib.MAX_WBITS,),
    "deflate": (zlib.MAX_WBITS, -zlib.MAX_WBITS),
}


def _stream_ends(raw: bytes, wbits: tuple[int, ...]) -> bool:
    """False if ``raw`` is a compressed stream cut before its end (for gzip, its trailer). Bytes
    that are no such stream at all count as ending: httpx names that mismatch."""
    readable = False
    for bits in wbits:
        inflater, rest = zlib.decompressobj(bits), raw
        try:
            while rest and not inflater.eof:
                inflater.decompress(rest, 1 << 16)  # bounded: a bomb is never inflated whole here
                rest = inflater.unconsumed_tail
        except zlib.error:
            continue  # not this framing: try the next
        if inflater.eof:
            return True
        readable = True
    return not readable


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
    """Keeps a copy of a body as it passes; on close, calls ``on_complete`` once if it was read whole,
    else ``on_abandoned`` with how many bytes were read.

    Read whole means iterated to the end, or as many bytes as the response's ``Content-Length``
    (``expected``) said: a caller that took the one chunk holding all of it has the whole body.
    """

    def __init__(
        self,
        on_complete: Callable[[bytes], None],
        on_abandoned: Callable[[int], None],
        expected: int | None = None,
        unsettled: set[_Tee] | None = None,
    ) -> None:
        self._on_complete: Callable[[bytes], None] | None = on_complete
        self._on_abandoned = on_abandoned
        self._expected = expected
        self._chunks: list[bytes] = []
        self._complete = False
        self._unsettled = unsettled if unsettled is not None else set()
        self._unsettled.add(self)

    def _finish(self) -> None:
        if self._on_complete is None:
            return
        self._unsettled.discard(self)
        on_complete, self._on_complete = self._on_complete, None
        read = sum(len(chunk) for chunk in self._chunks)
        if self._complete or (self._expected is not None and read == self._expected):
            on_complete(b"".join(self._chunks))
        else:
            self._on_abandoned(read)


class _SyncTee(_Tee, httpx.SyncByteStream):
    """:class:`_Tee` for sync clients."""

    def __init__(
        self,
        inner: httpx.SyncByteStream,
        on_complete: Callable[[bytes], None],
        on_abandoned: Callable[[int], None],
        expected: int | None = None,
        unsettled: set[_Tee] | None = None,
    ) -> None:
        super().__init__(on_complete, on_abandoned, expected, unsettled)
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

    def __init__(
        self,
        inner: httpx.AsyncByteStream,
        on_complete: Callable[[bytes], None],
        on_abandoned: Callable[[int], None],
        expected: int | None = None,
        unsettled: set[_Tee] | None = None,
    ) -> None:
        super().__init__(on_complete, on_abandoned, expected, unsettled)
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
    HTML) is never kept as if it were whole: :meth:`abandoned` hears of it instead (it logs; a
    subclass may warn louder). A ``304 Not Modified`` is never captured: it stands
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
        self._unsettled: set[_Tee] = set()
        """Bodies passed on and not closed yet: settled when the transport closes."""

    def capture(self, exchange: Exchange) -> None:
        """Keep ``exchange`` (subclasses say where). Errors propagate to the caller closing the body."""
        raise NotImplementedError

    def abandoned(self, url: str, status: int, read: int) -> None:
        """A response closed before its body was read to the end: it is not captured; say so.

        Args:
            url: the request URL (:func:`fixture_url`: no userinfo, no fragment).
            status: the response status.
            read: how many body bytes the caller had read.
        """
        logger.info(
            "not recording %s (HTTP %d): its body was closed after %d bytes, unfinished", url, status, read
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send through a sync ``inner``; capture the exchange once its body is read and closed."""
        if not isinstance(self.inner, httpx.BaseTransport):
            raise TypeError(f"{type(self.inner).__name__} is an async transport: use an httpx.AsyncClient")
        fetched_at = self._fetched_at()
        response = self.inner.handle_request(request)
        assert isinstance(response.stream, httpx.SyncByteStream)
        stream = _SyncTee(
            response.stream,
            self._on_complete(request, response, fetched_at),
            self._on_abandoned(request, response),
            _content_length(response.headers),
            self._unsettled,
        )
        return self._passed_on(response, stream, fetched_at)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send through an async ``inner``; capture the exchange once its body is read and closed."""
        if not isinstance(self.inner, httpx.AsyncBaseTransport):
            raise TypeError(f"{type(self.inner).__name__} is a sync transport: use an httpx.Client")
        fetched_at = self._fetched_at()
        response = await self.inner.handle_async_request(request)
        assert isinstance(response.stream, httpx.AsyncByteStream)
        stream = _AsyncTee(
            response.stream,
            self._on_complete(request, response, fetched_at),
            self._on_abandoned(request, response),
            _content_length(response.headers),
            self._unsettled,
        )
        return self._passed_on(response, stream, fetched_at)

    def close(self) -> None:
        """Close a sync ``inner``, after settling every body its caller never closed."""
        self._settle()
        if isinstance(self.inner, httpx.BaseTransport):
            self.inner.close()

    async def aclose(self) -> None:
        """Close an async ``inner``, after settling every body its caller never closed."""
        self._settle()
        if isinstance(self.inner, httpx.AsyncBaseTransport):
            await self.inner.aclose()

    def _settle(self) -> None:
        """A response never closed (``client.send(stream=True)`` left open) is captured if its
        body was read whole, else :meth:`abandoned` hears of it: never lost without a word."""
        for tee in list(self._unsettled):
            tee._finish()

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

    def _on_abandoned(self, request: httpx.Request, response: httpx.Response) -> Callable[[int], None]:
        """The callback for a body closed unfinished (a 304 has nothing to record: never reported)."""
        status = response.status_code

        def abandoned(read: int) -> None:
            if status != NOT_MODIFIED:
                self.abandoned(fixture_url(str(request.url)), status, read)

        return abandoned

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
        url = fixture_url(str(exchange.request.url))
        try:
            body = decoded_body(exchange.raw, exchange.headers)
        except httpx.DecodingError as exc:
            logger.warning("not recording %s: its body does not match its Content-Encoding (%s)", url, exc)
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
        WarcNotAppendable: the URL is not in a WARC file that cannot be read to its end (it may
            have been in the lost part); the message says to move the file away first.
        FixtureCorrupt: the URL is saved but its body cannot be had (a body file deleted, a WARC
            record cut short); the message says what to re-record.
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
        if saved is None or (saved.method.upper() not in ("GET", request.method.upper())):
            # a HEAD's answer (no body) must not pass for the page a GET asks for
            broken = getattr(self.folder, "broken", None)
            if isinstance(broken, str):  # a WARC cut short: the URL may be in what was lost
                raise WarcNotAppendable(
                    self.folder.root, f"is not in the records before {broken}", url=fixture_url(url)
                )
            raise FixtureMissing(fixture_url(url), self.folder.root)  # never a password in a message
        extensions: dict[str, Any] = {FETCHED_AT_EXTENSION: saved.fetched_at}
        if saved.status == 200 and _not_modified(request.headers, saved):
            kept = [(k, v) for k, v in saved.headers if k.lower() in NOT_MODIFIED_HEADERS]
            return httpx.Response(
                304, headers=_encode(kept), stream=httpx.ByteStream(b""), extensions=extensions
            )
        body = b"" if request.method == "HEAD" else self.folder.body(saved)
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
