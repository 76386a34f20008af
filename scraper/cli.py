"""``topicscrape``: argv in, settings, library calls, an exit code out.

Exit codes (DESIGN.md): 0 done; 1 done but some pages failed (each listed); 2 usage error;
3 input cannot be read or parsed at all; 130 interrupted (state saved; ``--resume`` goes on).
This is the only module that configures logging or prints.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import errno
import functools
import json
import logging
import os
import signal
import sqlite3
import sys
import tempfile
import time
from collections.abc import Coroutine, Iterator, Sequence
from contextlib import ExitStack, closing, contextmanager, nullcontext, suppress
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Annotated, Any, TextIO, TypeVar
from urllib.parse import urlsplit

import stamina.instrumentation
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from parsers import NoTeasersFound, ParseError, Record, TopicPage, parse_text_dump, parse_topic_page
from parsers.decode import MAX_INPUT_BYTES, decode_html
from parsers.profiles import Profile, resolve_profile
from parsers.text import looks_like_text_dump
from scraper.crawl import RUN_IDENTITY, CrawlStats, crawl
from scraper.errors import (
    FixtureMissing,
    NothingToResume,
    OutputFailed,
    RateLimited,
    ScraperError,
    StateInUse,
    StateMismatch,
    WarcNotAppendable,
    validation_problems,
)
from scraper.frontier import CrawlState, default_state_path
from scraper.serve import run_server
from scraper.settings import Settings
from scraper.sinks import (
    BULK_SUFFIXES,
    SQLITE_SUFFIXES,
    RejectsSink,
    SearchQueryError,
    Sink,
    check_output,
    default_rejects_path,
    open_sink,
)
from scraper.sinks import search as search_records
from scraper.warc import check_appendable, is_warc_path, iter_warc_pages, open_fixtures, warc_to_folder
from scraper.wayback import (
    CdxNotRecorded,
    WaybackEvent,
    WaybackStats,
    archive_prefix,
    cdx_range,
    run_wayback,
)

__all__ = ["Backend", "ExitCode", "app", "main"]


class ExitCode(IntEnum):
    """The documented exit codes."""

    OK = 0
    PARTIAL = 1
    USAGE = 2
    UNREADABLE = 3
    INTERRUPTED = 130


app = typer.Typer(
    name="topicscrape",
    help="Crawl topic listing pages into validated teaser records (JSON Lines, SQLite, CSV).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)
err = Console(
    stderr=True, highlight=False, soft_wrap=True, markup=False
)  # paths, URLs and titles hold [brackets]
logger = logging.getLogger(__name__)


class Backend(StrEnum):
    """HTML backends (see parsers.backends)."""

    lexbor = "lexbor"
    soup = "soup"


def _fail(message: str, code: ExitCode = ExitCode.UNREADABLE) -> typer.Exit:
    err.print(f"[red]error:[/] {escape(message)}", markup=True)
    return typer.Exit(int(code))


def _open_output(path: Path | None) -> TextIO:
    """``parse``'s output, its missing folders created as the crawl's outputs' are."""
    if path is None or str(path) == "-":
        return sys.stdout
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return path.open("w", encoding="utf-8", newline="\n")
    except (FileExistsError, NotADirectoryError) as exc:  # a file where a folder should be
        folder = next(p for p in path.parents if p.exists())
        raise _fail(f"cannot write {path}: {folder} is not a folder") from exc
    except OSError as exc:
        raise _fail(f"cannot write {path}: {exc.strerror or exc}") from exc


def _resolve_profile(value: str | None) -> Profile | str | None:
    try:
        return resolve_profile(value)
    except ParseError as exc:
        raise _fail(str(exc), ExitCode.USAGE) from exc


def _read_input(path: str) -> bytes:
    """The file's bytes, or ParseError. Reads one byte past the parser's limit and no more, so
    ``/dev/zero`` or a 3 GB file is refused as too large instead of filling memory."""
    limit = MAX_INPUT_BYTES + 1
    if path == "-":
        return sys.stdin.buffer.read(limit)
    file = Path(path)
    try:
        with file.open("rb") as fh:
            return fh.read(limit)
    except FileNotFoundError as exc:
        raise ParseError("no such file") from exc
    except IsADirectoryError as exc:
        raise ParseError("is a directory, not a page") from exc
    except OSError as exc:
        raise ParseError(exc.strerror or str(exc)) from exc


def _parse_one(
    path: str, *, url: str | None, backend: str, profile: Profile | str | None
) -> Iterator[tuple[TopicPage, dt.datetime | None]]:
    """The topic pages in one input file (a page, a text dump; WARC files hold several), each with
    when it was fetched if the file says (a WARC's ``WARC-Date``)."""
    if is_warc_path(path):
        yield from _parse_warc(path, backend=backend, profile=profile)
        return
    data = _read_input(path)
    source = None if path == "-" else Path(path)
    page_url = url or (source.resolve().as_uri() if source else "file:///dev/stdin")
    if profile == "text" or ((path.endswith(".txt") or profile is None) and _is_dump(data)):
        yield parse_text_dump(decode_html(data), url=url, source=source), None
        return
    yield parse_topic_page(data, url=page_url, profile=profile, backend=backend), None


class _PartlyRead(ParseError):
    """A file of several pages (a WARC) read only in part: what was read is written (exit 1)."""


def _parse_warc(
    path: str, *, backend: str, profile: Profile | str | None
) -> Iterator[tuple[TopicPage, dt.datetime | None]]:
    """Every listing page in a WARC file, read as it streams; a capture without teasers is skipped
    with a note, and if none has teasers the file counts as a page without teasers (exit 1). Cut or
    damaged records (each warned about) make it a file read in part (exit 1)."""
    damage: list[str] = []
    pages = iter_warc_pages(path, damage=damage)
    listed = seen = 0
    while True:
        try:
            page = next(pages, None)
        except (OSError, ValueError) as exc:
            raise ParseError(_read_problem(exc)) from exc
        if page is None:
            break
        seen += 1
        try:
            parsed = parse_topic_page(
                page.body, url=page.url, profile=profile, backend=backend, content_type=page.content_type
            )
        except NoTeasersFound:
            err.print(f"note: {path}: {page.url}: no teasers", markup=False)
            continue
        listed += 1
        yield parsed, page.fetched_at
    if damage:
        raise _PartlyRead(f"{path}: read in part: cut or damaged records were skipped (warned above)")
    if not seen:
        raise ParseError("the WARC file holds no HTML response")
    if not listed:
        raise NoTeasersFound(path, None)


def _warn_unresolved(path: str, page: TopicPage) -> None:
    """Say so when a saved page's relative links could not be made absolute: it names no address
    of its own (canonical link, browser's "saved from" note) and none was given."""
    missing = sum(1 for teaser in page.teasers if teaser.url is None)
    if missing and page.url.startswith("file:") and page.profile != "text":  # dumps hold no links
        err.print(
            f"warning: {path}: {missing} of {len(page.teasers)} teasers have no URL; if their links "
            "are relative, give the page's address with --url URL",
            markup=False,
        )


def _is_dump(data: bytes) -> bool:
    try:
        return looks_like_text_dump(decode_html(data[:4096] if len(data) > 4096 else data))
    except ParseError:
        return False


_STDOUT_REJECTS = Path("topicscrape.rejects.jsonl")
"""Where teasers that fail validation go when records go to standard output."""

_OTHER_FORMATS = (".csv", ".sqlite", ".sqlite3", ".db", ".bulk.ndjson", ".html", ".htm", ".warc", ".warc.gz")
"""Output names ``parse -o`` refuses: formats it does not write (``crawl`` does), or an input's kind."""


def _is_page_url(url: str) -> bool:
    """Whether ``url`` is an absolute http(s) URL with a host (what a record's URL must be)."""
    try:
        parsed = urlsplit(url)
        parsed.port  # noqa: B018 - raises ValueError on a port out of range
    except ValueError:
        return False
    return parsed.scheme in ("http", "https") and bool(parsed.hostname)


