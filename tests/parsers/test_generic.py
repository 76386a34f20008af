"""The generic detector on small pages of shapes no profile knows: it must find the main listing
among navigation, sidebars, footers and "related" boxes, and read each teaser's fields."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from parsers import NoTeasersFound, parse_topic_page
from parsers.backends import BACKENDS, get_backend
from parsers.profiles.generic import detect_teasers, find_next_page, find_topic

BLOG = """<html><head><title>News | Example University</title></head><body>
<header class="site-header"><a href="/">Example University</a>
 <nav><ul><li><a href="/about">About the university</a></li>
 <li><a href="/research">Research at Example</a></li>
 <li><a href="/admissions">Apply for admission</a></li></ul></nav></header>
<div class="layout"><main>
 <h1>News</h1>
 <div class="list">
  <div class="entry"><h2><a href="/news/lab-award">Lab wins national award</a></h2>
   <span class="posted">Posted June 23, 2016</span><p>The robotics lab won the national prize.</p>
   <a href="/news/lab-award">Read more</a></div>
  <div class="entry"><h2><a href="/news/new-dean">New dean appointed to science</a></h2>
   <span class="posted">Posted June 20, 2016</span><p>A new dean joins the faculty.</p></div>
  <div class="entry"><h2><a href="/news/library">Library opens late through exams</a></h2>
   <span class="posted">Posted June 18, 2016</span><p>The library stays open until 2am.</p></div>
 </div>
 <div class="related-stories"><h3>Related stories</h3><ul>
  <li><a href="/news/old-1">An older story about the robotics lab</a><p>From last year's archive.</p></li>
  <li><a href="/news/old-2">Another older story about prizes</a><p>From the archive too.</p></li>
  <li><a href="/news/old-3">A third older story on awards</a><p>Also archived.</p></li>
  <li><a href="/news/old-4">A fourth older story on deans</a><p>Archived.</p></li></ul></div>
</main>
<aside><h3>Recent posts</h3><ul>
 <li><a href="/news/a">Recent post number one here</a><p>Summary one.</p></li>
 <li><a href="/news/b">Recent post number two here</a><p>Summary two.</p></li>
 <li><a href="/news/c">Recent post number three here</a><p>Summary three.</p></li>
 <li><a href="/news/d">Recent post number four here</a><p>Summary four.</p></li></ul></aside></div>
<div class="pagination"><a href="/news?page=1">Older news</a></div>
<footer><ul><li><a href="/privacy">Privacy policy of the site</a></li>
 <li><a href="/contact">Contact the web team</a></li>
 <li><a href="/jobs">Jobs at the university</a></li></ul></footer>
</body></html>"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_finds_the_main_listing_among_chrome_and_related_boxes(backend: str) -> None:
    """Navigation, a related box, an aside of recent posts and the footer are never the listing."""
    drafts = detect_teasers(get_backend(backend)(BLOG))
    assert [(d.title, d.href) for d in drafts] == [
        ("Lab wins national award", "/news/lab-award"),
        ("New dean appointed to science", "/news/new-dean"),
        ("Library opens late through exams", "/news/library"),
    ]
    assert [d.excerpt for d in drafts] == [
        "The robotics lab won the national prize.",
        "A new dean joins the faculty.",
        "The library stays open until 2am.",
    ]
    assert [d.date_text for d in drafts] == [
        "Posted June 23, 2016",
        "Posted June 20, 2016",
        "Posted June 18, 2016",
    ]


def test_a_page_no_profile_knows_is_read_end_to_end() -> None:
    """parse_topic_page falls back to the detector and names it in the records."""
    page = parse_topic_page(BLOG, url="https://news.example.edu/news")
    assert page.profile == "generic"
    assert page.topic == "News"
    assert page.teasers[0].url == "https://news.example.edu/news/lab-award"
    assert str(page.teasers[0].date) == "2016-06-23"
    assert page.teasers[0].date_raw == "June 23, 2016"
    assert page.next_url == "https://news.example.edu/news?page=1"
    assert {r.profile for r in page.to_records()} == {"generic"}


