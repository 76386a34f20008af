"""``parse_topic_page``: one listing page in, its topic, teasers and next-page link out.

Pure: no I/O, no globals, no network. The same call works in a test, in the crawler, over a WARC
file, or mapped over millions of archived pages by a distributed engine.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

from pydantic import ValidationError

from parsers.backends import Node, get_backend
from parsers.clean import absolute_url, clean_excerpt, is_boilerplate, looks_truncated, normalize_space
from parsers.dates import find_date, find_relative, parse_date
from parsers.decode import MAX_INPUT_BYTES, html_source
from parsers.errors import InputTooLarge, NoTeasersFound, ParseError
from parsers.profiles import Draft, Profile, candidates, first, get_profile, run_profile, why_no_drafts
from parsers.records import Teaser, TopicPage

__all__ = ["MAX_NESTING", "GenericDetector", "page_index", "parse_topic_page"]

logger = logging.getLogger(__name__)

GenericDetector = Callable[[Node], list[Draft]]
"""Finds teasers on a page no profile knows: :func:`parsers.profiles.generic.detect_teasers`."""

_WP_PAGE_RE = re.compile(r"/page/(\d+)/?$")


MAX_NESTING = 512
"""Deeper markup is an attack or a generator bug (real listings in tests/corpus nest < 40 deep)."""


def page_index(url: str) -> int:
    """The 0-based pager index a listing URL names (Drupal ``?page=N``, WordPress ``/page/N/``).

    >>> page_index("https://www.dhs.gov/keywords/x?page=2"), page_index("https://b.org/news/page/3/")
    (2, 2)
    """
    parts = urlsplit(url)
    values = parse_qs(parts.query).get("page")
    if values and values[0].isdigit():
        return int(values[0])
    match = _WP_PAGE_RE.search(parts.path)
    if match:
        return max(int(match.group(1)) - 1, 0)
    return 0


_SELF_URL = ('link[rel="canonical"]', 'meta[property="og:url"]', 'link[rel="shortlink"]')

# Where a browser or an archiving extension noted the address a saved page came from: Chrome's and
# Edge's "Mark of the Web" (``<!-- saved from url=(0053)https://… -->``) and SingleFile's header.
_SAVED_FROM_RE = re.compile(
    r"<!--\s*(?:saved from url=\(\d+\)|Page saved with SingleFile\s+url:\s*)(https?://[^\s<>]+)"
)
_SAVED_FROM_RE_BYTES = re.compile(_SAVED_FROM_RE.pattern.encode())
_SAVED_FROM_SCAN = 4096  # both notes open the file


def _own_url(root: Node, url: str, source: str | bytes) -> str:
    """A page read from a file (``file://``) knows its web address from its canonical link, else
    from the note a browser left when saving it."""
    if not url.startswith("file:"):
        return url
    for selector in _SELF_URL:
        node = root.css_first(selector)
        if node is not None:
            found = absolute_url(node.attr("href") or node.attr("content"), "http://invalid/")
            if found and not found.startswith("http://invalid/"):
                return found
    head = source[:_SAVED_FROM_SCAN]
    match = _SAVED_FROM_RE.search(head) if isinstance(head, str) else _SAVED_FROM_RE_BYTES.search(head)
    if match is not None:
        saved = match.group(1)
        found = absolute_url(saved if isinstance(saved, str) else saved.decode("utf-8", "replace"), url)
        if found:
            return found
    return url


PRESCAN_TAGS = 5_000
"""Inputs with more ``<`` than this get a depth estimate before parsing: HTML5 tree building is
quadratic in nesting depth (lexbor takes minutes on 100,000 nested ``<div>``s); fewer tags cannot
nest deep enough to matter, and counting ``<`` is a memchr-speed scan."""

# Elements that never close implicitly (no void, raw-text or auto-closing ones like <p>, <li>,
# <td>, <a>), so open minus close tags estimates the depth. The HTML ones nest even written as
# <div/>; from SVG only <svg> and <g>, whose children are mostly self-closing shapes.
_CONTAINERS = (
    "div|span|section|article|aside|nav|header|footer|main|ul|ol|dl|table|blockquote|b|i|em|strong|font"
    "|address|center|details|dialog|dir|fieldset|figcaption|figure|hgroup|menu|search|summary|pre|listing"
    "|legend|label|small|big|u|s|strike|sub|sup|code|abbr|cite|q|mark|time|var|kbd|samp|bdi|bdo|ins|del"
    "|map|object|canvas|video|audio|picture|template|slot|output|meter|progress|data|dfn|tt|marquee"
    "|applet|blink|ruby|datalist|svg|math|g"
)
_TAG_RE = re.compile(rf"<(/?)(?:{_CONTAINERS})[\s/>]", re.IGNORECASE)
_TAG_RE_BYTES = re.compile(_TAG_RE.pattern.encode(), re.IGNORECASE)


def _too_deep_to_parse(html: str | bytes) -> bool:
    """Estimate the nesting of a huge-tag-count input before handing it to a quadratic parser."""
    if isinstance(html, str):
        tags, matches = html.count("<"), _TAG_RE.finditer
    else:
        tags, matches = html.count(b"<"), _TAG_RE_BYTES.finditer  # type: ignore[assignment]
    if tags <= PRESCAN_TAGS:
        return False
    depth = 0
    for match in matches(html):  # type: ignore[arg-type]
        depth = depth - 1 if match.group(1) else depth + 1
        if depth > MAX_NESTING:
            return True
        depth = max(depth, 0)
    return False


def _nesting_exceeds(root: Node, limit: int) -> bool:
    """True if any element sits more than ``limit`` levels deep (iterative: no recursion limit)."""
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in node.children())
    return False


def _base_url(root: Node, url: str) -> str:
    # <base> belongs in <head>; looking only there spares a pass over the whole page.
    head = next((c for c in root.children() if c.tag == "head"), None)
    base = head.css_first("base[href]") if head is not None else None
    href = absolute_url(base.attr("href"), url) if base is not None else None
    return href or url


def _generic(root: Node) -> list[Draft]:
    """The generic detector's drafts (pathological nesting was refused before parsing)."""
    # Imported on first use: pages a profile reads never load the detector.
    from parsers.profiles.generic import detect_teasers

    return detect_teasers(root)


_ARCHIVE_PREFIX_RE = re.compile(
    r"^(?:(?:category|tag|author|daily|monthly|yearly|topic)\s+archives?|archives?|category|tag|topic)"
    r"\s*:\s+(?=\S)",
    re.IGNORECASE,
)


def _topic(root: Node, chosen: Profile | None) -> str | None:
    """The listing's heading: the profile's selectors, else the generic rule (an ``<h1>`` the
    ``<title>`` repeats, else the ``<title>`` without the site name)."""
    node = first(root, chosen.topic) if chosen is not None else None
    text = node.text() if node is not None else None
    if not text or is_boilerplate(text):
        from parsers.profiles.generic import find_topic

        text = find_topic(root)
    # WordPress archive headings name the archive kind: "Category Archives: News", "Tag: Drupal".
    return _ARCHIVE_PREFIX_RE.sub("", text) if text else None


def _next_url(root: Node, chosen: Profile | None, url: str, base: str) -> str | None:
    """The next page: the profile's pager selector, else the generic rules (``rel=next``, a link to
    page N+1 of this URL, then, unless the profile names its pager, a "Next"/"Older posts" link:
    a profile's pager that shows no next link is the last page). A page that shows none of the
    profile's :attr:`~parsers.profiles.Profile.pager` elements has another pager, if any: the
    text rules look for it (one query more, on pages without a next link only)."""
    has_pager = chosen is not None and bool(chosen.next_page)
    node = first(root, chosen.next_page) if chosen is not None and has_pager else None
    found = absolute_url(_link_of(node), base) if node is not None else None
    if found is None:
        from parsers.profiles.generic import find_next_page

        by_text = not has_pager or (
            chosen is not None and bool(chosen.pager) and root.css_first(", ".join(chosen.pager)) is None
        )
        found = find_next_page(root, url, base=base, by_text=by_text)
    return found if found != url else None


def _link_of(node: Node) -> str | None:
    """A pager node's target: its ``href``, or the URL a "Load more" button keeps for its script
    (Elementor's ``data-next-page``; a bare page number there is no URL)."""
    href = node.attr("href")
    if href is not None:
        return href
    value = (node.attr("data-next-page") or "").strip()
    return value if "/" in value or value.startswith("?") else None


def _filled(root: Node, drafts: list[Draft]) -> list[Draft]:
    """A profile's drafts, their excerpts and dates taken from the generic detector's drafts of
    the same titles when the profile read neither in any item: the family's page, a site's own
    teaser markup (QA's uswds-cbp-newsroom-views: Views rows of ``.teaser__summary`` and
    ``.teaser__date`` on a USWDS site). Only then, so pages a profile reads cost nothing more."""
    if not drafts or any(d.excerpt or d.date_text or d.date_machine for d in drafts):
        return drafts
    found: dict[str, Draft] = {}
    for draft in _generic(root):
        found.setdefault(draft.title, draft)
    filled = []
    for draft in drafts:
        other = found.get(draft.title)
        if other is not None and (other.excerpt or other.date_text or other.date_machine):
            draft = replace(
                draft, excerpt=other.excerpt, date_text=other.date_text, date_machine=other.date_machine
            )
        filled.append(draft)
    return filled


def _choose(root: Node, profile: Profile | str | None) -> tuple[str, list[Draft], Profile | None]:
    """Pick the profile (forced or auto-detected) and return its drafts."""
    if isinstance(profile, str):
        if profile == "generic":
            return "generic", _generic(root), None
        profile = get_profile(profile)
    if profile is not None:
        return profile.name, _filled(root, run_profile(root, profile)), profile
    for candidate in candidates(root):
        drafts = run_profile(root, candidate)
        if drafts:
            return candidate.name, _filled(root, drafts), candidate
    return "generic", _generic(root), None


def _date(draft: Draft) -> tuple[dt.date | None, str | None]:
    """The date and the text that shows it (just the date part of e.g. "Posted June 23, 2016")."""
    shown = normalize_space(draft.date_text) if draft.date_text else None
    found = find_date(shown) if shown else None
    machine = parse_date(draft.date_machine)
    if found is not None:
        return machine or found[0], found[1]
    # "3 days ago", "Mar 3": dated when the record is made, against the time the page was read.
    return machine, (find_relative(shown) if shown and machine is None else None) or shown


_TEASER_FIELDS = frozenset(Teaser.model_fields)


def _new_teaser(**values: object) -> Teaser:
    """``Teaser.model_construct(**values)`` for a complete set of checked values, without its
    per-field loop over aliases and defaults (a fifth of the cost of a teaser)."""
    teaser = object.__new__(Teaser)
    object.__setattr__(teaser, "__dict__", values)
    object.__setattr__(teaser, "__pydantic_fields_set__", set(_TEASER_FIELDS))
    object.__setattr__(teaser, "__pydantic_extra__", None)
    object.__setattr__(teaser, "__pydantic_private__", None)
    return teaser


def _teaser(draft: Draft, base: str, position: int) -> Teaser | None:
    """Clean a draft into a teaser, or None if its title is empty or navigation."""
    # Drafts hold whitespace-normalised text (Node.text(), read_segments), so no cleaning step
    # normalises it again.
    title = draft.title
    if not title or is_boilerplate(title, normalized=True):
        return None
    excerpt = clean_excerpt(draft.excerpt, normalized=True)
    if excerpt is not None and (excerpt == title or is_boilerplate(excerpt, normalized=True)):
        excerpt = None
    date, date_raw = _date(draft)
    # Every field was checked above the way Teaser's validators check it; building without
    # re-validating keeps the hot path within its budget. Record re-validates at the edge.
    return _new_teaser(
        title=title,
        url=absolute_url(draft.href, base),
        excerpt=excerpt,
        truncated=looks_truncated(excerpt),
        date=date,
        date_raw=date_raw or None,
        position=position,
    )


def parse_topic_page(
    html: str | bytes,
    *,
    url: str,
    profile: Profile | str | None = None,
    backend: str = "lexbor",
    page: int | None = None,
    content_type: str | None = None,
    max_bytes: int = MAX_INPUT_BYTES,
) -> TopicPage:
    """Extract a listing page's topic, teasers (in order) and next-page URL.

    Args:
        html: the page, decoded or as served (bytes are decoded by HTTP charset → BOM → meta →
            detection; see :func:`parsers.decode.decode_html`).
        url: the page's original URL: relative links resolve against it (or its ``<base href>``).
        profile: a built-in profile name, ``"generic"``, a :class:`Profile`, or None to auto-detect.
        backend: ``"lexbor"`` (fast, default) or ``"soup"`` (BeautifulSoup; identical results).
        page: 0-based pager index; by default read from the URL (``?page=N``, ``/page/N/``).
        content_type: the HTTP Content-Type header, used to decode bytes.
        max_bytes: refuse larger inputs.

    Raises:
        UndecodableInput: the bytes are not a web page.
        InputTooLarge: over ``max_bytes``, or nested too deep to walk.
        NoTeasersFound: a readable page with no teasers.
        ProfileError: ``profile`` names no known profile.

    >>> html = '<h1>News</h1><div class="view-content"><div class="views-row">'
    >>> html += '<h2 class="node-title"><a href="/a">A story</a></h2></div></div>'
    >>> page = parse_topic_page(html, url="https://example.gov/news")
    >>> page.topic, page.teasers[0].url, page.profile
    ('News', 'https://example.gov/a', 'drupal7')
    """
    if isinstance(html, bytes):
        html = html_source(html, content_type=content_type, max_bytes=max_bytes)
    elif len(html) > max_bytes:
        raise InputTooLarge(f"{len(html):,} characters is larger than the {max_bytes:,} limit")
    parse = get_backend(backend)
    if _too_deep_to_parse(html):
        raise InputTooLarge(f"the markup is nested more than {MAX_NESTING} levels deep")
    try:
        root = parse(html)
        url = _own_url(root, url, html)
        base = _base_url(root, url)
        name, drafts, chosen = _choose(root, profile)
        teasers: list[Teaser] = []
        for draft in drafts:
            teaser = _teaser(draft, base, len(teasers) + 1)
            if teaser is not None:
                teasers.append(teaser)
        if not teasers:
            # Only a page that yields nothing is walked: too costly for every page.
            if _nesting_exceeds(root, MAX_NESTING):
                raise InputTooLarge(f"the markup is nested more than {MAX_NESTING} levels deep")
            if profile is None or chosen is None:
                raise NoTeasersFound(url, None if profile is None else name)
            raise NoTeasersFound(url, name, why_no_drafts(root, chosen))
        topic = _topic(root, chosen)
        next_url = _next_url(root, chosen, url, base)
    except RecursionError as exc:
        raise InputTooLarge("the markup is nested too deeply to read") from exc
    except ParseError:
        raise
    except (ValueError, TypeError, LookupError) as exc:
        # Backends can trip over pathological markup in ways no page should reach; report it as
        # unreadable input rather than crash a million-page run.
        raise ParseError(f"cannot read the page at {url}: {exc}") from exc
    try:
        return TopicPage(
            url=url,
            topic=(topic if topic and not is_boilerplate(topic) else None),
            page=page_index(url) if page is None else page,
            teasers=tuple(teasers),
            next_url=next_url,
            profile=name,
        )
    except ValidationError as exc:  # ``url`` itself is unusable (``https://e.gov:99999/``, ``http://``)
        raise ParseError(f"not a usable page URL: {url!r}") from exc
