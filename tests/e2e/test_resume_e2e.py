"""End-to-end: kill -9 and Ctrl-C in the middle of a real crawl, then ``--resume``.

The crawler runs as ``python -m scraper crawl`` in a subprocess against a real server in this process,
which answers each listing page slowly so the kill lands mid-crawl. The test only polls the output
file while it waits for the subprocess (bounded by a deadline); nothing sleeps to make time pass for
the code under test. The resumed output must equal an uninterrupted crawl's: the same record ids,
no duplicates, none lost, every JSONL line whole.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from parsers import Record
from scraper.cli import main

from e2e.site import Reply, SeenRequest, Site, Topic

pytestmark = pytest.mark.slow

PAGE_DELAY = 0.15
"""Server seconds per listing page while a crawl is to be interrupted: 15 pages at concurrency 2
take about a second, long enough to land a signal after the first page and before the last."""

DEADLINE = 60.0
"""Most seconds to wait for a subprocess to write its first record or to exit."""

POLL = 0.005


@dataclass
class Crawl:
    """The site, its topics, and a switch that makes listing pages slow."""

    site: Site
    topics: list[Topic]
    pace: dict[str, float]
    baseline: dict[str, dict[str, Any]]

    @property
    def urls(self) -> list[str]:
        """The start URLs, one per topic."""
        return [t.url() for t in self.topics]


def _paced(topic: Topic, pace: dict[str, float]) -> Any:
    """The topic's pages, each answered ``pace["delay"]`` seconds late (read at request time)."""

    def handle(request: SeenRequest) -> Reply:
        return replace(topic.handle(request), delay=pace["delay"])

    return handle


def comparable(path: Path) -> dict[str, dict[str, Any]]:
    """The JSONL records by id, without fetched_at (the time of the run); fails on any bad line."""
    found: dict[str, dict[str, Any]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        record = Record.model_validate_json(line)  # a torn line would fail here
        assert record.id not in found, f"{path}:{number}: duplicate id {record.id}"
        found[record.id] = record.model_dump(mode="json", exclude={"fetched_at"})
    return found


def db_records(path: Path) -> dict[str, dict[str, Any]]:
    """The SQLite records by id, without fetched_at; fails if an id appears twice."""
    with closing(sqlite3.connect(path)) as conn:
        conn.row_factory = sqlite3.Row
        rows = [dict(row) for row in conn.execute("SELECT * FROM records")]
        assert conn.execute("SELECT count(*) FROM records_fts").fetchone()[0] == len(rows)
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids))
    out = {}
    for row in rows:
        row.pop("seq")
        row.pop("fetched_at")
        row["truncated"] = bool(row["truncated"])
        out[row["id"]] = row
    return out


@pytest.fixture(scope="module")
def crawl_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawl]:
    """3 topics x 5 pages on one server, and the records of an uninterrupted crawl of them."""
    with Site() as site:
        pace = {"delay": 0.0}
        topics = []
        for slug, title in (
            ("secure-communities", "Secure Communities"),
            ("e-verify", "E-Verify"),
            ("287g", "287(g)"),
        ):
            topic = site.add_topic(slug, title, pages=5, per_page=10)
            site.route(topic.path, _paced(topic, pace))
            topics.append(topic)
        out = tmp_path_factory.mktemp("baseline") / "out.jsonl"
        code = main(
            ["crawl", *(t.url() for t in topics), "-o", str(out), "--no-robots", "--delay", "0", "-q"]
        )
        assert code == 0
        baseline = comparable(out)
        assert len(baseline) == 150
        yield Crawl(site, topics, pace, baseline)


def command(crawl: Crawl, folder: Path, *extra: str) -> list[str]:
    """The crawl command line the user would type."""
    return [
        sys.executable,
        "-m",
        "scraper",
        "crawl",
        *crawl.urls,
        "-o",
        str(folder / "out.jsonl"),
        "--db",
        str(folder / "out.sqlite"),
        "--concurrency",
        "2",
        "--delay",
        "0",
        "--no-robots",
        *extra,
    ]