def _check_parse_output(output: Path | None, paths: list[str]) -> None:
    """Refuse an output that is one of the inputs (opening it would empty it before it is read),
    and one named for another format (``parse`` writes JSON Lines only)."""
    if output is None or str(output) == "-":
        return
    for path in paths:
        if path != "-" and output.exists() and Path(path).exists() and output.samefile(path):
            said = f"{output} is an input too: writing it would erase it; choose another -o"
            raise _fail(said, ExitCode.USAGE)
    if output.name.lower().endswith(_OTHER_FORMATS):
        raise _fail(
            f"{output}: parse writes JSON Lines; name the output .jsonl (for CSV or SQLite, "
            "crawl the saved pages: topicscrape crawl URL --replay DIR -o out.csv)",
            ExitCode.USAGE,
        )


@app.command()
def parse(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="HTML pages, text dumps, WARC files (.warc, .warc.gz), or '-' for standard input.",
            show_default=False,
        ),
    ],
    url: Annotated[
        str | None,
        typer.Option(
            help="The page's original URL, to resolve relative links (default: its canonical link)."
        ),
    ] = None,
    backend: Annotated[
        Backend,
        typer.Option(help="HTML parser: lexbor (fast) or soup (BeautifulSoup, lenient). Same results."),
    ] = Backend.lexbor,
    profile: Annotated[
        str | None,
        typer.Option(
            help="Template profile NAME (drupal7, generic, …) or a TOML FILE; default: auto-detect."
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write JSON Lines to FILE instead of standard output."),
    ] = None,
) -> None:
    """Parse saved listing pages into JSON Lines, one record per teaser.

    Example: [bold]topicscrape parse page.html --url https://www.dhs.gov/keywords/secure-communities[/]

    Each file is reported on its own and the rest go on. Exit 1 if a page had no teasers,
    3 if no file could be read at all.
    """
    chosen = _resolve_profile(profile)
    if url is not None and not _is_page_url(url):
        raise _fail(
            f"--url {url!r} is not an absolute http(s) URL, e.g. https://www.dhs.gov/news", ExitCode.USAGE
        )
    _check_parse_output(output, paths)
    out = _open_output(output)
    rejects: RejectsSink | None = None
    rejects_path = (
        default_rejects_path(output) if output is not None and str(output) != "-" else _STDOUT_REJECTS
    )
    written = unreadable = empty = rejected = 0
    try:
        for path in paths:
            try:
                for page, fetched_at in _parse_one(path, url=url, backend=backend.value, profile=chosen):
                    for teaser in page.teasers:
                        try:
                            record = page.record(teaser, fetched_at=fetched_at)
                        except ValidationError as exc:
                            rejected += 1
                            rejects = rejects or RejectsSink(rejects_path, resume=False)
                            data = teaser.model_dump(mode="json")
                            rejects.reject(validation_problems(exc), source_url=page.url, data=data)
                            continue
                        out.write(record.model_dump_json() + "\n")
                        written += 1
                    _warn_unresolved(path, page)
            except NoTeasersFound as exc:
                empty += 1
                # A profile that was given says which of its selectors found nothing.
                why = f"profile {exc.profile!r}: {exc.reason}" if exc.reason else "try --profile"
                said = f"{escape(path)}: no teasers found ({escape(why)})"
                err.print(f"[yellow]warning:[/] {said}", markup=True)
            except _PartlyRead as exc:
                empty += 1
                err.print(f"[yellow]warning:[/] {escape(str(exc))}", markup=True)
            except ParseError as exc:
                unreadable += 1
                said = str(exc)
                err.print(f"error: {said if said.startswith(path) else f'{path}: {said}'}", markup=False)
    finally:
        if out is not sys.stdout:
            out.close()
        else:
            out.flush()
        if rejects is not None:
            rejects.close()
    if rejected:
        err.print(
            f"warning: {rejected} teaser(s) failed validation: written to {rejects_path} with the reason",
            markup=False,
        )
    if unreadable and unreadable + empty == len(paths):
        raise typer.Exit(int(ExitCode.UNREADABLE))
    if unreadable or empty:
        raise typer.Exit(int(ExitCode.PARTIAL))


@app.command()
def schema() -> None:
    """Print the JSON Schema of the records (the output contract).

    Example: [bold]topicscrape schema > record.schema.json[/]
    """
    typer.echo(json.dumps(Record.model_json_schema(), indent=2, ensure_ascii=False))


@app.command()
def validate(
    file: Annotated[
        Path,
        typer.Argument(
            help="A JSON Lines file of records (or a .bulk.ndjson output), or '-' for standard input.",
            show_default=False,
        ),
    ],
) -> None:
    """Check a JSON Lines file against the record schema; report every bad line by number.

    Example: [bold]topicscrape validate records.jsonl[/], or [bold]… | topicscrape validate -[/]

    A search-engine bulk file (crawl -o out.bulk.ndjson) is read as action and record lines in
    pairs: each record is checked, and its action's _id must be the record's id. The first
    50 bad lines are listed, then a count. Exit 0 if every line is a valid record, 1 if any is
    not, 3 if the file cannot be read (or is no JSON Lines at all: CSV, HTML, a database).
    """
    stdin = str(file) == "-"
    try:
        handle = sys.stdin.buffer if stdin else file.open("rb")
    except OSError as exc:
        raise _fail(f"{file}: {exc.strerror or exc}") from exc
    bad = total = 0
    seen: dict[str, int] = {}
    action: tuple[int, str | None] | None = None  # a bulk file's pending action line: (number, _id)
    bulk = False
    with nullcontext(handle) if stdin else handle:
        for number, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            if not total and action is None:
                _check_first_line(file, raw)
                bulk = _bulk_action(raw) is not None
            found = _bulk_action(raw) if bulk else None
            reason: str | None
            if found is not None:
                pending, action = action, (number, found[1])
                if pending is None:
                    continue
                reason = f"an action line where the record of the action on line {pending[0]} belongs"
            elif bulk and action is None:
                reason = "a bulk file's record line with no action line before it"
            else:
                reason = _check_line(raw, number, seen)
                if reason is None and action is not None:
                    reason = _bulk_mismatch(raw, action)
                action = None
            total += 1
            if reason:
                bad += 1
                if bad <= MAX_LISTED_LINES:
                    err.print(f"{file}:{number}: {reason}", markup=False)
    if action is not None:
        bad += 1
        total += 1
        err.print(f"{file}:{action[0]}: a bulk action line with no record line after it", markup=False)
    if bad > MAX_LISTED_LINES:
        err.print(f"{file}: … and {bad - MAX_LISTED_LINES} more bad lines", markup=False)
    summary = f"{file}: {total - bad} of {total} records valid"
    err.print(summary if not bad else f"[red]{escape(summary)}[/]", markup=True)
    if bad:
        raise typer.Exit(int(ExitCode.PARTIAL))


MAX_LISTED_LINES = 50
"""Bad lines ``validate`` lists one by one; past this, a count (a wrong file is not 500 lines)."""

_BINARY_MAGIC = (b"\x1f\x8b", b"PK\x03\x04", b"BZh", b"\xfd7zXZ", b"\x28\xb5\x2f\xfd")
"""gzip, zip, bzip2, xz and zstd: a compressed file may hold no NUL in its first line."""

_BULK_ACTIONS = frozenset({"index", "create", "update", "delete"})


def _check_first_line(file: Path, raw: bytes) -> None:
    """Refuse (exit 3) a file that is no JSON Lines at all, naming what it looks like."""
    head = raw.lstrip()
    if b"\0" in raw or raw.startswith(_BINARY_MAGIC):  # JSON holds no NUL
        raise _fail(f"{file}: not a JSON Lines file (binary data: a database or an archive?)")
    if head.startswith(b"<"):
        raise _fail(f"{file}: not a JSON Lines file (markup: an HTML page? `topicscrape parse` reads those)")
    if head.startswith(b"schema_version,") or head.lstrip(b"\xef\xbb\xbf").startswith(b"schema_version,"):
        raise _fail(f"{file}: a CSV output, not JSON Lines; validate reads .jsonl and .bulk.ndjson outputs")


def _bulk_action(raw: bytes) -> tuple[str, str | None] | None:
    """``(action, _id)`` if the line is a search-engine bulk action line, else None."""
    try:
        line = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(line, dict) or len(line) != 1:
        return None
    ((kind, meta),) = line.items()
    if kind not in _BULK_ACTIONS or not isinstance(meta, dict):
        return None
    found = meta.get("_id")
    return kind, found if isinstance(found, str) else None


