"""The BeautifulSoup backend: lenient, slower, and the oracle the lexbor backend is tested against.

Noise elements are removed from the whole page right after parsing, as in the lexbor backend.
"""

from __future__ import annotations

from collections.abc import Iterator

from bs4 import BeautifulSoup, Tag
from bs4.element import NavigableString, PageElement, PreformattedString

from parsers.backends import BLOCK_TAGS, NOISE_TAGS, WalkEvent, block_text
from parsers.clean import normalize_space

__all__ = ["SoupElement", "parse"]

_BLOCK_NAMES = sorted(BLOCK_TAGS)


class SoupElement:
    """:class:`parsers.backends.Node` over a BeautifulSoup tag."""

    __slots__ = ("_tag",)

    def __init__(self, tag: Tag) -> None:
        self._tag = tag

    @property
    def tag(self) -> str:
        return str(self._tag.name or "").lower()

    @property
    def parent(self) -> SoupElement | None:
        parent = self._tag.parent
        if parent is None or not isinstance(parent, Tag) or parent.name == "[document]":
            return None
        return SoupElement(parent)

    @property
    def key(self) -> int:
        return id(self._tag)

    def attr(self, name: str) -> str | None:
        value = self._tag.get(name)
        if value is None:
            return None
        # bs4 splits multi-valued attributes (class, rel); give them back as the page wrote them.
        return " ".join(value) if isinstance(value, list) else str(value)

    def css(self, query: str) -> list[SoupElement]:
        return [SoupElement(t) for t in self._tag.select(query)]

    def css_first(self, query: str) -> SoupElement | None:
        found = self._tag.select_one(query)
        return None if found is None else SoupElement(found)

    def matches(self, query: str) -> bool:
        return bool(self._tag.css.match(query))

    def children(self) -> list[SoupElement]:
        return [SoupElement(c) for c in self._tag.children if isinstance(c, Tag)]

    def text(self) -> str:
        if self._tag.find(_BLOCK_NAMES) is not None:
            return block_text(self)
        return normalize_space(self._tag.get_text())

    def remove(self) -> None:
        self._tag.decompose()

    def walk(self) -> Iterator[WalkEvent]:
        # Iterative (an explicit stack of child iterators): no recursion limit on deep pages.
        stack: list[tuple[SoupElement | None, str, Iterator[PageElement]]] = [
            (None, "", iter(self._tag.contents))
        ]
        while stack:
            element, tag, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                if element is not None:
                    yield "close", tag, element
            elif isinstance(child, Tag):
                opened = SoupElement(child)
                name = opened.tag
                yield "open", name, opened
                stack.append((opened, name, iter(child.contents)))
            elif isinstance(child, NavigableString) and not isinstance(child, PreformattedString):
                yield "text", str(child), None


def parse(html: str | bytes) -> SoupElement:
    """Parse decoded HTML (or valid UTF-8 bytes) with lxml; return ``<html>``, noise removed."""
    if isinstance(html, bytes):
        html = html.decode("utf-8")  # never let bs4 guess: the caller already chose the charset
    soup = BeautifulSoup(html, "lxml")
    for tag in soup.find_all(NOISE_TAGS):
        tag.decompose()
    root = soup.find("html")
    if not isinstance(root, Tag):
        soup = BeautifulSoup("<html><body></body></html>", "lxml")
        root = soup.find("html")
        assert isinstance(root, Tag)
    return SoupElement(root)
