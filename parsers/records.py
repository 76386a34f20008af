"""The output contract: what one teaser looks like once it leaves the parser.

:class:`Teaser` and :class:`TopicPage` are what ``parse_topic_page`` returns; :class:`Record` is
the flat, versioned row every sink writes (JSON Lines, SQLite, CSV, bulk files). All three are
frozen and forbid unknown fields, so a typo in a field name fails loudly instead of vanishing.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from typing import Annotated, Final, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
)

from parsers.clean import identity_url, is_boilerplate, is_canonical_url, normalize_space
from parsers.dates import resolve_relative

__all__ = ["SCHEMA_VERSION", "Record", "Teaser", "TopicPage", "UtcDatetime", "record_id"]

SCHEMA_VERSION: Final = 1


def _to_utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError("a timestamp must carry a time zone (RFC 3339), e.g. 2016-07-01T12:00:00Z")
    return value.astimezone(dt.UTC)


UtcDatetime = Annotated[
    dt.datetime,
    AfterValidator(_to_utc),
    PlainSerializer(lambda v: v.strftime("%Y-%m-%dT%H:%M:%SZ"), return_type=str, when_used="json"),
]
"""A timezone-aware time, stored in UTC and written as RFC 3339 (``2016-07-01T12:00:00Z``)."""


@functools.lru_cache(maxsize=4096)
def _http_url(value: str | None) -> str | None:
    # Remembered: every record of a page repeats its source URL, and a URL is checked again on
    # each record it appears in (a crawl validates ~10 records a page).
    if value is None:
        return None
    if is_canonical_url(value) and value.isascii():
        return value  # an http(s) URL with a plain host and port: urlsplit's checks cannot fail
    return _split_http_url(value)


def _split_http_url(value: str) -> str:
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises for a port out of range ("http://www.dhs.gov:99999/")
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an absolute http(s) URL: {value!r}")
    return value


def _page_url(value: str) -> str:
    # A page read from a local file without --url is known only by its file:// URI.
    return value if value.startswith("file:///") else _http_url(value) or value


HttpUrlStr = Annotated[str, AfterValidator(_http_url)]
PageUrlStr = Annotated[str, AfterValidator(_page_url)]


def _title(value: str) -> str:
    value = normalize_space(value)
    if not value:
        raise ValueError("title is empty")
    if is_boilerplate(value):
        raise ValueError(f"title is navigation boilerplate: {value!r}")
    return value


Title = Annotated[str, AfterValidator(_title)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class Teaser(_Frozen):
    """One teaser as it appears on a listing page, before it is tied to a crawl."""

    title: Title
    """The headline, whitespace collapsed and entities decoded."""
    url: HttpUrlStr | None = None
    """Absolute URL of the item, or None where the teaser has no link."""
    excerpt: str | None = None
    """The summary text, cleaned, without "Read more"."""
    truncated: bool = False
    """The site cut the excerpt (ellipsis or mid-word end)."""
    date: dt.date | None = None
    """The item's date, if the teaser shows one."""
    date_raw: str | None = None
    """The date text exactly as shown (whitespace collapsed)."""
    position: int = Field(ge=1)
    """1-based position on the page."""


