"""Text cleaning: whitespace, "Read more" tails, navigation phrases, link resolution."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from parsers import clean, parse_topic_page
from parsers.backends import BACKENDS
from parsers.clean import absolute_url, clean_excerpt, is_boilerplate, looks_truncated, normalize_space
from parsers.records import Teaser

# Text with the characters cleaning cares about: spaces of every kind, zero-width marks, arrows,
# ellipses and the words of "Read more" phrases.
_PIECES = st.sampled_from(
    ["Read more", "read", "more", "Continue reading", "about", "Lire la suite", "…", "...", "›", "»", "→",
     "[…]", "(more)", "[more]", "More", ">>", " ", "\u00a0", "\u200b", "\n\t", "word", "Learn", "must", ".",
     "é", "e\u0301", "\x01", "\x7f", "\u200f", "\u202e", "\u00ad", "\ufeff", "\u200c", "\u200d", "ی",
     "Full story", "Read the full article", "</", "<"]
)  # fmt: skip
_TEXTS = st.one_of(
    st.text(max_size=300), st.lists(_PIECES, max_size=30).map(" ".join), st.lists(_PIECES).map("".join)
)


@given(_TEXTS)
def test_normalize_space_is_idempotent(text: str) -> None:
    """Collapsing whitespace twice changes nothing more, and leaves no run of spaces."""
    once = normalize_space(text)
    assert normalize_space(once) == once
    assert "  " not in once
    assert once == once.strip()


@given(_TEXTS)
def test_normalize_space_leaves_nothing_invisible(text: str) -> None:
    """No control, bidi mark, zero-width space or soft hyphen survives; a joiner only between two
    characters."""
    once = normalize_space(text)
    assert not set(once) & set(clean._INVISIBLE)
    assert re.search(r"(?:^|\s)[\u200c\u200d]|[\u200c\u200d](?:\s|$)", once) is None


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("Story\x01\x08\x0bone\x7f", "Story one"),
        ("\u200fStory\u200e \u202eone\u202c", "Story one"),
        ("\u2067\u05d7\u05d3\u05e9\u05d5\u05ea\u2069 News", "\u05d7\u05d3\u05e9\u05d5\u05ea News"),
        ("Story\u200bone \u2060two\ufeff", "Storyone two"),
        ("Home\u00adland Security\u0085", "Homeland Security"),
        ("Co\u0301\u200bte", "Cóte"),  # a mark left beside its letter is composed (NFC)
        (
            "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
            "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
        ),  # Persian ZWNJ
        (
            "Family \U0001f468\u200d\U0001f469\u200d\U0001f467",
            "Family \U0001f468\u200d\U0001f469\u200d\U0001f467",
        ),
        ("Story \u200c one\u200d", "Story one"),  # joining nothing
    ],
)
def test_normalize_space_drops_what_a_browser_does_not_show(text: str, normalized: str) -> None:
    """Controls, bidi marks and zero-width spaces go; ZWNJ and ZWJ stay where they join letters."""
    assert normalize_space(text) == normalized


@given(_TEXTS)
@example("0\u200cREAD MORE")  # the joiner left at the end joins nothing
def test_clean_excerpt_is_idempotent(text: str) -> None:
    """Cleaning a cleaned excerpt changes nothing: every "Read more" tail is gone the first time."""
    once = clean_excerpt(text)
    assert clean_excerpt(once) == once
    assert once is None or once == normalize_space(once)


@given(_TEXTS)
def test_looks_truncated_reads_ends_as_its_patterns_do(text: str) -> None:
    """An ellipsis, or no closing punctuation, at the end (or before a final newline): truncated."""
    ellipsis = re.search(r"(?:…|\.\.\.|\[…\]|\[\.\.\.\])$", text) is not None
    terminal = re.search(r"[.!?;:…)\]\"'”’»]$", text) is not None
    assert looks_truncated(text) == (bool(text) and (ellipsis or not terminal))


@pytest.mark.parametrize(
    ("text", "cleaned"),
    [
        ("The first day ... Read more ›", "The first day ..."),
        ("It ended. Read more about Secure Communities", "It ended."),
        ("It ended. READ MORE ABOUT Secure Communities", "It ended."),
        ("Il a fini. Read more aBoUt l’été", "Il a fini."),
        ("Music from the game. Continue reading →", "Music from the game."),
        ("A detailed review of the book: En lire plus ...", "A detailed review of the book:"),
        ("Un texte. Lire la suite »", "Un texte."),
        ("Ein Text. Weiterlesen", "Ein Text."),
        ("The lab won [&hellip;] [...]", "The lab won [&hellip;]"),
        ("It is a must read", "It is a must read"),
        ("What you can learn", "What you can learn"),
        ("A thread more", "A thread more"),
        ("New guidance for partners. More", "New guidance for partners."),
        ("New guidance for partners [more]", "New guidance for partners"),
        ("New guidance for partners. (more…)", "New guidance for partners."),
        ("New guidance for partners (more...)", "New guidance for partners"),
        ("New guidance for partners more »", "New guidance for partners"),
        ("New guidance for partners. More…", "New guidance for partners."),
        ("Training, grants and more", "Training, grants and more"),
        ("Training, grants and more…", "Training, grants and more…"),
        ("Training, grants and more...", "Training, grants and more..."),
        ("The lab won. Read more » [more]", "The lab won."),
        ("Read more", None),
        ("   ", None),
        ("Summary six. Full story", "Summary six."),
        ("Summary six. Full press release »", "Summary six."),
        ("Summary seven. Read the full article", "Summary seven."),
        ("Summary seven. Read Full Story ›", "Summary seven."),
        ("The lab won. View the full report", "The lab won."),
        ("The lab won. Read the rest of this entry »", "The lab won."),
        ("Interference is incredibly unlikely. Read more </", "Interference is incredibly unlikely."),
        ("Interference is incredibly unlikely. Read more <", "Interference is incredibly unlikely."),
        ("Interference is incredibly unlikely. More </", "Interference is incredibly unlikely."),
        ("The film tells the full story", "The film tells the full story"),
        ("We read the full report", "We read the full report"),
        ("Interference is unlikely </", "Interference is unlikely </"),
    ],
)
def test_clean_excerpt_cuts_only_a_trailing_read_more(text: str, cleaned: str | None) -> None:
    """ "Read more", "Full story", "Read the full article" (also cut short by a page's end: "Read
    more </") go from the end; "read" or "learn" alone, and prose saying "the full story", stay."""
    assert clean_excerpt(text) == cleaned


@pytest.mark.parametrize(
    "text",
    ["You are here", "Subscribe to Secure Communities", "next ›", "« Older Entries", "Read more about X",
     "Lire la suite", "Leer más", "Home", "Skip to main content", "Here's how you know", "Full story",
     "Read the full article", "Read the rest of this entry »"],
)  # fmt: skip
def test_navigation_phrases_are_boilerplate(text: str) -> None:
    """Whole navigation phrases are boilerplate."""
    assert is_boilerplate(text)


@pytest.mark.parametrize(
    "text",
    ["Secure Communities", "Homeland Security", "Next steps for the border", "Read more books this summer",
     "Search and rescue teams deploy", "The full story of the border wall"],
)  # fmt: skip
def test_headlines_that_contain_navigation_words_are_not_boilerplate(text: str) -> None:
    """A headline that merely contains "Home", "Next" or "Search" is content."""
    assert not is_boilerplate(text)


def test_truncation_is_an_ellipsis_or_an_unfinished_sentence() -> None:
    """ "…", "..." or no closing punctuation: cut by the site."""
    assert looks_truncated("There will also be changes in the...")
    assert looks_truncated("including unprecedented num")
    assert not looks_truncated("It ended.")
    assert not looks_truncated(None)


def test_hrefs_wrapped_in_whitespace_resolve() -> None:
    """Sites wrap hrefs in newlines and tabs; browsers strip them."""
    assert absolute_url("\n\t\thttp://www.cowan.senate.gov/press/a\n\t", "http://x.gov/") == (
        "http://www.cowan.senate.gov/press/a"
    )
    assert absolute_url("#", "http://x.gov/") is None


_URL_PARTS = st.sampled_from(
    ["http://", "https://", "HTTPS://", "ftp://", "www.dhs.gov", "WWW.DHS.gov", "127.0.0.1", ":443", ":8080",
     ":99999", ":0", ":080", ":65536", ":٣", "user:pw@", "[::1]", "/", "/news", "?", "?page=1", "#top",
     "&a=b", " ", "\t", "\n", "é", "x"]
)  # fmt: skip


@given(st.lists(_URL_PARTS, max_size=8).map("".join))
@example("https://www.dhs.gov/news?")
@example("https://www.dhs.gov/news#top")
@example("https://www.dhs.gov/news\n")
@example("https://www.dhs.gov/news ")
@example("https://www.dhs.gov/ne\tws")
@example("https://WWW.dhs.gov/news")
@example("https://www.dhs.gov:443/news")
@example("http://www.dhs.gov:80/news")
@example("http://127.0.0.1:8080/news")
@example("http://127.0.0.1:08080/news")
@example("http://127.0.0.1:65536/news")
@example("http://:8080/news")
@example("http://user:pw@www.dhs.gov/news")
@example("https://www.dhs.gov?next=/news")
@example("https://[::1]/news")
@example("https://www.dhs.gov/news?page=1")
def test_canonical_url_shortcut_agrees_with_the_full_path(url: str) -> None:
    """A URL the shortcut passes through unchanged is one the split-and-join leaves unchanged."""
    if clean.is_canonical_url(url):
        assert clean._split_canonical(url) == url


@pytest.mark.parametrize(
    ("url", "identity"),
    [
        ("https://www.dhs.gov/news/a", "//dhs.gov/news/a"),
        ("HTTP://WWW.DHS.GOV:80/news/a#top", "//dhs.gov/news/a"),
        ("https://dhs.gov/news/a?utm_source=x&UTM_Medium=y", "//dhs.gov/news/a"),
        ("https://dhs.gov/news?page=2&gclid=abc&id=7", "//dhs.gov/news?page=2&id=7"),
        ("https://www.gov/a", "//www.gov/a"),  # "www" is the whole name there, not a prefix
        ("https://www2.dhs.gov/a", "//www2.dhs.gov/a"),
        ("https://dhs.gov:8443/a?utm=1", "//dhs.gov:8443/a?utm=1"),  # not a tracking parameter
        ("https://dhs.gov/news/déclaration", "//dhs.gov/news/d%C3%A9claration"),
        ("https://dhs.gov/news/d%c3%a9claration", "//dhs.gov/news/d%C3%A9claration"),
        ("https://dhs.gov/%7Euser/a%2Fb", "//dhs.gov/~user/a%2Fb"),  # %2F stays: it is not a "/"
    ],
)
def test_identity_url_ignores_scheme_www_and_tracking(url: str, identity: str) -> None:
    """One item's links differ by scheme, ``www.`` and campaign tags; its identity does not."""
    assert clean.identity_url(url) == identity


@given(st.sampled_from(["http", "https"]), st.booleans(), st.text(alphabet="abc/?=&_", max_size=20))
def test_identity_url_is_the_same_for_every_spelling(scheme: str, www: bool, rest: str) -> None:
    """Switching scheme, adding ``www.`` or a ``utm_`` parameter never changes the identity."""
    url = f"{scheme}://{'www.' if www else ''}dhs.gov/{rest}"
    tagged = f"{url}{'&' if '?' in url else '?'}utm_campaign=weekly"
    assert clean.identity_url(url) == clean.identity_url(f"https://dhs.gov/{rest}")
    assert clean.identity_url(tagged) == clean.identity_url(url)


@pytest.mark.parametrize(
    ("href", "url"),
    [
        ("/news/a b", "https://www.dhs.gov/news/a%20b"),
        ("\n\t /news/press-release.cfm?id=7\n\t", "https://www.dhs.gov/news/press-release.cfm?id=7"),
        ("/news/\n\tlong-title", "https://www.dhs.gov/news/long-title"),
        ("https://www.dhs.gov/a b?q=x y", "https://www.dhs.gov/a%20b?q=x%20y"),
    ],
)
def test_absolute_url_reads_whitespace_as_a_browser_does(href: str, url: str) -> None:
    """Tabs and newlines anywhere and spaces around an href are dropped; a space inside is %20."""
    assert absolute_url(href, "https://www.dhs.gov/keywords/x") == url


@pytest.mark.parametrize(
    ("href", "url"),
    [
        ("\\news\\1", "https://www.dhs.gov/news/1"),
        ("https:\\\\e.gov\\x", "https://e.gov/x"),
        ("https://e.gov\\news\\1", "https://e.gov/news/1"),
        ("\\\\other.example\\x", "https://other.example/x"),
        ("news\\2", "https://www.dhs.gov/keywords/news/2"),
        ("/search?q=a\\b#c\\d", "https://www.dhs.gov/search?q=a\\b#c\\d"),  # only before the query
        ("\x01/news/a\x7fb\x1f", "https://www.dhs.gov/news/a%7Fb"),
        ("https://user@/news/x", None),
        ("https://user:pw@:8080/news/x", None),
        ("http://:8080/a", None),
        ("//@/a", None),
        ("mailto:a\\b@e.gov", None),
        ("http://ex%zz.com/a", None),
        ("http://\u00ad/a", None),
        ("//ex\u3000ample.com/a", None),
        ("/web/20160701000000/http://ex%20ample.com/a", None),
        ("http://b\u00fccher.de/a", "http://b\u00fccher.de/a"),
        ("http://ex%41mple.com/a", "http://ex%41mple.com/a"),
    ],
)
def test_absolute_url_reads_backslashes_and_hosts_as_a_browser_does(href: str, url: str | None) -> None:
    """A backslash is a slash in a web link's address; a link with no host name is no link."""
    assert absolute_url(href, "https://www.dhs.gov/keywords/x") == url


_HREF_PARTS = st.sampled_from(
    ["http:", "https:", "HTTPS:", "//", "/", "\\", "\\\\", "user@", "user:pw@", "@", ":", ":8080", ":99999",
     "www.dhs.gov", "[::1]", "[", "news", "?q=1", "#top", " ", "\t", "\x01", "\x7f", "é", ".", "..",
     "/web/20160701000000/", "mailto:", "javascript:", "%zz", "%41", "\u3000", "\u00ad"]
)  # fmt: skip


@given(st.lists(_HREF_PARTS, max_size=8).map("".join))
@example("https://user@/news/x")
@example("\\\\/news")
def test_absolute_url_gives_only_links_the_record_contract_takes(href: str) -> None:
    """Whatever ``absolute_url`` returns is a valid record URL (never a ValidationError later)."""
    url = absolute_url(href, "https://www.dhs.gov/keywords/x")
    if url is not None:
        assert Teaser(title="A story", url=url, position=1).url == url


def _drupal_page(rows: list[tuple[str, str, str]]) -> str:
    """A Drupal 7 listing (the dhs.gov template) of (href, title, body) rows."""
    teasers = "".join(
        f'<div class="views-row"><div class="node node-teaser"><h2 class="node-title"><a href="{href}">'
        f'{title}</a></h2><div class="field-name-body"><p>{body}</p></div></div></div>'
        for href, title, body in rows
    )
    return (
        '<!DOCTYPE html><html><head><title>News | Agency</title></head><body><div class="region-content">'
        f'<h1 class="page-title">News</h1><div class="view-content">{teasers}</div></div></body></html>'
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_page_reads_backslash_links_controls_and_read_more_variants(backend: str) -> None:
    """QA's pages: backslash hrefs, control and bidi characters in titles, "Full story" and "Read the
    full article" links and a page cut inside the last "Read more" link."""
    html = _drupal_page(
        [
            ("\\news\\1", "Story\x01\x08 one\x7f", "Summary one. <a>Full story</a>"),
            (
                "https:\\\\e.gov\\news\\2",
                "&rlm;Story&lrm; \u202etwo\u202c",
                "Summary two. <a>Read the full article</a>",
            ),
            ("https://user@/news/3", "Story\u200bthree", "Summary three. <a href='/3'>Read more </a>"),
        ]
    )
    html = html[: html.rindex("Read more") + len("Read more </")]  # the download stopped there
    page = parse_topic_page(html, url="https://e.gov/news", backend=backend)
    assert [(t.title, t.url, t.excerpt) for t in page.teasers] == [
        ("Story one", "https://e.gov/news/1", "Summary one."),
        ("Story two", "https://e.gov/news/2", "Summary two."),
        ("Storythree", None, "Summary three."),
    ]


@pytest.mark.parametrize(
    ("headline", "link"),
    [
        ("Read more about my move to Berlin", "Read more about Secure Communities"),
        ("Read more about my move to Berlin", "Read more about my move ›"),
        (
            "Read more about my move to Berlin",
            "Read more about Fact Sheet: Updated Facts on ICE’s 287(g) Program",
        ),
        ("Keep Reading: my 2023 summer reading list", "Keep reading:"),
        ("Continue reading: the sequel", "Continue reading “Episode 118”"),
        ("Continue reading: the sequel", "Continue reading →"),
        ("See more than you expect: a night at the observatory", "View all press releases"),
        ("See more than you expect: a night at the observatory", "See more stories ›"),
    ],
)
def test_a_headline_opening_with_a_link_phrase_is_not_boilerplate(headline: str, link: str) -> None:
    """A link phrase going on as a sentence is a headline; naming its item (or with an arrow), a link."""
    assert not is_boilerplate(headline)
    assert is_boilerplate(link)
