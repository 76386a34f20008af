"""Crawl state: URL canonicalisation, the frontier, and what a resumed crawl needs to know.

The state lives in one SQLite file (WAL mode, ``synchronous=NORMAL``, one connection, every change a
committed transaction), beside the output by default (:func:`default_state_path`). It holds:

- ``frontier``: every listing page this run will fetch, keyed by its :func:`canonicalize`-d URL, with
  the start URL it belongs to, its pager index, status (queued, in_progress, done, failed), attempts and
  the last error. :meth:`CrawlState.add` refuses a URL already present, which is also how a pager that
  links back to an earlier page (a loop) is stopped.
- ``pages``: per canonical URL, the last successful fetch: ``ETag``/``Last-Modified`` for conditional
  requests, the next-page URL (so a ``304 Not Modified`` can still continue the pagination), the record
  count and a digest of the body. Kept across runs.
- ``seen_ids``: every record id ever written, with the run that first saw it, for ``--stop-at-seen`` and
  for counting new records. Kept across runs.
- ``runs``: start, end, outcome and a settings summary of every run, with the run's identity when
  its command gives one (``wayback``): a ``--resume`` of another run's state is refused.

How a kill -9 loses nothing and duplicates nothing
--------------------------------------------------
The output files are the truth about *which records exist*; this database is the truth about *which
pages are finished*. The crawl loop keeps one ordering rule per page::

    records = parse(fetch(url))
    for sink in sinks:
        sink.write(records)          # returns only once the batch is durable (fsync / commit)
    if page.next_url:
        state.add(page.next_url, ...)   # before the done mark, or a kill in between ends the listing
    state.mark_done(url, ..., ids=[r.id for r in records])   # one transaction

So "done" implies "its records are on disk" and "its next page is queued". The crawl applies the rule
to groups of pages (``scraper.crawl``'s group commit): one ``write`` per sink for the records of every
page in the group, then one :meth:`CrawlState.transaction` with each page's ``add`` and ``mark_done``;
for each page the order is the same. A kill anywhere before
``mark_done`` commits leaves the page ``in_progress`` (or queued); ``--resume`` runs
:meth:`CrawlState.requeue_in_progress`, the page is fetched again and its records are written again.
That is harmless because every sink is idempotent per record id: the JSON Lines (and CSV, bulk) sink,
opened with ``resume=True``, cuts a torn last line left by the kill, loads the ids already in the file
and skips them; the SQLite sink upserts by id. The seen-ids
are stored in the same transaction as the done mark, never earlier, so a page replayed after a kill still
counts its records as new and ``--stop-at-seen`` is not fooled by a half-finished page.

A run started without ``--resume`` (:meth:`CrawlState.start_run` with ``resume=False``) empties the
frontier, but keeps ``pages`` (validators) and ``seen_ids`` (what earlier runs found). Conditional
requests only make sense when the output already holds the page's records (a ``--db``, or a JSONL file
kept with ``resume=True``): a ``304`` brings no body, so a fresh output file would miss that page.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Literal, Self
from urllib.parse import urlsplit, urlunsplit

# w3lib is Scrapy's URL toolkit: its canonicalize_url already handles percent-encoding normalisation,
# IDNA hosts, query sorting and fragments, which are easy to get subtly wrong by hand. We add only what
# it leaves out for our purpose (default ports, an empty path).
from w3lib.url import canonicalize_url

from scraper.errors import NothingToResume, StateInUse, StateMismatch

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "IDENTITY_KEY",
    "STATE_SCHEMA_VERSION",
    "STATE_SUFFIX",
    "CrawlCounts",
    "CrawlState",
    "FrontierItem",
    "PageValidators",
    "Status",
    "canonicalize",
    "default_state_path",
]

logger = logging.getLogger(__name__)

STATE_SCHEMA_VERSION = 1
"""Layout version of the state file (``PRAGMA user_version``); a newer file is refused."""

IDENTITY_KEY = "identity"
"""Key of a run's identity (:meth:`CrawlState.start_run`) in the settings summary stored with it."""

STATE_SUFFIX = ".state.sqlite"
"""Appended to the output's name for the default state file (``records.jsonl.state.sqlite``)."""

