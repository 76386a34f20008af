"""The output contract: what one teaser looks like once it leaves the parser.

:class:`Teaser` and :class:`TopicPage` are what ``parse_topic_page`` returns; :class:`Record` is
the flat, versioned row every sink writes (JSON Lines, SQLite, CSV, bulk files). All three are
frozen and forbid unknown fields, so a typo in a field name fails loudly instead of vanishing.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
from typing import Annotated, Any, Final, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import InitErrorDetails, from_json

from parsers.clean import identity_url, is_boilerplate, is_canonical_url, is_web_host, normalize_space
from parsers.dates import resolve_relative

__all__ = ["SCHEMA_VERSION", "Record", "Teaser", "TopicPage", "UtcDatetime", "record_id"]

SCHEMA_VERSION: Final = 1

_JSON_SCHEMA_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
"""The JSON Schema draft :meth:`Record.model_json_schema` follows (pydantic 2 generates it)."""

# The published JSON Schema's patterns (ECMA-262 regex, as JSON Schema requires). The time and
# date patterns are also the Python checks, so the two cannot drift apart; the URL and non-blank
# ones approximate a Python check from the accepting side: whatever the check accepts matches
# (tests/parsers/test_records.py holds them to it), and the rest is left to the check.

_RFC3339_PATTERN: Final = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
"""An RFC 3339 ``date-time`` (section 5.6, with its lower-case and space-separated spellings): a
time zone is required. Pydantic alone also reads "1467374400" or "2016-07-01_12:00Z" as a time."""

_ISO_DATE_PATTERN: Final = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
"""An ISO 8601 calendar date (RFC 3339 ``full-date``), the only spelling a record writes."""

_NO_SPACE_OR_CONTROL: Final = r"(?![\s\S]*[\u0000-\u0020\u007f])"
"""Lookahead: no ASCII space or control character anywhere (urlsplit silently drops tabs and
newlines and strips the ends, so such a URL is not the one that was checked). A lookahead instead
of a class up to ``$``: Python's ``$`` also matches before a final newline."""

_HTTP_URL_PATTERN: Final = rf"^{_NO_SPACE_OR_CONTROL}[Hh][Tt][Tt][Pp][Ss]?://(?:[^/?#@]*@)?[^/?#@:]"
"""An absolute http(s) URL with a host. The port's range, and a host that is only user info or a
broken IPv6 literal, only the Python check (:func:`urllib.parse.urlsplit`) tells."""

_PAGE_URL_PATTERN: Final = rf"{_HTTP_URL_PATTERN}|^file:///"
"""A listing page's URL: http(s), or the ``file:///`` URI of a local file parsed without a URL."""

_NOT_BLANK_PATTERN: Final = r"\S"
"""Some character that is not whitespace (the Python checks collapse whitespace first)."""

_BUILTIN_PROFILE_NAMES: Final = ("drupal7", "drupal8", "uswds", "wordpress", "generic", "text")
"""The built-in profiles' names, as records carry them (a user TOML profile names itself)."""

_RFC3339_RE: Final = re.compile(_RFC3339_PATTERN)
_ISO_DATE_RE: Final = re.compile(_ISO_DATE_PATTERN)
_SPACE_OR_CONTROL_RE: Final = re.compile(r"[\x00-\x20\x7f]")


def _rfc3339_text(value: object) -> object:
    """Text must be spelled as RFC 3339 says; a datetime (the program's own records) passes.

    The text is read here, not by pydantic: once a before-validator has handed it on as a Python
    value, pydantic's strict mode (:meth:`Record.from_json_line`) refuses text for a datetime.
    """
    if not isinstance(value, str):
        return value
    if not _RFC3339_RE.fullmatch(value):
        raise ValueError(f"not an RFC 3339 time with a time zone, e.g. 2016-07-01T12:00:00Z: {value!r}")
    try:
        return dt.datetime.fromisoformat(value.upper())  # 3.11 reads "Z"; "t" and "z" upper-cased
    except ValueError as exc:
        raise ValueError(f"not a valid time: {value!r} ({exc})") from None


