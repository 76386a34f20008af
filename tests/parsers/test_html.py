"""parse_topic_page on the bundled dhs.gov 2016 fixtures, on bad input, and on arbitrary input."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsers import (
    InputTooLarge,
    NoTeasersFound,
    ParseError,
    UndecodableInput,
    page_index,
    parse_text_dump,
    parse_topic_page,
)
from parsers.backends import BACKENDS, BLOCK_TAGS, get_backend
from parsers.clean import is_boilerplate
from parsers.html import _too_deep_to_parse
from parsers.profiles import Profile, load_profile_file

ROOT = Path(__file__).resolve().parents[2]
DHS = ROOT / "fixtures" / "dhs"
SEED = ROOT.parent / "shared" / "seed" / "secure-communities.txt"
SEED_COPY = ROOT / "tests" / "parsers" / "dumps" / "secure-communities.txt"
LABELS = sorted((DHS / "expected").glob("*.json"))
INDEX = json.loads((DHS / "index.json").read_text(encoding="utf-8"))["responses"]


def _label(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _page_file(label: dict[str, Any]) -> tuple[bytes, str | None]:
    saved = INDEX[label["page_url"]]
    content_type = next((v for k, v in saved["headers"] if k.lower() == "content-type"), None)
    return (DHS / saved["file"]).read_bytes(), content_type


LABELLED = [p for p in LABELS if _label(p)["teasers"]]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("label_path", LABELLED, ids=lambda p: p.stem)
def test_fixture_matches_its_labels(label_path: Path, backend: str) -> None:
    """Topic, every teaser (title, URL, excerpt, date) in order, and the next page match the labels."""
    label = _label(label_path)
    body, content_type = _page_file(label)
    page = parse_topic_page(body, url=label["page_url"], backend=backend, content_type=content_type)
    assert page.profile == "drupal7"
    assert page.topic == label["topic"]
    assert page.next_url == label["next_page"]
    got = [
        {"title": t.title, "url": t.url, "excerpt": t.excerpt, "date": t.date and t.date.isoformat()}
        for t in page.teasers
    ]
    want = [{k: t[k] for k in ("title", "url", "excerpt", "date")} for t in label["teasers"]]
    assert got == want
    assert [t.position for t in page.teasers] == list(range(1, len(want) + 1))
    assert page.page == page_index(label["page_url"])


@pytest.mark.parametrize("label_path", LABELLED, ids=lambda p: p.stem)
def test_no_record_holds_boilerplate(label_path: Path) -> None:
    """No title or excerpt contains the page's navigation text ("You are here", menus, footer…)."""
    label = _label(label_path)
    body, content_type = _page_file(label)
    records = parse_topic_page(body, url=label["page_url"], content_type=content_type).to_records()
    phrases = [*label["boilerplate_seen"], "You are here", "Back to Top", "Subscribe to", "Read more"]
    for record in records:
        for text in (record.title, record.excerpt or ""):
            assert not is_boilerplate(text)
            for phrase in phrases:
                assert not re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text), (phrase, text)


def test_page_zero_carries_the_seed_verbatim() -> None:
    """The 2016 Secure Communities page gives exactly the seed's five teasers, the fourth cut."""
    seed_text = SEED.read_text(encoding="utf-8") if SEED.exists() else SEED_COPY.read_text(encoding="utf-8")
    seed = parse_text_dump(seed_text)
    body = (DHS / "www.dhs.gov" / "keywords-secure-communities.html").read_bytes()
    page = parse_topic_page(body, url="https://www.dhs.gov/keywords/secure-communities")
    assert [(t.title, t.excerpt) for t in page.teasers] == [(t.title, t.excerpt) for t in seed.teasers]
    assert [t.truncated for t in page.teasers] == [False, False, False, True, False]
    assert all(t.url and t.url.startswith("https://www.dhs.gov/") for t in page.teasers)
    assert page.next_url == "https://www.dhs.gov/keywords/secure-communities?page=1"


