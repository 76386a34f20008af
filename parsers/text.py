"""Plain-text page dumps (what "copy all", "save as text" or a text browser gives) → the same TopicPage.

A dump has no markup, so structure comes from line shapes. A listing dump reads: a header (site
banner, menu, "You are here" and the breadcrumb), the topic line, then headline / summary blocks
(each maybe with a date line), then a footer (pager, "Subscribe to …", "Back to Top", site links).
The rules, in order:

1. Lines are split at line breaks only (``\\n``, ``\\r\\n``, ``\\r``): a form feed, a vertical tab or a
   Unicode line separator inside a line is a space, as a browser shows it.
2. Each line is classified. *Navigation*: boilerplate phrases (:func:`parsers.clean.is_boilerplate`
   plus the banner, header and footer vocabulary below, also several banner phrases joined on one
   line), pager and result-count lines, markup fragments. *Location*: "You are here" and breadcrumb
   trails (``Home » Topics » …``, ``You are here: Home / Keywords / …``, a lone ``» Topic`` crumb).
   *Footer*: the phrases that only close a listing (``Subscribe to …``, ``Back to Top``, pagers, "Page
   last reviewed …", "Contact Us", "FOIA", …). *Date*: a line that is a date and nothing else (with
   a lead such as ``Posted on``). Runs of four or more short link-like lines (at most
   :data:`MAX_MENU_WORDS` words, no sentence punctuation) are menus: navigation. Footer phrases
   match a whole line ("© 2016 …", "Copyright 2016 U.S. Department …"), never a headline that
   merely starts with one ("Copyright Theft: ICE and Partners Seize 82 Domain Names").
   A line that is navigation or footer by this module's vocabulary only ("Close", "Homeland
   Security", "June 2016", "Stay Connected", "Privacy Policy") is a headline when a prose summary
   follows it: titles use those words too. A line :func:`~parsers.clean.is_boilerplate` calls
   boilerplate ("Share", "Menu", "Subscribe to …"), a pager, a count, a crumb or markup never is.
3. The header ends at the last location line; the first heading-like line after it is the topic,
   whatever its words (a "Homeland Security" keyword page).
   Without a location line, a menu run that reaches the first headline gives up its last line as
   the topic (a menu sits right above the page's heading).
4. Then the body alternates headline / summary. A *headline* is short and does not read as prose
   (a title-cased line ending in an abbreviation, "… Washington, D.C.", is still a headline); a
   *summary* is the paragraph after it. Where a heading-like line follows a headline, it is a new
   headline only if the line after it is not heading-like too (``T T E`` means the first teaser has
   no summary; ``T X T E`` means ``X`` is a short summary). Prose between the topic and the first
   headline is the page's introduction, not a teaser. A summary line left open (no closing
   punctuation) and a next line starting in lower case are one paragraph broken in two. ``X`` in
   ``T X T`` is a headline still when a date line stands between ``T`` and ``X`` (``T D T D``:
   titles with dates, no summaries) or when ``X`` is title-cased (a list of titles). A summary
   under a dropped line (navigation) is never glued to the summary above it: it is skipped.
5. A date line belongs to a teaser: to the one above it, or, when the dump's first date comes
   before its first headline, to the one below it (``date`` and ``date_raw``).
6. The first footer line after a teaser ends the listing: nothing after it becomes a record. (A
   footer phrase with a summary under it is a headline, rule 2, so it ends nothing.)
7. A summary that ends without closing punctuation or with an ellipsis was cut by the site (or the
   dump itself was cut): ``truncated``. A dump that ends mid-line was cut there: its last line,
   after a headline, is that headline's summary however short; as a new headline it is dropped
   (with a warning), since a cut title is a wrong title that no field could flag.
8. A listing shows a teaser with a prose summary, or a date, or at least
   :data:`MIN_TITLE_ONLY_TEASERS` titles that read as titles (:data:`MIN_TITLE_WORDS` words or more,
   title-cased, mostly letters, no ``key: value`` head, no date or timestamp inside): a list of
   headlines under a topic is a listing. Anything else (``/proc/self/status``'s ``key: value``
   lines, a log's timestamped lines, a word list, lower-case tokens) has no listing shape:
   :class:`~parsers.errors.NoTeasersFound`.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from parsers.clean import clean_excerpt, is_boilerplate, looks_truncated, normalize_space
from parsers.dates import find_date, find_month, find_relative
from parsers.errors import NoTeasersFound, ParseError
from parsers.records import Teaser, TopicPage

__all__ = ["looks_like_text_dump", "parse_text_dump"]

logger = logging.getLogger(__name__)

MAX_HEADLINE_CHARS = 200  # the seed's longest title is 73 chars; DHS titles run to ~150
MAX_HEADLINE_WORDS = 30
MIN_PROSE_WORDS = 12  # a sentence-final line at least this long reads as a summary, not a title
MAX_MENU_WORDS = 4  # DHS menu and footer links: "How Do I?", "No FEAR Act Data" (4 words)
MAX_MENU_CHARS = 40  # "Office of the Inspector General" (31) with room to spare
MIN_MENU_RUN = 4  # topic + "T T E" makes 3 short lines in a row; DHS menus hold 5 links or more
MAX_DATE_LINE_CHARS = 80  # "Release Date: Wednesday, June 22, 2016 at 10:30 AM" with room to spare
MIN_PROSE_LETTER_SHARE = 0.6  # prose is mostly letters; "Mems_allowed: 00000000,…" is not
MIN_TITLE_CASE_SHARE = 0.75  # DHS headlines capitalise every word of 4+ letters; prose ~0.1-0.3
MIN_TITLE_WORDS = 3  # "Statement on Orlando"; a word list or "Name: python" has fewer
MIN_TITLE_ONLY_TEASERS = 2  # a list of titles without summaries: one title alone is no listing
DUMP_SNIFF_CHARS = 4096  # the CLI hands over the first 4 KB of a file
Kind = Literal["text", "nav", "location", "footer", "date", "menu"]

# Line breaks only: str.splitlines() also splits at form feeds, U+2028 and friends, which a
# browser shows as spaces inside a title.
_LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")

# Where the reader is: the header ends at the last of these.
_LOCATION_RE = re.compile(
    r"you ?are ?here\b.*"  # "You are here", "You are here: Home / Keywords / Secure Communities"
    r"|(?:home|topics?|news|keywords?)\b.*\s[»›>/|]\s.*"  # "Home » Topics » Disasters"
    r"|[»›]\s*\S.{0,150}",  # a crumb on its own line, as a text browser breaks "Home » 287(g)"
    re.IGNORECASE,
)

# Site banners and header links, each seen on a DHS page (2011-2020s) or the federal banner.
# A copy joins the flag image's alt text and the banner text on one line, so a line made of
# several of these phrases is navigation as well.
_HEADER_PHRASES = (
    r"us flag signifying that this is a united states federal government website",
    r"(?:an )?official website of the (?:united states government|department of homeland security"
    r"|u\.s\. department of homeland security)",
    r"here['’]?s how you know",
    r"official websites use \.gov",
    r"a \.gov website belongs to an official government organization in the united states\.?",
    r"secure \.gov websites use https",
    r"a lock \(.{0,40}\) or https:// means you['’]?ve safely connected to the \.gov website\.?",
    r"share sensitive information only on official, secure websites\.?",
    r"the \.gov means it['’]?s official\.?",
    r"federal government websites (?:often|always) end in \.gov or \.mil\.?",
    r"before sharing sensitive information,? make sure you['’]?re on a federal government site\.?",
    r"the site is secure\.?",
    r"the https:// ensures that you are connecting to the official website and that any"
    r" information you provide is encrypted and transmitted securely\.?",
    r"some features of this site require javascript\.?",
    r"skip to (?:main )?(?:content|navigation)",
    r"search form|search (?:dhs|this site)",
    r"(?:main |site )?(?:menu|navigation)|toggle navigation|close",
    r"homeland security",
)
_HEADER_RE = re.compile(rf"(?:(?:{'|'.join(_HEADER_PHRASES)})[\s.|:]*)+", re.IGNORECASE)

# What closes a listing: once a teaser has been read, the first of these ends it. Seen on DHS
# keyword and topic pages (2011-2017) and the USWDS footer.
_FOOTER_PHRASES = (
    r"subscribe to .{1,120}",
    r"back to top",
    r"(?:page )?last (?:published|updated|modified|reviewed)(?:/(?:published|updated|modified"
    r"|reviewed))?(?: date)?(?: on)?:?.{0,60}",
    r"related (?:topics|links|content)",
    r"connect with (?:dhs|us)|follow (?:dhs|us)(?: on .{1,40})?|stay connected",
    r"rss(?: feeds?)?",
    r"(?:sign up|subscribe) (?:for|to) (?:e-?mail|email) (?:updates|alerts)|(?:e-?mail|email) updates",
    r"contact (?:us|dhs)|site (?:links|map)|sitemap|accessibility|foia(?: requests)?|privacy policy",
    r"no fear act(?: data)?|plain writing|(?:office of (?:the )?)?inspector general|usa\.gov",
    r"the white house|web(?:site)? policies|important links",
    # "© 2016 …", "Copyright 2016 U.S. Department …", "Copyright © DHS": never "Copyright Theft: …"
    r"©.{0,100}|(?:copyright\s*(?:©|\(c\))?|\(c\))\s*(?:\d{4}|©).{0,100}",
)
_FOOTER_RE = re.compile("|".join(_FOOTER_PHRASES), re.IGNORECASE)
_PAGER_WORD = r"(?:\d+|…|\.\.\.|[«‹›»<>]+|first|previous|prev|next|last|older|newer|page|of|go to)"
_PAGER_RE = re.compile(rf"(?:{_PAGER_WORD}[\s,|]*)+", re.IGNORECASE)
# "Showing 1 - 5 of 23 results", "Displaying 11-20 of 57", "Page 1 of 5".
_COUNT_RE = re.compile(
    r"(?:(?:showing|displaying|viewing|results?|items?)\s*)?\d+\s*(?:-|–|—|to)\s*\d+\s+of\s+"
    r"(?:about\s+)?[\d,]+(?:\s+(?:results?|items?|entries|records|stories|posts))?"
    r"|page\s+\d+\s+of\s+\d+",
    re.IGNORECASE,
)
# Share buttons and social links: navigation, but also found inside a listing.
_SOCIAL_RE = re.compile(
    r"share(?: this(?: page| article| story| post)?)?:?|facebook|twitter|youtube|flickr|instagram"
    r"|linkedin|e-?mail|print(?: this page)?|tweet",
    re.IGNORECASE,
)
_MARKUP_LINE_RE = re.compile(r"<[!/?a-z][^<>]*>?|-->|[|•·]+", re.IGNORECASE)
# "Read more" broken before its hidden " about <title>" part, as a text browser renders it.
_ABOUT_RE = re.compile(r"about\s", re.IGNORECASE)

_TERMINAL_CHARS = frozenset(".!?;:…)]\"'”’»")  # what ends a sentence (as parsers.clean reads it)
_SENTENCE_END_RE = re.compile(r"[.;:…]['\"”’)]?$")
# A headline may end in an abbreviation's full stop: "… in Washington, D.C.", "… U.S.", "… Inc."
_ABBREVIATION_END_RE = re.compile(
    r"(?:\b(?:[A-Z]\.){2,}|\b(?:Jr|Sr|Inc|Co|Corp|Ltd|St|Mt|Ft|Dr|No|Gov|Sen|Rep|Dept|Gen|Lt|Col)\.)$"
)
# "Name:\tpython", "voluntary_ctxt_switches:\t1": a key (one token) then its value.
_KEY_VALUE_RE = re.compile(r"[\w.-]+:\s")
_LONG_WORD_RE = re.compile(r"[^\W\d_]{4,}")
_LETTER_RE = re.compile(r"[^\W\d_]")
# What may stand around a date on a line of its own: "Posted on", "Release Date:", separators.
_DATE_LEAD_RE = re.compile(
    r"(?:(?:posted|published|updated|released?|release date|date|dated|issued)\s*(?:on)?\s*:?)?",
    re.IGNORECASE,
)
_DATE_REST_STRIP = " \t,;|-–—·•:"
_HTML_TAGS = (
    "html|head|body|div|p|a|meta|title|link|script|style|span|ul|ol|li|dl|dt|dd|table|thead|tbody"
    "|tfoot|tr|td|th|section|article|main|nav|header|footer|aside|h[1-6]|img|br|hr|form|input"
    "|button|iframe|noscript|strong|em|b|i|u|center|font|figure|picture|svg|template|label|select"
    "|option|textarea|blockquote|pre|code|small|time|address|base|frameset|frame"
)
# A dump never opens with markup, and never holds a whole tag of HTML's own vocabulary.
_MARKUP_START_RE = re.compile(r"<(?:!|\?|/?[a-z][a-z0-9-]*[\s/>])", re.IGNORECASE)
_HTML_TAG_RE = re.compile(rf"<!--|<!doctype\b|<\?xml\b|</?(?:{_HTML_TAGS})(?:\s[^<>]*)?/?>", re.IGNORECASE)


@dataclass(frozen=True)
class _Line:
    """One non-blank line of the dump, with what it is."""

    text: str
    kind: Kind
    number: int
    """0-based index among the dump's lines (blank ones included)."""
    date: dt.date | None = None
    date_raw: str | None = None
    soft: bool = False
    """Navigation by this module's vocabulary only (not :func:`is_boilerplate`, no pager, count,
    crumb or markup): a headline when a summary follows it (rule 2 of the module docstring)."""