def start_and_interrupt(crawl: Crawl, folder: Path, sig: signal.Signals) -> subprocess.CompletedProcess[str]:
    """Start the crawl in a subprocess, send ``sig`` once a record is on disk, and wait for the exit."""
    out = folder / "out.jsonl"
    crawl.pace["delay"] = PAGE_DELAY
    try:
        proc = subprocess.Popen(
            command(crawl, folder), cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + DEADLINE
        while not (out.is_file() and out.stat().st_size > 0):
            assert proc.poll() is None, (
                f"the crawl ended before it could be interrupted: {proc.communicate()}"
            )
            assert time.monotonic() < deadline, "no record written in time"
            time.sleep(POLL)  # waiting for the subprocess, not making time pass for it
        assert proc.poll() is None, "the crawl ended before it could be interrupted"
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=DEADLINE)
    finally:
        crawl.pace["delay"] = 0.0
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def resume(crawl: Crawl, folder: Path) -> int:
    """The same command with --resume, run in this process (the subprocess was the one interrupted)."""
    return main([*command(crawl, folder)[3:], "--resume", "-q"])


def listing_requests(site: Site) -> int:
    """Requests for listing pages the site has received so far."""
    return sum(1 for r in site.requests() if r.path.startswith("/keywords/"))


def test_kill_9_then_resume_gives_the_uninterrupted_records(crawl_site: Crawl, tmp_path: Path) -> None:
    """kill -9 mid-crawl, then the same command with --resume: exactly the uninterrupted crawl's records."""
    before = listing_requests(crawl_site.site)
    killed = start_and_interrupt(crawl_site, tmp_path, signal.SIGKILL)
    assert killed.returncode == -signal.SIGKILL
    partial = comparable(tmp_path / "out.jsonl")  # whole lines only, even after kill -9
    assert 0 < len(partial) < 150
    assert partial.items() <= crawl_site.baseline.items()

    assert resume(crawl_site, tmp_path) == 0
    assert comparable(tmp_path / "out.jsonl") == crawl_site.baseline
    assert db_records(tmp_path / "out.sqlite") == crawl_site.baseline
    # Resumed, not restarted: only the pages in flight at the kill were fetched twice.
    assert listing_requests(crawl_site.site) - before <= 15 + 2
    with closing(sqlite3.connect(tmp_path / "out.jsonl.state.sqlite")) as state:
        assert state.execute("SELECT outcome, resumes FROM runs").fetchall() == [("done", 1)]


def test_ctrl_c_saves_state_exits_130_and_resume_finishes(crawl_site: Crawl, tmp_path: Path) -> None:
    """SIGINT mid-crawl exits 130 and names --resume; resuming completes the same records."""
    stopped = start_and_interrupt(crawl_site, tmp_path, signal.SIGINT)
    assert stopped.returncode == 130, stopped.stderr
    assert "--resume" in stopped.stderr
    assert "Traceback" not in stopped.stderr
    with closing(sqlite3.connect(tmp_path / "out.jsonl.state.sqlite")) as state:
        assert state.execute("SELECT outcome FROM runs").fetchall() == [("interrupted",)]
    partial = comparable(tmp_path / "out.jsonl")
    assert len(partial) < 150

    assert resume(crawl_site, tmp_path) == 0
    assert comparable(tmp_path / "out.jsonl") == crawl_site.baseline
    assert db_records(tmp_path / "out.sqlite") == crawl_site.baseline


def test_resume_without_a_kill_changes_nothing(crawl_site: Crawl, tmp_path: Path) -> None:
    """--resume after a finished crawl is refused (exit 2: nothing to resume), fetches nothing and
    leaves the output as it was."""
    out = tmp_path / "out.jsonl"
    args = [*command(crawl_site, tmp_path)[3:], "-q"]  # main() takes the arguments after the program
    assert main(args) == 0
    first = out.read_bytes()
    before = listing_requests(crawl_site.site)
    assert main([*args, "--resume"]) == 2
    assert out.read_bytes() == first
    assert listing_requests(crawl_site.site) == before
    assert json.loads(first.splitlines()[0])["schema_version"] == 1
    assert os.path.getsize(tmp_path / "out.sqlite") > 0
