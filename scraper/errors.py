"""Errors raised by the scraper, named for what the caller can do about them.

    ScraperError
     ├── FetchError(url, reason)          the page could not be fetched; skip it, list it in the summary
     │    ├── RateLimited(retry_after)    the server asked us to slow down; defer the host, try later
     │    ├── TooLarge(limit)             the body is bigger than ``max_bytes``; skip it or raise the limit
     │    ├── NotHtml(content_type)       not a page (PDF, image, JSON); skip it with a note
     │    ├── OffsiteRedirect(location)   a redirect leaves the start URL's site; skip or allow offsite
     │    └── RedirectLoop(chain)         redirects go round in a circle or never end; skip it
     ├── Blocked(url, reason)             robots.txt or the site refuses us; do not retry, skip the URL
     ├── NotArchived(url)                 the web archive holds no usable capture; try another date
     ├── FixtureMissing(url, folder)      replay has no saved response; record it (the message says how)
     ├── FixtureCorrupt(source, problem)  a fixture folder or WARC is broken; re-record it or fix the entry
     └── StateMismatch(path, stored)      --resume found another run's state; start afresh or use another file

HTTP library exceptions never escape :mod:`scraper`: ``scraper.client`` is the one place they become
these classes, always with ``raise ... from exc`` so the original stays in ``__cause__``. A caller
mistake (a non-http URL, a bad setting) stays a ``ValueError``/``TypeError``: it is a bug to fix, not
a condition to handle.

``FetchError.transient`` tells a crawl whether the same request could succeed later (timeouts, resets,
5xx, 429): such failures are retried inside ``fetch`` already, and a resumed crawl may try them again.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError

__all__ = [
    "Blocked",
    "FetchError",
    "FixtureCorrupt",
    "FixtureMissing",
    "NotArchived",
    "NotHtml",
    "NothingToResume",
    "OffsiteRedirect",
    "OutputFailed",
    "RateLimited",
    "RedirectLoop",
    "ScraperError",
    "StateInUse",
    "StateMismatch",
    "TooLarge",
    "WarcNotAppendable",
    "validation_problems",
]


class ScraperError(Exception):
    """Base of every error the scraper raises on purpose; one ``except`` catches them all."""


class FetchError(ScraperError):
    """The URL could not be fetched (network failure, timeout, HTTP error status).

    Retries have already happened by the time a caller sees this. Skip the page and list it in the
    summary; if ``transient`` is true, a later run (``--resume``) may succeed.

    Attributes:
        url: the URL that was requested.
        reason: a short human-readable cause ("HTTP 404 Not Found", "read timeout").
        status: the HTTP status when the server answered, else None.
        transient: whether the same request may succeed later.
    """

    def __init__(self, url: str, reason: str, *, status: int | None = None, transient: bool = False) -> None:
        self.url = url
        self.reason = reason
        self.status = status
        self.transient = transient
        super().__init__(f"{url}: {reason}")


class RateLimited(FetchError):
    """The server answered 429, or 503 with ``Retry-After``, on every attempt.

    Leave this host alone for ``retry_after`` seconds (as the server asked; None when it did not
    say), then try again, or save the URL for ``--resume``.
    """

    def __init__(self, url: str, retry_after: float | None, *, status: int = 429) -> None:
        self.retry_after = retry_after
        wait = f"retry after {retry_after:g} s" if retry_after is not None else "no Retry-After given"
        super().__init__(url, f"rate limited (HTTP {status}, {wait})", status=status, transient=True)


class TooLarge(FetchError):
    """The body (after decompression) is larger than ``max_bytes``: skip it, or raise the limit."""

    def __init__(self, url: str, limit: int, *, size: int | None = None, status: int | None = 200) -> None:
        self.limit = limit
        self.size = size
        # No size when the body came without a Content-Length and was cut off while streaming.
        told = f"is {size:,} bytes, over" if size is not None else "is larger than"
        super().__init__(
            url, f"too large: the body {told} the {limit:,}-byte limit (--max-bytes)", status=status
        )


class NotHtml(FetchError):
    """The response is not a page (its ``Content-Type`` is a PDF, image, feed...). Skip it with a note."""

    def __init__(self, url: str, content_type: str, *, status: int | None = 200) -> None:
        self.content_type = content_type
        super().__init__(url, f"not an HTML page (Content-Type: {content_type})", status=status)


class OffsiteRedirect(FetchError):
    """A redirect points away from the crawl's site. Skip it, or allow offsite redirects on purpose."""

    def __init__(self, url: str, location: str, *, status: int | None = None) -> None:
        self.location = location
        super().__init__(url, f"redirect leaves the site: {location}", status=status)