@dataclass
class _Draft:
    """A teaser being read (mutable while the body is walked, then frozen into a Teaser)."""

    title: str
    paragraphs: list[str] = field(default_factory=list)
    date: dt.date | None = None
    date_raw: str | None = None


def _is_headline(line: str) -> bool:
    words = len(line.split())
    if len(line) > MAX_HEADLINE_CHARS or words > MAX_HEADLINE_WORDS or not _LETTER_RE.search(line):
        return False
    if line.endswith(".") and _ABBREVIATION_END_RE.search(line) and _title_cased(line):
        return True  # "Remarks at the U.S. Conference of Mayors … in Washington, D.C."
    return not (_SENTENCE_END_RE.search(line) and words >= MIN_PROSE_WORDS) and not line.endswith(".")


def _is_prose(line: str) -> bool:
    """A summary line that reads as prose: not heading-like, mostly letters, several words."""
    chars = len(line) - line.count(" ")
    letters = len(_LETTER_RE.findall(line))
    return not _is_headline(line) and len(line.split()) >= 2 and letters >= MIN_PROSE_LETTER_SHARE * chars


def _title_cased(line: str) -> bool:
    words = _LONG_WORD_RE.findall(line)
    capitalised = sum(word[0].isupper() for word in words)
    return len(words) >= 2 and capitalised >= MIN_TITLE_CASE_SHARE * len(words)