def _bulk_mismatch(raw: bytes, action: tuple[int, str | None]) -> str | None:
    """Why a bulk record line does not go with its action line (its ``_id`` names another record)."""
    record_id = json.loads(raw).get("id")
    if action[1] != record_id:
        return f"the action on line {action[0]} has _id {action[1]!r}, the record id {record_id!r}"
    return None


def _check_line(raw: bytes, number: int, seen: dict[str, int]) -> str | None:
    try:
        record = Record.from_json_line(raw)  # every field present, JSON types as the schema says
    except ValidationError as exc:
        return validation_problems(exc, whole="line")
    # A teaser appears once, or once per archive capture (`wayback --all-captures`).
    key = record.id if record.archived_at is None else f"{record.id} {record.archived_at:%Y%m%d%H%M%S}"
    if key in seen:
        capture = "" if record.archived_at is None else " in the same capture"
        return f"duplicate id {record.id}{capture} (first on line {seen[key]})"
    seen[key] = number
    return None


_FLAG_NAMES = {
    "read_timeout": "--timeout",
    "obey_robots": "--no-robots",
    "from_date": "--from",
    "to_date": "--to",
}
"""Settings fields whose flag is not ``--`` + the field's name with ``-`` for ``_``."""


def _settings(config: Path | None, **flags: object) -> Settings:
    """Settings from an optional TOML file, overridden by the flags the user gave. A bad value is
    named as the user wrote it: the flag (``--cdx-url``), or the config file and its key."""
    try:
        if config is not None:
            return Settings.from_toml(config, **flags)
        return Settings(**{k: v for k, v in flags.items() if v is not None})
    except FileNotFoundError as exc:
        raise _fail(f"--config {config}: no such file", ExitCode.USAGE) from exc
    except OSError as exc:
        raise _fail(f"--config {config}: {exc.strerror or exc}", ExitCode.USAGE) from exc
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            key = ".".join(map(str, error["loc"]))
            said = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                said = "not a setting (the keys are the flags' names; see --help)"
            if not key:
                where = f"{config}" if config is not None else "settings"
            elif flags.get(key) is not None or config is None:
                where = _FLAG_NAMES.get(key, "--" + key.replace("_", "-"))
            else:
                where = f"{config}: {key}"
            problems.append(f"{where}: {said}")
        raise _fail("; ".join(problems), ExitCode.USAGE) from exc
    except ValueError as exc:  # not TOML
        raise _fail(f"--config {config}: not a TOML file: {_one_line(exc)}", ExitCode.USAGE) from exc


def _naming(path: Path, exc: BaseException, doing: str) -> str:
    """``exc`` in one line that names ``path`` once (errors about a fixture file start with it)."""
    said = _read_problem(exc)
    return said if said.startswith(str(path)) else f"{doing} {path}: {said}"


def _read_problem(exc: BaseException) -> str:
    """``exc`` in one line, for a file being read: a WARC that cannot be recorded into is named with
    what is wrong with it, without the advice about recording into it."""
    if isinstance(exc, WarcNotAppendable):
        return f"{exc.source}: {exc.problem}"
    return _one_line(exc)


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        return validation_problems(exc, whole="settings")
    return " ".join(str(exc).split())


class _Display:
    """Progress while crawling: a Rich bar on a terminal, a log line now and then otherwise."""

    LOG_EVERY_SECONDS = 10.0

    def __init__(self, *, quiet: bool) -> None:
        self.quiet = quiet
        self.live = err.is_terminal and not quiet
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total} pages"),
            TextColumn("{task.fields[records]} records"),
            TextColumn("[red]{task.fields[errors]} errors"),
            TextColumn("{task.fields[rate]:.1f} pages/s"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        )
        self.task = self.progress.add_task("crawling", total=None, records=0, errors=0, rate=0.0)
        self.last_log = time.monotonic()
        self.stats: CrawlStats | None = None
        """The running stats, as of the last page (for a summary when the crawl is interrupted)."""

    def __enter__(self) -> _Display:
        if self.live:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live:
            self.progress.stop()

    def __call__(self, stats: CrawlStats) -> None:
        self.stats = stats
        done = stats.pages + stats.not_modified + stats.failed + len(stats.skipped)
        elapsed = max(time.monotonic() - stats.started, 1e-9)
        if self.live:
            self.progress.update(
                self.task,
                completed=done,
                total=done + stats.queued,
                records=stats.written,
                errors=stats.failed,
                rate=done / elapsed,
            )
        elif not self.quiet and time.monotonic() - self.last_log >= self.LOG_EVERY_SECONDS:
            self.last_log = time.monotonic()
            err.print(
                f"{done} pages done, {stats.queued} queued, {stats.written} records written, "
                f"{stats.failed} errors, {done / elapsed:.1f} pages/s",
                markup=False,
            )


def _summary(
    stats: CrawlStats,
    *,
    state: Path,
    interrupted: bool = False,
    resumable: bool = True,
    rejects: Path | None = None,
    recorded: Path | None = None,
) -> None:
    """The end-of-crawl summary on standard error: counts, errors by kind, every failed page, and
    what to run next (``resumable``: the state file is kept, so ``--resume`` can go on).
    ``recorded``: the fixture folder of a ``record`` run, which writes no records."""
    go_on = "run the same command with --resume" if resumable else "run the same command again"
    f = stats.fetch
    found = (
        f"records: {stats.records} found; the responses are in {recorded} (replay: --replay {recorded})"
        if recorded is not None
        else f"records: {stats.records} found, {stats.written} written, {stats.new_records} new, "
        f"{stats.rejected} rejected" + (f" (in {rejects})" if stats.rejected and rejects else "")
    )
    lines = [
        f"pages: {stats.pages} parsed, {stats.not_modified} unchanged (304), "
        f"{len(stats.skipped)} skipped, {stats.failed} failed",
        found,
        f"http: {f.requests} requests, {f.retries} retries, {f.rate_limited} rate-limited "
        f"({f.waited:.0f} s waited), {f.bytes / 1e6:.1f} MB",
        f"time: {stats.duration:.1f} s "
        f"({(stats.pages + stats.not_modified) / max(stats.duration, 1e-9):.1f} pages/s)",
    ]
    if stats.errors:
        lines.append("errors: " + ", ".join(f"{kind} {n}" for kind, n in stats.errors.most_common()))
    if stats.loops:
        lines.append(f"pagination loops stopped: {stats.loops}")
    for url, reason in stats.skipped[:20]:
        lines.append(f"  skipped {url}: {reason}")
    for url, reason in stats.failures[:50]:
        lines.append(f"  failed {url}: {reason}")
    if len(stats.failures) > 50:
        listed = f" (listed in {state})" if resumable else ""
        lines.append(f"  … and {len(stats.failures) - 50} more failures{listed}")
    if interrupted:
        lines.append(f"interrupted: state saved in {state}; {go_on} to go on" if resumable else "interrupted")
    else:
        if stats.queued:  # only --max-pages ends a crawl with pages still queued
            more = (
                f"{go_on} and a higher --max-pages to go on"
                if resumable
                else "raise --max-pages to take them too"
            )
            lines.append(f"--max-pages reached with {stats.queued} page(s) still queued: {more}")
        if stats.retryable:
            lines.append(f"{stats.retryable} of the failed pages may pass later: {go_on} to retry them")
        elif stats.failures:
            lines.append("the failed pages fail for the reasons above; a retry alone will not fix them")
    err.print("\n".join(lines), markup=False)


def _crawl_exit(stats: CrawlStats, *, done_before: int = 0) -> ExitCode:
    """3 when nothing could be read at all (also not by the run a ``--resume`` continues, which
    wrote ``done_before`` records), 1 when some pages failed, else 0."""
    if stats.failures and not (stats.pages or stats.not_modified or done_before):
        return ExitCode.UNREADABLE
    return ExitCode.PARTIAL if stats.failures else ExitCode.OK


