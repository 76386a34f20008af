"""The generic teaser detector: pages no profile knows.

A listing is a run of sibling blocks that repeat one shape, each holding a headline. The detector
finds it without knowing the template:

0. **Unseen text** goes first: screen-reader-only labels (Drupal's "Read more about <title>" inside
   each headline link), ``hidden`` notes and ``aria-hidden`` icons are neither a title nor a summary,
   unless one is all the text its parent has (an icon link's name).
1. **Headline candidates** ("units"): headings (``h1``–``h6``), elements whose class names a title
   or headline, and links with text. A link inside (or around) a heading belongs to the heading,
   so a teaser counts once whether it is ``h2 > a``, ``a.card > h3`` or a bare ``a``.
2. **Regions**: for every ancestor of a unit (up to :data:`MAX_BLOCK_DEPTH` levels up, further
   through blocks that wrap a single element, as React pages nest them), the child on
   the way down is a candidate *block* of that ancestor (the candidate *container*). Sibling lists
   and table bodies of one shape are merged (a table grouped by month, lists split by day headings).
3. **Scoring**: in each region, blocks are grouped by the path from block to headline (tag names);
   the largest group is the listing candidate. Its score grows with the number of blocks, how
   headline-like their titles are (navigation links are one or two words), and how many blocks
   carry more than a headline (a summary or a date). Regions inside navigation, headers, footers,
   asides, menus, pagers, hidden elements and "related"/"popular"/"recent" boxes never count;
   under only a "widget" or "pagination" class, only when nothing else does and they hold most
   of the page's headlines (page builders).
4. **Fields**: per block, the headline's text and link; the date from ``<time>``, a date-classed
   element or the first date in the block's text (else a date heading just before the list); the
   summary from :mod:`parsers.profiles.segments`; a headline without a link takes the block's only
   link target. A ``<dt>`` block reads its date and summary from the ``<dd>`` after it.

Everything depends only on the :class:`~parsers.backends.Node` interface and on document order, so
both backends give the same result. Thresholds are named below with the pages that set them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from parsers.backends import BLOCK_TAGS, Node
from parsers.clean import absolute_url, is_boilerplate, normalize_space
from parsers.dates import find_date, find_month, find_relative
from parsers.profiles.base import Draft
from parsers.profiles.segments import (
    HEADING_TAGS,
    MIN_SENTENCE_WORDS,
    Segment,
    count_words,
    excerpt_text,
    read_segments,
)

__all__ = [
    "DATE_ROW_WORDS",
    "EXCLUDED_WORDS",
    "HEADLINE_WORDS",
    "HIDDEN_CLASSES",
    "MAX_BLOCK_DEPTH",
    "MAX_CHAIN_DEPTH",
    "MAX_TITLE_CHARS",
    "MIN_ITEMS",
    "MIN_MAIN_SHARE",
    "MIN_SCORE",
    "SCREEN_READER_CLASSES",
    "WEAK_CHROME_WORDS",
    "detect_teasers",
    "find_next_page",
    "find_topic",
]

MIN_ITEMS = 2
"""A listing has at least this many teasers. The smallest labelled listing (hugo-universal-upcacm-news)
has 3; 2 keeps a short last page of a pager readable, and a lone link never counts."""

MAX_BLOCK_DEPTH = 8
"""How far above a headline its teaser block's container may be. The deepest in tests/corpus is
drupal10-joachim (h2 < div < header < article < div.views-row < div.view-content: 5 levels).
Higher up, a block that wraps a single element does not count (:data:`MAX_CHAIN_DEPTH`)."""

MAX_CHAIN_DEPTH = 12
"""How far above a headline a container may be through blocks that wrap a single element: React
and CSS-in-JS pages wrap each teaser in a run of them (QA's medium-like-publication: h2 < div < a <
div < div < div < div < article < div.nv < div.ab < container, 10 levels, the last three blocks
single wrappers). Only the levels past :data:`MAX_BLOCK_DEPTH` are checked for wrappers, so the
climb costs one element-child count per level there."""

MAX_TITLE_CHARS = 300
"""Longer link texts are paragraphs, not headlines (the longest labelled title has 120 chars)."""

HEADLINE_WORDS = 4.0
"""Mean title words at which a group of links reads fully as headlines. Menus average 1–2 words
("Home", "About", "Contact"); the shortest labelled listing titles average 3.3 (freecad news cards)."""

MIN_MEAN_TITLE_CHARS = 6.0
"""Below this mean title length a group of links is a pager or an index ("1 2 3", "A B C")."""

EXTRA_TEXT_CHARS = 5
"""A block holds more than its headline when its text is this much longer: a summary, or a date
(cowan.senate.gov's "05/01/13"; "Mar 3" or "Today" on a card that shows only a headline and a date,
where 8 let the cards' own headings win as blocks and lose the dates)."""

CROWD_WORDS = 3
"""A block holding two headline-length links of its title's rank holds two teasers: the level is too
high (a grid row of cards, a table body of rows). Shorter links beside a headline are categories."""

MIN_SCORE = 3.0
"""The weakest listing still scores this: three headlines of four words or more, or two teasers that
each carry a summary or date. In tests/corpus the weakest real listing scores 4 (drupal6-travelsintype:
four photo titles of two words on average, dated) and menus and tag lists score 1–2.25."""

SCORED_REGIONS = 6
"""How many regions (best by count and title quality) get the costlier extra-text check."""

EXCLUDED_TAGS = frozenset({"nav", "header", "footer", "aside", "menu"})
"""Elements that hold site chrome, never the main listing."""

EXCLUDED_ROLES = frozenset(
    {"navigation", "banner", "contentinfo", "complementary", "search", "menu", "dialog"}
)

EXCLUDED_WORDS = frozenset(
    {
        "nav", "navbar", "navigation", "menu", "menubar", "megamenu", "dropdown", "header", "masthead",
        "footer", "sidebar", "aside", "widget", "breadcrumb", "breadcrumbs", "pager", "pagination",
        "related", "popular", "recent", "trending", "share", "sharing", "social", "comments",
        "carousel", "slider", "banner", "toolbar", "tweets", "twitter", "modal", "overlay", "search",
    }
)  # fmt: skip
"""Words in a class or id that mark chrome: site navigation, sidebars and widgets (soundsoftware's
"Recent notes", researchthroughdesign's "RTD News" widget, partario's sidebar of the same titles),
"related"/"popular"/"recent" boxes, pagers, hidden overlays (hugo-academic's search), screen-reader
text. Class names are split on ``-``, ``_`` and camelCase, so ``region-sidebar-first`` and
``widget_gk_nsp`` match. Only *ancestors* of a listing are checked, never the inside of a teaser, so
a teaser's ``<header>`` or ``entry-header`` is harmless."""

WEAK_CHROME_WORDS = frozenset({"widget", "pagination", "pager"})
"""Of :data:`EXCLUDED_WORDS`, those that name a kind of container rather than what it holds: page
builders call every element a widget (Elementor's ``elementor-widget-posts`` holds the page's post
list) and wrap the list an Ajax pager replaces in its pager (Divi's
``et_pb_ajax_pagination_container``). A listing under only such words still counts when the page has
no other listing and it holds most of the page's headlines (QA's wordpress-elementor-posts-loadmore
and wordpress-divi-blog-module pages under ``--profile generic``)."""

MIN_MAIN_SHARE = 0.5
"""A listing under weak chrome words (:data:`WEAK_CHROME_WORDS`) holds more than this share of the
page's headline candidates outside chrome: it is the page's content, not a sidebar widget (the 18F
page of tests/parsers/test_generic.py: three "Most popular" links of seven headlines)."""

SCREEN_READER_CLASSES = (
    "visually-hidden", "visuallyhidden", "sr-only", "screen-reader-text", "screen-reader-only",
    "element-invisible", "show-for-sr", "usa-sr-only", "a11y-hidden", "assistive-text",
)  # fmt: skip
"""Classes that keep text off the screen for screen readers only: Drupal 8+ and Bootstrap 5
(``visually-hidden``), HTML5 Boilerplate (``visuallyhidden``), Bootstrap 3–4 and Tailwind
(``sr-only``), WordPress (``screen-reader-text``; ``assistive-text`` in its 2011 themes), Drupal 7
(``element-invisible``), Foundation (``show-for-sr``), USWDS (``usa-sr-only``). Drupal's "Read more
about <title>" lives there (QA's title-visually-hidden-read-more page)."""

HIDDEN_CLASSES = frozenset({"hidden", "d-none", "invisible", *SCREEN_READER_CLASSES})
"""Whole class names that hide an element (Bootstrap, Drupal, WordPress). Matched whole, not as words:
Bootstrap's ``hidden-xs`` only hides on small screens."""

_STRONG_WORDS = EXCLUDED_WORDS - WEAK_CHROME_WORDS

_RESULT_WORDS = frozenset({"result", "results", "hits"})
"""Class words beside "search" that name what a search found, not the search form: a search page
lists its results in ``search-results``/``search-result`` containers (Sitecore SXA, QA's
sitecore-newsroom-search-p2), which are the listing."""

_HIDDEN_QUERY = "[hidden], [aria-hidden=true]"
_UNSEEN_QUERY = ", ".join([*(f".{c}" for c in SCREEN_READER_CLASSES), _HIDDEN_QUERY])
"""Text that is not on the screen (screen-reader-only, ``hidden``) or is not read out
(``aria-hidden``: icons, arrows, a visual duplicate of a label): a teaser's title and summary are
what is both shown and read."""
_TITLE_CLASS_RE = re.compile(r"title|headline|heading", re.IGNORECASE)
_MODIFIER_RE = re.compile(r"^(?:with|has|no|without|is|not)[-_]|[-_](?:none|less)$", re.IGNORECASE)
_WORD_SPLIT_RE = re.compile(r"[-_\s:]+|(?<=[a-z])(?=[A-Z])")
_HIDDEN_STYLE_RE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden|left\s*:\s*-\d{3,}px", re.I)
_DATE_CLASS_RE = re.compile(r"date|time|posted|published|created|submitted", re.IGNORECASE)
_DIGITS_RE = re.compile(r"\d")
_UNIT_QUERY = "h1, h2, h3, h4, h5, h6, a[href], [class*=title], [class*=headline], [class*=heading]"
_GROUP_TAGS = frozenset({"ul", "ol", "dl", "tbody", "table"})
"""Sibling containers of these tags (or of any tag with the same classes) and one shape are one
listing split into groups: by month headers (cowan.senate.gov's table), by day, or by grid row."""

# Ranks of a unit: a headline with a link beats a bare link, which beats a heading without a link
# (on deadrooster.org a month heading and a post link share each block; the link is the teaser).
_RANK_LINKED_HEADING = 0
_RANK_LINK = 1
_RANK_HEADING = 2


@dataclass(slots=True)
class _Unit:
    node: Node
    text: str
    rank: int
    link: Node | None
    order: int


@dataclass(slots=True)
class _Block:
    node: Node
    units: list[_Unit] = field(default_factory=list)


@dataclass(slots=True)
class _Region:
    container: Node
    blocks: dict[int, _Block] = field(default_factory=dict)
    depth: dict[int, int] = field(default_factory=dict)
    """Unit order → how many levels below the container the unit is."""


def _class_words(node: Node) -> set[str]:
    words: set[str] = set()
    for name in ("class", "id"):
        value = node.attr(name)
        if not value:
            continue
        for token in value.split():
            # State modifiers describe the page around the element, not the element itself:
            # soundsoftware.ac.uk's main column is "main-inner clear-block with-navbar".
            if _MODIFIER_RE.search(token):
                continue
            words.update(w.lower() for w in _WORD_SPLIT_RE.split(token) if w)
    return words


_NOT_CHROME = 0
_WEAK_CHROME = 1
_CHROME = 2


def _chrome_level(node: Node) -> int:
    """:data:`_CHROME` for an element that holds site chrome or is hidden, :data:`_WEAK_CHROME` for
    one only its class names a container of a kind chrome often is (:data:`WEAK_CHROME_WORDS`)."""
    if node.tag in EXCLUDED_TAGS:
        return _CHROME
    role = node.attr("role")
    if role and role.lower() in EXCLUDED_ROLES:
        return _CHROME
    style = node.attr("style")
    if style and _HIDDEN_STYLE_RE.search(style):
        return _CHROME
    if not HIDDEN_CLASSES.isdisjoint((node.attr("class") or "").split()):
        return _CHROME
    words = _class_words(node)
    if EXCLUDED_WORDS.isdisjoint(words):
        return _NOT_CHROME
    if "search" in words and (node.tag in HEADING_TAGS or not _RESULT_WORDS.isdisjoint(words)):
        words.discard("search")  # a search page's results or their heading, not its search box
        if EXCLUDED_WORDS.isdisjoint(words):
            return _NOT_CHROME
    return _CHROME if not _STRONG_WORDS.isdisjoint(words) else _WEAK_CHROME


class _Tree:
    """Ancestor chains (elements, keys, tag names) and chrome flags, computed once per element."""

    def __init__(self, body: Node, hidden: Sequence[Node] | None = None) -> None:
        """``hidden``: the page's hidden elements, if already found (:func:`_drop_unseen`)."""
        self.body_key = body.key
        self._chains: dict[int, tuple[tuple[Node, ...], tuple[int, ...], tuple[str, ...]]] = {}
        self._shapes: dict[int, str] = {}
        self._branches: dict[int, bool] = {}
        # Found by CSS, not attr(): a valueless ``hidden`` reads as None in one backend, "" in the other.
        found = body.css(_HIDDEN_QUERY) if hidden is None else hidden
        self._chrome: dict[int, int] = {n.key: _CHROME for n in found}

    def chain(self, node: Node) -> tuple[tuple[Node, ...], tuple[int, ...], tuple[str, ...]]:
        """``node`` and its ancestors up to (not including) ``<body>``, with their keys and tags."""
        key = node.key
        found = self._chains.get(key)
        if found is not None:
            return found
        # Climb to the nearest element whose chain is known, then build the chains back down.
        pending: list[tuple[Node, int]] = []
        current: Node | None = node
        tail: tuple[tuple[Node, ...], tuple[int, ...], tuple[str, ...]] = ((), (), ())
        while current is not None:
            current_key = current.key
            if current_key == self.body_key:
                break
            known = self._chains.get(current_key)
            if known is not None:
                tail = known
                break
            pending.append((current, current_key))
            current = current.parent
        nodes, keys, tags = tail
        for element, element_key in reversed(pending):
            nodes, keys, tags = (element, *nodes), (element_key, *keys), (element.tag, *tags)
            self._chains[element_key] = (nodes, keys, tags)
        return self._chains[key]

    def shape(self, node: Node, key: int) -> str:
        """Tag and class names without numbered ones (``views-row-3``, ``post-627``)."""
        found = self._shapes.get(key)
        if found is None:
            classes = sorted(c for c in (node.attr("class") or "").split() if not _DIGITS_RE.search(c))
            found = self._shapes[key] = " ".join([node.tag, *classes])
        return found

    def branches(self, node: Node, key: int) -> bool:
        """True if ``node`` has more than one element child."""
        found = self._branches.get(key)
        if found is None:
            found = self._branches[key] = len(node.children()) > 1
        return found

    def level(self, element: Node, key: int) -> int:
        """The chrome level of ``element`` alone (:func:`_chrome_level`)."""
        flag = self._chrome.get(key)
        if flag is None:
            flag = self._chrome[key] = _chrome_level(element)
        return flag

    def in_chrome(self, node: Node) -> int:
        """How much ``node`` or an ancestor is chrome: the highest level of :func:`_chrome_level`
        along its chain (0, false, when none is)."""
        nodes, keys, _ = self.chain(node)
        level = _NOT_CHROME
        for element, key in zip(nodes, keys, strict=True):
            flag = self.level(element, key)
            if flag == _CHROME:
                return _CHROME
            level = max(level, flag)
        return level


def _units(body: Node) -> list[_Unit]:
    """Headline candidates in document order, each teaser's headline once."""
    units: dict[int, _Unit] = {}
    seen: set[int] = set()
    for order, node in enumerate(body.css(_UNIT_QUERY)):
        if node.key in seen:  # lexbor lists an element once per selector of the list it matches
            continue
        seen.add(node.key)
        tag = node.tag
        is_link = tag == "a"
        titled = tag in HEADING_TAGS or bool(_TITLE_CLASS_RE.search(node.attr("class") or ""))
        if not is_link and not titled:
            continue
        # A link or heading within a few levels of a unit already found belongs to it.
        owner: _Unit | None = None
        parent = node.parent
        for _ in range(3):
            if parent is None:
                break
            owner = units.get(parent.key)
            if owner is not None:
                break
            parent = parent.parent
        if owner is not None:
            if is_link and owner.link is None and node.attr("href"):
                owner.link = node
                owner.rank = _RANK_LINKED_HEADING
            elif not is_link and owner.link is not None and owner.node.tag == "a":
                # a.card > h3: the heading is the headline, the card's link its URL.
                del units[owner.node.key]
                text = node.text()
                if text and not is_boilerplate(text):
                    units[node.key] = _Unit(node, text, _RANK_LINKED_HEADING, owner.link, owner.order)
            continue
        text = node.text()
        if not text or len(text) > MAX_TITLE_CHARS or is_boilerplate(text):
            continue
        if is_link:
            if not titled and " " not in text and (text.isascii() or count_words(text) < 2):
                continue  # a one-word link is a menu item, tag or pager number, not a headline
            rank = _RANK_LINKED_HEADING if titled else _RANK_LINK
            units[node.key] = _Unit(node, text, rank, node, order)
        else:
            units[node.key] = _Unit(node, text, _RANK_HEADING, None, order)
    return sorted(units.values(), key=lambda u: u.order)


def _regions(units: list[_Unit], tree: _Tree) -> list[_Region]:
    regions: dict[tuple[int, ...], _Region] = {}
    region_of: dict[int, _Region] = {}  # container key → its region
    for unit in units:
        nodes, keys, tags = tree.chain(unit.node)
        for depth in range(1, min(len(nodes), MAX_CHAIN_DEPTH + 1)):
            if depth > MAX_BLOCK_DEPTH and tree.branches(nodes[depth - 1], keys[depth - 1]):
                break  # past the depth limit, only through blocks that wrap one element
            region = region_of.get(keys[depth])
            if region is None:
                shape = tree.shape(nodes[depth], keys[depth]) if depth + 1 < len(nodes) else ""
                if shape and (tags[depth] in _GROUP_TAGS or " " in shape):
                    # Sibling lists, table bodies or classed rows of one shape are one listing
                    # split into groups (month headers, grid rows).
                    region_key: tuple[int, ...] = (keys[depth + 1], hash(shape))
                else:
                    region_key = (keys[depth],)
                region = regions.get(region_key)
                if region is None:
                    region = regions[region_key] = _Region(nodes[depth])
                region_of[keys[depth]] = region
            block_key = keys[depth - 1]
            entry = region.blocks.get(block_key)
            if entry is None:
                entry = region.blocks[block_key] = _Block(nodes[depth - 1])
            entry.units.append(unit)
            region.depth.setdefault(unit.order, depth)
    return [r for r in regions.values() if len(r.blocks) >= MIN_ITEMS]


@dataclass(slots=True)
class _Candidate:
    region: _Region
    blocks: list[_Block]
    titles: list[_Unit]
    score: float
    crowded: list[bool] = field(default_factory=list)
    """Per block: it holds more than one headline of the title's rank."""


def _headline(units: list[_Unit]) -> _Unit:
    """The block's headline among units of one rank: the one with most words (a category link
    such as "Press Releases" may come first), the first of equals."""
    return max(units, key=lambda u: count_words(u.text))


def _candidate(region: _Region, tree: _Tree) -> _Candidate | None:
    """The region's largest group of same-shaped blocks, scored by count and title quality."""
    groups: dict[tuple[object, ...], list[tuple[_Block, _Unit, bool]]] = {}
    for block in region.blocks.values():
        best = min(u.rank for u in block.units)
        tops = [u for u in block.units if u.rank == best]
        title = _headline(tops)
        # Same shape: the tag path from the block down to its first unit of the headline's rank
        # (the block's own, also where later teasers were mis-nested into it), and that rank.
        key = (tree.chain(tops[0].node)[2][: region.depth[tops[0].order]], best)
        lone = sum(1 for u in tops if count_words(u.text) >= CROWD_WORDS) <= 1
        groups.setdefault(key, []).append((block, title, lone))
    group = max(groups.values(), key=len)  # ties: the first in document order
    if len(group) < MIN_ITEMS:
        return None
    if len({_parent_key(b.node) for b, _, _ in group}) == len(group):
        # Sibling groups of one block each: the groups are the teasers (Docusaurus's articles,
        # whose <header> holds the title and date and whose summary follows it), a region of
        # their own one level up.
        return None
    titles = [t for _, t, _ in group]
    mean_chars = sum(len(t.text) for t in titles) / len(titles)
    if mean_chars < MIN_MEAN_TITLE_CHARS:
        return None
    mean_words = sum(count_words(t.text) for t in titles) / len(titles)
    quality = min(1.0, mean_words / HEADLINE_WORDS)
    single = sum(1 for _, _, one in group if one) / len(group)
    return _Candidate(
        region, [b for b, _, _ in group], titles, len(group) * quality * single, [not o for _, _, o in group]
    )


def _parent_key(node: Node) -> int | None:
    parent = node.parent
    return parent.key if parent is not None else None


def _extra_share(candidate: _Candidate) -> float:
    """Share of the blocks whose text is clearly longer than their headline."""
    more = sum(
        1
        for block, title in zip(candidate.blocks, candidate.titles, strict=True)
        if len(block.node.text()) - len(title.text) >= EXTRA_TEXT_CHARS
    )
    return more / len(candidate.blocks)


def _best(units: list[_Unit], tree: _Tree) -> _Candidate | None:
    candidates = []
    weak = []
    for region in _regions(units, tree):
        found = _candidate(region, tree)
        if found is None:
            continue
        level = tree.in_chrome(region.container)
        if level == _NOT_CHROME:
            candidates.append(found)
        elif level == _WEAK_CHROME:
            weak.append(found)
    best = _top(candidates)
    if best is None and weak:
        # No listing outside chrome: one under only weak chrome words that holds most of the
        # page's headlines is the content (a page builder's posts widget).
        shown = sum(1 for u in units if tree.in_chrome(u.node) != _CHROME)
        best = _top([c for c in weak if sum(len(b.units) for b in c.blocks) > MIN_MAIN_SHARE * shown])
    return best


def _top(candidates: list[_Candidate]) -> _Candidate | None:
    """The best-scoring candidate, if it scores enough."""
    if not candidates:
        return None
    candidates.sort(key=lambda c: -c.score)  # stable: ties keep document order
    top = candidates[:SCORED_REGIONS]
    for c in top:
        c.score *= 1.0 + _extra_share(c)
    best = max(top, key=lambda c: c.score)
    return best if best.score >= MIN_SCORE else None


_DATE_QUERY = "time, [class*=date], [class*=time], [class*=posted], [class*=submitted], [class*=created]"


def _date_nodes(
    blocks: list[Node], titles: list[_Unit], stops: dict[int, str], tree: _Tree
) -> list[Node | None]:
    """Per block, the element showing its date: a ``<time>`` or a date-classed element whose text
    holds a date, outside the headline. One selector pass per list container, not per block."""
    index = {block.key: i for i, block in enumerate(blocks)}
    for i, block in enumerate(blocks):
        if block.tag == "dt":
            index.update((dd.key, i) for dd in _definitions(block))
    found: list[Node | None] = [None] * len(blocks)
    ranks: list[int | None] = [None] * len(blocks)
    containers: dict[int, Node] = {}
    for block in blocks:
        parent = block.parent
        if parent is not None:
            containers.setdefault(parent.key, parent)
    for container in containers.values():
        for node in container.css(_DATE_QUERY):
            tag = node.tag
            if tag != "time" and not _DATE_CLASS_RE.search(node.attr("class") or ""):
                continue
            _, keys, _ = tree.chain(node)
            at = next((i for i, key in enumerate(keys) if key in index), None)
            if at is None:
                continue
            owner = index[keys[at]]
            rank: int | None = None
            shown = found[owner]
            if shown is not None:  # a later one wins only if it is more surely the published date
                rank = _date_rank(node)
                held = ranks[owner]
                if rank >= (_date_rank(shown) if held is None else held):
                    continue
            inner = keys[:at]
            if (titles[owner].node.key in inner and not _beside_link(titles[owner], inner)) or (
                stops and any(k in stops for k in inner)
            ):
                continue
            text = node.text()
            if (tag == "time" and node.attr("datetime")) or (
                text and (find_date(text) or find_relative(text))
            ):
                found[owner] = node
                ranks[owner] = rank
    return found


def _beside_link(title: _Unit, inner: tuple[int, ...]) -> bool:
    """True if a date element inside the headline ``title`` (``inner``: its ancestors) is beside
    the headline's link, not in it: ``<h4><a>…</a><span class=date>2023-06-23</span></h4>`` on
    Chinese government lists (QA's chinese-gov-news-list). The title is then the link's text."""
    link = title.link
    return link is not None and link.key != title.node.key and link.key not in inner


_PUBLISHED_WORDS = frozenset({"published", "entry-date", "created", "pubdate"})
_MODIFIED_WORDS = frozenset({"updated", "modified", "changed"})


def _date_rank(node: Node) -> int:
    """How well a date element shows when the item was published: 0 marked so (WordPress's
    ``time.entry-date.published``, ``itemprop=datePublished``), 2 marked as the last change
    (``time.updated``, ``itemprop=dateModified``, which GeneratePress writes first), else 1."""
    prop = node.attr("itemprop") or ""
    classes = set((node.attr("class") or "").lower().split())
    if prop == "datePublished" or not _PUBLISHED_WORDS.isdisjoint(classes):
        return 0
    if prop == "dateModified" or not _MODIFIED_WORDS.isdisjoint(classes):
        return 2
    return 1


def _heading_date(block: Node, container: Node) -> str | None:
    """A date heading just before the list ("Friday, March 29, 2013" above gop.gov's day list)."""
    stop = container.parent
    node: Node | None = block
    while node is not None and (stop is None or node.key != stop.key):
        parent = node.parent
        if parent is None:
            break
        siblings = parent.children()
        index = next(i for i, s in enumerate(siblings) if s.key == node.key)
        for sibling in reversed(siblings[:index]):
            if sibling.tag in HEADING_TAGS:
                text = sibling.text()
                return text if find_date(text) or find_month(text) or find_relative(text) else None
        node = parent
    return None


def _unnest(best: _Candidate, tree: _Tree) -> tuple[list[Node], list[_Unit], dict[int, str]]:
    """The listing's blocks, with blocks nested inside one another taken apart.

    A teaser block never holds another one of its own shape; when it seems to, an unclosed element
    made a lenient parser (lxml) nest every later teaser inside it (tests/corpus/uswds-*-page2,
    whose HTML5 tree keeps them siblings). The inner blocks become teasers of their own, in
    document order, and stop markers for the text of the blocks around them.
    """
    blocks: list[Node] = []
    titles: list[_Unit] = []
    stops: dict[int, str] = {}
    for block, title, crowded in zip(best.blocks, best.titles, best.crowded, strict=True):
        blocks.append(block.node)
        titles.append(title)
        if not crowded:
            continue
        shape = tree.shape(block.node, block.node.key)
        inner = [n for n in block.node.css(block.node.tag) if tree.shape(n, n.key) == shape]
        if not inner:
            continue
        owners = [block.node, *inner]
        keys = [n.key for n in owners]
        owned: dict[int, list[_Unit]] = {}
        for unit in block.units:
            if unit.rank != title.rank:
                continue
            chain = set(tree.chain(unit.node)[1])
            owner = next((k for k in reversed(keys) if k in chain), None)
            if owner is not None:
                owned.setdefault(owner, []).append(unit)
        if block.node.key in owned:
            titles[-1] = _headline(owned[block.node.key])
        for node in inner:
            stops[node.key] = "stop"
            if node.key in owned:
                blocks.append(node)
                titles.append(_headline(owned[node.key]))
    return blocks, titles, stops


def _definitions(term: Node) -> list[Node]:
    """The ``<dd>`` elements after a ``<dt>``, up to the next term: a definition list's teaser is
    its title in the ``<dt>``, its date and summary in the ``<dd>`` (QA's definition-list-news)."""
    parent = term.parent
    if parent is None:
        return []
    siblings = parent.children()
    at = next(i for i, s in enumerate(siblings) if s.key == term.key)
    out = []
    for sibling in siblings[at + 1 :]:
        if sibling.tag != "dd":
            break
        out.append(sibling)
    return out


def _draft(block: Node, title: _Unit, date: Node | None, container: Node, stops: dict[int, str]) -> Draft:
    header = _title_header(title.node, block) if date is not None else title.node
    if header is not title.node and date is not None and not _inside(date, header, block):
        header = title.node
    skip = {**stops, header.key: "title"}
    date_text: str | None = None
    date_machine: str | None = None
    if date is not None:
        if title.link is not None and title.link.key != title.node.key and _inside(date, title.node, block):
            title = _Unit(title.link, title.link.text(), title.rank, title.link, title.order)
        skip[_date_row(date, title.node, block).key] = "date"
        date_text = date.text() or None
        date_machine = date.attr("datetime") or date.attr("content")
    segments = read_segments(block, skip)
    if block.tag == "tr":
        # A table row's short cells are columns of type, size or count ("Agenda", "1.2 MB",
        # "Hits: 300"), never its summary: only a cell of sentence length is one.
        segments = [
            Segment(s.text, "meta", s.linky)
            if s.kind == "content" and count_words(s.text) < MIN_SENTENCE_WORDS
            else s
            for s in segments
        ]
    if block.tag == "dt":
        for dd in _definitions(block):
            segments += read_segments(dd, skip)
    if date is None:
        meta = [s.text for s in segments if s.kind == "meta"]
        shown = next((f[1] for text in meta if (f := find_date(text))), None)
        shown = shown or next((r for text in meta if (r := find_relative(text))), None)
        if shown is not None:
            date_text = shown
        else:
            # Archive lists grouped by month show only "February 2008": kept as the shown date.
            date_text = _heading_date(block, container) or next(
                (m for s in segments if s.kind in ("heading", "meta") and (m := find_month(s.text))), None
            )
    return Draft(
        title=title.text,
        href=_block_href(block) if title.link is None else title.link.attr("href"),
        excerpt=excerpt_text(segments, after="title"),
        date_text=date_text,
        date_machine=date_machine,
    )


def _title_header(title: Node, block: Node) -> Node:
    """The ``<header>`` of the teaser that holds its headline, else the headline. When it also
    holds the date, what else it holds (the author, the author's role: Docusaurus's "Maintainer")
    is metadata, and the summary comes after it."""
    current = title.parent
    while current is not None and current.key != block.key:
        if current.tag == "header":
            return current
        current = current.parent
    return title


DATE_ROW_WORDS = 6
"""Most words beside the date in the row that shows it, for the row to be metadata: an author
("Dana Whitfield" beside HubSpot's ``<time>``), "• HELEN MARSH" on Substack's archive, "By Jane
Doe in News". More is a summary written on the date's line."""


def _date_row(date: Node, title: Node, block: Node) -> Node:
    """The row that shows ``date``: its highest ancestor below ``block`` that holds neither the
    headline nor a sentence, and at most :data:`DATE_ROW_WORDS` words beside the date. The rest of
    that row is metadata (a byline, a reading time), not summary."""
    row = date
    date_words = count_words(date.text())
    parent = date.parent
    while parent is not None and parent.key != block.key and parent.tag not in ("p", "dd", "td", "li"):
        text = normalize_space(parent.text())
        if (
            count_words(text) - date_words > DATE_ROW_WORDS
            or _SENTENCE_END_RE.search(text)
            or _inside(title, parent, block)
        ):
            break
        row, parent = parent, parent.parent
    return row


_SENTENCE_END_RE = re.compile(r"[.!?…]\s")
"""A sentence ending inside a text, before another word: the row holds prose."""


def _inside(node: Node, ancestor: Node, block: Node) -> bool:
    """True if ``node`` is ``ancestor`` or below it; both are in ``block``, where the climb stops."""
    key, stop = ancestor.key, block.key
    current: Node | None = node
    while current is not None:
        if current.key == key:
            return True
        if current.key == stop:
            return False
        current = current.parent
    return False


_NO_TARGET = ("#", "javascript:", "mailto:", "tel:")


def _block_href(block: Node) -> str | None:
    """The link of a teaser whose headline has none: the block's only link target, whatever its
    text (PaperMod's empty ``a.entry-link`` laid over the card, a lone "Read more" button, an image
    link). A block linking to two places says nothing about which is the item."""
    found: str | None = None
    for node in block.css("a[href]"):
        href = (node.attr("href") or "").strip()
        if not href or href.lower().startswith(_NO_TARGET):
            continue
        if found is not None and href != found:
            return None
        found = href
    return found


def _drop_labels(drafts: list[Draft]) -> list[Draft]:
    """Drafts without their excerpt when every teaser shows the same one: a label ("Press Release"
    in a table's type column, a content-type tag under each card), not a summary."""
    excerpts = {d.excerpt for d in drafts}
    if len(drafts) < MIN_ITEMS or len(excerpts) != 1 or None in excerpts:
        return drafts
    return [replace(d, excerpt=None) for d in drafts]


def _drop_unseen(body: Node) -> list[Node]:
    """Remove text that is not both shown and read out (:data:`_UNSEEN_QUERY`), unless it is the
    only text of its parent: then it labels what would have none ("<a><span class=sr-only>Next
    page</span><svg/></a>"; of a date shown ``aria-hidden`` beside one written for screen readers,
    the shown one stays). Children and later siblings go first, so of such a pair the first stays.

    Returns the elements kept: hidden ones among them are chrome (see :class:`_Tree`), and the
    others are too, by class (:data:`HIDDEN_CLASSES`).
    """
    kept = []
    for node in reversed(body.css(_UNSEEN_QUERY)):
        parent = node.parent
        if (
            parent is not None
            and "not-sr-only" not in (node.attr("class") or "")  # Tailwind: shown on wide screens
            and _has_text(node)
            and _has_text(parent, but=node.key)
            and not (node.tag in BLOCK_TAGS and _is_separator(node))
        ):
            node.remove()
        else:
            kept.append(node)
    return kept


def _is_separator(node: Node) -> bool:
    """True for an element whose text has no letter or digit: a "·" between a date and a reading
    time, kept when ``aria-hidden`` if it is block-level, as removing it would join the words on
    either side ("Jun 23" and "6 min read" on QA's medium-like-publication page)."""
    return not any(c.isalnum() for c in node.text())


def _has_text(node: Node, *, but: int | None = None) -> bool:
    """True if ``node`` holds text other than whitespace, outside its descendant ``but``. Stops at
    the first: an unseen element's parent may be a whole page (``text()`` reads it all)."""
    inside = 0  # depth inside ``but``
    for event, text, element in node.walk():
        if inside:
            inside += 1 if event == "open" else -1 if event == "close" else 0
        elif element is None:
            if text and not text.isspace():
                return True
        elif event == "open" and element.key == but:
            inside = 1
    return False


def detect_teasers(root: Node) -> list[Draft]:
    """The teasers of the page's main listing, or ``[]`` when no repeated headline blocks are found.

    >>> from parsers.backends import get_backend
    >>> page = get_backend("lexbor")(
    ...     "<nav><ul><li><a href='/'>Home</a></li><li><a href='/a'>About us</a></li></ul></nav>"
    ...     "<main><article><h2><a href='/1'>First story here</a></h2><p>Its summary.</p></article>"
    ...     "<article><h2><a href='/2'>Second story here</a></h2><p>Another one.</p></article></main>"
    ... )
    >>> [(d.title, d.href, d.excerpt) for d in detect_teasers(page)]
    [('First story here', '/1', 'Its summary.'), ('Second story here', '/2', 'Another one.')]
    """
    body = root.css_first("body") or root
    tree = _Tree(body, hidden=_drop_unseen(body))
    best = _best(_units(body), tree)
    if best is None:
        return []
    blocks, titles, stops = _unnest(best, tree)
    dates = _date_nodes(blocks, titles, stops, tree)
    return _drop_labels(
        [
            _draft(block, title, date, best.region.container, stops)
            for block, title, date in zip(blocks, titles, dates, strict=True)
        ]
    )


_TITLE_SPLIT_RE = re.compile(r"\s+(?:\||-|–|—|::|»|·|/)\s+|\s*｜\s*|(?<=[^\x00-\x7f])_|_(?=[^\x00-\x7f])")
"""Separators of a ``<title>``'s parts: spaced ASCII ones, the fullwidth bar of Japanese sites
("ニュースリリース｜さくら電機"), and the underscore Chinese sites write unspaced ("要闻_中国政府网")."""


def _title_parts(root: Node) -> list[str]:
    node = root.css_first("title")
    text = node.text() if node is not None else ""
    return [p for p in (normalize_space(p) for p in _TITLE_SPLIT_RE.split(text)) if p]


def find_topic(root: Node) -> str | None:
    """The listing's heading on a page no profile knows.

    An ``<h1>`` outside site chrome that the ``<title>`` repeats wins ("News" in "FreeCAD | News");
    then one that ends with a title part ("Category Archives: News"); then the first ``<h1>`` that
    is not the site name; then the first part of a multi-part ``<title>`` ("Standard Page | USA.gov"),
    without WordPress's " Archives" ("Races Archives - Trail Runner Notes"). ``<h1>`` elements that
    repeat, one per teaser (Hugo Ananke's and Squarespace's post titles), are headlines, not the
    page's heading.
    """
    body = root.css_first("body") or root
    tree = _Tree(body)
    parts = [_ARCHIVE_SUFFIX_RE.sub("", p) or p for p in _title_parts(root)]
    lowered = [p.lower() for p in parts]
    site = " - ".join(parts[1:]).lower()
    names = _site_names(root)
    # A title part that is not the site's name: what an <h1> in a page header may repeat (a
    # tag page's "#letters" in Tumblr's div.tag-header, "Typewriter Letters — #letters"), unless
    # the heading links somewhere (a banner's linked heading is the site's name linking home) or
    # sits in the page's <header> or <nav> itself, not in an element only classed so.
    topical = {p for p in lowered if p not in names} if len(parts) >= 2 else set()
    found = []
    for node in body.css("h1"):
        text = node.text()
        if not text or is_boilerplate(text) or text.lower() in names:
            continue
        if _topic_chrome(node, tree) and (
            text.lower() not in topical
            or node.css_first("a[href]") is not None
            or not EXCLUDED_TAGS.isdisjoint(tree.chain(node)[2])
        ):
            if node.css_first("a[href]") is not None:
                names.add(text.lower())  # the banner's heading linking home: the site's name
        else:
            parent = node.parent
            shape = (tree.shape(node, node.key), tree.shape(parent, parent.key) if parent is not None else "")
            found.append((text, shape))
    shapes = Counter(shape for _, shape in found)
    headings = [text for text, shape in found if shapes[shape] < MIN_ITEMS]
    for text in headings:
        if text.lower() in lowered:
            return text
    for text in headings:
        for part in parts:
            if text.lower().endswith(": " + part.lower()):
                return part
    for text in headings:
        if text.lower() != site and text.lower() not in lowered[1:]:
            return text
    # A <title> part that the site's name or banner heading repeats is no topic (a blog's home
    # page titled with the blog's name).
    return next((p for p in parts if p.lower() not in names), None)


_SITE_NAME_QUERY = (
    "meta[property='og:site_name'], meta[name=application-name], [class*=site-title], [id*=site-title], "
    "[class*=site-name], [id*=site-name], [class*=blog-title], [class*=brand], a[rel~=home]"
)
_MAX_SITE_NAME_WORDS = 8


def _site_names(root: Node) -> set[str]:
    """The site's name as the page writes it, lowercased: ``og:site_name``, ``application-name``,
    the text of the site title or brand (``.site-title``, ``#site-title``, ``.blog-title``,
    ``.navbar-brand``) and of WordPress's ``rel=home`` link.
    A title part or heading that repeats it names the site, not the listing (QA's
    jekyll-chirpy-home, tumblr-tag-page)."""
    names = set()
    for node in root.css(_SITE_NAME_QUERY):
        text = node.attr("content") if node.tag == "meta" else node.text()
        text = normalize_space(text or "")
        if text and count_words(text) <= _MAX_SITE_NAME_WORDS:
            names.add(text.lower())
    return names


_ARCHIVE_SUFFIX_RE = re.compile(r"\s+archives?$", re.IGNORECASE)
_SECTIONING_TAGS = frozenset({"main", "article", "section"})


def _topic_chrome(node: Node, tree: _Tree) -> bool:
    """True if ``node`` is in site chrome, for a heading: weak chrome words do not count (Elementor's
    heading widget holds the ``<h1>``), nor a header inside the main content or an article (a
    section's header, not the site's banner: GeneratePress's ``header.page-header`` in ``<main>``)."""
    nodes, keys, tags = tree.chain(node)
    for i, (element, key) in enumerate(zip(nodes, keys, strict=True)):
        if tree.level(element, key) != _CHROME:
            continue
        if (tags[i] == "header" or "header" in _class_words(element)) and (
            _SECTIONING_TAGS.intersection(tags[i + 1 :])
            or any(n.attr("role") == "main" for n in nodes[i + 1 :])
        ):
            continue
        return True
    return False


_NEXT_TEXT_RE = re.compile(
    r"(?:go to (?:the )?)?(?:next|older)(?: (?:page|posts|entries|articles|stories|news|items|results))?"
    r"|[›»>→]|(?:page )?suivante?|suivant|nächste(?: seite)?|weiter|(?:página )?siguiente(?: página)?"
    r"|(?:pagina )?successiva|volgende(?: pagina)?|(?:página )?(?:próxima|seguinte)(?: página)?"
    r"|التالي|الصفحة التالية|הבא|לעמוד הבא|下一页|下一頁|下页|次へ|次のページ|다음(?: 페이지)?"
    r"|следующая(?: страница)?|далее|następna(?: strona)?|sonraki(?: sayfa)?",
    re.IGNORECASE,
)
"""Pager link texts meaning "the next page of this listing" once arrows are stripped. "Older" is
next on blogs (newest first): WordPress "Older posts", Divi "« Older Entries"; an icon link's
``aria-label`` may say "Go to next page" (Joomla 4) or "next-page" (Jekyll Chirpy). The same
words in the languages of listings QA met (French "Page suivante ›", German "Nächste Seite" and
"Weiter", Arabic "التالي", Chinese "下一页", Japanese "次へ") and their neighbours (Spanish, Italian,
Dutch, Portuguese, Hebrew, Korean, Russian, Polish, Turkish)."""
_ARROWS = " \t›»>→«‹<←"
_MAX_PAGER_TEXT = 30  # "Next Page »", "« Older Entries": a longer link text is not a pager link
_MAX_ICON_TEXT = 3
_QUERY_PAGE_RE = re.compile(r"([?&](?:page|paged|pg)=)(\d+)", re.IGNORECASE)
_PATH_PAGE_RE = re.compile(r"/page/(\d+)(?:/|/index\.html?)?$", re.IGNORECASE)
_NEXT_CLASS_QUERY = "a[class~=next][href], [class~=next] > a[href]"
"""Pager links marked by class: WordPress's ``a.next.page-numbers``, Bootstrap's and TYPO3's
``li.next > a`` (QA's german-city-press-releases: "Nächste Seite")."""
_NEXT_DATA_QUERY = "[data-next-page]"
"""A "Load more" button's next page, written for its script: Elementor's ``.e-load-more-anchor``
(QA's wordpress-elementor-posts-loadmore). Only a value that is a URL counts, not a page number."""


def _expected_next(url: str) -> tuple[set[str], set[str], str, str]:
    """The URLs the next page of ``url`` would have.

    Drupal counts ``?page=N`` from 0 (the first page has none, the second is ``?page=1``);
    WordPress, Hugo and Jekyll count ``/page/N/`` from 1 (the first page has none, the second is
    ``/page/2/``); static mirrors add ``index.html``. ``/page/N/`` URLs are given without a query:
    a link to one counts whatever query it carries (Divi's ``/news/page/2/?et_blog``).

    Also returns the URLs of a second page that counts from 1 (``?page=2``: "More news" on many
    first pages), taken only when none of the first set is linked; a string every link to such
    a URL holds, to skip unrelated links before reading them; and a longer one it holds once its
    whitespace is removed (as :func:`absolute_url` does), to skip them before resolving them.

    >>> urls, later, digits, marker = _expected_next("https://a.org/news/page/2/")
    >>> sorted(urls), later, digits, marker  # doctest: +NORMALIZE_WHITESPACE
    (['https://a.org/news/page/3', 'https://a.org/news/page/3/',
      'https://a.org/news/page/3/index.html'], set(), '3', '3')
    >>> _expected_next("https://a.org/news?page=1")
    ({'https://a.org/news?page=2'}, set(), '2', 'page=2')
    """
    url = url.split("#")[0]
    path, _, query = url.partition("?")
    match = _QUERY_PAGE_RE.search("?" + query) if query else None
    if match is not None:
        number = str(int(match.group(2)) + 1)
        expected = path + _QUERY_PAGE_RE.sub(lambda m: m.group(1) + number, "?" + query, count=1)
        # A link resolves to that query only by writing it: relative links keep their own query.
        return {expected}, set(), number, match.group(1)[1:] + number
    path_match = _PATH_PAGE_RE.search(path)
    if path_match is not None:
        stem, page = path[: path_match.start()], int(path_match.group(1)) + 1
    else:
        stem, page = path.rstrip("/"), 2
    pages = {f"{stem}/page/{page}{end}" for end in ("", "/", "/index.html")}
    if path_match is None:
        joiner = "&" if query else "?"
        pages.add(url + joiner + "page=1")
        return pages, {url + joiner + "page=2"}, "page", "page"
    return pages, set(), str(page), str(page)


def find_next_page(root: Node, url: str, *, base: str | None = None, by_text: bool = True) -> str | None:
    """The next page of the listing on a page no profile knows, as an absolute URL.

    In order: ``rel=next``; a link to this URL's next page number (``?page=N+1``, ``/page/N+1/``),
    which settles inverted wordings (Divi's "« Older Entries" is next, "Next Entries »" is not);
    from a first page, a link to ``?page=2`` ("More news", "Load more stories"); a "Load more"
    button's ``data-next-page``; a link whose text, ``aria-label`` or ``title`` says next or older
    ("Next Page »", "Older posts", "Page suivante ›"); a link classed ``next``. Links resolve
    against ``base`` (the page's ``<base href>``, default ``url``). ``by_text=False`` skips the last
    three rules (each a pass over the page, the costliest reading every link's text; a profile's
    own pager settles them).
    """
    base = base or url
    for node in root.css("link[rel~=next], a[rel~=next]"):
        found = absolute_url(node.attr("href"), base)
        if found and found != url:
            return found
    expected, later, digits, marker = _expected_next(url)
    fallback: str | None = None
    # The CSS engine skips the links without the page number (most of them) before Python
    # reads any href: a Python loop over every link of a page costs a third of its parse. Where
    # every link holds the digits (an archive's /web/<timestamp>/ links), the marker spares
    # resolving each.
    for node in root.css(f'a[href*="{digits}"]'):
        href = node.attr("href") or ""
        if marker in "".join(href.split()):
            found = absolute_url(href, base)
            if found is None:
                continue
            if found in expected or found.partition("?")[0] in expected:
                return found
            if fallback is None and found in later:
                fallback = found
    if fallback is not None or not by_text:
        return fallback
    loader = root.css_first(_NEXT_DATA_QUERY)
    value = (loader.attr("data-next-page") or "").strip() if loader is not None else ""
    if "/" in value or value.startswith("?"):
        found = absolute_url(value, base)
        if found is not None and found != url:
            return found
    for node in root.css("a[href]"):
        if _says_next(node):
            found = absolute_url(node.attr("href"), base)
            if found is not None and found != url:
                return found
    for node in root.css(_NEXT_CLASS_QUERY):
        found = absolute_url(node.attr("href"), base)
        if found is not None and found.split("#")[0] != url.split("#")[0]:
            return found
    for node in root.css(_NEXT_PART_QUERY):
        if not any(_pager_next(token) for token in (node.attr("class") or "").split()):
            continue
        link = node if node.tag == "a" and node.attr("href") else node.css_first("a[href]")
        found = absolute_url(link.attr("href"), base) if link is not None else None
        if found is not None and found.split("#")[0] != url.split("#")[0]:
            return found
    return None


_NEXT_PART_QUERY = "[class*=next]"
_PAGER_WORDS = frozenset({"page", "pages", "paging", "pager", "pagination", "pagenav"})


def _pager_next(token: str) -> bool:
    """True for a class name that says "next" as one of its parts beside a pager word: the pager's
    next button (``paging-next``, ``c-pager__next``, AMP's ``amp-pagination-next``), not a single
    post's link to the next post (``next-post``, ``nav-next``) or an event list's ``next-event``."""
    parts = {w.lower() for w in _WORD_SPLIT_RE.split(token) if w}
    return "next" in parts and not _PAGER_WORDS.isdisjoint(parts)


def _says_next(node: Node) -> bool:
    """The link's text (or, for an icon or a page number, its ``aria-label``/``title``) says next."""
    text = node.text()
    if len(text) > _MAX_PAGER_TEXT:
        return False
    labels = [text]
    if len(text) <= _MAX_ICON_TEXT:  # "›", "3": the words are in the attributes, if anywhere
        labels += [
            normalize_space(v.replace("-", " ").replace("_", " "))
            for v in (node.attr("aria-label"), node.attr("title"))
            if v
        ]
    return any(_NEXT_TEXT_RE.fullmatch(label.strip(_ARROWS) or label.strip()) for label in labels if label)