def _reads_as_title(line: str) -> bool:
    """A headline that stands on its own words (rule 8): several words, title-cased, mostly letters,
    no ``key: value`` head. "Secretary Johnson Visits Southern Border Facilities in Texas" is one;
    "VmPeak: 50736 kB", "2016-06-20 12:00:01 INFO start" and "Gamma" are not."""
    chars = len(line) - line.count(" ")
    letters = len(_LETTER_RE.findall(line))
    return (
        len(line.split()) >= MIN_TITLE_WORDS
        and _title_cased(line)
        and letters >= MIN_PROSE_LETTER_SHARE * chars
        and not _KEY_VALUE_RE.match(line)
        and not find_date(line)
    )


def _continues(previous: str, line: str) -> bool:
    """True if ``line`` goes on with the sentence ``previous`` left open: a paragraph broken in two
    ("… will continue to see an" / "enhanced security presence at airports …")."""
    return line[:1].islower() and previous[-1:] not in _TERMINAL_CHARS


def _is_menu_like(line: str) -> bool:
    """A short line that reads as a link: a few words, no sentence punctuation ("How Do I?")."""
    return (
        len(line) <= MAX_MENU_CHARS
        and len(line.split()) <= MAX_MENU_WORDS
        and not line.endswith((".", "!", ":", ";", ",", "…"))
        and bool(_LETTER_RE.search(line))
    )


