"""Plain-text dumps (the seed's format) become the same TopicPage, by rules, not per-page tuning."""

from __future__ import annotations

import json
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
    """Topic and every teaser (title, full excerpt, truncation) come out as labelled."""
    expected = json.loads(dump.with_suffix(".json").read_text(encoding="utf-8"))
    page = parse_text_dump(decode_html(dump.read_bytes()), source=dump)
    assert page.topic == expected["topic"]
    got = [{"title": t.title, "excerpt": t.excerpt, "truncated": t.truncated} for t in page.teasers]
    assert got == expected["teasers"]
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
