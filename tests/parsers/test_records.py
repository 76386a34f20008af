"""The record contract: frozen, strict, stable ids, RFC 3339 UTC timestamps, and a published
JSON Schema that says what ``Record.from_json_line`` (``topicscrape validate``) checks."""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import ValidationError

from parsers import NoTeasersFound, parse_topic_page, records
from parsers.clean import is_canonical_url
from parsers.profiles import PROFILES
from parsers.records import Record, Teaser, TopicPage, record_id

PAGE_URL = "https://www.dhs.gov/keywords/secure-communities"
DHS = Path(__file__).resolve().parents[2] / "fixtures" / "dhs"


def _page() -> TopicPage:
    return TopicPage(
        url=PAGE_URL,
        topic="Secure Communities",
        page=1,
        teasers=(
            Teaser(
                title="Record-Breaking Immigration Enforcement Results",
                url="https://www.dhs.gov/blog/2011/10/18/record-breaking-immigration-enforcement-results",
                excerpt="In a few hours, Secretary Janet Napolitano will join",
                truncated=True,
                position=1,
            ),
            Teaser(title="A teaser without a link", position=2),
        ),
        profile="drupal7",
    )


def test_to_records_flattens_page_fields() -> None:
    """Each teaser becomes a record carrying the page's topic, URL, pager index and timestamps."""
    fetched = dt.datetime(2016, 7, 1, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=-4)))
    records = _page().to_records(fetched_at=fetched)
    assert [r.position for r in records] == [1, 2]
    assert {r.topic for r in records} == {"Secure Communities"}
    assert {r.page for r in records} == {1}
    line = json.loads(records[0].model_dump_json())
    assert line["fetched_at"] == "2016-07-01T12:00:00Z"
    assert line["schema_version"] == 1
    assert line["truncated"] is True


def test_a_relative_date_is_dated_by_the_capture_else_the_fetch() -> None:
    """ "3 days ago" counts back from when the page was archived (a Wayback capture), else from
    when it was fetched; read from a file with neither, it keeps its text and gets no date."""
    page = _page().model_copy(
        update={"teasers": (Teaser(title="A teaser dated relatively", date_raw="3 days ago", position=1),)}
    )
    (teaser,) = page.teasers
    archived = dt.datetime(2016, 7, 1, 14, 3, tzinfo=dt.UTC)
    fetched = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)
    assert page.record(teaser, fetched_at=fetched, archived_at=archived).date == dt.date(2016, 6, 28)
    assert page.record(teaser, fetched_at=fetched).date == dt.date(2026, 11, 25)
    unread = page.record(teaser)
    assert (unread.date, unread.date_raw) == (None, "3 days ago")
    shown = Teaser(title="A teaser dated absolutely", date=dt.date(2016, 2, 1), date_raw="Feb 1", position=1)
    assert page.record(shown, fetched_at=fetched).date == dt.date(2016, 2, 1)  # a date shown wins


def test_id_is_stable_across_url_spelling() -> None:
    """Host case, default port and an empty fragment do not change a teaser's id."""
    a = record_id("https://www.dhs.gov/a", source_url=PAGE_URL, title="A")
    b = record_id("HTTPS://WWW.DHS.GOV:443/a#", source_url="https://other/", title="B")
    assert a == b
    assert len(a) == 24


def test_items_of_one_page_told_apart_by_their_anchors_keep_their_ids() -> None:
    """Teasers linking to places in one page (``/updates#june-2``) are several items: their titles
    tell them apart; the same anchor link with the same title is one item wherever it is listed."""
    june = record_id("https://www.dhs.gov/updates#june-2", source_url=PAGE_URL, title="June 2 update")
    july = record_id("https://www.dhs.gov/updates#july-1", source_url=PAGE_URL, title="July 1 update")
    assert june != july
    again = record_id("http://dhs.gov/updates#june-2", source_url="https://other/", title=" June 2  update")
    assert again == june


