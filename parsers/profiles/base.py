"""What a profile is, and how a profile's selectors become draft teasers.

A profile is data: CSS selectors (tried in order, first hit wins) for the parts of a listing,
plus where they were learnt. The engine here is shared by every profile, so a new template family
is a new data module, not new code.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from parsers.backends import Node
from parsers.dates import find_date, find_relative
from parsers.profiles.segments import Segment, excerpt_text, read_segments

__all__ = ["Draft", "Profile", "detects", "first", "run_profile", "why_no_drafts"]


@dataclass(frozen=True)
class Profile:
    """Selectors for one template family. Every selector field is a tuple tried in order."""

    name: str
    """Short name, written into each record's ``profile`` field."""
    source: str
    """Where the selectors were learnt: fixtures and the date they show."""
    detect: tuple[str, ...]
    """Auto-detection: the profile is tried on a page where any of these matches."""
    item: tuple[str, ...]
    """One teaser block each (queried inside the container)."""
    title: tuple[str, ...]
    """The headline inside an item (its link, or the heading holding it)."""
    container: tuple[str, ...] = ()
    """The main listing region; the first that holds items wins. Empty: the whole page."""
    link: tuple[str, ...] = ()
    """The item's link if not the title's own ``<a>``."""
    excerpt: tuple[str, ...] = ()
    date: tuple[str, ...] = ()
    topic: tuple[str, ...] = ("h1",)
    """The listing's heading (queried on the whole page)."""
    next_page: tuple[str, ...] = ()
    """The link to the next page of the listing (queried on the whole page)."""
    pager: tuple[str, ...] = ()
    """The family's pager element (queried on the whole page), where ``next_page`` found no link:
    a page that shows one is the last page; a page that shows none has a pager of its own, if any
    (Blogger's "Older Posts" on markup the wordpress profile reads), looked for by the generic
    next-link rules. Empty: a page without a ``next_page`` link is the last page."""
    strip: tuple[str, ...] = ()
    """Removed from each item before it is read (screen-reader-only labels, "Read more" links)."""
    date_attributes: tuple[str, ...] = field(default=("datetime", "content"))
    """Attributes of the date element that hold a machine-readable date."""
    excerpt_fallback: bool = False
    """Where no ``excerpt`` selector matches, take the prose after the headline in the item
    (themes that write the summary as bare text, like WordPress Divi)."""
    signature: tuple[str, ...] = ()
    """Auto-detection: markup only this family prints. A page showing any is tried with this
    profile before the profiles ahead of it in :data:`parsers.profiles.PROFILES`, so a site-wide
    marker of another family (a federal banner in USWDS markup over a Drupal 7 page) cannot claim
    its listing."""


@dataclass(frozen=True)
class Draft:
    """A teaser as found in the markup, before cleaning and validation.

    Its texts are whitespace-normalised (:func:`parsers.clean.normalize_space`): they come from
    ``Node.text()`` and :func:`parsers.profiles.segments.excerpt_text`.
    """

    title: str
    href: str | None = None
    excerpt: str | None = None
    date_text: str | None = None
    date_machine: str | None = None


def first(node: Node, selectors: tuple[str, ...]) -> Node | None:
    """The first element matching the first selector (in priority order) that matches anything.

    Every selector call costs a compile (~7 µs), so an absent field is settled by one combined
    probe instead of one miss per selector.
    """
    if not selectors:
        return None
    found = node.css_first(selectors[0])
    if found is not None or len(selectors) == 1:
        return found
    if node.css_first(", ".join(selectors[1:])) is None:
        return None
    for selector in selectors[1:]:
        found = node.css_first(selector)
        if found is not None:
            return found
    return None  # pragma: no cover - the probe above found one


def _items(root: Node, profile: Profile) -> tuple[Node, Sequence[Node]]:
    """The items of the first container (in priority order) that holds any, else of the page;
    with the element they were looked for in."""
    scopes = itertools.chain((root.css_first(c) for c in profile.container), (root,))
    for scope in scopes:
        if scope is None:
            continue
        for selector in profile.item:
            items = scope.css(selector)
            if items:
                return scope, items
    return root, []