def _run_crawl(
    urls: list[str],
    settings: Settings,
    *,
    outputs: list[Path],
    quiet: bool,
    state_path: Path,
    stdout: bool = False,
    resumable: bool = True,
) -> None:
    """Open sinks and state, run the crawl, print the summary, exit with the documented code.
    ``resumable``: the state file outlives the run (not ``record``'s), so ``--resume`` is advice."""
    for url in urls:
        if not _is_page_url(url):
            raise _fail(f"not an absolute http(s) URL: {url!r}", ExitCode.USAGE)
    _check_fixture_folders(settings)
    _resolve_profile(settings.profile)  # a typo in --profile stops the crawl before any output opens
    _distinct_files(outputs, state_path)
    _check_outputs(outputs, resume=settings.resume, bulk_index=settings.bulk_index)
    stats: CrawlStats | None = None
    with ExitStack() as stack:
        stack.enter_context(_quiet_logs(quiet))
        try:  # the state first: outputs are opened (a new crawl empties them) only once it is usable
            state = stack.enter_context(CrawlState.open(state_path))
        except StateInUse as exc:
            raise _fail(str(exc), ExitCode.USAGE) from exc
        except (OSError, ValueError, sqlite3.Error) as exc:
            raise _fail(f"cannot use the crawl state {state_path}: {_one_line(exc)}", ExitCode.USAGE) from exc
        stamina.instrumentation.set_on_retry_hooks(
            [functools.partial(_log_retry, cap=settings.retry_after_cap)]
        )
        # The run is on record before the outputs are emptied: killed in between, --resume redoes it.
        try:
            state.start_run(
                settings.model_dump(mode="json"), resume=settings.resume, identity=RUN_IDENTITY, frontier=True
            )
        except StateMismatch as exc:
            raise _fail(f"{exc}; drop --resume, or give this crawl its own --state", ExitCode.USAGE) from exc
        except NothingToResume as exc:
            raise _fail(str(exc), ExitCode.USAGE) from exc
        done_before = state.records_done() if settings.resume else 0
        if done_before:
            _check_outputs_kept(outputs, state, done_before)
        try:
            sinks: list[Sink] = [
                stack.enter_context(
                    closing(open_sink(p, resume=settings.resume, bulk_index=settings.bulk_index))
                )
                for p in outputs
            ]
        except (OSError, ValueError) as exc:
            raise _fail(_one_line(exc), ExitCode.USAGE) from exc
        if stdout or (not outputs and settings.record is None):
            sinks.append(open_sink("-"))
        rejects = default_rejects_path(outputs[0]) if outputs else Path("topicscrape.rejects.jsonl")
        display = stack.enter_context(_Display(quiet=quiet))
        stack.enter_context(_terminate_as_interrupt())
        recorded = settings.record if not outputs and not stdout else None  # `record`: no records out
        try:
            stats = _run_async(
                crawl(urls, settings=settings, sinks=sinks, state=state, rejects=rejects, progress=display)
            )
        except KeyboardInterrupt:
            display.__exit__()
            if display.stats is not None and not quiet:
                _summary(
                    display.stats,
                    state=state_path,
                    interrupted=True,
                    resumable=resumable,
                    rejects=rejects,
                    recorded=recorded,
                )
            elif resumable:
                err.print(
                    f"interrupted: state saved in {state_path}; run the same command with --resume to go on"
                )
            else:
                err.print("interrupted")
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
        except OutputFailed as exc:
            display.__exit__()
            if isinstance(exc.cause, BrokenPipeError):
                raise  # the reader of standard output went away: main() ends quietly
            again = (
                f"run the same command with --resume (state in {state_path})" if resumable else "run it again"
            )
            raise _fail(f"{exc}; the crawl stopped: fix that, then {again}") from exc
        except FileNotFoundError as exc:
            raise _fail(_one_line(exc), ExitCode.USAGE) from exc
        except ParseError as exc:  # a bad --profile
            raise _fail(_one_line(exc), ExitCode.USAGE) from exc
    assert stats is not None
    code = _crawl_exit(stats, done_before=done_before)
    if not quiet:
        _summary(stats, state=state_path, resumable=resumable, rejects=rejects, recorded=recorded)
    elif code == ExitCode.UNREADABLE:  # -q silences the summary, not the news that nothing worked
        err.print(f"error: no page could be read ({stats.failed} failed); run without -q to see why")
    raise typer.Exit(int(code))


def _holds_records(path: Path) -> bool:
    """Whether an output file holds anything past what an empty one has (a CSV's header line)."""
    if not path.name.lower().endswith(".csv"):
        return path.stat().st_size > 0
    with path.open("rb") as fh:
        return fh.read(1 << 20).count(b"\n") >= 2


def _check_outputs_kept(outputs: list[Path], state: CrawlState, written: int) -> None:
    """Refuse to resume into an output that is gone (moved, deleted) while the saved crawl has
    finished pages: their records are in that file, and the resumed run would not write them again."""
    for path in outputs:
        if str(path) != "-" and (not path.exists() or not _holds_records(path)):
            raise _fail(
                f"{path} is missing or empty, but the crawl saved in {state.path} already wrote "
                f"{written} records to it; put it back, or crawl again without --resume",
                ExitCode.USAGE,
            )


def _check_fixture_folders(settings: Settings) -> None:
    """Refuse (exit 2) a ``--replay`` or ``--record`` target that cannot be used, before any output
    is opened: a typo in --replay must not truncate yesterday's records."""
    if settings.replay is not None:
        if not settings.replay.exists():
            raise _fail(f"fixture folder not found: {settings.replay}", ExitCode.USAGE)
        try:
            open_fixtures(settings.replay)
        except (OSError, ValueError, ScraperError) as exc:
            raise _fail(_naming(settings.replay, exc, "cannot replay"), ExitCode.USAGE) from exc
    if settings.record is not None and settings.record.exists():
        # Recording adds to what is there: a folder or WARC that cannot be read is named now.
        try:
            if is_warc_path(settings.record):
                check_appendable(settings.record)  # a record after a cut could never be read
            else:
                open_fixtures(settings.record)
        except (OSError, ValueError, ScraperError) as exc:
            raise _fail(_naming(settings.record, exc, "cannot record into"), ExitCode.USAGE) from exc


def _distinct_files(outputs: list[Path], state: Path) -> None:
    """Refuse an output named twice (every record written twice), or the state file as an output."""
    resolved = [path.resolve() for path in outputs]
    for number, key in enumerate(resolved):
        if key in resolved[:number]:
            raise _fail(
                f"{outputs[number]} is given twice as an output; name each output once", ExitCode.USAGE
            )
    if state.resolve() in resolved:
        raise _fail(
            f"{state} cannot be both an output and the crawl state; pass another --state", ExitCode.USAGE
        )


_T = TypeVar("_T")


class _Interrupted:
    """What the run's task returns when a KeyboardInterrupt was raised inside it."""