def test_windows_1252_declared_only_in_meta() -> None:
    """The cp1252 page (no charset in HTTP) decodes its smart quotes and dashes, not mojibake."""
    body = (DHS / "www.dhs.gov" / "news-releases-press-releases-page-7.html").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    page = parse_topic_page(body, url="https://www.dhs.gov/news-releases/press-releases?page=7")
    text = " ".join(f"{t.title} {t.excerpt}" for t in page.teasers)
    assert "’" in text
    assert "\ufffd" not in text
    assert "Ã" not in text


def test_page_without_teasers_raises_no_teasers_found() -> None:
    """A readable page whose view is empty raises NoTeasersFound naming the URL."""
    body = (DHS / "www.dhs.gov" / "keywords-e-verify-self-check.html").read_bytes()
    url = "https://www.dhs.gov/keywords/e-verify-self-check"
    with pytest.raises(NoTeasersFound, match="e-verify-self-check"):
        parse_topic_page(body, url=url)


def test_file_url_takes_the_canonical_link() -> None:
    """A page read from disk (file:// URL) resolves its links against its canonical URL."""
    path = DHS / "www.dhs.gov" / "keywords-secure-communities-page-2.html"
    page = parse_topic_page(path.read_bytes(), url=path.as_uri())
    assert page.url == "https://www.dhs.gov/keywords/secure-communities?page=2"
    assert page.page == 2
    assert all(t.url and t.url.startswith("https://www.dhs.gov/") for t in page.teasers)


SOUNDSOFTWARE = ROOT / "tests" / "corpus" / "drupal6-soundsoftware-acuk-taxonomy-term.html"


@pytest.mark.parametrize(
    "note",
    [
        "<!-- saved from url=(0063)https://www.soundsoftware.ac.uk/taxonomy/term/12?page=1 -->\r\n",
        "<!--\n Page saved with SingleFile \n url: https://www.soundsoftware.ac.uk/taxonomy/term/12?page=1"
        " \n saved date: Tue Jul 05 2016 16:24:03 GMT+0000 (Coordinated Universal Time)\n-->\n",
    ],
    ids=["chrome", "singlefile"],
)
def test_file_url_takes_the_address_the_browser_saved_it_from(note: str) -> None:
    """A page saved by a browser without a canonical link resolves its links against the address
    the browser noted when saving it (Chrome's "saved from url", SingleFile's header)."""
    body = SOUNDSOFTWARE.read_bytes()
    assert b"canonical" not in body
    without = parse_topic_page(body, url=SOUNDSOFTWARE.as_uri())
    assert all(t.url is None for t in without.teasers)  # relative links, nothing to resolve them by
    page = parse_topic_page(note.encode() + body, url=SOUNDSOFTWARE.as_uri())
    assert page.url == "https://www.soundsoftware.ac.uk/taxonomy/term/12?page=1"
    assert page.page == 1
    assert page.teasers
    assert all(t.url and t.url.startswith("https://www.soundsoftware.ac.uk/") for t in page.teasers)


@pytest.mark.parametrize("backend", BACKENDS)
def test_blocks_are_read_apart_and_inline_markup_together(backend: str) -> None:
    """Text reads as a browser lays it out, whatever whitespace the source has between tags."""
    root = get_backend(backend)(
        '<div id="d"><span class="date-box"><div>Mar</div><div>9</div><div>2015</div></span></div>'
        '<h2 id="t">\u201c<em>removable</em>\u201d<br>kits</h2>'
    )
    date, title = root.css_first("#d"), root.css_first("#t")
    assert date is not None
    assert title is not None
    assert date.text() == "Mar 9 2015"
    assert title.text() == "\u201cremovable\u201d kits"


