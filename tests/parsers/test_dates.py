"""Teaser dates: the formats listing pages print, the text shown around them, and what is not a date."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parsers.dates import find_date, find_month, parse_date

JUNE_23 = dt.date(2016, 6, 23)


@pytest.mark.parametrize(
    "text",
    [
        "June 23, 2016", "Jun 23, 2016", "Jun. 23, 2016", "june 23 2016", "Thursday, June 23, 2016",
        "23 June 2016", "23rd June, 2016", "23 of June 2016", "Thu 23 Jun 2016",
        "06/23/2016", "6/23/2016", "2016-06-23", "2016-06-23T10:00:00-04:00", "2016/06/23", "23.06.2016",
    ],
)  # fmt: skip
def test_known_formats_give_the_date(text: str) -> None:
    """US, ISO and European forms, long and numeric, with or without a weekday."""
    found = find_date(text)
    assert found is not None
    assert found[0] == JUNE_23


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Posted on June 23, 2016 by DHS", "June 23, 2016"),
        ("By joachim, Wed, 02/10/2010 - 23:02", "Wed, 02/10/2010 - 23:02"),
        ("May 16, 2010 at 06:57 PM | categories: NPackage", "May 16, 2010 at 06:57 PM"),
        ("By bruceandpaula at 2005-11-03 23:10 | Pictures", "2005-11-03 23:10"),
        ("Submitted by bill on Sun, 12/22/2013 - 23:58", "Sun, 12/22/2013 - 23:58"),
        ("Mar 9 2015", "Mar 9 2015"),
    ],
)
def test_the_shown_text_keeps_weekday_and_time(text: str, shown: str) -> None:
    """``date_raw`` is the date as the page shows it: a weekday before it and a time after it stay."""
    found = find_date(text)
    assert found is not None
    assert found[1] == shown


@pytest.mark.parametrize(
    "text",
    [
        "Secure Communities 2011",
        "Room 252, building 260",
        "February 30, 2016",
        "13/45/2016",
        "Tuesday April 12, 5:30-7pm",
        "Posted June 2016",
        "Version 2.4.5 final (tag 2.4.5)",
        "",
    ],
)
def test_things_that_are_not_full_dates_give_none(text: str) -> None:
    """A year alone, impossible days, or a date without its year are not dates."""
    assert find_date(text) is None


def test_the_first_date_in_the_text_wins() -> None:
    """Two dates in a line: the earlier one is the teaser's (a later one is usually an event)."""
    found = find_date("Published 2016-06-23; event on July 4, 2016")
    assert found is not None
    assert found[0] == JUNE_23


def test_month_headings_keep_their_text_without_a_date() -> None:
    """A month-precision group heading is shown text, not a date."""
    assert find_month("February 2008") == "February 2008"
    assert find_month("Sept. 2015") == "Sept. 2015"
    assert find_month("In February 2008") is None
    assert find_date("February 2008") is None


def test_machine_attributes_parse() -> None:
    """``datetime`` and ``content`` attribute values give the date; empty gives None."""
    assert parse_date("2015-07-30T00:00:00-04:00") == dt.date(2015, 7, 30)
    assert parse_date("") is None
    assert parse_date(None) is None


@given(st.text(max_size=200))
def test_any_text_gives_a_date_and_its_shown_text_or_none(text: str) -> None:
    """Never raises; a found date's shown text is part of the input."""
    found = find_date(text)
    if found is not None:
        assert isinstance(found[0], dt.date)
        assert found[1]
        assert found[1] in text


_DATE_PARTS = st.sampled_from(
    ["2016", "1999", "2100", "-", "/", ".", "06", "6", "13", "23", "30", "31", "02", "T10:00", "Z",
     "June", "jun", "JUN", "Thu", " ", ",", "٣", "x", "ſep", "\u212aov"]
)  # fmt: skip


@given(st.lists(_DATE_PARTS, max_size=9).map("".join))
def test_shortcuts_find_what_the_full_scan_finds(text: str) -> None:
    """parse_date's ISO shortcut and find_date's skipping of month-name patterns on text naming no
    month give what trying every pattern gives."""
    from parsers import dates

    full = None
    if dates._YEAR_RE.search(text):
        matches = []
        for _name, pattern in dates._PATTERNS:
            for match in pattern.finditer(text):
                try:
                    value = dt.date(int(match["year"]), dates._month(match["month"]), int(match["day"]))
                except (ValueError, KeyError):
                    continue
                matches.append((match.start(), value))
                break
        full = min(matches, key=lambda m: m[0], default=(0, None))[1]
    found = find_date(text)
    assert (found[0] if found else None) == full
    assert parse_date(text) == full