def _iso_date_text(value: object) -> object:
    """Text must be a ``YYYY-MM-DD`` date (read here, as :func:`_rfc3339_text` says why)."""
    if not isinstance(value, str):
        return value
    if not _ISO_DATE_RE.fullmatch(value):
        raise ValueError(f"not an ISO 8601 date (YYYY-MM-DD): {value!r}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"not a valid date: {value!r} ({exc})") from None


def _to_utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError("a timestamp must carry a time zone (RFC 3339), e.g. 2016-07-01T12:00:00Z")
    return value.astimezone(dt.UTC)


UtcDatetime = Annotated[
    dt.datetime,
    BeforeValidator(_rfc3339_text),
    AfterValidator(_to_utc),
    PlainSerializer(lambda v: v.strftime("%Y-%m-%dT%H:%M:%SZ"), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": _RFC3339_PATTERN}),
]
"""A timezone-aware time, stored in UTC and written as RFC 3339 (``2016-07-01T12:00:00Z``)."""

IsoDate = Annotated[
    dt.date,
    BeforeValidator(_iso_date_text),
    WithJsonSchema({"type": "string", "format": "date", "pattern": _ISO_DATE_PATTERN}),
]
"""A calendar date, written ``2016-07-01``."""


@functools.lru_cache(maxsize=4096)
def _http_url(value: str | None) -> str | None:
    # Remembered: every record of a page repeats its source URL, and a URL is checked again on
    # each record it appears in (a crawl validates ~10 records a page).
    if value is None:
        return None
    if _SPACE_OR_CONTROL_RE.search(value):
        raise ValueError(f"not an absolute http(s) URL (a space or control character): {value!r}")
    if is_canonical_url(value) and value.isascii():
        return value  # an http(s) URL with a plain host and port: urlsplit's checks cannot fail
    return _split_http_url(value)


def _split_http_url(value: str) -> str:
    # The caller has refused spaces and control characters, which urlsplit would drop unseen.
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises for a port out of range ("http://www.dhs.gov:99999/")
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an absolute http(s) URL: {value!r}")
    if not is_web_host(parts.hostname):
        raise ValueError(f"not an absolute http(s) URL (a host no browser can reach): {value!r}")
    return value


def _page_url(value: str) -> str:
    # A page read from a local file without --url is known only by its file:// URI.
    return value if value.startswith("file:///") else _http_url(value) or value


HttpUrlStr = Annotated[
    str,
    AfterValidator(_http_url),
    WithJsonSchema({"type": "string", "pattern": _HTTP_URL_PATTERN}),
]
PageUrlStr = Annotated[
    str,
    AfterValidator(_page_url),
    WithJsonSchema({"type": "string", "pattern": _PAGE_URL_PATTERN}),
]


def _title(value: str) -> str:
    value = normalize_space(value)
    if not value:
        raise ValueError("title is empty")
    if is_boilerplate(value):
        raise ValueError(f"title is navigation boilerplate: {value!r}")
    return value


Title = Annotated[
    str,
    AfterValidator(_title),
    WithJsonSchema({"type": "string", "minLength": 1, "pattern": _NOT_BLANK_PATTERN}),
]


def _profile_name(value: str) -> str:
    if not value.strip():
        raise ValueError("profile is empty: a record names the profile that extracted it")
    return value


ProfileName = Annotated[
    str,
    AfterValidator(_profile_name),
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 1,
            "pattern": _NOT_BLANK_PATTERN,
            "examples": list(_BUILTIN_PROFILE_NAMES),
        }
    ),
]
"""A profile's name: a built-in one or whatever a user's TOML profile calls itself, never blank.
Not an enum: user profiles name themselves freely (``parsers.profiles.load_profile_file``)."""


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
    date: IsoDate | None = None
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
    profile: ProfileName
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


