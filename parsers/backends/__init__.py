"""HTML backends behind one tiny node interface.

``lexbor`` (selectolax) is the hot path; ``soup`` (BeautifulSoup over html5lib, the same HTML5
tree-building algorithm in pure Python) is the lenient alternative and the test oracle: every
fixture must give identical records through both, broken markup included.
Profiles and the generic detector only ever see :class:`Node`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Literal, Protocol

from parsers.clean import normalize_space

__all__ = [
    "BACKENDS",
    "BLOCK_TAGS",
    "NOISE_SELECTOR",
    "NOISE_TAGS",
    "Backend",
    "Node",
    "WalkEvent",
    "block_text",
    "get_backend",
]

Backend = Literal["lexbor", "soup"]
BACKENDS: tuple[Backend, ...] = ("lexbor", "soup")

# Elements whose text is never page content, removed right after parsing: raw-text elements whose
# "text" is code, and inline SVG (icon <title>s inside links). Each entry costs a walk of the page
# (~1.5% of the parse), so rare ones (object, canvas) are left to the boilerplate rules. Not
# <form>: ASP.NET pages wrap the whole page in one.
NOISE_TAGS: tuple[str, ...] = ("script", "style", "noscript", "template", "iframe", "svg", "textarea")
NOISE_SELECTOR = ", ".join(NOISE_TAGS)

# Elements a browser lays out as blocks or line breaks: their edges separate words and lines, where
# inline markup (<a>, <em>, <span>) joins its text to the neighbours'. From the HTML Living
# Standard's rendering section (display: block, list-item, table parts) plus <br>.
BLOCK_TAGS: frozenset[str] = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "br", "caption", "center", "dd", "details",
        "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1",
        "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "html", "legend", "li", "listing", "main",
        "menu", "nav", "ol", "p", "plaintext", "pre", "section", "summary", "table", "tbody", "td",
        "tfoot", "th", "thead", "tr", "ul", "xmp",
    }
)  # fmt: skip

WalkEvent = tuple[Literal["open", "close", "text"], str, "Node | None"]
"""One step of :meth:`Node.walk`: ``("open" | "close", tag, element)`` or ``("text", text, None)``."""


class Node(Protocol):
    """An element. Queries are CSS selectors evaluated inside the element."""

    @property
    def tag(self) -> str:
        """Lower-case tag name."""
        ...

    @property
    def parent(self) -> Node | None:
        """The parent element, None at the root."""
        ...

    def attr(self, name: str) -> str | None:
        """An attribute's value, None if absent, "" if present without a value (``<ul hidden>``)."""
        ...

    def css(self, query: str) -> Sequence[Node]:
        """Descendants matching ``query``, in document order."""
        ...

    def css_first(self, query: str) -> Node | None:
        """The first descendant matching ``query``, or None."""
        ...

    def matches(self, query: str) -> bool:
        """True if this element itself matches ``query``."""
        ...

    def children(self) -> Sequence[Node]:
        """Element children, in order."""
        ...

    def text(self) -> str:
        """All descendant text as a browser lays it out, whitespace collapsed (:func:`block_text`)."""
        ...

    def remove(self) -> None:
        """Detach this element (and its subtree) from the document."""
        ...

    def walk(self) -> Iterator[WalkEvent]:
        """The subtree in document order, this element excluded: ``("open", tag, element)``, then
        its content, then ``("close", tag, element)``; ``("text", raw text, None)`` for each text node.

        Comments are skipped. Used where text must be split at element edges (a teaser's headline,
        date line and summary are often bare text between elements). The tag name rides along:
        the reader needs it at every edge, and looking it up through the element again costs a
        third as much as the walk itself.
        """
        ...

    @property
    def key(self) -> int:
        """An identity usable in sets and dicts for as long as the document lives."""
        ...


def block_text(node: Node) -> str:
    """``node``'s text with a space at each edge of a block-level element (and ``<br>``),
    whitespace collapsed: what :meth:`Node.text` returns where the subtree holds blocks.

    Inline markup joins its text to the neighbours' (``“<em>removable</em>”`` must not read
    ``“ removable ”``), but blocks are laid out apart even when minified markup leaves no
    whitespace between them: ``<div>Mar</div><div>9</div><div>2015</div>`` reads "Mar 9 2015".
    """
    parts = []
    for _event, name, element in node.walk():
        if element is None:
            parts.append(name)
        elif name in BLOCK_TAGS:
            parts.append(" ")
    return normalize_space("".join(parts))


def get_backend(name: str) -> Callable[[str | bytes], Node]:
    """The parse function of a backend: decoded HTML (or valid UTF-8 bytes) in, ``<html>`` out.

    Raises:
        ValueError: for an unknown backend name (a caller mistake, not a ParseError).
    """
    if name == "lexbor":
        from parsers.backends import lexbor

        return lexbor.parse
    if name == "soup":
        from parsers.backends import soup

        return soup.parse
    raise ValueError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