TABLE = """<html><body><div id="content"><h1>Press Releases</h1><table class="table">
<thead><tr class="divider"><th colspan="2">May 2013</th></tr></thead>
<tbody><tr><td class="date"><time datetime="2013-05-01">05/01/13</time></td>
 <td><a href="
   /press/grants-for-first-responders
 ">$248,000 in Grants to Assist First Responders</a></td></tr></tbody>
<thead><tr class="divider"><th colspan="2">April 2013</th></tr></thead>
<tbody><tr><td class="date"><time datetime="2013-04-25">04/25/13</time></td>
 <td><a href="/press/floor-statement">Senator's Floor Statement on the Resolution</a></td></tr>
<tr><td class="date"><time datetime="2013-04-17">04/17/13</time></td>
 <td><a href="/press/condemns-attacks">Senator Condemns Attacks, Honors Victims</a></td></tr></tbody>
</table></div></body></html>"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_table_rows_grouped_by_month_are_one_listing(backend: str) -> None:
    """Rows in several <tbody> groups under month headers read as one list, with <time> dates."""
    page = parse_topic_page(TABLE, url="https://www.senate.gov/press", backend=backend)
    assert [(t.title, t.url, t.date.isoformat() if t.date else None) for t in page.teasers] == [
        ("$248,000 in Grants to Assist First Responders", "https://www.senate.gov/press/grants-for-first-responders",
         "2013-05-01"),
        ("Senator's Floor Statement on the Resolution", "https://www.senate.gov/press/floor-statement",
         "2013-04-25"),
        ("Senator Condemns Attacks, Honors Victims", "https://www.senate.gov/press/condemns-attacks",
         "2013-04-17"),
    ]  # fmt: skip
    assert page.teasers[0].date_raw == "05/01/13"


def test_link_list_takes_its_date_from_the_day_heading() -> None:
    """A bare list of links under a date heading: each teaser gets the heading's date."""
    html = (
        "<div id='page'><h2>Friday, March 29, 2013</h2><ul id='news'>"
        "<li><a href='https://a.house.gov/1'>Posey: Post Office Named for Local Leaders</a></li>"
        "<li><a href='https://b.house.gov/2'>Upton demands explanation from the FAA</a></li>"
        "<li><a href='https://c.house.gov/3'>Weekly Update from the Congressman</a></li></ul></div>"
    )
    drafts = detect_teasers(get_backend("lexbor")(html))
    assert [d.date_text for d in drafts] == ["Friday, March 29, 2013"] * 3
    assert all(d.excerpt is None for d in drafts)


@pytest.mark.parametrize("backend", BACKENDS)
def test_block_link_cards_take_title_from_the_heading_and_url_from_the_card(backend: str) -> None:
    """A card that is one <a> around a heading and a <time>: title without the date, the card's URL."""
    html = (
        "<main><h1>News</h1><div class='cards'>"
        "<a class='card' href='/news/a/'><h3 class='card-title'>WIP Wednesday, 25 February 2026</h3>"
        "<div class='card-metadata'><time datetime='2026-02-25T00:00:00Z'>February 25, 2026</time></div></a>"
        "<a class='card' href='/news/b/'><h3 class='card-title'>FreeCAD at FOSDEM</h3>"
        "<div class='card-metadata'><time datetime='2026-02-12T00:00:00Z'>February 12, 2026</time></div></a>"
        "</div></main>"
    )
    drafts = detect_teasers(get_backend(backend)(html))
    assert [(d.title, d.href, d.date_machine, d.excerpt) for d in drafts] == [
        ("WIP Wednesday, 25 February 2026", "/news/a/", "2026-02-25T00:00:00Z", None),
        ("FreeCAD at FOSDEM", "/news/b/", "2026-02-12T00:00:00Z", None),
    ]


def test_teasers_without_links_are_found_by_their_title_class() -> None:
    """News items with no link at all (title in div.content_title) still make a listing, url None."""
    html = (
        "<div id='news'>"
        + "".join(
            f"<div class='row'><div class='list_date'>November {d}, 2022</div>"
            f"<div class='content_title'>Mars story number {d}</div>"
            f"<div class='article_teaser_body'>What happened on day {d}.</div></div>"
            for d in (9, 8, 7)
        )
        + "</div>"
    )
    page = parse_topic_page(html, url="https://mars.example.gov/news")
    assert [(t.title, t.url, t.excerpt) for t in page.teasers] == [
        (f"Mars story number {d}", None, f"What happened on day {d}.") for d in (9, 8, 7)
    ]
    assert [t.date.day if t.date else None for t in page.teasers] == [9, 8, 7]