def _date_of(line: str) -> tuple[dt.date | None, str] | None:
    """``(date, shown)`` if the line is a date and nothing else, else None."""
    if len(line) > MAX_DATE_LINE_CHARS:
        return None
    found = find_date(line)
    if found is not None:
        value, shown = found
        rest = line.replace(shown, " ", 1).strip(_DATE_REST_STRIP)
        return (value, shown) if _DATE_LEAD_RE.fullmatch(rest) else None
    relative = find_relative(line)
    if relative is not None:
        rest = line.replace(relative, " ", 1).strip(_DATE_REST_STRIP)
        return (None, relative) if _DATE_LEAD_RE.fullmatch(rest) else None
    return None


def _kind(line: str, previous: _Line | None) -> tuple[Kind, bool]:
    """The line's kind, and whether it is navigation by vocabulary only (``soft``)."""
    bare = line.strip(" .:|-–—")
    if _LOCATION_RE.fullmatch(line):
        return "location", False
    if _COUNT_RE.fullmatch(bare):
        return "footer", False
    if _PAGER_RE.fullmatch(line):
        # A lone number is no pager ("2016" heads a year's group of teasers): just no teaser.
        return ("nav" if line.isdigit() else "footer"), False
    if is_boilerplate(line, normalized=True) or _MARKUP_LINE_RE.fullmatch(line):
        return "nav", False
    if _FOOTER_RE.fullmatch(bare):
        return "footer", True
    if (
        _HEADER_RE.fullmatch(line)
        or _SOCIAL_RE.fullmatch(bare)
        or find_month(line)  # "June 2016": a group heading, no teaser's own date
    ):
        return "nav", True
    if (
        previous is not None
        and previous.kind == "nav"
        and "read" in previous.text.lower()
        and _ABOUT_RE.match(line)
        and is_boilerplate(f"Read more {line}", normalized=True)
    ):
        return "nav", False  # "Read more" / "about <title>": one link broken over two lines
    return "text", False


