"""Tests for the crawl, record and search commands of scraper/cli.py: exit codes, help, usage errors,
search output, and record → replay giving the same records (against a real server on 127.0.0.1).
"""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
import typer
from rich.console import Console

import scraper.cli as cli
from parsers import Record
from scraper.cli import app, main
from scraper.frontier import CrawlState

from e2e.site import Reply, Site

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "dhs"
SECURE_COMMUNITIES = "https://www.dhs.gov/keywords/secure-communities"
PRESS_RELEASES_7 = "https://www.dhs.gov/news-releases/press-releases?page=7"


def records(path: Path) -> list[Record]:
    """Every line of a JSONL file as a record (fails on a bad line)."""
    return [Record.model_validate_json(line) for line in path.read_text(encoding="utf-8").splitlines()]


def replay(*urls: str, out: Path, extra: tuple[str, ...] = ()) -> int:
    """Crawl ``urls`` from the DHS fixtures (no network) into ``out``."""
    return main(["crawl", *urls, "--replay", str(FIXTURES), "-o", str(out), *extra])


# -- exit codes ------------------------------------------------------------------------------------


def test_exit_0_when_every_page_was_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A crawl where every page is read exits 0 and writes every teaser of the listing and its pages."""
    out = tmp_path / "out.jsonl"
    assert replay(SECURE_COMMUNITIES, out=out) == 0
    found = records(out)
    assert [(r.page, r.position) for r in found][:2] == [(0, 1), (0, 2)]
    assert {r.source_url for r in found} == {
        SECURE_COMMUNITIES,
        f"{SECURE_COMMUNITIES}?page=1",
        f"{SECURE_COMMUNITIES}?page=2",
    }
    assert "pages: 3 parsed" in capsys.readouterr().err


def test_exit_1_when_some_pages_failed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Records were written but a page failed (its next page is not saved): exit 1, the page listed."""
    out = tmp_path / "out.jsonl"
    assert replay(PRESS_RELEASES_7, out=out) == 1
    assert records(out)
    err = capsys.readouterr().err
    assert "errors: FixtureMissing 1" in err
    assert "  failed https://www.dhs.gov/news-releases/press-releases?page=8: FixtureMissing:" in err
    assert "topicscrape record 'https://www.dhs.gov/news-releases/press-releases?page=8'" in err


def test_exit_3_when_nothing_could_be_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every start page failing means there is nothing to show: exit 3."""
    out = tmp_path / "out.jsonl"
    assert replay("https://www.dhs.gov/keywords/not-saved", out=out) == 3
    assert out.read_text() == ""
    assert "pages: 0 parsed" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["crawl", "ftp://www.dhs.gov/x", "-o", "out.jsonl"],
            "error: not an absolute http(s) URL: 'ftp://www.dhs.gov/x'",
        ),
        (
            ["crawl", "www.dhs.gov/keywords/x", "-o", "out.jsonl"],
            "error: not an absolute http(s) URL: 'www.dhs.gov/keywords/x'",
        ),
        (
            ["crawl", SECURE_COMMUNITIES, "-o", "out.txt"],
            "error: cannot tell the output format of 'out.txt' from its name: end it with one of .jsonl,",
        ),
        (
            ["crawl", SECURE_COMMUNITIES, "-o", "/dev/null"],
            "error: cannot tell the output format of '/dev/null' from its name: end it with one",
        ),
        (
            ["crawl", SECURE_COMMUNITIES, "--replay", "no-such-folder", "-o", "out.jsonl"],
            "error: fixture folder not found",
        ),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    argv: list[str],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A bad URL, an unknown output suffix or a missing --replay folder: exit 2 and one line saying so."""
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(message)
    assert len(captured.err.strip().splitlines()) == 1


def test_missing_replay_folder_leaves_existing_output_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mistyped --replay is refused before the output is opened: yesterday's records survive."""
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out.jsonl"
    out.write_text('{"kept": true}\n')
    assert main(["crawl", SECURE_COMMUNITIES, "--replay", "fixturs", "-o", str(out)]) == 2
    assert out.read_text() == '{"kept": true}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]  # no state file either


def test_option_values_are_checked(capsys: pytest.CaptureFixture[str]) -> None:
    """Out-of-range option values are usage errors (exit 2) naming the option."""
    assert main(["crawl", SECURE_COMMUNITIES, "--concurrency", "0"]) == 2
    assert "--concurrency" in capsys.readouterr().err


# -- help ----------------------------------------------------------------------------------------


def _flat(text: str) -> str:
    """Help text without Rich's box drawing and line wrapping."""
    return " ".join(text.replace("│", " ").replace("╭", " ").replace("╰", " ").split())


