"""Template profiles: detection per family, the selector engine, user profiles from TOML, and the
segment reader that finds a teaser's summary."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from parsers import NoTeasersFound, ProfileError, parse_topic_page
from parsers.backends import BACKENDS, get_backend
from parsers.decode import decode_html
from parsers.profiles import (
    PROFILES,
    Profile,
    candidates,
    detects,
    get_profile,
    load_profile_file,
    run_profile,
)
from parsers.profiles.segments import Segment, excerpt_text, read_segments

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
UTF8 = "text/html; charset=utf-8"

DRUPAL7 = """<html><body><div id="content"><h1 id="page-title">Secure Communities</h1>
<div class="view-content">
 <div class="views-row views-row-1"><div class="node node-teaser">
  <h2 class="node-title"><a href="/news/a">First release of the week</a></h2>
  <span class="date-display-single" content="2016-06-23T00:00:00-04:00">June 23, 2016</span>
  <div class="field-name-body"><p>The first <em>summary</em>.</p></div>
  <ul class="links"><li class="node-readmore"><a href="/news/a">Read more<span class="element-invisible">
   about First release of the week</span></a></li></ul></div></div>
 <div class="views-row views-row-2"><div class="node node-teaser">
  <h2 class="node-title"><a href="/news/b">Second release of the week</a></h2>
  <div class="field-name-body"><p>The second summary.</p></div></div></div>
</div>
<ul class="pager"><li class="pager-next"><a href="/keywords/x?page=1">next ›</a></li></ul>
</div></body></html>"""

DRUPAL8 = """<html><body><main><h1 class="page-title">6.x</h1><div class="view-content">
 <div class="views-row"><article class="node node--view-mode-teaser">
  <header><div class="node__meta"><span>By joachim, Wed, 02/10/2010 - 23:02</span></div>
   <h2 class="node__title"><a href="/blog/one"><span>Services and hooks</span></a></h2></header>
  <div class="node__content"><div class="field--name-body"><p>I am now batting nodes.</p></div>
   <div class="field--name-field-tags"><h3>Tags</h3><ul><li><a href="/t/1">drupal</a></li></ul></div>
  </div></article></div>
 <div class="views-row"><article class="node node--view-mode-teaser">
  <header><h2 class="node__title"><a href="/blog/two"><span>Files are not visible</span></a></h2></header>
  <div class="node__content"><div class="field--name-body"><p>A fun afternoon.</p></div></div>
 </article></div></div>
<nav class="pager"><ul><li class="pager__item pager__item--next"><a href="?page=1">Next</a></li></ul></nav>
</main></body></html>"""

USWDS_COLLECTION = """<html><body><main id="main-content"><h1>Press releases</h1>
<ul class="usa-collection">
 <li class="usa-collection__item"><div class="usa-collection__body">
  <h2 class="usa-collection__heading"><a class="usa-link" href="/news/2024/01/02/one">
   Secretary visits the border</a></h2>
  <p class="usa-collection__description">The Secretary met local officials.</p>
  <ul class="usa-collection__meta"><li class="usa-collection__meta-item">
   <time datetime="2024-01-02">January 2, 2024</time></li></ul></div></li>
 <li class="usa-collection__item"><div class="usa-collection__body">
  <h2 class="usa-collection__heading"><a class="usa-link" href="/news/2024/01/01/two">
   New grants announced</a></h2>
  <p class="usa-collection__description">Grants for first responders.</p></div></li>
</ul>
<nav class="usa-pagination"><a class="usa-pagination__next-page" href="/news?page=1">Next</a></nav>
</main></body></html>"""

USWDS_CARDS = """<html><body><main><h1>Disasters</h1><ul class="usa-card-group">
 <li class="usa-card"><div class="usa-card__container"><div class="usa-card__header">
   <h3 class="usa-card__heading">Flood recovery update</h3></div>
  <div class="usa-card__body"><p>Assistance is available.</p></div>
  <div class="usa-card__footer"><a class="usa-button" href="/flood">Learn more</a></div></div></li>
 <li class="usa-card"><div class="usa-card__container"><div class="usa-card__header">
   <h3 class="usa-card__heading">Hurricane season begins</h3></div>
  <div class="usa-card__body"><p>Prepare now.</p></div>
  <div class="usa-card__footer"><a class="usa-button" href="/hurricane">Learn more</a></div></div></li>