def _classify(raw_lines: list[str]) -> list[_Line]:
    lines: list[_Line] = []
    for number, raw in enumerate(raw_lines):
        text = normalize_space(raw)
        if not text:
            continue
        shown = _date_of(text)
        if shown is not None:
            lines.append(_Line(text, "date", number, date=shown[0], date_raw=shown[1]))
            continue
        kind, soft = _kind(text, lines[-1] if lines else None)
        lines.append(_Line(text, kind, number, soft=soft))
    # A line is a headline, whatever vocabulary it matches, when a summary follows it.
    for at, line in enumerate(lines[:-1]):
        after = lines[at + 1]
        if line.soft and _is_headline(line.text) and after.kind == "text" and _is_prose(after.text):
            lines[at] = _Line(line.text, "text", line.number)
    return _mark_menus(lines)


def _mark_menus(lines: list[_Line]) -> list[_Line]:
    """Short link-like lines in runs of :data:`MIN_MENU_RUN` or more become ``menu``.

    Navigation lines inside a run neither break nor count toward it (a menu holds "Search" and
    "Contact Us" as well); a location line, a date or a longer line ends it.
    """
    out = list(lines)
    run: list[int] = []

    def close() -> None:
        if len(run) >= MIN_MENU_RUN:
            for at in run:
                out[at] = _Line(out[at].text, "menu", out[at].number)
        run.clear()

    for at, line in enumerate(lines):
        if line.kind == "text" and _is_menu_like(line.text):
            run.append(at)
        elif line.kind not in ("nav", "footer"):
            close()
    close()
    return out


def _topic_and_body(lines: list[_Line]) -> tuple[str | None, list[_Line]]:
    """The topic line, and the lines after it (rule 3 of the module docstring)."""
    # Only a location line above the first summary counts: a title may look like a breadcrumb.
    first_prose = next(
        (i for i, line in enumerate(lines) if line.kind == "text" and _is_prose(line.text)), len(lines)
    )
    locations = [i for i, line in enumerate(lines[:first_prose]) if line.kind == "location"]
    start = locations[-1] + 1 if locations else 0
    if locations:  # right after the crumb, a heading is the topic whatever its words
        first = next(
            (i for i in range(start, len(lines)) if lines[i].kind in ("text", "menu") or lines[i].soft),
            None,
        )
        if first is not None and lines[first].soft and _is_headline(lines[first].text):
            return lines[first].text, lines[first + 1 :]
    lead: list[int] = []  # heading-like lines before the first summary
    for i in range(start, len(lines)):
        line = lines[i]
        if line.kind in ("text", "menu"):
            if line.kind == "text" and not _is_headline(line.text):
                break
            lead.append(i)
    else:
        lead = [i for i in lead if lines[i].kind == "text"]
        return (lines[lead[0]].text, lines[lead[0] + 1 :]) if lead else (None, lines[start:])
    # A menu run that reaches the first headline (or the first summary) ends with the heading.
    for at in reversed(lead[-2:]):
        if lines[at].kind == "menu":
            return lines[at].text, lines[at + 1 :]
    kept = [i for i in lead if lines[i].kind == "text"]
    if kept:
        return lines[kept[0]].text, lines[kept[0] + 1 :]
    return None, lines[start:]


