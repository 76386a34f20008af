"""Plain-text dumps (the seed's format) become the same TopicPage, by rules, not per-page tuning."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parsers import NoTeasersFound, ParseError, parse_text_dump
from parsers.clean import is_boilerplate
from parsers.decode import decode_html
from parsers.text import looks_like_text_dump

DUMPS = Path(__file__).parent / "dumps"
CASES = sorted(DUMPS.glob("*.txt"))


@pytest.mark.parametrize("dump", CASES, ids=lambda p: p.stem)
def test_dump_matches_its_labels(dump: Path) -> None:
    """Topic and every teaser (title, full excerpt, truncation, date) come out as labelled."""
    expected = json.loads(dump.with_suffix(".json").read_text(encoding="utf-8"))
    page = parse_text_dump(decode_html(dump.read_bytes()), source=dump)
    assert page.topic == expected["topic"]
    got = [
        {
            "title": t.title,
            "excerpt": t.excerpt,
            "truncated": t.truncated,
            "date": t.date and t.date.isoformat(),
            "date_raw": t.date_raw,
        }
        for t in page.teasers
    ]
    assert got == [{"date": None, "date_raw": None, **t} for t in expected["teasers"]]
    assert page.profile == "text"
    assert all(not is_boilerplate(t.title) for t in page.teasers)


def test_seed_gives_exactly_five_teasers_the_fourth_cut() -> None:
    """The seed: topic "Secure Communities", five teasers, only the fourth truncated."""
    page = parse_text_dump((DUMPS / "secure-communities.txt").read_text(encoding="utf-8"))
    assert page.topic == "Secure Communities"
    assert len(page.teasers) == 5
    assert [t.truncated for t in page.teasers] == [False, False, False, True, False]
    assert page.teasers[3].excerpt is not None
    assert page.teasers[3].excerpt.endswith("including unprecedented num")
    titles = {t.title for t in page.teasers}
    assert not titles & {"You are here", "Subscribe to Secure Communities", "Back to Top"}


def test_records_point_at_the_file_without_a_url() -> None:
    """Without --url the records' source is the dump's file:// URI, and they validate."""
    dump = DUMPS / "secure-communities.txt"
    page = parse_text_dump(dump.read_text(encoding="utf-8"), source=dump)
    records = page.to_records()
    assert {r.source_url for r in records} == {dump.resolve().as_uri()}
    assert len({r.id for r in records}) == 5


def test_url_is_used_when_given() -> None:
    """A given URL becomes the records' source URL."""
    page = parse_text_dump(
        (DUMPS / "secure-communities.txt").read_text(encoding="utf-8"),
        url="https://www.dhs.gov/keywords/secure-communities",
    )
    assert page.url == "https://www.dhs.gov/keywords/secure-communities"


def test_headline_then_headline_means_no_excerpt() -> None:
    """T T E: the first teaser has no summary; T X T E: X is a short summary."""
    page = parse_text_dump(
        "News\n\nFirst headline\n\nSecond headline\n\n"
        "A long enough summary sentence for the second headline that reads as prose.\n\n"
        "Third headline\n\nShort note\n\nFourth headline\n\n"
        "Another summary sentence that reads as prose, long enough to be a paragraph.\n"
    )
    assert [(t.title, t.excerpt is None) for t in page.teasers] == [
        ("First headline", True),
        ("Second headline", False),
        ("Third headline", False),
        ("Fourth headline", False),
    ]
    assert page.teasers[2].excerpt == "Short note"


def test_only_navigation_is_no_teasers() -> None:
    """A dump of nothing but navigation has no teasers."""
    with pytest.raises(NoTeasersFound):
        parse_text_dump("You are here\n\nHome » Topics\n\nBack to Top\n")


@pytest.mark.parametrize(
    ("text", "dump"),
    [
        ("You are here\n\nSecure Communities\n", True),
        ("<!DOCTYPE html><html>", False),
        ("\ufeff<html>", False),
    ],
)
def test_looks_like_text_dump(text: str, dump: bool) -> None:
    """Markup at the start means HTML; anything else is read as a dump."""
    assert looks_like_text_dump(text) is dump


@given(st.text(max_size=2000))
def test_any_text_gives_a_page_or_a_parse_error(text: str) -> None:
    """Arbitrary text never raises anything but ParseError, and teasers are never boilerplate."""
    try:
        page = parse_text_dump(text)
    except ParseError:
        return
    assert all(t.title and not is_boilerplate(t.title) for t in page.teasers)