</ul></main></body></html>"""

WORDPRESS = """<html><body class="archive category"><div id="primary"><main class="site-main">
<h1 class="page-title">Category: News</h1>
<article class="post type-post hentry"><header class="entry-header">
  <h2 class="entry-title"><a href="/2016/01/08/one/">Episode 118</a></h2>
  <time class="entry-date" datetime="2016-01-08T10:30:40-07:00">08.01.2016</time></header>
 <div class="entry-content"><p><a href="/rss">RSS</a> ∙ <a href="/itunes">iTunes</a></p>
  <p>A Non-Bonkers Cat Cop.</p><p>Music from the game. <a class="more-link" href="/one">Continue
  reading <span class="meta-nav">→</span></a></p></div>
 <footer class="entry-meta">Posted in <a href="/category/news/">News</a></footer></article>
<article class="post type-post hentry"><h2 class="entry-title"><a href="/2015/12/22/two/">Episode 117</a></h2>
 <p class="post-meta">by Admin | <span class="published">Dec 22, 2015</span></p>Decompose in real time...
</article>
<nav class="navigation"><div class="nav-previous"><a href="/category/news/page/2/">Older posts</a></div></nav>
</main></div></body></html>"""


def _page(html: str, *, profile: str | Profile | None = None, backend: str = "lexbor") -> object:
    return parse_topic_page(html, url="https://example.gov/list", profile=profile, backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_drupal7_reads_views_rows(backend: str) -> None:
    """Drupal 7: titles, links, body summary without "Read more", the ISO content date, pager."""
    page = parse_topic_page(DRUPAL7, url="https://www.dhs.gov/keywords/x", backend=backend)
    assert page.profile == "drupal7"
    assert page.topic == "Secure Communities"
    assert [(t.title, t.url, t.excerpt) for t in page.teasers] == [
        ("First release of the week", "https://www.dhs.gov/news/a", "The first summary."),
        ("Second release of the week", "https://www.dhs.gov/news/b", "The second summary."),
    ]
    assert str(page.teasers[0].date) == "2016-06-23"
    assert page.next_url == "https://www.dhs.gov/keywords/x?page=1"


def test_drupal8_reads_bem_teasers() -> None:
    """Drupal 8+: node__title, field--name-body without the tags field, the byline's date."""
    page = parse_topic_page(DRUPAL8, url="https://joachim-n.github.io/taxonomy/term/2")
    assert page.profile == "drupal8"
    assert [(t.title, t.excerpt) for t in page.teasers] == [
        ("Services and hooks", "I am now batting nodes."),
        ("Files are not visible", "A fun afternoon."),
    ]
    assert page.teasers[0].date_raw == "Wed, 02/10/2010 - 23:02"
    assert page.next_url == "https://joachim-n.github.io/taxonomy/term/2?page=1"


def test_uswds_reads_the_collection_component() -> None:
    """USWDS collection: heading link, description, <time> date, pagination's next link."""
    page = parse_topic_page(USWDS_COLLECTION, url="https://www.dhs.gov/news")
    assert page.profile == "uswds"
    first, second = page.teasers
    assert (first.title, first.url, first.excerpt) == (
        "Secretary visits the border",
        "https://www.dhs.gov/news/2024/01/02/one",
        "The Secretary met local officials.",
    )
    assert str(first.date) == "2024-01-02"
    assert second.date is None
    assert page.next_url == "https://www.dhs.gov/news?page=1"


def test_uswds_card_takes_its_link_from_the_footer_button() -> None:
    """A USWDS card whose heading has no link is linked by its footer button."""
    page = parse_topic_page(USWDS_CARDS, url="https://www.fema.gov/disasters")
    assert page.profile == "uswds"
    assert [(t.title, t.url, t.excerpt) for t in page.teasers] == [
        ("Flood recovery update", "https://www.fema.gov/flood", "Assistance is available."),
        ("Hurricane season begins", "https://www.fema.gov/hurricane", "Prepare now."),
    ]


