"""Crawl state: canonical URLs, the frontier on a real SQLite file, and resume after a kill -9."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scraper.errors import NothingToResume, StateInUse, StateMismatch
from scraper.frontier import (
    STATE_SCHEMA_VERSION,
    CrawlState,
    canonicalize,
    default_state_path,
)

START = "https://www.dhs.gov/keywords/secure-communities"


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = dt.datetime(2016, 7, 1, 12, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def state(tmp_path: Path) -> Iterator[CrawlState]:
    """A fresh state file with a started run."""
    with CrawlState.open(tmp_path / "records.jsonl.state.sqlite", clock=FakeClock()) as st_:
        st_.start_run({"urls": [START]}, resume=False)
        yield st_


# -- canonicalize ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://WWW.DHS.GOV/keywords/secure-communities", START),
        ("https://www.dhs.gov:443/keywords/secure-communities", START),
        ("http://www.dhs.gov:80/news", "http://www.dhs.gov/news"),
        ("https://www.dhs.gov:8443/news", "https://www.dhs.gov:8443/news"),
        (START + "#main-content", START),
        (START + "?sort=date&page=2", START + "?page=2&sort=date"),
        ("https://www.dhs.gov", "https://www.dhs.gov/"),
        ("  https://www.dhs.gov/news  ", "https://www.dhs.gov/news"),
        ("https://www.dhs.gov/a b", "https://www.dhs.gov/a%20b"),
    ],
)
def test_canonicalize_examples(url: str, expected: str) -> None:
    """Host and scheme lowercase, default port, fragment and query order do not make a new page."""
    assert canonicalize(url) == expected


def test_canonicalize_keeps_page_numbers_apart() -> None:
    """?page=1 and ?page=2 are different listing pages (pagination must not collapse)."""
    assert canonicalize(START + "?page=1") != canonicalize(START + "?page=2")
    assert canonicalize(START + "?page=1") != canonicalize(START)


_hosts = st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,10}(\.[A-Za-z]{2,5}){1,2}", fullmatch=True)
_text = st.text(st.characters(codec="utf-8"), max_size=12)


@given(
    scheme=st.sampled_from(["http", "https", "HTTP", "HTTPS"]),
    host=_hosts,
    port=st.sampled_from(["", ":80", ":443", ":8080"]),
    path=st.lists(_text, max_size=4),
    query=st.lists(st.tuples(_text, _text), max_size=4),
    fragment=_text,
)
def test_canonicalize_is_idempotent(
    scheme: str, host: str, port: str, path: list[str], query: list[tuple[str, str]], fragment: str
) -> None:
    """Canonicalising a canonical URL changes nothing, whatever text the path and query hold."""
    qs = "&".join(f"{k}={v}" for k, v in query)
    url = f"{scheme}://{host}{port}/{'/'.join(path)}" + (f"?{qs}" if qs else "") + f"#{fragment}"
    once = canonicalize(url)
    assert canonicalize(once) == once
    assert "#" not in once


@pytest.mark.parametrize(
    ("output", "db", "expected"),
    [
        (Path("out/records.jsonl"), None, Path("out/records.jsonl.state.sqlite")),
        (None, Path("data/records.sqlite"), Path("data/records.sqlite.state.sqlite")),
        (Path("out/records.jsonl"), Path("data/records.sqlite"), Path("out/records.jsonl.state.sqlite")),
        (Path("-"), Path("r.db"), Path("r.db.state.sqlite")),
        (None, None, Path("topicscrape.state.sqlite")),
    ],
)
def test_default_state_path(output: Path | None, db: Path | None, expected: Path) -> None:
    """The state file sits beside -o, else beside --db, else in the current directory."""
    assert default_state_path(output, db) == expected


# -- the state file -------------------------------------------------------------------------------


def test_state_file_is_real_sqlite_in_wal_mode(tmp_path: Path) -> None:
    """The state is a SQLite file on disk, in WAL mode, stamped with its layout version."""
    path = tmp_path / "deep" / "state.sqlite"
    with CrawlState.open(path) as state:
        state.start_run({}, resume=False)
        state.add(START, start_url=START, page=0)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == STATE_SCHEMA_VERSION
        assert conn.execute("SELECT url, status FROM frontier").fetchall() == [(START, "queued")]
    finally:
        conn.close()


def test_newer_state_file_is_refused(tmp_path: Path) -> None:
    """A state file from a newer layout is refused with a message, not misread."""
    path = tmp_path / "state.sqlite"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version={STATE_SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(ValueError, match="crawl state version"):
        CrawlState.open(path)


def test_non_database_is_refused(tmp_path: Path) -> None:
    """A file that is not SQLite (say, the JSONL output passed as --state) raises ValueError."""
    path = tmp_path / "records.jsonl"
    path.write_text('{"id": "x"}\n' * 50, encoding="utf-8")
    with pytest.raises(ValueError, match="not a topicscrape crawl state"):
        CrawlState.open(path)


# -- frontier ---------------------------------------------------------------------------------------


def test_add_dedups_by_canonical_url(state: CrawlState) -> None:
    """A second spelling of a queued page is not queued again."""
    assert state.add(START, start_url=START, page=0) is True
    assert (
        state.add("HTTPS://www.DHS.gov:443/keywords/secure-communities#top", start_url=START, page=0) is False
    )
    assert state.counts().queued == 1


def test_add_stops_a_pagination_loop(state: CrawlState) -> None:
    """A "next" link back to an already fetched page is refused, so the crawl ends."""
    pages = [START, START + "?page=1", START + "?page=2", START]  # page 2's "next" points to page 0
    state.add(pages[0], start_url=START, page=0)
    fetched = []
    while batch := state.claim():
        item = batch[0]
        fetched.append(item.url)
        following = pages[item.page + 1] if item.page + 1 < len(pages) else None
        if following is not None:
            state.add(following, start_url=START, page=item.page + 1)
        state.mark_done(item.url, records=10)
    assert fetched == pages[:3]


def test_claim_takes_queued_pages_in_order_and_marks_them(state: CrawlState) -> None:
    """claim() hands out queued pages oldest first, each once, counting the attempt."""
    for page in range(3):
        state.add(f"{START}?page={page}", start_url=START, page=page, depth=page)
    first = state.claim(2)
    assert [item.page for item in first] == [0, 1]
    assert all(item.attempts == 1 and item.start_url == START for item in first)
    assert first[1].depth == 1
    assert state.status(first[0].url) == "in_progress"
    assert [item.page for item in state.claim(5)] == [2]
    assert state.claim() == []
    with pytest.raises(ValueError, match="at least 1"):
        state.claim(0)


def test_done_and_failed_are_recorded(state: CrawlState) -> None:
    """Finished pages count as done; failed ones keep their reason for the summary."""
    state.add(START, start_url=START, page=0)
    state.add(START + "?page=1", start_url=START, page=1)
    state.claim(2)
    state.mark_done(START, records=10, ids=[f"{n:024x}" for n in range(10)])
    state.mark_failed(START + "?page=1", "HTTP 503 after 3 attempts")
    counts = state.counts()
    assert (counts.done, counts.failed, counts.queued, counts.in_progress) == (1, 1, 0, 0)
    assert (counts.records, counts.new_records) == (10, 10)
    assert state.failures() == [(START + "?page=1", "HTTP 503 after 3 attempts")]
    assert state.pending() == 0


def test_requeue_failed_gives_them_another_try(state: CrawlState) -> None:
    """requeue_failed() puts failed pages back in the queue with the error cleared."""
    state.add(START, start_url=START, page=0)
    state.claim()
    state.mark_failed(START, "timeout")
    assert state.requeue_failed() == 1
    assert state.status(START) == "queued"
    assert state.failures() == []
    assert state.claim()[0].attempts == 2


def test_marking_an_unknown_url_is_a_caller_error(state: CrawlState) -> None:
    """mark_done/mark_failed on a URL never added raise KeyError instead of passing silently."""
    with pytest.raises(KeyError, match="not in the frontier"):
        state.mark_done(START, records=0)
    with pytest.raises(KeyError, match="not in the frontier"):
        state.mark_failed(START, "x")


def test_in_progress_pages_are_requeued_after_a_crash(tmp_path: Path) -> None:
    """A page claimed but never finished (process died) is handed out again on --resume."""
    path = tmp_path / "state.sqlite"
    with CrawlState.open(path) as state:
        state.start_run({}, resume=False)
        state.add(START, start_url=START, page=0)
        state.add(START + "?page=1", start_url=START, page=1)
        state.claim()
        state.mark_done(START, records=10)
        state.claim()  # page 1 is in progress when the process "dies": closed without done
    with CrawlState.open(path) as state:
        state.start_run({}, resume=True)
        again = state.claim()
        assert [(item.url, item.attempts) for item in again] == [(START + "?page=1", 2)]
        assert state.status(START) == "done"


def test_resume_continues_the_interrupted_run(tmp_path: Path) -> None:
    """--resume reuses the unfinished run's id, so its figures keep adding up."""
    path = tmp_path / "state.sqlite"
    with CrawlState.open(path) as state:
        first = state.start_run({}, resume=False)
        state.add(START, start_url=START, page=0)
        state.claim()
        state.mark_done(START, records=5, ids=["a" * 24])
        state.end_run("interrupted")
    with CrawlState.open(path) as state:
        assert state.start_run({}, resume=True) == first
        assert state.counts().new_records == 1
        state.end_run("done")
    with CrawlState.open(path) as state, pytest.raises(NothingToResume, match="run the same command without"):
        state.start_run({}, resume=True, frontier=True)  # a finished crawl with nothing left