class _Field:
    """Finds one field in item after item, remembering which selector of its chain worked.

    Selector calls cost a compile and a walk each (~7 µs), and the items of one listing share a
    template, so the selector that found the field in one item is tried first in the next: one
    call per item. A field the listing lacks (dates on a keyword page) is settled by one query
    over an element holding every item (``scope``) instead of a probe per item.
    """

    __slots__ = ("_absent", "_rest", "_scope", "_selectors", "_winner")

    def __init__(self, selectors: tuple[str, ...], scope: Node) -> None:
        self._selectors = selectors
        self._rest = ", ".join(selectors)
        self._scope: Node | None = scope
        self._absent = not selectors
        self._winner: str | None = None

    def find(self, item: Node) -> Node | None:
        if self._absent:
            return None
        selectors = self._selectors
        if self._winner is not None:
            found = item.css_first(self._winner)
            if found is not None:
                return found
        else:
            # No item has shown the field yet: the first selector is the likely one.
            found = item.css_first(selectors[0])
            if found is not None:
                self._winner = selectors[0]
                return found
            if self._scope is not None:
                scope, self._scope = self._scope, None
                if scope.css_first(self._rest) is None:
                    self._absent = True  # in no item at all
                    return None
            if len(selectors) == 1:
                return None
            selectors = selectors[1:]
        if len(self._selectors) > 1 and item.css_first(self._rest) is None:
            return None  # absent: one probe instead of a miss per selector
        for selector in selectors:
            found = item.css_first(selector)
            if found is not None:
                self._winner = selector
                return found
        return None

    def later(self, item: Node) -> Iterator[Node]:
        """The elements the selectors after the one :meth:`find` last used match in ``item``, in
        chain order: where the field was found empty (Astra prints an empty ``.entry-content``
        beside the excerpt), the next selector may hold it."""
        selectors = self._selectors
        start = selectors.index(self._winner) + 1 if self._winner in selectors else len(selectors)
        for selector in selectors[start:]:
            found = item.css_first(selector)
            if found is not None:
                yield found


def detects(root: Node, profile: Profile) -> bool:
    """True if the page looks like the profile's family (one selector pass over the page)."""
    return bool(profile.detect) and root.css_first(", ".join(profile.detect)) is not None


def _machine_date(node: Node | None, attributes: tuple[str, ...]) -> str | None:
    """The machine-readable date the date element keeps in an attribute: one of ``attributes``,
    else an ``<abbr>``'s ``title`` (the microformats "abbr pattern" of hAtom's ``published``:
    Blogger's ``<abbr class="published" title="2023-06-23T21:40:00+01:00">21:40</abbr>``)."""
    if node is None:
        return None
    found = next((v for a in attributes if (v := node.attr(a))), None)
    if found is None and node.tag == "abbr":
        return node.attr("title") or None
    return found


def _excerpt(
    node: Node, date: Node | None, title: Node | None = None, *, stops: dict[int, str] | None = None
) -> tuple[str | None, str | None]:
    """The summary inside the excerpt element: its prose, without a leading date or byline line,
    player or tag links, or a trailing "Read more" (see :mod:`parsers.profiles.segments`). With
    ``title`` (reading a whole item, or an element that holds the headline), only what follows the
    headline. ``stops``: nested items.

    Also, when ``date`` is None, the first date a metadata line of the text shows ("Released:
    06/23/2023" atop a USWDS card's body): the text scan the generic detector does, over segments
    read anyway.
    """
    skip = dict(stops) if stops else {}
    if date is not None:
        skip[date.key] = "date"
    if title is not None:
        skip[title.key] = "title"
    segments = read_segments(node, skip)
    text = (
        excerpt_text(segments, after="title")
        if title is not None
        # An element chosen as the excerpt is the summary even when it is only a heading or a link.
        else excerpt_text(segments, fallback=("heading", "links"))
    )
    return text, (None if date is not None else _meta_date(segments))


def _meta_date(segments: list[Segment]) -> str | None:
    """The date shown on the first metadata line that shows one (absolute, else relative)."""
    meta = [s.text for s in segments if s.kind == "meta"]
    if not meta:
        return None  # most items: no byline or date line
    shown = next((date[1] for text in meta if (date := find_date(text))), None)
    return shown or next((ago for text in meta if (ago := find_relative(text))), None)


def _holds(outer: Node, node: Node, item: Node) -> bool:
    """True if ``node`` sits inside ``outer`` (both inside ``item``)."""
    current: Node | None = node
    while current is not None and current.key != item.key:
        if current.key == outer.key:
            return True
        current = current.parent
    return False


