"""The crawl loop: frontier → fetch → parse → validate → store, with workers, pagination and stats.

No parsing logic lives here (that is :mod:`parsers`) and no HTTP policy (that is the transport
stack from :mod:`scraper.client`). The loop only decides what to fetch next and in which order the
results are made durable, so that a kill at any moment loses nothing and duplicates nothing (the
protocol is in :mod:`scraper.frontier`).

Usage::

    settings = Settings(replay=Path("fixtures"))
    with CrawlState.open("state.sqlite") as state, JsonlSink("out.jsonl", resume=False) as sink:
        stats = asyncio.run(crawl(["https://www.dhs.gov/keywords/secure-communities"],
                                  settings=settings, sinks=[sink], state=state))
"""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from pydantic import ValidationError

from parsers import NoTeasersFound, ParseError, Record, TopicPage, parse_topic_page
from parsers.decode import MAX_INPUT_BYTES
from parsers.profiles import Profile, resolve_profile
from scraper.client import Fetched, FetchStats, SiteCredentials, build_client, fetch, same_site
from scraper.errors import FetchError, NotHtml, OutputFailed, ScraperError, validation_problems
from scraper.frontier import CrawlState, FrontierItem
from scraper.politeness import SYSTEM_CLOCK, Clock, host_key
from scraper.settings import Settings
from scraper.sinks import RejectsSink, Sink, SqliteSink

__all__ = ["RUN_IDENTITY", "CrawlStats", "crawl"]

RUN_IDENTITY = {"command": "crawl"}
"""What a crawl's run records in its state file, so ``--resume`` never continues another command's
run (a ``wayback`` run's captures) as a crawl."""

logger = logging.getLogger(__name__)

LARGE_PAGE_BYTES = 1_000_000
"""Pages above this size are parsed in a worker thread so the event loop keeps fetching."""

MAX_WORKERS = 64
"""Upper bound on concurrent workers, whatever the number of hosts (each host is still capped)."""

CLAIM_BATCH = 16
"""Pages claimed from the frontier in one transaction. A transaction per claimed page cost about
0.15 ms a page (``bench/crawl.py``, 16 in flight); a batch the size of the benchmark's concurrency
feeds every worker once. Claimed pages wait in memory, marked in progress in the state file, so a
kill leaves them to ``--resume`` exactly like pages being fetched."""


@dataclass
class CrawlStats:
    """What a crawl did, for the progress display and the end summary.

    Attributes:
        pages: listing pages fetched and parsed (including empty end-of-listing pages).
        not_modified: pages the server reported unchanged (304): not parsed again.
        records: records found on the pages parsed this run (a teaser listed twice counts twice).
        written: records the outputs took (the most any one took: a teaser an output already
            holds, from this run or the run a ``--resume`` continues, is not written again).
        new_records: records never seen in an earlier run.
        rejected: teasers that failed validation (written to the rejects file).
        queued: pages waiting in the frontier, counted by ``pending`` when read.
        errors: failures by kind (exception class name).
        failures: (url, reason) of every page that failed.
        retryable: failures that may pass on a later try (timeouts, resets, 5xx, rate limits).
        skipped: (url, reason) of pages skipped on purpose (not HTML).
        loops: pagination links back to a page already seen, or to a page listing the same
            teasers as an earlier page of its listing (not followed).
        fetch: HTTP counters (requests, retries, rate limits, bytes).
        started: ``time.monotonic()`` at the start.
        duration: seconds, set when the crawl ends.
        pending: counts the pages waiting in the frontier (``CrawlState.pending`` while the crawl
            runs, the final count after).
    """

    pages: int = 0
    not_modified: int = 0
    records: int = 0
    written: int = 0
    new_records: int = 0
    rejected: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    failures: list[tuple[str, str]] = field(default_factory=list)
    retryable: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    loops: int = 0
    fetch: FetchStats = field(default_factory=FetchStats)
    started: float = field(default_factory=time.monotonic)
    duration: float = 0.0
    pending: Callable[[], int] = field(default=lambda: 0, repr=False, compare=False)

    @property
    def failed(self) -> int:
        """Pages that failed."""
        return len(self.failures)

    @property
    def queued(self) -> int:
        """Pages waiting in the frontier. A query, so it is made only when read: a quiet crawl
        never pays for it, the plain progress log once every ten seconds."""
        return self.pending()