REAL_PAGES = sorted([*ROOT.glob("fixtures/**/*.html"), *(ROOT / "tests" / "corpus").glob("*.html")])
_BLOCKS = "|".join(sorted(BLOCK_TAGS, key=len, reverse=True))
_BLOCK_GAP_RE = re.compile(
    rf"(<(?:/?(?:{_BLOCKS}))\b[^>]*>)\s+(?=<)|(?<=>)\s+(<(?:/?(?:{_BLOCKS}))\b)".encode()
)


def _minify(body: bytes) -> bytes:
    """``body`` with the whitespace between tags dropped wherever a block-level tag is one of them,
    as HTML minifiers do (such whitespace never shows)."""
    while (smaller := _BLOCK_GAP_RE.sub(lambda m: m.group(1) or m.group(2), body)) != body:
        body = smaller
    return body


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("path", REAL_PAGES, ids=[p.stem for p in REAL_PAGES])
def test_minified_markup_reads_the_same(path: Path, backend: str) -> None:
    """A page minified (no whitespace around blocks) gives the same topic, teasers and next page."""
    body = path.read_bytes()
    try:
        plain = parse_topic_page(body, url="https://www.dhs.gov/list", backend=backend)
    except NoTeasersFound:
        return
    small = _minify(body)
    assert len(small) < len(body)
    read = parse_topic_page(small, url="https://www.dhs.gov/list", backend=backend)
    assert (read.topic, read.teasers, read.next_url) == (plain.topic, plain.teasers, plain.next_url)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_stray_nul_byte_is_damage_not_binary(backend: str) -> None:
    """One NUL inside a UTF-8 page is dropped, as a browser does: the same teasers, not "binary"."""
    body = (DHS / "www.dhs.gov" / "keywords-secure-communities.html").read_bytes()
    at = body.index(b" Mayorkas")
    damaged = body[:at] + b"\x00" + body[at:]
    url = "https://www.dhs.gov/keywords/secure-communities"
    read = parse_topic_page(damaged, url=url, backend=backend)
    assert read.teasers == parse_topic_page(body, url=url, backend=backend).teasers


def test_base_href_is_honoured() -> None:
    """Relative links resolve against <base href>, not the page URL."""
    html = (
        '<html><head><base href="https://archive.example.org/site/"></head><body>'
        '<div class="view-content"><div class="views-row"><h2 class="node-title">'
        '<a href="news/a">A headline here</a></h2></div></div></body></html>'
    )
    page = parse_topic_page(html, url="https://www.example.gov/topic")
    assert page.teasers[0].url == "https://archive.example.org/site/news/a"


@pytest.mark.parametrize(
    "page_url",
    ["https://web.archive.org/web/20160701000000/https://www.dhs.gov/k", "https://www.dhs.gov/k"],
    ids=["archive-url", "original-url"],
)
def test_archive_links_are_unwrapped(page_url: str) -> None:
    """Links rewritten by the Wayback Machine (view mode) point back at the original site, the pager
    included, whether the page is known by its archive URL or its original one."""
    html = (
        '<div class="view-content"><div class="views-row"><h2 class="node-title">'
        '<a href="/web/20160701000000/https://www.dhs.gov/news/a">A headline here</a></h2></div></div>'
        '<ul class="pager"><li class="pager-next">'
        '<a href="/web/20160701000000/https://www.dhs.gov/k?page=1">next ›</a></li></ul>'
    )
    page = parse_topic_page(html, url=page_url)
    assert page.teasers[0].url == "https://www.dhs.gov/news/a"
    assert page.next_url == "https://www.dhs.gov/k?page=1"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", UndecodableInput),
        (b"%PDF-1.4\n1 0 obj << /Type /Catalog >>", UndecodableInput),
        (bytes(range(256)) * 64, UndecodableInput),
        (b"<html><body>" + b"<div>" * 100_000 + b"x" + b"</div>" * 100_000, InputTooLarge),
    ],
    ids=["empty", "pdf", "binary", "nested-100000"],
)
@pytest.mark.parametrize("backend", BACKENDS)
def test_bad_input_raises_a_parse_error(data: bytes, error: type[ParseError], backend: str) -> None:
    """Unreadable input raises the specific ParseError subclass, never anything else."""
    with pytest.raises(error):
        parse_topic_page(data, url="https://example.gov/", backend=backend)