def _run_async(main: Coroutine[Any, Any, _T]) -> _T:
    """``asyncio.run(main)``, where an interrupt that lands inside the task still ends as one
    KeyboardInterrupt, without an asyncio traceback on standard error.

    A second Ctrl-C or SIGTERM raises KeyboardInterrupt in whatever task runs. A task that ends
    with an exception while asyncio.run shuts down is reported by asyncio ("Task exception was
    never retrieved", "unhandled exception during asyncio.run() shutdown"), so the run's task
    turns the interrupt into a return value, and it is raised again out here.
    """

    async def guarded() -> _T | _Interrupted:
        try:
            return await main
        except KeyboardInterrupt:
            return _Interrupted()

    result = asyncio.run(guarded())
    if isinstance(result, _Interrupted):
        raise KeyboardInterrupt
    return result


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (a pipeline stopping us) and SIGHUP save state like Ctrl-C does, while the crawl runs.

    The previous handler comes back afterwards: ``main()`` may run inside a longer-lived process.
    """

    def handler(signum: int, frame: object) -> None:
        # As SIGINT: inside asyncio.run that cancels the crawl (its state saved as interrupted), where
        # a KeyboardInterrupt raised here could land in any task's code and end the run as failed.
        if callable(signal.getsignal(signal.SIGINT)):
            signal.raise_signal(signal.SIGINT)
        else:  # SIGINT ignored (a background job): still stop
            raise KeyboardInterrupt

    previous: dict[signal.Signals, Any] = {}
    # SIGHUP too: the terminal a crawl runs in was closed (an ssh session dropped).
    for signum in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if signum is not None:
            with suppress(ValueError):  # not in the main thread: leave the default
                previous[signum] = signal.signal(signum, handler)
    try:
        yield
    finally:
        for signum, action in previous.items():
            signal.signal(signum, action)


def _outputs(output: list[Path] | None, db: Path | None) -> list[Path]:
    """The files a run writes: every ``-o`` but ``-`` (standard output), then ``--db``."""
    return [p for p in (output or []) if str(p) != "-"] + ([db] if db is not None else [])


def _first_file(output: list[Path] | None) -> Path | None:
    """The first ``-o`` that is a file (not ``-``)."""
    return next((p for p in output or [] if str(p) != "-"), None)


def _config_outputs(output: list[Path] | None, settings: Settings) -> list[Path]:
    """Every output: the ``-o`` flags, else the ``output`` of a ``--config`` file; then ``db``
    (the flag's, else the file's: ``settings`` has both, flags first). Refuses (exit 2) a path
    with no file name (``-o ''``, ``-o .``) and a ``--db`` not named as a SQLite database."""
    files = output or ([settings.output] if settings.output is not None else [])
    outputs = _outputs(files, settings.db)
    for path in [*outputs, *([settings.state] if settings.state is not None else [])]:
        if not path.name or path.name in (".", "..") or str(path).endswith("/"):
            raise _fail(f"{str(path)!r} is not a file name: give one, e.g. out.jsonl", ExitCode.USAGE)
    if settings.db is not None and not settings.db.name.lower().endswith(SQLITE_SUFFIXES):
        raise _fail(
            f"--db {settings.db}: --db writes a SQLite database; name it .sqlite (for other formats use -o)",
            ExitCode.USAGE,
        )
    return outputs


def _to_stdout(output: list[Path] | None) -> bool:
    """``-o -`` was given: standard output too, whatever files are written beside it."""
    return any(str(p) == "-" for p in output or [])


# Options shared by several commands, declared once.
OutputOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--output",
        "-o",
        help="Write records to FILE (.jsonl, .csv, .bulk.ndjson, .sqlite); repeatable. "
        "Default: JSON Lines on stdout.",
    ),
]
DbOption = Annotated[
    Path | None,
    typer.Option(
        help="Also upsert records into this SQLite database (full-text searchable). A re-crawl with "
        "--db and no -o asks for changed pages only (ETag/Last-Modified)."
    ),
]
BulkIndexOption = Annotated[
    str | None,
    typer.Option(
        help="The _index of a .bulk.ndjson output's action lines (Elasticsearch/OpenSearch rules: "
        'lowercase, no spaces or \\/*?"<>|,#).  \\[default: topicscrape]'
    ),
]
WaybackDbOption = Annotated[
    Path | None,
    typer.Option("--db", help="Also upsert records into this SQLite database (full-text searchable)."),
]
WaybackConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="TOML file of settings (its relative paths are relative to it); flags override it. "
        "Keys are the flags' names with _ for - (from_date, to_date for --from, --to); more: "
        "cdx_per_minute, captures_per_second, cdx_page_size, read_timeout, connect_timeout, "
        "max_attempts, backoff_initial, backoff_max, proxy, user_agent.",
    ),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option(
        help="TOML file of settings (its relative paths are relative to it); flags override it. "
        "Keys are the flags' names with _ for -, except "
        "timeout (read_timeout) and no_robots (obey_robots = false); more: connect_timeout, "
        "max_attempts, backoff_initial, backoff_max, max_crawl_delay, max_redirects, proxy."
    ),
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", metavar="", help="No progress and no summary.")]


@app.command("crawl")
def crawl_command(
    urls: Annotated[list[str], typer.Argument(help="Topic listing pages to start from.", show_default=False)],
    output: OutputOption = None,
    db: DbOption = None,
    bulk_index: BulkIndexOption = None,
    replay: Annotated[
        Path | None,
        typer.Option(help="Answer every request from this fixture folder (or .warc.gz); opens no socket."),
    ] = None,
    record: Annotated[
        Path | None,
        typer.Option(help="Save every response into this fixture folder (or .warc.gz) while crawling."),
    ] = None,
    max_pages: Annotated[int | None, typer.Option(min=1, help="Stop after N listing pages in all.")] = None,
    concurrency: Annotated[
        int | None, typer.Option(min=1, help="Requests in flight per host at most.  \\[default: 2]")
    ] = None,
    delay: Annotated[
        float | None,
        typer.Option(
            min=0,
            help="Seconds between requests to one host (robots.txt Crawl-delay may raise it)."
            "  \\[default: 1.0]",
        ),
    ] = None,
    state: Annotated[
        Path | None, typer.Option(help="Crawl-state file (SQLite).  \\[default: beside the output]")
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            metavar="",
            help="Go on with the crawl saved in the state file (after a kill or Ctrl-C); refused "
            "when it finished with nothing left to do.",
        ),
    ] = False,
    no_robots: Annotated[
        bool, typer.Option("--no-robots", metavar="", help="Do not fetch or obey robots.txt.")
    ] = False,
    allow_offsite: Annotated[
        bool,
        typer.Option(
            "--allow-offsite", metavar="", help="Follow redirects and next-page links to other sites."
        ),
    ] = False,
    stop_at_seen: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Stop a topic once N teasers in a row were seen in an earlier run (daily re-crawls). "
            "Earlier runs are known from the state file: keep the same --state (or -o/--db) every day.",
        ),
    ] = None,
    profile: Annotated[
        str | None, typer.Option(help="Template profile NAME or TOML FILE; default: auto-detect.")
    ] = None,
    backend: Annotated[
        Backend | None, typer.Option(help="HTML parser backend.  \\[default: lexbor]", show_default=False)
    ] = None,
    user_agent: Annotated[
        str | None, typer.Option(help="User-Agent header.  \\[default: topicscrape/VERSION (+project URL)]")
    ] = None,
    timeout: Annotated[
        float | None, typer.Option(min=0.1, help="Read timeout in seconds.  \\[default: 30]")
    ] = None,
    total_timeout: Annotated[
        float | None,
        typer.Option(
            min=0.1,
            help="Longest a whole answer may take, in seconds (a server trickling a page in).  "
            "\\[default: 120, or --timeout if longer]",
        ),
    ] = None,
    max_bytes: Annotated[
        int | None, typer.Option(min=1, help="Largest response body in bytes.  \\[default: 10 MB]")
    ] = None,
    retry_after_cap: Annotated[
        float | None,
        typer.Option(min=0, help="Longest Retry-After wait honoured, in seconds.  \\[default: 300]"),
    ] = None,
    config: ConfigOption = None,
    quiet: QuietOption = False,
) -> None:
    """Crawl topic pages and their pagination into records.

    Examples:

    [bold]topicscrape crawl https://www.dhs.gov/keywords/secure-communities \\
        --replay fixtures/ -o records.jsonl[/]

    [bold]topicscrape crawl URL1 URL2 -o out.jsonl --db out.sqlite --concurrency 4 --delay 0.5[/]

    Killed or stopped? Go on: [bold]topicscrape crawl URL1 URL2 -o out.jsonl --resume[/]

    Daily, only what is new: [bold]topicscrape crawl URL --db news.sqlite --stop-at-seen 10[/]
    (unchanged pages answer 304; a topic stops at 10 known teasers in a row)

    Settings from a file: [bold]topicscrape crawl URL -o out.jsonl --config crawl.toml[/] with e.g.
    [bold]delay = 2.0[/], [bold]read_timeout = 60[/], [bold]max_attempts = 6[/]

    Polite by default (robots.txt, 2 requests per host, 1 s apart, Retry-After honoured).
    Kill it at any moment: the same command with [bold]--resume[/] goes on where it stopped.
    Exit 0 done; 1 some pages failed (listed); 2 usage error; 3 nothing could be read; 130 interrupted.
    """
    outputs = _outputs(output, db)
    settings = _settings(
        config,
        output=_first_file(output),
        db=db,
        bulk_index=bulk_index,
        replay=replay,
        record=record,
        max_pages=max_pages,
        concurrency=concurrency,
        delay=delay,
        state=state,
        resume=resume or None,
        obey_robots=False if no_robots else None,
        allow_offsite=allow_offsite or None,
        stop_at_seen=stop_at_seen,
        profile=profile,
        backend=backend.value if backend is not None else None,
        user_agent=user_agent,
        read_timeout=timeout,
        total_timeout=total_timeout,
        max_bytes=max_bytes,
        retry_after_cap=retry_after_cap,
    )
    outputs = _config_outputs(output, settings)
    _check_bulk_index(bulk_index, outputs)
    state_path = settings.state or default_state_path(settings.output, settings.db)
    _run_crawl(urls, settings, outputs=outputs, quiet=quiet, state_path=state_path, stdout=_to_stdout(output))


class _WaybackDisplay:
    """Progress of a wayback run: a Rich bar over the listed captures on a terminal, else nothing."""

    def __init__(self, *, quiet: bool) -> None:
        self.live = err.is_terminal and not quiet
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total} captures"),
            TextColumn("[yellow]{task.fields[skipped]} skipped"),
            TextColumn("[red]{task.fields[failed]} failed"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        )
        self.task = self.progress.add_task("wayback", total=None, skipped=0, failed=0)
        self.skipped = self.failed = 0

    def __enter__(self) -> _WaybackDisplay:
        if self.live:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live:
            self.progress.stop()

    def __call__(self, event: WaybackEvent) -> None:
        self.skipped += event.kind == "skipped"
        self.failed += event.kind == "failed"
        if self.live:
            self.progress.update(
                self.task,
                completed=event.done,
                total=event.total or None,
                skipped=self.skipped,
                failed=self.failed,
            )


def _wayback_summary(stats: WaybackStats, *, state: Path | None, cdx_url: str, replay: Path | None) -> None:
    """The end-of-run summary on standard error: captures, records, requests, every note."""
    f = stats.fetch
    lines = [
        f"captures: {stats.listed} listed: {stats.snapshots} read with their pages, "
        f"{stats.same_as_listed} the same as another listed (the archive redirected), "
        f"{stats.skipped_captures} skipped, {stats.failed_captures} failed"
        + (f", {stats.unread} not read" if stats.unread else ""),
        f"records: {stats.records} written ({stats.teasers} teasers)"
        + (
            f", {stats.rejected} rejected (see {stats.rejects})"
            if stats.rejects is not None
            else f", {stats.rejected} rejected (logged above)"
            if stats.rejected
            else ""
        ),
        f"archive: {stats.cdx_requests} CDX requests, {stats.capture_requests} capture requests, "
        f"{f.retries} retries, {f.rate_limited} rate-limited",
    ]
    if stats.identical or stats.reused or stats.resumed:
        lines.append(
            f"not fetched: {stats.identical} identical to a capture read (same digest), "
            f"{stats.reused} already read for another snapshot"
            + (f", {stats.resumed} read before the --resume" if stats.resumed else "")
        )
    for url, reason in stats.skipped[:20]:
        lines.append(f"  skipped {url}: {reason}")
    for url, reason in stats.failed[:50]:
        lines.append(f"  failed {url}: {reason}")
    if stats.failed and stats.records:  # with no record, the error line after this says what to do
        what = "the CDX listing" if _wayback_cdx_failure(stats, cdx_url) else "some captures"
        lines.append(f"{what} failed; {_wayback_again(state, replay, 'retry')}")
    err.print("\n".join(lines), markup=False)


def _wayback_changes(stats: WaybackStats, out: Console) -> None:
    """``--summary``: per capture date, how many teasers appeared and disappeared."""
    table = Table(box=None, show_edge=False)
    for heading in ("capture (UTC)", "teasers", "appeared", "disappeared"):
        table.add_column(heading, no_wrap=True)
    table.add_column("")  # the note wraps when the terminal is narrow, never the figures
    for change in stats.changes:
        table.add_row(
            change.archived_at.strftime("%Y-%m-%d %H:%M"),
            str(change.teasers),
            f"+{len(change.appeared)}",
            f"-{len(change.disappeared)}",
            change.note,
        )
    out.print(table)


def _wayback_exit(stats: WaybackStats) -> ExitCode:
    """3 when nothing was written (excluded, nothing in the range, or every read failed, as a crawl
    whose every page failed); 1 when records were written but something failed; else 0."""
    if stats.blocked is not None or stats.records == 0:
        return ExitCode.UNREADABLE
    return ExitCode.PARTIAL if stats.failed else ExitCode.OK


def _wayback_cdx_failure(stats: WaybackStats, cdx_url: str) -> tuple[str, str] | None:
    """The first failed CDX request of the run, if any."""
    return next(((u, why) for u, why in stats.failed if u.startswith(cdx_url)), None)


def _wayback_nothing_read(
    stats: WaybackStats, url: str, *, state: Path | None, cdx_url: str, replay: Path | None
) -> str:
    """The one line for a run that wrote nothing: what could not be read, and how to go on."""
    if not stats.failed:
        return f"no readable capture of {url} in the archive for this range"
    cdx = _wayback_cdx_failure(stats, cdx_url)
    if cdx is not None:
        what = f"the CDX listing of {url} could not be read ({cdx[1]})"
    else:
        first = stats.failed[0][1]
        what = f"no capture of {url} could be read ({len(stats.failed)} failed; the first: {first})"
    return f"{what}; nothing was written; {_wayback_again(state, replay, 'try again')}"


def _wayback_again(state: Path | None, replay: Path | None, retry: str) -> str:
    """How to get what failed: a live run retries; a replay cannot, its folder lacks the answers."""
    if replay is not None:
        return f"{replay} does not hold them: record the run live with --record to replay it"
    if state is not None:
        return f"run the same command with --resume to {retry} (state in {state})"
    return f"run it again later to {retry}"


def _wayback_mismatch(exc: StateMismatch) -> str:
    """The one line for a --resume of another run's state: whose it is, and the way out."""
    stored = exc.stored
    if stored is None or stored.get("command") != "wayback":
        whose = "another run (not a wayback run that recorded its page and range)"
    else:
        low, high = stored.get("from"), stored.get("to")
        span = (
            f"from {low} to {high}"
            if low and high
            else f"from {low} on"
            if low
            else f"up to {high}"
            if high
            else "all dates"
        )
        extra = "".join(
            f", {label} {stored.get(key)}"
            for key, label in (("cdx_url", "CDX"), ("archive_url", "archive"))
            if stored.get(key) != exc.wanted.get(key)
        )
        whose = f"a wayback run of {stored.get('url')} ({span}{extra})"
    way_out = "drop --resume to start this run afresh, or choose another -o/--state"
    return f"{exc.path} belongs to {whose}; {way_out}"