class TopicPage(_Frozen):
    """Everything one listing page yields: its heading, teasers and the link to the next page."""

    url: PageUrlStr
    """The page's original URL (for archive captures, the archived page's URL)."""
    topic: str | None = None
    """The listing's heading ("Secure Communities")."""
    page: int = Field(default=0, ge=0)
    """0-based pager index of this page."""
    teasers: tuple[Teaser, ...] = ()
    """The teasers in page order."""
    next_url: HttpUrlStr | None = None
    """Absolute URL of the next page of this listing, if the page links one."""
    profile: str
    """Which template extracted the teasers."""

    def to_records(
        self,
        *,
        fetched_at: dt.datetime | None = None,
        archived_at: dt.datetime | None = None,
        capture_url: str | None = None,
    ) -> list[Record]:
        """Flatten into output records, one per teaser, stamped with where the page came from.

        Raises:
            pydantic.ValidationError: a teaser does not make a valid record (see :meth:`record`).
        """
        return [
            self.record(t, fetched_at=fetched_at, archived_at=archived_at, capture_url=capture_url)
            for t in self.teasers
        ]

    def record(
        self,
        teaser: Teaser,
        *,
        fetched_at: dt.datetime | None = None,
        archived_at: dt.datetime | None = None,
        capture_url: str | None = None,
    ) -> Record:
        """The output record of one of this page's teasers (validated: the contract's edge).

        Raises:
            pydantic.ValidationError: the teaser does not make a valid record. A crawl sends it
                to the rejects file with the reason instead of dropping it.
        """
        date = teaser.date
        read_at = archived_at or fetched_at
        if date is None and teaser.date_raw and read_at is not None:
            date = resolve_relative(teaser.date_raw, read_at)  # "3 days ago" as of that day
        return Record(
            id=record_id(teaser.url, source_url=self.url, title=teaser.title),
            title=teaser.title,
            url=teaser.url,
            excerpt=teaser.excerpt,
            truncated=teaser.truncated,
            date=date,
            date_raw=teaser.date_raw,
            topic=self.topic,
            source_url=self.url,
            page=self.page,
            position=teaser.position,
            fetched_at=fetched_at,
            archived_at=archived_at,
            capture_url=capture_url,
            profile=self.profile,
        )


def record_id(url: str | None, *, source_url: str, title: str) -> str:
    """The stable key of a teaser: a hash of its URL's identity (:func:`parsers.clean.identity_url`),
    or of page + title without one.

    The same press release listed on two topic pages, or in two archive captures, gets one id,
    however each spells the link (http or https, with or without ``www.`` or ``utm_source``).
    A link to a place in a page (``/updates#june-2``) names an item by its fragment, which the
    URL's identity drops: its title tells the items of one page apart.

    >>> record_id("HTTPS://WWW.dhs.gov:443/a", source_url="https://www.dhs.gov/k", title="A")
    '142f714c7cdf1801abf5c7d1'
    >>> record_id("http://dhs.gov/a?utm_medium=email", source_url="https://b.gov/", title="B")
    '142f714c7cdf1801abf5c7d1'
    """
    if url and "#" not in url.rstrip("#"):
        key = identity_url(url)
    else:
        key = f"{identity_url(url or source_url)}\n{normalize_space(title)}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


class Record(_Frozen):
    """One teaser as written by every sink: the output contract (schema version 1)."""

    schema_version: Literal[1] = SCHEMA_VERSION
    """Version of this record layout."""
    id: str = Field(pattern=r"^[0-9a-f]{24}$")
    """Stable key: hash of the canonical teaser URL, or of source page + title without a URL."""
    title: Title
    """The teaser's headline: never empty, never boilerplate."""
    url: HttpUrlStr | None = None
    """Absolute http(s) URL of the item; archive-rewritten links unwrapped to the original."""
    excerpt: str | None = None
    """The teaser's summary text, cleaned; no "Read more"."""
    truncated: bool = False
    """The site cut the excerpt (ends mid-word or with an ellipsis)."""
    date: dt.date | None = None
    """ISO 8601 date of the item, if the teaser shows one. A relative one ("3 days ago", "March 3")
    is counted from ``archived_at``, else ``fetched_at``."""
    date_raw: str | None = None
    """The date text as shown on the page."""
    topic: str | None = None
    """The listing page's heading."""
    source_url: PageUrlStr
    """The listing page the teaser was found on (the original URL, also for archive captures);
    a ``file://`` URI for a local file parsed without ``--url``."""
    page: int = Field(ge=0)
    """0-based pager index of that listing page."""
    position: int = Field(ge=1)
    """1-based position of the teaser on that page."""
    fetched_at: UtcDatetime | None = None
    """When the page was fetched (RFC 3339, UTC)."""
    archived_at: UtcDatetime | None = None
    """Capture time, when the page came from a web archive."""
    capture_url: HttpUrlStr | None = None
    """The archive URL the page was read from."""
    first_seen: UtcDatetime | None = None
    """Archive mode: the earliest capture that listed this teaser."""
    last_seen: UtcDatetime | None = None
    """Archive mode: the latest capture that listed this teaser."""
    profile: str
    """Which template extracted it (drupal7, uswds, wordpress, generic, text, or a user profile)."""

    @field_validator("excerpt", "date_raw", "topic")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return normalize_space(value) or None