@pytest.mark.parametrize("tag", ["center", "fieldset", "pre", "details", "address", "figure", "label"])
def test_deep_nesting_of_any_container_is_refused_before_parsing(tag: str) -> None:
    """100,000 nested <center>s (or <fieldset>s, <pre>s…) are estimated too deep before the quadratic
    tree building starts, as <div>s are, and InputTooLarge is raised."""
    html = f"<html><body>{f'<{tag}>' * 100_000}x"
    assert _too_deep_to_parse(html)
    with pytest.raises(InputTooLarge, match="nested more than"):
        parse_topic_page(html, url="https://example.gov/")


def test_many_unclosed_list_items_and_paragraphs_are_not_deep() -> None:
    """<li>, <p>, <td>, <a> and void tags close themselves or never open: thousands of them unclosed
    (a sloppy but real page) are not taken for deep nesting."""
    html = "<ul>" + "<li><a href='/x'>item<br><img src='i.png'><p>text" * 3_000 + "</ul>"
    assert not _too_deep_to_parse(html)


@pytest.mark.parametrize("url", ["https://e.gov:99999/", "http://", "notaurl"])
def test_an_unusable_page_url_is_a_parse_error(url: str) -> None:
    """A page URL no record could carry is a ParseError naming it, never a pydantic error."""
    with pytest.raises(ParseError, match="not a usable page URL"):
        parse_topic_page((DHS / "www.dhs.gov" / "keywords-secure-communities.html").read_bytes(), url=url)


def test_huge_input_is_refused_before_parsing() -> None:
    """Over the byte limit: InputTooLarge, with the limit in the message."""
    with pytest.raises(InputTooLarge, match="limit"):
        parse_topic_page(b"<p>x</p>" * 1000, url="https://example.gov/", max_bytes=1000)


def test_unknown_profile_is_a_profile_error() -> None:
    """A profile name that does not exist is reported as such."""
    from parsers import ProfileError

    with pytest.raises(ProfileError, match="no-such"):
        parse_topic_page("<p>x</p>", url="https://example.gov/", profile="no-such")


def test_unknown_backend_is_a_caller_mistake() -> None:
    """An unknown backend is a ValueError, not a ParseError: it is a bug in the caller."""
    with pytest.raises(ValueError, match="backend") as info:
        parse_topic_page("<p>x</p>", url="https://example.gov/", backend="regex")
    assert not isinstance(info.value, ParseError)


@pytest.mark.parametrize(
    ("url", "index"),
    [
        ("https://www.dhs.gov/keywords/x", 0),
        ("https://www.dhs.gov/keywords/x?page=3", 3),
        ("https://blog.example.org/category/news/page/2/", 1),
        ("https://blog.example.org/category/news/page/1", 0),
        ("https://www.dhs.gov/keywords/x?page=abc", 0),
    ],
)
def test_page_index_from_url(url: str, index: int) -> None:
    """Drupal ?page=N is 0-based; WordPress /page/N/ is 1-based."""
    assert page_index(url) == index


_HTMLISH = st.lists(
    st.sampled_from(
        ["<div class='view-content'>", "<div class=views-row>", "<h2 class=node-title>", "<a href='/x'>",
         "</a>", "</h2>", "</div>", "<p>", "text &amp; more", "<script>", "</script>", "<!--", "-->",
         "<table>", "<td>", "\x00", "é", "<meta charset=utf-16>", "<base href='javascript:x'>",
         "<h1>", "Read more", "<time datetime='2016-13-45'>", "June 31, 2016"]
    ),
    max_size=40,
).map("".join)  # fmt: skip


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.one_of(st.binary(max_size=3000), st.text(max_size=3000), _HTMLISH), st.sampled_from(BACKENDS))
def test_any_input_raises_only_parse_errors(data: bytes | str, backend: str) -> None:
    """Whatever the bytes or text, parse_topic_page returns a page or raises a ParseError."""
    try:
        page = parse_topic_page(data, url="https://example.gov/topic", backend=backend)
    except ParseError:
        return
    assert page.teasers