def test_wordpress_reads_archives_with_full_posts_and_bare_excerpts() -> None:
    """WordPress: player links and "Continue reading" dropped, a bare-text excerpt found, the
    archive prefix dropped from the topic, "Older posts" as the next page."""
    page = parse_topic_page(WORDPRESS, url="https://insertcredit.com/category/news/")
    assert page.profile == "wordpress"
    assert page.topic == "News"
    one, two = page.teasers
    assert one.excerpt == "A Non-Bonkers Cat Cop. Music from the game."
    assert str(one.date) == "2016-01-08"
    assert two.excerpt == "Decompose in real time..."
    assert two.truncated
    assert str(two.date) == "2015-12-22"
    assert page.next_url == "https://insertcredit.com/category/news/page/2/"


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("drupal7-housegov-walz-press-releases", "drupal7"),
        ("drupal7-senategov-nelson-press-releases-page2", "drupal7"),
        ("drupal6-soundsoftware-acuk-taxonomy-term", "drupal7"),
        ("drupal10-joachim-taxonomy-term", "drupal8"),
        ("uswds-drupal9-betausagov-taxonomy-term", "uswds"),
        ("wordpress-divi-zpush-category-news-page2", "wordpress"),
        ("wordpress-insertcredit-category-news-page2", "wordpress"),
        ("hugo-cards-freecad-news-page2", "generic"),
        ("senate-coldfusion-cowan-press-table", "generic"),
    ],
)
def test_auto_detection_picks_the_family_of_real_pages(name: str, family: str) -> None:
    """Each real page is read by its family's profile; pages of no known family by the detector."""
    body = (CORPUS / f"{name}.html").read_bytes()
    page = parse_topic_page(body, url="https://example.org/list", content_type="text/html; charset=utf-8")
    assert page.profile == family


REAL_PAGES = sorted(
    [*CORPUS.glob("*.html"), *(Path(__file__).resolve().parents[2] / "fixtures").glob("**/*.html")]
)


def _signed(root: object, profile: Profile) -> bool:
    return any(root.css_first(s) is not None for s in profile.signature)  # type: ignore[attr-defined]


@pytest.mark.parametrize("backend", BACKENDS)
def test_candidates_are_the_profiles_whose_markers_show_in_order(backend: str) -> None:
    """One probe for several families' markers names the same profiles as one probe per profile:
    those whose signature shows first, then the others in PROFILES order."""
    assert REAL_PAGES
    pages = [p.read_bytes().decode("utf-8", "replace") for p in REAL_PAGES]
    mixed = "<div class='hentry'></div><div class='view-content'><div class='views-row'></div></div>"
    signed = mixed.replace("'views-row'", "'views-row views-row-first'")
    for html in [*pages, mixed, signed, "<p>No listing here</p>"]:
        root = get_backend(backend)(html)
        first = [p for p in PROFILES if _signed(root, p)]
        assert list(candidates(root)) == first + [p for p in PROFILES if p not in first and detects(root, p)]
    assert [p.name for p in candidates(get_backend(backend)(mixed))] == ["wordpress", "drupal7"]
    assert [p.name for p in candidates(get_backend(backend)(signed))] == ["drupal7", "wordpress"]


FEDERAL_BANNER = """<section class="usa-banner" aria-label="Official government website">
<div class="usa-accordion"><header class="usa-banner-header"><div class="usa-grid usa-banner-inner">
<img src="/us-flag-small.png"
 alt="US flag signifying that this is a United States Federal Government website">
<p>An official website of the United States government</p></div></header></div></section>"""


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("path", REAL_PAGES, ids=[p.stem for p in REAL_PAGES])
def test_a_federal_banner_does_not_change_how_a_page_reads(path: Path, backend: str) -> None:
    """The federal banner in USWDS markup sits above .gov pages of every make: Drupal 7 (the "US
    flag" header of the seed's dhs.gov dumps), Drupal 8+, WordPress, static generators. It marks a
    USWDS site, but the listing stays what it was: same teasers, excerpts, dates and pager (a
    Drupal 7 page is still read by its own profile)."""
    body = path.read_bytes()
    try:
        plain = parse_topic_page(body, url="https://www.dhs.gov/list", backend=backend)
    except NoTeasersFound:
        return  # a page with no listing (the E-Verify fixture) has nothing to keep
    bannered = re.sub(rb"(<body[^>]*>)", lambda m: m.group(1) + FEDERAL_BANNER.encode(), body, count=1)
    assert bannered != body
    read = parse_topic_page(bannered, url="https://www.dhs.gov/list", backend=backend)
    assert (read.topic, read.teasers, read.next_url) == (plain.topic, plain.teasers, plain.next_url)
    if plain.profile == "drupal7":
        assert read.profile == "drupal7"


def _shown_dates(html: str) -> dict[str, dt.date]:
    """The page's teaser dates as shown (``date_raw``), where the source spells them out as is."""
    try:
        page = parse_topic_page(html, url="https://www.dhs.gov/list")
    except NoTeasersFound:
        return {}
    return {t.date_raw: t.date for t in page.teasers if t.date and t.date_raw and t.date_raw in html}