def test_month_group_headings_give_date_raw_but_no_date() -> None:
    """An archive grouped by month: the post links are the teasers, the month only their shown date."""
    html = (
        "<main><ul class='post-list'>"
        + "".join(
            f"<li><h3>{month}</h3><ul class='post-list'><li>"
            f"<a class='post-link' href='/{i}/'>Post title {i} here</a>"
            "</li></ul></li>"
            for i, month in enumerate(("February 2008", "May 2007", "April 2007"))
        )
        + "</ul></main>"
    )
    page = parse_topic_page(html, url="https://deadrooster.org/category/news/")
    assert [(t.title, t.date, t.date_raw) for t in page.teasers] == [
        ("Post title 0 here", None, "February 2008"),
        ("Post title 1 here", None, "May 2007"),
        ("Post title 2 here", None, "April 2007"),
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_page_with_no_listing_yields_nothing(backend: str) -> None:
    """An empty blog ("No posts yet.") with a "Most popular" sidebar and a footer: no teasers."""
    html = (
        "<header><nav><ul><li><a href='/deliver'>What we deliver</a></li>"
        "<li><a href='/how'>How we work</a></li></ul></nav></header>"
        "<main id='main-content'><section><h1>18F Blog</h1><h2>Delivering civic technology</h2>"
        "</section><ul class='post-list'>No posts yet.</ul>"
        "<aside class='sidebar'><h4>Most popular</h4><ul>"
        "<li><a href='/2020/12/17/a'>18F and TTS award first assisted acquisition</a></li>"
        "<li><a href='/2020/12/15/b'>A dashboard for privacy offices</a></li>"
        "<li><a href='/2015/09/28/c'>Introducing the U.S. Web Design Standards</a></li></ul></aside>"
        "<a class='usa-button' href='/contact/'>Contact us</a></main>"
        "<footer><ul><li><a href='/about/'>About 18F</a></li><li><a href='/what'>Case studies</a></li>"
        "<li><a href='/principles/'>Partnership principles</a></li></ul></footer>"
    )
    assert detect_teasers(get_backend(backend)(html)) == []
    with pytest.raises(NoTeasersFound):
        parse_topic_page(html, url="https://18f.gsa.gov/blog/", backend=backend)


def test_hidden_lists_are_ignored() -> None:
    """A list hidden with display:none or the hidden attribute is not the listing."""
    hidden = "".join(
        f"<li><a href='/h{i}'>Hidden headline number {i}</a><p>Hidden text {i}.</p></li>" for i in range(5)
    )
    shown = "".join(
        f"<li><a href='/s{i}'>Shown headline {i}</a><p>Shown text {i}.</p></li>" for i in range(2)
    )
    html = (
        f"<div style='display: none'><ul>{hidden}</ul></div><ul hidden>{hidden}</ul>"
        f"<main><ul>{shown}</ul></main>"
    )
    assert [d.href for d in detect_teasers(get_backend("lexbor")(html))] == ["/s0", "/s1"]


def test_menus_of_short_links_are_not_a_listing() -> None:
    """A page whose only repeated links are one- or two-word menus yields nothing."""
    html = "<div class='links'><a href='/a'>Home</a> <a href='/b'>About</a> <a href='/c'>Blog</a></div>" + (
        "<ul><li><a href='/x'>Contact us</a></li><li><a href='/y'>Our team</a></li></ul>"
    )
    assert detect_teasers(get_backend("lexbor")(html)) == []


@pytest.mark.parametrize(
    ("head", "body", "topic"),
    [
        ("FreeCAD | News", "<h1>News</h1>", "News"),
        ("News | insert credit | Page 2",
         "<header><h1>insert credit</h1></header><h1>Category Archives: News</h1>",
         "News"),
        ("Standard Page | USA.revamp", "<p>no heading</p>", "Standard Page"),
        ("RTD - Research Through Design", "<h1>News &amp; Links</h1>", "News & Links"),
        ("Classic Troy Pictures | Troy Family Reunion - 2005", "<h1>Troy Family Reunion - 2005</h1>",
         "Classic Troy Pictures"),
        ("Search results", "<aside><h1>Search</h1></aside>", "Search results"),
    ],
    ids=["h1-in-title", "archive-heading", "title-only", "h1-not-in-title", "site-name-h1", "title-alone"],
)  # fmt: skip
def test_topic_rules(head: str, body: str, topic: str) -> None:
    """The topic is the heading the <title> repeats, else the title without the site name."""
    root = get_backend("lexbor")(f"<html><head><title>{head}</title></head><body>{body}</body></html>")
    assert find_topic(root) == topic


@pytest.mark.parametrize(
    ("url", "links", "expected"),
    [
        ("https://a.org/news/", '<link rel="next" href="/news/page/2/">', "https://a.org/news/page/2/"),
        ("https://z.org/category/news/page/2/",
         '<a href="../3/index.html">« Older Entries</a><a href="../../">Next Entries »</a>',
         "https://z.org/category/news/page/3/index.html"),
        ("https://j.org/news/page/2/", '<a href="/news/"><i></i></a><a href="/news/page/3"><i></i></a>',
         "https://j.org/news/page/3"),
        ("https://d.gov/k/x?page=2", '<a href="/k/x?page=1">‹ previous</a><a href="/k/x?page=3">3</a>',
         "https://d.gov/k/x?page=3"),
        ("https://p.com/blog/", '<a href="/blog/page/2">Next Page »</a>', "https://p.com/blog/page/2"),
        ("https://h.gov/q.aspx?id=1", '<a href="http://h.gov/q.aspx?id=1&amp;Page=2">Next</a>',
         "http://h.gov/q.aspx?id=1&Page=2"),
        ("https://f.org/news/page/2/", '<a href="/news/page/3/" aria-label="Next">3</a>', "https://f.org/news/page/3/"),
        ("https://u.org/news/", '<a href="#">Older →</a><a href="#">← Newer</a>', None),
        ("https://k.org/t?page=2", '<a href="/t">« first</a><a href="/t?page=1">‹ previous</a>', None),
    ],
    ids=["rel-next", "inverted-wording", "icon-only", "drupal-query", "next-page-text", "aspx-next",
         "aria-label", "disabled", "last-page"],
)  # fmt: skip
def test_next_page_rules(url: str, links: str, expected: str | None) -> None:
    """rel=next, then a link to page N+1 of this URL, then a "Next"/"Older" link; never "#"."""
    root = get_backend("lexbor")(f"<html><head></head><body>{links}</body></html>")
    assert find_next_page(root, url) == expected


@pytest.mark.parametrize("backend", BACKENDS)
def test_cards_in_grid_rows_are_one_listing(backend: str) -> None:
    """Cards laid out in several grid rows (.row > .col > .card) read as one listing, in order."""
    rows = []
    for row in range(3):
        cards = "".join(
            f"<div class='col-md-4'><div class='card'><h3 class='card-title'><a href='/n/{row}{col}'>"
            f"University story {row}{col} headline</a></h3>"
            f"<p class='card-text'>Summary {row}{col}.</p></div></div>"
            for col in range(3)
        )
        rows.append(f"<div class='row'>{cards}</div>")
    html = f"<main><h1>University News</h1><div class='container'>{''.join(rows)}</div></main>"
    drafts = detect_teasers(get_backend(backend)(html))
    assert [d.href for d in drafts] == [f"/n/{r}{c}" for r in range(3) for c in range(3)]
    assert drafts[4].excerpt == "Summary 11."


def test_a_category_link_before_the_headline_is_not_the_title() -> None:
    """A short category link leading each item does not displace the headline link."""
    html = (
        "<ul class='releases'>"
        + "".join(
            f"<li><a href='/type/press'>Press Release</a> "
            f"<a href='/news/{i}'>Agency announces grant program {i}</a>"
            f"<p>Summary of item {i}.</p></li>"
            for i in range(4)
        )
        + "</ul>"
    )
    drafts = detect_teasers(get_backend("lexbor")(html))
    assert [(d.title, d.href) for d in drafts] == [
        (f"Agency announces grant program {i}", f"/news/{i}") for i in range(4)
    ]


# A newsroom theme no profile knows: Drupal's "Read more about <title>" written for screen readers
# inside each headline link (QA's title-visually-hidden-read-more page), a teaser-level note kept
# off screen with ``hidden``, an ``aria-hidden`` arrow icon, and a pager labelled for screen
# readers only.
SCREEN_READER_PAGE = """<!DOCTYPE html><html><head><title>News | Agency</title></head><body>
<main><h1>News</h1><div class="teasers">
 <div class="teaser"><h3><a href="/b/1">Alpha story <span class="visually-hidden">Read more about
  Alpha story</span><span aria-hidden="true">›</span></a></h3><div hidden>Embargoed until 9am</div>
  <p>Alpha summary. <a href="/b/1">Continue reading<span class="screen-reader-text"> "Alpha
  story"</span></a></p></div>
 <div class="teaser"><h3><a href="/b/2">Beta story <span class="sr-only">Read more about Beta
  story</span></a></h3><p>Beta summary.</p></div>
 <div class="teaser"><h3><a href="/b/3">Gamma story <span class="usa-sr-only">Read more about Gamma
  story</span></a></h3><p>Gamma summary <span class="element-invisible">(opens a new
  window)</span></p></div>
</div>
<div class="more-news"><a href="/news/older"><span class="visually-hidden">Older news</span><svg
 aria-hidden="true"></svg></a></div></main></body></html>"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_text_kept_off_screen_or_from_screen_readers_is_not_in_titles(backend: str) -> None:
    """Screen-reader-only, ``hidden`` and ``aria-hidden`` text stays out of titles and summaries."""
    page = parse_topic_page(SCREEN_READER_PAGE, url="https://e.gov/news", backend=backend)
    assert page.profile == "generic"
    assert [(t.title, t.url, t.excerpt) for t in page.teasers] == [
        ("Alpha story", "https://e.gov/b/1", "Alpha summary."),
        ("Beta story", "https://e.gov/b/2", "Beta summary."),
        ("Gamma story", "https://e.gov/b/3", "Gamma summary"),
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_hidden_text_that_is_its_parents_only_text_stays(backend: str) -> None:
    """A screen-reader label is kept where it is all the text there is (an icon link's name), and of
    a shown/read pair of dates the shown one stays."""
    page = parse_topic_page(SCREEN_READER_PAGE, url="https://e.gov/news", backend=backend)
    assert page.next_url == "https://e.gov/news/older"  # found by its text, "Older news"
    dated = "".join(
        f"<article><h2><a href='/n/{i}'>Agency story number {i}</a></h2><div class='date'>"
        f"<span aria-hidden='true'>Mar {i}</span><span class='sr-only'>March {i}, 2016</span></div>"
        f"<p>Summary {i}.</p></article>"
        for i in range(1, 4)
    )
    drafts = detect_teasers(get_backend(backend)(f"<main>{dated}</main>"))
    assert [(d.title, d.date_text, d.excerpt) for d in drafts] == [
        (f"Agency story number {i}", f"Mar {i}", f"Summary {i}.") for i in range(1, 4)
    ]


# -- the QA tester's pages (tests/parsers/unseen: self-written, never in the corpus figures) -------

UNSEEN = Path(__file__).parent / "unseen"


def _unseen(name: str, **kwargs: Any) -> tuple[dict[str, Any], Any]:
    label = json.loads((UNSEEN / f"{name}.json").read_text(encoding="utf-8"))
    page = parse_topic_page((UNSEEN / f"{name}.html").read_bytes(), url=label["page_url"], **kwargs)
    return label, page


def _field(items: list[Any], name: str) -> list[Any]:
    return [item[name] if isinstance(item, dict) else getattr(item, name) for item in items]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", ["wordpress-elementor-posts-loadmore", "wordpress-divi-blog-module"])
def test_page_builder_widget_and_pager_classes_do_not_hide_the_listing(name: str, backend: str) -> None:
    """Elementor's elementor-widget-posts and Divi's et_pb_ajax_pagination_container hold the list."""
    label, page = _unseen(name, profile="generic", backend=backend)
    assert _field(page.teasers, "title") == _field(label["teasers"], "title")
    assert _field(page.teasers, "excerpt") == _field(label["teasers"], "excerpt")  # no "No Comments"
    assert page.topic == label["topic"]  # Elementor's h1 sits in its heading widget


def test_a_widget_is_the_listing_only_when_it_holds_most_of_the_pages_headlines() -> None:
    """With no listing outside chrome, a "widget" holding most headlines is one; a box of a few
    popular links beside the content is not."""
    teasers = "".join(
        f"<article><h2><a href='/n/{i}'>Widget story number {i}</a></h2><p>Summary {i}.</p></article>"
        for i in range(3)
    )
    page = f"<main><h1>News</h1><div class='elementor-widget elementor-widget-posts'>{teasers}</div></main>"
    assert [d.href for d in detect_teasers(get_backend("lexbor")(page))] == ["/n/0", "/n/1", "/n/2"]
    html = (
        "<main><h1>18F Blog</h1><h2>Delivering civic technology</h2><p>No posts yet.</p>"
        "<h3>Subscribe to our newsletter</h3><h3>Follow the team on social media</h3>"
        "<a href='/contact/'>Contact the team</a></main><div class='widget'><h4>Most popular</h4><ul>"
        "<li><a href='/a'>18F and TTS award first assisted acquisition</a></li>"
        "<li><a href='/b'>A dashboard for privacy offices</a></li>"
        "<li><a href='/c'>Introducing the U.S. Web Design Standards</a></li></ul></div>"
    )
    assert detect_teasers(get_backend("lexbor")(html)) == []


@pytest.mark.parametrize(
    ("name", "profile"),
    [
        ("ghost-casper-tag", None),  # "… 3 min read"
        ("govuk-finder-news", None),  # "… Press release Organisation: Department for …"
        ("uswds-cbp-newsroom-views", "generic"),  # "… National Media Release"
        ("uswds-fema-press-releases", "generic"),  # "… Press Release"
        ("wordpress-twentytwentyone-category", "generic"),  # "… Categorized as News"
        ("senate-press-release-table", None),  # the "Type" column, "Press Release" in every row
        ("medium-like-publication", None),  # "Jun 23 · 6 min read", claps "412"
    ],
)
def test_labels_after_the_summary_are_not_part_of_it(name: str, profile: str | None) -> None:
    """Content types, "Label: value" lines, reading times and categories stay out of excerpts."""
    label, page = _unseen(name, profile=profile)
    expected = {t["title"]: t["excerpt"] for t in label["teasers"]}
    assert [(t.title, t.excerpt) for t in page.teasers] == [
        (t.title, expected[t.title]) for t in page.teasers
    ]
    assert len(page.teasers) >= len(expected) - 1  # FEMA's featured card before the list is missed


def test_a_short_last_line_is_a_label_unless_the_summary_has_sub_headings() -> None:
    """After a summary's last sentence a short line is a label; in a post broken by short
    sub-headings it is the line the site cut the post after."""
    tagged = "".join(
        f"<div class='node'><h2><a href='/n/{i}'>Tagged story number {i}</a></h2>"
        f"<p>The process is simple {i}.</p><p><span class='tag'>Press release</span></p></div>"
        for i in range(3)
    )
    drafts = detect_teasers(get_backend("lexbor")(f"<main>{tagged}</main>"))
    assert [d.excerpt for d in drafts] == [f"The process is simple {i}." for i in range(3)]
    posts = "".join(
        f"<div class='node'><h2><a href='/n/{i}'>Leaving feedback number {i}</a></h2><div class='content'>"
        f"<p>The process is simple {i}.</p><p>Moving<br>Click and drag the bar.</p><p>Pointing</p>"
        "</div></div>"
        for i in range(3)
    )
    drafts = detect_teasers(get_backend("lexbor")(f"<main>{posts}</main>"))
    assert [d.excerpt for d in drafts] == [
        f"The process is simple {i}. Moving Click and drag the bar. Pointing" for i in range(3)
    ]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("name", "profile"),
    [("hugo-papermod-posts", None), ("read-more-only-teasers", None), ("uswds-ice-card-group", "generic")],
)
def test_a_headline_without_a_link_takes_the_blocks_only_link(
    name: str, profile: str | None, backend: str
) -> None:
    """An empty overlay link, a lone "Read more" link or a card's button gives the teaser's URL."""
    label, page = _unseen(name, profile=profile, backend=backend)
    assert [(t.title, t.url) for t in page.teasers] == [(t["title"], t["url"]) for t in label["teasers"]]


def test_a_block_linking_to_two_places_gives_no_url() -> None:
    """A headline without a link takes its block's one link target, never one of two."""
    one = "".join(
        f"<div class='item'><h3>Unlinked headline number {i}</h3><p>Its summary {i}.</p>"
        f"<a href='/item/{i}'><img src='/{i}.jpg'></a> <a href='/item/{i}'>Read more</a></div>"
        for i in range(3)
    )
    assert [d.href for d in detect_teasers(get_backend("lexbor")(f"<main>{one}</main>"))] == [
        "/item/0",
        "/item/1",
        "/item/2",
    ]
    two = one.replace("<img", "Tag</a><a href='/tag'><img")
    assert [d.href for d in detect_teasers(get_backend("lexbor")(f"<main>{two}</main>"))] == [
        None,
        None,
        None,
    ]


@pytest.mark.parametrize(
    ("name", "profile"),
    [
        ("university-news-card-grid", None),  # "More news" → ?page=2
        ("newspaper-section-front", None),  # "Load more stories" → ?page=2
        ("french-university-actualites", None),  # "Page suivante ›" → ?page=2
        ("german-city-press-releases", None),  # li.next > a "Nächste Seite" → /seite-2
        # data-next-page on .e-load-more-anchor: a rule for pages no profile reads (the WordPress
        # profile's pager selectors settle its pages, without a pass over the page for it)
        ("wordpress-elementor-posts-loadmore", "generic"),
        ("wordpress-divi-blog-module", None),  # "« Older Entries" → /news/page/2/?et_blog
        ("wordpress-divi-blog-module", "generic"),
    ],
)
def test_next_pages_of_first_pages_and_load_more_buttons(name: str, profile: str | None) -> None:
    """Next pages counted from 1, localised pagers, pager classes and "Load more" data are found."""
    label, page = _unseen(name, profile=profile)
    assert page.next_url == label["next_page"]


@pytest.mark.parametrize(
    ("url", "links", "expected"),
    [
        ("https://u.org/latest/", '<a href="/latest/?page=2">More news</a>', "https://u.org/latest/?page=2"),
        ("https://w.org/news/", '<a href="/news/page/2/?et_blog">2</a>',
         "https://w.org/news/page/2/?et_blog"),
        ("https://g.de/presse", '<ul><li class="next"><a href="/presse/seite-2">Nächste Seite</a></li></ul>',
         "https://g.de/presse/seite-2"),
        ("https://g.de/presse", '<a class="next page-numbers" href="/presse/s2"><i></i></a>', "https://g.de/presse/s2"),
        ("https://f.fr/actus", '<a href="/actus/2">Page suivante ›</a>', "https://f.fr/actus/2"),
        ("https://e.org/news/", '<div class="e-load-more-anchor" data-next-page="/news/page/2/"></div>',
         "https://e.org/news/page/2/"),
    ],
    ids=["first-page-counts-from-1", "page-path-with-query", "li-next", "a-next-icon", "french",
         "data-next-page"],
)  # fmt: skip
def test_more_next_page_rules(url: str, links: str, expected: str | None) -> None:
    """?page=2 from a first page when no ?page=1 is linked; /page/N/ whatever its query; class and
    localised next links; a load-more button's data-next-page URL."""
    root = get_backend("lexbor")(f"<html><head></head><body>{links}</body></html>")
    assert find_next_page(root, url) == expected


def test_a_first_pages_page_2_link_yields_to_a_page_1_link_and_needs_a_url() -> None:
    """?page=2 is the next page only where no ?page=1 is linked (Drupal counts from 0); a page
    number in data-next-page and a "#" link classed next are no next page."""
    root = get_backend("lexbor")('<a href="/news?page=2">More news</a>')
    assert find_next_page(root, "https://d.org/news") == "https://d.org/news?page=2"
    root = get_backend("lexbor")('<a href="/news?page=2">3</a> <a href="/news?page=1">2</a>')
    assert find_next_page(root, "https://d.org/news") == "https://d.org/news?page=1"
    root = get_backend("lexbor")('<div data-next-page="2"></div><a class="next" href="#"></a>')
    assert find_next_page(root, "https://d.org/news") is None


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_listing_nested_in_single_child_wrappers_is_found(backend: str) -> None:
    """Ten levels from headline to list, most of them one-child wrappers: the list, not a rail."""
    label, page = _unseen("medium-like-publication", backend=backend)
    assert [(t.title, t.url, t.date_raw) for t in page.teasers] == [
        (t["title"], t["url"], t["date_raw"]) for t in label["teasers"]
    ]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "name", ["hugo-ananke-posts", "squarespace-journal", "wordpress-generatepress-category"]
)
def test_the_topic_is_no_teasers_headline(name: str, backend: str) -> None:
    """Teasers' repeated h1s are not the topic; a page header's h1 in <main> is; no " Archives"."""
    label, page = _unseen(name, profile="generic", backend=backend)
    assert page.topic == label["topic"]


@pytest.mark.parametrize(
    ("head", "body", "topic"),
    [
        ("Races Archives - Trail Notes", "<header><h1>Trail Notes</h1></header>", "Races"),
        ("Journal — Bakery", "<article><h1><a href='/a'>Post one</a></h1></article>"
         "<article><h1><a href='/b'>Post two</a></h1></article>", "Journal"),
        ("Races Archives - Trail Notes", "<main><header class='page-header'><h1>Races</h1></header></main>",
         "Races"),
    ],
    ids=["archives-suffix", "repeated-h1", "header-in-main"],
)  # fmt: skip
def test_more_topic_rules(head: str, body: str, topic: str) -> None:
    """The <title> part loses " Archives"; repeated h1s are skipped; a header in <main> is no banner."""
    root = get_backend("lexbor")(f"<html><head><title>{head}</title></head><body>{body}</body></html>")
    assert find_topic(root) == topic


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_published_date_wins_over_the_modified_one(backend: str) -> None:
    """time.updated[itemprop=dateModified] written first does not hide time.entry-date.published."""
    label, page = _unseen("wordpress-generatepress-category", profile="generic", backend=backend)
    assert [(t.date and t.date.isoformat(), t.date_raw) for t in page.teasers] == [
        (t["date"], t["date_raw"]) for t in label["teasers"]
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_definition_lists_terms_take_date_and_summary_from_their_definitions(backend: str) -> None:
    """dt holds the title, the dd after it the date and summary ("23.06.2023 – Prof. …")."""
    label, page = _unseen("definition-list-news", backend=backend)
    assert [(t.title, t.excerpt, t.date_raw) for t in page.teasers] == [
        (t["title"], t["excerpt"], t["date_raw"]) for t in label["teasers"]
    ]


# -- the held-out QA round (tests/parsers/unseen) ----------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "name", ["sitecore-newsroom-search-p2", "chinese-gov-news-list", "japanese-corporate-news"]
)
def test_search_results_and_cjk_headlines_are_a_listing(name: str, backend: str) -> None:
    """A search page's result list is no search box, and CJK headlines count words by characters."""
    label, page = _unseen(name, profile="generic", backend=backend)
    assert _field(page.teasers, "title") == _field(label["teasers"], "title")
    assert _field(page.teasers, "url") == _field(label["teasers"], "url")
    assert page.next_url == label["next_page"]
    assert page.topic == label["topic"]  # an h1 classed search-title; "要闻_中国政府网示例"


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "name",
    [
        "joomla-blog-layout",
        "hubspot-blog-tag",
        "substack-archive",
        "joomla-category-list",
        "city-council-pdf-table",
        "docusaurus-blog-index",
    ],
)
def test_metadata_rows_buttons_and_table_cells_are_no_summary(name: str, backend: str) -> None:
    """A dl of metadata, the rest of the date's row or header, buttons, "Read more: <title>" and a
    table's short cells stay out of the excerpt."""
    label, page = _unseen(name, profile="generic", backend=backend)
    expected = {t["title"]: t["excerpt"] for t in label["teasers"]}
    assert [(t.title, t.excerpt) for t in page.teasers] == [
        (t.title, expected[t.title]) for t in page.teasers
    ]
    assert len(page.teasers) >= len(expected) - 1  # Joomla's leading item before the list is missed


