"""Shared fixtures: a fake clock, stamina without backoff sleeps, and real HTTP sites on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
import stamina

from e2e.site import Site

FAKE_EPOCH = datetime(2016, 7, 1, 12, 0, 0, tzinfo=UTC)
"""The fake wall clock starts when the model page was captured."""


class FakeClock:
    """A :class:`scraper.politeness.Clock` whose ``sleep`` only moves time forward and records the wait.

    ``monotonic()`` starts at 1000.0; ``now()`` starts at :data:`FAKE_EPOCH` and moves with it.
    """

    def __init__(self, start: float = 1000.0) -> None:
        self.start = start
        self.time = start
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        """Fake seconds."""
        return self.time

    def now(self) -> datetime:
        """Fake wall time, moving with ``monotonic``."""
        return FAKE_EPOCH + timedelta(seconds=self.time - self.start)

    async def sleep(self, seconds: float) -> None:
        """Advance time by ``seconds`` and let other tasks run; never really waits."""
        self.sleeps.append(seconds)
        self.time += max(0.0, seconds)
        await asyncio.sleep(0)

    def advance(self, seconds: float) -> None:
        """Move time forward without a sleep being recorded."""
        self.time += seconds


@pytest.fixture
def fake_clock() -> FakeClock:
    """A fresh fake clock."""
    return FakeClock()


@pytest.fixture(autouse=True)
def _stamina_without_backoff() -> Iterator[None]:
    """Retries keep their configured number of attempts but never sleep between them."""
    with stamina.set_testing(True, attempts=1_000, cap=True):
        yield


@pytest.fixture
def make_site() -> Iterator[Callable[..., Site]]:
    """A factory of started :class:`Site` servers (``make_site(gzip=True)``); all stop after the test."""
    started: list[Site] = []

    def make(**kwargs: bool) -> Site:
        site = Site(**kwargs).start()
        started.append(site)
        return site

    yield make
    for site in started:
        site.stop()


@pytest.fixture
def site(make_site: Callable[..., Site]) -> Site:
    """One started synthetic site on 127.0.0.1."""
    return make_site()