Progress = Callable[[CrawlStats], None]


@dataclass
class _Run:
    """Everything one crawl shares between its workers."""

    settings: Settings
    client: httpx.AsyncClient
    state: CrawlState
    sinks: Sequence[Sink]
    rejects_path: Path | None
    stats: CrawlStats
    clock: Clock
    progress: Progress | None
    profile: Profile | str | None
    conditional: bool
    auth: SiteCredentials | None = None
    """Credentials the start URLs carried, sent to their sites only (never stored with a URL)."""
    seen_in_a_row: dict[str, int] = field(default_factory=dict)
    listed: dict[str, set[int]] = field(default_factory=dict)
    """Per listing being paginated (start URL): a fingerprint of each page's set of teasers, to
    spot a pager that goes round under new URLs (``?page=2&sid=<random>``). Dropped when the
    listing ends, so memory follows the listings in flight, not the pages crawled."""
    claimed: int = 0
    stop: OutputFailed | None = None
    """Set when an output cannot be written: no page is claimed any more, and the crawl raises it."""
    rejects: RejectsSink | None = None
    """Opened on the first reject, so a clean crawl leaves no empty rejects file behind."""
    group: _GroupCommit = field(init=False)
    """Makes finished pages durable in groups (see :class:`_GroupCommit`)."""

    def __post_init__(self) -> None:
        self.group = _GroupCommit(self)

    def reject(self, reason: str, *, source_url: str, data: dict[str, object]) -> None:
        if self.rejects_path is None:
            logger.warning("rejected a teaser on %s: %s", source_url, reason)
            return
        if self.rejects is None:
            self.rejects = RejectsSink(self.rejects_path, resume=True)
        self.rejects.reject(reason, source_url=source_url, data=data)