def _line_schema(schema: dict[str, Any]) -> None:
    """Make :meth:`Record.model_json_schema` describe a JSON line as written: every field present,
    and name the JSON Schema draft it follows.

    The Python model keeps its defaults (the program builds records field by field), but every
    line topicscrape writes carries every field, null where unknown, and
    :meth:`Record.from_json_line` requires them all; a default in the schema would suggest a
    field may be left out.
    """
    properties: dict[str, dict[str, Any]] = schema["properties"]
    for field in properties.values():
        field.pop("default", None)
    schema["required"] = list(properties)
    described = dict(schema)
    schema.clear()
    schema.update({"$schema": _JSON_SCHEMA_DIALECT, **described})


class Record(_Frozen):
    """One teaser as written by every sink: the output contract (schema version 1).

    Every line topicscrape writes has every field, null where unknown. This schema checks each
    field's type and shape; `topicscrape validate` checks the same and also what JSON Schema
    cannot say: a title that is navigation boilerplate ("Read more", "Back to Top"), a URL's port
    out of range or a host that is only user info, and an id repeated in one file (once per
    archive capture is allowed).
    """

    model_config = ConfigDict(json_schema_extra=_line_schema)

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
    date: IsoDate | None = None
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
    profile: ProfileName
    """Which template extracted it (drupal7, drupal8, uswds, wordpress, generic, text, or the name
    of a user's TOML profile)."""

    @field_validator("excerpt", "date_raw", "topic")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return normalize_space(value) or None

    @classmethod
    def from_json_line(cls, line: str | bytes) -> Record:
        """Read one line of a JSON Lines file of records, as strictly as its JSON Schema reads it.

        Stricter than ``Record(...)`` and ``model_validate_json``, which fill in defaults: every
        field must be present (null where unknown), as in every line topicscrape writes, and JSON
        types are not coerced (``"page": "1"`` or ``"truncated": 0`` is an error). A line read
        here also passes :meth:`model_json_schema`; the checks only Python makes come on top.

        >>> Record.from_json_line('{"schema_version": 1}')  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        pydantic_core._pydantic_core.ValidationError: 17 validation errors for Record
        id
          Field required ...

        Raises:
            pydantic.ValidationError: every problem of the line in field order, each field it
                lacks as a ``missing`` error.
        """
        try:
            record = cls.model_validate_json(line, strict=True)
        except ValidationError as exc:
            found = _as_init_errors(exc)
            reported = {e["loc"] for e in found if e["type"] == "missing"}  # fields without defaults
            missing = [e for e in cls._missing_fields(line) if e["loc"] not in reported]
            if not missing:
                raise
            errors = [*missing, *found]
        else:
            if len(record.model_fields_set) == len(cls.model_fields):
                return record
            errors = cls._missing_fields(line)
        order = {name: index for index, name in enumerate(cls.model_fields)}
        errors.sort(key=lambda e: order.get(str(e["loc"][0]), len(order)) if e["loc"] else -1)
        raise ValidationError.from_exception_data(cls.__name__, errors)

    @classmethod
    def _missing_fields(cls, line: str | bytes) -> list[InitErrorDetails]:
        """The fields ``line`` lacks, as pydantic reports a required field missing.

        Only for a line that failed anyway: a good line is parsed once.
        """
        try:
            data = from_json(line)
        except ValueError:
            return []  # not JSON: the parse error says it all
        if not isinstance(data, dict):
            return []
        return [
            {"type": "missing", "loc": (name,), "input": data}
            for name in cls.model_fields
            if name not in data
        ]


def _as_init_errors(exc: ValidationError) -> list[InitErrorDetails]:
    """``exc``'s errors in the form :meth:`ValidationError.from_exception_data` takes back."""
    errors: list[InitErrorDetails] = []
    for error in exc.errors():
        init: InitErrorDetails = {"type": error["type"], "loc": error["loc"], "input": error["input"]}
        if "ctx" in error:
            init["ctx"] = error["ctx"]
        errors.append(init)
    return errors
