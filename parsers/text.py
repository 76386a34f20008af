"""Plain-text page dumps (what "copy all" or a text browser gives) → the same TopicPage.

A dump has no markup, so structure comes from line shapes. The rules, in order:

1. Drop navigation lines: boilerplate phrases (``You are here``, ``Subscribe to …``, ``Back to Top``,
   the federal banner), breadcrumb trails (``Home » Topics » …``) and pager lines (``1 2 3 next ›``).
2. The first remaining heading-like line is the topic.
3. The rest alternates headline / summary. A *headline* is short and does not read as prose;
   a *summary* is the paragraph after it. Where a heading-like line follows a headline, it is a
   new headline only if the line after it is not heading-like too (``T T E`` means the first
   teaser has no summary; ``T X T E`` means ``X`` is a short summary).
4. A summary that ends without closing punctuation or with an ellipsis was cut by the site
   (or the dump itself was cut): ``truncated``. A dump that ends mid-line was cut there: its last
   line, after a headline, is that headline's summary however short.
"""

from __future__ import annotations

import re
from pathlib import Path

from parsers.clean import clean_excerpt, is_boilerplate, looks_truncated, normalize_space
from parsers.errors import NoTeasersFound
from parsers.records import Teaser, TopicPage

__all__ = ["looks_like_text_dump", "parse_text_dump"]

MAX_HEADLINE_CHARS = 200  # the seed's longest title is 73 chars; DHS titles run to ~150
MAX_HEADLINE_WORDS = 30
MIN_PROSE_WORDS = 12  # a sentence-final line at least this long reads as a summary, not a title

_BREADCRUMB_RE = re.compile(r"^(home|topics?|news)\b.*\s[»›>/]\s", re.IGNORECASE)
_PAGER_WORD = r"(?:\d+|…|\.\.\.|[«‹›»<>]+|first|previous|prev|next|last|older|newer|page|of|go to)"
_PAGER_RE = re.compile(rf"^(?:{_PAGER_WORD}[\s,|]*)+$", re.IGNORECASE)
_SENTENCE_END_RE = re.compile(r"[.;:…]['\"”’)]?$")


def _is_navigation(line: str) -> bool:
    return is_boilerplate(line) or bool(_BREADCRUMB_RE.match(line)) or bool(_PAGER_RE.match(line))


def _is_headline(line: str) -> bool:
    words = len(line.split())
    if len(line) > MAX_HEADLINE_CHARS or words > MAX_HEADLINE_WORDS:
        return False
    return not (_SENTENCE_END_RE.search(line) and words >= MIN_PROSE_WORDS) and not line.endswith(".")


def looks_like_text_dump(text: str) -> bool:
    """True if ``text`` has no HTML markup at the start, so it should be read as a dump."""
    head = text.lstrip("\ufeff \t\r\n")[:2048].lower()
    return not re.search(r"<(?:!doctype|html|head|body|div|p|a|meta|title)\b", head)


def parse_text_dump(text: str, *, url: str | None = None, source: str | Path | None = None) -> TopicPage:
    """Read a plain-text dump of a listing page.

    Args:
        text: the dump.
        url: the page's URL, if known (becomes ``source_url``).
        source: the file it came from; without ``url`` the records point at ``file://`` it.

    Raises:
        NoTeasersFound: no headline/summary structure was found.

    >>> summary = "A summary long enough to read as prose, which goes on " * 3 + "and is cut mid"
    >>> dump = f"You are here\\n\\nNews\\n\\nA headline\\n\\n{summary}\\n\\nBack to Top"
    >>> page = parse_text_dump(dump, url="https://example.gov/news")
    >>> page.topic, page.teasers[0].title, page.teasers[0].truncated
    ('News', 'A headline', True)
    """
    page_url = url or (Path(source).resolve().as_uri() if source else "file:///dev/stdin")
    lines = [normalize_space(line) for line in text.lstrip("\ufeff").splitlines()]
    lines = [line for line in lines if line and not _is_navigation(line)]

    topic: str | None = None
    if lines and _is_headline(lines[0]):
        topic = lines.pop(0)
    # Cut mid-line (no line break at the end): the last line is the start of a paragraph.
    cut = (
        bool(lines)
        and not text.endswith(("\n", "\r"))
        and normalize_space(text.splitlines()[-1]) == lines[-1]
    )

    teasers: list[tuple[str, list[str]]] = []
    for i, line in enumerate(lines):
        after_headline = bool(teasers) and not teasers[-1][1]
        if not _is_headline(line) or (cut and after_headline and i == len(lines) - 1):
            if teasers:
                teasers[-1][1].append(line)
            continue
        next_is_headline = i + 1 < len(lines) and _is_headline(lines[i + 1])
        if after_headline and next_is_headline:
            teasers[-1][1].append(line)  # T X T: X is a short summary
        else:
            teasers.append((line, []))

    out = []
    for position, (title, paragraphs) in enumerate(teasers, 1):
        excerpt = clean_excerpt(" ".join(paragraphs)) if paragraphs else None
        out.append(
            Teaser(title=title, excerpt=excerpt, truncated=looks_truncated(excerpt), position=position)
        )
    if not out:
        raise NoTeasersFound(page_url, "text")
    return TopicPage(url=page_url, topic=topic, teasers=tuple(out), profile="text")
