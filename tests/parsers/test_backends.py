"""The two backends build the same tree from broken markup (the one a browser builds), so a page
gives the same records through either.

Each case is a real page from fixtures/ or tests/corpus/ with one defect of a kind QA's mutation run
over 5,700 pages found the backends reading apart while the soup backend parsed with lxml.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from parsers import ParseError, parse_topic_page
from parsers.backends import BACKENDS, get_backend

ROOT = Path(__file__).resolve().parents[2]
DHS = ROOT / "fixtures" / "dhs" / "www.dhs.gov" / "keywords-secure-communities.html"
DHS_URL = "https://www.dhs.gov/keywords/secure-communities"
SENATE = ROOT / "tests" / "corpus" / "senate-coldfusion-cowan-press-table.html"
JEKYLL = ROOT / "tests" / "corpus" / "odd-jekyll-deadrooster-category-by-month.html"
DHS_DOCTYPE = '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML+RDFa 1.0//EN"\n  "http://www.w3.org/MarkUp/DTD/xhtml-rdfa-1.dtd">'


def _url(corpus_page: Path) -> str:
    label = json.loads(corpus_page.with_suffix(".json").read_text(encoding="utf-8"))
    return str(label["page_url"])


# (page, its URL, [(text in the page, what replaces its first `count` occurrences, count)])
Edit = tuple[str, str, int]
CASES: dict[str, tuple[Path, str, list[Edit]]] = {
    # XHTML habits: <div/> and <a name=x/> are start tags in HTML, so the element stays open.
    "self-closing-div": (
        DHS,
        DHS_URL,
        [("Medium Businesses</a></h2>", 'Medium Businesses</a></h2><div class="clearfix"/>', 1)],
    ),
    "self-closing-a-name": (
        DHS,
        DHS_URL,
        [('<div id="node-126311"', '<a name="node-126311"/><div id="node-126311"', 1)],
    ),
    # A second page template's </body></html> pasted mid-page: ignored, the page goes on.
    "stray-body-html-close": (
        DHS,
        DHS_URL,
        [('  <div class="views-row views-row-3', '</body></html>\n  <div class="views-row views-row-3', 1)],
    ),
    # </br> is a <br>: the words on either side stay apart.
    "end-tag-br": (DHS, DHS_URL, [("exists in our communities.\n", "exists in our communities.</br>", 1)]),
    # A "Read more" link left open: the next teaser's title link is split out of it (adoption agency).
    "misnested-a": (
        DHS,
        DHS_URL,
        [("Medium Businesses</span></a></li>", "Medium Businesses</span></li>", 1)],
    ),
    # An <a> left open across list items is reopened inside each following <li>.
    "li-inside-unclosed-a": (
        JEKYLL,
        _url(JEKYLL),
        [("Les hymnes indé selon le NME\n            </a>", "Les hymnes indé selon le NME\n", 1)],
    ),
    # Table cells with no <table>: the tags are ignored, their text stays.
    "td-outside-table": (SENATE, _url(SENATE), [('<table class="table table-striped">', "", 1)]),
    # Text between cells is moved out in front of the table (foster parenting).
    "stray-text-in-tr": (
        SENATE,
        _url(SENATE),
        [("</a></td>\n\t\t\t\t\t\t</tr>", "</a></td> (PDF)\n\t\t\t\t\t\t</tr>", 3)],
    ),
    # <script src=x/> is not closed: the rest of the page (here the pager) is script text.
    "self-closing-script": (
        DHS,
        DHS_URL,
        [
            (
                '      <h2 class="element-invisible">Pages</h2>',
                '<script src="/misc/progress.js"/><h2>Pages</h2>',
                1,
            )
        ],
    ),
    # A NUL in text is dropped (the HTML standard's "in body" rule), not turned into U+FFFD.
    "nul-in-text": (
        DHS,
        DHS_URL,
        [("Securing our Communities: Resources", "Securing our\x00 Communities: Resources", 2)],
    ),
    # Ruby annotations are text: 記録(きろく).
    "ruby": (
        DHS,
        DHS_URL,
        [
            (
                "Record-Breaking Immigration",
                "<ruby>記録<rp>(</rp><rt>きろく</rt><rp>)</rp></ruby> Immigration",
                1,
            )
        ],
    ),
    # No doctype (quirks mode): class selectors match whatever the case of the class.
    "quirks-mode-class-case": (
        DHS,
        DHS_URL,
        [(DHS_DOCTYPE, "", 1), ('class="views-row views-row-1 ', 'class="Views-Row views-row-1 ', 1)],
    ),
    # Half an emoji (a lone surrogate, from bad JSON or surrogateescape) in text input is dropped.
    "lone-surrogate": (DHS, DHS_URL, [("One Year Later</a>", "One Year Later \ud83d</a>", 1)]),
    # html5lib predates <template>: its rows must not leak into the table (they are not content).
    "template-in-table": (
        SENATE,
        _url(SENATE),
        [("<tbody>", '<tbody><template><tr><td><a href="/draft">Draft release</a></td></tr></template>', 1)],
    ),
}


def _broken(page: Path, edits: list[Edit]) -> str:
    html = page.read_text(encoding="utf-8")
    for old, new, count in edits:
        assert html.count(old) >= count, old  # the page still holds what the case edits
        html = html.replace(old, new, count)
    return html


def _read(html: str, url: str, backend: str) -> dict[str, Any] | str:
    """The page as the records see it, or the name of the ParseError it raised."""
    try:
        page = parse_topic_page(html, url=url, backend=backend)
    except ParseError as exc:
        return type(exc).__name__
    return {
        "page": page.model_dump(mode="json"),
        "records": [r.model_dump(mode="json") for r in page.to_records()],
    }


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_markup_gives_the_same_records_in_both_backends(case: str) -> None:
    """A real page with one kind of broken markup gives identical records through lexbor and soup."""
    page, url, edits = CASES[case]
    html = _broken(page, edits)
    lexbor, soup = (_read(html, url, backend) for backend in BACKENDS)
    assert isinstance(lexbor, dict)
    assert lexbor == soup


def test_nul_and_lone_surrogates_leave_no_trace() -> None:
    """A NUL in the markup and a lone surrogate in text input vanish from the title in both backends."""
    html = _broken(
        DHS, [("Securing our", "Secur\x00ing our", 1), ("One Year Later", "One Year \udc80Later", 1)]
    )
    for backend in BACKENDS:
        titles = [t.title for t in parse_topic_page(html, url=DHS_URL, backend=backend).teasers]
        assert titles[0] == "Securing our Communities: Resources for Small and Medium Businesses"
        assert titles[-1] == '"Secure Communities" - One Year Later'


@pytest.mark.parametrize(
    ("doctype", "quirks"),
    [
        ("", True),
        ('<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">', True),
        ("<!DOCTYPE html>", False),
        (DHS_DOCTYPE, False),
        # Transitional with a system identifier is "limited quirks": selectors keep their case.
        (
            '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN"'
            ' "http://www.w3.org/TR/html4/loose.dtd">',
            False,
        ),
    ],
    ids=["none", "html4-transitional", "html5", "xhtml-rdfa", "html4-transitional-with-dtd"],
)
@pytest.mark.parametrize("backend", BACKENDS)
def test_quirks_mode_matches_class_and_id_case_insensitively(
    backend: str, doctype: str, quirks: bool
) -> None:
    """In quirks mode ``.views-row`` matches ``class="Views-Row"`` (and ``#main`` ``id="Main"``);
    attribute selectors keep their case in every mode."""
    root = get_backend(backend)(
        f'{doctype}<html><body><div class="Views-Row odd" id="Main" title="Row">'
        '<a class="Title" href="/a">A</a></div></body></html>'
    )
    insensitive = [
        ".views-row",
        "#main",
        "div.views-row > a.title",
        'div#MAIN:not(.other) a[href="/a"]',
    ]
    assert [len(root.css(q)) for q in insensitive] == [int(quirks)] * len(insensitive)
    assert [len(root.css(q)) for q in (".Views-Row", "#Main", '[class~="Views-Row"]', '[title="Row"]')] == [
        1
    ] * 4
    assert root.css('[class~="views-row"]') == []
    assert root.css('[title="row"]') == []
    div = root.css_first("div")
    assert div is not None
    assert div.matches(".VIEWS-ROW.odd") is quirks
    assert div.attr("class") == "Views-Row odd"  # values come back as written


def _tree(backend: str, html: str) -> list[tuple[str, str]]:
    return [(event, name) for event, name, _ in get_backend(backend)(html).walk()]


@pytest.mark.parametrize(
    "html",
    [
        # In <head>: a template must not end the head early (the <base> after it stays in <head>).
        '<html><head><template><p>x</p></template><base href="/sub/"><title>T</title></head><body><p>hi</p>',
        # Its end tags never close the page's elements.
        '<div id="a"><template></div><p>inner</template><p>outer</p></div><p>after</p>',
        # Raw text inside it stays raw text: "</template>" in a script does not end it.
        "<template><script>if (a<b) { s = '</template>'; }</script><p>in</p></template><p>out</p>",
        # Unclosed: the rest of the page is template content.
        "<p>before</p><template><p>never shown",
        # A stray end tag is ignored.
        "<p>one</template>two</p>",
    ],
    ids=["head", "end-tags", "raw-text", "unclosed", "stray-end"],
)
def test_template_content_never_reaches_the_page(html: str) -> None:
    """Template content is parsed apart from the page and then removed, in both backends alike."""
    assert _tree("soup", html) == _tree("lexbor", html)


@pytest.mark.parametrize(
    "html",
    [
        # A title link left open in a layout cell is reopened around the whitespace that follows.
        '<table id="content"><tr><td id="main"><div class="node"><h2 class="title"><a href="/node/61">'
        'Uncles John and Joe Troy</h2></div>\n <div class="node"><h2 class="title">Uncle Jim</h2></div>',
        # The same in blocks foster-parented out of a table that lost its <td>.
        '<table id="content"><tr><div class="node"><h2 class="title"><a href="/node/61">'
        'Uncles John and Joe Troy</h2></div><div class="node">\n <h2 class="title">Uncle Jim</h2></div>',
        # And in a caption.
        '<table><caption><p><a href="/x">Press releases</p>\n <p>2016</p></caption>'
        "<tr><td>x</td></tr></table>",
        # The newline right after <pre> is dropped in a cell as anywhere else.
        "<table><tr><td><pre>\n  indented</pre></td></tr></table>",
    ],
    ids=["cell", "foster-parented", "caption", "pre-in-cell"],
)
def test_whitespace_in_tables_is_read_as_in_body(html: str) -> None:
    """Whitespace in a cell, a caption or foster-parented content follows the "in body" rules
    (formatting elements reopened, <pre>'s first newline dropped), in both backends alike."""
    assert _tree("soup", html) == _tree("lexbor", html)


def test_isindex_is_an_ordinary_element() -> None:
    """``<isindex>`` (a 1990s search box) is an unknown element in both backends, not a made-up
    form whose "This is a searchable index" label could be read as page text."""
    html = (
        '<html><body><div class="header"><isindex prompt="Search this site:"></div>'
        '<ul class="news"><li><a href="/news/1">Fair opens Saturday</a></li></ul></body></html>'
    )
    assert _tree("soup", html) == _tree("lexbor", html)
    assert "searchable" not in get_backend("soup")(html).text()


@pytest.mark.parametrize("backend", BACKENDS)
def test_css_finds_descendants_only_never_the_element_itself(backend: str) -> None:
    """`css`/`css_first` on an element look below it, as querySelectorAll does: a block that
    matches its own selector is not its own first hit (lexbor's engine tests the element too)."""
    root = get_backend(backend)(
        '<section><div id="a" class="x">one<div id="b" class="x">two</div></div></section>'
    )
    outer = root.css_first("div.x")
    assert outer is not None
    assert outer.attr("id") == "a"
    assert [e.attr("id") for e in outer.css("div.x")] == ["b"]
    inner = outer.css_first(".x")
    assert inner is not None
    assert inner.attr("id") == "b"
    assert inner.css_first(".x") is None