@pytest.mark.parametrize(
    "spelling",
    [
        "http://www.dhs.gov/news/2014/11/20/secure-communities",
        "https://dhs.gov/news/2014/11/20/secure-communities",
        "https://www.dhs.gov/news/2014/11/20/secure-communities?utm_source=govdelivery&utm_medium=email",
        "https://www.dhs.gov/news/2014/11/20/secure-communities?fbclid=IwAR0abc",
    ],
)
def test_id_is_one_press_release_however_the_link_is_spelled(spelling: str) -> None:
    """http/https, ``www.`` and tracking parameters do not split one press release into two ids."""
    plain = "https://www.dhs.gov/news/2014/11/20/secure-communities"
    assert record_id(spelling, source_url=PAGE_URL, title="A") == record_id(
        plain, source_url=PAGE_URL, title="B"
    )


def test_id_keeps_parameters_that_name_another_item() -> None:
    """A query that selects content (``?page=2``, ``?id=7``) still tells items apart."""
    ids = {
        record_id(f"https://www.dhs.gov/news?{q}", source_url=PAGE_URL, title="A") for q in ("id=7", "id=8")
    }
    assert len(ids) == 2
    assert record_id("https://a.gov/x?id=7&utm_source=x", source_url=PAGE_URL, title="A") == record_id(
        "https://a.gov/x?id=7", source_url=PAGE_URL, title="A"
    )
    assert record_id("https://www2.a.gov/x", source_url=PAGE_URL, title="A") != record_id(
        "https://a.gov/x", source_url=PAGE_URL, title="A"
    )


def test_id_without_url_uses_page_and_title() -> None:
    """Link-less teasers are told apart by their page and title."""
    one = record_id(None, source_url=PAGE_URL, title="Alpha")
    assert one == record_id(None, source_url=PAGE_URL, title="  Alpha ")
    assert one != record_id(None, source_url=PAGE_URL, title="Beta")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "   ", "title is empty"),
        ("title", "Read more", "boilerplate"),
        ("title", "Subscribe to Secure Communities", "boilerplate"),
        ("url", "/relative/link", "absolute"),
        ("url", "javascript:void(0)", "absolute"),
        ("url", "https://www.dhs.gov/a b", "space or control"),
        ("url", "ht\ttps://www.dhs.gov/a", "space or control"),
        ("capture_url", " https://web.archive.org/web/2016/https://www.dhs.gov/", "space or control"),
        ("profile", "", "profile is empty"),
        ("profile", "  ", "profile is empty"),
        ("date", "20160701", "YYYY-MM-DD"),
        ("fetched_at", "1467374400", "RFC 3339"),
        ("fetched_at", "2016-07-01T12:00:00", "RFC 3339"),
        ("fetched_at", "2016-07-01T12:00:00+0200", "RFC 3339"),
        ("position", 0, "greater than or equal"),
        ("page", -1, "greater than or equal"),
        ("fetched_at", dt.datetime(2016, 7, 1), "time zone"),
        ("colour", "red", "Extra inputs"),
    ],
)
def test_invalid_records_are_rejected(field: str, value: object, message: str) -> None:
    """Boilerplate titles, relative or spaced URLs, a blank profile, naive times, times or dates
    spelled otherwise than RFC 3339 and unknown fields fail validation."""
    data = _page().to_records()[0].model_dump() | {field: value}
    with pytest.raises(ValidationError, match=message):
        Record.model_validate(data)


def test_records_are_frozen() -> None:
    """A record cannot be changed after validation."""
    record = _page().to_records()[0]
    with pytest.raises(ValidationError):
        record.title = "changed"  # type: ignore[misc]


def test_json_round_trip() -> None:
    """A record written as JSON reads back equal."""
    record = _page().to_records(fetched_at=dt.datetime(2016, 7, 1, tzinfo=dt.UTC))[0]
    assert Record.model_validate_json(record.model_dump_json()) == record


def test_schema_documents_every_field() -> None:
    """The JSON Schema lists every contract field with a description."""
    schema = Record.model_json_schema()
    expected = {
        "schema_version", "id", "title", "url", "excerpt", "truncated", "date", "date_raw", "topic",
        "source_url", "page", "position", "fetched_at", "archived_at", "capture_url", "first_seen",
        "last_seen", "profile",
    }  # fmt: skip
    assert set(schema["properties"]) == expected
    assert all(p.get("description") for p in schema["properties"].values())
    assert schema["additionalProperties"] is False