def _relative_cases() -> list[tuple[Path, str]]:
    """Every dated page in "N days ago" style, and in "March 3" and "Mar 3" styles where its dates
    span less than a year (else a day without its year would name its latest date, rightly)."""
    cases = []
    for path in REAL_PAGES:
        shown = _shown_dates(decode_html(path.read_bytes()))
        if shown:
            cases.append((path, "days-ago"))
            if max(shown.values()) - min(shown.values()) < dt.timedelta(days=360):
                cases += [(path, "month-day"), (path, "mon-day")]
    return cases


RELATIVE_CASES = _relative_cases()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("profile", [None, "generic"])
@pytest.mark.parametrize(("path", "style"), RELATIVE_CASES, ids=[f"{p.stem}-{s}" for p, s in RELATIVE_CASES])
def test_dates_shown_relative_to_the_day_read_give_the_same_records(
    path: Path, style: str, profile: str | None, backend: str
) -> None:
    """Newsrooms and blogs print "3 days ago" or "March 3" (this year's). Every dated page, its
    dates rewritten so, and read at a known time, gives the records it gave: same dates (by the
    profile's date element, a ``<time>``, or a metadata line), titles, links and excerpts, with
    its profile and with the generic detector alone."""
    html = decode_html(path.read_bytes())
    shown = _shown_dates(html)
    latest = max(shown.values())
    read = dt.datetime.combine(latest + dt.timedelta(days=3), dt.time(12), tzinfo=dt.UTC)
    rewritten = {
        raw: {
            "days-ago": f"{(read.date() - date).days} days ago",
            "month-day": f"{date:%B} {date.day}",
            "mon-day": f"{date:%b} {date.day}",
        }[style]
        for raw, date in shown.items()
    }
    relative = html
    for raw in sorted(rewritten, key=len, reverse=True):  # "May 16, 2010 at 06:57 PM" before "May 16, 2010"
        relative = relative.replace(raw, rewritten[raw])

    def read_records(source: str) -> list[tuple[str, str | None, str | None, dt.date | None]]:
        page = parse_topic_page(source, url="https://www.dhs.gov/list", profile=profile, backend=backend)
        return [(r.title, r.url, r.excerpt, r.date) for r in page.to_records(fetched_at=read)]

    def as_rewritten(text: str | None) -> str | None:
        for raw in sorted(rewritten, key=len, reverse=True):
            text = text.replace(raw, rewritten[raw]) if text else text
        return text

    expected = [(t, u, as_rewritten(e), d) for t, u, e, d in read_records(html)]
    assert read_records(relative) == expected


def _as_views_format(body: bytes, style: str) -> bytes:
    """``body`` with its Drupal 7 Views rows re-rendered in another Views format: ``list`` (an
    HTML list, rows as ``<li>``s in ``.item-list > ul``) or ``table`` (rows as ``<tr>``s of a
    ``table.views-table``, each field a cell; only for rows of fields)."""
    soup = BeautifulSoup(body, "lxml")
    for content in soup.select(".view-content"):
        rows = content.find_all(class_="views-row", recursive=False)
        if style == "table" and not (rows and rows[0].find(class_="views-field")):
            continue
        outer = soup.new_tag("div", attrs={"class": "item-list"})
        inner = soup.new_tag("ul")
        if style == "table":
            outer = soup.new_tag("table", attrs={"class": "views-table cols-3"})
            inner = soup.new_tag("tbody")
        outer.append(inner)
        if rows:
            rows[0].insert_before(outer)
        for index, row in enumerate(rows):
            row.extract()
            if style == "list":
                row.name = "li"
                inner.append(row)
                continue
            first = " views-row-first" if index == 0 else ""
            line = soup.new_tag("tr", attrs={"class": ("odd" if index % 2 == 0 else "even") + first})
            for cell in row.find_all(class_="views-field"):
                cell.extract()
                cell.name = "td"
                line.append(cell)
            inner.append(line)
    return str(soup).encode("utf-8")


VIEWS_PAGES = [p for p in REAL_PAGES if b"views-row-first" in p.read_bytes() and "uswds" not in p.name]