@pytest.mark.parametrize("name", ["crawl", "record", "search"])
def test_help_names_every_option_and_gives_an_example(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`topicscrape CMD --help` lists every option and shows an example command line."""
    assert main([name, "--help"]) == 0
    text = _flat(capsys.readouterr().out)
    command = typer.main.get_command(app)
    assert isinstance(command, typer.core.TyperGroup)
    options = [p for p in command.commands[name].params if p.param_type_name == "option"]
    assert options
    for option in options:
        assert any(opt in text for opt in option.opts), option.opts
    assert f"topicscrape {name} " in text.split("Example", 1)[1]


def test_crawl_help_shows_the_polite_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    """The defaults a user needs to judge politeness and limits are printed, not swallowed as markup."""
    assert main(["crawl", "--help"]) == 0
    text = _flat(capsys.readouterr().out)
    for default in ("[default: 2]", "[default: 1.0]", "[default: 10 MB]", "[default: 300]", "[default: 30]"):
        assert default in text
    assert "Exit 0 done; 1 some pages failed" in text


# -- sqlite and search ---------------------------------------------------------------------------


def test_db_upserts_and_search_prints_matches(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--db keeps one row per id across re-crawls; `search DB query` prints the matching records."""
    db = tmp_path / "out.sqlite"
    for _ in range(2):
        assert main(["crawl", SECURE_COMMUNITIES, "--replay", str(FIXTURES), "--db", str(db), "-q"]) == 0
    with sqlite3.connect(db) as conn:
        total, distinct = conn.execute("SELECT count(*), count(DISTINCT id) FROM records").fetchone()
    assert total == distinct > 0
    capsys.readouterr()

    assert main(["search", str(db), "detainer", "--json"]) == 0
    found = [Record.model_validate_json(line) for line in capsys.readouterr().out.splitlines()]
    assert found
    assert all("detainer" in f"{r.title} {r.excerpt}".lower() for r in found)

    assert main(["search", str(db), "detainer"]) == 0
    captured = capsys.readouterr()
    assert captured.out.split()[:3] == ["date", "title", "url"]
    assert found[0].title.split()[0] in captured.out
    assert f"{len(found)} record(s)" in captured.err


def test_search_limit_and_no_match(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--limit caps the matches; a query nothing matches prints no record and still exits 0."""
    db = tmp_path / "out.sqlite"
    assert main(["crawl", SECURE_COMMUNITIES, "--replay", str(FIXTURES), "--db", str(db), "-q"]) == 0
    assert main(["search", str(db), "secure", "--json", "--limit", "2"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2
    assert main(["search", str(db), "xylophone", "--json"]) == 0
    assert capsys.readouterr().out == ""


def test_search_of_a_missing_database_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Searching a file that does not exist is unreadable input (exit 3) and says how to make one."""
    assert main(["search", str(tmp_path / "nope.sqlite"), "ice"]) == 3
    assert "--db" in capsys.readouterr().err


@pytest.mark.parametrize("quiet", [False, True])
def test_a_retry_is_one_line_naming_the_url_unless_quiet(
    site: Site, tmp_path: Path, caplog: pytest.LogCaptureFixture, quiet: bool
) -> None:
    """A 503 that passes is retried with a warning that names the URL and the status (not stamina's
    bare "retry_scheduled"); ``-q`` keeps warnings out, and the records are complete either way."""
    topic = site.add_topic("busy", "Busy", pages=2, per_page=3)
    site.route(
        f"{topic.path}?page=1", Site.burst(1, Reply(status=503, body="<h1>Busy</h1>"), then=topic.handle)
    )
    out = tmp_path / "out.jsonl"
    flags = ["-q"] if quiet else []
    assert main(["crawl", topic.url(), "-o", str(out), "--no-robots", "--delay", "0", *flags]) == 0
    assert len(records(out)) == 6
    retries = [r.getMessage() for r in caplog.records if "retry" in r.getMessage()]
    if quiet:
        assert retries == []
    else:
        assert len(retries) == 1
        assert retries[0].startswith("retry 1 in ")
        assert topic.url(1) in retries[0]
        assert "503" in retries[0]
    assert logging.getLogger().level == logging.WARNING  # -q does not outlive the command


def test_a_retry_warning_says_the_wait_the_cap_allows(
    site: Site, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A 429 asking for 100,000 s is waited --retry-after-cap seconds, and the warning says so."""
    topic = site.add_topic("capped", "Capped", pages=1, per_page=2)
    busy = Reply(status=429, headers=(("Retry-After", "100000"),), body="<h1>Busy</h1>")
    site.route(topic.path, Site.burst(1, busy, then=topic.handle))
    out = tmp_path / "out.jsonl"
    flags = ["--no-robots", "--delay", "0", "--retry-after-cap", "0"]
    assert main(["crawl", topic.url(), "-o", str(out), *flags]) == 0
    retries = [r.getMessage() for r in caplog.records if r.getMessage().startswith("retry ")]
    assert len(retries) == 1
    assert retries[0].startswith("retry 1 in 0.0 s: ")


def test_search_of_another_database_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A SQLite file topicscrape did not write, or a file that is not SQLite, is unreadable input
    (exit 3), said in one line that names it: no traceback."""
    other, text = tmp_path / "other.sqlite", tmp_path / "notes.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
    conn.close()
    text.write_text("not a database\n", encoding="utf-8")
    for path, reason in ((other, "not a topicscrape records database"), (text, "not a SQLite database")):
        assert main(["search", str(path), "ice"]) == 3
        err = capsys.readouterr().err
        assert f"{path} is {reason}" in " ".join(err.split())
        assert "search reads what crawl writes with --db FILE.sqlite" in err
        assert "Traceback" not in err


# -- recording -----------------------------------------------------------------------------------


def test_record_then_replay_gives_the_same_records(site: Site, tmp_path: Path) -> None:
    """`record URL --to DIR` saves every page a crawl fetches; `crawl --replay DIR` gives the live records."""
    topic = site.add_topic("recorded", "Recorded", pages=3, per_page=4)
    live, replayed, folder = tmp_path / "live.jsonl", tmp_path / "replayed.jsonl", tmp_path / "fixtures"
    assert main(["crawl", topic.url(), "-o", str(live), "--no-robots", "--delay", "0", "-q"]) == 0
    assert main(["record", topic.url(), "--to", str(folder), "--no-robots", "--delay", "0", "-q"]) == 0
    index = json.loads((folder / "index.json").read_text())
    assert sorted(index["responses"]) == sorted(topic.url(page) for page in range(3))
    site.stop()  # replay must not need the server

    assert main(["crawl", topic.url(), "--replay", str(folder), "-o", str(replayed), "-q"]) == 0
    without_time = {"fetched_at"}
    assert [r.model_dump(exclude=without_time) for r in records(replayed)] == [
        r.model_dump(exclude=without_time) for r in records(live)
    ]
    saved = {entry["fetched_at"] for entry in index["responses"].values()}
    assert {r.model_dump(mode="json")["fetched_at"] for r in records(replayed)} <= saved


def test_record_says_where_the_responses_went(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`record` writes no records: its summary names the folder to replay, not "0 written"."""
    topic = site.add_topic("said", "Said", pages=2, per_page=3)
    folder = tmp_path / "fixtures"
    assert main(["record", topic.url(), "--to", str(folder), "--no-robots", "--delay", "0"]) == 0
    err = capsys.readouterr().err
    assert f"records: 6 found; the responses are in {folder} (replay: --replay {folder})" in err
    assert "written" not in err


def test_crawl_with_record_replays_byte_for_byte(site: Site, tmp_path: Path) -> None:
    """`crawl --record DIR -o A` then `crawl --replay DIR -o B`: A and B are the same bytes."""
    topic = site.add_topic("twice", "Twice", pages=2, per_page=3)
    folder = tmp_path / "fixtures"
    live, replayed = tmp_path / "live.jsonl", tmp_path / "replayed.jsonl"
    argv = ["crawl", topic.url(), "--no-robots", "--delay", "0", "-q"]
    assert main([*argv, "--record", str(folder), "-o", str(live)]) == 0
    assert main([*argv, "--replay", str(folder), "-o", str(replayed)]) == 0
    assert len(records(live)) == 6
    assert replayed.read_bytes() == live.read_bytes()


# -- signals -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        (["--profile", "drupal-7"], "unknown profile 'drupal-7'"),
        (["--state", "{tmp}/garbage.sqlite"], "cannot use the crawl state"),
        (["-o", "{tmp}/old.jsonl"], "is given twice as an output"),
        (["--state", "{tmp}/old.jsonl"], "cannot be both an output and the crawl state"),
        (["--replay", "{tmp}/broken"], "broken/index.json: is not valid JSON"),
        (["--record", "{tmp}/broken"], "broken/index.json: is not valid JSON"),
        (["--record", "{tmp}/junk.warc.gz"], "junk.warc.gz"),
    ],
    ids=[
        "unknown profile",
        "garbage state",
        "output twice",
        "state is output",
        "broken fixtures",
        "record into broken",
        "record into junk WARC",
    ],
)
def test_a_crawl_that_cannot_start_leaves_the_output_alone(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str], says: str
) -> None:
    """A bad --profile, an unusable state file, a file named twice or a broken fixture folder is a
    usage error (exit 2) in one line, before any request and before the output (yesterday's
    records) is opened."""
    topic = site.add_topic("kept", "Kept", pages=1, per_page=2)
    old = tmp_path / "old.jsonl"
    old.write_text('{"yesterday": true}\n', encoding="utf-8")
    (tmp_path / "garbage.sqlite").write_text("not a database\n", encoding="utf-8")
    (tmp_path / "junk.warc.gz").write_bytes(b"not a WARC at all\n" * 10)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "index.json").write_text('{"format": "topicscrape-fixtures", ', encoding="utf-8")
    args = [f.format(tmp=tmp_path) for f in flags]
    assert main(["crawl", topic.url(), "-o", str(old), "--no-robots", "--delay", "0", *args]) == 2
    err = capsys.readouterr().err
    assert says in err
    assert len(err.strip().splitlines()) == 1  # warcio's own stderr notes on a junk WARC included
    assert site.requests() == []
    assert old.read_text(encoding="utf-8") == '{"yesterday": true}\n'


def test_a_backend_set_in_the_config_file_is_used(site: Site, tmp_path: Path) -> None:
    """``backend = "soup"`` in --config is not overridden by the flag's default."""
    topic = site.add_topic("soupy", "Soupy", pages=1, per_page=2)
    config = tmp_path / "crawl.toml"
    config.write_text('backend = "soup"\ndelay = 0\nobey_robots = false\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["crawl", topic.url(), "-o", str(out), "--config", str(config), "-q"]) == 0
    with closing(sqlite3.connect(tmp_path / "out.jsonl.state.sqlite")) as state:
        (settings,) = state.execute("SELECT settings FROM runs").fetchone()
    state.close()
    assert json.loads(settings)["backend"] == "soup"
    assert (
        main(["crawl", topic.url(), "-o", str(out), "--config", str(config), "--backend", "lexbor", "-q"])
        == 0
    )
    with closing(sqlite3.connect(tmp_path / "out.jsonl.state.sqlite")) as state:
        backends = [json.loads(row[0])["backend"] for row in state.execute("SELECT settings FROM runs")]
    state.close()
    assert backends == ["soup", "lexbor"]


@pytest.mark.parametrize(
    ("reply", "advice"),
    [
        (Reply(status=503, body="<h1>Busy</h1>"), "1 of the failed pages may pass later"),
        (Reply(status=404, body="<h1>Gone</h1>"), "a retry alone will not fix them"),
    ],
    ids=["503", "404"],
)
def test_the_summary_says_whether_resume_can_help(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str], reply: Reply, advice: str
) -> None:
    """--resume is advised for failures that may pass (a 503 every try), not for those that will
    not (a 404)."""
    topic = site.add_topic("advice", "Advice", pages=2, per_page=2)
    site.route(f"{topic.path}?page=1", reply)
    out = tmp_path / "out.jsonl"
    assert main(["crawl", topic.url(), "-o", str(out), "--no-robots", "--delay", "0"]) == 1
    err = capsys.readouterr().err
    assert advice in err
    assert ("--resume" in err) == (reply.status == 503)


def test_total_timeout_flag_bounds_a_trickling_page(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--total-timeout gives up a page that comes in a byte at a time (each byte within --timeout)."""
    site.route("/keywords/drip", site.drip("<html>" + "x" * 500 + "</html>", every=0.05))
    out = tmp_path / "out.jsonl"
    flags = ["--no-robots", "--delay", "0", "--timeout", "0.3", "--total-timeout", "0.4"]
    assert main(["crawl", site.url("/keywords/drip"), "-o", str(out), *flags]) == 3
    assert "the whole answer took longer than 0.4 s" in " ".join(capsys.readouterr().err.split())


def test_log_lines_are_never_wrapped(site: Site, tmp_path: Path) -> None:
    """In a CI log (stderr not a terminal) a warning naming a long URL stays on one line, so the
    URL can be copied; the summary lists the failure whole too."""
    long_url = site.url("/keywords/" + "secure-communities-" * 12 + "archive")
    out = tmp_path / "out.jsonl"
    command = [
        sys.executable,
        "-m",
        "scraper",
        "crawl",
        long_url,
        "-o",
        str(out),
        "--no-robots",
        "--delay",
        "0",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 3
    warning = [line for line in done.stderr.splitlines() if line.startswith("WARNING scraper.crawl: failed")]
    assert len(warning) == 1
    assert long_url in warning[0]
    assert any(line.strip().startswith(f"failed {long_url}:") for line in done.stderr.splitlines())


def test_stopped_right_after_emptying_its_output_a_crawl_can_be_resumed(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A re-crawl empties its output when it starts; stopped before its first page, the state
    already holds the new run, so --resume redoes it whole instead of finding the old run done."""
    topic = site.add_topic("restart", "Restart", pages=3, per_page=2)
    out = tmp_path / "out.jsonl"
    flags = ["--no-robots", "--delay", "0", "-q"]
    assert main(["crawl", topic.url(), "-o", str(out), *flags]) == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 6

    async def stopped_at_once(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(cli, "crawl", stopped_at_once)
        assert main(["crawl", topic.url(), "-o", str(out), *flags]) == 130
    assert out.read_text(encoding="utf-8") == ""  # emptied by the new run, as a new run does
    assert main(["crawl", topic.url(), "-o", str(out), "--resume", *flags]) == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 6


def test_dash_o_dash_writes_standard_output_beside_files(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``-o - -o FILE`` (and ``-o - --db DB``) write the records to standard output too."""
    topic = site.add_topic("both", "Both", pages=2, per_page=2)
    out, db = tmp_path / "out.jsonl", tmp_path / "out.sqlite"
    flags = ["--no-robots", "--delay", "0", "-q"]
    assert main(["crawl", topic.url(), "-o", "-", "-o", str(out), "--db", str(db), *flags]) == 0
    printed = [Record.model_validate_json(line).title for line in capsys.readouterr().out.splitlines()]
    assert printed == [Record.model_validate_json(line).title for line in out.read_text().splitlines()]
    assert len(printed) == 4


def test_crawl_resume_refuses_the_state_of_another_command(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--resume on a state file another command's run left (a wayback run, or a crawl state from
    before runs recorded what they were) is refused in one line (exit 2), the output untouched."""
    topic = site.add_topic("mine", "Mine", pages=1, per_page=2)
    out = tmp_path / "out.jsonl"
    out.write_text('{"archived": true}\n', encoding="utf-8")
    with CrawlState.open(tmp_path / "out.jsonl.state.sqlite") as state:
        state.start_run({}, resume=False, identity={"command": "wayback", "url": topic.url()})
        state.end_run("interrupted")
    assert main(["crawl", topic.url(), "-o", str(out), "--resume", "--no-robots", "--delay", "0"]) == 2
    err = capsys.readouterr().err
    assert "holds the state of another run" in err
    assert "drop --resume" in err
    assert out.read_text(encoding="utf-8") == '{"archived": true}\n'
    assert site.requests() == []


def test_an_interrupted_crawl_says_what_it_did(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Stopped after its first page, a crawl still prints the summary of what it did, then how to
    go on: the records a pipeline got before the stop are counted."""
    topic = site.add_topic("stopped", "Stopped", pages=3, per_page=2)
    shown = cli._Display.__call__

    def stop_after_first_page(self: cli._Display, stats: cli.CrawlStats) -> None:
        shown(self, stats)
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(cli._Display, "__call__", stop_after_first_page)
    out = tmp_path / "out.jsonl"
    assert main(["crawl", topic.url(), "-o", str(out), "--no-robots", "--delay", "0"]) == 130
    err = capsys.readouterr().err
    assert "pages: 1 parsed" in err
    assert "records: 2 found, 2 written" in err
    assert "interrupted: state saved in" in err
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_save_state_exit_130_and_restore_the_handler(
    signum: signal.Signals,
    site: Site,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """SIGTERM (a pipeline stopping us) or SIGHUP (the terminal closed) during a crawl is handled like
    Ctrl-C (state saved, exit 130); main() then puts the process's own handler back."""
    topic = site.add_topic("term", "Term", pages=3, per_page=2)
    received: list[int] = []

    def ours(signum: int, frame: FrameType | None) -> None:
        received.append(signum)  # only reached if the crawl did not install its handler

    def terminate_after_first_page(self: object, stats: object) -> None:
        os.kill(os.getpid(), signum)

    previous = signal.signal(signum, ours)
    try:
        monkeypatch.setattr(cli._Display, "__call__", terminate_after_first_page)
        code = main(["crawl", topic.url(), "-o", str(tmp_path / "out.jsonl"), "--no-robots", "--delay", "0"])
        assert signal.getsignal(signum) is ours
    finally:
        signal.signal(signum, previous)
    assert code == 130
    assert received == []
    assert "--resume" in capsys.readouterr().err
    with sqlite3.connect(tmp_path / "out.jsonl.state.sqlite") as state:
        assert state.execute("SELECT outcome FROM runs").fetchall() == [("interrupted",)]
    monkeypatch.undo()
    assert (
        main(
            [
                "crawl",
                topic.url(),
                "-o",
                str(tmp_path / "out.jsonl"),
                "--no-robots",
                "--delay",
                "0",
                "--resume",
                "-q",
            ]
        )
        == 0
    )
    assert len(records(tmp_path / "out.jsonl")) == 6


# -- progress and state ----------------------------------------------------------------------------


def test_terminal_gets_a_progress_bar(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a terminal the crawl shows a Rich progress bar: pages done of queued, records, errors, rate."""
    screen = io.StringIO()
    monkeypatch.setattr(cli, "err", Console(file=screen, force_terminal=True, width=160, highlight=False))
    assert replay(SECURE_COMMUNITIES, out=tmp_path / "out.jsonl") == 0
    shown = screen.getvalue()
    assert "crawling" in shown
    assert "3/3 pages" in shown
    assert f"{len(records(tmp_path / 'out.jsonl'))} records" in shown
    assert "0 errors" in shown
    assert "pages/s" in shown
    assert "pages: 3 parsed" in shown  # then the summary
    assert "pages done," not in shown  # no plain log lines on a terminal


def test_state_option_puts_the_state_where_asked(tmp_path: Path) -> None:
    """--state FILE keeps the crawl state there instead of beside the output."""
    out, state = tmp_path / "out.jsonl", tmp_path / "elsewhere" / "crawl.sqlite"
    assert replay(SECURE_COMMUNITIES, out=out, extra=("--state", str(state), "-q")) == 0
    assert state.is_file()
    assert not (tmp_path / "out.jsonl.state.sqlite").exists()
    with closing(sqlite3.connect(state)) as conn:
        assert conn.execute("SELECT count(*) FROM frontier WHERE status='done'").fetchone()[0] == 3


# -- one run per state file, and what --resume can go on with -------------------------------------


def test_max_pages_then_resume_then_nothing_left(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--max-pages says how many pages are still queued and how to go on; --resume takes them;
    a --resume of the finished crawl is a one-line usage error saying to drop --resume."""
    out = tmp_path / "out.jsonl"
    assert replay(SECURE_COMMUNITIES, out=out, extra=("--max-pages", "1")) == 0
    said = capsys.readouterr().err
    assert (
        "--max-pages reached with 1 page(s) still queued: run the same command with --resume and a " in said
    )
    assert "with --resume and a higher --max-pages to go on" in said
    assert replay(SECURE_COMMUNITIES, out=out, extra=("--max-pages", "1", "--resume")) == 0
    assert len(records(out)) == 5  # the budget was spent before the resume: nothing more
    assert replay(SECURE_COMMUNITIES, out=out, extra=("--resume",)) == 0
    assert len(records(out)) == 13
    capsys.readouterr()
    assert replay(SECURE_COMMUNITIES, out=out, extra=("--resume",)) == 2
    said = capsys.readouterr().err
    assert said.startswith("error: nothing to resume: the last run saved in")
    assert "run the same command without --resume to crawl again" in said
    assert said.count("\n") == 1
    assert len(records(out)) == 13  # refused before the output was touched


def test_resume_refuses_an_output_that_is_gone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A crawl stopped half-way, its output moved away: --resume would lose the records of the pages
    done, so it is refused, naming the file; put back, the resume goes on."""
    out = tmp_path / "out.jsonl"
    assert replay(SECURE_COMMUNITIES, out=out, extra=("--max-pages", "1")) == 0
    moved = out.rename(tmp_path / "moved.jsonl")
    capsys.readouterr()
    assert replay(SECURE_COMMUNITIES, out=out, extra=("--resume",)) == 2
    said = capsys.readouterr().err
    assert f"{out} is missing or empty, but the crawl saved in" in said
    assert "already wrote 5 records to it; put it back, or crawl again without --resume" in said
    moved.rename(out)
    assert replay(SECURE_COMMUNITIES, out=out, extra=("--resume",)) == 0
    assert len(records(out)) == 13


def test_resume_refuses_a_csv_cut_back_to_its_header(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A CSV output holding only its header line has lost the done pages' records, as a missing
    file has: --resume is refused."""
    out = tmp_path / "out.csv"
    assert replay(SECURE_COMMUNITIES, out=out, extra=("--max-pages", "1", "-q")) == 0
    out.write_text(out.read_text().splitlines()[0] + "\n")
    assert replay(SECURE_COMMUNITIES, out=out, extra=("--resume",)) == 2
    assert f"{out} is missing or empty" in capsys.readouterr().err


def test_a_second_crawl_on_a_state_in_use_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """While a run holds the state file (an overlapping cron job), another crawl with it exits 2 in
    one line, before its output is touched."""
    out = tmp_path / "out.jsonl"
    out.write_text("yesterday\n")
    with CrawlState.open(tmp_path / "out.jsonl.state.sqlite"):
        assert replay(SECURE_COMMUNITIES, out=out) == 2
    said = capsys.readouterr().err
    assert said == (
        f"error: the crawl state {out}.state.sqlite is in use (another topicscrape run holds it); "
        "wait for it to end, or give this run its own --state\n"
    )
    assert out.read_text() == "yesterday\n"
    assert replay(SECURE_COMMUNITIES, out=out) == 0


def test_record_advice_never_names_resume(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`record` has no --resume (its state is temporary): its summary says to run it again, or to
    raise --max-pages."""
    topic = site.add_topic("adv", "Advice", pages=3, per_page=2)
    site.route(topic.path + "?page=1", Reply(status=503, body="busy"))
    code = main(["record", topic.url(), "--to", str(tmp_path / "fx"), "--no-robots", "--delay", "0"])
    assert code == 1
    said = capsys.readouterr().err
    assert "--resume" not in said
    assert "may pass later: run the same command again to retry them" in said
    assert (
        main(["record", topic.url(), "--to", str(tmp_path / "fx2"), "--no-robots", "--max-pages", "1"]) == 0
    )
    said = capsys.readouterr().err
    assert "--resume" not in said
    assert "--max-pages reached with 1 page(s) still queued: raise --max-pages to take them too" in said


@pytest.mark.parametrize("bad", ["folder.sqlite", "text.sqlite", "folder.jsonl", "out.txt"])
def test_an_output_that_cannot_be_opened_empties_no_other(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    """Yesterday's -o file is kept whole when a later output (a --db that is a folder or a text
    file, a -o that is a folder or of an unknown kind) cannot be used: exit 2 in one line, and no
    state file is left behind."""
    keep = tmp_path / "keep.jsonl"
    keep.write_text("yesterday\n")
    (tmp_path / "folder.sqlite").mkdir()
    (tmp_path / "folder.jsonl").mkdir()
    (tmp_path / "text.sqlite").write_text("not a database\n")
    flag = "--db" if bad.endswith(".sqlite") else "-o"
    code = main(
        ["crawl", SECURE_COMMUNITIES, "--replay", str(FIXTURES), "-o", str(keep), flag, str(tmp_path / bad)]
    )
    assert code == 2
    said = capsys.readouterr().err
    assert said.count("\n") == 1
    assert bad in said
    assert keep.read_text() == "yesterday\n"
    assert not (tmp_path / "keep.jsonl.state.sqlite").exists()


def test_search_of_operators_only_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`search DB AND` holds no word: exit 2 saying so, not "the database is broken" (exit 3)."""
    db = tmp_path / "out.sqlite"
    assert main(["crawl", SECURE_COMMUNITIES, "--replay", str(FIXTURES), "--db", str(db), "-q"]) == 0
    capsys.readouterr()
    assert main(["search", str(db), "AND"]) == 2
    said = capsys.readouterr().err
    assert 'the query "AND" holds no word to search for' in said
    assert str(db) not in said


def test_bulk_index_names_the_index_of_every_action_line(tmp_path: Path) -> None:
    """--bulk-index sets the _index of a .bulk.ndjson output; a name Elasticsearch refuses is exit 2."""
    out = tmp_path / "out.bulk.ndjson"
    assert replay(SECURE_COMMUNITIES, out=out, extra=("--bulk-index", "dhs-news", "-q")) == 0
    actions = [json.loads(line) for line in out.read_text().splitlines()[::2]]
    assert len(actions) == 13
    assert {a["index"]["_index"] for a in actions} == {"dhs-news"}
    assert replay(SECURE_COMMUNITIES, out=out, extra=("--bulk-index", "DHS News")) == 2
    assert len(out.read_text().splitlines()) == 26  # refused before the output was touched


@pytest.mark.parametrize("command", ["crawl", "wayback"])
def test_bulk_index_without_a_bulk_output_is_a_usage_error(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--bulk-index with only a .jsonl output would name an index nothing writes: exit 2, file untouched."""
    out = tmp_path / "out.jsonl"
    out.write_text("yesterday\n")
    argv = [command, SECURE_COMMUNITIES, "--replay", str(FIXTURES), "-o", str(out), "--bulk-index", "news"]
    assert main(argv) == 2
    assert capsys.readouterr().err == (
        "error: --bulk-index news names the index of a bulk output, and no output is one: "
        "name -o FILE.bulk.ndjson, or drop --bulk-index\n"
    )
    assert out.read_text() == "yesterday\n"


@pytest.mark.parametrize(
    ("config", "flags", "said"),
    [
        (None, ["--config", "nowhere.toml"], "error: --config nowhere.toml: no such file\n"),
        (
            "dealy = 2\n",
            [],
            "error: {config}: dealy: not a setting (the keys are the flags' names; see --help)\n",
        ),
        ("delay = [\n", [], "error: --config {config}: not a TOML file: "),
        ("delay = -1\n", [], "error: {config}: delay: Input should be greater than or equal to 0\n"),
        (None, ["--user-agent", ""], "error: --user-agent: String should have at least 1 character\n"),
    ],
    ids=["missing-file", "unknown-key", "not-toml", "bad-value-in-file", "bad-flag"],
)
def test_setting_errors_name_the_flag_or_the_file_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], config: str | None, flags: list[str], said: str
) -> None:
    """A bad setting is named as the user wrote it: the flag, or the config file and its key; a
    missing or broken --config file says so (exit 2, one line)."""
    path = tmp_path / "crawl.toml"
    if config is not None:
        path.write_text(config, encoding="utf-8")
        flags = ["--config", str(path)]
    assert main(["crawl", SECURE_COMMUNITIES, "--replay", str(FIXTURES), *flags]) == 2
    err = capsys.readouterr().err
    assert err.startswith(said.format(config=path))
    assert err.count("\n") == 1


def test_config_output_and_db_are_used(tmp_path: Path) -> None:
    """`output` and `db` in a --config file are the outputs when no flag names them."""
    config = tmp_path / "crawl.toml"
    config.write_text(
        f'output = "{tmp_path / "out.jsonl"}"\ndb = "{tmp_path / "out.sqlite"}"\n', encoding="utf-8"
    )
    assert main(["crawl", SECURE_COMMUNITIES, "--replay", str(FIXTURES), "--config", str(config), "-q"]) == 0
    assert len(records(tmp_path / "out.jsonl")) == 13
    with closing(sqlite3.connect(tmp_path / "out.sqlite")) as conn:
        assert conn.execute("SELECT count(*) FROM records").fetchone()[0] == 13


def test_config_paths_are_relative_to_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cron job running `--config /etc/…/crawl.toml` from anywhere writes the outputs beside it."""
    folder = tmp_path / "job"
    folder.mkdir()
    (folder / "crawl.toml").write_text('output = "out.jsonl"\n', encoding="utf-8")
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    argv = ["crawl", SECURE_COMMUNITIES, "--replay", str(FIXTURES), "--config", str(folder / "crawl.toml")]
    assert main([*argv, "-q"]) == 0
    assert len(records(folder / "out.jsonl")) == 13
    assert (folder / "out.jsonl.state.sqlite").exists()
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("name", ["page.html", "page.warc.gz"])
def test_a_file_that_is_no_fixture_folder_or_warc_is_named_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """--replay, serve, parse and record --from-warc of an HTML page (even one named .warc.gz) say
    what it is not, in one line, without advice about recording into it."""
    page = tmp_path / name
    page.write_bytes((FIXTURES / "www.dhs.gov" / "keywords-287g.html").read_bytes())
    runs = [
        ["crawl", SECURE_COMMUNITIES, "--replay", str(page)],
        ["serve", str(page)],
        ["record", "--from-warc", str(page), "--to", str(tmp_path / "fx")],
    ]
    if name.endswith(".warc.gz"):
        runs.append(["parse", str(page)])
    for args in runs:
        assert main(args) in (2, 3)
        err = capsys.readouterr().err
        assert err.count("\n") == 1, args
        assert f"{page}" in err
        assert "nothing can be recorded" not in err
        assert "re-record" not in err
    assert not (tmp_path / "fx").exists()


def test_the_summary_says_where_rejected_teasers_went(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A teaser the record contract refuses is counted in the summary with the rejects file's name,
    and is in that file with its reason."""
    from parsers.records import TopicPage

    made = TopicPage.record

    def refuse_one(page: TopicPage, teaser: Any, **kwargs: Any) -> Record:
        if page.page == 0 and teaser.position == 2:  # as the contract refuses: a real ValidationError
            Record.model_validate({**made(page, teaser, **kwargs).model_dump(), "url": "javascript:x"})
        return made(page, teaser, **kwargs)

    monkeypatch.setattr(TopicPage, "record", refuse_one)
    out = tmp_path / "out.jsonl"
    assert replay(SECURE_COMMUNITIES, out=out) == 0
    assert len(records(out)) == 12
    rejects = tmp_path / "out.rejects.jsonl"
    assert f"1 rejected (in {rejects})" in capsys.readouterr().err
    (rejected,) = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert rejected["reason"].startswith("url: ")


def test_quiet_still_says_when_nothing_could_be_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """-q drops progress and summary, but a crawl that read nothing (exit 3) still says so in one line."""
    assert replay("https://www.dhs.gov/keywords/not-recorded", out=tmp_path / "out.jsonl", extra=("-q",)) == 3
    assert capsys.readouterr().err == "error: no page could be read (1 failed); run without -q to see why\n"


def test_search_prints_whole_urls(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The search table folds a long URL over lines instead of cutting it with "…"."""
    db = tmp_path / "out.sqlite"
    assert main(["crawl", SECURE_COMMUNITIES, "--replay", str(FIXTURES), "--db", str(db), "-q"]) == 0
    capsys.readouterr()
    assert main(["search", str(db), "felons"]) == 0
    out = capsys.readouterr().out
    assert "…" not in out
    folded = "".join(line.split()[-1] for line in out.splitlines()[1:] if line.split())
    assert (
        "https://www.dhs.gov/blog/2015/07/30/priority-enforcement-program-how-dhs-focusing-deporting-felons"
        in folded
    )


@pytest.mark.parametrize("bad", ["http://[::1", "http://127.0.0.1:99999/x", "http://", "https://user@/x"])
def test_a_start_url_that_is_no_url_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    """A broken start URL (bad IPv6 bracket, port out of range, no host) is one line, exit 2, before
    yesterday's output is touched (it was a traceback, exit 1, and an emptied file)."""
    out = tmp_path / "out.jsonl"
    out.write_text("yesterday\n")
    assert replay(SECURE_COMMUNITIES, bad, out=out) == 2
    assert capsys.readouterr().err == f"error: not an absolute http(s) URL: {bad!r}\n"
    assert out.read_text() == "yesterday\n"


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (["--db", "existing.jsonl"], "--db writes a SQLite database; name it .sqlite"),
        (["-o", ""], "'.' is not a file name"),
        (["-o", "."], "'.' is not a file name"),
        (["--state", ""], "'.' is not a file name"),
    ],
)
def test_output_names_that_cannot_be_right_are_refused(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    flags: list[str],
    said: str,
) -> None:
    """--db named as another format (it would be overwritten as SQLite… or as JSON Lines), or an
    output with no file name, is one line, exit 2, the file left as it was."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "existing.jsonl").write_text('{"x": 1}\n')
    assert main(["crawl", SECURE_COMMUNITIES, "--replay", str(FIXTURES), "-o", "keep.jsonl", *flags]) == 2
    err = capsys.readouterr().err
    assert said in err
    assert err.count("\n") == 1
    assert (tmp_path / "existing.jsonl").read_text() == '{"x": 1}\n'
    assert not (tmp_path / "keep.jsonl").exists()


def test_an_output_another_run_is_writing_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two crawls with their own state files but one -o would interleave their records: while one
    writes it, the other exits 2 in one line and the file keeps what it holds."""
    from scraper.sinks import JsonlSink

    out = tmp_path / "out.jsonl"
    with JsonlSink(out, resume=False) as other:
        other.write(records_of(FIXTURES / "www.dhs.gov" / "keywords-287g.html"))
        held = out.read_bytes()
        code = main(
            [
                "crawl",
                SECURE_COMMUNITIES,
                "--replay",
                str(FIXTURES),
                "-o",
                str(out),
                "--state",
                str(tmp_path / "s2.sqlite"),
            ]
        )
        assert code == 2
        assert "is being written by another topicscrape run" in capsys.readouterr().err
        assert out.read_bytes() == held
    assert replay(SECURE_COMMUNITIES, out=out, extra=("-q",)) == 0


def test_a_resume_that_only_retries_a_permanent_failure_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The output holds the good pages' records, so a --resume that fails again on the one page
    that cannot be had exits 1 (some pages failed), not 3 (nothing could be read)."""
    out = tmp_path / "out.jsonl"
    missing = "https://www.dhs.gov/keywords/not-recorded"
    assert replay(SECURE_COMMUNITIES, missing, out=out, extra=("-q",)) == 1
    assert replay(SECURE_COMMUNITIES, missing, out=out, extra=("-q", "--resume")) == 1
    assert len(records(out)) == 13


def records_of(page: Path) -> list[Record]:
    """The records of one saved DHS page."""
    from parsers import parse_topic_page

    return parse_topic_page(page.read_bytes(), url="https://www.dhs.gov/keywords/287g").to_records()