async def crawl(
    start_urls: Sequence[str],
    *,
    settings: Settings,
    sinks: Sequence[Sink],
    state: CrawlState,
    rejects: Path | None = None,
    client: httpx.AsyncClient | None = None,
    progress: Progress | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> CrawlStats:
    """Crawl each start URL and its pagination into ``sinks``.

    Args:
        start_urls: listing pages to start from (several hosts may be mixed). Credentials in one
            (``https://user:pw@host/``) are sent to that site and written nowhere.
        settings: limits, politeness, parser options; ``resume`` continues the saved crawl.
        sinks: where records go; each ``write`` gets the records of one or more finished pages (a
            group commit) and must be durable on return.
        state: the crawl state (frontier, validators, seen ids), opened by the caller.
        rejects: the JSON Lines file where teasers that fail validation go, with the reason
            (created on the first one); None logs them instead.
        client: an HTTP client; by default :func:`scraper.client.build_client` (replay, recording
            and politeness as ``settings`` say).
        progress: called after every page with the running stats.
        clock: time source for politeness and retries.

    Returns:
        The stats; ``stats.failures`` lists every page that failed (the CLI exits 1 then).

    Raises:
        ProfileError: ``settings.profile`` names no profile.
        OutputFailed: a sink could not write; the crawl stopped as if interrupted (``--resume``).
    """
    stats = CrawlStats(started=clock.monotonic(), pending=state.pending)
    empty = next((s for s in sinks if isinstance(s, SqliteSink) and not s.cumulative), None)
    if settings.stop_at_seen is not None and empty is not None and not settings.resume:
        # Earlier runs' teasers are known from the state file, but this database holds none of
        # them (new or rebuilt): stopping at them would leave it with the newest pages only.
        logger.info("%s holds no records yet: --stop-at-seen is off for this run", empty.path)
        settings = settings.model_copy(update={"stop_at_seen": None})
    credentials = SiteCredentials()
    start_urls = [credentials.take_from(url) for url in start_urls]
    profile = resolve_profile(settings.profile)
    own_client = client is None
    http = client if client is not None else build_client(settings, clock=clock)
    if not state.in_run:  # else the caller started it (before emptying its outputs)
        state.start_run(
            settings.model_dump(mode="json"), resume=settings.resume, identity=RUN_IDENTITY, frontier=True
        )
    if settings.resume:
        # The summary of the earlier run promised that --resume tries its failed pages again.
        state.requeue_failed()
    for url in start_urls:
        if not state.add(url, start_url=url, page=0) and not settings.resume:
            # The frontier was emptied for this run: only an earlier start URL can hold the page.
            logger.warning("%s is a start URL given before (same page once canonical): crawled once", url)
    run = _Run(
        settings=settings,
        client=http,
        state=state,
        sinks=sinks,
        rejects_path=rejects,
        stats=stats,
        clock=clock,
        progress=progress,
        profile=profile,
        # A 304 brings no body: ask for changed pages only when every output keeps the records of
        # earlier runs (a database). A file output starts empty, also on --resume: the pages still
        # to fetch were last written to a file an interrupted run has since truncated.
        conditional=bool(sinks) and all(getattr(sink, "cumulative", False) for sink in sinks),
        auth=credentials or None,
        # --max-pages counts the pages of the whole crawl, also those done before a --resume.
        claimed=state.counts().done if settings.resume else 0,
    )
    # Counted as politeness counts them (host and port), so each host can use its whole allowance.
    hosts = {host_key(u) for u in start_urls} or {""}
    workers = min(MAX_WORKERS, settings.concurrency * len(hosts))
    outcome = "failed"
    try:
        await _Pool(run).run(workers)
        outcome = "done" if run.stop is None else "interrupted"
    except (asyncio.CancelledError, KeyboardInterrupt):  # a second Ctrl-C raises in whatever code runs
        outcome = "interrupted"
        raise
    finally:
        stats.duration = clock.monotonic() - stats.started
        left = state.pending()
        stats.pending = lambda: left  # the caller may close the state and still read ``queued``
        state.end_run(outcome)  # type: ignore[arg-type]
        if run.rejects is not None:
            run.rejects.close()
        if own_client:
            await http.aclose()
    if run.stop is not None:
        raise run.stop
    return stats


class _Pool:
    """Workers that claim pages from the frontier until it is empty and none is in flight."""

    def __init__(self, run: _Run) -> None:
        self.run_ = run
        self.active = 0
        self.changed = asyncio.Condition()
        self.ready: deque[FrontierItem] = deque()
        """Claimed in a batch and not handed to a worker yet (in progress in the state file, so a
        kill leaves them to ``--resume`` as it leaves pages being fetched)."""

    async def run(self, workers: int) -> None:
        async with asyncio.TaskGroup() as group:
            for _ in range(max(workers, 1)):
                group.create_task(self._worker())

    async def _claim(self) -> FrontierItem | None:
        run = self.run_
        async with self.changed:
            while True:
                limit = run.settings.max_pages
                if run.stop is not None:  # an output failed: the claimed pages go back on --resume
                    self.ready.clear()
                elif not self.ready and (limit is None or run.claimed < limit):
                    batch = CLAIM_BATCH if limit is None else min(CLAIM_BATCH, limit - run.claimed)
                    self.ready.extend(run.state.claim(batch))
                    run.claimed += len(self.ready)
                if self.ready:
                    self.active += 1
                    return self.ready.popleft()
                if self.active == 0:
                    self.changed.notify_all()
                    return None
                await self.changed.wait()

    async def _worker(self) -> None:
        while (item := await self._claim()) is not None:
            try:
                await _process(self.run_, item)
            finally:
                async with self.changed:
                    self.active -= 1
                    self.changed.notify_all()


async def _process(run: _Run, item: FrontierItem) -> None:
    """One page: fetch, parse, store, queue the next page, mark done (in that order)."""
    stats, state = run.stats, run.state
    try:
        conditional = _conditional_headers(run, item)
        fetched = await fetch(
            run.client,
            item.url,
            settings=run.settings,
            headers=conditional,
            site=item.start_url,
            stats=stats.fetch,
            clock=run.clock,
            auth=run.auth,
        )
        if fetched.not_modified and conditional is None:
            # Nothing was offered to compare with: the answer says nothing about the records.
            raise FetchError(
                item.url, "HTTP 304 Not Modified to a request that was not conditional", status=304
            )
        if fetched.not_modified:
            await _unchanged(run, item, fetched)
        else:
            await _store(run, item, fetched, await _parse(run, item, fetched))
    except OutputFailed as exc:  # not this page's fault, and every page would fail: stop
        run.stop = run.stop or exc
    except NotHtml as exc:
        if item.page == 0:  # a start URL that is a PDF or a feed: the crawl got nothing it was asked for
            _fail(run, item, exc)
        else:
            stats.skipped.append((item.url, str(exc)))
            logger.info("skipped %s: %s", item.url, exc)
            state.mark_done(item.url, records=0)
    except (ScraperError, ParseError) as exc:
        _fail(run, item, exc)
    except Exception as exc:  # a bug on one page must not end a million-page crawl: list it, go on
        logger.exception("unexpected error on %s", item.url)
        _fail(run, item, exc)
    if run.progress is not None:
        run.progress(stats)


def _conditional_headers(run: _Run, item: FrontierItem) -> dict[str, str] | None:
    if not run.conditional:
        return None
    known = run.state.validators(item.url)
    if known is None:
        return None
    headers = {}
    if known.etag:
        headers["If-None-Match"] = known.etag
    if known.last_modified:
        headers["If-Modified-Since"] = known.last_modified
    return headers or None


async def _parse(run: _Run, item: FrontierItem, fetched: Fetched) -> TopicPage | None:
    """The parsed page, or None when it lists nothing (the end of a listing)."""

    def parse() -> TopicPage:
        return parse_topic_page(
            fetched.content,
            url=fetched.final_url,
            profile=run.profile,
            backend=run.settings.backend,
            page=item.page,
            content_type=fetched.content_type,
            # --max-bytes may allow more than the parser's own default limit
            max_bytes=max(run.settings.max_bytes, MAX_INPUT_BYTES),
        )

    try:
        if len(fetched.content) > LARGE_PAGE_BYTES:
            return await asyncio.to_thread(parse)
        return parse()
    except NoTeasersFound:
        if item.page == 0:
            raise  # a start page with nothing on it is worth a failure line in the summary
        logger.info("no teasers on %s: end of the listing", item.url)
        return None


async def _store(run: _Run, item: FrontierItem, fetched: Fetched, page: TopicPage | None) -> None:
    records = _records(run, page, fetched) if page is not None else []
    ids = [r.id for r in records]
    # Only to spot an unchanged body, never to trust one: CRC-32 is four times cheaper than blake2b
    # (40 against 160 us a 60 KB page on the benchmark machine) and a collision costs nothing.
    digest = f"{zlib.crc32(fetched.content):08x}"

    def finish() -> int:
        """Queue the next page and mark this one done; runs once ``records`` are durable."""
        next_url = _follow(run, item, page, ids)
        return run.state.mark_done(
            item.url,
            etag=fetched.etag,
            last_modified=fetched.last_modified,
            records=len(records),
            digest=digest,
            next_url=next_url,
            ids=ids,
            fetched_at=fetched.fetched_at,
        )

    new = await run.group.commit(records, finish)
    run.stats.pages += 1
    run.stats.records += len(records)
    run.stats.new_records += new


def _write(sinks: Sequence[Sink], records: list[Record]) -> int:
    """Write to every sink; return the most records one took (a re-crawl's file output takes them
    all again, while its database beside it counts only the rows it inserted or changed).

    Raises:
        OutputFailed: a sink could not write (its ``OSError`` is the cause).
    """
    most = 0
    for sink in sinks:  # every sink; a file takes what a database had
        try:
            most = max(most, sink.write(records))
        except OSError as exc:
            raise OutputFailed(getattr(sink, "path", None) or "-", exc) from exc
    return most


class _GroupCommit:
    """Group commit: the pages that finish while one group is being made durable form the next group.

    A group costs one ``write`` per sink (one fsync of each output file, one SQLite commit) for the
    records of all its pages, then one state transaction that runs each page's ``finish`` (queue the
    next page, mark the page done) in the order the pages finished. Every page still keeps the
    ordering rule of :mod:`scraper.frontier` (records durable, then next page queued, then done,
    and a kill in between loses nothing); only the fsyncs and commits are shared.

    Why: at 16 pages in flight the crawl finishes hundreds of pages a second, and an fsync per page
    (several milliseconds on a real disk, and each output file's writes are serialised) plus a
    state commit per page held it back. With one page in flight a group is one page, as before.
    A failure to write or commit fails every page of its group, as it would have failed each alone.
    """

    def __init__(self, run: _Run) -> None:
        self._run = run
        self._waiting: list[tuple[list[Record], Callable[[], int], asyncio.Future[int]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def commit(self, records: list[Record], finish: Callable[[], int]) -> int:
        """Wait until ``records`` are durable and ``finish()`` is committed; return what it returned."""
        done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._waiting.append((records, finish, done))
        if self._writer is None:
            self._writer = asyncio.create_task(self._drain())
        return await done

    async def _drain(self) -> None:
        group: list[tuple[list[Record], Callable[[], int], asyncio.Future[int]]] = []
        try:
            while self._waiting:
                group, self._waiting = self._waiting, []
                try:
                    records = [record for batch, _, _ in group for record in batch]
                    if records and self._run.sinks:
                        self._run.stats.written += await asyncio.to_thread(_write, self._run.sinks, records)
                    with self._run.state.transaction():
                        results = [finish() for _, finish, _ in group]
                except Exception as exc:
                    for _, _, done in group:
                        if not done.done():
                            done.set_exception(exc)
                    continue
                for (_, _, done), result in zip(group, results, strict=True):
                    if not done.done():
                        done.set_result(result)
        except BaseException:  # cancelled (the crawl is stopping): nobody may wait forever
            for _, _, done in [*group, *self._waiting]:
                done.cancel()
            raise
        finally:
            self._writer = None


def _records(run: _Run, page: TopicPage, fetched: Fetched) -> list[Record]:
    """Validated records of a page; a teaser that fails goes to the rejects file, never silently."""
    records = []
    for teaser in page.teasers:
        try:
            records.append(page.record(teaser, fetched_at=fetched.fetched_at))
        except ValidationError as exc:
            run.stats.rejected += 1
            reason = validation_problems(exc)
            run.reject(reason, source_url=page.url, data=teaser.model_dump(mode="json"))
    return records


def _follow(run: _Run, item: FrontierItem, page: TopicPage | None, ids: list[str]) -> str | None:
    """Queue the next page of the listing unless the listing ends here; return its URL."""
    listed = run.listed.pop(item.start_url, set())  # put back only if the listing goes on
    if page is None or page.next_url is None:
        return None
    next_url = page.next_url.split("#", 1)[0]  # never sent to a server: "?page=2#main" is "?page=2"
    if not run.settings.allow_offsite and not same_site(next_url, item.start_url):
        logger.info("not following offsite next page %s from %s", next_url, item.url)
        return next_url
    if _seen_enough(run, item, ids):
        logger.info("stopping %s: %d known teasers in a row", item.start_url, run.settings.stop_at_seen)
        return next_url
    # What the page lists: links, or titles where teasers have none (their ids hash the page's URL,
    # which changes as the pager goes round).
    fingerprint = hash(frozenset(teaser.url or teaser.title for teaser in page.teasers))
    if fingerprint in listed:
        run.stats.loops += 1
        logger.info(
            "pagination loop: %s lists the teasers of an earlier page of %s", item.url, item.start_url
        )
        return next_url
    if not run.state.add(next_url, start_url=item.start_url, page=item.page + 1, depth=item.depth + 1):
        run.stats.loops += 1
        logger.info("pagination loop: %s links back to %s", item.url, next_url)
        return next_url
    listed.add(fingerprint)
    run.listed[item.start_url] = listed
    return next_url


def _seen_enough(run: _Run, item: FrontierItem, ids: list[str], *, unchanged: int = 0) -> bool:
    """``--stop-at-seen N``: have N teasers of this listing in a row been seen in an earlier run?

    ``unchanged`` is the teaser count of a page that answered 304: an earlier run wrote all of them,
    so they extend the streak without their ids being known (a 304 has no body to parse).
    """
    limit = run.settings.stop_at_seen
    if limit is None or not (ids or unchanged):
        return False
    streak = run.seen_in_a_row.get(item.start_url, 0) + unchanged
    if streak >= limit:
        return True
    known = run.state.known_ids(ids, before_run=run.state.run_id) if ids else set()
    for record_id in ids:
        streak = streak + 1 if record_id in known else 0
        if streak >= limit:
            return True
    run.seen_in_a_row[item.start_url] = streak
    return False


async def _unchanged(run: _Run, item: FrontierItem, fetched: Fetched) -> None:
    """A 304: the output already holds this page's records; continue with its known next page."""
    known = run.state.validators(item.url)
    next_url = known.next_url if known is not None else None
    run.stats.not_modified += 1
    unchanged = known.records if known is not None else 0
    # The stored link is the page's, followed or not: the same rules as _follow decide again.
    onsite = run.settings.allow_offsite or (next_url is not None and same_site(next_url, item.start_url))
    listed = run.listed.pop(item.start_url, None)
    if next_url and onsite and not _seen_enough(run, item, [], unchanged=unchanged):
        if run.state.add(next_url, start_url=item.start_url, page=item.page + 1, depth=item.depth + 1):
            if listed is not None:
                run.listed[item.start_url] = listed
        else:
            run.stats.loops += 1
    run.state.mark_done(
        item.url,
        etag=fetched.etag or (known.etag if known else None),
        last_modified=fetched.last_modified or (known.last_modified if known else None),
        records=known.records if known is not None else 0,
        digest=known.digest if known is not None else None,
        next_url=next_url,
        fetched_at=fetched.fetched_at,
    )


def _fail(run: _Run, item: FrontierItem, exc: Exception) -> None:
    kind = type(exc).__name__
    # The line names the page already, and the kind: "Blocked: disallowed by …", not "Blocked:
    # URL: blocked: disallowed by …".
    reason = str(exc).removeprefix(f"{item.url}: ")
    if reason.lower().startswith(f"{kind.lower()}: "):
        reason = reason[len(kind) + 2 :]
    run.stats.errors[kind] += 1
    run.stats.failures.append((item.url, f"{kind}: {reason}"))
    logger.warning("failed %s: %s: %s", item.url, kind, reason)
    run.state.mark_failed(item.url, f"{kind}: {reason}")
    if isinstance(exc, FetchError) and exc.transient:
        run.stats.retryable += 1
        logger.info("%s may succeed later: run again with --resume", item.url)
