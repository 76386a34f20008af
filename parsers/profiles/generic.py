"""The generic teaser detector: pages no profile knows.

A listing is a run of sibling blocks that repeat one shape, each holding a headline. The detector
finds it without knowing the template:

0. **Unseen text** goes first: screen-reader-only labels (Drupal's "Read more about <title>" inside
   each headline link), ``hidden`` notes and ``aria-hidden`` icons are neither a title nor a summary,
   unless one is all the text its parent has (an icon link's name).
1. **Headline candidates** ("units"): headings (``h1``–``h6``), elements whose class names a title
   or headline, and links with text. A link inside (or around) a heading belongs to the heading,
   so a teaser counts once whether it is ``h2 > a``, ``a.card > h3`` or a bare ``a``.
2. **Regions**: for every ancestor of a unit (up to :data:`MAX_BLOCK_DEPTH` levels up), the child on
   the way down is a candidate *block* of that ancestor (the candidate *container*). Sibling lists
   and table bodies of one shape are merged (a table grouped by month, lists split by day headings).
3. **Scoring**: in each region, blocks are grouped by the path from block to headline (tag names);
   the largest group is the listing candidate. Its score grows with the number of blocks, how
   headline-like their titles are (navigation links are one or two words), and how many blocks
   carry more than a headline (a summary or a date). Regions inside navigation, headers, footers,
   asides, menus, pagers, hidden elements and "related"/"popular"/"recent" boxes never count.
4. **Fields**: per block, the headline's text and link; the date from ``<time>``, a date-classed
   element or the first date in the block's text (else a date heading just before the list); the
   summary from :mod:`parsers.profiles.segments`.

Everything depends only on the :class:`~parsers.backends.Node` interface and on document order, so
both backends give the same result. Thresholds are named below with the pages that set them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from parsers.backends import Node
from parsers.clean import absolute_url, is_boilerplate, normalize_space
from parsers.dates import find_date, find_month, find_relative
from parsers.profiles.base import Draft
from parsers.profiles.segments import HEADING_TAGS, excerpt_text, read_segments

__all__ = [
    "EXCLUDED_WORDS",
    "HEADLINE_WORDS",
    "HIDDEN_CLASSES",
    "MAX_BLOCK_DEPTH",
    "MAX_TITLE_CHARS",
    "MIN_ITEMS",
    "MIN_SCORE",
    "SCREEN_READER_CLASSES",
    "detect_teasers",
    "find_next_page",
    "find_topic",
]

MIN_ITEMS = 2
"""A listing has at least this many teasers. The smallest labelled listing (hugo-universal-upcacm-news)
has 3; 2 keeps a short last page of a pager readable, and a lone link never counts."""

MAX_BLOCK_DEPTH = 8
"""How far above a headline its teaser block's container may be. The deepest in tests/corpus is
drupal10-joachim (h2 < div < header < article < div.views-row < div.view-content: 5 levels)."""

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


def _is_chrome(node: Node) -> bool:
    """True for an element that holds site chrome or is hidden."""
    if node.tag in EXCLUDED_TAGS:
        return True
    role = node.attr("role")
    if role and role.lower() in EXCLUDED_ROLES:
        return True
    style = node.attr("style")
    if style and _HIDDEN_STYLE_RE.search(style):
        return True
    if not HIDDEN_CLASSES.isdisjoint((node.attr("class") or "").split()):
        return True
    return not EXCLUDED_WORDS.isdisjoint(_class_words(node))


class _Tree:
    """Ancestor chains (elements, keys, tag names) and chrome flags, computed once per element."""

    def __init__(self, body: Node, hidden: Sequence[Node] | None = None) -> None:
        """``hidden``: the page's hidden elements, if already found (:func:`_drop_unseen`)."""
        self.body_key = body.key
        self._chains: dict[int, tuple[tuple[Node, ...], tuple[int, ...], tuple[str, ...]]] = {}
        self._shapes: dict[int, str] = {}
        # Found by CSS, not attr(): a valueless ``hidden`` reads as None in one backend, "" in the other.
        found = body.css(_HIDDEN_QUERY) if hidden is None else hidden
        self._chrome: dict[int, bool] = {n.key: True for n in found}

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

    def in_chrome(self, node: Node) -> bool:
        """True if ``node`` or an ancestor is chrome."""
        nodes, keys, _ = self.chain(node)
        for element, key in zip(nodes, keys, strict=True):
            flag = self._chrome.get(key)
            if flag is None:
                flag = self._chrome[key] = _is_chrome(element)
            if flag:
                return True
        return False


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
            if not titled and " " not in text:
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
        for depth in range(1, min(len(nodes), MAX_BLOCK_DEPTH + 1)):
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
    return max(units, key=lambda u: len(u.text.split()))


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
        lone = sum(1 for u in tops if len(u.text.split()) >= CROWD_WORDS) <= 1
        groups.setdefault(key, []).append((block, title, lone))
    group = max(groups.values(), key=len)  # ties: the first in document order
    if len(group) < MIN_ITEMS:
        return None
    titles = [t for _, t, _ in group]
    mean_chars = sum(len(t.text) for t in titles) / len(titles)
    if mean_chars < MIN_MEAN_TITLE_CHARS:
        return None
    mean_words = sum(len(t.text.split()) for t in titles) / len(titles)
    quality = min(1.0, mean_words / HEADLINE_WORDS)
    single = sum(1 for _, _, one in group if one) / len(group)
    return _Candidate(
        region, [b for b, _, _ in group], titles, len(group) * quality * single, [not o for _, _, o in group]
    )


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
    for region in _regions(units, tree):
        found = _candidate(region, tree)
        if found is not None and not tree.in_chrome(region.container):
            candidates.append(found)
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
    found: list[Node | None] = [None] * len(blocks)
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
            if found[owner] is not None:
                continue
            inner = keys[:at]
            if titles[owner].node.key in inner or (stops and any(k in stops for k in inner)):
                continue
            text = node.text()
            if (tag == "time" and node.attr("datetime")) or (
                text and (find_date(text) or find_relative(text))
            ):
                found[owner] = node
    return found


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