@pytest.mark.parametrize("style", ["list", "table"])
@pytest.mark.parametrize("path", VIEWS_PAGES, ids=[p.stem for p in VIEWS_PAGES])
def test_drupal7_views_formats_read_the_same(path: Path, style: str) -> None:
    """A Drupal 7 View renders its rows unformatted, as an HTML list or as a table: the drupal7
    profile reads each the same (the list lost dates and excerpts to the generic detector)."""
    plain = parse_topic_page(path.read_bytes(), url="https://www.dhs.gov/list", content_type=UTF8)
    changed = _as_views_format(path.read_bytes(), style)
    read = parse_topic_page(changed, url="https://www.dhs.gov/list", content_type=UTF8)
    assert (read.profile, read.topic, read.teasers, read.next_url) == (
        plain.profile,
        plain.topic,
        plain.teasers,
        plain.next_url,
    )


PAGER_PAGES = [p for p in VIEWS_PAGES if b'class="pager-next' in p.read_bytes()]


@pytest.mark.parametrize("path", PAGER_PAGES, ids=[p.stem for p in PAGER_PAGES])
def test_drupal7_pager_of_page_numbers_only_still_leads_on(path: Path) -> None:
    """Themes may hide the pager's "next ›" item: the page number after the current one is next."""
    body = path.read_bytes()
    plain = parse_topic_page(body, url="https://www.dhs.gov/list", content_type=UTF8)
    numbers_only = re.sub(rb'<li class="pager-next[^"]*">.*?</li>', b"", body, flags=re.DOTALL)
    assert numbers_only != body
    read = parse_topic_page(numbers_only, url="https://www.dhs.gov/list", content_type=UTF8)
    assert plain.next_url is not None
    assert read.next_url == plain.next_url


def test_a_forced_profile_is_used_even_where_another_fits() -> None:
    """profile="generic" or a family name overrides detection; the record names it."""
    assert _page(DRUPAL7, profile="generic").profile == "generic"  # type: ignore[attr-defined]
    with pytest.raises(NoTeasersFound) as caught:
        _page(DRUPAL7, profile="wordpress")
    assert caught.value.profile == "wordpress"


def test_get_profile_names_every_built_in() -> None:
    """Unknown names fail with the list of the built-in profiles."""
    assert get_profile("uswds").name == "uswds"
    with pytest.raises(ProfileError) as caught:
        get_profile("joomla")
    for profile in PROFILES:
        assert profile.name in str(caught.value)
    assert "generic" in str(caught.value)


@pytest.mark.parametrize("profile", PROFILES, ids=[p.name for p in PROFILES])
def test_built_in_profiles_are_dated_data_with_valid_selectors(profile: Profile) -> None:
    """Every profile says where its selectors came from, and every selector compiles in both backends."""
    assert any(ch.isdigit() for ch in profile.source)  # a year or a fixture date
    assert profile.detect
    assert profile.item
    assert profile.title
    for backend in BACKENDS:
        root = get_backend(backend)("<html><body></body></html>")
        for selectors in (profile.detect, profile.item, profile.title, profile.excerpt, profile.date):
            for selector in selectors:
                assert root.css(selector) == []


def _write(tmp_path: Path, text: str, name: str = "mysite.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_user_profile_from_toml_reads_a_page(tmp_path: Path) -> None:
    """A TOML profile is selector data; its name is written into each record."""
    path = _write(
        tmp_path,
        'name = "uni-news"\nsource = "news.example.edu, 2024"\nitem = "ul.news > li"\ntitle = "h3 a"\n'
        'excerpt = ["p.summary", "p"]\ndate = "span.when"\nnext_page = "a.more"\n',
    )
    profile = load_profile_file(path)
    assert (profile.name, profile.item, profile.detect, profile.excerpt) == (
        "uni-news", ("ul.news > li",), ("ul.news > li",), ("p.summary", "p")
    )  # fmt: skip
    html = (
        '<h1>News</h1><ul class="news"><li><h3><a href="/a">Lab wins award</a></h3>'
        '<span class="when">23 June 2016</span><p>The lab won.</p></li></ul>'
        '<a class="more" href="/n2">More</a>'
    )
    page = parse_topic_page(html, url="https://news.example.edu/", profile=profile)
    (teaser,) = page.teasers
    assert (teaser.title, teaser.excerpt, page.profile) == ("Lab wins award", "The lab won.", "uni-news")
    assert str(teaser.date) == "2016-06-23"
    assert page.next_url == "https://news.example.edu/n2"
    assert page.to_records()[0].profile == "uni-news"


def test_user_profile_name_defaults_to_the_file_name(tmp_path: Path) -> None:
    """Without ``name`` the profile is called after its file."""
    assert load_profile_file(_write(tmp_path, 'item = "li"\ntitle = "a"\n', "campus.toml")).name == "campus"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('item = "li"\n', "'title' is required"),
        ('title = "a"\n', "'item' is required"),
        ('item = "li"\ntitle = "a"\ncolour = "red"\n', "unknown keys colour"),
        ('item = "li"\ntitle = 3\n', "must be a selector"),
        ('item = "li"\ntitle = []\n', "must be a selector"),
        ('item = "li"\ntitle = [""]\n', "must be a selector"),
        ('item = "li["\ntitle = "a"\n', "not valid CSS"),
        ('item = "li"\ntitle = "a"\nname = "drupal7"\n', "built-in"),
        ('item = "li"\ntitle = "a"\nexcerpt_fallback = "yes"\n', "true or false"),
        ('item = "li"\ntitle = "a\n', "cannot read profile"),
    ],
    ids=["no-title", "no-item", "unknown-key", "not-a-string", "empty-list", "empty-selector",
         "bad-css", "built-in-name", "bad-bool", "bad-toml"],
)  # fmt: skip
def test_malformed_user_profiles_are_profile_errors(tmp_path: Path, text: str, message: str) -> None:
    """A profile file that cannot be used raises ProfileError saying why."""
    with pytest.raises(ProfileError, match=message):
        load_profile_file(_write(tmp_path, text))