_URL_PARTS = st.sampled_from(
    ["http://", "https://", "ftp://", "www.dhs.gov", "127.0.0.1", ":8080", ":99999", ":0", ":080",
     ":٣", "user:pw@", "[::1]", "/", "/news", "?page=1", "é", "ｄhs.gov", "\uff0f", "%zz", "\u00ad"]
)  # fmt: skip


@given(st.lists(_URL_PARTS, max_size=6).map("".join))
@example("http://127.0.0.1:8080/news")
@example("http://127.0.0.1:65536/news")
@example("https://www.dhs.gov/news?page=1")
def test_url_check_shortcut_agrees_with_the_full_check(url: str) -> None:
    """A URL the record check accepts without splitting it is one the full check accepts."""
    if is_canonical_url(url) and url.isascii():
        assert records._split_http_url(url) == url


def test_url_checks_refuse_what_urlsplit_refuses() -> None:
    """A port out of range, another scheme, no host or one no browser takes (a bad escape, an
    ideographic space, only a soft hyphen) fails the record's URL check."""
    for url in (
        "http://127.0.0.1:65536/news",
        "http://www.dhs.gov:99999/",
        "ftp://x.gov/",
        "http:///a",
        "http://ex%zz.com/a",
        "http://ex\u3000ample.com/a",
        "http://\u00ad/a",
    ):
        with pytest.raises(ValidationError, match="not an absolute http"):
            Teaser(title="A story", url=url, position=1)


def test_url_checks_refuse_what_urlsplit_would_drop_unseen() -> None:
    """A tab, a newline or a space around a link is refused, not silently dropped by urlsplit."""
    for url in ("https://www.dhs.gov/a\n", "\thttps://www.dhs.gov/a", "https://www.dhs.gov/n\tews"):
        with pytest.raises(ValidationError, match="space or control"):
            Teaser(title="A story", url=url, position=1)


def test_record_json_is_unchanged() -> None:
    """A record's JSON line is byte for byte what earlier versions wrote (outputs and fixtures
    compare lines)."""
    page = _page()
    record = page.record(
        page.teasers[0].model_copy(update={"date": dt.date(2011, 10, 18), "date_raw": "October 18, 2011"}),
        fetched_at=dt.datetime(2016, 7, 1, 8, 0, 5, 123, tzinfo=dt.timezone(dt.timedelta(hours=-4))),
        archived_at=dt.datetime(2016, 7, 1, 12, 0, tzinfo=dt.UTC),
        capture_url="https://web.archive.org/web/20160701120000id_/https://www.dhs.gov/keywords/secure-communities",
    )
    assert record.model_dump_json() == (
        '{"schema_version":1,"id":"b14abb909d103e546792816c",'
        '"title":"Record-Breaking Immigration Enforcement Results",'
        '"url":"https://www.dhs.gov/blog/2011/10/18/record-breaking-immigration-enforcement-results",'
        '"excerpt":"In a few hours, Secretary Janet Napolitano will join","truncated":true,'
        '"date":"2011-10-18","date_raw":"October 18, 2011","topic":"Secure Communities",'
        '"source_url":"https://www.dhs.gov/keywords/secure-communities","page":1,"position":1,'
        '"fetched_at":"2016-07-01T12:00:05Z","archived_at":"2016-07-01T12:00:00Z",'
        '"capture_url":"https://web.archive.org/web/20160701120000id_/https://www.dhs.gov/keywords/secure-communities",'
        '"first_seen":null,"last_seen":null,"profile":"drupal7"}'
    )


# The published JSON Schema against real output and against bad lines.

SCHEMA = Record.model_json_schema()
VALIDATOR = jsonschema.Draft202012Validator(
    SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)


@functools.cache
def _dhs_records() -> tuple[Record, ...]:
    """Every record of the dhs.gov fixture pages, stamped as a crawl and a Wayback run stamp them."""
    index = json.loads((DHS / "index.json").read_text(encoding="utf-8"))
    fetched = dt.datetime(2016, 7, 1, 12, 0, tzinfo=dt.UTC)
    found: list[Record] = []
    for n, (url, entry) in enumerate(sorted(index["responses"].items())):
        try:
            page = parse_topic_page((DHS / entry["file"]).read_bytes(), url=url)
        except NoTeasersFound:
            continue  # a page that lists nothing (e-verify-self-check): no records to check
        if n % 2:
            capture = f"https://web.archive.org/web/20160701120000id_/{url}"
            found += page.to_records(fetched_at=fetched, archived_at=fetched, capture_url=capture)
        else:
            found += page.to_records(fetched_at=fetched)
    return tuple(found)


