"""Opening outputs: check_output refuses, without touching anything, what open_sink cannot open;
open errors are one line naming the path."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from scraper.sinks import RECORDS_SCHEMA_VERSION, SqliteSink, check_output, open_sink


def _new(path: Path) -> Path:
    return path


def _in_new_folders(path: Path) -> Path:
    return path.parent / "a" / "b" / path.name


def _records_db(path: Path) -> Path:
    """A records database as a crawl leaves it (closed: no -wal or -shm beside it)."""
    SqliteSink(path).close()
    return path


def _foreign_db(path: Path) -> Path:
    """A SQLite database of something else."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE places (url TEXT)")
    conn.close()
    return path


def _newer_db(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version={RECORDS_SCHEMA_VERSION + 1}")
    conn.close()
    return path


def _text_file(path: Path) -> Path:
    path.write_text("not sqlite\n", encoding="utf-8")
    return path


def _empty_file(path: Path) -> Path:
    """A 0-byte file: SQLite takes it for an empty database."""
    path.write_bytes(b"")
    return path


def _directory(path: Path) -> Path:
    path.mkdir()
    return path


def _under_a_file(path: Path) -> Path:
    """A path whose folder is a file."""
    (path.parent / "notes.txt").write_text("x", encoding="utf-8")
    return path.parent / "notes.txt" / path.name


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every path under ``folder`` with its size and mtime: what must not change."""
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
    } | {".": (0, folder.stat().st_mtime_ns)}


# (name, how to make it, what check_output says, or None when it may be opened)
_CASES: list[tuple[str, Callable[[Path], Path], str | None]] = [
    ("new.sqlite", _new, None),
    ("new.jsonl", _new, None),
    ("new.csv", _in_new_folders, None),
    ("empty.sqlite", _empty_file, None),
    ("keep.sqlite", _records_db, None),
    ("keep.jsonl", _text_file, None),
    ("d.sqlite", _directory, "is a directory: give a file name"),
    ("d.jsonl", _directory, "is a directory: give a file name"),
    ("d.bulk.ndjson", _directory, "is a directory: give a file name"),
    ("notdb.sqlite", _text_file, "is not a topicscrape records database"),
    ("places.sqlite", _foreign_db, "is not a topicscrape records database"),
    ("newer.db", _newer_db, "records database version"),
    ("out.sqlite", _under_a_file, "cannot be written"),
    ("out.jsonl", _under_a_file, "cannot be written"),
]


@pytest.mark.parametrize(("name", "make", "problem"), _CASES, ids=[f"{c[0]}-{c[1].__name__}" for c in _CASES])
@pytest.mark.parametrize("resume", [False, True])
def test_check_output_changes_nothing_and_names_the_problem(
    tmp_path: Path, name: str, make: Callable[[Path], Path], problem: str | None, resume: bool
) -> None:
    """check_output leaves every file, folder and mtime as it was, and refuses in one line naming the path."""
    path = make(tmp_path / name)
    before = _snapshot(tmp_path)
    if problem is None:
        check_output(path, resume=resume)
    else:
        with pytest.raises(ValueError, match=problem) as info:
            check_output(path, resume=resume)
        message = str(info.value)
        assert "\n" not in message
        assert str(path) in message
    assert _snapshot(tmp_path) == before


@pytest.mark.parametrize(("name", "make", "problem"), _CASES, ids=[f"{c[0]}-{c[1].__name__}" for c in _CASES])
def test_open_sink_refuses_what_check_output_refuses(
    tmp_path: Path, name: str, make: Callable[[Path], Path], problem: str | None
) -> None:
    """open_sink fails exactly where check_output does, with a one-line ValueError naming the path."""
    path = make(tmp_path / name)
    if problem is None:
        open_sink(path).close()
        return
    with pytest.raises(ValueError, match=problem) as info:
        open_sink(path)
    assert "\n" not in str(info.value)
    assert str(path) in str(info.value)


def test_a_refused_database_gets_no_tables_added(tmp_path: Path) -> None:
    """SqliteSink on someone else's SQLite database refuses it and leaves its schema alone."""
    path = _foreign_db(tmp_path / "places.sqlite")
    with pytest.raises(ValueError, match="holds other tables: places"):
        SqliteSink(path)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == [("places",)]
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    finally:
        conn.close()


def test_check_output_reads_a_database_being_written(tmp_path: Path) -> None:
    """A records database open in another sink (its -wal beside it) passes, and no file appears."""
    path = tmp_path / "live.sqlite"
    with SqliteSink(path):
        assert path.with_name("live.sqlite-wal").exists()
        names = sorted(p.name for p in tmp_path.iterdir())
        check_output(path, resume=False)
        assert sorted(p.name for p in tmp_path.iterdir()) == names


def test_check_output_passes_standard_output() -> None:
    """'-' (standard output) can always be written."""
    check_output("-", resume=False)
    check_output("-", resume=True)


def test_check_output_refuses_what_open_sink_refuses_by_name(tmp_path: Path) -> None:
    """An unknown suffix, SQLite with unique=False and a bad bulk index are refused before opening."""
    with pytest.raises(ValueError, match=r"\.jsonl"):
        check_output(tmp_path / "records.json", resume=False)
    with pytest.raises(ValueError, match="one row per teaser id"):
        check_output(tmp_path / "all.sqlite", resume=False, unique=False)
    with pytest.raises(ValueError, match="index name"):
        check_output(tmp_path / "r.bulk.ndjson", resume=False, bulk_index="Bad Index")
    check_output(tmp_path / "r.bulk.ndjson", resume=False, bulk_index="dhs-news")
    assert list(tmp_path.iterdir()) == []


def _deny_write(monkeypatch: pytest.MonkeyPatch, denied: Path) -> None:
    """os.access says ``denied`` may not be written (tests run as root, whom a 0444 file does not stop)."""
    real = os.access

    def access(path: Any, mode: int, **kwargs: Any) -> bool:
        if Path(path) == denied and mode & os.W_OK:
            return False
        return real(path, mode, **kwargs)

    monkeypatch.setattr(os, "access", access)


@pytest.mark.parametrize("name", ["keep.jsonl", "keep.sqlite", "keep.csv"])
def test_check_output_refuses_a_file_it_may_not_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """An existing output that may not be written (chattr +i, mode 0444) is refused before any opens."""
    path = _records_db(tmp_path / name) if name.endswith(".sqlite") else _text_file(tmp_path / name)
    _deny_write(monkeypatch, path)
    with pytest.raises(ValueError, match=r"cannot be written: no permission to write it$") as info:
        check_output(path, resume=False)
    assert str(info.value).startswith(str(path))


@pytest.mark.parametrize("name", ["new.jsonl", "new.sqlite", "keep.sqlite"])
def test_check_output_refuses_a_folder_it_may_not_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """An output in a folder that may not be written is refused (a database needs it for its log too)."""
    folder = tmp_path / "ro"
    folder.mkdir()
    path = _records_db(folder / name) if name.startswith("keep") else folder / name
    _deny_write(monkeypatch, folder)
    with pytest.raises(ValueError, match=f"cannot be written: no permission to create files in {folder}"):
        check_output(path, resume=False)


def test_check_output_looks_past_folders_open_sink_would_create(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """For a new path, the nearest existing folder decides, and nothing is created."""
    _deny_write(monkeypatch, tmp_path)
    with pytest.raises(ValueError, match=f"no permission to create files in {tmp_path}$"):
        check_output(tmp_path / "a" / "b" / "out.jsonl", resume=False)
    assert list(tmp_path.iterdir()) == []


def test_sqlite_on_a_read_only_database_says_it_cannot_be_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A records database SQLite may only read is "cannot be written", not "not a records database"."""
    path = _records_db(tmp_path / "k.sqlite")
    real = sqlite3.connect

    def read_only(database: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        # What SQLite falls back to on a 0444 or chattr +i file (tests run as root, whom 0444 does not stop).
        conn: sqlite3.Connection = real(
            f"{Path(database).resolve().as_uri()}?mode=ro", *args, uri=True, **kwargs
        )
        return conn

    monkeypatch.setattr(sqlite3, "connect", read_only)
    with pytest.raises(ValueError, match="cannot be written") as info:
        SqliteSink(path)
    assert str(info.value) == f"{path} cannot be written: attempt to write a readonly database"


def test_sqlite_open_failures_in_sqlite_are_one_line_value_errors(tmp_path: Path) -> None:
    """A path SQLite cannot open raises a ValueError naming it, never a raw sqlite3 error."""
    folder = tmp_path / "d.sqlite"
    folder.mkdir()
    with pytest.raises(ValueError, match=r"d\.sqlite is a directory: give a file name$"):
        SqliteSink(folder)
    with pytest.raises(
        ValueError, match=r"notdb\.sqlite is not a topicscrape records database: file is not a database"
    ):
        SqliteSink(_text_file(tmp_path / "notdb.sqlite"))
    assert (tmp_path / "notdb.sqlite").read_text(encoding="utf-8") == "not sqlite\n"