@pytest.mark.parametrize("words", [1, 3, 6, 10, 14])
def test_a_dump_cut_in_a_summary_keeps_it_as_the_summary(words: int) -> None:
    """A dump that ends mid-line (a download cut short) ends in the middle of a summary: its last
    line, however few words, is the summary of the headline above it (truncated), not a headline."""
    full = (DUMPS / "secure-communities.txt").read_text(encoding="utf-8")
    seed = parse_text_dump(full)
    second = seed.teasers[1]
    assert second.excerpt is not None
    cut_at = full.index(second.excerpt) + len(" ".join(second.excerpt.split()[:words])) - 1
    page = parse_text_dump(full[:cut_at])
    assert [t.title for t in page.teasers] == [t.title for t in seed.teasers[:2]]
    assert page.teasers[1].excerpt == full[full.index(second.excerpt) : cut_at].strip()
    assert page.teasers[1].truncated
    assert page.teasers[0] == seed.teasers[0]


def test_a_dump_ending_with_a_line_break_keeps_a_last_headline() -> None:
    """A whole dump (ending with a line break) whose last teaser has no summary keeps it as a
    headline: only a cut mid-line makes the last line a summary."""
    dump = (
        "Secure Communities\n\nFirst headline\n\n"
        + "A summary that reads as prose and ends. " * 3
        + "\n\nLast headline\n"
    )
    page = parse_text_dump(dump)
    assert [t.title for t in page.teasers] == ["First headline", "Last headline"]
    assert page.teasers[1].excerpt is None


SUMMARY = "A summary that reads as prose and ends, as every summary on the page does."


def _dump(*blocks: str) -> str:
    return "\n\n".join(blocks) + "\n"


def test_date_lines_become_the_teasers_dates() -> None:
    """A date on its own line under a headline is that teaser's date, never a record."""
    page = parse_text_dump(
        _dump("Secure Communities", "First headline", "June 20, 2016", SUMMARY)
        + _dump("Second headline", "Posted on June 18, 2016", SUMMARY)
    )
    assert [(t.title, t.excerpt, t.date, t.date_raw) for t in page.teasers] == [
        ("First headline", SUMMARY, dt.date(2016, 6, 20), "June 20, 2016"),
        ("Second headline", SUMMARY, dt.date(2016, 6, 18), "June 18, 2016"),
    ]


def test_dates_above_headlines_go_with_the_headline_below() -> None:
    """Where the first date comes before the first headline, each date heads the teaser below."""
    page = parse_text_dump(
        _dump("News", "06/20/2016", "First headline", SUMMARY, "06/18/2016", "Second headline", SUMMARY)
    )
    assert [(t.title, t.date) for t in page.teasers] == [
        ("First headline", dt.date(2016, 6, 20)),
        ("Second headline", dt.date(2016, 6, 18)),
    ]


def test_footer_links_after_the_last_teaser_are_no_records() -> None:
    """Site links, a result count, share buttons and "Page last reviewed" close the listing."""
    footer = "\n".join(
        [
            "Showing 1 - 2 of 23 results",
            "Share This Page",
            "Facebook",
            "Careers",
            "Web Policies",
            "Page last reviewed/modified on June 23, 2016",
            "A Footer Headline",
            SUMMARY,
        ]
    )
    page = parse_text_dump(_dump("News", "First headline", SUMMARY, "Second headline", SUMMARY, footer))
    assert [t.title for t in page.teasers] == ["First headline", "Second headline"]


def test_a_menu_run_without_a_breadcrumb_gives_up_the_topic() -> None:
    """Short link lines in a run are a menu; the one right above the first headline is the topic."""
    menu = "\n".join(
        ["Topics", "News", "In Focus", "How Do I?", "Get Involved", "About DHS", "Cybersecurity"]
    )
    page = parse_text_dump(menu + "\n" + _dump("A headline of the listing", SUMMARY))
    assert page.topic == "Cybersecurity"
    assert [t.title for t in page.teasers] == ["A headline of the listing"]


@pytest.mark.parametrize(
    "location",
    [
        "You are here: Home / Keywords / Secure Communities",
        "You are here\nHome » Keywords » Secure Communities",
        "You are here\nHome\n» Secure Communities",
    ],
)
def test_the_topic_follows_the_breadcrumb(location: str) -> None:
    """Whatever the breadcrumb's shape, the header ends there and the next heading is the topic."""
    page = parse_text_dump(
        _dump("Search form\nTopics", location, "Secure Communities", "A headline", SUMMARY)
    )
    assert page.topic == "Secure Communities"
    assert [t.title for t in page.teasers] == ["A headline"]