def _good_line() -> dict[str, Any]:
    line: dict[str, Any] = json.loads(_dhs_records()[0].model_dump_json())
    return line


def _schema_errors(line: dict[str, Any]) -> list[str]:
    return [e.message for e in VALIDATOR.iter_errors(line)]


def test_schema_is_valid_draft_2020_12() -> None:
    """The published schema is itself a valid JSON Schema of the draft it names."""
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    for field in SCHEMA["properties"].values():
        for sub in [field, *field.get("anyOf", ())]:
            if "pattern" in sub:
                assert jsonschema.Draft202012Validator.FORMAT_CHECKER.conforms(sub["pattern"], "regex")


def test_schema_requires_every_field() -> None:
    """A line must carry all 18 fields (null where unknown), and the schema shows no defaults that
    would suggest a field may be left out."""
    assert SCHEMA["required"] == list(Record.model_fields)
    assert len(SCHEMA["required"]) == 18
    assert not [name for name, field in SCHEMA["properties"].items() if "default" in field]
    nullable = {
        name for name, field in SCHEMA["properties"].items() if {"type": "null"} in field.get("anyOf", [])
    }
    assert nullable == {
        "url", "excerpt", "date", "date_raw", "topic", "fetched_at", "archived_at", "capture_url",
        "first_seen", "last_seen",
    }  # fmt: skip
    assert SCHEMA["properties"]["schema_version"]["const"] == 1


def test_schema_says_what_only_the_validator_checks() -> None:
    """The schema's description names the checks JSON Schema cannot make (boilerplate titles)."""
    assert "topicscrape validate" in SCHEMA["description"]
    assert "boilerplate" in SCHEMA["description"]


def test_real_records_pass_the_schema_and_the_line_check() -> None:
    """Every record parsed from the dhs.gov fixtures, written as a JSON line, is valid under the
    published schema and reads back equal through ``Record.from_json_line``."""
    assert len(_dhs_records()) > 20
    assert any(r.capture_url for r in _dhs_records())
    assert any(r.date for r in _dhs_records())
    for record in _dhs_records():
        line = record.model_dump_json()
        assert _schema_errors(json.loads(line)) == [], line
        assert Record.from_json_line(line) == record
        assert Record.from_json_line(line.encode()) == record


_ABSENT = object()

_BAD_LINES: dict[str, tuple[str, object]] = {
    "no url": ("url", _ABSENT),
    "no excerpt": ("excerpt", _ABSENT),
    "no truncated": ("truncated", _ABSENT),
    "no date": ("date", _ABSENT),
    "no fetched_at": ("fetched_at", _ABSENT),
    "no schema_version": ("schema_version", _ABSENT),
    "no profile": ("profile", _ABSENT),
    "empty title": ("title", ""),
    "blank title": ("title", "   "),
    "javascript url": ("url", "javascript:void(0)"),
    "relative url": ("url", "/news/a"),
    "url without host": ("url", "https:///news/a"),
    "url with a space": ("url", "https://www.dhs.gov/a b"),
    "ftp source": ("source_url", "ftp://www.dhs.gov/keywords/x"),
    "javascript capture": ("capture_url", "javascript:alert(1)"),
    "empty profile": ("profile", ""),
    "bad id": ("id", "not-a-hash"),
    "schema version 2": ("schema_version", 2),
    "negative page": ("page", -1),
    "position 0": ("position", 0),
    "page as text": ("page", "1"),
    "truncated as text": ("truncated", "true"),
    "date not ISO": ("date", "2016-7-1"),
    "naive time": ("fetched_at", "2016-07-01T12:00:00"),
    "epoch time": ("fetched_at", 1467374400),
    "epoch time as text": ("archived_at", "1467374400"),
    "unknown field": ("colour", "red"),
}


