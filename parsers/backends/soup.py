"""The BeautifulSoup backend: pure Python, slower, and the oracle the lexbor backend is tested against.

Both backends must build the same tree, so this one parses with html5lib, BeautifulSoup's HTML5
tree builder: the WHATWG algorithm lexbor implements, and so the tree a browser builds from broken
markup (``<div/>`` stays open, a stray ``</body>`` is ignored, ``</br>`` is a line break, misnested
``<a>``s are split, ``<script src=x/>`` swallows what follows). lxml (libxml2) is not an HTML5
parser, and gave different records for 3.8% of 5,700 mutated real pages. Where html5lib (last
released in 2020) falls short of the standard lexbor follows, this module makes up for it, each
step named below: ``<template>``, whitespace in tables, quirks-mode selectors, lone surrogates.

Noise elements are removed from the whole page right after parsing, as in the lexbor backend.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

import html5lib  # type: ignore[import-untyped]
from bs4 import BeautifulSoup, Tag
from bs4.builder._html5lib import HTML5TreeBuilder
from bs4.element import NavigableString, PageElement, PreformattedString
from html5lib._tokenizer import HTMLTokenizer  # type: ignore[import-untyped]
from html5lib.constants import tokenTypes  # type: ignore[import-untyped]
from html5lib.html5parser import getPhases  # type: ignore[import-untyped]

from parsers.backends import BLOCK_TAGS, NOISE_TAGS, WalkEvent, block_text
from parsers.clean import normalize_space

__all__ = ["SoupElement", "parse"]

_BLOCK_NAMES = sorted(BLOCK_TAGS)

# selectolax encodes text input with errors="ignore": a lone surrogate (only a ``str`` built from
# bad data holds one) vanishes before lexbor sees the page. html5lib would keep it, and it would
# then fail the records' UTF-8 serialisation.
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


_START_TAG = tokenTypes["StartTag"]
_END_TAG = tokenTypes["EndTag"]


class _TemplateFreeTokenizer(HTMLTokenizer):  # type: ignore[misc]
    """html5lib's tokenizer minus every ``<template>`` element and its content.

    html5lib (2020) predates ``<template>``: it builds one as an ordinary element, so its content
    leaks into the page (table rows in a template are foster-parented out of it, a ``</div>`` in it
    closes the page's ``<div>``, one in ``<head>`` starts the body early). lexbor parses template
    content apart from the page, and both backends then remove templates (``NOISE_TAGS``), so the
    tokens never reach the tree builder here. Inside a template, the start tags that switch the
    tokenizer to raw text still do, as the tree builder would have done: ``<script>`` content is not
    markup wherever it is.
    """

    def __iter__(self) -> Iterator[dict[str, Any]]:
        raw_text = {
            **dict.fromkeys(("title", "textarea"), self.rcdataState),
            **dict.fromkeys(("style", "xmp", "iframe", "noembed", "noframes"), self.rawtextState),
            "script": self.scriptDataState,
            "plaintext": self.plaintextState,
        }
        depth = 0
        for token in super().__iter__():
            kind = token["type"]
            if kind in (_START_TAG, _END_TAG) and token["name"] == "template":
                # A stray </template> is ignored, as in the HTML standard.
                depth = depth + 1 if kind != _END_TAG else max(depth - 1, 0)
            elif not depth:
                yield token
            elif kind == _START_TAG and token["name"] in raw_text:
                self.state = raw_text[token["name"]]


# html5lib's insertion-mode classes (built once; html5lib memoises them), subclassed below.
_PHASES: dict[str, Any] = getPhases(False)
_InBodyBase: Any = _PHASES["inBody"]
_InTableBase: Any = _PHASES["inTable"]
_InCellBase: Any = _PHASES["inCell"]
_InCaptionBase: Any = _PHASES["inCaption"]

# The current nodes for which "in table" sends text to the "in table text" mode.
_TABLE_TEXT_PARENTS = frozenset({"table", "tbody", "tfoot", "thead", "tr"})


class _InBodyPhase(_InBodyBase):  # type: ignore[misc]
    """The "in body" insertion mode without ``<isindex>``, which the standard dropped in 2016: it is
    an ordinary unknown element, where html5lib still builds a search form around it (with a
    "This is a searchable index." label)."""

    __slots__ = ()

    def processStartTag(self, token: dict[str, Any]) -> Any:
        if token["name"] == "isindex":
            return self.startTagOther(token)
        return super().processStartTag(token)


class _InTablePhase(_InTableBase):  # type: ignore[misc]
    """The "in table" insertion mode as the standard has it: text goes to "in table text" only
    while the current node is a table, a row group or a row. html5lib sends it there from any
    node, so whitespace in a ``<div>`` foster-parented out of a table was inserted without first
    reopening the formatting elements (an unclosed ``<a>``) that lexbor reopens around it."""

    __slots__ = ()

    def processSpaceCharacters(self, token: dict[str, Any]) -> None:
        if self.tree.openElements[-1].name in _TABLE_TEXT_PARENTS:
            super().processSpaceCharacters(token)
            return
        self.tree.insertFromTable = True
        self.parser.phases["inBody"].processSpaceCharacters(token)
        self.tree.insertFromTable = False

    def processCharacters(self, token: dict[str, Any]) -> None:
        if self.tree.openElements[-1].name in _TABLE_TEXT_PARENTS:
            super().processCharacters(token)
        else:
            self.insertText(token)


class _InCellPhase(_InCellBase):  # type: ignore[misc]
    """The "in cell" insertion mode reading whitespace by the "in body" rules too (html5lib only
    sends other text there): formatting elements are reopened, the newline after ``<pre>`` dropped."""

    __slots__ = ()

    def processSpaceCharacters(self, token: dict[str, Any]) -> None:
        self.parser.phases["inBody"].processSpaceCharacters(token)


class _InCaptionPhase(_InCaptionBase):  # type: ignore[misc]
    """The "in caption" insertion mode: whitespace by the "in body" rules, as in :class:`_InCellPhase`."""

    __slots__ = ()

    def processSpaceCharacters(self, token: dict[str, Any]) -> None:
        self.parser.phases["inBody"].processSpaceCharacters(token)


class _Parser(html5lib.HTMLParser):  # type: ignore[misc]
    """html5lib's parser reading tokens through :class:`_TemplateFreeTokenizer`, with the
    insertion modes above where html5lib strays from the HTML standard (and so from lexbor)."""

    def __init__(self, tree: Any) -> None:
        super().__init__(tree=tree)
        for name, phase in (
            ("inBody", _InBodyPhase),
            ("inTable", _InTablePhase),
            ("inCell", _InCellPhase),
            ("inCaption", _InCaptionPhase),
        ):
            self.phases[name] = phase(self, self.tree)

    def _parse(
        self, stream: str, innerHTML: bool = False, container: str = "div", scripting: bool = False
    ) -> None:
        # html5lib's own _parse with the tokenizer class swapped; the re-parse it does when a byte
        # stream's <meta> charset changes its mind cannot happen to text input.
        self.innerHTMLMode = innerHTML
        self.container = container
        self.scripting = scripting
        self.tokenizer = _TemplateFreeTokenizer(stream, parser=self)
        self.reset()
        self.mainLoop()


class _Builder(HTML5TreeBuilder):
    """bs4's html5lib builder that also remembers whether the page put the parser in quirks mode.

    In quirks mode (no doctype, or a legacy one) a browser, and lexbor's CSS engine, match class
    and id selectors case-insensitively; soupsieve has no quirks mode, so :class:`SoupElement`
    rewrites its queries instead. html5lib decides the mode from the doctype; bs4 drops its parser
    when the parse ends, so ``feed`` is bs4's own minus the byte-input branch (:func:`parse` passes
    text).
    """

    quirks = False

    def feed(self, markup: str | bytes) -> None:
        parser = _Parser(tree=self.create_treebuilder)
        self.underlying_builder.parser = parser
        parser.parse(markup)
        self.quirks = parser.compatMode == "quirks"
        self.underlying_builder.parser = None


# A class or id selector outside attribute brackets and strings: ``.Views-Row``, ``#Main``.
_QUERY_TOKEN_RE = re.compile(
    r"""(?P<skip>\[[^\]]*\]|"[^"]*"|'[^']*')|(?P<kind>[.#])(?P<name>-?[_a-zA-Z\u0080-\uffff][\w\u0080-\uffff-]*)"""
)