def _empty_excerpt(
    item: Node,
    field: _Field | None,
    title: Node,
    date: Node | None,
    profile: Profile,
    nested: dict[int, str],
) -> tuple[str | None, str | None]:
    """The summary where the excerpt element ``field`` matched holds no text (``field`` None: none
    matched): the next selector's element that holds any (read after the headline if it holds that
    too: a wrapper around the whole teaser), else, with ``excerpt_fallback``, the prose after the
    headline."""
    shown: str | None = None
    for node in field.later(item) if field is not None else ():
        if _own(node, item, nested) is None:
            continue
        text, found = _excerpt(node, date, title if _holds(node, title, item) else None, stops=nested)
        shown = shown or found
        if text is not None:
            return text, shown
    if profile.excerpt_fallback:
        text, found = _excerpt(item, date, title, stops=nested)
        return text, shown or found
    return None, shown


def _layout(items: Sequence[Node]) -> tuple[Node | None, dict[int, str]]:
    """The parent all items share (None if they have several), and the items that sit inside
    another item, as ``read_segments`` stop markers (key → "stop").

    Nested items never occur on well-formed pages, where items are siblings. An unclosed element
    makes lenient parsers (lxml) nest every later item inside the earlier one
    (tests/corpus/uswds-drupal9-*-page2); an item's fields must then stop where the next item
    begins, as they do in the HTML5 tree.
    """
    parents = {p.key: p for item in items if (p := item.parent) is not None}
    if len(parents) <= 1:
        return next(iter(parents.values()), None), {}
    keys = {item.key for item in items}
    nested: dict[int, str] = {}
    for item in items:
        current = item.parent
        while current is not None:
            if current.key in keys:
                nested[item.key] = "stop"
                break
            current = current.parent
    return None, nested


def _own(node: Node | None, item: Node, nested: dict[int, str]) -> Node | None:
    """``node`` if it belongs to ``item`` itself rather than to an item nested in it."""
    if node is None or not nested:
        return node
    current: Node | None = node
    while current is not None and current.key != item.key:
        if current.key in nested:
            return None
        current = current.parent
    return node


def run_profile(root: Node, profile: Profile) -> list[Draft]:
    """Apply ``profile`` to a parsed page. The page is modified (``strip`` removes elements)."""
    if profile.strip:
        for node in reversed(root.css(", ".join(profile.strip))):
            node.remove()
    container, items = _items(root, profile)
    parent, nested = _layout(items)
    scope = parent or container
    title, excerpt, date, link = (
        _Field(chain, scope) for chain in (profile.title, profile.excerpt, profile.date, profile.link)
    )
    drafts = []
    for item in items:
        title_node = title.find(item)
        if title_node is None or (nested and _own(title_node, item, nested) is None):
            # An item whose headline is another item's wraps the listing (the page's own
            # ``article.hentry`` around a Divi blog module): no teaser of its own.
            continue
        anchor = title_node if title_node.tag == "a" else title_node.css_first("a[href]") or link.find(item)
        excerpt_node = _own(excerpt.find(item), item, nested)
        date_node = _own(date.find(item), item, nested)
        text, shown = (
            _excerpt(excerpt_node, date_node, stops=nested) if excerpt_node is not None else (None, None)
        )
        if text is None:  # the matched element is empty (rare), or no excerpt selector matched
            matched = excerpt if excerpt_node is not None else None
            text, found = _empty_excerpt(item, matched, title_node, date_node, profile, nested)
            shown = shown or found
        drafts.append(
            Draft(
                title=title_node.text(),
                href=None if anchor is None else anchor.attr("href"),
                excerpt=text,
                date_text=(date_node.text() or None) if date_node is not None else shown,
                date_machine=_machine_date(date_node, profile.date_attributes),
            )
        )
    return drafts


def why_no_drafts(root: Node, profile: Profile) -> str:
    """Which selector of ``profile`` found nothing on a page it read no teaser from, for the
    error a user with a profile of their own sees ("item selector 'div.teaser' matched no
    element"). Only called on that rare path: it queries the page again."""
    _, items = _items(root, profile)
    if not items:
        return f"item {_selectors(profile.item)} matched no element"
    title = _Field(profile.title, root)
    if all(title.find(item) is None for item in items):
        return f"title {_selectors(profile.title)} matched in none of {len(items)} items"
    return f"the titles of its {len(items)} items are empty or navigation text"


def _selectors(chain: tuple[str, ...]) -> str:
    if len(chain) == 1:
        return f"selector {chain[0]!r}"
    return "selectors " + ", ".join(repr(s) for s in chain)
