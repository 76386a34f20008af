"""A teaser block's text split where the page breaks lines, and which part of it is the summary.

A teaser block mixes its headline, a byline or date line, the summary, "Read more" and tag links,
often as bare text between elements (WordPress Divi puts the excerpt straight into ``<article>``;
house.gov lists write "Posted in Press Releases on April 17, 2015 |" as a text node). Reading the
block as *segments* (runs of text between block-level edges and ``<br>``) lets one rule find the
summary on any layout: it is the run of segments from the first that reads as prose to the last,
after the headline. Runs before the first prose segment (date lines, bylines, podcast player links)
and after the last (tags, "Continue reading") are dropped; everything between is kept, so a full
post's lists and sub-headings stay in it. Short lines after the last sentence ("Press release",
"Organisation: …") are labels, not summary, unless the summary has such lines between its sentences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from parsers.backends import BLOCK_TAGS, Node
from parsers.clean import is_boilerplate, normalize_space
from parsers.dates import find_date, find_relative

__all__ = [
    "CJK_CHARS_PER_WORD",
    "HEADING_TAGS",
    "MAX_LABEL_WORDS",
    "META_MAX_WORDS",
    "MIN_SENTENCE_WORDS",
    "Segment",
    "count_words",
    "excerpt_text",
    "read_segments",
]

HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_LIST_TAGS = frozenset({"ul", "ol"})
_UNREAD_TAGS = frozenset({"button"})
"""Elements whose text is never a summary: a button's label is an action ("Share", "Like (23)" on
Substack's archive, "Subscribe"), never what the teaser says."""

META_MAX_WORDS = 16
"""A line this short that holds a date or starts like a byline is metadata, not a summary, unless
it ends like a sentence. The longest such line in tests/corpus is drupal4-troy's "By bruceandpaula
at 2005-11-03 23:10 | Classic Troy Pictures from Years Gone By" (13 words); summaries that hold a
date are sentences (billnelson.senate.gov's "WASHINGTON, D.C. - Federal lawmakers want …")."""

LINK_LIST_MIN_RATIO = 0.75
"""Share of a line's characters inside links above which a line of several links is a link list
(tags, categories, "RSS ∙ iTunes ∙ Spotify ∙ Direct Download" in insertcredit.com's posts)."""

MIN_SENTENCE_WORDS = 4
"""A line of at least this many words ending like a sentence is prose even when it is short."""

SHORT_LINK_WORDS = 3
"""A line that is one short link ("Your Taxes", "6.x") reads as a tag, not as a summary."""

MAX_LABEL_WORDS = 4
"""A line after a summary's last sentence with at most this many words and no sentence end is a
label, not more summary: "Press release", "National Media Release", "3 min read" (QA's govuk-finder,
uswds-cbp-newsroom and ghost-casper pages)."""

CJK_CHARS_PER_WORD = 2
"""Chinese and Japanese write no spaces between words: a run of Han, kana (or fullwidth
katakana) characters counts as one word per this many characters, at least one. Most Chinese
words are one or two characters, and a headline of 12–25 characters (QA's chinese-gov-news-list,
japanese-corporate-news) then reads as 6–12 words, a two-character menu link ("首页", "政策") as
one. Korean separates words with spaces and needs no such rule."""

_CJK_RUN_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]+")