# -- the QA tester's pages (tests/parsers/unseen: self-written, never in the corpus figures) -------

UNSEEN = Path(__file__).parent / "unseen"


def _unseen(name: str, **kwargs: Any) -> tuple[dict[str, Any], Any]:
    label = json.loads((UNSEEN / f"{name}.json").read_text(encoding="utf-8"))
    page = parse_topic_page((UNSEEN / f"{name}.html").read_bytes(), url=label["page_url"], **kwargs)
    return label, page


@pytest.mark.parametrize("backend", BACKENDS)
def test_headlines_opening_with_read_more_are_teasers(backend: str) -> None:
    """Headlines opening "Read more about …", "Keep Reading: …", "See more …: …" are teasers."""
    label, page = _unseen("jekyll-minima-home", backend=backend)
    assert [t.title for t in page.teasers] == [t["title"] for t in label["teasers"]]
    assert len(page.to_records()) == len(label["teasers"])


def test_a_profile_that_reads_no_excerpt_or_date_borrows_the_generic_ones() -> None:
    """A profile that reads no excerpt and no date in any item takes the generic teasers' ones."""
    bare = Profile(name="bare", source="test", detect=(".views-row",), item=(".views-row",), title=("h3 a",))
    label, page = _unseen("uswds-cbp-newsroom-views", profile=bare)
    got = [(t.title, t.excerpt, t.date and t.date.isoformat()) for t in page.teasers]
    assert got == [(t["title"], t["excerpt"], t["date"]) for t in label["teasers"]]
    assert page.profile == "bare"


@pytest.mark.parametrize(
    ("toml", "reason"),
    [
        ('item = "div.nothing"\ntitle = "a"', "item selector 'div.nothing' matched no element"),
        ('item = ["div.a", "div.b"]\ntitle = "a"', "item selectors 'div.a', 'div.b' matched no element"),
        ('item = "dl.newslist > dt"\ntitle = "h4"', "title selector 'h4' matched in none of 3 items"),
    ],
)
def test_a_profile_that_finds_nothing_says_which_selector(tmp_path: Path, toml: str, reason: str) -> None:
    """With a profile given, "no teasers" names the item or title selector that found nothing."""
    path = tmp_path / "mine.toml"
    path.write_text(toml, encoding="utf-8")
    html = b'<dl class="newslist"><dt>a</dt><dt>b</dt><dt>c</dt></dl>'
    with pytest.raises(NoTeasersFound) as caught:
        parse_topic_page(html, url="https://example.org/news", profile=load_profile_file(path))
    assert caught.value.reason == reason
    assert caught.value.profile == "mine"
    assert str(caught.value).endswith(f"with profile 'mine': {reason}")


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_page_without_the_profiles_pager_has_its_next_link_found_by_text(backend: str) -> None:
    """Blogger markup read by the wordpress profile: no WordPress pager, so "Older Posts" is next."""
    label, page = _unseen("blogger-date-groups", backend=backend)
    assert page.profile == "wordpress"
    assert page.next_url == label["next_page"]
    # Where the WordPress pager shows only "Newer posts", the page is the last: no text rules.
    html = (UNSEEN / "blogger-date-groups.html").read_text(encoding="utf-8")
    last = html.replace(
        '<div class="blog-pager"',
        '<nav class="navigation posts-navigation">'
        '<div class="nav-next"><a href="/">Newer posts</a></div></nav>'
        '<div class="blog-pager"',
    )
    assert parse_topic_page(last, url=label["page_url"], backend=backend).next_url is None