def test_resume_after_a_run_that_left_failures_tries_them_again(tmp_path: Path) -> None:
    """A run that finished with a failed page can be resumed (a new run, the failed page kept)."""
    path = tmp_path / "state.sqlite"
    with CrawlState.open(path) as state:
        first = state.start_run({}, resume=False)
        state.add(START, start_url=START, page=0)
        state.claim()
        state.mark_failed(START, "FetchError: HTTP 503")
        state.end_run("done")
    with CrawlState.open(path) as state:
        assert state.start_run({}, resume=True, frontier=True) != first
        assert state.requeue_failed() == 1
        assert [item.url for item in state.claim()] == [START]


def test_new_run_empties_the_frontier_but_keeps_history(tmp_path: Path) -> None:
    """Without --resume every page is fetched again, but validators and seen ids stay."""
    path = tmp_path / "state.sqlite"
    with CrawlState.open(path) as state:
        state.start_run({}, resume=False)
        state.add(START, start_url=START, page=0)
        state.claim()
        state.mark_done(START, etag='"v1"', records=1, ids=["b" * 24])
        state.end_run("done")
    with CrawlState.open(path) as state:
        state.start_run({}, resume=False)
        assert state.add(START, start_url=START, page=0) is True
        validators = state.validators(START)
        assert validators is not None
        assert validators.etag == '"v1"'
        assert state.known_ids(["b" * 24]) == {"b" * 24}


