"""The record contract: frozen, strict, stable ids, RFC 3339 UTC timestamps."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import ValidationError

from parsers import records
from parsers.clean import is_canonical_url
from parsers.records import Record, Teaser, TopicPage, record_id

PAGE_URL = "https://www.dhs.gov/keywords/secure-communities"


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
        ("position", 0, "greater than or equal"),
        ("page", -1, "greater than or equal"),
        ("fetched_at", dt.datetime(2016, 7, 1), "time zone"),
        ("colour", "red", "Extra inputs"),
    ],
)
def test_invalid_records_are_rejected(field: str, value: object, message: str) -> None:
    """Boilerplate titles, relative URLs, naive times and unknown fields fail validation."""
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
     ":٣", "user:pw@", "[::1]", "/", "/news", "?page=1", "é", "ｄhs.gov", "\uff0f"]
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
    for url in ("http://127.0.0.1:65536/news", "http://www.dhs.gov:99999/", "ftp://x.gov/", "http:///a"):
        with pytest.raises(ValidationError, match="not an absolute http"):
            Teaser(title="A story", url=url, position=1)
