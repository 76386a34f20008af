"""Where records go: JSON Lines, SQLite (upsert + full-text search), CSV, search-engine bulk files.

Every sink takes a batch of records (those of the crawl's group of finished pages) per
:meth:`Sink.write` call and returns only once that batch is durable (``fsync`` for files, a committed
``synchronous=FULL`` transaction for SQLite), so the crawl can mark the pages done right after (see
:mod:`scraper.frontier` for the whole resume argument).

Every sink is idempotent per record id, so a page fetched again after a kill never duplicates a row:

- :class:`SqliteSink` upserts by id.
- The file sinks (:class:`JsonlSink`, :class:`CsvSink`, :class:`BulkSink`) never write an id twice in
  one file. Each record is one ``os.write`` of its complete bytes on an ``O_APPEND`` descriptor, so a
  killed process leaves whole lines. Opened with ``resume=True`` they read the existing file, cut a torn
  last record (from a power cut, or a write the disk refused half-way), and load the ids already present,
  which later writes skip. Opened with ``resume=False`` they start the file afresh.

Memory does not grow with the records: the ids a file holds are kept on disk (:class:`_KeyIndex`).
Sinks may be written from worker threads (``asyncio.to_thread``): each ``write`` holds a lock.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
import re
import sqlite3
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import IO, Any, ClassVar, Literal, Protocol, Self, runtime_checkable

from parsers.records import Record

__all__ = [
    "BULK_SUFFIXES",
    "FIELDS",
    "RECORDS_SCHEMA_VERSION",
    "SQLITE_SUFFIXES",
    "BulkSink",
    "CsvSink",
    "JsonlSink",
    "RejectsSink",
    "SearchQueryError",
    "Sink",
    "SqliteSink",
    "StreamSink",
    "check_output",
    "default_rejects_path",
    "open_sink",
    "search",
]

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no flock
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

FIELDS: tuple[str, ...] = tuple(Record.model_fields)
"""The record's fields in contract order: the CSV header and the SQLite columns."""

RECORDS_SCHEMA_VERSION = 1
"""Layout version of the SQLite records database (``PRAGMA user_version``)."""

SEARCH_TITLE_WEIGHT = 10.0
"""bm25 weight of a title match against 1.0 for the excerpt: a word in a headline says more than
the same word somewhere in a 60-word summary."""

_JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonlines")
SQLITE_SUFFIXES = (".sqlite", ".sqlite3", ".db")
"""File names a SQLite database output may end with."""
BULK_SUFFIXES = (".bulk.ndjson", ".bulk.jsonl", ".bulk")
"""File names a bulk (Elasticsearch/OpenSearch ``_bulk`` body) output may end with."""
_BAD_INDEX_CHARS = '"*\\<|,>/?#: '  # Elasticsearch's index-name rules (OpenSearch's are the same)
MAX_INDEX_NAME_BYTES = 255
"""Longest index name Elasticsearch accepts, in UTF-8 bytes (its "Create index API" page)."""
_CHUNK = 500  # SQLite's bound-parameter limit is 999 on old builds


@runtime_checkable
class Sink(Protocol):
    """A destination for records. ``write`` takes a batch (one or more pages') and returns only when it
    is durable.

    A sink whose ``cumulative`` attribute is true keeps the records of earlier runs (a database):
    a crawl writing only to such sinks asks servers for changed pages only (a 304 has no body).
    """

    path: Path

    def write(self, records: Sequence[Record]) -> int:
        """Store a batch; return how many records this sink took: those new to it and, for a
        cumulative sink, those whose stored row they changed (the rest were already there as given)."""
        ...

    def close(self) -> None:
        """Release the file or connection."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class _Closing:
    """Context-manager plumbing shared by the sinks."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _lock_output(fd: int, path: Path) -> None:
    """Hold an exclusive ``flock`` on an output file while a sink writes it (released when the
    descriptor closes, or the process dies): two runs writing one file (each with its own state
    file) would interleave their records. Where ``flock`` does not exist (Windows), nothing.

    Raises:
        ValueError: another run holds the file.
    """
    if fcntl is None:  # pragma: no cover - Windows
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise ValueError(
            f"{path} is being written by another topicscrape run; wait for it to end, or write elsewhere"
        ) from None