def _read_teasers(body: list[_Line], cut_line: int | None) -> list[_Draft]:
    """Walk the body (rules 4-7 of the module docstring)."""
    content: list[_Line] = []
    after_gap: set[int] = set()  # content lines with a dropped (navigation) line right above
    gap = False
    for line in body:
        if line.kind == "footer" and content:
            break
        if line.kind in ("text", "date"):
            if gap:
                after_gap.add(len(content))
            content.append(line)
            gap = False
        elif content and line.kind != "location":
            gap = True
    headline = [line.kind == "text" and _is_headline(line.text) for line in content]
    first_headline = headline.index(True) if True in headline else len(content)
    # Whether the next text line (dates skipped) is heading-like, for each line: one pass back.
    next_is_headline = [False] * len(content)
    for i in range(len(content) - 2, -1, -1):
        after = content[i + 1]
        next_is_headline[i] = headline[i + 1] if after.kind == "text" else next_is_headline[i + 1]
    dates_lead = any(line.kind == "date" for line in content[:first_headline])

    drafts: list[_Draft] = []
    pending: _Line | None = None  # a date shown above the headline it belongs to
    in_summary = False  # the previous line was a summary's
    for i, line in enumerate(content):
        if line.kind == "date":
            if dates_lead or not drafts:
                pending = pending or line
            elif drafts[-1].date_raw is None:
                drafts[-1].date, drafts[-1].date_raw = line.date, line.date_raw
            in_summary = False
            continue
        after_headline = bool(drafts) and not drafts[-1].paragraphs
        is_cut = line.number == cut_line
        if (
            not headline[i]
            or (is_cut and after_headline)
            or (in_summary and _continues(drafts[-1].paragraphs[-1], line.text))
        ):
            if drafts and i in after_gap and drafts[-1].paragraphs:
                # A summary under a dropped line ("Share" and its text): never glued to the last one.
                logger.debug("summary under a dropped line skipped: %.60r", line.text)
                in_summary = False
            elif drafts:
                drafts[-1].paragraphs.append(line.text)
                in_summary = True
            continue  # before any headline: the page's introduction
        in_summary = False
        if (
            after_headline
            and next_is_headline[i]
            and content[i - 1].kind == "text"  # a date between them closes the first teaser
            and not _title_cased(line.text)  # "Short note", not "Secretary Johnson Visits …"
        ):
            drafts[-1].paragraphs.append(line.text)  # T X T: X is a short summary
            in_summary = True
            continue
        if is_cut:
            logger.warning("dump cut in a headline: %r dropped", line.text)
            continue
        draft = _Draft(line.text)
        if pending is not None:
            draft.date, draft.date_raw, pending = pending.date, pending.date_raw, None
        drafts.append(draft)
    return drafts


def looks_like_text_dump(text: str) -> bool:
    """True if ``text`` holds no HTML markup at the start, so it should be read as a dump.

    A dump never opens with markup (a tag, a comment, a doctype), nor holds a whole tag of HTML's
    own vocabulary (``<ul class="news-list">``) in its first :data:`DUMP_SNIFF_CHARS` characters;
    a page opening with a long licence comment or a bare ``<table>`` is HTML.

    >>> looks_like_text_dump("You are here\\n\\nSecure Communities"), looks_like_text_dump("<!-- ©")
    (True, False)
    """
    head = text.lstrip("\ufeff \t\r\n")[:DUMP_SNIFF_CHARS]
    return not (_MARKUP_START_RE.match(head) or _HTML_TAG_RE.search(head))


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
    raw_lines = _LINE_BREAK_RE.split(text.lstrip("\ufeff"))
    # Cut mid-line (no line break at the end): the last line was being written when it stopped.
    cut_line = len(raw_lines) - 1 if normalize_space(raw_lines[-1]) else None
    topic, body = _topic_and_body(_classify(raw_lines))
    drafts = _read_teasers(body, cut_line)

    out = []
    for position, draft in enumerate(drafts, 1):
        excerpt = clean_excerpt(" ".join(draft.paragraphs)) if draft.paragraphs else None
        out.append(
            Teaser(
                title=draft.title,
                excerpt=excerpt,
                truncated=looks_truncated(excerpt),
                date=draft.date,
                date_raw=draft.date_raw,
                position=position,
            )
        )
    if not (
        any(d.date_raw or any(map(_is_prose, d.paragraphs)) for d in drafts)
        or sum(_reads_as_title(d.title) for d in drafts) >= MIN_TITLE_ONLY_TEASERS
    ):
        raise NoTeasersFound(page_url, "text")  # no summary, no date, no titles: no listing shape
    try:
        return TopicPage(url=page_url, topic=topic, teasers=tuple(out), profile="text")
    except ValidationError as exc:  # ``url`` itself is unusable (``https://[::1/``)
        raise ParseError(f"not a usable page URL: {page_url!r}") from exc
