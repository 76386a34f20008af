"""Output sinks on real files: JSON Lines, SQLite (upsert + FTS5), CSV, bulk NDJSON, rejects."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parsers.records import Record, Teaser, TopicPage
from scraper.sinks import (
    FIELDS,
    RECORDS_SCHEMA_VERSION,
    BulkSink,
    CsvSink,
    JsonlSink,
    RejectsSink,
    SearchQueryError,
    Sink,
    SqliteSink,
    _KeyIndex,
    default_rejects_path,
    open_sink,
    search,
)

TOPIC_URL = "https://www.dhs.gov/keywords/secure-communities"
FETCHED = dt.datetime(2016, 7, 1, 12, 0, tzinfo=dt.UTC)

# Teasers as the 2016 DHS "Secure Communities" keyword page lists them (shared/seed).
_SEED = [
    (
        "Securing our Communities: Resources for Small and Medium Businesses",
        "https://www.dhs.gov/blog/2016/06/23/securing-our-communities-resources-small-and-medium-businesses",
        "The recent shooting in Orlando reminds all Americans that the threat of violence exists in our "
        "communities.",
    ),
    (
        "Readout Of Deputy Secretary Mayorkas' Call With The Secure Community Network",
        "https://www.dhs.gov/news/2016/06/17/readout-deputy-secretary-mayorkas-call-secure-community-network",
        "Deputy Secretary of Homeland Security Alejandro Mayorkas and other senior officials spoke by "
        "phone today with several hundred Jewish community stakeholders.",
    ),
    (
        "Priority Enforcement Program – How DHS is Focusing on Deporting Felons",
        "https://www.dhs.gov/blog/2015/07/30/priority-enforcement-program-how-dhs-focusing-deporting-felons",
        "That is why, as part of the executive actions the President announced last November, we ended "
        "the controversial Secure Communities program.",
    ),
    (
        "Record-Breaking Immigration Enforcement Results",
        "https://www.dhs.gov/news/2011/10/18/record-breaking-immigration-enforcement-results",
        "In a few hours, Secretary Janet Napolitano will join U.S Immigration and Customs Enforcement "
        "(ICE) Director John Morton to announce record-breaking immigration enforcement statistics…",
    ),
    (
        '"Secure Communities" - One Year Later',
        None,
        "The first day Secure Communities was activated in Starr County, Texas, local law enforcement "
        "arrested a man on assault charges.",
    ),
]


def dhs_records(page: int = 0, *, fetched_at: dt.datetime = FETCHED) -> list[Record]:
    """The seed's teasers as records of listing page ``page``."""
    listing = TopicPage(
        url=f"{TOPIC_URL}?page={page}" if page else TOPIC_URL,
        topic="Secure Communities",
        page=page,
        teasers=tuple(
            Teaser(
                title=title,
                url=url,
                excerpt=excerpt,
                truncated=excerpt.endswith("…"),
                date=dt.date(2016, 6, 23) if n == 0 else None,
                date_raw="June 23, 2016" if n == 0 else None,
                position=n + 1,
            )
            for n, (title, url, excerpt) in enumerate(_SEED)
        ),
        profile="drupal7",
    )
    return listing.to_records(fetched_at=fetched_at)


def read_jsonl(path: Path) -> list[dict[str, object]]:
    """Every line of a JSONL file, parsed (fails on a partial line)."""
    data = path.read_bytes()
    assert data.endswith(b"\n")
    return [json.loads(line) for line in data.splitlines()]


# -- JSON Lines -----------------------------------------------------------------------------------


def test_jsonl_writes_one_record_per_line(tmp_path: Path) -> None:
    """Each record is its model_dump_json() on its own line, and write() counts what it wrote."""
    records = dhs_records()
    path = tmp_path / "out" / "records.jsonl"
    with JsonlSink(path, resume=False) as sink:
        assert sink.write(records) == len(records)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines == [record.model_dump_json() for record in records]
    assert [Record.model_validate_json(line) for line in lines] == records


def test_jsonl_never_writes_an_id_twice(tmp_path: Path) -> None:
    """The same teaser in a later batch, or twice in one batch, is written once."""
    records = dhs_records()
    path = tmp_path / "records.jsonl"
    with JsonlSink(path, resume=False) as sink:
        assert sink.write([records[0], records[0]]) == 1
        assert sink.write(records) == len(records) - 1
        assert records[2].id in sink
        assert len(sink) == len(records)
    ids = [str(line["id"]) for line in read_jsonl(path)]
    assert sorted(ids) == sorted(record.id for record in records)