def _draft(block: Node, title: _Unit, date: Node | None, container: Node, stops: dict[int, str]) -> Draft:
    skip = {**stops, title.node.key: "title"}
    date_text: str | None = None
    date_machine: str | None = None
    if date is not None:
        skip[date.key] = "date"
        date_text = date.text() or None
        date_machine = date.attr("datetime") or date.attr("content")
    segments = read_segments(block, skip)
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
        href=None if title.link is None else title.link.attr("href"),
        excerpt=excerpt_text(segments, after="title"),
        date_text=date_text,
        date_machine=date_machine,
    )


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
        ):
            node.remove()
        else:
            kept.append(node)
    return kept


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
    return [
        _draft(block, title, date, best.region.container, stops)
        for block, title, date in zip(blocks, titles, dates, strict=True)
    ]


_TITLE_SPLIT_RE = re.compile(r"\s+(?:\||-|–|—|::|»|·|/)\s+")


def _title_parts(root: Node) -> list[str]:
    node = root.css_first("title")
    text = node.text() if node is not None else ""
    return [p for p in (normalize_space(p) for p in _TITLE_SPLIT_RE.split(text)) if p]


def find_topic(root: Node) -> str | None:
    """The listing's heading on a page no profile knows.

    An ``<h1>`` outside site chrome that the ``<title>`` repeats wins ("News" in "FreeCAD | News");
    then one that ends with a title part ("Category Archives: News"); then the first ``<h1>`` that
    is not the site name; then the first part of a multi-part ``<title>`` ("Standard Page | USA.gov").
    """
    body = root.css_first("body") or root
    tree = _Tree(body)
    parts = _title_parts(root)
    lowered = [p.lower() for p in parts]
    site = " - ".join(parts[1:]).lower()
    headings = []
    for node in body.css("h1"):
        text = node.text()
        if text and not is_boilerplate(text) and not tree.in_chrome(node):
            headings.append(text)
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
    if len(parts) >= 2:
        return parts[0]
    return parts[0] if parts else None


_NEXT_TEXT_RE = re.compile(
    r"(?:next|older)(?: (?:page|posts|entries|articles|stories|news|items|results))?|[›»>→]",
    re.IGNORECASE,
)
"""Pager link texts meaning "the next page of this listing" once arrows are stripped. "Older" is
next on blogs (newest first): WordPress "Older posts", Divi "« Older Entries"."""
_ARROWS = " \t›»>→«‹<←"
_MAX_PAGER_TEXT = 30  # "Next Page »", "« Older Entries": a longer link text is not a pager link
_MAX_ICON_TEXT = 3
_QUERY_PAGE_RE = re.compile(r"([?&](?:page|paged|pg)=)(\d+)", re.IGNORECASE)
_PATH_PAGE_RE = re.compile(r"/page/(\d+)(?:/|/index\.html?)?$", re.IGNORECASE)