def _check_bulk_index(flag: str | None, outputs: list[Path]) -> None:
    """Refuse (exit 2) a ``--bulk-index`` that no output uses: the index it names would be lost."""
    if flag is not None and not any(path.name.lower().endswith(BULK_SUFFIXES) for path in outputs):
        raise _fail(
            f"--bulk-index {flag} names the index of a bulk output, and no output is one: "
            "name -o FILE.bulk.ndjson, or drop --bulk-index",
            ExitCode.USAGE,
        )


def _check_outputs(outputs: list[Path], *, resume: bool, bulk_index: str, unique: bool = True) -> None:
    """Refuse (exit 2) any output that could not be opened, before the state file or any output is
    touched: a later output that fails must not find an earlier one already emptied."""
    for path in outputs:
        try:
            check_output(path, resume=resume, bulk_index=bulk_index, unique=unique)
        except (OSError, ValueError) as exc:
            raise _fail(_one_line(exc), ExitCode.USAGE) from exc


@app.command("wayback")
def wayback_command(
    url: Annotated[str, typer.Argument(help="The topic page's original URL.", show_default=False)],
    from_: Annotated[
        str | None,
        typer.Option("--from", help="Earliest capture: 2011, 2011-03, 2011-03-15 or a Wayback timestamp."),
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", help="Latest capture, inclusive (2017 means to the end of 2017).")
    ] = None,
    output: OutputOption = None,
    db: WaybackDbOption = None,
    bulk_index: BulkIndexOption = None,
    cdx_url: Annotated[
        str | None,
        typer.Option(help="CDX search endpoint.  \\[default: https://web.archive.org/cdx/search/cdx]"),
    ] = None,
    archive_url: Annotated[
        str | None,
        typer.Option(
            help="Where captures are read, up to the timestamp: .../web/, or a pywb collection's "
            ".../<coll>/.  \\[default: https://web.archive.org/web/]"
        ),
    ] = None,
    replay: Annotated[
        Path | None,
        typer.Option(help="Answer every request from this fixture folder (fixtures/wayback); no network."),
    ] = None,
    record: Annotated[
        Path | None,
        typer.Option(
            help="Save every archive answer into this fixture folder (or .warc.gz), to --replay the run."
        ),
    ] = None,
    all_captures: Annotated[
        bool,
        typer.Option(
            "--all-captures", metavar="", help="One record per teaser per capture (not with SQLite outputs)."
        ),
    ] = False,
    summary: Annotated[
        bool,
        typer.Option(
            "--summary",
            metavar="",
            help="Print, per capture date, how many teasers appeared and disappeared.",
        ),
    ] = False,
    state: Annotated[
        Path | None,
        typer.Option(help="State file (SQLite).  \\[default: beside the output; in memory without one]"),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume", metavar="", help="Go on with the run saved in the state file; captures read are kept."
        ),
    ] = False,
    concurrency: Annotated[
        int | None, typer.Option(min=1, help="Captures read at once.  \\[default: 2]")
    ] = None,
    config: WaybackConfigOption = None,
    quiet: QuietOption = False,
) -> None:
    """Every teaser a topic page ever listed, from its Wayback Machine captures, with first/last seen.

    Examples:

    [bold]topicscrape wayback https://www.dhs.gov/keywords/secure-communities --from 2011 --to 2017 \\
        -o sc.jsonl --summary[/]

    Offline, from the bundled fixtures: [bold]topicscrape wayback \\
        https://www.dhs.gov/keywords/secure-communities --replay fixtures/wayback -o sc.csv[/]

    Lists the captures (CDX API), reads each as captured with its pager pages at the nearest capture,
    and merges teasers by id; a capture identical to one read counts as a sighting but is not fetched
    again. Polite to the archive: at most 24 CDX requests a minute and 8 captures a second; a 429 is
    waited out (Retry-After, else 60 s). The output is written at the end, only if there is something
    to write; kill it at any moment and [bold]--resume[/] goes on without fetching again.
    Exit 0 done; 1 some captures failed (listed); 2 usage error; 3 nothing written (nothing readable,
    the archive excludes the URL, or every request failed: --resume retries); 130 interrupted.
    """
    if not _is_page_url(url):
        raise _fail(f"not an absolute http(s) URL: {url!r}", ExitCode.USAGE)
    try:
        from_date, to_date = cdx_range(from_, to)
    except ValueError as exc:
        raise _fail(f"--from/--to: {exc}", ExitCode.USAGE) from exc
    outputs, stdout = _outputs(output, db), _to_stdout(output)
    settings = _settings(
        config,
        output=_first_file(output),
        db=db,
        bulk_index=bulk_index,
        replay=replay,
        record=record,
        from_date=from_date,
        to_date=to_date,
        cdx_url=cdx_url,
        archive_url=archive_url,
        all_captures=all_captures or None,
        summary=summary or None,
        state=state,
        resume=resume or None,
        concurrency=concurrency,
    )
    try:
        archive_prefix(settings.archive_url)
    except ValueError as exc:
        raise _fail(f"--archive-url: {exc}", ExitCode.USAGE) from exc
    _check_fixture_folders(settings)
    outputs = _config_outputs(output, settings)
    _check_bulk_index(bulk_index, outputs)
    state_path = settings.state or (default_state_path(settings.output, settings.db) if outputs else None)
    if settings.resume and (state_path is None or not state_path.exists()):
        raise _fail(
            "--resume needs the state file of an earlier run (--state FILE, or -o/--db)", ExitCode.USAGE
        )
    unique = not settings.all_captures
    if state_path is not None:
        _distinct_files(outputs, state_path)
    # Outputs are opened, and emptied, only when there are records to write: a run that fails
    # leaves the previous output as it was.
    _check_outputs(outputs, resume=False, bulk_index=settings.bulk_index, unique=unique)
    stats: WaybackStats | None = None
    with ExitStack() as stack:
        stack.enter_context(_quiet_logs(quiet))
        try:
            crawl_state = stack.enter_context(CrawlState.open(state_path)) if state_path is not None else None
        except StateInUse as exc:
            raise _fail(str(exc), ExitCode.USAGE) from exc
        except (OSError, ValueError, sqlite3.Error) as exc:
            raise _fail(_one_line(exc), ExitCode.USAGE) from exc

        def open_sinks() -> list[Sink]:
            # Called at the end, with records to write: a run that read nothing leaves the outputs be.
            # resume=False even with --resume: the merged output is rewritten whole.
            sinks: list[Sink] = [
                stack.enter_context(
                    closing(open_sink(p, resume=False, unique=unique, bulk_index=settings.bulk_index))
                )
                for p in outputs
            ]
            if stdout or not sinks:
                sinks.append(open_sink("-", unique=unique))
            return sinks

        display = stack.enter_context(_WaybackDisplay(quiet=quiet))
        stack.enter_context(_terminate_as_interrupt())
        try:
            stats = _run_async(
                run_wayback(
                    url,
                    settings=settings,
                    open_sinks=open_sinks,
                    state=crawl_state,
                    rejects=default_rejects_path(outputs[0]) if outputs else None,
                    progress=display,
                )
            )
        except KeyboardInterrupt:
            display.__exit__()
            where = f"state saved in {state_path}; run the same command with --resume to go on"
            err.print(f"interrupted: {where}" if state_path is not None else "interrupted")
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
        except StateMismatch as exc:
            raise _fail(_wayback_mismatch(exc), ExitCode.USAGE) from exc
        except CdxNotRecorded as exc:  # names the ranges the folder holds CDX answers for
            raise _fail(str(exc)) from exc
        except FixtureMissing as exc:
            raise _fail(
                f"{exc.url} is not in {exc.folder}: a replay answers only the requests of the run it "
                "was recorded from (same URL, --from and --to)"
            ) from exc
        except (ScraperError, FileNotFoundError) as exc:
            raise _fail(_one_line(exc)) from exc
        except BrokenPipeError:
            raise  # the reader of standard output went away: main() ends quietly
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EIO, errno.EDQUOT):  # the disk, not the command line
                raise _fail(f"cannot write the output: {exc.strerror or exc}") from exc
            raise _fail(_one_line(exc), ExitCode.USAGE) from exc
        except ValueError as exc:  # a bad setting, an output that cannot take these records
            raise _fail(_one_line(exc), ExitCode.USAGE) from exc
    assert stats is not None
    if stats.blocked is not None:
        raise _fail(f"{url}: {stats.blocked}; nothing can be read from the archive")
    if not quiet:
        _wayback_summary(stats, state=state_path, cdx_url=settings.cdx_url, replay=settings.replay)
    if summary:
        _wayback_changes(stats, Console(stderr=not outputs, highlight=False, soft_wrap=False))
    if stats.records == 0:
        raise _fail(
            _wayback_nothing_read(
                stats, url, state=state_path, cdx_url=settings.cdx_url, replay=settings.replay
            )
        )
    raise typer.Exit(int(_wayback_exit(stats)))