def test_joined_banner_phrases_are_navigation() -> None:
    """The flag's alt text and the banner copied onto one line are one navigation line."""
    banner = (
        "US flag signifying that this is a United States Federal Government website "
        "Official website of the Department of Homeland Security"
    )
    page = parse_text_dump(_dump(banner, "Secure Communities", "A headline", SUMMARY))
    assert page.topic == "Secure Communities"


@pytest.mark.parametrize(
    ("headline", "kept"),
    [
        ("Remarks at the U.S. Conference of Mayors Annual Meeting in Washington, D.C.", True),
        ("Acme Partners With Blue Campaign Inc.", True),
        ("the program now runs in every county of the U.S.", False),
    ],
)
def test_a_title_cased_headline_may_end_in_an_abbreviation(headline: str, kept: bool) -> None:
    """A title-cased line ending "D.C." is a headline; a prose line ending "U.S." is a summary."""
    page = parse_text_dump(_dump("News", "First headline", "Short summary.", headline, SUMMARY))
    assert ([t.title for t in page.teasers] == ["First headline", headline]) is kept


def test_a_dump_cut_in_a_headline_drops_it_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    """A dump ending mid-line after a summary was cut in a title: that wrong title is no record."""
    full = (DUMPS / "secure-communities.txt").read_text(encoding="utf-8")
    cut = full[: full.index("Record-Breaking") + len("Record-Break")]
    with caplog.at_level(logging.WARNING, logger="parsers.text"):
        page = parse_text_dump(cut)
    assert [t.title for t in page.teasers] == [t.title for t in parse_text_dump(full).teasers[:3]]
    assert "Record-Break" in caplog.text


@pytest.mark.parametrize("separator", ["\f", "\v", "\u2028", "\u2029", "\x85", "\x1c"])
def test_only_line_breaks_split_lines(separator: str) -> None:
    """A form feed or Unicode line separator inside a title is a space, not a new line."""
    page = parse_text_dump(_dump("News", f"Record-Breaking{separator}Enforcement Results", SUMMARY))
    assert [t.title for t in page.teasers] == ["Record-Breaking Enforcement Results"]


def test_a_paragraph_broken_over_two_lines_stays_one_summary() -> None:
    """A summary line left open, then a line starting in lower case: one summary, not a headline."""
    opened = "Out of an abundance of caution, the public will continue to see an"
    closed = "enhanced security presence at airports and train stations…"
    page = parse_text_dump(_dump("News", "A headline", opened, closed, "Next headline", SUMMARY))
    assert [(t.title, t.excerpt) for t in page.teasers] == [
        ("A headline", f"{opened} {closed}"),
        ("Next headline", SUMMARY),
    ]


def test_read_more_broken_before_about_is_navigation() -> None:
    """A "Read more" line and its hidden "about <title>" on the next line are no record."""
    page = parse_text_dump(
        _dump("News", "A headline", SUMMARY, "Read more\nabout A headline", "Another headline", SUMMARY)
    )
    assert [t.title for t in page.teasers] == ["A headline", "Another headline"]


@pytest.mark.parametrize(
    "text",
    [
        "Name:\tpython\nUmask:\t0022\nState:\tR (running)\nTgid:\t7617\nPid:\t7617\nVmPeak:\t 50736 kB\n"
        "Mems_allowed:\t" + ",".join(["00000000"] * 31) + ",00000001\nvoluntary_ctxt_switches:\t1\n",
        "2016-06-20 12:00:01 INFO start\n2016-06-20 12:00:02 INFO fetched 5 pages\n"
        "2016-06-20 12:00:03 WARNING retry\n2016-06-20 12:00:04 INFO done\n",
        "Alpha\nBeta\nGamma\nDelta\nEpsilon\nZeta\n",
    ],
    ids=["proc-status", "log", "word-list"],
)
def test_a_text_without_listing_shape_has_no_teasers(text: str) -> None:
    """No summary that reads as prose, no date: not a listing (NoTeasersFound, not junk records)."""
    with pytest.raises(NoTeasersFound):
        parse_text_dump(text)


def test_a_topic_with_only_its_introduction_has_no_teasers() -> None:
    """A keyword page listing nothing: its introduction and "no content" note are no teasers."""
    dump = _dump(
        "You are here\nHome » E-Verify Self Check",
        "E-Verify Self Check",
        "Self Check is a free online service of E-Verify that allows workers in the United States "
        "to confirm their employment eligibility.",
        "There is currently no content classified with this term.",
        "Back to Top",
    )
    with pytest.raises(NoTeasersFound):
        parse_text_dump(dump)


LICENCE = (
    "<!--\n" + "  Copyright (c) Example Agency. All rights reserved. License text line.\n" * 60 + "-->\n"
)