def test_jsonl_without_resume_starts_afresh(tmp_path: Path) -> None:
    """resume=False replaces an earlier file instead of appending to it."""
    path = tmp_path / "records.jsonl"
    path.write_text('{"id": "old"}\n', encoding="utf-8")
    with JsonlSink(path, resume=False) as sink:
        sink.write(dhs_records()[:2])
    assert [line["id"] for line in read_jsonl(path)] == [r.id for r in dhs_records()[:2]]


def test_jsonl_resume_skips_ids_already_in_the_file(tmp_path: Path) -> None:
    """Reopened with resume=True, records already in the file are not written again."""
    records = dhs_records()
    path = tmp_path / "records.jsonl"
    with JsonlSink(path, resume=False) as sink:
        sink.write(records[:3])
    with JsonlSink(path, resume=True) as sink:
        assert len(sink) == 3
        assert sink.write(records) == 2
    assert [line["id"] for line in read_jsonl(path)] == [r.id for r in records]


def test_jsonl_resume_repairs_a_torn_last_line(tmp_path: Path) -> None:
    """A half-written last line from a kill is cut on resume, and that record then appears once."""
    records = dhs_records()
    path = tmp_path / "records.jsonl"
    with JsonlSink(path, resume=False) as sink:
        sink.write(records[:2])
    whole = records[2].model_dump_json().encode("utf-8")
    with path.open("ab") as fh:
        fh.write(whole[: len(whole) // 2])
    with JsonlSink(path, resume=True) as sink:
        assert records[2].id not in sink
        assert sink.write(records) == 3
    assert [line["id"] for line in read_jsonl(path)] == [r.id for r in records]


def test_jsonl_resume_keeps_a_whole_last_line_missing_its_newline(tmp_path: Path) -> None:
    """A complete JSON record without its final newline is kept, and the newline restored."""
    records = dhs_records()
    path = tmp_path / "records.jsonl"
    path.write_text(records[0].model_dump_json(), encoding="utf-8")
    with JsonlSink(path, resume=True) as sink:
        assert sink.write(records[:2]) == 1
    assert [line["id"] for line in read_jsonl(path)] == [r.id for r in records[:2]]


def test_jsonl_resume_cuts_a_zero_filled_tail(tmp_path: Path) -> None:
    """NUL bytes a power cut can leave at the end of a file are cut like a torn line."""
    records = dhs_records()
    path = tmp_path / "records.jsonl"
    path.write_bytes(records[0].model_dump_json().encode() + b"\n" + b"\0" * 512)
    with JsonlSink(path, resume=True) as sink:
        assert len(sink) == 1
    assert [line["id"] for line in read_jsonl(path)] == [records[0].id]


def test_jsonl_resume_refuses_damage_before_the_end(tmp_path: Path) -> None:
    """A bad line in the middle is not an interruption: the file is left untouched and an error names it."""
    records = dhs_records()
    path = tmp_path / "records.jsonl"
    content = records[0].model_dump_json() + "\nnot json\n" + records[1].model_dump_json() + "\n"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match="line 2"):
        JsonlSink(path, resume=True)
    assert path.read_text(encoding="utf-8") == content


def test_jsonl_write_after_close_is_an_error(tmp_path: Path) -> None:
    """Writing to a closed sink raises instead of losing records."""
    sink = JsonlSink(tmp_path / "records.jsonl", resume=False)
    sink.close()
    with pytest.raises(ValueError, match="closed"):
        sink.write(dhs_records())


_WRITER = textwrap.dedent(
    """
    import datetime as dt, sys, time
    from parsers.records import Record
    from scraper.sinks import JsonlSink

    base = dict(title="Priority Enforcement Program – How DHS is Focusing on Deporting Felons",
                excerpt="That is why, as part of the executive actions the President announced last "
                "November, we ended the controversial Secure Communities program. " * 20,
                source_url="https://www.dhs.gov/keywords/secure-communities", page=0,
                fetched_at=dt.datetime(2016, 7, 1, 12, tzinfo=dt.UTC), profile="drupal7")
    n = 0
    ready_at = time.monotonic() + 0.5
    deadline = time.monotonic() + 60  # never outlive a test that failed to kill us
    announced = False
    with JsonlSink(sys.argv[1], resume=False) as sink:
        while time.monotonic() < deadline:
            batch = [Record(id=f"{n + k:024x}", position=k + 1, **base) for k in range(20)]
            sink.write(batch)
            n += len(batch)
            if not announced and time.monotonic() >= ready_at:
                print("ready", flush=True)
                announced = True
    """
)


@pytest.mark.slow
def test_sigkill_leaves_only_whole_lines(tmp_path: Path) -> None:
    """A process killed with SIGKILL while writing JSONL leaves a file of complete JSON lines."""
    path = tmp_path / "records.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == "ready\n"  # ~0.5 s of writes done, still writing
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    lines = read_jsonl(path)
    assert len(lines) >= 20
    assert [line["id"] for line in lines] == [f"{n:024x}" for n in range(len(lines))]
    with JsonlSink(path, resume=True) as sink:
        assert len(sink) == len(lines)


# -- SQLite ---------------------------------------------------------------------------------------


def _rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_sqlite_has_one_column_per_record_field(tmp_path: Path) -> None:
    """The records table mirrors the record contract, on a real file in WAL mode."""
    path = tmp_path / "records.sqlite"
    SqliteSink(path).close()
    columns = [row[1] for row in _rows(path, "PRAGMA table_info(records)")]
    assert columns == ["seq", *Record.model_fields]
    assert list(FIELDS) == list(Record.model_fields)
    assert _rows(path, "PRAGMA journal_mode") == [("wal",)]
    assert _rows(path, "PRAGMA user_version") == [(RECORDS_SCHEMA_VERSION,)]


def test_sqlite_upsert_updates_instead_of_duplicating(tmp_path: Path) -> None:
    """A re-crawl of the same teaser updates its row instead of adding one."""
    path = tmp_path / "records.sqlite"
    records = dhs_records()
    later = dhs_records(fetched_at=FETCHED + dt.timedelta(days=30))
    changed = later[0].model_copy(update={"title": "Securing our Communities: Resources for Businesses"})
    with SqliteSink(path) as sink:
        assert sink.write(records) == len(records)
        assert sink.write([changed, *later[1:]]) == 1  # the retitled one; the rest only refetched
    with SqliteSink(path) as sink:  # a later process, same database
        assert sink.write(dhs_records(page=1)[4:]) == 1  # the URL-less teaser is keyed by its page
    assert _rows(path, "SELECT count(*) FROM records") == [(len(records) + 1,)]
    assert _rows(path, f"SELECT title, fetched_at FROM records WHERE id='{changed.id}'") == [
        ("Securing our Communities: Resources for Businesses", "2016-07-31T12:00:00Z")
    ]


def test_sqlite_write_counts_rows_inserted_or_changed(tmp_path: Path) -> None:
    """write() counts new rows and rows whose content changed, not rows only seen again."""
    path = tmp_path / "records.sqlite"
    records = dhs_records()
    later = dhs_records(fetched_at=FETCHED + dt.timedelta(days=1))
    retitled = later[0].model_copy(update={"title": "Securing our Communities: Resources"})
    moved = later[1].model_copy(update={"position": 9})
    resighted = later[2].model_copy(
        update={
            "archived_at": FETCHED,
            "capture_url": "https://web.archive.org/web/2016/x",
            "last_seen": FETCHED,
        }
    )
    fresh = dhs_records(page=1)[4]  # the URL-less teaser is keyed by its page: a new id
    with SqliteSink(path) as sink:
        assert sink.write(records) == len(records)
        assert sink.write(records) == 0  # identical
        assert sink.write(later) == 0  # only fetched_at moved
        assert sink.write([retitled, moved, resighted, *later[3:], fresh, fresh]) == 3
        assert sink.write([moved, retitled]) == 0
    assert _rows(path, "SELECT count(*) FROM records") == [(len(records) + 1,)]


def test_sqlite_keeps_earliest_first_seen_and_latest_last_seen(tmp_path: Path) -> None:
    """Archive captures merge: first_seen only moves earlier, last_seen only later, nulls never win."""
    path = tmp_path / "records.sqlite"
    base = dhs_records()[0]

    def seen(first: int | None, last: int | None) -> Record:
        day = dt.datetime(2016, 1, 1, tzinfo=dt.UTC)
        return base.model_copy(
            update={
                "first_seen": None if first is None else day + dt.timedelta(days=first),
                "last_seen": None if last is None else day + dt.timedelta(days=last),
            }
        )

    with SqliteSink(path) as sink:
        sink.write([seen(10, 20)])
        sink.write([seen(5, 15)])
        sink.write([seen(12, 40)])
        sink.write([seen(None, None)])
    assert _rows(path, "SELECT first_seen, last_seen FROM records") == [
        ("2016-01-06T00:00:00Z", "2016-02-10T00:00:00Z")
    ]


def test_sqlite_keeps_a_named_day_when_a_later_crawl_shows_none(tmp_path: Path) -> None:
    """A daily re-crawl reads "Yesterday", then "2 weeks ago" (no day): the row keeps the day and the
    text that named it. A later day that is named replaces it; everything else is the latest."""
    path = tmp_path / "records.sqlite"
    base = dhs_records()[0]

    def shown(raw: str, date: dt.date | None, days_later: int) -> Record:
        return base.model_copy(
            update={"date": date, "date_raw": raw, "fetched_at": FETCHED + dt.timedelta(days=days_later)}
        )

    with SqliteSink(path) as sink:
        sink.write([shown("Yesterday", dt.date(2016, 6, 30), 0)])
        sink.write([shown("2 weeks ago", None, 14)])
    assert _rows(path, "SELECT date, date_raw, fetched_at FROM records") == [
        ("2016-06-30", "Yesterday", "2016-07-15T12:00:00Z")
    ]
    with SqliteSink(path) as sink:
        sink.write([shown("June 29", dt.date(2016, 6, 29), 20)])
    assert _rows(path, "SELECT date, date_raw FROM records") == [("2016-06-29", "June 29")]


def test_sqlite_an_earlier_capture_never_rolls_a_row_back(tmp_path: Path) -> None:
    """A Wayback run over 2012 after one over 2011-2016 widens first/last seen but leaves the
    title, excerpt, capture and date of the latest capture in the row."""
    path = tmp_path / "records.sqlite"
    base = dhs_records()[0]

    def capture(year: int, title: str, date: dt.date | None) -> Record:
        at = dt.datetime(year, 6, 1, tzinfo=dt.UTC)
        return base.model_copy(
            update={
                "title": title,
                "archived_at": at,
                "capture_url": f"https://web.archive.org/web/{year}0601000000id_/{base.source_url}",
                "first_seen": at,
                "last_seen": at,
                "date": date,
                "date_raw": None if date is None else date.isoformat(),
            }
        )

    with SqliteSink(path) as sink:
        sink.write([capture(2015, "FAQ (Updated)", None)])
        sink.write([capture(2012, "FAQ", dt.date(2012, 5, 1))])
        sink.write([capture(2011, "FAQ (draft)", dt.date(2011, 5, 1))])
    query = "SELECT title, archived_at, first_seen, last_seen, date, date_raw FROM records"
    assert _rows(path, query) == [
        ("FAQ (Updated)", "2015-06-01T00:00:00Z", "2011-06-01T00:00:00Z", "2015-06-01T00:00:00Z",
         "2012-05-01", "2012-05-01")
    ]  # fmt: skip
    assert [r.title for r in search(path, "updated")] == ["FAQ (Updated)"]
    with SqliteSink(path) as sink:
        sink.write([capture(2016, "FAQ (2016)", None)])
    assert _rows(path, "SELECT title, date FROM records") == [("FAQ (2016)", "2012-05-01")]


def test_search_finds_words_in_title_and_excerpt(tmp_path: Path) -> None:
    """search() matches title words and excerpt words, and gives back whole records."""
    path = tmp_path / "records.sqlite"
    records = dhs_records()
    with SqliteSink(path) as sink:
        sink.write(records)
    assert search(path, "Mayorkas") == [records[1]]
    assert search(path, "Orlando") == [records[0]]
    assert {r.id for r in search(path, "Starr County")} == {records[4].id}
    assert search(path, "tornado") == []


def test_search_ranks_title_matches_first_and_stems(tmp_path: Path) -> None:
    """A title match outranks an excerpt match; "deportation" finds "Deporting"."""
    path = tmp_path / "records.sqlite"
    records = dhs_records()
    with SqliteSink(path) as sink:
        sink.write(records)
    hits = search(path, "enforcement")
    assert hits[0].id in {records[2].id, records[3].id}  # "Enforcement" in the headline
    assert {r.id for r in hits} == {records[2].id, records[3].id, records[4].id}
    assert search(path, "deportation") == [records[2]]
    assert len(search(path, "enforcement", limit=1)) == 1


def test_search_index_follows_updates(tmp_path: Path) -> None:
    """After an upsert changes a title, the old words stop matching and the new ones match."""
    path = tmp_path / "records.sqlite"
    records = dhs_records()
    with SqliteSink(path) as sink:
        sink.write(records)
        sink.write([records[3].model_copy(update={"title": "Napolitano Announces Removal Statistics"})])
    assert search(path, "Results") == []
    assert [r.title for r in search(path, "removal")] == ["Napolitano Announces Removal Statistics"]
    assert _rows(path, "SELECT count(*) FROM records_fts WHERE records_fts MATCH 'results'") == [(0,)]


@pytest.mark.parametrize(
    "query",
    [
        '"Secure Communities',
        "Mayorkas AND",
        "Mayorkas OR",
        "secure-communities",
        "title:",
        "(Mayorkas",
        "NEAR(",
    ],
)
def test_search_survives_fts_syntax_errors(tmp_path: Path, query: str) -> None:
    """A query that is not valid FTS5 is searched as plain words instead of raising."""
    path = tmp_path / "records.sqlite"
    with SqliteSink(path) as sink:
        sink.write(dhs_records())
    hits = search(path, query)
    assert isinstance(hits, list)
    if any(word in query for word in ("Secure", "Mayorkas", "secure")):
        assert hits, f"{query!r} should still find the teasers it names"


def test_search_understands_fts_syntax(tmp_path: Path) -> None:
    """Valid FTS5 queries keep their meaning: phrases, OR and prefixes."""
    path = tmp_path / "records.sqlite"
    records = dhs_records()
    with SqliteSink(path) as sink:
        sink.write(records)
    assert {r.id for r in search(path, "Orlando OR Mayorkas")} == {records[0].id, records[1].id}
    assert {r.id for r in search(path, "Napol*")} == {records[3].id}
    assert {r.id for r in search(path, '"community network"')} == {records[1].id}


@pytest.mark.parametrize("query", ["AND", "NOT", "OR OR", "AND OR NOT", " NOT\n AND "])
def test_search_of_operators_alone_is_a_query_error(tmp_path: Path, query: str) -> None:
    """A query of FTS5 operators alone raises SearchQueryError, one line quoting the query."""
    path = tmp_path / "records.sqlite"
    with SqliteSink(path) as sink:
        sink.write(dhs_records())
    with pytest.raises(SearchQueryError) as info:
        search(path, query)
    assert isinstance(info.value, ValueError)
    assert str(info.value) == f'the query "{" ".join(query.split())}" holds no word to search for'
    assert search(path, "NEAR") == []  # NEAR without "(" is a word to FTS5, and stays one
    assert search(path, "Mayorkas AND") == [dhs_records()[1]]


def test_search_errors_name_the_problem(tmp_path: Path) -> None:
    """A missing file or a database that is not ours raise clear errors; a blank query finds nothing."""
    with pytest.raises(FileNotFoundError):
        search(tmp_path / "missing.sqlite", "ICE")
    other = tmp_path / "other.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    with pytest.raises(ValueError, match="not a topicscrape records database"):
        search(other, "ICE")
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(ValueError, match="not a SQLite database"):
        search(junk, "ICE")
    assert not (tmp_path / "missing.sqlite").exists()
    db = tmp_path / "records.sqlite"
    SqliteSink(db).close()
    assert search(db, "   ") == []


def test_sqlite_refuses_a_newer_database(tmp_path: Path) -> None:
    """A records database from a newer layout is refused, not rewritten."""
    path = tmp_path / "records.sqlite"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version={RECORDS_SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(ValueError, match="version"):
        SqliteSink(path)


# -- CSV ------------------------------------------------------------------------------------------


def _from_csv_row(row: dict[str, str]) -> Record:
    data: dict[str, object] = {key: value for key, value in row.items() if value != ""}
    data["schema_version"] = int(row["schema_version"])
    return Record.model_validate(data)


def test_csv_has_bom_header_and_round_trips(tmp_path: Path) -> None:
    """The CSV starts with a UTF-8 BOM and the header, uses CRLF, and reads back to the same records."""
    path = tmp_path / "records.csv"
    records = dhs_records()
    with CsvSink(path) as sink:
        assert sink.write(records) == len(records)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf" + ",".join(FIELDS).encode() + b"\r\n")
    assert data.count(b"\r\n") == len(records) + 1
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [_from_csv_row(row) for row in rows] == records
    assert rows[0]["truncated"] == "false"
    assert rows[3]["truncated"] == "true"
    assert rows[4]["url"] == ""


def test_csv_resume_skips_known_ids_and_cuts_a_torn_row(tmp_path: Path) -> None:
    """CSV resume keeps one header, skips written ids and cuts a row torn by a kill."""
    path = tmp_path / "records.csv"
    records = dhs_records()
    with CsvSink(path) as sink:
        sink.write(records[:2])
    with path.open("ab") as fh:
        fh.write(b"deadbeef" * 3 + b",Record-Breaking Imm")
    with CsvSink(path, resume=True) as sink:
        assert len(sink) == 2
        assert sink.write(records) == 3
    with path.open(encoding="utf-8-sig", newline="") as fh:
        assert [_from_csv_row(row) for row in csv.DictReader(fh)] == records


def test_csv_resume_cuts_a_row_torn_after_its_last_cell(tmp_path: Path) -> None:
    """A row cut inside its last cell parses with every column, but without CRLF it is still cut."""
    path = tmp_path / "records.csv"
    records = dhs_records()
    with CsvSink(path) as sink:
        sink.write(records[:1])
    row = CsvSink._encode(sink, records[1])  # the bytes the sink would write
    with path.open("ab") as fh:
        fh.write(row[: -len(b"l7\r\n")])  # "...,drupa"
    with CsvSink(path, resume=True) as sink:
        assert records[1].id not in sink
        sink.write(records[:2])
    with path.open(encoding="utf-8-sig", newline="") as fh:
        assert [r["profile"] for r in csv.DictReader(fh)] == ["drupal7", "drupal7"]


def test_csv_resume_reads_cells_with_line_breaks(tmp_path: Path) -> None:
    """A quoted cell holding a line break does not confuse resume."""
    path = tmp_path / "records.csv"
    odd = dhs_records()[0].model_copy(update={"profile": "my-profile\r\nv2"})
    with CsvSink(path) as sink:
        sink.write([odd])
    with CsvSink(path, resume=True) as sink:
        assert odd.id in sink
        assert sink.write([odd]) == 0
    with path.open(encoding="utf-8-sig", newline="") as fh:
        assert [row["profile"] for row in csv.DictReader(fh)] == ["my-profile\r\nv2"]


def test_csv_resume_with_only_a_torn_header_starts_over(tmp_path: Path) -> None:
    """A file killed while its header was written gets a whole header again."""
    path = tmp_path / "records.csv"
    path.write_bytes(b"\xef\xbb\xbfschema_version,id,tit")
    with CsvSink(path, resume=True) as sink:
        sink.write(dhs_records()[:1])
    with path.open(encoding="utf-8-sig", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == 1


# -- bulk NDJSON ----------------------------------------------------------------------------------


def test_bulk_file_is_action_and_document_pairs(tmp_path: Path) -> None:
    """Each record is an index action with its id, followed by the record itself."""
    path = tmp_path / "records.bulk.ndjson"
    records = dhs_records()
    with BulkSink(path, index="dhs-teasers") as sink:
        assert sink.write(records + records[:1]) == len(records)
    lines = read_jsonl(path)
    assert len(lines) == 2 * len(records)
    for action, doc, record in zip(lines[::2], lines[1::2], records, strict=True):
        assert action == {"index": {"_index": "dhs-teasers", "_id": record.id}}
        assert Record.model_validate(doc) == record


def test_bulk_resume_cuts_an_action_without_its_document(tmp_path: Path) -> None:
    """A kill between the two lines of a pair leaves no orphan action after resume."""
    path = tmp_path / "records.bulk.ndjson"
    records = dhs_records()
    with BulkSink(path) as sink:
        sink.write(records[:2])
    with path.open("ab") as fh:
        fh.write(json.dumps({"index": {"_index": "topicscrape", "_id": records[2].id}}).encode() + b"\n")
    with BulkSink(path, resume=True) as sink:
        assert len(sink) == 2
        sink.write(records)
    lines = read_jsonl(path)
    assert [doc["id"] for doc in lines[1::2]] == [r.id for r in records]


@pytest.mark.parametrize(
    "index",
    [
        "",
        "Topics",
        "my index",
        "a/b",
        "_hidden",
        "x*",
        ".",
        "..",
        "+plus",
        "a\\b",
        "tab\tname",
        "a" * 256,
        "é" * 128,
    ],
)
def test_bulk_rejects_invalid_index_names(tmp_path: Path, index: str) -> None:
    """Index names Elasticsearch would refuse are refused up front, in one line, by open_sink too."""
    with pytest.raises(ValueError, match="index name") as info:
        BulkSink(tmp_path / "r.bulk.ndjson", index=index)
    assert "\n" not in str(info.value)
    with pytest.raises(ValueError, match="index name"):
        open_sink(tmp_path / "r.bulk.ndjson", bulk_index=index)
    assert not (tmp_path / "r.bulk.ndjson").exists()


@pytest.mark.parametrize("index", ["dhs-news", "a" * 255, "é" * 127, ".hidden-ok", "news.2016"])
def test_open_sink_passes_the_bulk_index_through(tmp_path: Path, index: str) -> None:
    """open_sink(bulk_index=...) names that index in every action line."""
    path = tmp_path / "r.bulk.ndjson"
    with open_sink(path, bulk_index=index) as sink:
        sink.write(dhs_records()[:2])
    assert [line["index"]["_index"] for line in read_jsonl(path)[::2]] == [index, index]  # type: ignore[index]


# -- rejects --------------------------------------------------------------------------------------


def test_rejects_keep_reason_source_and_data(tmp_path: Path) -> None:
    """A reject line holds the reason, the page and the raw fields; repeats are written once."""
    path = tmp_path / "records.rejects.jsonl"
    data = {"title": "Read more", "url": "javascript:void(0)", "date": dt.date(2016, 6, 23)}
    with RejectsSink(path) as sink:
        assert sink.reject("title is navigation boilerplate", source_url=TOPIC_URL, data=data) is True
        assert sink.reject("title is navigation boilerplate", source_url=TOPIC_URL, data=data) is False
        assert sink.reject("title is empty", source_url=None, data={"title": ""}) is True
    with RejectsSink(path, resume=True) as sink:  # the page replayed after a kill
        assert sink.reject("title is navigation boilerplate", source_url=TOPIC_URL, data=data) is False
        with pytest.raises(TypeError, match="reject"):
            sink.write(dhs_records())
    assert read_jsonl(path) == [
        {
            "reason": "title is navigation boilerplate",
            "source_url": TOPIC_URL,
            "data": {"title": "Read more", "url": "javascript:void(0)", "date": "2016-06-23"},
        },
        {"reason": "title is empty", "source_url": None, "data": {"title": ""}},
    ]


def test_default_rejects_path_sits_beside_the_output() -> None:
    """records.jsonl's rejects go to records.rejects.jsonl."""
    assert default_rejects_path(Path("out/records.jsonl")) == Path("out/records.rejects.jsonl")
    assert default_rejects_path(Path("records.sqlite")) == Path("records.rejects.jsonl")


# -- choosing a sink ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("records.jsonl", JsonlSink),
        ("records.NDJSON", JsonlSink),
        ("records.sqlite", SqliteSink),
        ("records.db", SqliteSink),
        ("records.csv", CsvSink),
        ("records.bulk.ndjson", BulkSink),
    ],
)
def test_open_sink_picks_by_suffix(tmp_path: Path, name: str, kind: type) -> None:
    """The file suffix decides the format; every sink satisfies the Sink protocol."""
    sink = open_sink(tmp_path / name)
    try:
        assert type(sink) is kind
        assert isinstance(sink, Sink)
        assert sink.write(dhs_records()) == len(_SEED)
    finally:
        sink.close()


@pytest.mark.parametrize("name", ["records.json", "records.txt", "records"])
def test_open_sink_refuses_unknown_suffixes(tmp_path: Path, name: str) -> None:
    """An unknown suffix is a usage error listing the known ones."""
    with pytest.raises(ValueError, match=r"\.jsonl"):
        open_sink(tmp_path / name)
    assert not (tmp_path / name).exists()


def test_open_sink_passes_resume_through(tmp_path: Path) -> None:
    """open_sink(resume=True) keeps what the file holds."""
    path = tmp_path / "records.jsonl"
    records = dhs_records()
    with open_sink(path) as sink:
        sink.write(records[:2])
    with open_sink(path, resume=True) as sink:
        assert sink.write(records) == 3
    assert len(read_jsonl(path)) == len(records)


@pytest.fixture(scope="module")
def searchable_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One records database shared by the property test below (hypothesis reruns the body)."""
    path = tmp_path_factory.mktemp("search") / "records.sqlite"
    with SqliteSink(path) as sink:
        sink.write(dhs_records())
    return path


@given(query=st.text(st.characters(codec="utf-8"), max_size=30))
def test_search_never_raises_on_user_text(searchable_db: Path, query: str) -> None:
    """Whatever a user types, search() returns a list of records, or says it holds no word."""
    try:
        hits = search(searchable_db, query)
    except SearchQueryError:
        words = query.replace("\x00", " ").split()
        assert words[0] == "NOT" or all(
            word in {"AND", "OR", "NOT", "NEAR"} or not any(map(str.isalnum, word)) for word in words
        )
        return
    assert all(isinstance(hit, Record) for hit in hits)
    assert len(hits) <= len(_SEED)


# -- the key index -----------------------------------------------------------------------------------

_HEX_ID = st.text(alphabet="0123456789abcdef", min_size=24, max_size=24)
_ANY_KEY = st.one_of(_HEX_ID, st.text(max_size=30), st.just("0" * 24), _HEX_ID.map(str.upper))


@given(
    added=st.lists(_ANY_KEY, max_size=60),
    dropped=st.lists(_ANY_KEY, max_size=10),
    probes=st.lists(_ANY_KEY, max_size=30),
)
def test_key_index_behaves_like_a_set(added: list[str], dropped: list[str], probes: list[str]) -> None:
    """_KeyIndex answers add, discard, membership and size exactly as a set of the same keys."""
    index = _KeyIndex()
    expected: set[str] = set()
    try:
        for key in added:
            assert index.add(key) == (key not in expected)
            expected.add(key)
        for key in dropped:
            index.discard(key)
            expected.discard(key)
        assert len(index) == len(expected)
        for key in [*added, *dropped, *probes]:
            assert (key in index) == (key in expected)
    finally:
        index.close()


_KEY_INDEX_RSS = """
import resource, sys
from scraper.sinks import _KeyIndex
index = _KeyIndex()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
with index.loading():
    for n in range(500_000):
        index.add(f"{n * 2654435761 % 2**96:024x}")
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(len(index), (after - before) / 1024)
"""


def test_key_index_memory_does_not_grow_with_the_keys() -> None:
    """Half a million ids raise peak RSS by a few MB at most: packed in memory they would take 6.5 MB,
    as strings 57 MB; the index keeps them on disk beyond its page cache."""
    result = subprocess.run(
        [sys.executable, "-c", _KEY_INDEX_RSS], capture_output=True, text=True, check=True, timeout=300
    )
    count, grown_mb = result.stdout.split()
    assert int(count) == 500_000
    assert float(grown_mb) < 5.0


def test_a_failed_write_leaves_its_id_free(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A record whose write fails (disk full) is not taken for written: the next write stores it."""
    records = dhs_records()[:2]
    with open_sink(tmp_path / "out.jsonl") as sink:
        real = sink._append  # type: ignore[attr-defined]

        def full(data: bytes) -> None:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(sink, "_append", full)
        with pytest.raises(OSError, match="No space left"):
            sink.write(records)
        monkeypatch.setattr(sink, "_append", real)
        assert sink.write(records) == 2
    assert len((tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()) == 2


@pytest.mark.parametrize("name", ["all.jsonl", "all.csv", "all.bulk.ndjson"])
def test_unique_off_writes_every_record(tmp_path: Path, name: str) -> None:
    """unique=False (wayback --all-captures) writes a record again though its id is already there."""
    records = dhs_records()
    with open_sink(tmp_path / f"once-{name}") as once:
        once.write(records)
        assert once.write(records) == 0
    with open_sink(tmp_path / name, unique=False) as sink:
        assert sink.write(records) == len(records)
        assert sink.write(records) == len(records)
    single = (tmp_path / f"once-{name}").read_text(encoding="utf-8-sig")
    double = (tmp_path / name).read_text(encoding="utf-8-sig")
    assert all(double.count(r.id) == 2 * single.count(r.id) > 0 for r in records)


def test_unique_off_is_refused_for_sqlite(tmp_path: Path) -> None:
    """SQLite keeps one row per id, so it refuses to be asked for one row per capture."""
    with pytest.raises(ValueError, match="one row per teaser id"):
        open_sink(tmp_path / "all.sqlite", unique=False)
    assert not (tmp_path / "all.sqlite").exists()


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("NOT release", "put a word before NOT"),
        ("(", "holds no word to search for"),
        ("* :", "holds no word to search for"),
    ],
)
def test_search_refuses_what_it_cannot_mean(tmp_path: Path, query: str, said: str) -> None:
    """A leading NOT (retried as plain words it would find what it excludes) and punctuation alone
    are SearchQueryErrors, not silent results."""
    path = tmp_path / "records.sqlite"
    with SqliteSink(path) as sink:
        sink.write(dhs_records())
    with pytest.raises(SearchQueryError, match=re.escape(said)):
        search(path, query)