def test_validators_are_stored_for_conditional_requests(state: CrawlState) -> None:
    """ETag, Last-Modified, next link and digest of the last fetch come back for any spelling of the URL."""
    assert state.validators(START) is None
    state.add(START, start_url=START, page=0)
    state.claim()
    state.mark_done(
        START,
        etag='W/"5d7a-1467374400"',
        last_modified="Fri, 01 Jul 2016 12:00:00 GMT",
        records=10,
        digest="ab" * 32,
        next_url=START + "?page=1",
    )
    validators = state.validators("HTTPS://WWW.DHS.GOV:443/keywords/secure-communities#top")
    assert validators is not None
    assert validators.etag == 'W/"5d7a-1467374400"'
    assert validators.last_modified == "Fri, 01 Jul 2016 12:00:00 GMT"
    assert validators.next_url == START + "?page=1"
    assert (validators.records, validators.digest) == (10, "ab" * 32)


def test_known_ids_and_remember_ids(tmp_path: Path) -> None:
    """known_ids() reports seen ids; before_run limits that to ids earlier runs saw."""
    path = tmp_path / "state.sqlite"
    old, new = "1" * 24, "2" * 24
    with CrawlState.open(path) as state:
        state.start_run({}, resume=False)
        assert state.remember_ids([old, old]) == 1
        state.end_run("done")
    with CrawlState.open(path) as state:
        run = state.start_run({}, resume=False)
        assert state.remember_ids([old, new]) == 1
        assert state.known_ids([old, new, "3" * 24]) == {old, new}
        assert state.known_ids([old, new], before_run=run) == {old}


def test_many_ids_are_looked_up_in_chunks(state: CrawlState) -> None:
    """Thousands of ids work (SQLite's parameter limit is respected)."""
    ids = [f"{n:024x}" for n in range(2500)]
    assert state.remember_ids(ids) == 2500
    assert state.known_ids([*ids, "f" * 24]) == set(ids)