@pytest.mark.parametrize(
    ("text", "dump"),
    [
        (LICENCE + "<html><body><ul class='news-list'><li>x</li></ul></body></html>", False),
        ("<table><tr><td>News</td></tr></table>", False),
        ('<ul class="news-list">\n<li><h2>A</h2></li></ul>', False),
        ("\n  <section>\n<h2>News</h2></section>", False),
        ("Copied text\n\n" + "line\n" * 50 + '<ul class="news-list">\n<li>A</li>', False),
        ("News\n\nA headline\n\nRead more >\n\nCosts < $5 and > $2 per person\n", True),
    ],
    ids=["licence-comment", "table", "ul", "section", "tag-later", "angle-brackets-in-text"],
)
def test_markup_anywhere_in_the_head_means_html(text: str, dump: bool) -> None:
    """A page opening with a comment or a bare table/list/section, or holding a tag, is HTML."""
    assert looks_like_text_dump(text) is dump


def test_an_unusable_page_url_is_a_parse_error() -> None:
    """A page URL no record could carry is a ParseError naming it, never a pydantic error."""
    with pytest.raises(ParseError, match="not a usable page URL"):
        parse_text_dump((DUMPS / "secure-communities.txt").read_text(encoding="utf-8"), url="https://[::1/")


@pytest.mark.parametrize(
    "footer",
    [
        "© 2016 U.S. Department of Homeland Security",
        "Copyright 2016 U.S. Department of Homeland Security",
        "Copyright © DHS. All rights reserved.",
        "Stay Connected",
        "Privacy Policy",
    ],
)
def test_a_footer_line_without_a_summary_under_it_ends_the_listing(footer: str) -> None:
    """A whole-line footer phrase followed by no summary closes the listing, even before teasers."""
    page = parse_text_dump(_dump("News", "First headline", SUMMARY, footer, "A Footer Headline", SUMMARY))
    assert [t.title for t in page.teasers] == ["First headline"]


@pytest.mark.parametrize(
    "title",
    [
        "Copyright Theft: ICE and Partners Seize 82 Domain Names",
        "Copyright 2016 Report on Counterfeit Goods",
        "Contact Us",
        "Close",
        "Homeland Security",
        "June 2016",
        "Related Links",
    ],
)
def test_a_vocabulary_line_with_a_summary_under_it_is_a_headline(title: str) -> None:
    """A footer or header phrase followed by a prose summary is a teaser, and the listing goes on."""
    page = parse_text_dump(_dump("News", "First headline", SUMMARY, title, SUMMARY, "Last headline", SUMMARY))
    assert [(t.title, t.excerpt) for t in page.teasers] == [
        ("First headline", SUMMARY),
        (title, SUMMARY),
        ("Last headline", SUMMARY),
    ]


def test_a_summary_is_never_glued_across_a_dropped_line() -> None:
    """A boilerplate line dropped between summaries keeps the text under it out of the one above."""
    other = "Share is a new program that lets local agencies share information with partners."
    page = parse_text_dump(_dump("News", "First headline", SUMMARY, "Share", other, "Last headline", SUMMARY))
    assert [(t.title, t.excerpt) for t in page.teasers] == [
        ("First headline", SUMMARY),
        ("Last headline", SUMMARY),
    ]


def test_titles_with_dates_and_no_summaries_keep_every_headline() -> None:
    """T D T D: each title is a teaser with the date under it, none a summary of the one above."""
    page = parse_text_dump(
        _dump("News", "First headline", "June 22, 2016", "Second headline", "June 21, 2016")
    )
    assert [(t.title, t.excerpt, t.date) for t in page.teasers] == [
        ("First headline", None, dt.date(2016, 6, 22)),
        ("Second headline", None, dt.date(2016, 6, 21)),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Alpha Beta\nGamma Delta\nEpsilon Zeta\nEta Theta\n",
        "red apple pie\ngreen pear tart\nyellow lemon cake\n",
        "2016-06-20 12:00:01 INFO Fetched Five Pages\n2016-06-20 12:00:02 WARNING Retry After Timeout\n",
        "Name: Python Worker Process\nState: Running Since Boot\nGroups: Wheel Admin Users\n",
        "News\n\nOne Lone Headline Here\n",
    ],
    ids=["two-word-list", "lower-case-list", "title-cased-log", "title-cased-key-value", "one-title"],
)
def test_short_lines_that_do_not_read_as_titles_are_no_listing(text: str) -> None:
    """Titles alone make a listing only if two or more read as titles (not words, logs, keys)."""
    with pytest.raises(NoTeasersFound):
        parse_text_dump(text)