@app.command()
def record(
    urls: Annotated[
        list[str] | None,
        typer.Argument(help="Topic listing pages to save, with their pagination.", show_default=False),
    ] = None,
    to: Annotated[
        Path, typer.Option("--to", help="Fixture folder (or FILE.warc.gz) to write.", show_default=False)
    ] = Path(),
    from_warc: Annotated[
        Path | None,
        typer.Option("--from-warc", help="Take the responses from this WARC file, not the network."),
    ] = None,
    max_pages: Annotated[int | None, typer.Option(min=1, help="Stop after N pages in all.")] = None,
    delay: Annotated[
        float | None, typer.Option(min=0, help="Seconds between requests to one host.  \\[default: 1.0]")
    ] = None,
    no_robots: Annotated[
        bool, typer.Option("--no-robots", metavar="", help="Do not fetch or obey robots.txt.")
    ] = False,
    quiet: QuietOption = False,
) -> None:
    """Save pages and their pagination as fixtures, to replay offline forever.

    Example: [bold]topicscrape record https://www.dhs.gov/keywords/secure-communities --to fixtures/dhs[/]

    Or from a web archive: [bold]topicscrape record --from-warc crawl.warc.gz --to fixtures/site[/]

    Then: [bold]topicscrape crawl URL --replay fixtures/dhs[/] gives the same records with no network.
    Re-recording updates the folder's index.json; cookies and Authorization are never saved.
    """
    if str(to) in ("", "."):
        raise _fail("--to DIR is required: the fixture folder (or FILE.warc.gz) to write", ExitCode.USAGE)
    if from_warc is not None:
        if urls:
            raise _fail("give either URLs or --from-warc, not both", ExitCode.USAGE)
        if is_warc_path(to):
            raise _fail(f"--from-warc writes a fixture folder: give --to a folder, not {to}", ExitCode.USAGE)
        if from_warc.is_dir():
            raise _fail(
                f"{from_warc} is a folder; --from-warc reads a .warc or .warc.gz file", ExitCode.USAGE
            )
        try:
            saved = warc_to_folder(from_warc, to)
        except FileNotFoundError as exc:
            raise _fail(f"{from_warc}: no such file") from exc
        except (OSError, ValueError) as exc:
            raise _fail(_naming(from_warc, exc, "cannot read")) from exc
        err.print(f"saved {saved} response(s) from {from_warc} into {to}", markup=False)
        return
    if not urls:
        raise _fail("give the URLs to record, or --from-warc FILE", ExitCode.USAGE)
    settings = _settings(
        None, record=to, max_pages=max_pages, delay=delay, obey_robots=False if no_robots else None
    )
    with tempfile.TemporaryDirectory(prefix="topicscrape-record-") as tmp:
        _run_crawl(
            urls, settings, outputs=[], quiet=quiet, state_path=Path(tmp) / "state.sqlite", resumable=False
        )