def test_missing_profile_file_is_a_profile_error(tmp_path: Path) -> None:
    """A path that does not exist is a ProfileError naming it."""
    with pytest.raises(ProfileError, match=r"nope\.toml"):
        load_profile_file(tmp_path / "nope.toml")


def _segments(html: str, backend: str = "lexbor") -> list[tuple[str, str]]:
    root = get_backend(backend)(f"<html><body><div id='b'>{html}</div></body></html>")
    block = root.css_first("#b")
    assert block is not None
    return [(s.kind, s.text) for s in read_segments(block)]


def test_segments_split_at_blocks_and_breaks_not_inline_markup() -> None:
    """Block edges and <br> split segments; <em>, <a> and <span> join words as the page shows them."""
    assert _segments("<p>The <em>Body</em>, an <a href='/x'>American</a> play.</p>by Admin<br>in News") == [
        ("content", "The Body, an American play."),
        ("meta", "by Admin"),
        ("meta", "in News"),
    ]


def test_segments_classify_link_lists_dates_and_navigation() -> None:
    """Tag lists, date lines and "Read more" are recognised as such."""
    kinds = dict(
        (text, kind)
        for kind, text in _segments(
            "<p>May 16, 2010 at 06:57 PM | categories: NPackage</p>"
            "<p><a href='/rss'>RSS</a> ∙ <a href='/it'>iTunes</a></p><p><a href='/r'>Read more</a></p>"
            "<p>Issues:</p><p><a href='/i'>Active Military and Veterans Issues</a></p>"
        )
    )
    assert kinds == {
        "May 16, 2010 at 06:57 PM | categories: NPackage": "meta",
        "RSS ∙ iTunes": "links",
        "Read more": "nav",
        "Issues:": "meta",
        "Active Military and Veterans Issues": "links",
    }