def test_seen_ids_commit_with_the_done_mark(tmp_path: Path) -> None:
    """A page replayed after a crash still counts its records as new (ids are stored only with done)."""
    path = tmp_path / "state.sqlite"
    ids = [f"{n:024x}" for n in range(10)]
    with CrawlState.open(path) as state:
        state.start_run({}, resume=False)
        state.add(START, start_url=START, page=0)
        state.claim()  # killed while writing records: never marked done
    with CrawlState.open(path) as state:
        run = state.start_run({}, resume=True)
        assert state.known_ids(ids, before_run=run + 1) == set()
        state.claim()
        assert state.mark_done(START, records=10, ids=ids) == 10
        assert state.counts().new_records == 10


def test_fetched_at_uses_the_injected_clock(tmp_path: Path) -> None:
    """Timestamps in the state come from the injected clock."""
    clock = FakeClock()
    path = tmp_path / "state.sqlite"
    with CrawlState.open(path, clock=clock) as state:
        state.start_run({"max_pages": 3}, resume=False)
        state.add(START, start_url=START, page=0)
        state.claim()
        clock.now += dt.timedelta(minutes=5)
        state.mark_done(START, records=1)
        state.end_run("done")
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT fetched_at FROM pages").fetchone()[0] == "2016-07-01T12:05:00Z"
        started, ended, settings = conn.execute("SELECT started_at, ended_at, settings FROM runs").fetchone()
        assert (started, ended) == ("2016-07-01T12:00:00Z", "2016-07-01T12:05:00Z")
        assert json.loads(settings) == {"max_pages": 3}
    finally:
        conn.close()


# -- kill -9, then --resume -------------------------------------------------------------------------

# A crawl loop the way scraper/crawl.py must run it, over generated DHS-like listing pages: write
# the page's records to every sink, queue its next page, and only then mark it done.
_CRAWLER = textwrap.dedent(
    """
    import datetime as dt, sys
    from pathlib import Path
    from parsers.records import Teaser, TopicPage
    from scraper.frontier import CrawlState
    from scraper.sinks import JsonlSink, SqliteSink

    out, resume = Path(sys.argv[1]), sys.argv[2] == "resume"
    ready_after, pages = int(sys.argv[3]), int(sys.argv[4])
    START = "https://www.dhs.gov/keywords/secure-communities"
    FETCHED = dt.datetime(2016, 7, 1, 12, 0, tzinfo=dt.UTC)
    TITLES = [
        "Securing our Communities: Resources for Small and Medium Businesses",
        "Readout Of Deputy Secretary Mayorkas' Call With The Secure Community Network",
        "Priority Enforcement Program – How DHS is Focusing on Deporting Felons",
        "Record-Breaking Immigration Enforcement Results",
    ]

    def listing(n):
        teasers = [
            Teaser(
                title=f"{TITLES[k % len(TITLES)]} ({n}.{k})",
                url=f"https://www.dhs.gov/news/2016/06/{n % 28 + 1:02d}/item-{n}-{k}",
                excerpt="The first day Secure Communities was activated in Starr County, Texas, local law "
                "enforcement arrested a man on assault charges.",
                position=k + 1,
            )
            for k in range(9)
        ]
        # the same press release is listed on every page: written once
        teasers.append(Teaser(title="Secure Communities", url="https://www.dhs.gov/secure-communities",
                              position=10))
        next_url = f"{START}?page={n + 1}" if n + 1 < pages else None
        return TopicPage(url=f"{START}?page={n}" if n else START, topic="Secure Communities", page=n,
                         teasers=tuple(teasers), next_url=next_url, profile="drupal7")

    with CrawlState.open(out.with_name(out.name + ".state.sqlite")) as state, \\
            JsonlSink(out, resume=resume) as jsonl, SqliteSink(out.with_suffix(".sqlite")) as db:
        state.start_run({"pages": pages}, resume=resume)
        state.add(START, start_url=START, page=0)
        finished = 0
        while batch := state.claim():
            item = batch[0]
            page = listing(item.page)
            records = page.to_records(fetched_at=FETCHED)
            jsonl.write(records)
            db.write(records)
            if page.next_url:
                state.add(page.next_url, start_url=item.start_url, page=item.page + 1, depth=item.depth + 1)
            state.mark_done(item.url, records=len(records), ids=[r.id for r in records],
                            next_url=page.next_url)
            finished += 1
            if finished == ready_after:
                print("ready", flush=True)
        state.end_run("done")
    print("finished", flush=True)
    """
)