@app.command()
def serve(
    folder: Annotated[
        Path, typer.Argument(help="A fixture folder (or .warc.gz) to serve.", show_default=False)
    ],
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="Port on 127.0.0.1; 0 picks a free one.")
    ] = 8000,
) -> None:
    """Serve a fixture folder over HTTP on 127.0.0.1, with its recorded status and headers.

    Example: [bold]topicscrape serve fixtures/dhs --port 8000[/], then
    [bold]topicscrape crawl http://127.0.0.1:8000/keywords/secure-communities -o out.jsonl[/]

    Any client works (curl, a browser, Scrapy). ETag and Last-Modified requests get 304. A URL that
    was not recorded gets a 404 naming the command that records it. Stop it with Ctrl-C.
    """
    if not folder.exists():
        raise _fail(f"{folder}: no such fixture folder or WARC file", ExitCode.USAGE)
    try:
        source = open_fixtures(folder)  # a broken folder is named as such, not taken for a port problem
    except (OSError, ValueError, ScraperError) as exc:
        raise _fail(_naming(folder, exc, "cannot serve"), ExitCode.USAGE) from exc
    if len(source) == 0:  # every request would be a 404: most likely the wrong folder
        raise _fail(
            f"{folder} holds no recorded responses, so every request would be a 404; record "
            f"some first: topicscrape record URL --to {folder}",
            ExitCode.USAGE,
        )
    out = Console(highlight=False, soft_wrap=True)
    try:
        run_server(folder, port=port, announce=lambda line: out.print(line, markup=False))
    except OSError as exc:
        raise _fail(
            f"cannot serve on 127.0.0.1:{port}: {exc.strerror or exc} (try --port 0)", ExitCode.USAGE
        ) from exc
    except ValueError as exc:
        raise _fail(f"{folder}: {_one_line(exc)}", ExitCode.USAGE) from exc
    err.print("stopped", markup=False)


@app.command()
def search(
    db: Annotated[Path, typer.Argument(help="A SQLite database written with --db.", show_default=False)],
    query: Annotated[
        str,
        typer.Argument(
            help="Words to find in titles and excerpts (FTS5 syntax allowed).", show_default=False
        ),
    ],
    limit: Annotated[int, typer.Option(min=1, help="Most records to print.")] = 20,
    json_lines: Annotated[
        bool, typer.Option("--json", metavar="", help="Print JSON Lines instead of a table.")
    ] = False,
) -> None:
    """Full-text search over a crawl database; best matches first.

    Example: [bold]topicscrape search out.sqlite "secure communities"[/]
    """
    if not db.is_file():
        raise _fail(f"{db}: no such database (write one with `topicscrape crawl … --db {db}`)")
    try:
        found = search_records(db, query, limit)
    except SearchQueryError as exc:
        raise _fail(f'{exc}; search for words, e.g. "secure communities"', ExitCode.USAGE) from exc
    except ValueError as exc:  # not a (topicscrape) database: the message names the file
        raise _fail(f"{_one_line(exc)}; search reads what crawl writes with --db FILE.sqlite") from exc
    except (OSError, sqlite3.Error) as exc:
        raise _fail(f"{db}: {_one_line(exc)}") from exc
    if json_lines:
        for rec in found:
            typer.echo(rec.model_dump_json())
        return
    table = Table(box=None, show_edge=False)
    table.add_column("date", no_wrap=True)
    table.add_column("title", ratio=1)
    table.add_column("url", overflow="fold")  # whole, to copy: folded, never cut with "…"
    for rec in found:
        table.add_row(str(rec.date or ""), Text(rec.title), Text(rec.url or rec.source_url))
    Console(soft_wrap=False).print(table)
    err.print(f"{len(found)} record(s)", markup=False)


@contextmanager
def _quiet_logs(quiet: bool) -> Iterator[None]:
    """``--quiet``: warnings (retries, skipped pages) go unprinted too; errors still print."""
    root = logging.getLogger()
    level = root.level
    if quiet:
        root.setLevel(max(level, logging.ERROR))
    try:
        yield
    finally:
        root.setLevel(level)


def _log_retry(details: stamina.instrumentation.RetryDetails, *, cap: float | None = None) -> None:
    """A retry as one line that says which URL failed how, and when the next try is (a server's
    Retry-After is waited out by the client, up to ``cap``; stamina reports 0 for it)."""
    failure = details.caused_by
    wait = details.wait_for
    if isinstance(failure, RateLimited) and failure.retry_after is not None:
        wait = failure.retry_after if cap is None else min(failure.retry_after, cap)
    logger.warning("retry %d in %.1f s: %s", details.retry_num, wait, _one_line(failure))


class _ConsoleLog(logging.Handler):
    """Log lines through Rich's console: above the progress bar on a terminal, and never wrapped,
    so a URL or a suggested command stays whole on its line in a CI log."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            err.print(self.format(record), markup=False, highlight=False)
        except Exception:  # logging must never raise into the crawl
            self.handleError(record)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit code (``topicscrape`` and ``python -m scraper``)."""
    logging.basicConfig(level=logging.WARNING, handlers=[_ConsoleLog()])
    # bs4's detector logs each replacement character it makes; our own one-line error says it all.
    logging.getLogger("bs4").setLevel(logging.ERROR)
    # stamina's own hook logs "stamina.retry_scheduled" with the details out of sight.
    stamina.instrumentation.set_on_retry_hooks([_log_retry])
    try:
        app(args=list(argv) if argv is not None else None, prog_name="topicscrape")
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else int(ExitCode.USAGE))
    except KeyboardInterrupt:
        err.print("interrupted")
        return int(ExitCode.INTERRUPTED)
    except (BrokenPipeError, OutputFailed) as exc:
        if isinstance(exc, OutputFailed) and not isinstance(exc.cause, BrokenPipeError):
            raise
        # `topicscrape … | head`: the reader has what it wanted. Stop as quietly as a Unix tool,
        # without Python's own "Exception ignored … BrokenPipeError" when it flushes at exit.
        _discard_stdout()
        return int(ExitCode.PARTIAL)
    except OSError as exc:  # standard output on a full disk, a file system gone: one line
        err.print(f"error: {exc.strerror or exc}{f': {exc.filename}' if exc.filename else ''}")
        _discard_stdout()
        return int(ExitCode.UNREADABLE)
    return int(ExitCode.OK)


def _discard_stdout() -> None:
    """Point standard output at /dev/null, so the final flush cannot fail again."""
    with suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