@pytest.mark.parametrize(
    "name",
    ["arabic-rtl-ministry-news", "jekyll-chirpy-home", "joomla-blog-layout", "wordpress-yoast-amp-archive"],
)
def test_next_page_from_icon_labels_pager_class_parts_and_other_languages(name: str) -> None:
    """ "Go to next page"/"next-page" labels, amp-pagination-next and "التالي" name the next page."""
    label, page = _unseen(name, profile="generic")
    assert page.next_url == label["next_page"]


def test_a_pager_class_part_next_needs_a_pager_word() -> None:
    """A single post's next-post or an event list's next-event link is no next page."""
    root = get_backend("lexbor")(
        "<div class='next-post'><a href='/other'>Other</a></div><a class='next-event' href='/e'>E</a>"
        "<li class='c-pager__next'><a href='/news/index_2.html'>&gt;&gt;</a></li>"
    )
    assert find_next_page(root, "https://a.org/news/") == "https://a.org/news/index_2.html"
    assert (
        find_next_page(
            get_backend("lexbor")("<div class='next-post'><a href='/other'>Other</a></div>"),
            "https://a.org/news/",
        )
        is None
    )


@pytest.mark.parametrize("name", ["blogger-date-groups", "jekyll-chirpy-home", "tumblr-tag-page"])
def test_the_site_name_is_no_topic_and_a_header_h1_the_title_repeats_is(name: str) -> None:
    """A one-part title that is the site's name gives no topic; Tumblr's tag h1 in div.tag-header does."""
    label, page = _unseen(name, profile="generic")
    assert page.topic == label["topic"]


def test_corpus_topics_keep_a_one_part_title_that_is_not_the_site_name() -> None:
    """A one-part <title> ("News") stays the topic when nothing names the site so."""
    root = get_backend("lexbor")("<title>News</title><header><h1>News</h1></header><main><p>x</p></main>")
    assert find_topic(root) == "News"
    root = get_backend("lexbor")(
        "<title>My Blog</title><header><h1><a href='/'>My Blog</a></h1></header><main><p>x</p></main>"
    )
    assert find_topic(root) is None


def test_a_card_link_around_blocks_is_no_link_text() -> None:
    """Text in a card's link around blocks reads as the card's text: its date line is metadata."""
    from parsers.profiles.segments import read_segments

    card = get_backend("lexbor")(
        "<div class='item'><a class='card' href='/p/1'><div class='meta'><div>Product</div>"
        "<div>June 20, 2023</div></div><h3>Card headline</h3><p>A summary sentence here.</p></a></div>"
    ).css_first("div.item")
    assert card is not None
    assert [(s.text, s.kind) for s in read_segments(card)] == [
        ("Product", "content"),
        ("June 20, 2023", "meta"),
        ("Card headline", "heading"),
        ("A summary sentence here.", "content"),
    ]
