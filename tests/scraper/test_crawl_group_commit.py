"""Tests for the crawl's group commit (scraper/crawl.py ``_GroupCommit``): shared fsyncs, same ordering.

Pages that finish while a group is being written share one sink write and one state transaction;
for every page the order stays "records durable, then next page queued, then done". Kept apart from
test_crawl.py, which covers what a crawl fetches and writes, not how the writes are grouped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from parsers import Record
from scraper.client import build_client
from scraper.crawl import CrawlStats, _GroupCommit, crawl
from scraper.errors import OutputFailed
from scraper.frontier import CrawlState
from scraper.settings import Settings

from e2e.site import TopicTeaser, drupal_listing

BASE = "https://www.dhs.gov"


def _record(n: int) -> Record:
    return Record(
        id=f"{n:024x}",
        title=f"Story {n}",
        url=f"{BASE}/news/story-{n}",
        source_url=f"{BASE}/keywords/topic",
        page=0,
        position=1,
        profile="drupal7",
    )


@dataclass
class CheckingSink:
    """Records every write; optionally fails, or checks the state before accepting a batch."""

    state: CrawlState | None = None
    fail: bool = False
    path: Path = Path("memory")
    batches: list[list[Record]] = field(default_factory=list)
    done_at_write: list[int] = field(default_factory=list)

    def write(self, records: Sequence[Record]) -> int:
        if self.fail:
            raise OSError(28, "No space left on device")
        if self.state is not None:
            self.done_at_write.append(self.state.counts().done)
        self.batches.append(list(records))
        return len(records)

    def close(self) -> None:
        pass

    def __enter__(self) -> CheckingSink:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


@pytest.fixture
def state(tmp_path: Path) -> Iterator[CrawlState]:
    """A state file with a started run and five claimed pages."""
    with CrawlState.open(tmp_path / "state.sqlite") as opened:
        opened.start_run({}, resume=False)
        for n in range(5):
            opened.add(f"{BASE}/keywords/topic?page={n}", start_url=f"{BASE}/keywords/topic", page=n)
        opened.claim(5)
        yield opened


def _finisher(state: CrawlState, sink: CheckingSink, n: int, log: list[Any]) -> Any:
    def finish() -> int:
        # Runs after the write: the page's record is durable, and we are inside one transaction.
        log.append(
            (n, any(r.id == f"{n:024x}" for batch in sink.batches for r in batch), state._in_transaction)
        )
        return state.mark_done(f"{BASE}/keywords/topic?page={n}", records=1, ids=[f"{n:024x}"])

    return finish


async def test_pages_finishing_together_share_one_write_and_one_transaction(state: CrawlState) -> None:
    """Five pages committed at once: one sink write with all records, then each finish in order."""
    sink = CheckingSink()
    group = _GroupCommit(SimpleNamespace(sinks=[sink], state=state, stats=CrawlStats()))  # type: ignore[arg-type]
    log: list[Any] = []
    new = await asyncio.gather(
        *(group.commit([_record(n)], _finisher(state, sink, n, log)) for n in range(5))
    )
    assert new == [1, 1, 1, 1, 1]
    assert [[r.id for r in batch] for batch in sink.batches] == [[f"{n:024x}" for n in range(5)]]
    assert log == [(n, True, True) for n in range(5)]
    assert state.counts().done == 5


async def test_a_failed_write_fails_its_pages_and_marks_none_done(state: CrawlState) -> None:
    """A sink that cannot write: every page of the group gets the error (OutputFailed, from the
    sink's OSError); none is marked done."""
    sink = CheckingSink(fail=True)
    group = _GroupCommit(SimpleNamespace(sinks=[sink], state=state, stats=CrawlStats()))  # type: ignore[arg-type]
    log: list[Any] = []
    results = await asyncio.gather(
        *(group.commit([_record(n)], _finisher(state, sink, n, log)) for n in range(3)),
        return_exceptions=True,
    )
    assert all(isinstance(result, OutputFailed) for result in results)
    assert all(isinstance(result.cause, OSError) for result in results if isinstance(result, OutputFailed))
    assert log == []
    assert state.counts().done == 0
    assert state.counts().in_progress == 5


async def test_a_failed_commit_rolls_back_the_whole_group(state: CrawlState) -> None:
    """One page's finish raising undoes the group's done marks: no page is done without the others."""
    sink = CheckingSink()
    group = _GroupCommit(SimpleNamespace(sinks=[sink], state=state, stats=CrawlStats()))  # type: ignore[arg-type]
    log: list[Any] = []

    def broken() -> int:
        raise RuntimeError("bug")

    results = await asyncio.gather(
        group.commit([_record(0)], _finisher(state, sink, 0, log)),
        group.commit([_record(1)], broken),
        return_exceptions=True,
    )
    assert [type(result) for result in results] == [RuntimeError, RuntimeError]
    assert state.counts().done == 0


async def test_a_whole_crawl_writes_before_it_marks_done(tmp_path: Path) -> None:
    """Over a real crawl of 40 pages: every write comes before its pages are done; nothing is lost."""
    topics, pages = 4, 10
    routes: dict[str, httpx.Response] = {}
    for t in range(topics):
        path = f"/keywords/topic-{t}"
        for p in range(pages):
            teasers = [
                TopicTeaser(
                    title=f"Topic {t} story {p * 3 + i + 1}",
                    url=f"{BASE}/news/topic-{t}-{p * 3 + i + 1}",
                    excerpt=f"What changed in topic {t}, item {p * 3 + i + 1}, and who is affected by it.",
                    position=i + 1,
                    page=p,
                )
                for i in range(3)
            ]
            html = drupal_listing(f"Topic {t}", p, teasers, pages=pages, path=path)
            routes[path + (f"?page={p}" if p else "")] = httpx.Response(
                200, headers={"Content-Type": "text/html; charset=utf-8"}, content=html.encode()
            )

    def handler(request: httpx.Request) -> httpx.Response:
        return routes.get(request.url.raw_path.decode()) or httpx.Response(404)

    settings = Settings(delay=0, obey_robots=False, concurrency=8)
    with CrawlState.open(tmp_path / "state.sqlite") as state:
        sink = CheckingSink(state=state)
        async with build_client(settings, transport=httpx.MockTransport(handler)) as client:
            stats = await crawl(
                [f"{BASE}/keywords/topic-{t}" for t in range(topics)],
                settings=settings,
                sinks=[sink],
                state=state,
                client=client,
            )
        written = [len(batch) for batch in sink.batches]
        # Each write's pages are not done when it happens: done counts only grow by whole groups.
        pages_before = [0]
        for size in written[:-1]:
            pages_before.append(pages_before[-1] + size // 3)
        assert sink.done_at_write == pages_before
        assert state.counts().done == topics * pages
    assert stats.pages == topics * pages
    assert sum(written) == stats.records == topics * pages * 3
    assert len({r.id for batch in sink.batches for r in batch}) == topics * pages * 3