_PAGES = 200


def _run_crawler(out: Path, mode: str, ready_after: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _CRAWLER, str(out), mode, str(ready_after), str(_PAGES)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )


def _sqlite_rows(path: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT * FROM records ORDER BY id").fetchall()
    finally:
        conn.close()


@pytest.mark.slow
def test_kill_9_then_resume_gives_the_uninterrupted_output(tmp_path: Path) -> None:
    """SIGKILL mid-crawl, then --resume: JSONL and SQLite equal an uninterrupted crawl, no duplicates."""
    reference = tmp_path / "reference" / "records.jsonl"
    proc = _run_crawler(reference, "new", ready_after=0)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out

    killed = tmp_path / "killed" / "records.jsonl"
    proc = _run_crawler(killed, "new", ready_after=25)
    assert proc.stdout is not None
    assert proc.stdout.readline() == "ready\n"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    with CrawlState.open(killed.with_name(killed.name + ".state.sqlite")) as state:
        assert 25 <= state.counts().done < _PAGES, "the kill must land mid-crawl"

    proc = _run_crawler(killed, "resume", ready_after=0)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out

    expected = reference.read_bytes()
    assert killed.read_bytes() == expected
    ids = [json.loads(line)["id"] for line in expected.splitlines()]
    assert len(ids) == len(set(ids)) == _PAGES * 9 + 1
    assert _sqlite_rows(killed.with_suffix(".sqlite")) == _sqlite_rows(reference.with_suffix(".sqlite"))


# -- transaction (the crawl's group commit) ---------------------------------------------------------


def test_transaction_commits_several_pages_at_once(tmp_path: Path) -> None:
    """Done marks and next pages made inside transaction() are committed together when it ends."""
    path = tmp_path / "state.sqlite"
    pages = [f"{START}?page={n}" for n in range(3)]
    with CrawlState.open(path) as state:
        state.start_run({}, resume=False)
        for url in pages:
            state.add(url, start_url=START, page=0)
        claimed = state.claim(3)
        with state.transaction():
            for item in claimed:
                state.add(item.url + "&next=1", start_url=START, page=1)
                state.mark_done(item.url, records=1, ids=[f"{item.page:024x}"])
            assert state._conn.in_transaction
        assert not state._conn.in_transaction
        assert state.pending() == 3
    with closing(sqlite3.connect(path)) as other:
        assert other.execute("SELECT count(*) FROM frontier WHERE status='done'").fetchone() == (3,)


def test_a_second_run_on_one_state_file_is_refused(tmp_path: Path) -> None:
    """While one run holds the state file, opening it again (another process, an overlapping cron
    job) raises StateInUse naming the file; once closed, it opens again."""
    path = tmp_path / "state.sqlite"
    with CrawlState.open(path) as state:
        state.start_run({}, resume=False)
        with pytest.raises(StateInUse, match=r"state\.sqlite is in use \(another topicscrape run holds it\)"):
            CrawlState.open(path)
        script = f"from scraper.frontier import CrawlState\nCrawlState.open({str(path)!r})"
        other = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
        assert "StateInUse" in other.stderr
    with CrawlState.open(path) as again:
        assert again.start_run({}, resume=True) == state.run_id


def test_transaction_rolls_back_everything_on_an_error(state: CrawlState) -> None:
    """An exception inside undoes every change of the block, including nested ones."""
    state.add(START, start_url=START, page=0)
    state.claim()

    def group() -> None:
        with state.transaction():
            state.add(START + "?page=1", start_url=START, page=1)
            with state.transaction():  # joins the outer one
                state.mark_done(START, records=1, ids=["a" * 24])
            raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        group()
    assert state.status(START) == "in_progress"
    assert state.status(START + "?page=1") is None
    assert state.known_ids(["a" * 24]) == set()
    state.mark_done(START, records=1, ids=["a" * 24])  # the connection is usable afterwards
    assert state.status(START) == "done"


# -- run identity (wayback --resume) ---------------------------------------------------------------------

RUN_A = {"command": "wayback", "url": START, "from": "2011", "to": None}


def test_resume_with_the_same_identity_continues_the_run(tmp_path: Path) -> None:
    """A resume that names the same run (identity) continues it, frontier and all."""
    path = tmp_path / "state.sqlite"
    with CrawlState.open(path) as state:
        first = state.start_run(RUN_A, resume=False, identity=RUN_A)
        state.add(START, start_url=START, page=0)
        state.end_run("interrupted")
    with CrawlState.open(path) as state:
        assert state.start_run(RUN_A, resume=True, identity=dict(RUN_A)) == first
        assert state.status(START) == "queued"


@pytest.mark.parametrize(
    "other",
    [
        {**RUN_A, "url": "https://www.dhs.gov/keywords/e-verify"},
        {**RUN_A, "from": None},
        {**RUN_A, "to": "2017"},
        {"command": "crawl", "url": START},
    ],
)
def test_resume_with_another_identity_is_refused_and_changes_nothing(
    tmp_path: Path, other: dict[str, object]
) -> None:
    """--resume of another run's state raises StateMismatch (naming both) and leaves the file as it was."""
    path = tmp_path / "state.sqlite"
    with CrawlState.open(path) as state:
        state.start_run(RUN_A, resume=False, identity=RUN_A)
        state.add(START, start_url=START, page=0)
        state.end_run("interrupted")
    with CrawlState.open(path) as state, pytest.raises(StateMismatch) as refused:
        state.start_run(other, resume=True, identity=other)
    assert (refused.value.path, refused.value.stored, refused.value.wanted) == (path, RUN_A, other)
    assert str(path) in str(refused.value)
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("SELECT count(*), max(outcome) FROM runs").fetchone() == (1, "interrupted")
        assert conn.execute("SELECT count(*) FROM frontier").fetchone() == (1,)


def test_a_run_that_recorded_no_identity_is_not_resumed_as_one_that_does(tmp_path: Path) -> None:
    """State written without an identity (a crawl, an older topicscrape) is refused to a run that has one."""
    path = tmp_path / "state.sqlite"
    with CrawlState.open(path) as state:
        state.start_run({"urls": [START]}, resume=False)
        state.end_run("interrupted")
    with CrawlState.open(path) as state, pytest.raises(StateMismatch) as refused:
        state.start_run(RUN_A, resume=True, identity=RUN_A)
    assert refused.value.stored is None


def test_without_identity_resume_checks_nothing(tmp_path: Path) -> None:
    """crawl passes no identity: its --resume accepts any state file, as before."""
    path = tmp_path / "state.sqlite"
    with CrawlState.open(path) as state:
        first = state.start_run(RUN_A, resume=False, identity=RUN_A)
        state.end_run("interrupted")
    with CrawlState.open(path) as state:
        assert state.start_run({"urls": ["https://example.org/"]}, resume=True) == first


def test_a_fresh_run_records_its_identity_whatever_came_before(tmp_path: Path) -> None:
    """Without --resume nothing is compared; the new identity is what a later --resume must match."""
    path = tmp_path / "state.sqlite"
    other = {**RUN_A, "url": "https://www.dhs.gov/keywords/e-verify"}
    with CrawlState.open(path) as state:
        state.start_run(RUN_A, resume=False, identity=RUN_A)
        state.start_run(other, resume=False, identity=other)
        state.end_run("interrupted")
    with CrawlState.open(path) as state:
        state.start_run(other, resume=True, identity=other)
        with pytest.raises(StateMismatch):
            state.start_run(RUN_A, resume=True, identity=RUN_A)


def test_a_symlink_to_a_state_in_use_is_refused_too(tmp_path: Path) -> None:
    """The lock is on the state file itself: a run given a symlink to it is refused as well."""
    path = tmp_path / "state.sqlite"
    link = tmp_path / "link.sqlite"
    with CrawlState.open(path):
        link.symlink_to(path)
        with pytest.raises(StateInUse):
            CrawlState.open(link)


def test_a_folder_as_state_file_leaves_no_lock_behind(tmp_path: Path) -> None:
    """A state path that cannot be opened (a folder) is a ValueError, and its lock is let go."""
    folder = tmp_path / "dir.sqlite"
    folder.mkdir()
    with pytest.raises(ValueError, match=r"dir\.sqlite"):
        CrawlState.open(folder)
    assert not (tmp_path / "dir.sqlite.lock").exists()