@pytest.mark.parametrize(("field", "value"), list(_BAD_LINES.values()), ids=list(_BAD_LINES))
def test_schema_and_line_check_reject_the_same_bad_lines(field: str, value: object) -> None:
    """A line missing a field, with an empty title, a javascript: URL, an empty profile, a value of
    the wrong JSON type or shape is refused alike by the published schema and by
    ``Record.from_json_line``, whose error names the field."""
    line = {k: v for k, v in _good_line().items() if k != field}
    if value is not _ABSENT:
        line[field] = value
    assert _schema_errors(line), line
    with pytest.raises(ValidationError) as caught:
        Record.from_json_line(json.dumps(line))
    assert field in {str(e["loc"][0]) for e in caught.value.errors() if e["loc"]}


def test_boilerplate_titles_are_refused_by_the_line_check_only() -> None:
    """ "Read more" fits the schema's shape of a title; only the Python check knows boilerplate."""
    line = _good_line() | {"title": "Read more"}
    assert _schema_errors(line) == []
    with pytest.raises(ValidationError, match="boilerplate"):
        Record.from_json_line(json.dumps(line))


def test_line_check_lists_every_missing_field_with_the_other_errors() -> None:
    """Each field a line lacks is its own ``missing`` error, in field order among the other errors
    (the validate command prints them all on the line's report)."""
    line = {k: v for k, v in _good_line().items() if k not in ("url", "excerpt", "fetched_at")}
    line |= {"title": "Back to Top", "colour": "red"}
    with pytest.raises(ValidationError) as caught:
        Record.from_json_line(json.dumps(line))
    found = [(e["loc"], e["type"]) for e in caught.value.errors()]
    assert found == [
        (("title",), "value_error"),
        (("url",), "missing"),
        (("excerpt",), "missing"),
        (("fetched_at",), "missing"),
        (("colour",), "extra_forbidden"),
    ]
    with pytest.raises(ValidationError) as caught:
        Record.from_json_line('{"schema_version": 1}')
    assert [e["loc"] for e in caught.value.errors()] == [(name,) for name in list(Record.model_fields)[1:]]
    assert {e["type"] for e in caught.value.errors()} == {"missing"}
    only_missing = {k: v for k, v in _good_line().items() if k != "truncated"}
    with pytest.raises(ValidationError, match="truncated\n  Field required"):
        Record.from_json_line(json.dumps(only_missing).encode())


def test_line_check_reports_a_line_that_is_no_json_object() -> None:
    """Broken JSON or a JSON array is one error about the whole line, not 18 missing fields."""
    for raw in ("{not json", "[1, 2]", ""):
        with pytest.raises(ValidationError) as caught:
            Record.from_json_line(raw)
        assert caught.value.error_count() == 1


def test_program_built_records_keep_their_defaults() -> None:
    """Inside the program a record may leave out what is unknown (the crawl and tests build them
    so); only a line read from a file must spell every field."""
    record = Record(id="0" * 24, title="A story", source_url=PAGE_URL, page=0, position=1, profile="generic")
    assert (record.url, record.truncated, record.fetched_at) == (None, False, None)
    assert Record.from_json_line(record.model_dump_json()) == record


def test_profile_examples_are_the_builtin_profiles() -> None:
    """The schema lists the built-in profile names as examples (not an enum: a user's TOML profile
    names itself)."""
    profile = SCHEMA["properties"]["profile"]
    assert set(profile["examples"]) == {p.name for p in PROFILES} | {"generic", "text"}
    assert "enum" not in profile
    assert _schema_errors(_good_line() | {"profile": "my-site 2"}) == []


_URL_PATTERN = re.compile(SCHEMA["properties"]["url"]["anyOf"][0]["pattern"])
_URL_CHARS = st.sampled_from(
    ["http://", "https://", "HTTPS://", "javascript:", "www.dhs.gov", "user@", "@", ":", ":8080",
     ":99999", "[::1]", "/", "/news", "?page=1", "#top", "é", " ", "\t", "\n", "\x00", "\x7f"]
)  # fmt: skip


@given(st.lists(_URL_CHARS, max_size=6).map("".join))
@example("http://user@/news")
@example("https://www.dhs.gov/news\n")
def test_schema_url_pattern_accepts_every_url_the_check_accepts(url: str) -> None:
    """The schema is never stricter than the Python URL check: a URL a record may carry matches the
    published pattern (the port's range is left to Python)."""
    try:
        records._http_url.__wrapped__(url)
    except ValueError:
        return
    assert _URL_PATTERN.search(url), url