@functools.lru_cache(maxsize=512)
def _quirks_query(query: str) -> str:
    """``query`` with class and id selectors matching case-insensitively, as in quirks mode.

    >>> _quirks_query('div.Views-Row > a#Top[href$=".html"]')
    'div[class~="Views-Row" i] > a[id="Top" i][href$=".html"]'
    """

    def rewrite(match: re.Match[str]) -> str:
        if match.group("skip"):
            return match.group(0)
        attribute = "class~" if match.group("kind") == "." else "id"
        return f'[{attribute}="{match.group("name")}" i]'

    return _QUERY_TOKEN_RE.sub(rewrite, query)


class SoupElement:
    """:class:`parsers.backends.Node` over a BeautifulSoup tag."""

    __slots__ = ("_quirks", "_tag")

    def __init__(self, tag: Tag, quirks: bool = False) -> None:
        self._tag = tag
        self._quirks = quirks

    @property
    def tag(self) -> str:
        return str(self._tag.name or "").lower()

    @property
    def parent(self) -> SoupElement | None:
        parent = self._tag.parent
        if parent is None or not isinstance(parent, Tag) or parent.name == "[document]":
            return None
        return SoupElement(parent, self._quirks)

    @property
    def key(self) -> int:
        return id(self._tag)

    def attr(self, name: str) -> str | None:
        value = self._tag.get(name)
        if value is None:
            return None
        # bs4 splits multi-valued attributes (class, rel); give them back as the page wrote them.
        return " ".join(value) if isinstance(value, list) else str(value)

    def _query(self, query: str) -> str:
        return _quirks_query(query) if self._quirks else query

    def css(self, query: str) -> list[SoupElement]:
        quirks = self._quirks
        return [SoupElement(t, quirks) for t in self._tag.select(self._query(query))]

    def css_first(self, query: str) -> SoupElement | None:
        found = self._tag.select_one(self._query(query))
        return None if found is None else SoupElement(found, self._quirks)

    def matches(self, query: str) -> bool:
        return bool(self._tag.css.match(self._query(query)))

    def children(self) -> list[SoupElement]:
        quirks = self._quirks
        return [SoupElement(c, quirks) for c in self._tag.children if isinstance(c, Tag)]

    def text(self) -> str:
        if self._tag.find(_BLOCK_NAMES) is not None:
            return block_text(self)
        return normalize_space(self._tag.get_text())

    def remove(self) -> None:
        self._tag.decompose()

    def walk(self) -> Iterator[WalkEvent]:
        quirks = self._quirks
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
                opened = SoupElement(child, quirks)
                name = opened.tag
                yield "open", name, opened
                stack.append((opened, name, iter(child.contents)))
            elif isinstance(child, NavigableString) and not isinstance(child, PreformattedString):
                yield "text", str(child), None


def parse(html: str | bytes) -> SoupElement:
    """Parse decoded HTML (or valid UTF-8 bytes) with html5lib; return ``<html>``, noise removed."""
    if isinstance(html, bytes):
        html = html.decode("utf-8")  # never let bs4 guess: the caller already chose the charset
    elif _SURROGATE_RE.search(html):
        html = _SURROGATE_RE.sub("", html)
    builder = _Builder()
    soup = BeautifulSoup(html, builder=builder)
    for tag in soup.find_all(NOISE_TAGS):
        tag.decompose()
    root = soup.find("html")
    assert isinstance(root, Tag)  # an HTML5 parser always builds <html>
    return SoupElement(root, builder.quirks)
