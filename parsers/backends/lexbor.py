"""The selectolax (lexbor) backend: the hot path.

Parsed once from decoded text (lexbor assumes UTF-8 when given bytes) and queried with lexbor's own
CSS engine so the per-teaser work stays in C. Every selector call compiles its query (~7 µs), and a
pass over the whole page costs ~5% of the parse for each selector in the query (bench/parse.py).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from selectolax.lexbor import LexborCSSSelector, LexborHTMLParser, LexborNode

from parsers.backends import BLOCK_TAGS, NOISE_TAGS, WalkEvent, block_text
from parsers.clean import normalize_space

__all__ = ["LexborElement", "parse"]

_NOISE_TAGS = list(NOISE_TAGS)

_local = threading.local()


def _selectors() -> LexborCSSSelector:
    """This thread's CSS engine. selectolax builds one per document on its first query (~12 µs, 3%
    of a parse); it holds no document state between queries, so one per thread serves them all."""
    try:
        engine: LexborCSSSelector = _local.engine
    except AttributeError:
        engine = _local.engine = LexborCSSSelector()  # type: ignore[no-untyped-call]
    return engine


class LexborElement:
    """:class:`parsers.backends.Node` over a selectolax node."""

    __slots__ = ("_node", "_tree")

    def __init__(self, node: LexborNode, tree: LexborHTMLParser) -> None:
        self._node = node
        # The tree owns the C memory; keep it alive as long as any element is.
        self._tree = tree

    @property
    def tag(self) -> str:
        return self._node.tag or ""

    @property
    def parent(self) -> LexborElement | None:
        parent = self._node.parent
        if parent is None or not parent.is_element_node:
            return None
        return LexborElement(parent, self._tree)

    @property
    def key(self) -> int:
        return int(self._node.mem_id)

    def attr(self, name: str) -> str | None:
        attributes = self._node.attributes
        value = attributes.get(name)
        # lexbor gives None for a valueless attribute (<a href>); the interface says "".
        return "" if value is None and name in attributes else value

    def css(self, query: str) -> list[LexborElement]:
        # lexbor's engine tests the element itself too; the Node contract (and the DOM's
        # querySelectorAll) means its descendants only.
        tree, own = self._tree, self._node.mem_id
        return [LexborElement(n, tree) for n in _selectors().find(query, self._node) if n.mem_id != own]

    def css_first(self, query: str) -> LexborElement | None:
        engine = _selectors()
        found = engine.find_first(query, self._node)  # type: ignore[attr-defined]
        if found and found[0].mem_id == self._node.mem_id:  # itself: the first descendant, if any
            found = engine.find(query, self._node)[1:2]
        return LexborElement(found[0], self._tree) if found else None

    def matches(self, query: str) -> bool:
        parent = self._node.parent
        if parent is None:
            return False
        mem_id = self._node.mem_id
        return any(n.mem_id == mem_id for n in parent.css(query))

    def children(self) -> list[LexborElement]:
        tree = self._tree
        out = []
        child = self._node.first_child
        while child is not None:
            if child.is_element_node:
                out.append(LexborElement(child, tree))
            child = child.next
        return out

    def text(self) -> str:
        nodes = self._node.traverse()
        next(nodes)  # the element itself
        if any(node.tag in BLOCK_TAGS for node in nodes):
            return block_text(self)
        return normalize_space(self._node.text())

    def remove(self) -> None:
        # Unlinked, not taken apart node by node: the subtree goes with the document's memory.
        self._node.decompose(recursive=False)

    def walk(self) -> Iterator[WalkEvent]:
        tree = self._tree
        # Iterative over lexbor's child/sibling pointers, the open elements on a stack: no
        # recursion limit on deep pages, and no parent lookups on the way back up.
        stack: list[tuple[LexborElement, str]] = []
        node = self._node.first_child
        while node is not None:
            if node.is_element_node:
                element = LexborElement(node, tree)
                tag = node.tag or ""
                yield "open", tag, element
                child = node.first_child
                if child is not None:
                    stack.append((element, tag))
                    node = child
                    continue
                yield "close", tag, element
            else:
                text = node.text_content  # None for comments (and for a text node without data)
                if text is not None:
                    yield "text", text, None
                elif node.is_text_node:
                    yield "text", "", None
            following = node.next
            while following is None:
                if not stack:
                    return
                element, tag = stack.pop()
                yield "close", tag, element
                following = element._node.next
            node = following


def parse(html: str | bytes) -> LexborElement:
    """Parse decoded HTML (or bytes known to be valid UTF-8) and return the ``<html>`` element."""
    tree = LexborHTMLParser(html)
    # One C walk per tag name costs half a combined selector pass (a tenth of the parse). The
    # elements are only unlinked, not freed: their subtrees become unreachable, and the tree's
    # memory goes at once with the document. Whole page, as the soup backend does.
    tree.strip_tags(_NOISE_TAGS)
    root = tree.root
    if root is None:  # pragma: no cover - lexbor always builds <html>
        raise ValueError("lexbor built no <html> element")
    return LexborElement(root, tree)
