"""``topicscrape``: argv in, settings, library calls, an exit code out.

Exit codes (DESIGN.md): 0 done; 1 done but some pages failed (each listed); 2 usage error;
3 input cannot be read or parsed at all; 130 interrupted (state saved; ``--resume`` goes on).
This is the only module that configures logging or prints.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import signal
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, closing, contextmanager, suppress
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Annotated, TextIO

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from parsers import NoTeasersFound, ParseError, Record, TopicPage, parse_text_dump, parse_topic_page
from parsers.decode import decode_html
from parsers.profiles import Profile, resolve_profile
from parsers.text import looks_like_text_dump
from scraper.crawl import CrawlStats, crawl
from scraper.errors import FixtureMissing, ScraperError
from scraper.frontier import CrawlState, default_state_path
from scraper.serve import run_server
from scraper.settings import Settings
from scraper.sinks import Sink, default_rejects_path, open_sink
from scraper.sinks import search as search_records
from scraper.warc import is_warc_path, iter_warc_pages, warc_to_folder
from scraper.wayback import WaybackEvent, WaybackStats, cdx_date, run_wayback

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
err = Console(stderr=True, highlight=False, soft_wrap=True)


class Backend(StrEnum):
    """HTML backends (see parsers.backends)."""

    lexbor = "lexbor"
    soup = "soup"


def _fail(message: str, code: ExitCode = ExitCode.UNREADABLE) -> typer.Exit:
    err.print(f"[red]error:[/] {message}", markup=True)
    return typer.Exit(int(code))


def _open_output(path: Path | None) -> TextIO:
    if path is None or str(path) == "-":
        return sys.stdout
    try:
        return path.open("w", encoding="utf-8", newline="\n")
    except OSError as exc:
        raise _fail(f"cannot write {path}: {exc.strerror or exc}") from exc


def _resolve_profile(value: str | None) -> Profile | str | None:
    try:
        return resolve_profile(value)
    except ParseError as exc:
        raise _fail(str(exc), ExitCode.USAGE) from exc


def _read_input(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    file = Path(path)
    try:
        return file.read_bytes()
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
    if path.endswith(".txt") or ((profile is None or profile == "text") and _is_dump(data)):
        yield parse_text_dump(decode_html(data), url=url, source=source), None
        return
    yield parse_topic_page(data, url=page_url, profile=profile, backend=backend), None


def _parse_warc(
    path: str, *, backend: str, profile: Profile | str | None
) -> Iterator[tuple[TopicPage, dt.datetime | None]]:
    """Every listing page in a WARC file; a capture without teasers is skipped with a note."""
    try:
        pages = list(iter_warc_pages(path))
    except (OSError, ValueError) as exc:
        raise ParseError(_one_line(exc)) from exc
    for page in pages:
        try:
            yield (
                parse_topic_page(
                    page.body, url=page.url, profile=profile, backend=backend, content_type=page.content_type
                ),
                page.fetched_at,
            )
        except NoTeasersFound:
            err.print(f"note: {path}: {page.url}: no teasers", markup=False)
    if not pages:
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


@app.command()
def parse(
    paths: Annotated[
        list[str],
        typer.Argument(help="HTML pages, text dumps, or '-' for standard input.", show_default=False),
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
    out = _open_output(output)
    written = unreadable = empty = 0
    try:
        for path in paths:
            try:
                for page, fetched_at in _parse_one(path, url=url, backend=backend.value, profile=chosen):
                    for record in page.to_records(fetched_at=fetched_at):
                        out.write(record.model_dump_json() + "\n")
                        written += 1
                    _warn_unresolved(path, page)
            except NoTeasersFound:
                empty += 1
                err.print(f"[yellow]warning:[/] {path}: no teasers found (try --profile)", markup=True)
            except ParseError as exc:
                unreadable += 1
                err.print(f"[red]error:[/] {path}: {exc}", markup=True)
    finally:
        if out is not sys.stdout:
            out.close()
        else:
            out.flush()
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
    file: Annotated[Path, typer.Argument(help="A JSON Lines file of records.", show_default=False)],
) -> None:
    """Check a JSON Lines file against the record schema; report every bad line by number.

    Example: [bold]topicscrape validate records.jsonl[/]

    Exit 0 if every line is a valid record, 1 if any is not, 3 if the file cannot be read.
    """
    try:
        handle = file.open("rb")
    except OSError as exc:
        raise _fail(f"{file}: {exc.strerror or exc}") from exc
    bad = total = 0
    seen: dict[str, int] = {}
    with handle:
        for number, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            total += 1
            reason = _check_line(raw, number, seen)
            if reason:
                bad += 1
                err.print(f"{file}:{number}: {reason}", markup=False)
    summary = f"{file}: {total - bad} of {total} records valid"
    err.print(summary if not bad else f"[red]{summary}[/]", markup=True)
    if bad:
        raise typer.Exit(int(ExitCode.PARTIAL))


def _check_line(raw: bytes, number: int, seen: dict[str, int]) -> str | None:
    try:
        record = Record.model_validate_json(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'line'}: {e['msg']}" for e in exc.errors()
        )
        return problems
    if record.id in seen:
        return f"duplicate id {record.id} (first on line {seen[record.id]})"
    seen[record.id] = number
    return None


def _settings(config: Path | None, **flags: object) -> Settings:
    """Settings from an optional TOML file, overridden by the flags the user gave."""
    try:
        if config is not None:
            return Settings.from_toml(config, **flags)
        return Settings(**{k: v for k, v in flags.items() if v is not None})
    except (OSError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
        raise _fail(_one_line(exc), ExitCode.USAGE) from exc


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors())
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

    def __enter__(self) -> _Display:
        if self.live:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live:
            self.progress.stop()

    def __call__(self, stats: CrawlStats) -> None:
        done = stats.pages + stats.not_modified + stats.failed + len(stats.skipped)
        elapsed = max(time.monotonic() - stats.started, 1e-9)
        if self.live:
            self.progress.update(
                self.task,
                completed=done,
                total=done + stats.queued,
                records=stats.records,
                errors=stats.failed,
                rate=done / elapsed,
            )
        elif not self.quiet and time.monotonic() - self.last_log >= self.LOG_EVERY_SECONDS:
            self.last_log = time.monotonic()
            err.print(
                f"{done} pages done, {stats.queued} queued, {stats.records} records, "
                f"{stats.failed} errors, {done / elapsed:.1f} pages/s",
                markup=False,
            )


def _summary(stats: CrawlStats, *, state: Path, interrupted: bool = False) -> None:
    """The end-of-crawl summary on standard error: counts, errors by kind, every failed page."""
    f = stats.fetch
    lines = [
        f"pages: {stats.pages} parsed, {stats.not_modified} unchanged (304), "
        f"{len(stats.skipped)} skipped, {stats.failed} failed",
        f"records: {stats.records} written, {stats.new_records} new, {stats.rejected} rejected",
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
        lines.append(f"  … and {len(stats.failures) - 50} more failures (listed in {state})")
    if interrupted:
        lines.append(f"interrupted: state saved in {state}; run the same command with --resume to go on")
    elif stats.failures:
        lines.append("some pages failed; run the same command with --resume to retry the transient ones")
    err.print("\n".join(lines), markup=False)


def _crawl_exit(stats: CrawlStats) -> ExitCode:
    if stats.failures and not (stats.pages or stats.not_modified):
        return ExitCode.UNREADABLE
    return ExitCode.PARTIAL if stats.failures else ExitCode.OK


def _run_crawl(
    urls: list[str], settings: Settings, *, outputs: list[Path], quiet: bool, state_path: Path
) -> None:
    """Open sinks and state, run the crawl, print the summary, exit with the documented code."""
    for url in urls:
        if not url.startswith(("http://", "https://")):
            raise _fail(f"not an http(s) URL: {url!r}", ExitCode.USAGE)
    if settings.replay is not None and not settings.replay.exists():
        # Before any output is opened: a typo in --replay must not truncate yesterday's records.
        raise _fail(f"fixture folder not found: {settings.replay}", ExitCode.USAGE)
    stats: CrawlStats | None = None
    with ExitStack() as stack:
        try:
            sinks: list[Sink] = [
                stack.enter_context(closing(open_sink(p, resume=settings.resume))) for p in outputs
            ]
        except (OSError, ValueError) as exc:
            raise _fail(_one_line(exc), ExitCode.USAGE) from exc
        if not outputs and settings.record is None:
            sinks.append(open_sink("-"))
        rejects = default_rejects_path(outputs[0]) if outputs else Path("topicscrape.rejects.jsonl")
        state = stack.enter_context(CrawlState.open(state_path))
        display = stack.enter_context(_Display(quiet=quiet))
        stack.enter_context(_terminate_as_interrupt())
        try:
            stats = asyncio.run(
                crawl(urls, settings=settings, sinks=sinks, state=state, rejects=rejects, progress=display)
            )
        except KeyboardInterrupt:
            display.__exit__()
            err.print(
                f"interrupted: state saved in {state_path}; run the same command with --resume to go on"
            )
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
        except FileNotFoundError as exc:
            raise _fail(_one_line(exc), ExitCode.USAGE) from exc
        except ParseError as exc:  # a bad --profile
            raise _fail(_one_line(exc), ExitCode.USAGE) from exc
    assert stats is not None
    if not quiet:
        _summary(stats, state=state_path)
    raise typer.Exit(int(_crawl_exit(stats)))


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (a pipeline stopping us) saves state like Ctrl-C does, while the crawl runs.

    The previous handler comes back afterwards: ``main()`` may run inside a longer-lived process.
    """

    def handler(signum: int, frame: object) -> None:
        # As SIGINT: inside asyncio.run that cancels the crawl (its state saved as interrupted), where
        # a KeyboardInterrupt raised here could land in any task's code and end the run as failed.
        if callable(signal.getsignal(signal.SIGINT)):
            signal.raise_signal(signal.SIGINT)
        else:  # SIGINT ignored (a background job): still stop
            raise KeyboardInterrupt

    previous = None
    with suppress(ValueError):  # not in the main thread: leave the default
        previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _outputs(output: list[Path] | None, db: Path | None) -> list[Path]:
    """The files a run writes: every ``-o`` but ``-`` (standard output), then ``--db``."""
    return [p for p in (output or []) if str(p) != "-"] + ([db] if db is not None else [])


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
    Path | None, typer.Option(help="Also upsert records into this SQLite database (full-text searchable).")
]
ConfigOption = Annotated[
    Path | None, typer.Option(help="TOML file with any of these settings; flags override it.")
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress and no summary.")]


@app.command("crawl")
def crawl_command(
    urls: Annotated[list[str], typer.Argument(help="Topic listing pages to start from.", show_default=False)],
    output: OutputOption = None,
    db: DbOption = None,
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
            "--resume", help="Go on with the crawl saved in the state file (after a kill or Ctrl-C)."
        ),
    ] = False,
    no_robots: Annotated[bool, typer.Option("--no-robots", help="Do not fetch or obey robots.txt.")] = False,
    allow_offsite: Annotated[
        bool, typer.Option("--allow-offsite", help="Follow redirects and next-page links to other sites.")
    ] = False,
    stop_at_seen: Annotated[
        int | None,
        typer.Option(
            min=1, help="Stop a topic once N teasers in a row were seen in an earlier run (daily re-crawls)."
        ),
    ] = None,
    profile: Annotated[
        str | None, typer.Option(help="Template profile NAME or TOML FILE; default: auto-detect.")
    ] = None,
    backend: Annotated[Backend, typer.Option(help="HTML parser backend.")] = Backend.lexbor,
    user_agent: Annotated[
        str | None, typer.Option(help="User-Agent header.  \\[default: topicscrape/VERSION (+project URL)]")
    ] = None,
    timeout: Annotated[
        float | None, typer.Option(min=0.1, help="Read timeout in seconds.  \\[default: 30]")
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

    Polite by default (robots.txt, 2 requests per host, 1 s apart, Retry-After honoured).
    Kill it at any moment: the same command with [bold]--resume[/] goes on where it stopped.
    Exit 0 done; 1 some pages failed (listed); 2 usage error; 3 nothing could be read; 130 interrupted.
    """
    outputs = _outputs(output, db)
    settings = _settings(
        config,
        output=outputs[0] if outputs else None,
        db=db,
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
        backend=backend.value,
        user_agent=user_agent,
        read_timeout=timeout,
        max_bytes=max_bytes,
        retry_after_cap=retry_after_cap,
    )
    state_path = settings.state or default_state_path(settings.output, settings.db)
    _run_crawl(urls, settings, outputs=outputs, quiet=quiet, state_path=state_path)


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


def _wayback_summary(stats: WaybackStats, *, state: Path | None) -> None:
    """The end-of-run summary on standard error: captures, records, requests, every note."""
    f = stats.fetch
    lines = [
        f"captures: {stats.listed} listed, {stats.snapshots} read with their pages, "
        f"{len(stats.skipped)} skipped, {len(stats.failed)} failed",
        f"records: {stats.records} written ({stats.teasers} teasers)",
        f"archive: {stats.cdx_requests} CDX requests, {stats.capture_requests} capture requests "
        f"({stats.reused} captures reused), {f.retries} retries, {f.rate_limited} rate-limited",
    ]
    for url, reason in stats.skipped[:20]:
        lines.append(f"  skipped {url}: {reason}")
    for url, reason in stats.failed[:50]:
        lines.append(f"  failed {url}: {reason}")
    if stats.failed:
        where = f" (state in {state})" if state is not None else ""
        lines.append(f"some captures failed; run the same command with --resume to retry them{where}")
    err.print("\n".join(lines), markup=False)


def _wayback_changes(stats: WaybackStats, out: Console) -> None:
    """``--summary``: per capture date, how many teasers appeared and disappeared."""
    table = Table("capture (UTC)", "teasers", "appeared", "disappeared", "", box=None, show_edge=False)
    for change in stats.changes:
        table.add_row(
            change.archived_at.strftime("%Y-%m-%d %H:%M"),
            str(change.teasers),
            f"+{len(change.appeared)}",
            f"-{len(change.disappeared)}",
            "" if change.complete else "(some pages unread)",
        )
    out.print(table)


def _wayback_exit(stats: WaybackStats) -> ExitCode:
    if stats.blocked is not None or stats.records == 0:
        return ExitCode.UNREADABLE
    return ExitCode.PARTIAL if stats.failed else ExitCode.OK


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
    db: DbOption = None,
    cdx_url: Annotated[
        str | None,
        typer.Option(help="CDX search endpoint.  \\[default: https://web.archive.org/cdx/search/cdx]"),
    ] = None,
    archive_url: Annotated[
        str | None,
        typer.Option(help="Where captures are read, up to /web/.  \\[default: https://web.archive.org/web/]"),
    ] = None,
    replay: Annotated[
        Path | None,
        typer.Option(help="Answer every request from this fixture folder (fixtures/wayback); no network."),
    ] = None,
    all_captures: Annotated[
        bool,
        typer.Option("--all-captures", help="One record per teaser per capture (not with SQLite outputs)."),
    ] = False,
    summary: Annotated[
        bool,
        typer.Option("--summary", help="Print, per capture date, how many teasers appeared and disappeared."),
    ] = False,
    state: Annotated[
        Path | None,
        typer.Option(help="State file (SQLite).  \\[default: beside the output; in memory without one]"),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option("--resume", help="Go on with the run saved in the state file; captures read are kept."),
    ] = False,
    concurrency: Annotated[
        int | None, typer.Option(min=1, help="Captures read at once.  \\[default: 2]")
    ] = None,
    config: ConfigOption = None,
    quiet: QuietOption = False,
) -> None:
    """Every teaser a topic page ever listed, from its Wayback Machine captures, with first/last seen.

    Examples:

    [bold]topicscrape wayback https://www.dhs.gov/keywords/secure-communities --from 2011 --to 2017 \\
        -o sc.jsonl --summary[/]

    [bold]topicscrape wayback https://www.dhs.gov/keywords/secure-communities \\
        --replay fixtures/wayback -o sc.csv[/]   (offline)

    Lists the captures (CDX API, identical ones once), reads each as captured with its pager pages at
    the nearest capture, and merges teasers by id. Polite to the archive: at most 24 CDX requests a
    minute and 8 captures a second; a 429 is waited out (Retry-After, else 60 s). The output is
    written at the end; kill it at any moment and [bold]--resume[/] goes on without fetching again.
    Exit 0 done; 1 some captures failed (listed); 2 usage error; 3 nothing readable (or the archive
    excludes the URL); 130 interrupted.
    """
    if not url.startswith(("http://", "https://")):
        raise _fail(f"not an http(s) URL: {url!r}", ExitCode.USAGE)
    try:
        from_date = cdx_date(from_) if from_ else None
        to_date = cdx_date(to) if to else None
    except ValueError as exc:
        raise _fail(str(exc), ExitCode.USAGE) from exc
    outputs = _outputs(output, db)
    settings = _settings(
        config,
        output=outputs[0] if outputs else None,
        db=db,
        replay=replay,
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
    if settings.replay is not None and not settings.replay.exists():
        raise _fail(f"fixture folder not found: {settings.replay}", ExitCode.USAGE)
    state_path = settings.state or (default_state_path(settings.output, settings.db) if outputs else None)
    if settings.resume and (state_path is None or not state_path.exists()):
        raise _fail(
            "--resume needs the state file of an earlier run (--state FILE, or -o/--db)", ExitCode.USAGE
        )
    stats: WaybackStats | None = None
    with ExitStack() as stack:
        try:
            # resume=False even with --resume: the merged output is rewritten whole at the end.
            sinks: list[Sink] = [
                stack.enter_context(closing(open_sink(p, resume=False, unique=not all_captures)))
                for p in outputs
            ]
            crawl_state = stack.enter_context(CrawlState.open(state_path)) if state_path is not None else None
        except (OSError, ValueError) as exc:
            raise _fail(_one_line(exc), ExitCode.USAGE) from exc
        if not outputs:
            sinks.append(open_sink("-", unique=not all_captures))
        display = stack.enter_context(_WaybackDisplay(quiet=quiet))
        stack.enter_context(_terminate_as_interrupt())
        try:
            stats = asyncio.run(
                run_wayback(url, settings=settings, sinks=sinks, state=crawl_state, progress=display)
            )
        except KeyboardInterrupt:
            display.__exit__()
            where = f"state saved in {state_path}; run the same command with --resume to go on"
            err.print(f"interrupted: {where}" if state_path is not None else "interrupted")
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
        except FixtureMissing as exc:
            raise _fail(
                f"{exc.url} is not in {exc.folder}: a replay answers only the requests of the run it "
                "was recorded from (same URL, --from and --to)"
            ) from exc
        except (ScraperError, FileNotFoundError) as exc:
            raise _fail(_one_line(exc)) from exc
    assert stats is not None
    if stats.blocked is not None:
        raise _fail(f"{url}: {stats.blocked}; nothing can be read from the archive")
    if not quiet:
        _wayback_summary(stats, state=state_path)
    if summary:
        _wayback_changes(stats, Console(stderr=not outputs, highlight=False, soft_wrap=False))
    if stats.records == 0:
        err.print(f"no readable capture of {url} in the archive for this range", markup=False)
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
    no_robots: Annotated[bool, typer.Option("--no-robots", help="Do not fetch or obey robots.txt.")] = False,
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
        try:
            saved = warc_to_folder(from_warc, to)
        except FileNotFoundError as exc:
            raise _fail(f"{from_warc}: no such file") from exc
        except (OSError, ValueError) as exc:
            raise _fail(f"{from_warc}: {_one_line(exc)}") from exc
        err.print(f"saved {saved} response(s) from {from_warc} into {to}", markup=False)
        return
    if not urls:
        raise _fail("give the URLs to record, or --from-warc FILE", ExitCode.USAGE)
    settings = _settings(
        None, record=to, max_pages=max_pages, delay=delay, obey_robots=False if no_robots else None
    )
    with tempfile.TemporaryDirectory(prefix="topicscrape-record-") as tmp:
        _run_crawl(urls, settings, outputs=[], quiet=quiet, state_path=Path(tmp) / "state.sqlite")


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
    json_lines: Annotated[bool, typer.Option("--json", help="Print JSON Lines instead of a table.")] = False,
) -> None:
    """Full-text search over a crawl database; best matches first.

    Example: [bold]topicscrape search out.sqlite "secure communities"[/]
    """
    if not db.is_file():
        raise _fail(f"{db}: no such database (write one with `topicscrape crawl … --db {db}`)")
    try:
        found = search_records(db, query, limit)
    except (OSError, sqlite3.Error) as exc:
        raise _fail(f"{db}: {_one_line(exc)}") from exc
    if json_lines:
        for rec in found:
            typer.echo(rec.model_dump_json())
        return
    table = Table("date", "title", "url", box=None, show_edge=False)
    for rec in found:
        table.add_row(str(rec.date or ""), rec.title, rec.url or rec.source_url)
    Console(soft_wrap=False).print(table)
    err.print(f"{len(found)} record(s)", markup=False)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit code (``topicscrape`` and ``python -m scraper``)."""
    # Through Rich's console, so log lines print above the progress bar instead of through it.
    logging.basicConfig(
        level=logging.WARNING,
        format="%(name)s: %(message)s",
        handlers=[RichHandler(console=err, show_time=False, show_path=False, markup=False)],
    )
    # bs4's detector logs each replacement character it makes; our own one-line error says it all.
    logging.getLogger("bs4").setLevel(logging.ERROR)
    try:
        app(args=list(argv) if argv is not None else None, prog_name="topicscrape")
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else int(ExitCode.USAGE))
    except KeyboardInterrupt:
        err.print("interrupted")
        return int(ExitCode.INTERRUPTED)
    return int(ExitCode.OK)