DEFAULT_STATE_NAME = "topicscrape.state.sqlite"
"""The state file's name when a crawl has neither ``-o`` nor ``--db`` (current directory)."""

_DEFAULT_PORTS = {"http": 80, "https": 443}

LOCK_SUFFIX = ".lock"
"""Appended to the state file's name for the lock a run holds while it has the state open."""

CANONICAL_CACHE_SIZE = 8192
"""URLs whose canonical form is remembered. A page is canonicalised when it is queued and again when
it is marked done (w3lib's ``canonicalize_url`` costs about 0.1 ms). Pages are claimed oldest first,
so between the two every other listing in the crawl finishes about one page, adding two entries:
this covers some 4,000 listings crawled side by side."""

# SQLite limits the number of ``?`` parameters (999 before 3.32); stay well under it.
_CHUNK = 500

Status = Literal["queued", "in_progress", "done", "failed"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at  TEXT NOT NULL,
    ended_at    TEXT,
    outcome     TEXT NOT NULL DEFAULT 'running',
    resumes     INTEGER NOT NULL DEFAULT 0,
    settings    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS frontier (
    seq         INTEGER PRIMARY KEY,
    url         TEXT NOT NULL,
    canonical   TEXT NOT NULL UNIQUE,
    start_url   TEXT NOT NULL,
    page        INTEGER NOT NULL,
    depth       INTEGER NOT NULL DEFAULT 0,
    status      TEXT NOT NULL DEFAULT 'queued'
                CHECK (status IN ('queued', 'in_progress', 'done', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    error       TEXT,
    updated_at  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS frontier_status ON frontier (status, seq);
CREATE TABLE IF NOT EXISTS pages (
    canonical     TEXT PRIMARY KEY,
    url           TEXT NOT NULL,
    etag          TEXT,
    last_modified TEXT,
    next_url      TEXT,
    fetched_at    TEXT NOT NULL,
    records       INTEGER NOT NULL,
    new_records   INTEGER NOT NULL,
    digest        TEXT,
    run_id        INTEGER
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS seen_ids (
    id          TEXT PRIMARY KEY,
    first_run   INTEGER,
    first_seen  TEXT NOT NULL
) WITHOUT ROWID;
"""


@functools.lru_cache(maxsize=CANONICAL_CACHE_SIZE)
def canonicalize(url: str) -> str:
    """The form of an http(s) URL used to tell whether two links are the same page.

    Lowercase scheme and host, default port dropped, fragment dropped, an empty path becomes ``/``,
    query arguments sorted (``?page=2&sort=date`` and ``?sort=date&page=2`` are one page) and
    percent-encoding normalised. The query is otherwise kept whole: ``?page=N`` is how Drupal, WordPress
    and USWDS listings paginate, so ``?page=1`` and ``?page=2`` stay different pages.

    Unlike :func:`parsers.clean.identity_url` (record identity, which keeps the query order as the site
    wrote it), this is for crawl dedup, where two spellings of one listing page must collapse.

    >>> canonicalize("HTTPS://WWW.DHS.gov:443/keywords/secure-communities?sort=d&page=2#main")
    'https://www.dhs.gov/keywords/secure-communities?page=2&sort=d'
    """
    parts = urlsplit(canonicalize_url(url.strip()))
    netloc = parts.netloc
    try:
        port = parts.port
    except ValueError:  # a non-numeric port: leave the URL as w3lib made it
        port = None
    if port is not None and _DEFAULT_PORTS.get(parts.scheme) == port:
        netloc = netloc.rsplit(":", 1)[0]
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


def default_state_path(output: Path | None, db: Path | None) -> Path:
    """Where the crawl state lives when ``--state`` is not given: beside the output.

    ``-o records.jsonl`` gives ``records.jsonl.state.sqlite``; with only ``--db out.sqlite``,
    ``out.sqlite.state.sqlite``; with neither, ``topicscrape.state.sqlite`` in the current directory.

    >>> default_state_path(Path("out/records.jsonl"), None).as_posix()
    'out/records.jsonl.state.sqlite'
    """
    anchor = output if output is not None and str(output) != "-" else db
    if anchor is None:
        return Path(DEFAULT_STATE_NAME)
    return anchor.with_name(anchor.name + STATE_SUFFIX)


@dataclass(frozen=True, slots=True)
class FrontierItem:
    """One listing page claimed for fetching."""

    url: str
    """The URL as discovered (fetch this one)."""
    canonical: str
    """Its :func:`canonicalize` form, the frontier key."""
    start_url: str
    """The start URL whose pagination led here (the topic it belongs to)."""
    page: int
    """0-based pager index."""
    depth: int
    """Links followed from the start URL to reach it."""
    attempts: int
    """Fetch attempts so far, this claim included."""


@dataclass(frozen=True, slots=True)
class PageValidators:
    """What a conditional request and a ``304 Not Modified`` need from the last fetch of a page."""

    etag: str | None
    last_modified: str | None
    next_url: str | None
    """The next-page link the page had, so pagination continues past a 304."""
    records: int
    digest: str | None


@dataclass(frozen=True, slots=True)
class CrawlCounts:
    """Figures for the end-of-crawl summary, for the current run."""

    queued: int
    in_progress: int
    done: int
    failed: int
    records: int
    """Records on the pages finished in this run (duplicates across pages included)."""
    new_records: int
    """Record ids this run saw for the first time in any run."""


def _now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


class _RunLock:
    """One run at a time per state file: an exclusive ``flock`` on ``<state>.lock``, held from
    :meth:`CrawlState.open` to :meth:`CrawlState.close` and released by the kernel if the process
    dies (a kill -9 leaves nothing to clean up). The lock file is removed on release; a run that
    locked a file removed under it tries again. Where ``flock`` does not exist (Windows) nothing
    is locked."""

    def __init__(self, path: Path, fd: int | None) -> None:
        self._path = path
        self._fd = fd

    @classmethod
    def take(cls, state: Path) -> _RunLock:
        """Lock ``state``.

        Raises:
            StateInUse: another run (in this process or another) holds it.
        """
        state = state.resolve()  # a symlink to the state file locks the file itself
        path = state.with_name(state.name + LOCK_SUFFIX)
        if fcntl is None:  # pragma: no cover - Windows
            return cls(path, None)
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise StateInUse(state) from None
            try:
                if os.fstat(fd).st_ino == os.stat(path).st_ino:
                    return cls(path, fd)
            except FileNotFoundError:
                pass
            os.close(fd)  # released and removed by its holder meanwhile: lock the new one

    def release(self) -> None:
        """Remove the lock file and unlock (in that order, so no one locks a file being removed)."""
        if self._fd is None:
            return
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._path)
        os.close(self._fd)
        self._fd = None


class CrawlState:
    """The crawl's persistent state in one SQLite file. Use :meth:`open`, as a context manager.

    Safe to call from several threads (one connection behind a lock), though the crawl loop normally
    calls it from the event loop only. Every method commits before it returns.
    """

    def __init__(self, conn: sqlite3.Connection, path: Path, clock: Callable[[], dt.datetime]) -> None:
        """Wrap an open connection; prefer :meth:`open`."""
        self._conn = conn
        # Re-entrant so that calls made inside transaction() join it instead of deadlocking.
        self._lock = threading.RLock()
        self._in_transaction = False
        self._clock = clock
        self.path = path
        self.run_id: int | None = None
        """The current run, once :meth:`start_run` was called."""
        self.in_run = False
        """Between :meth:`start_run` and :meth:`end_run`: a caller may start the run before it
        opens (and empties) its outputs, so that a kill in between leaves a run to ``--resume``."""
        self._run_lock: _RunLock | None = None

    @classmethod
    def open(cls, path: Path | str, *, clock: Callable[[], dt.datetime] = _now_utc) -> Self:
        """Open (or create) the state file at ``path``.

        Args:
            path: the SQLite file; its folder is created if missing.
            clock: returns the current tz-aware time (injected so tests are deterministic).

        Raises:
            ValueError: the file was written by a newer topicscrape, or is not a state file.
            StateInUse: another run (another process, or another open state) holds the file.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves so each call is one explicit transaction.
        lock = _RunLock.take(path)
        try:
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:  # a folder, a file that cannot be opened
            lock.release()
            raise ValueError(f"{path} cannot be used as a crawl state file: {exc}") from exc
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            # NORMAL, not FULL: in WAL mode a commit is then in the WAL file (the OS's cache) when it
            # returns, which a killed process cannot undo; only a power cut or kernel crash can, and
            # then it loses a *suffix* of commits (WAL frames are checksummed in a chain, so recovery
            # stops at the first torn one) and never corrupts. Losing the last done marks only means
            # those pages are fetched again on --resume, and the sinks (fsynced before mark_done) skip
            # their records: the ordering rule below holds either way. FULL cost an fsync (~5 ms on
            # the benchmark disk) per claim, add and mark_done, on the event loop: 75 pages/s at most.
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > STATE_SCHEMA_VERSION:
                raise ValueError(
                    f"{path} is crawl state version {version}; this topicscrape reads up to "
                    f"{STATE_SCHEMA_VERSION}. Upgrade, or pass another --state file."
                )
            conn.executescript(_SCHEMA)
            conn.execute(f"PRAGMA user_version={STATE_SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            conn.close()
            lock.release()
            raise ValueError(f"{path} is not a topicscrape crawl state file: {exc}") from exc
        except BaseException:
            conn.close()
            lock.release()
            raise
        state = cls(conn, path, clock)
        state._run_lock = lock
        return state

    # -- plumbing ------------------------------------------------------------------------------

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._in_transaction:  # inside transaction(): its commit covers this change
                yield self._conn
                return
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group the calls made inside into one transaction: one commit for several pages.

        The crawl finishes pages in groups (one fsync of the output for all their records, then this
        one transaction for all their next pages and done marks), which saves a commit per call.
        Nothing inside is visible to another connection, or survives a kill, until the block ends;
        an exception inside rolls back every change made in the block. Nesting joins the outer
        transaction.

        Example::

            with state.transaction():
                state.add(next_url, start_url=start, page=1)
                state.mark_done(url, records=10, ids=ids)
        """
        with self._lock:
            if self._in_transaction:
                yield
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._in_transaction = True
            try:
                yield
            except BaseException:
                self._in_transaction = False
                self._conn.execute("ROLLBACK")
                raise
            self._in_transaction = False
            self._conn.execute("COMMIT")

    def _read(self, sql: str, params: Sequence[object] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def _stamp(self) -> str:
        return _iso(self._clock())

    def close(self) -> None:
        """Close the connection (a WAL checkpoint happens on the last close) and let another run in."""
        with self._lock:
            self._conn.close()
            if self._run_lock is not None:
                self._run_lock.release()
                self._run_lock = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- runs ------------------------------------------------------------------------------------

    def start_run(
        self,
        settings: Mapping[str, object],
        *,
        resume: bool,
        identity: Mapping[str, object] | None = None,
        frontier: bool = False,
    ) -> int:
        """Begin a run (or, with ``resume``, continue the last unfinished one) and return its id.

        With ``resume=False`` the frontier is emptied: a new crawl fetches every page again (with
        conditional requests where validators are known). With ``resume=True`` the last run that did
        not end as ``done`` is continued, and pages a killed process left ``in_progress`` go back to
        the queue; if there is no such run a new one starts and the frontier is kept as it is (its
        failed pages are tried again), unless every page in it is done.

        Args:
            settings: a JSON-serialisable summary of the options (stored for the record).
            resume: continue instead of starting over.
            identity: what makes two runs one (``wayback``: its URL, date range, CDX and archive
                URLs), JSON-serialisable; stored with the run. With ``resume``, the last run in the
                file must have stored the same, or nothing is changed and :class:`StateMismatch` is
                raised: continuing another run's frontier would mix its pages into this one. None
                (``crawl``, for now) checks nothing.
            frontier: the run works through the frontier (``crawl``; ``wayback`` keeps its own
                tables): with ``resume``, a last run that finished with every page done is an error.

        Raises:
            StateMismatch: ``resume`` with an ``identity`` the last run did not store.
            NothingToResume: ``frontier`` and ``resume``, and the last run finished with every page
                done.
        """
        record = dict(settings) if identity is None else {**settings, IDENTITY_KEY: dict(identity)}
        summary = json.dumps(record, sort_keys=True, default=str)
        with self._tx() as conn:
            row = None
            if resume and identity is not None:
                self._check_identity(conn, identity)
            if resume:
                row = conn.execute(
                    "SELECT id FROM runs WHERE outcome != 'done' ORDER BY id DESC LIMIT 1"
                ).fetchone()
                if row is None and frontier:
                    self._check_something_left(conn)
            if row is not None:
                run_id = int(row["id"])
                conn.execute(
                    "UPDATE runs SET outcome='running', ended_at=NULL, resumes=resumes+1 WHERE id=?",
                    (run_id,),
                )
            else:
                if not resume:
                    conn.execute("DELETE FROM frontier")
                cur = conn.execute(
                    "INSERT INTO runs (started_at, settings) VALUES (?, ?)", (self._stamp(), summary)
                )
                run_id = int(cur.lastrowid or 0)
        self.run_id = run_id
        self.in_run = True
        if resume:
            requeued = self.requeue_in_progress()
            if requeued:
                logger.info("resume: %d page(s) interrupted mid-fetch go back to the queue", requeued)
        return run_id

    def _check_something_left(self, conn: sqlite3.Connection) -> None:
        """Raise :class:`NothingToResume` if the last run finished and left no page to fetch (none
        queued, none failed): ``--resume`` would do nothing at all."""
        last = conn.execute("SELECT ended_at FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        if last is None:
            return  # a new state file: the run starts
        left = conn.execute("SELECT 1 FROM frontier WHERE status != 'done' LIMIT 1").fetchone()
        if left is None:
            raise NothingToResume(self.path, last["ended_at"])

    def _check_identity(self, conn: sqlite3.Connection, identity: Mapping[str, object]) -> None:
        """Raise :class:`StateMismatch` unless the file's last run (if any) stored ``identity``."""
        last = conn.execute("SELECT settings FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        if last is None:
            return
        wanted = json.loads(json.dumps(dict(identity), sort_keys=True, default=str))
        try:
            stored = json.loads(last["settings"]).get(IDENTITY_KEY)
        except (ValueError, AttributeError):  # not a JSON object: not ours to read
            stored = None
        if stored != wanted:
            raise StateMismatch(self.path, stored if isinstance(stored, dict) else None, wanted)

    def end_run(self, outcome: Literal["done", "failed", "interrupted"]) -> None:
        """Record how the current run ended (``interrupted`` runs are what ``--resume`` continues)."""
        if self.run_id is None:
            raise ValueError("end_run() before start_run()")
        with self._tx() as conn:
            conn.execute(
                "UPDATE runs SET outcome=?, ended_at=? WHERE id=?", (outcome, self._stamp(), self.run_id)
            )
        self.in_run = False

    # -- frontier --------------------------------------------------------------------------------

    def add(self, url: str, *, start_url: str, page: int, depth: int = 0) -> bool:
        """Queue a listing page; False if its canonical URL is already in the frontier.

        False for a known URL is also the pagination loop guard: a "next" link back to a page
        already queued, fetched or failed is not followed again.
        """
        canonical = canonicalize(url)
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT INTO frontier (url, canonical, start_url, page, depth, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (canonical) DO NOTHING",
                (url, canonical, start_url, page, depth, self._stamp()),
            )
            added = cur.rowcount == 1
        if not added:
            logger.debug("already in the frontier: %s", url)
        return added

    def claim(self, limit: int = 1) -> list[FrontierItem]:
        """Take up to ``limit`` queued pages, oldest first, and mark them in progress."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        with self._tx() as conn:
            rows = conn.execute(
                "SELECT seq, url, canonical, start_url, page, depth, attempts FROM frontier "
                "WHERE status='queued' ORDER BY seq LIMIT ?",
                (limit,),
            ).fetchall()
            stamp = self._stamp()
            conn.executemany(
                "UPDATE frontier SET status='in_progress', attempts=attempts+1, updated_at=? WHERE seq=?",
                [(stamp, row["seq"]) for row in rows],
            )
        return [
            FrontierItem(
                url=row["url"],
                canonical=row["canonical"],
                start_url=row["start_url"],
                page=row["page"],
                depth=row["depth"],
                attempts=row["attempts"] + 1,
            )
            for row in rows
        ]

    def mark_done(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        records: int,
        digest: str | None = None,
        next_url: str | None = None,
        ids: Iterable[str] = (),
        fetched_at: dt.datetime | None = None,
    ) -> int:
        """Finish a page, in one transaction with remembering its record ids; return how many are new.

        Call it only after every sink's ``write`` for the page has returned (the batch is durable),
        never before: that ordering is what makes a kill lose nothing (see the module docstring).

        Args:
            url: the frontier URL (any spelling with the same canonical form).
            etag: the response's ``ETag``, for a later ``If-None-Match``.
            last_modified: the response's ``Last-Modified``, for a later ``If-Modified-Since``.
            records: how many records the page yielded.
            digest: a checksum of the body (CRC-32 hex), to spot unchanged pages.
            next_url: the page's next-page link, kept so a later 304 can continue the pagination.
            ids: the page's record ids (stored as seen, with this run as the first to see new ones).
            fetched_at: when the page was fetched (defaults to the clock).

        Raises:
            KeyError: the URL was never added to the frontier.
        """
        canonical = canonicalize(url)
        stamp = _iso(fetched_at) if fetched_at is not None else self._stamp()
        id_list = list(dict.fromkeys(ids))
        with self._tx() as conn:
            self._set_status(conn, canonical, url, "done", None)
            new = 0
            for chunk in _chunks(id_list):
                cur = conn.executemany(
                    "INSERT INTO seen_ids (id, first_run, first_seen) VALUES (?, ?, ?) "
                    "ON CONFLICT (id) DO NOTHING",
                    [(record_id, self.run_id, stamp) for record_id in chunk],
                )
                new += max(cur.rowcount, 0)
            conn.execute(
                "INSERT INTO pages (canonical, url, etag, last_modified, next_url, fetched_at, records, "
                "new_records, digest, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (canonical) DO UPDATE SET url=excluded.url, etag=excluded.etag, "
                "last_modified=excluded.last_modified, next_url=excluded.next_url, "
                "fetched_at=excluded.fetched_at, records=excluded.records, "
                "new_records=excluded.new_records, digest=excluded.digest, run_id=excluded.run_id",
                (canonical, url, etag, last_modified, next_url, stamp, records, new, digest, self.run_id),
            )
        return new

    def mark_failed(self, url: str, reason: str) -> None:
        """Record that a page could not be fetched or parsed; it is listed in the summary (exit 1).

        Raises:
            KeyError: the URL was never added to the frontier.
        """
        canonical = canonicalize(url)
        with self._tx() as conn:
            self._set_status(conn, canonical, url, "failed", reason)

    def _set_status(
        self, conn: sqlite3.Connection, canonical: str, url: str, status: Status, error: str | None
    ) -> None:
        cur = conn.execute(
            "UPDATE frontier SET status=?, error=?, updated_at=? WHERE canonical=?",
            (status, error, self._stamp(), canonical),
        )
        if cur.rowcount != 1:
            raise KeyError(f"not in the frontier: {url}")

    def requeue_in_progress(self) -> int:
        """Put pages a killed process left in progress back in the queue; return how many."""
        with self._tx() as conn:
            cur = conn.execute(
                "UPDATE frontier SET status='queued', updated_at=? WHERE status='in_progress'",
                (self._stamp(),),
            )
            return cur.rowcount

    def requeue_failed(self) -> int:
        """Give failed pages another try (e.g. on ``--resume`` after a network outage); return how many."""
        with self._tx() as conn:
            cur = conn.execute(
                "UPDATE frontier SET status='queued', error=NULL, updated_at=? WHERE status='failed'",
                (self._stamp(),),
            )
            return cur.rowcount

    def status(self, url: str) -> Status | None:
        """The frontier status of a URL, or None if it is not in the frontier."""
        rows = self._read("SELECT status FROM frontier WHERE canonical=?", (canonicalize(url),))
        if not rows:
            return None
        status: Status = rows[0]["status"]
        return status

    def failures(self) -> list[tuple[str, str]]:
        """``(url, reason)`` of every failed page, in the order they were queued."""
        rows = self._read("SELECT url, error FROM frontier WHERE status='failed' ORDER BY seq")
        return [(row["url"], row["error"] or "") for row in rows]

    def pending(self) -> int:
        """Pages still queued or in progress."""
        rows = self._read("SELECT count(*) FROM frontier WHERE status IN ('queued', 'in_progress')")
        return int(rows[0][0])

    # -- pages and ids -----------------------------------------------------------------------------

    def validators(self, url: str) -> PageValidators | None:
        """What the last successful fetch of ``url`` stored, for a conditional request; None if never."""
        rows = self._read(
            "SELECT etag, last_modified, next_url, records, digest FROM pages WHERE canonical=?",
            (canonicalize(url),),
        )
        if not rows:
            return None
        row = rows[0]
        return PageValidators(
            etag=row["etag"],
            last_modified=row["last_modified"],
            next_url=row["next_url"],
            records=row["records"],
            digest=row["digest"],
        )

    def known_ids(self, ids: Iterable[str], *, before_run: int | None = None) -> set[str]:
        """The ids among ``ids`` already seen (by any run, or only by runs before ``before_run``).

        ``--stop-at-seen`` asks with ``before_run=state.run_id``: a page whose teasers all appeared in
        an earlier run means the rest of that listing is old news. Ids of pages finished in the current
        run then do not count as "seen", so a crawl of a listing that repeats a teaser is not cut short.
        """
        id_list = list(dict.fromkeys(ids))
        found: set[str] = set()
        for chunk in _chunks(id_list):
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT id FROM seen_ids WHERE id IN ({marks})"
            params: list[object] = list(chunk)
            if before_run is not None:
                sql += " AND first_run < ?"
                params.append(before_run)
            found.update(row["id"] for row in self._read(sql, params))
        return found

    def remember_ids(self, ids: Iterable[str]) -> int:
        """Store ids as seen by the current run; return how many were new.

        The crawl loop should prefer ``mark_done(..., ids=...)``, which does this in the same
        transaction as the done mark; this is for callers without pages (e.g. importing a file).
        """
        stamp = self._stamp()
        new = 0
        with self._tx() as conn:
            for chunk in _chunks(list(dict.fromkeys(ids))):
                cur = conn.executemany(
                    "INSERT INTO seen_ids (id, first_run, first_seen) VALUES (?, ?, ?) "
                    "ON CONFLICT (id) DO NOTHING",
                    [(record_id, self.run_id, stamp) for record_id in chunk],
                )
                new += max(cur.rowcount, 0)
        return new

    def records_done(self) -> int:
        """Records of the pages the frontier holds as done (written to the outputs by this crawl,
        before any ``--resume``; a ``304`` page counts the records it had)."""
        row = self._read(
            "SELECT coalesce(sum(p.records), 0) FROM frontier f JOIN pages p ON p.canonical = f.canonical "
            "WHERE f.status = 'done'"
        )[0]
        return int(row[0])

    def counts(self) -> CrawlCounts:
        """Frontier status counts plus the current run's record figures, for the summary."""
        by_status = {
            row["status"]: int(row["n"])
            for row in self._read("SELECT status, count(*) AS n FROM frontier GROUP BY status")
        }
        records = new_records = 0
        if self.run_id is not None:
            row = self._read(
                "SELECT coalesce(sum(records), 0), coalesce(sum(new_records), 0) FROM pages WHERE run_id=?",
                (self.run_id,),
            )[0]
            records, new_records = int(row[0]), int(row[1])
        return CrawlCounts(
            queued=by_status.get("queued", 0),
            in_progress=by_status.get("in_progress", 0),
            done=by_status.get("done", 0),
            failed=by_status.get("failed", 0),
            records=records,
            new_records=new_records,
        )
