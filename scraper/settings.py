"""Crawl settings: one frozen pydantic model that CLI flags and an optional TOML file map onto.

Every default is polite on purpose (robots.txt obeyed, one second between requests to a host, two
requests in flight per host at most). Benchmarks and tests against 127.0.0.1 pass ``delay=0``.

Example:
    >>> Settings(delay=0).delay
    0.0
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal, Self
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from scraper._version import __version__

__all__ = [
    "DEFAULT_TOTAL_TIMEOUT",
    "DEFAULT_USER_AGENT",
    "Settings",
]

PROJECT_URL = "https://github.com/topicscrape/topicscrape"

DEFAULT_USER_AGENT = f"topicscrape/{__version__} (+{PROJECT_URL})"
"""``name/version (+project URL)``: tells a site owner who we are and where to complain."""

MEGABYTE = 1024 * 1024

DEFAULT_TOTAL_TIMEOUT = 120.0
"""Seconds one whole answer may take by default: four times the read timeout. A 10 MB page (the
``max_bytes`` default) arrives in under 10 s over a 10 Mbit/s link, so a slow but live server stays
far inside it, while a server that trickles a byte every few seconds (each read within the read
timeout) is given up on after two minutes instead of hours."""


class Settings(BaseModel):
    """Everything a crawl can be told. Build it from flags, or from a TOML file with :meth:`from_toml`.

    Durations are seconds (floats). ``None`` means "no limit" where a limit makes sense.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    # -- identity and HTTP ---------------------------------------------------------------------
    user_agent: str = Field(DEFAULT_USER_AGENT, min_length=1)
    """The User-Agent header; robots.txt groups are matched against its product token."""

    connect_timeout: float = Field(10.0, gt=0)
    """Seconds to wait for a TCP/TLS connection."""

    read_timeout: float = Field(30.0, gt=0)
    """Seconds to wait for the next bytes of a response (also used for writes and the pool)."""

    total_timeout: float = Field(DEFAULT_TOTAL_TIMEOUT, gt=0)
    """Seconds one try may take from sending the request to the end of the body, waits for
    politeness (delay, Crawl-delay, Retry-After) not counted. The read timeout only bounds the gap
    between two reads, so without this a server trickling a byte at a time holds a worker for as
    long as it likes. Never less than ``read_timeout``: left unset, it grows to match a longer one."""

    max_bytes: int = Field(10 * MEGABYTE, gt=0)
    """Largest body accepted, counted after decompression; bigger ones fail with ``TooLarge``."""

    proxy: str | None = None
    """An HTTP(S) proxy URL. Proxy environment variables are ignored so no request bypasses the
    transport stack (replay, politeness)."""

    # -- politeness ----------------------------------------------------------------------------
    concurrency: int = Field(2, ge=1)
    """Most requests in flight to one host at a time (``--concurrency``)."""

    delay: float = Field(1.0, ge=0)
    """Least seconds between the starts of two requests to one host (``--delay``). One second is a
    common courtesy for crawlers without an agreement with the site; robots.txt ``Crawl-delay`` can
    only make it longer."""

    obey_robots: bool = True
    """Fetch and obey each host's robots.txt, including ``Crawl-delay`` (``--no-robots`` turns it off)."""

    max_crawl_delay: float = Field(60.0, ge=0)
    """Ceiling on a robots.txt ``Crawl-delay``, so one odd line cannot stall a crawl for hours."""

    # -- retries -------------------------------------------------------------------------------
    max_attempts: int = Field(4, ge=1)
    """Tries per request (the first try plus three retries) on timeouts, resets, 5xx and 429."""

    backoff_initial: float = Field(1.0, ge=0)
    """First backoff wait before a retry; it doubles on each further retry."""

    backoff_max: float = Field(30.0, ge=0)
    """Ceiling on one backoff wait."""

    backoff_jitter: float = Field(1.0, ge=0)
    """Up to this many random seconds added to each backoff, so workers do not retry in step."""

    retry_after_cap: float = Field(300.0, ge=0)
    """Longest we wait when a server sends ``Retry-After``; a longer request waits this long."""

    # -- scope ---------------------------------------------------------------------------------
    allow_offsite: bool = False
    """Follow redirects to other sites (by default only the start URL's site, ``www.`` and http/https
    alike, is followed)."""

    max_redirects: int = Field(10, ge=0)
    """Most redirects followed for one URL before ``RedirectLoop``."""

    max_pages: int | None = Field(None, ge=1)
    """Stop after this many listing pages in all (``--max-pages``); None means no limit."""

    stop_at_seen: int | None = Field(None, ge=1)
    """Stop paginating a topic once this many teasers in a row were already seen in an earlier run
    (``--stop-at-seen N``): re-running a topic daily then fetches one or two pages. None: never."""

    # -- parsing (passed through to ``parsers``) -------------------------------------------------
    profile: str | None = None
    """Template profile name or profile file; None lets the parser pick one."""

    backend: Literal["lexbor", "soup"] = "lexbor"
    """HTML backend for the parser."""

    # -- where bytes come from and go to ---------------------------------------------------------
    replay: Path | None = None
    """Serve every request from this fixture folder instead of the network (``--replay DIR``)."""

    record: Path | None = None
    """Save every response into this fixture folder while crawling (``--record DIR``)."""

    output: Path | None = None
    """JSONL output file (``-o``); None means stdout."""

    db: Path | None = None
    """SQLite output database (``--db``)."""

    bulk_index: str = "topicscrape"
    """The ``_index`` of every action line in a ``.bulk.ndjson`` output (``--bulk-index``)."""

    state: Path | None = None
    """SQLite crawl-state file, so an interrupted crawl can go on (``--state``)."""

    resume: bool = False
    """Continue the crawl saved in ``state`` instead of starting afresh (``--resume``)."""

    # -- web archive (``topicscrape wayback``) ---------------------------------------------------
    cdx_url: str = "https://web.archive.org/cdx/search/cdx"
    """The Wayback CDX search endpoint that lists a URL's captures (``--cdx-url``)."""

    archive_url: str = "https://web.archive.org/web/"
    """Where captures are read: the collection's prefix (``--archive-url``; the Wayback Machine's
    ``/web/``, or a pywb collection such as ``http://localhost:8080/my-coll/``). A capture is
    ``<archive_url><timestamp>id_/<original URL>`` (a missing final ``/`` is implied)."""

    cdx_per_minute: float = Field(24.0, gt=0)
    """Most CDX requests a minute, shared by all workers: 80% of the Internet Archive's hard limit,
    as the Archive asked (edgi-govdata-archiving/wayback v0.5.1, its #208)."""

    captures_per_second: float = Field(8.0, gt=0)
    """Most capture requests a second, shared by all workers (80% of the Archive's 600 a minute)."""

    cdx_page_size: int = Field(1000, ge=1)
    """CDX rows asked for per request (``limit``); further rows are paged with ``resumeKey``."""

    from_date: str | None = None
    """Earliest capture time to list (``--from``): ``2011``, ``2011-03``, ``2011-03-15`` or a Wayback
    timestamp; None means the first capture."""

    to_date: str | None = None
    """Latest capture time to list, inclusive (``--to``; ``2017`` means to the end of 2017)."""

    all_captures: bool = False
    """Write one record per teaser per capture, instead of one per teaser (``--all-captures``)."""

    summary: bool = False
    """Print, per capture date, how many teasers appeared and disappeared (``--summary``)."""

    @field_validator("cdx_url", "archive_url")
    @classmethod
    def _http_url(cls, value: str, info: ValidationInfo) -> str:
        """An archive endpoint is an absolute http(s) URL with a host, said so in plain words."""
        try:
            parts = urlsplit(value)
            good = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError:
            good = False
        if not good:
            example = cls.model_fields[str(info.field_name)].default
            raise ValueError(f"not an absolute http(s) URL: {value!r} (the default is {example})")
        return value

    @model_validator(mode="before")
    @classmethod
    def _total_timeout_covers_reads(cls, data: Any) -> Any:
        """Unset ``total_timeout`` follows a ``read_timeout`` longer than its default.

        Raising only ``--timeout`` must not make every slow read fail as a whole-answer timeout,
        nor be refused because the default total is now shorter than it.
        """
        if not isinstance(data, dict) or "total_timeout" in data:
            return data
        read = data.get("read_timeout")
        if isinstance(read, int | float) and not isinstance(read, bool) and read > DEFAULT_TOTAL_TIMEOUT:
            return {**data, "total_timeout": read}
        return data

    @model_validator(mode="after")
    def _check_modes(self) -> Self:
        """Reject combinations that cannot mean anything."""
        if self.replay is not None and self.record is not None:
            raise ValueError("replay and record cannot be combined: replay never touches the network")
        if self.backoff_max < self.backoff_initial:
            raise ValueError("backoff_max must be at least backoff_initial")
        if self.total_timeout < self.read_timeout:
            raise ValueError(
                f"total_timeout (--total-timeout, {self.total_timeout:g} s) must be at least read_timeout "
                f"(--timeout, {self.read_timeout:g} s): one read may take that long"
            )
        return self

    @classmethod
    def from_toml(cls, path: str | Path, **overrides: Any) -> Settings:
        """Load settings from a TOML file, then apply ``overrides`` (typically CLI flags).

        The file holds the fields at top level, or under ``[tool.topicscrape]`` when it is a
        ``pyproject.toml``. Relative paths in it (outputs, state, fixture folders, a profile
        file) are relative to the file, so a cron job's ``--config /etc/x.toml`` finds the same
        files from any working directory. Overrides whose value is None are ignored, so a CLI can
        pass every flag and let the unset ones fall through to the file. Unknown keys are an error
        (``pydantic.ValidationError``, a ``ValueError``), so a typo never goes unnoticed.

        Args:
            path: the TOML file.
            **overrides: field values that win over the file.

        Raises:
            OSError: the file cannot be read.
            tomllib.TOMLDecodeError: the file is not valid TOML (a ``ValueError``).
            pydantic.ValidationError: a value is invalid or a key unknown.
        """
        with Path(path).open("rb") as fh:
            data: dict[str, Any] = tomllib.load(fh)
        tool = data.get("tool")
        if isinstance(tool, dict) and isinstance(tool.get("topicscrape"), dict):
            data = tool["topicscrape"]
        data = {**_beside(data, Path(path).parent), **{k: v for k, v in overrides.items() if v is not None}}
        return cls.model_validate(data)


_PATH_KEYS = ("output", "db", "state", "replay", "record")


def _beside(data: dict[str, Any], folder: Path) -> dict[str, Any]:
    """``data`` with its relative paths (and a relative ``.toml`` profile) made relative to ``folder``."""
    moved = {
        key: str(folder / value)
        for key, value in data.items()
        if isinstance(value, str)
        and (key in _PATH_KEYS or (key == "profile" and value.lower().endswith(".toml")))
        and value != "-"
        and not Path(value).is_absolute()
    }
    return {**data, **moved}
