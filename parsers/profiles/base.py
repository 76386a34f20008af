"""What a profile is, and how a profile's selectors become draft teasers.

A profile is data: CSS selectors (tried in order, first hit wins) for the parts of a listing,
plus where they were learnt. The engine here is shared by every profile, so a new template family
is a new data module, not new code.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from parsers.backends import Node
from parsers.profiles.segments import excerpt_text, read_segments

__all__ = ["Draft", "Profile", "detects", "first", "run_profile"]


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


def detects(root: Node, profile: Profile) -> bool:
    """True if the page looks like the profile's family (one selector pass over the page)."""
    return bool(profile.detect) and root.css_first(", ".join(profile.detect)) is not None


def _machine_date(node: Node | None, attributes: tuple[str, ...]) -> str | None:
    if node is None:
        return None
    return next((v for a in attributes if (v := node.attr(a))), None)


def _excerpt(
    node: Node, date: Node | None, title: Node | None = None, *, stops: dict[int, str] | None = None
) -> str | None:
    """The summary inside the excerpt element: its prose, without a leading date or byline line,
    player or tag links, or a trailing "Read more" (see :mod:`parsers.profiles.segments`). With
    ``title`` (reading a whole item), only what follows the headline. ``stops``: nested items."""
    skip = dict(stops) if stops else {}
    if date is not None:
        skip[date.key] = "date"
    if title is not None:
        skip[title.key] = "title"
        return excerpt_text(read_segments(node, skip), after="title")
    # An element chosen as the excerpt is the summary even when it is only a heading or a link.
    return excerpt_text(read_segments(node, skip), fallback=("heading", "links"))


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
        if title_node is None:
            continue
        anchor = title_node if title_node.tag == "a" else title_node.css_first("a[href]") or link.find(item)
        excerpt_node = _own(excerpt.find(item), item, nested)
        date_node = _own(date.find(item), item, nested)
        drafts.append(
            Draft(
                title=title_node.text(),
                href=None if anchor is None else anchor.attr("href"),
                excerpt=(
                    _excerpt(excerpt_node, date_node, stops=nested)
                    if excerpt_node is not None
                    else _excerpt(item, date_node, title_node, stops=nested)
                    if profile.excerpt_fallback
                    else None
                ),
                date_text=None if date_node is None else date_node.text() or None,
                date_machine=_machine_date(date_node, profile.date_attributes),
            )
        )
    return drafts