class RedirectLoop(FetchError):
    """Redirects revisit a URL or exceed ``max_redirects``. The site is misconfigured; skip the URL.

    Attributes:
        chain: every URL requested, in order, ending with the one that would repeat or overflow.
        limit: the ``max_redirects`` that was exceeded, or None for a true loop.
    """

    def __init__(self, url: str, chain: Sequence[str], *, limit: int | None = None) -> None:
        self.chain = tuple(chain)
        self.limit = limit
        what = f"more than {limit} redirects" if limit is not None else "redirect loop"
        super().__init__(url, f"{what}: {' -> '.join(self.chain)}")


class Blocked(ScraperError):
    """robots.txt disallows the URL, or the site refuses us (401/403). Do not retry; skip it.

    A crawl may pass ``--no-robots`` when the user has the site owner's permission.
    """

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"{url}: blocked: {reason}")


class NotArchived(ScraperError):
    """The web archive has no usable capture of the URL. Try another date range, or give up on it."""

    def __init__(self, url: str, detail: str | None = None) -> None:
        self.url = url
        self.detail = detail
        super().__init__(f"{url}: not archived" + (f" ({detail})" if detail else ""))


class FixtureMissing(ScraperError):
    """Replay asked for a URL that the fixture folder does not hold. Record it, then replay again.

    The message gives the exact command; replay never falls back to the live network.
    """

    def __init__(self, url: str, folder: str | Path) -> None:
        self.url = url
        self.folder = Path(folder)
        self.command = f"topicscrape record {shlex.quote(url)} --to {shlex.quote(str(folder))}"
        super().__init__(f"{url} is not in the fixture folder {folder}; record it with: {self.command}")


class FixtureCorrupt(ScraperError, ValueError):
    """A fixture folder or WARC file cannot be replayed as it is: an ``index.json`` that is not valid,
    an entry missing a field, a body file that was deleted or points outside its folder, a WARC
    record cut short. Re-record the URL (the message gives the command), or fix the entry by hand.

    Also a ``ValueError``, as loading a bad fixture source was before this class existed.

    Attributes:
        source: the file at fault: an ``index.json`` or a WARC file.
        problem: what is wrong, in a few words ("its body file x.gov/a.html is missing").
        url: the URL of the entry at fault, or None when the whole file is unreadable.
        folder: where ``topicscrape record --to`` saves it again (the index's folder, or the WARC).
        command: the command that records the URL again.

    ``editable=False`` leaves out "or fix the entry" (a WARC record is re-recorded, not hand-edited).
    """

    def __init__(
        self,
        source: str | Path,
        problem: str,
        *,
        url: str | None = None,
        folder: str | Path | None = None,
        editable: bool = True,
    ) -> None:
        self.source = Path(source)
        self.problem = " ".join(problem.split())  # one line, whatever a parser's message held
        self.url = url
        self.folder = Path(folder) if folder is not None else self.source
        target = shlex.quote(url) if url is not None else "URL"
        self.command = f"topicscrape record {target} --to {shlex.quote(str(self.folder))}"
        where = f"{source}: {url}: " if url is not None else f"{source}: "
        fix = (", or fix the entry" if url is not None else ", or fix the file") if editable else ""
        super().__init__(f"{where}{self.problem}; re-record it with `{self.command}`{fix}")