def _make_room(path: Path) -> None:
    """Create ``path``'s folder if missing; a one-line ``ValueError`` if ``path`` is a folder or its
    folder cannot be made."""
    if path.is_dir():
        raise _directory_error(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _cannot_write(path, exc) from exc


def _fsync_dir(path: Path) -> None:
    """Make a newly created file's directory entry durable too (POSIX; a no-op where unsupported)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _directory_error(path: Path) -> ValueError:
    return ValueError(f"{path} is a directory: give a file name")


def _cannot_write(path: Path, exc: OSError) -> ValueError:
    """One line for an output the system will not let us create or open: the path and the reason."""
    where = f" ({exc.filename})" if exc.filename and str(exc.filename) != str(path) else ""
    return ValueError(f"{path} cannot be written: {exc.strerror or exc}{where}")


_RECORD_ID = re.compile(r"[0-9a-f]{24}")
"""What ``parsers.records.record_id`` makes (the ``Record.id`` pattern)."""


KEY_CACHE_KIB = 2048
"""Memory a file sink's key index may hold (SQLite's page cache, in KiB); the rest of it stays in a
temporary file. Measured: a million ids raise peak RSS by under 2 MB (8-10 µs an insert)."""


class _KeyIndex:
    """The keys (record ids) a file holds, so that no id is written twice, in bounded memory.

    A file sink must know every id it wrote, and a crawl writes without end: held in memory that grows
    with the records (115 bytes an id as Python strings; ~19 per record even packed as bytes, 190 MB
    at ten million records). Here the keys live in a private SQLite database, which SQLite deletes
    on close, with at most :data:`KEY_CACHE_KIB` of it in memory (the rest in the temporary
    directory: ``SQLITE_TMPDIR`` or ``TMPDIR``). It is derived data, rebuilt from the file whenever
    the file is opened to resume, so it needs no journal and no sync.
    Record ids (24 hex digits) are stored as their 12 bytes; any other key (the rejects file's
    digests, a foreign file's ids) as text, which SQLite never takes for equal to a blob.
    """

    def __init__(self) -> None:
        self._db = sqlite3.connect("", isolation_level=None, check_same_thread=False)
        self._db.execute(f"PRAGMA cache_size=-{KEY_CACHE_KIB}")
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute("CREATE TABLE keys (key PRIMARY KEY) WITHOUT ROWID")
        self._count = 0

    @staticmethod
    def _pack(key: str) -> bytes | str:
        return bytes.fromhex(key) if len(key) == 24 and _RECORD_ID.fullmatch(key) else key

    def add(self, key: str) -> bool:
        """Remember ``key``; False if it was already there."""
        added = self._db.execute("INSERT OR IGNORE INTO keys VALUES (?)", (self._pack(key),)).rowcount == 1
        self._count += added
        return added

    @contextmanager
    def loading(self) -> Iterator[None]:
        """Add many keys in one transaction (reading a file back: ~4x faster than one by one)."""
        self._db.execute("BEGIN")
        try:
            yield
        finally:
            self._db.execute("COMMIT")

    def discard(self, key: str) -> None:
        """Forget ``key`` (a write that failed after its key was taken)."""
        self._count -= self._db.execute("DELETE FROM keys WHERE key=?", (self._pack(key),)).rowcount

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        return self._db.execute("SELECT 1 FROM keys WHERE key=?", (self._pack(key),)).fetchone() is not None

    def __len__(self) -> int:
        return self._count

    def close(self) -> None:
        """Drop the index (SQLite deletes its temporary file)."""
        self._db.close()


class _AppendFile(_Closing):
    """An append-only file of keyed units (a line, or a pair of lines) written by single ``os.write``\\ s.

    Subclasses say how a record becomes bytes (:meth:`_encode`), how many lines one unit spans
    (:attr:`_LINES`) and how to read a unit's key back (:meth:`_key`).
    """

    _LINES: ClassVar[int] = 1
    _NEWLINE_OPTIONAL: ClassVar[bool] = True
    """A valid unit whose final newline is missing is whole (true of JSON: every strict prefix of an
    object is invalid) and gets its newline back; false for CSV, where a cut row can still parse."""

    def __init__(self, path: Path | str, *, resume: bool, unique: bool = True) -> None:
        self.path = Path(path)
        self._unique = unique
        self._keys = _KeyIndex()
        self._fd: int | None = None
        self._lock = threading.Lock()
        try:
            self._open(resume)
        except BaseException:
            self._keys.close()
            raise

    def _open(self, resume: bool) -> None:
        _make_room(self.path)
        created = not self.path.exists()
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0)
        try:
            fd = os.open(self.path, flags, 0o644)
        except OSError as exc:
            raise _cannot_write(self.path, exc) from exc
        try:
            _lock_output(fd, self.path)  # before anything is cut: another run may be writing it
            missing_newline = False
            if resume and not created:
                good, missing_newline = self._recover()
                size = self.path.stat().st_size
                if good < size:
                    logger.warning(
                        "%s: cut %d byte(s) of a record torn by an earlier interruption",
                        self.path,
                        size - good,
                    )
                    os.ftruncate(fd, good)
            else:
                os.ftruncate(fd, 0)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        if missing_newline:
            self._append(b"\n")
        if self.path.stat().st_size == 0:
            self._start()
        os.fsync(self._fd)
        if created:
            _fsync_dir(self.path.parent)

    # -- what subclasses provide ------------------------------------------------------------------

    def _encode(self, record: Record) -> bytes:
        raise NotImplementedError

    def _key(self, lines: list[bytes], lineno: int) -> str | None:
        """The key of one stored unit (its lines without terminators), None for a unit without one
        (a header); ValueError if it is not valid."""
        raise NotImplementedError

    def _start(self) -> None:
        """Write whatever an empty file begins with (a CSV header)."""

    def _units(self, fh: IO[bytes]) -> Iterator[tuple[list[bytes], int, int]]:
        """Yield ``(lines, first line number, end offset)`` per unit; the last may be incomplete."""
        lines: list[bytes] = []
        offset = 0
        first = 1
        for lineno, line in enumerate(fh, start=1):
            offset += len(line)
            if not lines:
                first = lineno
            lines.append(line)
            if len(lines) == self._LINES:
                yield lines, first, offset
                lines = []
        if lines:
            yield lines, first, offset

    # -- resume ---------------------------------------------------------------------------------

    def _recover(self) -> tuple[int, bool]:
        """Load the keys of the existing file; return the length of its valid part and whether that
        part only lacks a final newline.

        Only the last unit can be damaged by an interruption; damage anywhere else means the file is
        not ours (or was edited), and we refuse to touch it rather than cut someone's data.
        """
        size = self.path.stat().st_size
        good = 0
        with self.path.open("rb") as fh, self._keys.loading():
            for lines, first, end in self._units(fh):
                complete = len(lines) == self._LINES and lines[-1].endswith(b"\n")
                at_end = end == size
                try:
                    if len(lines) != self._LINES:
                        raise ValueError("incomplete record")
                    if not complete and not self._NEWLINE_OPTIONAL:
                        raise ValueError("no line terminator")
                    key = self._key([_strip_eol(line) for line in lines], first)
                except ValueError as exc:
                    if at_end:
                        return good, False
                    raise ValueError(
                        f"{self.path}, line {first}: not a valid record ({exc}); only the last record "
                        "can be torn by an interruption, so this file was written by something else "
                        "or edited. Move it aside or start without --resume."
                    ) from exc
                if key is not None:
                    self._keys.add(key)
                good = end
                if not complete:  # a whole, valid unit whose newline alone was lost
                    return good, True
        return good, False

    # -- writing --------------------------------------------------------------------------------

    def _open_fd(self) -> int:
        """The file's descriptor; ValueError once the sink is closed."""
        if self._fd is None:
            raise ValueError(f"{self.path}: write to a closed sink")
        return self._fd

    def _append(self, data: bytes) -> None:
        fd = self._open_fd()
        view = memoryview(data)
        while view:  # regular files take it all at once; the loop covers a short write near a full disk
            written = os.write(fd, view)
            view = view[written:]

    def write(self, records: Sequence[Record]) -> int:
        """Append the records whose id this file does not hold yet (every record when ``unique`` is
        off), then fsync; return how many were written."""
        new = 0
        with self._lock:
            self._open_fd()
            for record in records:
                fresh = self._keys.add(record.id)
                if self._unique and not fresh:
                    continue
                try:
                    self._append(self._encode(record))
                except BaseException:
                    if fresh:
                        self._keys.discard(record.id)  # not in the file: a later write may retry it
                    raise
                new += 1
            if new and self._fd is not None:
                os.fsync(self._fd)
        return new

    def __contains__(self, record_id: object) -> bool:
        return record_id in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def close(self) -> None:
        """Close the file (every batch was already fsynced by ``write``)."""
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
                self._keys.close()


def _strip_eol(line: bytes) -> bytes:
    return line.rstrip(b"\r\n")


def _json_object(line: bytes) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


def _record_key(doc: Mapping[str, Any]) -> str:
    record_id = doc.get("id")
    if not isinstance(record_id, str) or not record_id:
        raise ValueError('no string "id"')
    return record_id


class StreamSink(_Closing):
    """JSON Lines on a text stream: standard output for ``-o -``, a pipe into an indexer.

    Each batch is written and flushed; an id is written once per stream unless ``unique`` is off
    (``wayback --all-captures``: one line per teaser per capture, all with the teaser's id). A
    stream cannot be read back, so there is no resume: use a file for crawls you may interrupt.
    """

    def __init__(self, stream: IO[str] | None = None, *, unique: bool = True) -> None:
        self.path = Path("-")
        self._stream = stream if stream is not None else sys.stdout
        self._unique = unique
        self._keys = _KeyIndex()
        self._lock = threading.Lock()

    def write(self, records: Sequence[Record]) -> int:
        """Write the records not written yet and flush; return how many."""
        new = 0
        with self._lock:
            for record in records:
                if self._keys.add(record.id) or not self._unique:
                    self._stream.write(record.model_dump_json() + "\n")
                    new += 1
            self._stream.flush()
        return new

    def close(self) -> None:
        """Flush; the stream stays open (it is not ours)."""
        self._stream.flush()
        self._keys.close()


class JsonlSink(_AppendFile):
    """JSON Lines: one ``Record.model_dump_json()`` per line, UTF-8, ``\\n``-terminated.

    Args:
        path: the output file (its folder is created).
        resume: keep the file and skip ids it already holds (after cutting a torn last line);
            otherwise start it afresh.
    """

    def __init__(self, path: Path | str, *, resume: bool, unique: bool = True) -> None:
        super().__init__(path, resume=resume, unique=unique)

    def _encode(self, record: Record) -> bytes:
        return record.model_dump_json().encode("utf-8") + b"\n"

    def _key(self, lines: list[bytes], lineno: int) -> str:
        return _record_key(_json_object(lines[0]))


class BulkSink(_AppendFile):
    """An Elasticsearch/OpenSearch ``_bulk`` body: an ``index`` action line, then the record.

    Load it with ``curl -H 'Content-Type: application/x-ndjson' --data-binary @FILE HOST/_bulk``.
    Re-indexing the same file is harmless: the document ``_id`` is the record id.

    Args:
        path: the output file.
        index: the target index name.
        resume: as for :class:`JsonlSink`; a torn pair (action without document) is cut.
    """

    _LINES: ClassVar[int] = 2

    def __init__(
        self, path: Path | str, *, index: str = "topicscrape", resume: bool = False, unique: bool = True
    ) -> None:
        _check_index_name(index)
        self.index = index
        super().__init__(path, resume=resume, unique=unique)

    def _encode(self, record: Record) -> bytes:
        action = json.dumps({"index": {"_index": self.index, "_id": record.id}}, separators=(",", ":"))
        return action.encode("utf-8") + b"\n" + record.model_dump_json().encode("utf-8") + b"\n"

    def _key(self, lines: list[bytes], lineno: int) -> str:
        action = _json_object(lines[0]).get("index")
        if not isinstance(action, dict) or not isinstance(action.get("_id"), str):
            raise ValueError('action line is not {"index": {"_id": ...}}')
        if _record_key(_json_object(lines[1])) != action["_id"]:
            raise ValueError("document id differs from the action's _id")
        return str(action["_id"])


def _check_index_name(index: str) -> None:
    """Refuse an index name Elasticsearch (and OpenSearch) would refuse when the file is loaded, hours
    after the crawl: lowercase only; none of ``\\ / * ? " < > | , # :`` or whitespace; not starting
    with ``-``, ``_`` or ``+``; not ``.`` or ``..``; at most :data:`MAX_INDEX_NAME_BYTES` bytes.

    Raises:
        ValueError: one line naming the index and the rules.
    """
    if (
        not index
        or index != index.lower()
        or index.startswith(("-", "_", "+"))
        or index in (".", "..")
        or any(c in _BAD_INDEX_CHARS or c.isspace() for c in index)
        or len(index.encode("utf-8", "surrogatepass")) > MAX_INDEX_NAME_BYTES
    ):
        raise ValueError(
            f"not a valid search index name: {index!r} (lowercase; none of {_BAD_INDEX_CHARS.strip()} "
            f"or spaces; not starting with -, _ or +; not . or ..; at most {MAX_INDEX_NAME_BYTES} bytes)"
        )


class CsvSink(_AppendFile):
    """CSV for spreadsheets: UTF-8 with a BOM (so Excel detects the encoding), a header row, ``\\r\\n``.

    Columns are :data:`FIELDS`; empty cells are nulls; booleans are ``true``/``false``; times RFC 3339.

    Args:
        path: the output file.
        resume: as for :class:`JsonlSink`; the existing header must match.
    """

    _HEADER: ClassVar[bytes] = ("\ufeff" + ",".join(FIELDS) + "\r\n").encode("utf-8")
    _NEWLINE_OPTIONAL: ClassVar[bool] = False

    def __init__(self, path: Path | str, *, resume: bool = False, unique: bool = True) -> None:
        super().__init__(path, resume=resume, unique=unique)

    def _start(self) -> None:
        self._append(self._HEADER)

    def _encode(self, record: Record) -> bytes:
        buf = io.StringIO()
        writer = csv.writer(buf, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        row = record.model_dump(mode="json")
        writer.writerow([_csv_cell(row[name]) for name in FIELDS])
        return buf.getvalue().encode("utf-8")

    def _units(self, fh: IO[bytes]) -> Iterator[tuple[list[bytes], int, int]]:
        # A quoted cell may hold a newline, so a row ends at the first line break outside quotes: where
        # the count of '"' so far is even (the csv module doubles quotes inside quoted cells).
        header = fh.readline()
        offset = len(header)
        yield [header], 1, offset
        row: list[bytes] = []
        quotes = 0
        first = 2
        for lineno, line in enumerate(fh, start=2):
            offset += len(line)
            if not row:
                first = lineno
            row.append(line)
            quotes += line.count(b'"')
            if quotes % 2 == 0 and line.endswith(b"\n"):
                yield [b"".join(row)], first, offset
                row, quotes = [], 0
        if row:
            yield [b"".join(row)], first, offset

    def _key(self, lines: list[bytes], lineno: int) -> str | None:
        if lineno == 1:
            if lines[0] + b"\r\n" != self._HEADER:
                raise ValueError(f"the header is not this version's: {','.join(FIELDS)}")
            return None
        try:
            cells = next(csv.reader(io.StringIO(lines[0].decode("utf-8")), strict=True))
        except (UnicodeDecodeError, csv.Error, StopIteration) as exc:
            raise ValueError(f"not a CSV row: {exc}") from exc
        if len(cells) != len(FIELDS):
            raise ValueError(f"{len(cells)} cells, expected {len(FIELDS)}")
        return cells[FIELDS.index("id")]


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class RejectsSink(_AppendFile):
    """JSON Lines of what failed validation, so nothing is dropped silently.

    Each line is ``{"reason": ..., "source_url": ..., "data": {...}}``. Identical rejects (the same
    page re-fetched after a kill) are written once.
    """

    def __init__(self, path: Path | str, *, resume: bool = False) -> None:
        super().__init__(path, resume=resume)

    def reject(self, reason: str, *, source_url: str | None, data: Mapping[str, object]) -> bool:
        """Store one reject, fsynced; False if the very same reject is already in the file.

        Args:
            reason: why it was rejected (e.g. ``str(ValidationError)``).
            source_url: the listing page it came from.
            data: the raw fields (values that are not JSON are written with ``str``).
        """
        line = json.dumps(
            {"reason": reason, "source_url": source_url, "data": dict(data)},
            ensure_ascii=False,
            default=str,
        ).encode("utf-8")
        key = hashlib.sha256(line).hexdigest()
        with self._lock:
            self._open_fd()
            if not self._keys.add(key):
                return False
            try:
                self._append(line + b"\n")
            except BaseException:
                self._keys.discard(key)
                raise
            if self._fd is not None:
                os.fsync(self._fd)
        return True

    def write(self, records: Sequence[Record]) -> int:
        """Not for valid records: use :meth:`reject`."""
        raise TypeError("RejectsSink stores rejects; call reject(reason, source_url=..., data=...)")

    def _key(self, lines: list[bytes], lineno: int) -> str:
        doc = _json_object(lines[0])
        if "reason" not in doc:
            raise ValueError('no "reason"')
        return hashlib.sha256(lines[0]).hexdigest()


# -- SQLite --------------------------------------------------------------------------------------

_SQL_TYPES = {
    "schema_version": "INTEGER NOT NULL",
    "id": "TEXT NOT NULL UNIQUE",
    "title": "TEXT NOT NULL",
    "url": "TEXT",
    "excerpt": "TEXT",
    "truncated": "INTEGER NOT NULL",
    "date": "TEXT",
    "date_raw": "TEXT",
    "topic": "TEXT",
    "source_url": "TEXT NOT NULL",
    "page": "INTEGER NOT NULL",
    "position": "INTEGER NOT NULL",
    "fetched_at": "TEXT",
    "archived_at": "TEXT",
    "capture_url": "TEXT",
    "first_seen": "TEXT",
    "last_seen": "TEXT",
    "profile": "TEXT NOT NULL",
}

# ``seq`` is an INTEGER PRIMARY KEY, i.e. the rowid itself, so VACUUM cannot renumber it: the
# external-content FTS index refers to rows by rowid. The contract key ``id`` is UNIQUE, which is
# what ON CONFLICT (id) upserts against.
_RECORDS_DDL = (
    "CREATE TABLE IF NOT EXISTS records (\n    seq INTEGER PRIMARY KEY,\n    "
    + ",\n    ".join(f"{name} {_SQL_TYPES[name]}" for name in FIELDS)
    + "\n)"
)

# External-content FTS5 kept in sync by triggers: the text is stored once (in records), and SQLite
# itself maintains the index on every insert, upsert and delete, whoever writes the table.
_FTS_DDL = """
CREATE VIRTUAL TABLE IF NOT EXISTS records_fts USING fts5(
    title, excerpt, content='records', content_rowid='seq',
    tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS records_ai AFTER INSERT ON records BEGIN
    INSERT INTO records_fts (rowid, title, excerpt) VALUES (new.seq, new.title, new.excerpt);
END;
CREATE TRIGGER IF NOT EXISTS records_ad AFTER DELETE ON records BEGIN
    INSERT INTO records_fts (records_fts, rowid, title, excerpt)
        VALUES ('delete', old.seq, old.title, old.excerpt);
END;
CREATE TRIGGER IF NOT EXISTS records_au AFTER UPDATE OF title, excerpt ON records BEGIN
    INSERT INTO records_fts (records_fts, rowid, title, excerpt)
        VALUES ('delete', old.seq, old.title, old.excerpt);
    INSERT INTO records_fts (rowid, title, excerpt) VALUES (new.seq, new.title, new.excerpt);
END;
"""

_MERGED = {
    # Archive mode: a teaser seen in several captures keeps the earliest first_seen and latest last_seen.
    "first_seen": "CASE WHEN records.first_seen IS NULL THEN excluded.first_seen "
    "WHEN excluded.first_seen IS NULL THEN records.first_seen "
    "ELSE min(records.first_seen, excluded.first_seen) END",
    "last_seen": "CASE WHEN records.last_seen IS NULL THEN excluded.last_seen "
    "WHEN excluded.last_seen IS NULL THEN records.last_seen "
    "ELSE max(records.last_seen, excluded.last_seen) END",
}

# The incoming row was seen before the stored one (a Wayback run over an earlier range, after one
# over a later range): the stored row stays the latest sighting. Seen = the capture time, else the
# fetch time; RFC 3339 UTC text sorts in time order, and a missing time compares as "not older".
_OLDER = (
    "coalesce(excluded.archived_at, excluded.fetched_at) < coalesce(records.archived_at, records.fetched_at)"
)


def _latest(name: str) -> str:
    """The column as the latest sighting shows it. Its ``date`` (with ``date_raw``) is the latest
    that named a day: "Yesterday" on day 1 is "2 weeks ago" (no day) on day 15."""
    if name == "date":
        return (
            f"CASE WHEN {_OLDER} THEN coalesce(records.date, excluded.date) "
            "ELSE coalesce(excluded.date, records.date) END"
        )
    if name == "date_raw":
        return (
            f"CASE WHEN {_OLDER} THEN CASE WHEN records.date IS NULL AND excluded.date IS NOT NULL "
            "THEN excluded.date_raw ELSE records.date_raw END "
            "WHEN excluded.date IS NULL AND records.date IS NOT NULL THEN records.date_raw "
            "ELSE excluded.date_raw END"
        )
    return f"CASE WHEN {_OLDER} THEN records.{name} ELSE excluded.{name} END"


_UPSERT = (
    f"INSERT INTO records ({', '.join(FIELDS)}) VALUES ({', '.join('?' * len(FIELDS))}) "
    "ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{name} = {_MERGED.get(name) or _latest(name)}" for name in FIELDS if name != "id")
)


_SIGHTING_FIELDS = frozenset({"fetched_at", "archived_at", "capture_url", "first_seen", "last_seen"})
"""When and from which capture a teaser was seen: a row whose upsert moves only these is the same
teaser seen again, not a changed one (see :meth:`SqliteSink.write`)."""

_CONTENT_SQL = ", ".join(name for name in FIELDS if name != "id" and name not in _SIGHTING_FIELDS)

# SQLite result codes (the low byte of an extended code) that mean the file, its folder or the disk
# refuse us, rather than a file that is not a records database.
_SQLITE_CANNOT_WRITE = frozenset(
    {
        sqlite3.SQLITE_PERM,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_AUTH,
    }
)
_SQLITE_IN_USE = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


def _sqlite_failure(path: Path, exc: sqlite3.Error) -> ValueError:
    """One line for a database that cannot be opened, told by what SQLite says went wrong: a file
    we may not write is still a records database, and must not be called "not a records database"."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = None if code is None else code & 0xFF
    if primary in _SQLITE_CANNOT_WRITE:
        return ValueError(f"{path} cannot be written: {exc}")
    if primary in _SQLITE_IN_USE:
        return ValueError(f"{path} is in use by another program: {exc}; try again when it is done")
    return ValueError(f"{path} is not a topicscrape records database: {exc}; give another file name")


def _check_records_database(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse a SQLite file that is neither empty (no tables: a new database) nor a records database
    this topicscrape can write, before anything is written to it: ``--db`` naming someone else's
    database (or the crawl state) must not get our tables added.

    Raises:
        ValueError: one line naming the file.
        sqlite3.DatabaseError: the file is no SQLite database (see :func:`_sqlite_failure`).
    """
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > RECORDS_SCHEMA_VERSION:
        raise ValueError(
            f"{path} is a records database version {version}; this topicscrape reads up "
            f"to {RECORDS_SCHEMA_VERSION}: use a newer topicscrape or another file name"
        )
    tables = {
        row[0]
        for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        if not row[0].startswith("sqlite_")  # SQLite's own (sqlite_sequence, sqlite_stat1)
    }
    if not tables:
        return
    if "records" not in tables:
        shown = ", ".join(sorted(tables)[:3]) + (", …" if len(tables) > 3 else "")
        raise ValueError(
            f"{path} is not a topicscrape records database (it holds other tables: {shown}); "
            "give another file name"
        )
    columns = {row[1] for row in conn.execute("PRAGMA table_info(records)")}
    missing = [name for name in ("seq", *FIELDS) if name not in columns]
    if missing:
        raise ValueError(
            f"{path} is not a topicscrape records database (its records table has no "
            f"{', '.join(missing[:3])}{', …' if len(missing) > 3 else ''} column); give another file name"
        )


def _sql_row(record: Record) -> tuple[object, ...]:
    # RFC 3339 UTC strings ("2016-07-01T12:00:00Z") sort as text in time order, so min()/max() work.
    data = record.model_dump(mode="json")
    return tuple(int(data[name]) if name == "truncated" else data[name] for name in FIELDS)


class SqliteSink(_Closing):
    """Records in a SQLite table ``records`` (one column per field), upserted by id, with FTS5 search.

    A database is cumulative: a later crawl into the same file updates rows, never duplicates them.
    Query it with :func:`search`, or ``topicscrape search DB "query"``.

    Args:
        path: the database file (created with its folder if missing).

    Raises:
        ValueError: one line naming the file: it is a directory, cannot be written (permissions, a
            read-only file or disk), is in use, is not a SQLite database, holds tables of something
            else, or was written by a newer topicscrape.
    """

    cumulative: bool
    """The database held records when it was opened: rows of earlier runs stay (see :class:`Sink`).
    A new (or emptied) database holds nothing a ``304`` could stand for."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        _make_room(self.path)
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise _sqlite_failure(self.path, exc) from exc
        try:
            _check_records_database(conn, self.path)  # before WAL mode rewrites the file's header
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(_RECORDS_DDL)
            # Not executescript(): it commits first, and the schema must appear all at once or not at all.
            for statement in _split_sql(_FTS_DDL):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version={RECORDS_SCHEMA_VERSION}")
            conn.execute("COMMIT")
            self.cumulative = conn.execute("SELECT EXISTS (SELECT 1 FROM records)").fetchone()[0] == 1
        except sqlite3.Error as exc:
            conn.close()
            raise _sqlite_failure(self.path, exc) from exc
        except BaseException:
            conn.close()
            raise
        self._conn: sqlite3.Connection | None = conn
        self._lock = threading.Lock()

    def write(self, records: Sequence[Record]) -> int:
        """Upsert the batch in one committed transaction; return how many rows it inserted or changed.

        A row counts as changed when the upsert changed what it says about the teaser (title, link,
        excerpt, date, topic, page, position, ...), so a re-crawl that retitled 3 teasers and moved 54
        reports 57 where 0 were new. A teaser only seen again does not count: an upsert that moves
        nothing but when and where it was seen (``fetched_at``, ``archived_at``, ``capture_url``,
        ``first_seen``, ``last_seen``, which every re-crawl or later capture changes) leaves nothing
        a consumer of the records would need to take (or an index to reindex) again.
        """
        if not records:
            return 0
        with self._lock:
            return self._upsert(records)

    def _upsert(self, records: Sequence[Record]) -> int:
        if self._conn is None:
            raise ValueError(f"{self.path}: write to a closed sink")
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            ids = list(dict.fromkeys(record.id for record in records))
            before = _stored_content(conn, ids)
            conn.executemany(_UPSERT, [_sql_row(record) for record in records])
            after = _stored_content(conn, ids)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return sum(before.get(record_id) != after.get(record_id) for record_id in ids)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def _stored_content(conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, tuple[object, ...]]:
    """The stored rows of ``ids`` (those the table holds), less their sighting fields."""
    rows: dict[str, tuple[object, ...]] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(f"SELECT id, {_CONTENT_SQL} FROM records WHERE id IN ({marks})", chunk):
            rows[row[0]] = tuple(row[1:])
    return rows


def _split_sql(script: str) -> list[str]:
    """Split a script of CREATE statements (triggers included) into single statements."""
    statements: list[str] = []
    current = ""
    for line in script.strip().splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    return statements


_FTS_OPERATORS = frozenset({"AND", "OR", "NOT", "NEAR"})


class SearchQueryError(ValueError):
    """A search query with nothing to search for: only FTS5 operators or punctuation (``AND``,
    ``OR OR``, ``(``), or a leading ``NOT`` (which the plain-words retry would turn around).

    The user's mistake, not the database's: the CLI reports it as a usage error.
    """


def _fts_fallback(query: str) -> str:
    """The user's words as FTS5 string literals (implicitly ANDed): no operator or column syntax
    left. A stray operator (``guidance OR``, the query that failed) is dropped, not searched for.

    >>> _fts_fallback("secure-communities: ICE OR")
    '"secure-communities:" "ICE"'
    """
    words = [word for word in query.split() if word not in _FTS_OPERATORS and any(map(str.isalnum, word))]
    return " ".join('"' + word.replace('"', '""') + '"' for word in words)


def search(db_path: Path | str, query: str, limit: int = 20) -> list[Record]:
    """Records whose title or excerpt match ``query``, best first (bm25, titles weighted higher).

    ``query`` is FTS5 syntax (``deport*``, ``"secure communities"``, ``ICE OR detainer``); a query
    that is not valid FTS5 (an unbalanced quote, a stray ``-`` or ``:``) is retried as plain words
    instead of failing. Words are stemmed: ``deportation`` finds "deporting".

    Raises:
        FileNotFoundError: there is no file at ``db_path``.
        SearchQueryError: the query is not valid FTS5 and holds no word once its stray operators
            are dropped (``AND``, ``OR OR``, ``NOT``).
        ValueError: the file is not a topicscrape records database.
    """
    path = Path(db_path)
    if not path.is_file():
        raise FileNotFoundError(f"no records database at {path}")
    query = query.replace("\x00", " ")  # SQLite's C API would end the string at a NUL
    if limit < 1 or not query.strip():
        return []
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        try:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.DatabaseError as exc:
            raise ValueError(f"{path} is not a SQLite database: {exc}") from exc
        if not {"records", "records_fts"} <= tables:
            raise ValueError(f"{path} is not a topicscrape records database (no records table)")
        sql = (
            f"SELECT {', '.join('r.' + name for name in FIELDS)} FROM records_fts "
            "JOIN records AS r ON r.seq = records_fts.rowid WHERE records_fts MATCH ? "
            f"ORDER BY bm25(records_fts, {SEARCH_TITLE_WEIGHT}, 1.0), r.seq LIMIT ?"
        )
        try:
            rows = conn.execute(sql, (query, limit)).fetchall()
        except sqlite3.OperationalError as exc:
            if query.split()[0] == "NOT" and _fts_fallback(query):  # the words would find what it excludes
                raise SearchQueryError(
                    f'the query "{" ".join(query.split())}" excludes words from nothing: put a word '
                    'before NOT, e.g. "ICE NOT detainer"'
                ) from exc
            words = _fts_fallback(query)
            if not words:  # FTS5 would fail on the empty query too, and call it a syntax error
                shown = " ".join(query.split())
                raise SearchQueryError(f'the query "{shown}" holds no word to search for') from exc
            logger.debug("not an FTS5 query (%s); searching the words instead: %r", exc, query)
            rows = conn.execute(sql, (words, limit)).fetchall()
    finally:
        conn.close()
    return [Record.model_validate(dict(row)) for row in rows]


# -- choosing a sink -----------------------------------------------------------------------------


def default_rejects_path(output: Path) -> Path:
    """Where rejects go beside an output: ``records.jsonl`` → ``records.rejects.jsonl``.

    >>> default_rejects_path(Path("out/a.bulk.ndjson")).as_posix()
    'out/a.bulk.rejects.jsonl'
    """
    return output.with_suffix(".rejects.jsonl")


_OutputFormat = Literal["bulk", "jsonl", "sqlite", "csv"]


def _output_format(path: Path, *, unique: bool) -> _OutputFormat:
    """Which sink the file name asks for: ``"bulk"``, ``"jsonl"``, ``"sqlite"`` or ``"csv"``.

    Raises:
        ValueError: an unknown suffix (the message lists the known ones), or ``unique=False`` for
            SQLite, which keeps one row per teaser id.
    """
    name = path.name.lower()
    if name.endswith(BULK_SUFFIXES):
        return "bulk"
    if name.endswith(_JSONL_SUFFIXES):
        return "jsonl"
    if name.endswith(SQLITE_SUFFIXES):
        if not unique:
            raise ValueError(
                f"{path.name}: SQLite keeps one row per teaser id; write all captures to .jsonl or .csv"
            )
        return "sqlite"
    if name.endswith(".csv"):
        return "csv"
    known = ", ".join((*_JSONL_SUFFIXES, *SQLITE_SUFFIXES, ".csv", *BULK_SUFFIXES))
    raise ValueError(
        f"cannot tell the output format of {str(path)!r} from its name: end it with one of "
        f"{known}, or give '-' to write JSON Lines to standard output"
    )


def open_sink(
    path: Path | str, *, resume: bool = False, bulk_index: str = "topicscrape", unique: bool = True
) -> Sink:
    """Open the sink the file name asks for.

    ``*.bulk.ndjson`` (also ``.bulk.jsonl``, ``.bulk``) → :class:`BulkSink`, whose action lines
    name ``bulk_index``; ``.jsonl``, ``.ndjson``, ``.jsonlines`` → :class:`JsonlSink`; ``-`` →
    :class:`StreamSink` (standard output); ``.sqlite``, ``.sqlite3``, ``.db`` → :class:`SqliteSink`
    (cumulative, ``resume`` changes nothing); ``.csv`` → :class:`CsvSink`.

    A file sink opened without ``resume`` empties its file: call :func:`check_output` on every
    output before opening the first, so that one that cannot be opened costs no other its records.

    ``unique=False`` writes every record even when its id was written before (``wayback
    --all-captures``: one row per teaser per capture); only for output written whole in one go.

    Raises:
        ValueError: one line naming the file: an unknown suffix (the message lists the known ones),
            ``unique=False`` for SQLite (which keeps one row per teaser id), an invalid
            ``bulk_index`` for a bulk file, or a file that cannot be opened (see
            :func:`check_output`).
        OSError: a file to resume that cannot be read.
    """
    if str(path) == "-":
        return StreamSink(unique=unique)
    path = Path(path)
    kind = _output_format(path, unique=unique)
    if kind == "bulk":
        return BulkSink(path, index=bulk_index, resume=resume, unique=unique)
    if kind == "jsonl":
        return JsonlSink(path, resume=resume, unique=unique)
    if kind == "sqlite":
        return SqliteSink(path)
    return CsvSink(path, resume=resume, unique=unique)


def check_output(
    path: Path | str, *, resume: bool, bulk_index: str = "topicscrape", unique: bool = True
) -> None:
    """Refuse an output that :func:`open_sink` with the same arguments could not open, without
    creating, emptying or changing anything.

    Opening a file output for a new crawl empties it, so a command with several outputs checks them
    all first: a ``--db`` that turns out to be a directory must not fail after yesterday's ``-o``
    beside it has been emptied. Checked: the name's format (and ``bulk_index`` for a bulk file);
    the path is no directory; an existing file may be written (and, to resume, read); a new file's
    nearest existing folder is a folder we may create files in (``open_sink`` creates the missing
    ones). A SQLite file must also be one :class:`SqliteSink` takes: a SQLite database that is empty
    or a records database of this version or older, in a folder we may write (for its ``-wal`` and
    ``-shm`` files). It is read with SQLite's ``immutable`` flag, which creates no ``-wal`` or
    ``-shm`` file as a read-only open does; when a ``-wal`` file is there (a crawl is writing, or
    one was killed) it is read read-only with that log. ``"-"`` (standard output) always passes.

    What remains for :func:`open_sink` to find is a race (the file changed in between) and the
    content of a file to resume, which it reads anyway: resuming never empties a file.

    Raises:
        ValueError: one line naming the path and what to do, as :func:`open_sink` would raise it.
    """
    if str(path) == "-":
        return
    path = Path(path)
    kind = _output_format(path, unique=unique)
    if kind == "bulk":
        _check_index_name(bulk_index)
    if path.is_dir():
        raise _directory_error(path)
    if not path.exists():
        folder = path.parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if not folder.is_dir():
            raise ValueError(f"{path} cannot be written: {folder} is not a folder")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise ValueError(f"{path} cannot be written: no permission to create files in {folder}")
        return
    if not os.access(path, os.W_OK):
        raise ValueError(f"{path} cannot be written: no permission to write it")
    if kind != "sqlite":
        if resume and not os.access(path, os.R_OK):
            raise ValueError(f"{path} cannot be resumed: no permission to read it")
        _check_unlocked(path)
        return
    folder = path.parent
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(
            f"{path} cannot be written: no permission to create files in {folder} (SQLite keeps "
            "its write-ahead log beside the database)"
        )
    _check_database_file(path)


def _check_unlocked(path: Path) -> None:
    """:func:`check_output` for an existing file output: no other run is writing it (its lock is
    taken and let go at once; nothing is written)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    except OSError:
        return  # unreadable: open_sink says why
    try:
        _lock_output(fd, path)
    finally:
        os.close(fd)


def _check_database_file(path: Path) -> None:
    """:func:`check_output` for an existing SQLite file: read it, leaving no file behind."""
    wal = path.with_name(path.name + "-wal")
    flags = "mode=ro" if wal.exists() else "mode=ro&immutable=1"
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?{flags}", uri=True)
    except sqlite3.Error as exc:
        raise _sqlite_failure(path, exc) from exc
    try:
        _check_records_database(conn, path)
    except sqlite3.Error as exc:
        raise _sqlite_failure(path, exc) from exc
    finally:
        conn.close()
