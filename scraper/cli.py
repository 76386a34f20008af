"""``topicscrape``: argv in, settings, library calls, an exit code out.

Exit codes (DESIGN.md): 0 done; 1 done but some pages failed (each listed); 2 usage error;
3 input cannot be read or parsed at all; 130 interrupted (state saved; ``--resume`` goes on).
This is the only module that configures logging or prints.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator, Sequence
from enum import Enum, IntEnum
from pathlib import Path
from typing import Annotated, TextIO

import typer
from pydantic import ValidationError
from rich.console import Console

from parsers import NoTeasersFound, ParseError, Record, TopicPage, parse_text_dump, parse_topic_page
from parsers.decode import decode_html
from parsers.profiles import Profile, load_profile_file
from parsers.text import looks_like_text_dump

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


class Backend(str, Enum):
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
    if value is None:
        return None
    if value.endswith(".toml") or Path(value).is_file():
        try:
            return load_profile_file(value)
        except ParseError as exc:
            raise _fail(str(exc), ExitCode.USAGE) from exc
    return value


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
) -> Iterator[TopicPage]:
    """The topic pages in one input file (a page, a text dump; WARC files hold several)."""
    data = _read_input(path)
    source = None if path == "-" else Path(path)
    page_url = url or (source.resolve().as_uri() if source else "file:///dev/stdin")
    if path.endswith(".txt") or (profile is None or profile == "text") and _is_dump(data):
        yield parse_text_dump(decode_html(data), url=url, source=source)
        return
    yield parse_topic_page(data, url=page_url, profile=profile, backend=backend)


def _is_dump(data: bytes) -> bool:
    try:
        return looks_like_text_dump(decode_html(data[:4096] if len(data) > 4096 else data))
    except ParseError:
        return False


@app.command()
def parse(
    paths: Annotated[
        list[str], typer.Argument(help="HTML pages, text dumps, or '-' for standard input.", show_default=False)
    ],
    url: Annotated[
        str | None,
        typer.Option(help="The page's original URL, to resolve relative links (default: its canonical link)."),
    ] = None,
    backend: Annotated[
        Backend, typer.Option(help="HTML parser: lexbor (fast) or soup (BeautifulSoup, lenient). Same results.")
    ] = Backend.lexbor,
    profile: Annotated[
        str | None,
        typer.Option(help="Template profile NAME (drupal7, generic, …) or a TOML FILE; default: auto-detect."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write JSON Lines to FILE instead of standard output.")
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
                for page in _parse_one(path, url=url, backend=backend.value, profile=chosen):
                    for record in page.to_records():
                        out.write(record.model_dump_json() + "\n")
                        written += 1
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit code (``topicscrape`` and ``python -m scraper``)."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app(args=list(argv) if argv is not None else None, prog_name="topicscrape")
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else int(ExitCode.USAGE))
    except KeyboardInterrupt:
        err.print("interrupted")
        return int(ExitCode.INTERRUPTED)
    return int(ExitCode.OK)