class StateMismatch(ScraperError):
    """A resumed run found the state of another run in its state file (another URL, date range or
    archive). Continuing it would mix that run's pages into this one: start this run afresh (no
    ``--resume``), or give it its own state file (``--state``, or another ``-o``).

    Attributes:
        path: the state file.
        stored: what the state file's last run was (the identity it recorded), or None when it
            recorded none (an older topicscrape, or a command that does not record one).
        wanted: what the resumed run is.
    """

    def __init__(
        self, path: str | Path, stored: Mapping[str, object] | None, wanted: Mapping[str, object]
    ) -> None:
        self.path = Path(path)
        self.stored = dict(stored) if stored is not None else None
        self.wanted = dict(wanted)
        what = _describe(self.stored) if self.stored is not None else "one that did not record what it was"
        super().__init__(
            f"{path} holds the state of another run ({what}), not of this one ({_describe(self.wanted)})"
        )


class OutputFailed(ScraperError):
    """An output could not be written (a full disk, a closed pipe, a file system gone). Every later
    page would fail the same way, so the crawl stops as if interrupted: the pages whose records
    were not written are not done, and ``--resume`` fetches them again once the output can be
    written.

    Attributes:
        path: the output (``-`` for standard output).
        cause: the ``OSError`` the write raised.
    """

    def __init__(self, path: str | Path, cause: OSError) -> None:
        self.path = str(path)
        self.cause = cause
        where = "standard output" if self.path == "-" else self.path
        super().__init__(f"cannot write {where}: {cause.strerror or cause}")


class StateInUse(ScraperError):
    """Another run holds the state file: two runs on one frontier would take each other's pages
    and write their records twice. Wait for it to end, or give this run its own state file
    (``--state``, or another ``-o``)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        super().__init__(
            f"the crawl state {path} is in use (another topicscrape run holds it); wait for it to end, "
            "or give this run its own --state"
        )


class NothingToResume(ScraperError):
    """``--resume`` of a state file whose last run finished with nothing left to do: continuing it
    would fetch nothing (a daily job that always passes ``--resume`` would never crawl again). Run
    the same command without ``--resume``."""

    def __init__(self, path: str | Path, ended_at: str | None) -> None:
        self.path = Path(path)
        when = f" at {ended_at}" if ended_at else ""
        super().__init__(
            f"nothing to resume: the last run saved in {path} finished{when} with every page done; "
            "run the same command without --resume to crawl again"
        )


def _describe(identity: Mapping[str, object]) -> str:
    return ", ".join(f"{key} {value}" for key, value in identity.items() if value is not None)


class WarcNotAppendable(FixtureCorrupt):
    """A WARC file that cannot be read to its end: a crash or a copy cut it, its bytes are damaged
    from some point, or it is no WARC at all. Its whole records before the break still replay, but
    a record appended after the break could never be read, so nothing is recorded into it: move it
    away (the message gives the ``mv`` command; ``crawl.warc.gz`` becomes ``crawl.broken.warc.gz``,
    still a WARC whose whole records can be replayed), then record again, or record into a new file.

    Raised when recording would append to such a file, and (as the :class:`FixtureCorrupt` it is)
    when reading it finds no whole record at all or a URL whose only capture is cut: the usual
    advice, re-recording into the same file, would be refused.

    Attributes:
        move: the command that moves the file out of the way (to ``<name>.broken``).
    """

    def __init__(self, source: str | Path, problem: str, *, url: str | None = None) -> None:
        super().__init__(source, problem, url=url, editable=False)
        name = self.source.name
        keep = next((len(s) for s in (".warc.gz", ".warc") if name.lower().endswith(s)), 0)
        # crawl.warc.gz → crawl.broken.warc.gz: still a WARC by its name, so it can be read
        broken = self.source.with_name(f"{name[: len(name) - keep]}.broken{name[len(name) - keep :]}")
        self.move = f"mv {shlex.quote(str(self.source))} {shlex.quote(str(broken))}"
        where = f"{source}: {url}: " if url is not None else f"{source}: "
        self.args = (
            f"{where}{self.problem}; nothing can be recorded into this file (a record added after "
            f"its break could never be read): move it away with `{self.move}` and re-record "
            f"with `{self.command}`, or record into a new file",
        )


def validation_problems(exc: ValidationError, *, whole: str = "record") -> str:
    """pydantic's errors on one line, ``field: message; field: message``, for summaries, rejects
    files and one-line CLI errors; ``whole`` names an error about the whole input."""
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or whole}: {e['msg']}" for e in exc.errors())
