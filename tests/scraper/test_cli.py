"""The command line: parse, schema and validate (crawl, record and search: test_cli_crawl.py)."""

from __future__ import annotations

import asyncio
import gc
import gzip
import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from parsers import Record
from scraper.cli import _run_async, main
from scraper.sinks import SqliteSink
from scraper.warc import iter_warc_pages

ROOT = Path(__file__).resolve().parents[2]
PAGES = ROOT / "fixtures" / "dhs" / "www.dhs.gov"
PAGE0 = PAGES / "keywords-secure-communities.html"
SEED = ROOT / "tests" / "parsers" / "dumps" / "secure-communities.txt"
URL = "https://www.dhs.gov/keywords/secure-communities"


def _records(text: str) -> list[Record]:
    return [Record.model_validate_json(line) for line in text.splitlines() if line.strip()]


def test_parse_html_page(capsys: pytest.CaptureFixture[str]) -> None:
    """One JSON line per teaser, each a valid record, in page order."""
    assert main(["parse", str(PAGE0), "--url", URL]) == 0
    records = _records(capsys.readouterr().out)
    assert [r.position for r in records] == [1, 2, 3, 4, 5]
    assert {r.source_url for r in records} == {URL}
    assert records[3].truncated


def test_parse_text_dump(capsys: pytest.CaptureFixture[str]) -> None:
    """A text dump gives the five seed teasers with the text profile."""
    assert main(["parse", str(SEED)]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""  # a dump has no links: nothing to warn about
    records = _records(captured.out)
    assert len(records) == 5
    assert {r.profile for r in records} == {"text"}
    assert {r.topic for r in records} == {"Secure Communities"}


@pytest.mark.parametrize("backend", ["lexbor", "soup"])
def test_backends_give_identical_output(backend: str, capsys: pytest.CaptureFixture[str]) -> None:
    """--backend soup writes the same bytes as the default backend."""
    assert main(["parse", str(PAGE0), "--url", URL]) == 0
    default = capsys.readouterr().out
    assert main(["parse", str(PAGE0), "--url", URL, "--backend", backend]) == 0
    assert capsys.readouterr().out == default


def test_parse_says_when_relative_links_stay_unresolved(capsys: pytest.CaptureFixture[str]) -> None:
    """A saved page with relative links and no address of its own: the records are written, and a
    warning says how to resolve the links; with --url they resolve and nothing is said."""
    page = ROOT / "tests" / "corpus" / "drupal6-soundsoftware-acuk-taxonomy-term.html"
    assert main(["parse", str(page)]) == 0
    captured = capsys.readouterr()
    assert all(r.url is None for r in _records(captured.out))
    assert "4 of 4 teasers have no URL" in captured.err
    assert "--url" in captured.err
    assert main(["parse", str(page), "--url", "https://www.soundsoftware.ac.uk/taxonomy/term/12"]) == 0
    captured = capsys.readouterr()
    assert all(r.url for r in _records(captured.out))
    assert captured.err == ""


def test_parse_writes_output_file(tmp_path: Path) -> None:
    """-o FILE writes JSON Lines there, creating its missing folders as crawl does."""
    out = tmp_path / "new" / "folder" / "out.jsonl"
    assert main(["parse", str(PAGE0), "-o", str(out)]) == 0
    assert len(_records(out.read_text(encoding="utf-8"))) == 5


def test_parse_output_under_a_file_names_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """-o notes.txt/out.jsonl cannot be written: the message names notes.txt as no folder (exit 3)."""
    notes = tmp_path / "notes.txt"
    notes.write_text("mine\n", encoding="utf-8")
    out = notes / "sub" / "out.jsonl"
    assert main(["parse", str(PAGE0), "-o", str(out)]) == 3
    assert capsys.readouterr().err == f"error: cannot write {out}: {notes} is not a folder\n"
    assert notes.read_text(encoding="utf-8") == "mine\n"


def test_parse_with_a_profile_that_finds_nothing_names_its_selector(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A --profile FILE whose item selector matches nothing says so (exit 1); auto-detection on a
    page without teasers still suggests --profile."""
    profile = tmp_path / "mysite.toml"
    profile.write_text('item = "div.nothing"\ntitle = "h2 a"\n', encoding="utf-8")
    assert main(["parse", str(PAGE0), "--profile", str(profile)]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert err == (
        f"warning: {PAGE0}: no teasers found "
        "(profile 'mysite': item selector 'div.nothing' matched no element)"
    )
    empty = PAGES / "keywords-e-verify-self-check.html"
    assert main(["parse", str(empty)]) == 1
    assert "no teasers found (try --profile)" in capsys.readouterr().err


def test_parse_reads_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """'-' reads the page from standard input."""
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(PAGE0.read_bytes())))
    assert main(["parse", "-", "--url", URL]) == 0
    assert len(_records(capsys.readouterr().out)) == 5


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"%PDF-1.5\n%\xb5\xed\xae\xfb\n", "PDF"),
        (bytes(range(256)) * 100, "binary"),
        (bytes(range(0x80, 0x100)) * 50, "decode"),
    ],
    ids=["empty", "pdf", "binary", "undecodable"],
)
def test_unreadable_file_exits_3_with_one_line(
    tmp_path: Path, content: bytes, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each unreadable input gives one error line naming the file, exit 3, no traceback."""
    bad = tmp_path / "bad.html"
    bad.write_bytes(content)
    assert main(["parse", str(bad)]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert str(bad) in err[0]
    assert message.lower() in err[0].lower()
    assert "Traceback" not in err[0]


def test_huge_and_deep_pages_exit_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A 50 MB page and markup nested 100,000 deep are refused with a reason."""
    huge = tmp_path / "huge.html"
    with huge.open("wb") as f:
        f.write(b"<html><body>")
        f.write(b"<p>filler</p>" * (50 * 1024 * 1024 // 13 + 1))
    deep = tmp_path / "deep.html"
    deep.write_bytes(b"<html><body>" + b"<div>" * 100_000 + b"x" + b"</div>" * 100_000)
    assert main(["parse", str(huge)]) == 3
    assert main(["parse", str(deep)]) == 3
    err = capsys.readouterr().err
    assert "limit" in err
    assert "nested" in err


def test_missing_file_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    """A missing file is named in the error."""
    assert main(["parse", "no/such/page.html"]) == 3
    assert "no/such/page.html: no such file" in capsys.readouterr().err


def test_no_teasers_warns_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    """A readable page with no teasers is a warning naming the file, exit 1."""
    empty = PAGES / "keywords-e-verify-self-check.html"
    assert main(["parse", str(empty)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "warning" in captured.err
    assert str(empty) in captured.err


def test_several_files_report_each_and_go_on(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A bad file among good ones is reported; the others are still parsed; exit 1."""
    missing = tmp_path / "missing.html"
    assert main(["parse", str(missing), str(PAGE0), str(SEED)]) == 1
    captured = capsys.readouterr()
    assert len(_records(captured.out)) == 10
    assert str(missing) in captured.err


def test_schema_is_the_record_schema(capsys: pytest.CaptureFixture[str]) -> None:
    """`schema` prints the records' JSON Schema."""
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema == json.loads(json.dumps(Record.model_json_schema()))
    assert "title" in schema["required"]


def test_validate_good_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file written by parse validates: exit 0."""
    out = tmp_path / "good.jsonl"
    assert main(["parse", str(PAGE0), "-o", str(out)]) == 0
    assert main(["validate", str(out)]) == 0
    assert "5 of 5 records valid" in capsys.readouterr().err


def test_validate_reports_every_bad_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Bad lines are reported by number with the reason; exit 1."""
    out = tmp_path / "mixed.jsonl"
    assert main(["parse", str(PAGE0), "-o", str(out)]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    broken = json.loads(lines[1]) | {"title": "Back to Top"}
    extra = json.loads(lines[2]) | {"colour": "red"}
    out.write_text("\n".join([lines[0], json.dumps(broken), json.dumps(extra), "{not json", lines[0]]) + "\n")
    assert main(["validate", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"{out}:2: title" in err
    assert "boilerplate" in err
    assert f"{out}:3: colour" in err
    assert f"{out}:4:" in err
    assert f"{out}:5: duplicate id" in err
    assert f"{out}:1:" not in err


def test_validate_accepts_one_record_per_capture(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`wayback --all-captures` writes a teaser once per capture: valid; twice in one capture is not."""
    out = tmp_path / "captures.jsonl"
    assert main(["parse", str(PAGE0), "-o", str(out)]) == 0
    line = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    captures = [line | {"archived_at": f"201{year}-07-01T00:00:00Z"} for year in (4, 5, 5)]
    out.write_text("".join(json.dumps(c) + "\n" for c in captures), encoding="utf-8")
    assert main(["validate", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"{out}:3: duplicate id {line['id']} in the same capture (first on line 2)" in err
    assert f"{out}:2:" not in err


def test_validate_reads_standard_input(tmp_path: Path) -> None:
    """`… | topicscrape validate -` checks the piped records (a pipeline's last step)."""
    out = tmp_path / "good.jsonl"
    assert main(["parse", str(PAGE0), "-o", str(out)]) == 0
    command = [sys.executable, "-m", "scraper", "validate", "-"]
    done = subprocess.run(command, input=out.read_bytes(), capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert b"-: 5 of 5 records valid" in done.stderr
    bad = subprocess.run(command, input=b'{"title": "x"}\n', capture_output=True, timeout=60, check=False)
    assert bad.returncode == 1
    assert b"-:1:" in bad.stderr


@pytest.mark.parametrize("kind", ["sqlite", "gzip"])
def test_validate_of_a_binary_file_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    """A SQLite database or a gzipped JSONL file given to validate by mistake is one line and
    exit 3, not a line per byte run (a gzip header may hold no NUL before its first newline)."""
    path = tmp_path / f"out.{kind}"
    if kind == "sqlite":
        with SqliteSink(path) as sink:
            sink.write([])
    else:
        assert main(["parse", str(PAGE0), "-o", str(tmp_path / "out.jsonl")]) == 0
        # As `gzip -c out.jsonl` writes it: a file name flag, and an mtime whose first byte is "\n".
        with gzip.GzipFile(path, "wb", mtime=0x0D0C0B0A) as packed:
            packed.write((tmp_path / "out.jsonl").read_bytes())
        assert b"\0" not in path.read_bytes().split(b"\n", 1)[0]
        capsys.readouterr()
    assert main(["validate", str(path)]) == 3
    err = capsys.readouterr().err
    assert "not a JSON Lines file" in err
    assert len(err.strip().splitlines()) == 1


def test_validate_missing_file_exits_3(tmp_path: Path) -> None:
    """A file that cannot be read exits 3."""
    assert main(["validate", str(tmp_path / "nope.jsonl")]) == 3


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown option is a usage error."""
    assert main(["parse", "--no-such-option", str(PAGE0)]) == 2


@pytest.mark.parametrize(
    "command", ["parse", "schema", "validate", "crawl", "record", "search", "serve", "wayback"]
)
def test_help_explains_with_an_example(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Every command's --help has an example."""
    assert main([command, "--help"]) == 0
    assert "Example" in capsys.readouterr().out


def test_python_dash_m_scraper() -> None:
    """`python -m scraper` is the same command line."""
    result = subprocess.run(
        [sys.executable, "-m", "scraper", "parse", str(SEED)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert len(_records(result.stdout)) == 5


def _dhs_warc(tmp_path: Path) -> Path:
    """A WARC of the three Secure Communities pages, written by our own recorder from the fixtures."""
    import asyncio

    import httpx

    from scraper.fixtures import FixtureFolder, ReplayTransport
    from scraper.warc import WarcRecordingTransport

    warc = tmp_path / "dhs.warc.gz"

    async def record() -> None:
        transport = WarcRecordingTransport(
            ReplayTransport(FixtureFolder.load(ROOT / "fixtures" / "dhs")), warc
        )
        async with httpx.AsyncClient(transport=transport) as client:
            for page in ("", "?page=1", "?page=2"):
                (await client.get(URL + page)).raise_for_status()

    asyncio.run(record())
    return warc


def test_parse_reads_every_page_of_a_warc(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`parse FILE.warc.gz` yields the records of every HTML capture in it."""
    warc = _dhs_warc(tmp_path)
    assert main(["parse", str(warc)]) == 0
    records = _records(capsys.readouterr().out)
    assert len(records) == 13
    assert {r.page for r in records} == {0, 1, 2}
    # Each record says when its page was fetched: the capture's WARC-Date.
    warc_dates = {page.url: page.fetched_at for page in iter_warc_pages(warc)}
    assert None not in warc_dates.values()
    assert all(r.fetched_at == warc_dates[r.source_url] for r in records)


def test_record_from_warc_then_replay(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`record --from-warc` makes a fixture folder that a crawl replays to the same records."""
    folder = tmp_path / "folder"
    assert main(["record", "--from-warc", str(_dhs_warc(tmp_path)), "--to", str(folder)]) == 0
    assert (folder / "index.json").exists()
    out = tmp_path / "out.jsonl"
    assert main(["crawl", URL, "--replay", str(folder), "-o", str(out), "-q"]) == 0
    assert len(_records(out.read_text(encoding="utf-8"))) == 13


def test_serve_missing_folder_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`serve` on a folder that does not exist says so and exits 2."""
    assert main(["serve", str(tmp_path / "nope")]) == 2
    assert "no such fixture folder" in capsys.readouterr().err


def test_serve_of_an_empty_folder_says_to_record_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`serve` of a folder holding nothing would 404 every request: exit 2, naming `record`."""
    assert main(["serve", str(tmp_path), "--port", "0"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"{tmp_path} holds no recorded responses" in err
    assert f"topicscrape record URL --to {tmp_path}" in err


def test_serve_of_a_file_that_is_no_fixture_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`serve notes.txt` names the file as the problem (exit 2), not the port."""
    notes = tmp_path / "notes.txt"
    notes.write_text("not fixtures\n", encoding="utf-8")
    assert main(["serve", str(notes), "--port", "0"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"{notes} is neither a fixture folder nor a WARC file" in err
    assert "--port" not in err


def test_record_from_warc_wants_a_folder_and_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`record --from-warc` into a .warc.gz path, or from a folder, is a usage error that creates nothing."""
    warc = _dhs_warc(tmp_path)
    target = tmp_path / "copy.warc.gz"
    assert main(["record", "--from-warc", str(warc), "--to", str(target)]) == 2
    assert "give --to a folder" in capsys.readouterr().err
    assert not target.exists()
    assert main(["record", "--from-warc", str(tmp_path), "--to", str(tmp_path / "out")]) == 2
    assert "is a folder" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def _warc_of(tmp_path: Path, bodies: list[bytes]) -> Path:
    """A WARC holding one HTML response per body (warcio's own writer)."""
    from io import BytesIO

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    path = tmp_path / "pages.warc.gz"
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for number, body in enumerate(bodies):
            headers = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
            )
            record = writer.create_warc_record(
                f"https://www.dhs.gov/about-{number}",
                "response",
                payload=BytesIO(body),
                length=len(body),  # known: warcio need not spool the body to a temporary file
                http_headers=headers,
            )
            writer.write_record(record)
    return path


def test_parse_of_a_warc_without_teasers_is_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A WARC whose pages list no teasers is a readable input without teasers (exit 1, as for a
    page); one with no HTML response at all cannot be read as listings (exit 3)."""
    about = (ROOT / "fixtures" / "dhs" / "www.dhs.gov" / "keywords-secure-communities.html").read_bytes()
    start, end = (
        about.index(b'<div class="view-content">'),
        about.index(b'<h2 class="element-invisible">Pages'),
    )
    empty = about[:start] + about[end:]
    assert main(["parse", str(_warc_of(tmp_path, [empty, empty]))]) == 1
    err = capsys.readouterr().err
    assert err.count("https://www.dhs.gov/about-") == 2  # a note per capture
    assert "no teasers found" in err
    assert main(["parse", str(_warc_of(tmp_path, []))]) == 3
    assert "holds no HTML response" in capsys.readouterr().err


def test_parse_of_a_damaged_warc_writes_what_it_can_read_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bytes damaged inside the second capture's gzip member: the records of the first and third
    pages are written, warcio prints nothing of its own, and the exit is 1."""
    warc = _dhs_warc(tmp_path)
    data = bytearray(warc.read_bytes())
    members = [i for i in range(len(data)) if data[i : i + 3] == b"\x1f\x8b\x08"]
    responses = members[1::2]  # each page is a request member then a response member
    if len(responses) < 2:
        responses = members[1:]
    middle = (responses[1] + (members[members.index(responses[1]) + 1])) // 2
    for k in range(middle, middle + 40):
        data[k] ^= 0x5A
    warc.write_bytes(bytes(data))
    assert main(["parse", str(warc)]) == 1
    captured = capsys.readouterr()
    records = _records(captured.out)
    assert records
    assert {r.page for r in records} == {0, 2}
    assert "read in part: cut or damaged records were skipped (warned above)" in captured.err
    assert "Error -3" not in captured.err  # warcio's own line; our warning (logging) names the cause


def test_search_prints_titles_with_brackets_as_they_are(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A title holding "[/]" or "[bold]" is printed as written: Rich markup in data is not markup
    (it made `search` crash with a MarkupError)."""
    page = tmp_path / "page.html"
    title = "Remarks [/] on [bold]detainers[/bold] [PDF]"
    shown = b"Securing our Communities: Resources for Small and Medium Businesses</a>"
    page.write_bytes(PAGE0.read_bytes().replace(shown, title.encode() + b"</a>", 1))
    assert main(["parse", str(page), "--url", URL, "-o", str(tmp_path / "out.jsonl")]) == 0
    records = [Record.model_validate_json(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert title in {r.title for r in records}
    with SqliteSink(tmp_path / "db.sqlite") as sink:
        sink.write(records)
    capsys.readouterr()
    assert main(["search", str(tmp_path / "db.sqlite"), "detainers"]) == 0
    out = capsys.readouterr().out  # a table wrapped to the terminal's width
    assert "Remarks [/] on" in out
    assert "[bold]detainers[/bold] [PDF]" in out


def test_messages_print_paths_with_brackets_as_they_are(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """File names holding "[red]" or "[bold]" are named as they are in errors and warnings."""
    empty, bare = tmp_path / "[red]x.html", tmp_path / "[bold]y.html"
    empty.write_bytes(b"")
    bare.write_bytes(b"<html><body><p>hi</p></body></html>")
    assert main(["parse", str(bare)]) == 1
    assert f"warning: {bare}: no teasers found" in capsys.readouterr().err
    junk = tmp_path / "[bold]y.jsonl"
    junk.write_text("{}\n")
    assert main(["validate", str(junk)]) == 1
    assert f"{junk}: 0 of 1 records valid" in capsys.readouterr().err
    assert main(["validate", str(tmp_path / "[red]missing.jsonl")]) == 3
    assert f"{tmp_path / '[red]missing.jsonl'}" in capsys.readouterr().err


def test_parse_refuses_to_write_over_its_own_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`parse page.html -o page.html` would erase the page before reading it: a usage error, the
    page left whole (the same for a WARC file)."""
    page = tmp_path / "page.html"
    page.write_bytes(PAGE0.read_bytes())
    assert main(["parse", str(page), "-o", str(page)]) == 2
    assert f"{page} is an input too: writing it would erase it" in capsys.readouterr().err
    assert page.read_bytes() == PAGE0.read_bytes()


def test_parse_refuses_an_output_named_for_another_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """parse writes JSON Lines: `-o out.csv` is a usage error naming the way to get CSV, not a JSON
    file with a .csv name."""
    assert main(["parse", str(PAGE0), "-o", str(tmp_path / "out.csv")]) == 2
    assert "parse writes JSON Lines; name the output .jsonl" in capsys.readouterr().err
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize("url", ["notaurl", "/relative/page", "ftp://x.gov/y", "https://e.gov:99999/"])
def test_parse_with_an_unusable_url_is_a_usage_error(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """--url that no record could carry is one line, exit 2 (it was a pydantic traceback)."""
    assert main(["parse", str(PAGE0), "--url", url]) == 2
    err = capsys.readouterr().err
    assert err == f"error: --url {url!r} is not an absolute http(s) URL, e.g. https://www.dhs.gov/news\n"


def test_parse_sends_a_teaser_that_fails_validation_to_the_rejects_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A teaser the record contract refuses is written to the rejects file with the reason, the
    others are written, and a warning names the file (it was a traceback and no records)."""
    from parsers.records import TopicPage

    made = TopicPage.record

    def refuse_the_second(page: TopicPage, teaser: Any, **kwargs: Any) -> Record:
        if teaser.position == 2:  # as the contract refuses a record: a real ValidationError
            Record.model_validate({**made(page, teaser, **kwargs).model_dump(), "url": "javascript:x"})
        return made(page, teaser, **kwargs)

    monkeypatch.setattr(TopicPage, "record", refuse_the_second)
    out = tmp_path / "out.jsonl"
    assert main(["parse", str(PAGE0), "--url", URL, "-o", str(out)]) == 0
    records = [Record.model_validate_json(line) for line in out.read_text().splitlines()]
    assert [r.position for r in records] == [1, 3, 4, 5]
    rejects = tmp_path / "out.rejects.jsonl"
    (rejected,) = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert rejected["reason"].startswith("url: ")
    assert rejected["source_url"] == URL
    assert f"1 teaser(s) failed validation: written to {rejects}" in capsys.readouterr().err


def test_parse_of_an_endless_input_is_refused_without_reading_it_all(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """/dev/zero (or a many-GB file) is read only past the size limit, then refused in one line."""
    assert main(["parse", "/dev/zero"]) == 3
    assert capsys.readouterr().err.startswith("error: /dev/zero: ")


def test_a_closed_pipe_ends_quietly_and_a_full_disk_in_one_line(tmp_path: Path) -> None:
    """`topicscrape … | head` stops without a traceback (exit 1); standard output on a full disk
    (/dev/full) is one error line, exit 3, for a plain command and for a crawl."""
    command = [sys.executable, "-m", "scraper"]
    many = [str(PAGE0)] * 100  # some 400 KB of records: more than a pipe holds
    with subprocess.Popen(
        [*command, "parse", *many], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as piped:
        assert piped.stdout is not None
        assert piped.stderr is not None
        assert piped.stdout.read(1) == b"{"
        piped.stdout.close()
        assert piped.stderr.read() == b""
        assert piped.wait(timeout=60) == 1
    crawl = [
        "crawl",
        URL,
        "--replay",
        str(ROOT / "fixtures" / "dhs"),
        "--state",
        str(tmp_path / "state.sqlite"),
    ]
    wayback = ["wayback", URL, "--replay", str(ROOT / "fixtures" / "wayback"), "-q"]
    for args, said in [
        (["schema"], "error: No space left on device\n"),
        (wayback, "error: cannot write the output: No space left on device\n"),
        (crawl, "error: cannot write standard output: No space left on device; the crawl stopped"),
    ]:
        with open("/dev/full", "w") as full:
            done = subprocess.run(
                [*command, *args], stdout=full, stderr=subprocess.PIPE, text=True, check=False
            )
        assert done.returncode == 3
        assert done.stderr.startswith(said)
        assert done.stderr.count("\n") == 1


def test_validate_reads_a_bulk_file_in_pairs_and_refuses_csv_and_html(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A crawl's .bulk.ndjson validates (action + record pairs, _id = id); a swapped _id or a
    missing record line is reported; a CSV output or an HTML page is one line, exit 3."""
    from scraper.sinks import open_sink

    records = _records_of_page0()
    for name in ("out.bulk.ndjson", "out.csv"):
        with open_sink(tmp_path / name) as sink:
            sink.write(records)
    bulk = tmp_path / "out.bulk.ndjson"
    assert main(["validate", str(bulk)]) == 0
    assert f"{bulk}: 5 of 5 records valid" in capsys.readouterr().err
    lines = bulk.read_text().splitlines()
    lines[0] = lines[0].replace(records[0].id, records[1].id)
    bulk.write_text("\n".join(lines[:-1]) + "\n")  # the last record line is gone too
    assert main(["validate", str(bulk)]) == 1
    err = capsys.readouterr().err
    assert f"{bulk}:2: the action on line 1 has _id {records[1].id!r}, the record id {records[0].id!r}" in err
    assert f"{bulk}:9: a bulk action line with no record line after it" in err
    lines = bulk.read_text().splitlines()
    bulk.write_text("\n".join([lines[0], *lines[2:]]) + "\n")  # two action lines in a row
    assert main(["validate", str(bulk)]) == 1
    err = capsys.readouterr().err
    assert f"{bulk}:2: an action line where the record of the action on line 1 belongs" in err
    assert "Field required" not in err
    assert main(["validate", str(tmp_path / "out.csv")]) == 3
    assert "a CSV output, not JSON Lines" in capsys.readouterr().err
    assert main(["validate", str(PAGE0)]) == 3
    assert "not a JSON Lines file (markup: an HTML page?" in capsys.readouterr().err


def test_validate_lists_the_first_50_bad_lines_then_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file of 530 bad lines is 50 lines of reasons, a count of the rest and the summary."""
    junk = tmp_path / "junk.jsonl"
    junk.write_text('{"id": 1}\n' * 530)
    assert main(["validate", str(junk)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 52
    assert err[-2] == f"{junk}: … and 480 more bad lines"
    assert err[-1] == f"{junk}: 0 of 530 records valid"


def _records_of_page0() -> list[Record]:
    from parsers import parse_topic_page

    return parse_topic_page(PAGE0.read_bytes(), url=URL).to_records()


def test_validate_wants_every_field_and_json_types(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A line without `url` (every record has every field, null where unknown) or with `"page": "1"`
    is a bad line naming the field, as the published schema says."""
    (record, other, *_) = _records_of_page0()
    lines = [json.loads(record.model_dump_json()), json.loads(other.model_dump_json())]
    del lines[0]["url"]
    lines[1]["page"] = "1"
    path = tmp_path / "out.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:1: url: Field required" in err
    assert f"{path}:2: page: " in err
    assert f"{path}: 0 of 2 records valid" in err


def test_an_interrupt_inside_a_task_ends_the_run_without_an_asyncio_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A second Ctrl-C/SIGTERM that lands in a worker task is one KeyboardInterrupt: asyncio logs
    no "Task exception was never retrieved" for the run's task."""

    async def worker() -> None:
        await asyncio.sleep(0)
        raise KeyboardInterrupt  # as the signal handler raises it in whatever code runs

    async def run() -> None:
        async with asyncio.TaskGroup() as group:
            group.create_task(worker())
            await asyncio.sleep(3600)

    with caplog.at_level(logging.ERROR, logger="asyncio"), pytest.raises(KeyboardInterrupt):
        _run_async(run())
    gc.collect()  # asyncio reports an unread task exception when the task is collected
    assert [r.getMessage() for r in caplog.records if r.name == "asyncio"] == []