def _expected_next(url: str) -> tuple[set[str], str, str]:
    """The URLs the next page of ``url`` would have.

    Drupal counts ``?page=N`` from 0 (the first page has none, the second is ``?page=1``);
    WordPress, Hugo and Jekyll count ``/page/N/`` from 1 (the first page has none, the second is
    ``/page/2/``); static mirrors add ``index.html``.

    Also returns a string every link to such a URL holds, to skip unrelated links before reading
    them, and a longer one it holds once its whitespace is removed (as :func:`absolute_url` does),
    to skip them before resolving them.

    >>> urls, digits, marker = _expected_next("https://a.org/news/page/2/")
    >>> sorted(urls), digits, marker  # doctest: +NORMALIZE_WHITESPACE
    (['https://a.org/news/page/3', 'https://a.org/news/page/3/',
      'https://a.org/news/page/3/index.html'], '3', '3')
    >>> _expected_next("https://a.org/news?page=1")
    ({'https://a.org/news?page=2'}, '2', 'page=2')
    """
    url = url.split("#")[0]
    path, _, query = url.partition("?")
    match = _QUERY_PAGE_RE.search("?" + query) if query else None
    if match is not None:
        number = str(int(match.group(2)) + 1)
        expected = path + _QUERY_PAGE_RE.sub(lambda m: m.group(1) + number, "?" + query, count=1)
        # A link resolves to that query only by writing it: relative links keep their own query.
        return {expected}, number, match.group(1)[1:] + number
    path_match = _PATH_PAGE_RE.search(path)
    if path_match is not None:
        stem, page = path[: path_match.start()], int(path_match.group(1)) + 1
    else:
        stem, page = path.rstrip("/"), 2
    suffix = "?" + query if query else ""
    pages = {f"{stem}/page/{page}{end}{suffix}" for end in ("", "/", "/index.html")}
    if path_match is None:
        pages.add(url + ("&" if query else "?") + "page=1")
        return pages, "page", "page"
    return pages, str(page), str(page)


def find_next_page(root: Node, url: str, *, base: str | None = None, by_text: bool = True) -> str | None:
    """The next page of the listing on a page no profile knows, as an absolute URL.

    In order: ``rel=next``; a link to this URL's next page number (``?page=N+1``, ``/page/N+1/``),
    which settles inverted wordings (Divi's "« Older Entries" is next, "Next Entries »" is not);
    a link whose text, ``aria-label`` or ``title`` says next or older ("Next Page »", "Older posts").
    Links resolve against ``base`` (the page's ``<base href>``, default ``url``). ``by_text=False``
    skips the last, costliest rule (it reads every link's text).
    """
    base = base or url
    for node in root.css("link[rel~=next], a[rel~=next]"):
        found = absolute_url(node.attr("href"), base)
        if found and found != url:
            return found
    expected, digits, marker = _expected_next(url)
    # The CSS engine skips the links without the page number (most of them) before Python
    # reads any href: a Python loop over every link of a page costs a third of its parse. Where
    # every link holds the digits (an archive's /web/<timestamp>/ links), the marker spares
    # resolving each.
    for node in root.css(f'a[href*="{digits}"]'):
        href = node.attr("href") or ""
        if marker in "".join(href.split()):
            found = absolute_url(href, base)
            if found is not None and found in expected:
                return found
    for node in root.css("a[href]") if by_text else ():
        if _says_next(node):
            found = absolute_url(node.attr("href"), base)
            if found is not None and found != url:
                return found
    return None


def _says_next(node: Node) -> bool:
    """The link's text (or, for an icon or a page number, its ``aria-label``/``title``) says next."""
    text = node.text()
    if len(text) > _MAX_PAGER_TEXT:
        return False
    labels = [text]
    if len(text) <= _MAX_ICON_TEXT:  # "›", "3": the words are in the attributes, if anywhere
        labels += [normalize_space(v) for v in (node.attr("aria-label"), node.attr("title")) if v]
    return any(_NEXT_TEXT_RE.fullmatch(label.strip(_ARROWS) or label.strip()) for label in labels if label)