def count_words(text: str) -> int:
    """How many words ``text`` holds: its space-separated words, where a run of CJK characters
    counts as :data:`CJK_CHARS_PER_WORD` characters a word."""
    if text.isascii():
        return len(text.split())
    runs = _CJK_RUN_RE.findall(text)
    if not runs:
        return len(text.split())
    rest = _CJK_RUN_RE.sub(" ", text).split()
    return len(rest) + sum(max(1, len(run) // CJK_CHARS_PER_WORD) for run in runs)


_SEPARATORS = "-–—|·•:"
_LEAD_SEPARATOR_RE = re.compile(r"^[-–—|·•:]+\s+")
_READ_MORE_RE = re.compile(
    r"^(?:read more|continue reading|read (?:the )?full (?:post|article|story))\s*:\s", re.I
)
"""A "Read more" link that names the item after a colon (Joomla's "Read more: <title>"): a link to
the item, not summary."""
_LABEL_RE = re.compile(r"^\w+(?: \w+){0,2}: ")
_SENTENCE_RE = re.compile(r"[.!?…][\"'”’)]?$")
_SENTENCE_END_CHARS = 3  # the pattern matches at most two characters, at the end
_BYLINE_RE = re.compile(
    r"^(?:by|posted|submitted|written|published|updated|filed|tags?|categor(?:y|ies|i[sz]ed)|topics?|"
    r"issues?|in|on|author|no\s+comments?|leave\s+a\s+comment|\d+\s*(?:min(?:ute)?s?\s+read|comments?))\b",
    re.IGNORECASE,
)
"""How metadata lines start: bylines, "Posted in", WordPress's "Categorized as" (Twenty Twenty-One)
and "No Comments" (Elementor's post meta), Ghost's and Medium's "3 min read"."""


@dataclass(frozen=True, slots=True)
class Segment:
    """One run of text between line breaks, or a marker where a skipped element was."""

    text: str
    """Whitespace-collapsed text ("" for a marker)."""
    kind: str
    """``content``, ``heading``, ``meta``, ``links``, ``nav`` or the marker name of a skipped element."""
    linky: bool = False
    """Most of the text is link text."""


def _classify(text: str, linky: bool, links: int, heading: bool) -> str:
    """The kind of a segment; ``text`` is whitespace-normalised (see :func:`read_segments`)."""
    if is_boilerplate(text, normalized=True) or (text[:1] in "RrCc" and _READ_MORE_RE.match(text)):
        return "nav"
    # Normalised text: words are separated by single spaces, unless it is CJK.
    words = text.count(" ") + 1 if text.isascii() else count_words(text)
    if linky and (links >= 2 or words <= SHORT_LINK_WORDS):
        return "links"
    # A short line is metadata when it starts like a byline or shows a date, unless it reads as a
    # sentence ("A Non-Bonkers Cat Cop.", "Join us on June 23, 2016 for the open house.").
    if words <= META_MAX_WORDS:  # longer lines are never metadata: spared the sentence test
        if not text[0].isalpha() and not any(c.isalpha() for c in text):
            return "meta"  # no word: a separator ("·", "|"), a count of claps or comments, a date
        ends = text[-_SENTENCE_END_CHARS:]
        sentence = words >= MIN_SENTENCE_WORDS and _SENTENCE_RE.search(ends) is not None
        if not sentence and (_BYLINE_RE.match(text) or find_date(text) or find_relative(text)):
            return "meta"
    return "heading" if heading else "content"


def read_segments(block: Node, skip: dict[int, str] | None = None) -> list[Segment]:
    """Split ``block``'s text into segments; elements in ``skip`` (key → name) become markers.

    The title element is usually skipped as ``"title"`` and a date element as ``"date"``, so the
    summary is looked for after the headline and never includes the date line.
    """
    out: list[Segment] = []
    parts: list[str] = []
    link_parts: list[str] = []
    links = 0
    open_links: list[bool] = []  # per open <a>: it has an href (a real link)
    link_depth = 0
    heading_depth = 0
    skipping = 0  # depth inside a skipped element (0: not skipping)
    lists: list[int] = []  # index in ``out`` where each open <ul>/<ol> began
    terms: list[int] = []  # index in ``out`` where each open <dl> began

    def flush() -> None:
        nonlocal links
        text = normalize_space(parts[0] if len(parts) == 1 else "".join(parts))
        parts.clear()
        if text:
            linky = False  # no link text: most segments, spared a count over the summary
            if link_parts:
                linked = "".join(link_parts)
                link_chars = len(linked) - linked.count(" ")
                linky = link_chars / ((len(text) - text.count(" ")) or 1) >= LINK_LIST_MIN_RATIO
            out.append(Segment(text, _classify(text, linky, links, heading_depth > 0), linky))
        link_parts.clear()
        links = 0

    for event, name, element in block.walk():
        if element is None:  # a text event: ``name`` is the text
            if not skipping and (parts or not name.isspace()):
                parts.append(name)
                if link_depth:
                    link_parts.append(name)
            continue
        if skipping:  # events nest, so counting depth finds the skipped element's end
            skipping += 1 if event == "open" else -1
            continue
        if event == "open":
            if skip:
                marker = skip.get(element.key)
                if marker is not None:
                    if parts:
                        flush()
                    links = 0  # links before the marker without text belong to no segment
                    out.append(Segment("", marker))
                    skipping = 1
                    continue
            if name in _UNREAD_TAGS:
                if parts:
                    flush()
                skipping = 1
                continue
            if name in BLOCK_TAGS:
                if parts:
                    flush()
                if link_depth:
                    # A link around blocks is a card's link (Webflow's a.blog-card), not link
                    # text: what it holds reads as the card's own text.
                    open_links[:] = [False] * len(open_links)
                    link_depth = 0
                    links = 0
            if name == "a":
                real = bool(element.attr("href"))  # valueless href: None in lexbor, "" in soup
                open_links.append(real)
                if real:
                    link_depth += 1
                    links += 1
            elif name in HEADING_TAGS:
                heading_depth += 1
            elif name in _LIST_TAGS:
                lists.append(len(out))
            elif name == "dl":
                terms.append(len(out))
        else:
            if parts and name in BLOCK_TAGS:
                flush()
            if name == "a":
                if open_links and open_links.pop():
                    link_depth -= 1
            elif name in HEADING_TAGS:
                heading_depth = max(heading_depth - 1, 0)
            elif name in _LIST_TAGS and lists:
                _close_list(out, lists.pop())
            elif name == "dl" and terms:
                _close_terms(out, terms.pop())
    if parts:
        flush()
    while lists:
        _close_list(out, lists.pop())
    while terms:
        _close_terms(out, terms.pop())
    # A label line ("Issues:", "Tags:", "Filed under:") labels the link line after it.
    for i in range(len(out) - 1):
        if out[i].kind == "meta" and out[i].text.endswith(":") and out[i + 1].linky:
            out[i + 1] = Segment(out[i + 1].text, "links", True)
    return out


def _close_list(out: list[Segment], begin: int) -> None:
    """A list whose every item is a link is a link list (Drupal's "Tags" field), however long its
    link texts ("is this a bug?")."""
    items = out[begin:]
    if items and all(seg.linky for seg in items):
        out[begin:] = [Segment(seg.text, "links", True) for seg in items]


def _close_terms(out: list[Segment], begin: int) -> None:
    """A definition list that holds metadata (a date, a byline) and no sentence is a metadata list:
    Joomla's ``dl.article-info`` ("Details", "Written by: …", "Category: …", "Hits: 214")."""
    items = out[begin:]
    if not any(seg.kind in ("meta", "date") for seg in items):
        return
    if any(
        seg.text.count(" ") + 1 >= MIN_SENTENCE_WORDS and _SENTENCE_RE.search(seg.text[-_SENTENCE_END_CHARS:])
        for seg in items
    ):
        return
    out[begin:] = [seg if not seg.text else Segment(seg.text, "meta", seg.linky) for seg in items]


def excerpt_text(
    segments: list[Segment], *, after: str | None = None, fallback: tuple[str, ...] = ("heading",)
) -> str | None:
    """The summary: from the first prose segment to the last, after the ``after`` marker if given.

    Inside that span every segment is kept except navigation phrases ("Read more") and markers;
    outside it nothing is. Without prose, segments of the ``fallback`` kinds stand in (a summary
    written as headings, as on marinelepen.sites.stanford.edu's event notices).
    """
    if after is None and len(segments) == 1:
        # One segment (most summaries): the span is that segment if it is prose or a stand-in.
        kind = segments[0].kind
        keep = kind == "content" or (kind in fallback and kind not in ("nav", "stop"))
        return segments[0].text or None if keep else None
    start = 0
    if after is not None:
        start = next((i + 1 for i, s in enumerate(segments) if s.kind == after), 0)
    # A "stop" marker is where another teaser begins (mis-nested markup): the summary ends there.
    end = next((i for i, s in enumerate(segments) if s.kind == "stop" and i >= start), len(segments))
    body = segments[start:end]
    content = [i for i, s in enumerate(body) if s.kind == "content"]
    if not content:
        content = [i for i, s in enumerate(body) if s.kind in fallback]
    if not content:
        return None
    last = content[-1]
    if len(content) > 1:
        last = _last_summary_line(body, content)
    kept = [s.text for s in body[content[0] : last + 1] if s.text and s.kind != "nav"]
    if kept and kept[0][:1] in _SEPARATORS:
        # What separated the summary from a date element skipped before it: "23.06.2023 – Prof. …".
        kept[0] = _LEAD_SEPARATOR_RE.sub("", kept[0])
    return " ".join(kept).strip() or None


def _last_summary_line(body: list[Segment], content: list[int]) -> int:
    """Where the summary ends: at its last line, or before the metadata lines after its last
    sentence ("Press release", "Organisation: Department for …" on GOV.UK finders; "National
    Media Release" tags on agency newsrooms), which read as prose to :func:`_classify`."""
    end = len(content)
    while end > 1 and _reads_as_label(body[content[end - 1]].text):
        end -= 1
    if end == len(content) or not _SENTENCE_RE.search(body[content[end - 1]].text[-_SENTENCE_END_CHARS:]):
        return content[-1]  # no sentence before them: a summary of short lines, kept whole
    if any(_reads_as_label(body[i].text) for i in content[: end - 1]):
        # Short lines between its sentences: a post's own sub-headings ("Moving", "Adding posts"
        # on drupal6-freerangefeedback), so a short last line is one the site cut the post after.
        return content[-1]
    return content[end - 1]


def _reads_as_label(text: str) -> bool:
    """A line that is no sentence: a few words (a tag, a content type) or "Label: value". A line
    ending with a colon introduces what follows ("Listen here:" before a player)."""
    if _SENTENCE_RE.search(text[-_SENTENCE_END_CHARS:]) or text.endswith(":"):
        return False
    return text.count(" ") < MAX_LABEL_WORDS or _LABEL_RE.match(text) is not None