def test_excerpt_runs_from_first_to_last_prose_keeping_what_lies_between() -> None:
    """Leading player links and trailing tags go; a list of links between paragraphs stays."""
    root = get_backend("lexbor")(
        "<div id='b'><h2><a href='/p'>Title</a></h2><p><a href='/rss'>RSS</a> ∙ <a href='/d'>Download</a></p>"
        "<p>I've set up packages for:</p>"
        "<ul><li><a href='/a'>log4net</a></li><li><a href='/b'>NUnit</a></li></ul>"
        "<p>These test a few scenarios.</p>"
        "<h3>Tags</h3><ul><li><a href='/t'>is this a bug?</a></li></ul></div>"
    )
    block = root.css_first("#b")
    title = root.css_first("h2")
    assert block is not None
    assert title is not None
    segments = read_segments(block, {title.key: "title"})
    assert excerpt_text(segments, after="title") == (
        "I've set up packages for: log4net NUnit These test a few scenarios."
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_walk_names_each_element_it_enters_and_leaves(backend: str) -> None:
    """Open and close events carry the element's tag name; text events carry the text alone."""
    root = get_backend(backend)("<html><body><div id='b'>One <em>two</em><br>three</div></body></html>")
    block = root.css_first("#b")
    assert block is not None
    events = [(e, name, None if node is None else node.tag) for e, name, node in block.walk()]
    assert events == [
        ("text", "One ", None),
        ("open", "em", "em"),
        ("text", "two", None),
        ("close", "em", "em"),
        ("open", "br", "br"),
        ("close", "br", "br"),
        ("text", "three", None),
    ]


@pytest.mark.parametrize(
    ("kind", "fallback", "summary"),
    [("content", (), "Text"), ("heading", ("heading",), "Text"), ("heading", (), None),
     ("nav", ("nav",), None), ("meta", ("heading",), None), ("stop", ("stop",), None)],
)  # fmt: skip
def test_a_lone_segment_is_the_summary_if_prose_or_a_stand_in(
    kind: str, fallback: tuple[str, ...], summary: str | None
) -> None:
    """One segment is the summary when it is prose or of a fallback kind, never navigation."""
    assert excerpt_text([Segment("Text", kind)], fallback=fallback) == summary


def test_excerpt_stops_at_a_stop_marker_and_falls_back_to_headings() -> None:
    """A nested teaser ends the summary; a summary written only as headings is kept."""
    root = get_backend("lexbor")(
        "<div id='b'><h3>Martial Foucault, Professor:</h3><h2>The Politics of Emotion</h2>"
        "<div id='next'><p>Another teaser's text.</p></div></div>"
    )
    block, nested = root.css_first("#b"), root.css_first("#next")
    assert block is not None
    assert nested is not None
    segments = read_segments(block, {nested.key: "stop"})
    assert excerpt_text(segments) == "Martial Foucault, Professor: The Politics of Emotion"
    assert excerpt_text(segments, fallback=()) is None


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_unclosed_element_does_not_merge_teasers(backend: str) -> None:
    """Teasers after an item with unclosed <div>s stay separate in both backends (lxml nests them)."""
    html = (
        '<main><div class="usa-prose"><div class="views-row"><article><h2><a href="/a">First item</a></h2>'
        '<div class="usa-prose"><div><div class="empty"></div></article></div>'
        '<div class="views-row"><article><h2><a href="/b">Second item</a></h2>'
        '<div class="usa-prose"><p>Second body.</p></div></article></div></div></main>'
    )
    page = parse_topic_page(html, url="https://example.gov/t", backend=backend, profile="uswds")
    assert [(t.title, t.excerpt) for t in page.teasers] == [
        ("First item", None),
        ("Second item", "Second body."),
    ]


def test_the_readme_profile_example_loads(tmp_path: Path) -> None:
    """The README's TOML profile, as written, loads with every key it shows."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    block = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "mysite.toml"
    path.write_text(block, encoding="utf-8")
    profile = load_profile_file(path)
    assert profile.name == "mysite"
    assert profile.item == ("ul.news > li",)
    assert profile.title == ("h3 a", "h3")
    assert profile.strip == (".sr-only", ".share")
    assert profile.excerpt_fallback is False


# -- the QA tester's pages (tests/parsers/unseen: self-written, never in the corpus figures) -------

UNSEEN = Path(__file__).parent / "unseen"


def _unseen_teasers(name: str, backend: str = "lexbor") -> tuple[list[dict[str, object]], object]:
    label = json.loads((UNSEEN / f"{name}.json").read_text(encoding="utf-8"))
    page = parse_topic_page((UNSEEN / f"{name}.html").read_bytes(), url=label["page_url"], backend=backend)
    want = [{k: t[k] for k in ("title", "url", "excerpt", "date")} for t in label["teasers"]]
    return want, page


def _got(page: object) -> list[dict[str, object]]:
    teasers = page.teasers  # type: ignore[attr-defined]
    return [
        {"title": t.title, "url": t.url, "excerpt": t.excerpt, "date": t.date and t.date.isoformat()}
        for t in teasers
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_wordpress_page_holding_a_blog_module_is_no_teaser(backend: str) -> None:
    """The page's ``article.type-page.hentry`` around a Divi blog module is no teaser; its posts are."""
    want, page = _unseen_teasers("wordpress-divi-blog-module", backend)
    assert page.profile == "wordpress"  # type: ignore[attr-defined]
    assert _got(page) == want


def test_an_item_wrapping_other_items_is_dropped() -> None:
    """An item whose headline belongs to an item inside it wraps the listing: no teaser."""
    html = (
        '<main><div class="row"><div class="row"><h2><a href="/a">First item</a></h2><p>One.</p></div>'
        '<div class="row"><h2><a href="/b">Second item</a></h2><p>Two.</p></div></div></main>'
    )
    mine = Profile(name="rows", source="test", detect=(".row",), item=(".row",), title=("h2 a",))
    page = _page(html, profile=mine)
    assert [t.title for t in page.teasers] == ["First item", "Second item"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_empty_excerpt_element_falls_through_to_the_summary(backend: str) -> None:
    """Astra's empty ``.entry-content`` gives way to the next excerpt selector, read after the headline."""
    want, page = _unseen_teasers("wordpress-astra-blog", backend)
    assert _got(page) == want


def test_an_empty_excerpt_element_falls_back_to_the_text_after_the_headline() -> None:
    """With no later selector holding text, ``excerpt_fallback`` reads the prose after the headline."""
    html = (
        '<main><div class="t"><h2><a href="/a">First item</a></h2><div class="x"></div><p>One.</p></div>'
        '<div class="t"><h2><a href="/b">Second item</a></h2><div class="x"> </div><p>Two.</p></div></main>'
    )
    mine = Profile(
        name="t", source="test", detect=(".t",), item=(".t",), title=("h2 a",), excerpt=(".x",),
        excerpt_fallback=True,
    )  # fmt: skip
    page = _page(html, profile=mine)
    assert [t.excerpt for t in page.teasers] == ["One.", "Two."]  # type: ignore[attr-defined]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", ["uswds-cbp-newsroom-views", "uswds-ice-card-group"])
def test_uswds_reads_summaries_and_dates_of_a_sites_own_teasers(name: str, backend: str) -> None:
    """The uswds profile reads a site's own Views teasers and a card's "Released: 06/23/2023" line."""
    label = json.loads((UNSEEN / f"{name}.json").read_text(encoding="utf-8"))
    root = get_backend(backend)((UNSEEN / f"{name}.html").read_text(encoding="utf-8"))
    drafts = run_profile(root, get_profile("uswds"))
    assert [d.title for d in drafts] == [t["title"] for t in label["teasers"]]
    assert [d.excerpt for d in drafts] == [t["excerpt"] for t in label["teasers"]]
    assert [d.date_text for d in drafts] == [t["date_raw"] for t in label["teasers"]]


@pytest.mark.parametrize("backend", BACKENDS)
def test_wordpress_reads_elementor_post_dates(backend: str) -> None:
    """Elementor's posts widget shows its dates in ``span.elementor-post-date``."""
    want, page = _unseen_teasers("wordpress-elementor-posts-loadmore", backend)
    assert page.profile == "wordpress"  # type: ignore[attr-defined]
    assert [t["date"] for t in _got(page)] == [t["date"] for t in want]


@pytest.mark.parametrize("backend", BACKENDS)
def test_wordpress_follows_elementors_load_more_button(backend: str) -> None:
    """Elementor's "Load more" keeps the next page in ``data-next-page`` (no href): the wordpress
    profile's pager reads it; a bare page number there is no URL."""
    _, page = _unseen_teasers("wordpress-elementor-posts-loadmore", backend)
    assert page.next_url == "https://www.citycycling.example.org/news/page/2/"  # type: ignore[attr-defined]
    html = (UNSEEN / "wordpress-elementor-posts-loadmore.html").read_text(encoding="utf-8")
    numbered = html.replace(
        'data-next-page="https://www.citycycling.example.org/news/page/2/"', 'data-next-page="2"'
    )
    assert _page(numbered, backend=backend).next_url is None  # type: ignore[attr-defined]


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_abbr_date_keeps_its_machine_date_in_title(backend: str) -> None:
    """Blogger's ``<abbr class="published" title="2023-06-23T…">21:40</abbr>``: the title is the date."""
    want, page = _unseen_teasers("blogger-date-groups", backend)
    assert page.profile == "wordpress"  # type: ignore[attr-defined]
    assert [t["date"] for t in _got(page)] == [t["date"] for t in want]
    # A ``title`` on another date element is no machine date.
    html = (
        '<main><article class="hentry">'
        '<h2 class="entry-title"><a href="/a">Council approves the new budget</a></h2>'
        '<span class="published" title="2020-01-02">June 23, 2016</span></article></main>'
    )
    other = _page(html, backend=backend)
    assert [t.date for t in other.teasers] == [dt.date(2016, 6, 23)]  # type: ignore[attr-defined]
