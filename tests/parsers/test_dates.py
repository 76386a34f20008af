"""Teaser dates: the formats listing pages print, the text shown around them, and what is not a date."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from parsers import parse_topic_page
from parsers.dates import find_date, find_month, find_relative, parse_date, resolve_relative

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
    ["2016", "1999", "2100", "-", "/", ".", "06", "6", "13", "23", "30", "31", "02", "16", "T10:00", "Z",
     "June", "jun", "JUN", "Juni", "juin", "de", "mär", "Thu", " ", ",", "٣", "x", "ſep", "\u212aov",
     "\u0130"]
)  # fmt: skip


@given(st.lists(_DATE_PARTS, max_size=9).map("".join))
def test_shortcuts_find_what_the_full_scan_finds(text: str) -> None:
    """parse_date's ISO shortcut and find_date's skipping of month-name patterns on text naming no
    month give what trying every pattern gives."""
    from parsers import dates

    full = None
    if dates._YEAR_RE.search(text):
        matches = []
        for name, pattern in dates._PATTERNS:
            for match in pattern.finditer(text):
                value = dates._value(name, match)
                if value is not None:
                    matches.append((match.start(), value))
                    break
        full = min(matches, key=lambda m: m[0], default=(0, None))[1]
    if full is None:
        short = dates._find_short(text)
        full = short[0] if short else None
    found = find_date(text)
    assert (found[0] if found else None) == full
    assert parse_date(text) == full


# -- dates shown relative to the day the page was read ---------------------------------------------

READ = dt.datetime(2016, 7, 1, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("text", "shown", "date"),
    [
        ("3 days ago", "3 days ago", dt.date(2016, 6, 28)),
        ("Posted 1 day ago", "1 day ago", dt.date(2016, 6, 30)),
        ("an hour ago", "an hour ago", dt.date(2016, 7, 1)),
        ("13 hours ago", "13 hours ago", dt.date(2016, 6, 30)),
        ("5h ago", "5h ago", dt.date(2016, 7, 1)),
        ("about 45 minutes ago", "about 45 minutes ago", dt.date(2016, 7, 1)),
        ("Yesterday", "Yesterday", dt.date(2016, 6, 30)),
        ("Today at 10:30", "Today at 10:30", dt.date(2016, 7, 1)),
        ("just now", "just now", dt.date(2016, 7, 1)),
        ("Updated: Jun 30, 10:00 AM", "Jun 30, 10:00 AM", dt.date(2016, 6, 30)),
        ("Mar 3 | 4 comments", "Mar 3", dt.date(2016, 3, 3)),
        ("By joachim, 3rd March", "3rd March", dt.date(2016, 3, 3)),
        ("Posted in Press Releases on Tue, March 3", "Tue, March 3", dt.date(2016, 3, 3)),
        ("By bruceandpaula at June 30 23:10 | Pictures", "June 30 23:10", dt.date(2016, 6, 30)),
        ("July 2", "July 2", dt.date(2016, 7, 2)),  # a day of slack: a site east of UTC is ahead
        ("Dec 30", "Dec 30", dt.date(2015, 12, 30)),  # the latest Dec 30 before July 2016
        ("Feb 29", "Feb 29", dt.date(2016, 2, 29)),
    ],
)
def test_relative_dates_resolve_against_the_time_the_page_was_read(
    text: str, shown: str, date: dt.date
) -> None:
    """ "3 days ago", "Yesterday" and a day without its year name a date once the reading time is
    known (the fetch, or the archive capture); ``date_raw`` keeps just the date part."""
    assert find_relative(text) == shown
    assert resolve_relative(shown, READ) == date


@pytest.mark.parametrize(
    "text", ["2 weeks ago", "over 3 weeks ago", "3 months ago", "5mo ago", "2 years ago"]
)
def test_relative_dates_that_leave_the_day_open_keep_only_their_text(text: str) -> None:
    """ "2 weeks ago" is what WordPress prints from 14 to 20 days: shown (``date_raw``), not dated."""
    assert find_relative(text) == text
    assert resolve_relative(text, READ) is None


@pytest.mark.parametrize(
    "text",
    [
        "May 5 reasons to switch",
        "Join us for 3 days",
        "Today's announcement",
        "Mar 3, 2016",  # a full date: find_date's
        "Mar 32",
        "Secure Communities",
        "3 days",
        "",
    ],
)
def test_text_that_only_mentions_a_day_is_no_relative_date(text: str) -> None:
    """Only a line that is the date (give or take a "Posted … on" before it, a time after it and
    other ``|``-separated parts) counts: headlines and sentences that mention a day do not."""
    assert find_relative(text) is None


_READ_TIMES = st.datetimes(
    min_value=dt.datetime(1995, 1, 1), max_value=dt.datetime(2090, 1, 1), timezones=st.just(dt.UTC)
)


@given(_READ_TIMES, st.integers(0, 3000))
def test_days_ago_count_back_from_the_day_read(read: dt.datetime, days: int) -> None:
    """ "N days ago" is N calendar days before the day the page was read."""
    assert resolve_relative(f"{days} days ago", read) == read.date() - dt.timedelta(days=days)


@given(_READ_TIMES, st.integers(-1, 363))
def test_a_day_without_its_year_is_the_latest_before_the_day_read(read: dt.datetime, back: int) -> None:
    """A month and day read up to a day before or 363 days after it name that very date."""
    date = read.date() - dt.timedelta(days=back)
    for shown in (date.strftime("%B ") + str(date.day), f"{date.day} {date:%b}"):
        assert find_relative(shown) == shown
        assert resolve_relative(shown, read) == date


_RELATIVE_PARTS = st.sampled_from(
    ["3", "13", "31", "0", " ", "days", "hours", "h", "mo", "ago", "an", "about", "Yesterday", "today",
     "March", "mar", "Auguſt", "ſep", "yeſterday", "ſecs", "\u212a", "Posted", " on ", " at ", "By x,",
     " | ", "·", ":", ",", ".", "10:30", "PM", "٣", "2016", "x"]
)  # fmt: skip


@given(st.lists(_RELATIVE_PARTS, max_size=8).map("".join), _READ_TIMES)
@example("Auguſt 3", dt.datetime(2016, 7, 1, tzinfo=dt.UTC))
@example("5 ſecs ago", dt.datetime(2016, 7, 1, tzinfo=dt.UTC))
def test_any_text_gives_a_relative_date_that_resolves_or_none(text: str, read: dt.datetime) -> None:
    """Whatever find_relative accepts, resolve_relative reads without error; text it refuses has no
    relative date to resolve."""
    shown = find_relative(text)
    if shown is not None:
        assert shown in text
        resolved = resolve_relative(shown, read)
        assert resolved is None or isinstance(resolved, dt.date)


def test_case_folding_lets_a_long_s_stand_for_s() -> None:
    """Case-insensitive matching accepts "Auguſt" for "August"; the month and unit lookups fold case
    the same way instead of failing on it."""
    assert resolve_relative("Auguſt 3", READ) == dt.date(2015, 8, 3)
    assert resolve_relative("yeſterday", READ) == dt.date(2016, 6, 30)
    assert resolve_relative("5 ſecs ago", READ) == dt.date(2016, 7, 1)
    found = find_date("Auguſt 3, 2016")
    assert found is not None
    assert found[0] == dt.date(2016, 8, 3)


# -- other languages, numeric orders, two-digit years, time zones (QA findings F11-F13, M2) ---------


@pytest.mark.parametrize(
    ("text", "shown", "date"),
    [
        ("Publié le 23 juin 2023", "23 juin 2023", dt.date(2023, 6, 23)),
        ("1er juin 2023", "1er juin 2023", dt.date(2023, 6, 1)),
        ("Vendredi 23 févr. 2023", "Vendredi 23 févr. 2023", dt.date(2023, 2, 23)),
        ("23 aout 2016", "23 aout 2016", dt.date(2016, 8, 23)),
        ("23. Juni 2023", "23. Juni 2023", dt.date(2023, 6, 23)),
        ("Freitag, 3. März 2023, 14:55 Uhr", "Freitag, 3. März 2023, 14:55 Uhr", dt.date(2023, 3, 3)),
        ("3. Mär. 2023", "3. Mär. 2023", dt.date(2023, 3, 3)),
        ("23 de junio de 2023", "23 de junio de 2023", dt.date(2023, 6, 23)),
        ("1º de junio de 2023", "1º de junio de 2023", dt.date(2023, 6, 1)),
        ("23 sept. 2016", "23 sept. 2016", dt.date(2016, 9, 23)),
        ("23 giugno 2016", "23 giugno 2016", dt.date(2016, 6, 23)),
        ("23 mrt 2016", "23 mrt 2016", dt.date(2016, 3, 23)),
        ("23 de outubro de 2016", "23 de outubro de 2016", dt.date(2016, 10, 23)),
    ],
)
def test_french_german_spanish_italian_dutch_portuguese_months(text: str, shown: str, date: dt.date) -> None:
    """Day-first dates in six more languages ("1er juin", "23. Juni", "23 de junio") keep the shown text."""
    assert find_date(text) == (date, shown)


@pytest.mark.parametrize(
    ("day_first", "month_first"),
    [("23 set 2016", "Set 23, 2016"), ("3 gen 2016", "Gen 3 2016"), ("7 mag 2016", "Mag 7, 2016")],
)
def test_other_languages_month_names_only_read_day_first(day_first: str, month_first: str) -> None:
    """Foreign month abbreviations count only day first: "Gen 3 2016" is no date, "3 gen 2016" is."""
    assert find_date(day_first) is not None
    assert find_date(month_first) is None


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("23/06/2016", JUNE_23),
        ("23-06-2016", JUNE_23),
        ("06-23-2016", JUNE_23),
        ("2016.06.23", JUNE_23),
        ("06.23.2016", JUNE_23),
        ("23.06.2016", JUNE_23),
        ("05/06/2016", dt.date(2016, 5, 6)),  # ambiguous: US order
        ("05-06-2016", dt.date(2016, 5, 6)),
        ("05.06.2016", dt.date(2016, 6, 5)),  # dotted: European order
    ],
)
def test_numeric_dates_read_day_first_when_the_first_number_cannot_be_a_month(
    text: str, date: dt.date
) -> None:
    """/ and - read month first unless it is over 12, dots day first; year first is always y-m-d."""
    found = find_date(text)
    assert found is not None
    assert found == (date, text)


@pytest.mark.parametrize(
    ("text", "shown", "date"),
    [
        ("6/23/16", "6/23/16", JUNE_23),
        ("06/23/16", "06/23/16", JUNE_23),
        ("  06/23/16\n", "06/23/16", JUNE_23),
        ("Posted on 6/23/16", "6/23/16", JUNE_23),
        ("Thu, 6/23/16 at 10:00 AM", "Thu, 6/23/16 at 10:00 AM", JUNE_23),
        ("23/06/16", "23/06/16", JUNE_23),
        ("23.06.16", "23.06.16", JUNE_23),
        ("News | 6/23/16 | 3 comments", "6/23/16", JUNE_23),
        ("12/31/99", "12/31/99", dt.date(1999, 12, 31)),
        ("01/01/69", "01/01/69", dt.date(1969, 1, 1)),
        ("12/31/68", "12/31/68", dt.date(2068, 12, 31)),
    ],
)
def test_two_digit_years_are_read_where_the_text_is_the_date(text: str, shown: str, date: dt.date) -> None:
    """A whole-text "6/23/16" (date element, table cell) is a date; yy < 69 is 20yy, else 19yy."""
    assert find_date(text) == (date, shown)
    assert parse_date(text) == date


@pytest.mark.parametrize(
    ("date", "not_date"),
    [
        ("6/23/16", "The vote went 6/23/16 against the motion"),
        ("02.04.16", "2.4.16"),
        ("2019.03.01", "Released PyCharm 2019.3.1 today"),
        ("build 2016.06.23", "build 2016.06.23.1"),
        ("12/13/16", "13/13/16"),
    ],
)
def test_two_digit_years_and_version_numbers_in_running_text_are_no_dates(date: str, not_date: str) -> None:
    """Two-digit years in running text, and version numbers, are no dates where the date form is."""
    assert find_date(date) is not None
    assert find_date(not_date) is None


def test_a_year_glued_to_the_next_text_still_ends_the_date() -> None:
    """A year glued to the next inline text ("2023No Comments") ends the date; a digit does not."""
    assert find_date("June 23, 2023No Comments") == (dt.date(2023, 6, 23), "June 23, 2023")
    assert find_date("23 June 2023Read more") == (dt.date(2023, 6, 23), "23 June 2023")
    assert find_date("June 23, 20230") is None


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Posted 2016-06-23 14:55 UTC", "2016-06-23 14:55 UTC"),
        ("Posted Jun. 21, 2016, 9:00 a.m. PDT", "Jun. 21, 2016, 9:00 a.m. PDT"),
        ("June 23, 2016 10:00 CEST | News", "June 23, 2016 10:00 CEST"),
        ("June 23, 2016 10:00 GMT+2", "June 23, 2016 10:00 GMT+2"),
        ("2016-06-23 14:55 +02:00", "2016-06-23 14:55 +02:00"),
        ("2016-06-23 14:55 -0500", "2016-06-23 14:55 -0500"),
        ("June 23, 2016, 10:00-11:00", "June 23, 2016, 10:00"),
        ("June 23, 2016 at 10:00 at the hall", "June 23, 2016 at 10:00"),
        ("June 23, 2016 at 10:00 THE END", "June 23, 2016 at 10:00"),
    ],
)
def test_the_shown_text_keeps_the_time_zone(text: str, shown: str) -> None:
    """``date_raw`` keeps a zone after the time ("UTC", "PDT", "+02:00"), not a range end or a word."""
    found = find_date(text)
    assert found is not None
    assert found[1] == shown


@pytest.mark.parametrize(
    ("text", "date", "shown"),
    [
        ("22 يونيو 2023", dt.date(2023, 6, 22), "22 يونيو 2023"),
        ("نشر في 30 مايو 2023", dt.date(2023, 5, 30), "30 مايو 2023"),
        ("الخميس، 22 يونيه، 2023", dt.date(2023, 6, 22), "الخميس، 22 يونيه، 2023"),
        ("3 ابريل 2021", dt.date(2021, 4, 3), "3 ابريل 2021"),
        ("5 جوان 2023", dt.date(2023, 6, 5), "5 جوان 2023"),
        ("3 كانون الثاني 2023", dt.date(2023, 1, 3), "3 كانون الثاني 2023"),
        ("1 تشرين  الأول 2021", dt.date(2021, 10, 1), "1 تشرين  الأول 2021"),
        ("12 آب 2022", dt.date(2022, 8, 12), "12 آب 2022"),
        ("٢٢ يونيو ٢٠٢٣", dt.date(2023, 6, 22), "٢٢ يونيو ٢٠٢٣"),
        ("٢٢/٠٦/٢٠٢٣", dt.date(2023, 6, 22), "٢٢/٠٦/٢٠٢٣"),
        ("22 ביוני 2023", dt.date(2023, 6, 22), "22 ביוני 2023"),
        ("פורסם 8 במאי 2023", dt.date(2023, 5, 8), "8 במאי 2023"),
        ("2023年6月22日", dt.date(2023, 6, 22), "2023年6月22日"),
        ("发布时间：2023年06月22日 10:30", dt.date(2023, 6, 22), "2023年06月22日 10:30"),
        ("2023년 6월 22일", dt.date(2023, 6, 22), "2023년 6월 22일"),
    ],
)
def test_arabic_hebrew_and_cjk_dates(text: str, date: dt.date, shown: str) -> None:
    """Arabic (Gulf, Maghreb, Levant; Arabic-Indic digits), Hebrew ("ביוני") and CJK dates are read."""
    assert find_date(text) == (date, shown)
    assert parse_date(text) == date
    assert find_date("2023年度 第1四半期決算説明会") is None  # a fiscal year
    assert find_date("2023年13月1日") is None


# -- the QA tester's pages, through parse_topic_page (tests/parsers/unseen: self-written pages) -----

UNSEEN = Path(__file__).parent / "unseen"


@pytest.mark.parametrize("backend", ["lexbor", "soup"])
@pytest.mark.parametrize(
    "name",
    [
        "spanish-city-noticias",
        "french-university-actualites",
        "german-city-press-releases",
        "squarespace-journal",
        "senate-press-release-table",
        "status-blog-odd-dates",
        "arabic-rtl-ministry-news",
    ],
)
def test_unseen_pages_give_their_labelled_dates(name: str, backend: str) -> None:
    """QA pages in es/fr/de, with two-digit years and time zones, give the labelled date and date_raw."""
    label = json.loads((UNSEEN / f"{name}.json").read_text(encoding="utf-8"))
    page = parse_topic_page((UNSEEN / f"{name}.html").read_bytes(), url=label["page_url"], backend=backend)
    got = {t.title: (t.date.isoformat() if t.date else None, t.date_raw) for t in page.teasers}
    want = {t["title"]: (t["date"], t["date_raw"]) for t in label["teasers"]}
    assert got == want


def test_a_recognised_date_line_stays_out_of_the_excerpt() -> None:
    """A date line of its own ("23 de junio de 2023") is metadata, so the excerpt is the summary alone."""
    label = json.loads((UNSEEN / "spanish-city-noticias.json").read_text(encoding="utf-8"))
    page = parse_topic_page((UNSEEN / "spanish-city-noticias.html").read_bytes(), url=label["page_url"])
    got = {t.title: t.excerpt for t in page.teasers}
    assert got == {t["title"]: t["excerpt"] for t in label["teasers"]}
