"""Teaser dates: machine attributes first, then the formats listing pages print.

Written by hand on purpose: ``parsers`` may depend only on the standard library and the HTML
stack, and a fuzzy parser (dateutil) turns a title like "Secure Communities 2011" into a date.
Here a date is recognised only in one of the explicit formats below.
"""

from __future__ import annotations

import datetime as dt
import re

__all__ = ["find_date", "find_month", "find_relative", "parse_date", "resolve_relative"]

_MONTHS = {
    name: i
    for i, names in enumerate(
        (
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}  # fmt: skip
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_YEAR_RE = re.compile(r"(?:19|20)\d\d")
_ISO_START_RE = re.compile(r"(?:19|20)\d\d-[01]\d-[0-3]\d(?!\d)", re.ASCII)
"""An ISO date at the very start: what find_date would find first (its ``iso`` pattern, at 0)."""
_WEEKDAY = r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+)?"

# Each: a name (for tests and debugging) and a pattern with named groups year/month/day.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        ("iso", r"(?<!\d)" + _YEAR + r"-(?P<month>[01]?\d)-(?P<day>[0-3]?\d)(?!\d)"),
        ("us-long", r"\b" + _WEEKDAY + _MONTH + r"\s+" + _DAY + r",?\s+" + _YEAR + r"\b"),
        ("eu-long", r"\b" + _WEEKDAY + _DAY + r"\s+(?:of\s+)?" + _MONTH + r",?\s+" + _YEAR + r"\b"),
        ("us-numeric", r"(?<![\d/])(?P<month>[01]?\d)/(?P<day>[0-3]?\d)/" + _YEAR + r"(?![\d/])"),
        ("eu-dotted", r"(?<![\d.])(?P<day>[0-3]?\d)\.(?P<month>[01]?\d)\.(?:\s)?" + _YEAR + r"(?!\d)"),
        ("iso-slash", r"(?<!\d)" + _YEAR + r"/(?P<month>[01]?\d)/(?P<day>[0-3]?\d)(?!\d)"),
    )
)

_NUMERIC_PATTERNS = tuple((name, pattern) for name, pattern in _PATTERNS if not name.endswith("-long"))
_MONTH_PREFIXES = tuple(sorted({name[:3] for name in _MONTHS}))


def _may_name_a_month(text: str) -> bool:
    """False if no month name can match in ``text``: the month-name patterns (a third of a scan's
    cost each) are then skipped. Twelve substring tests cost less than one of those scans."""
    if not text.isascii():
        return True  # case-insensitive matching folds some non-ASCII letters onto ASCII ones
    lowered = text.lower()
    return any(prefix in lowered for prefix in _MONTH_PREFIXES)


# Shown around a date, and part of "the text as shown" (``date_raw``): a weekday before it
# ("Wed, 02/10/2010" on Drupal) and a time after it ("May 16, 2010 at 06:57 PM" on Blogofile,
# "Sun, 12/22/2013 - 23:58" on Drupal 6, "2005-11-03 23:10" on Drupal 4).
_WEEKDAY_BEFORE_RE = re.compile(
    r"(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s*$", re.IGNORECASE
)
_TIME_AFTER_RE = re.compile(
    r"(?:\s*(?:,|at|@|-|–|—)?\s*(?:[01]?\d|2[0-3])[:.h][0-5]\d(?::[0-5]\d)?(?:\s*[ap]\.?\s?m\b\.?)?)",
    re.IGNORECASE,
)
_MONTH_YEAR_RE = re.compile(r"\b" + _MONTH + r",?\s+" + _YEAR + r"\b", re.IGNORECASE)


# Dates shown relative to the day the page was read: "3 days ago", "Yesterday", "Mar 3" (this
# year's, as newsrooms print them). Recognised only when they make up a whole part of a metadata
# line, give or take a lead-in before ("Posted … on") and a time after, so that "Join us March 3
# for…" or "May 5 reasons to switch" is no date.
_LEAD = r"(?:.{0,50}?\b(?:on|at|posted|updated|published|added)(?:\s*:\s*|\s+)|by\s+[^,]{1,40},\s*)?"
"""What may come before such a date: "Posted", "Updated:", "Posted in Press Releases on", "By
bruceandpaula at", "By joachim," (the phrasings of the corpus pages' explicit dates)."""
_SEPARATOR_RE = re.compile(r"\s*[|·•]\s*")
"""Between the parts of a metadata line: "3 days ago | categories: NPackage | View Comments"."""
_AGO_UNITS: dict[str, int | None] = {
    "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
    "w": None, "wk": None, "wks": None, "week": None, "weeks": None,
    "mo": None, "mos": None, "month": None, "months": None,
    "y": None, "yr": None, "yrs": None, "year": None, "years": None,
}  # fmt: skip
"""Units of "N … ago" in seconds; None where the text does not say which day ("2 weeks ago" is
what WordPress prints from 14 to 20 days): such a date keeps its text but gets no ``date``."""
_AGO_RE = re.compile(
    r"(?:(?:about|around|almost|nearly|over)\s+)?(?P<n>\d{1,4}|an?|one)\s*(?P<unit>"
    + "|".join(sorted(_AGO_UNITS, key=len, reverse=True))
    + r")\.?\s+ago",
    re.IGNORECASE,
)
_DAY_WORD_RE = re.compile(r"(?P<word>just\s+now|today|yesterday)", re.IGNORECASE)
_YEARLESS_RE = re.compile(
    _WEEKDAY + r"(?:" + _MONTH + r"\s+" + _DAY + r"|" + _DAY.replace("day>", "day2>") + r"\s+(?:of\s+)?"
    + _MONTH.replace("month>", "month2>") + r")",
    re.IGNORECASE,
)  # fmt: skip
_RELATIVE_RE = re.compile(
    _LEAD + r"(?P<shown>" + _AGO_RE.pattern + "|" + _DAY_WORD_RE.pattern + "|" + _YEARLESS_RE.pattern + r")"
    + _TIME_AFTER_RE.pattern + r"?\.?",
    re.IGNORECASE,
)  # fmt: skip
_RELATIVE_HINTS = ("ago", "now", "today", "yesterday", *_MONTH_PREFIXES)


def find_relative(text: str) -> str | None:
    """The date part of ``text`` when ``text`` (or one ``|``-separated part of it) is a date shown
    relative to the day the page was read ("3 days ago", "Yesterday", "Updated Mar 3"), else
    None; see :func:`resolve_relative`.

    >>> find_relative("Posted 3 days ago"), find_relative("Mar 3 | 4 comments")
    ('3 days ago', 'Mar 3')
    >>> find_relative("May 5 reasons to switch") is None
    True
    """
    if len(text) > 120:
        return None
    lowered = text.lower()
    if not any(hint in lowered for hint in _RELATIVE_HINTS):
        return None
    for part in _SEPARATOR_RE.split(text.strip()):
        match = _RELATIVE_RE.fullmatch(part)
        if match is not None and 1 <= int(match["day"] or match["day2"] or 1) <= 31:
            return part[match.start("shown") :].rstrip(".").rstrip()
    return None


def resolve_relative(shown: str, reference: dt.datetime) -> dt.date | None:
    """The date ``shown`` (a :func:`find_relative` text) names, read at ``reference`` (when the page
    was fetched, or archived); None if it names none or leaves the day open ("2 months ago").

    A day without a year is the latest one not after the reference (a day of slack for time
    zones): "Dec 30" read on 2 January is last year's. Days are those of ``reference``'s time zone.

    >>> read = dt.datetime(2016, 7, 1, 12, 0, tzinfo=dt.UTC)
    >>> resolve_relative("3 days ago", read), resolve_relative("Dec 30", read)
    (datetime.date(2016, 6, 28), datetime.date(2015, 12, 30))
    """
    match = _RELATIVE_RE.fullmatch(shown.strip())
    if match is None:
        return None
    today = reference.date()
    if match["word"] is not None:
        return today - dt.timedelta(days=1 if match["word"].casefold() == "yesterday" else 0)
    if match["n"] is not None:
        seconds = _AGO_UNITS[match["unit"].casefold()]
        if seconds is None:
            return None
        count = int(match["n"]) if match["n"].isdigit() else 1
        return (reference - dt.timedelta(seconds=count * seconds)).date()
    month = _month(match["month"] or match["month2"])
    day = int(match["day"] or match["day2"])
    latest = today + dt.timedelta(days=1)
    for year in range(today.year + 1, today.year - 8, -1):  # Feb 29 waits for a leap year
        try:
            value = dt.date(year, month, day)
        except ValueError:
            continue
        if value <= latest:
            return value
    return None


def _month(value: str) -> int:
    # casefold(), not lower(): case-insensitive matching lets "ſ" (long s) stand for "s" ("Auguſt").
    return int(value) if value.isdigit() else _MONTHS[value.casefold().rstrip(".")]


def find_date(text: str) -> tuple[dt.date, str] | None:
    """The first date in ``text`` in a known format, with the matched text.

    >>> find_date("Posted on June 23, 2016 by DHS")
    (datetime.date(2016, 6, 23), 'June 23, 2016')
    >>> find_date("By joachim, Wed, 02/10/2010 - 23:02")
    (datetime.date(2010, 2, 10), 'Wed, 02/10/2010 - 23:02')
    >>> find_date("23 June 2016")[0], find_date("06/23/2016")[0], find_date("2016-06-23T10:00")[0]
    (datetime.date(2016, 6, 23), datetime.date(2016, 6, 23), datetime.date(2016, 6, 23))
    """
    if not _YEAR_RE.search(text):
        return None
    patterns = _PATTERNS if _may_name_a_month(text) else _NUMERIC_PATTERNS
    best: tuple[int, dt.date, str] | None = None
    for _name, pattern in patterns:
        for match in pattern.finditer(text):
            try:
                value = dt.date(int(match["year"]), _month(match["month"]), int(match["day"]))
            except (ValueError, KeyError):
                continue
            if best is None or match.start() < best[0]:
                best = (match.start(), value, _shown(text, match.start(), match.end()))
            break
        if best is not None and best[0] == 0:
            break  # nothing can start earlier
    return None if best is None else (best[1], best[2])


def _shown(text: str, start: int, end: int) -> str:
    """The date as shown: the match plus a weekday just before it and a time just after it."""
    before = _WEEKDAY_BEFORE_RE.search(text, 0, start)
    if before is not None and before.end() == start:
        start = before.start()
    after = _TIME_AFTER_RE.match(text, end)
    if after is not None:
        end = after.end()
    return text[start:end].strip()


def find_month(text: str) -> str | None:
    """A month-precision date ("February 2008") filling the whole of ``text``, else None.

    Group headings of archive lists show only the month: the text is kept (``date_raw``) though it
    gives no ``date``.

    >>> find_month("February 2008"), find_month("Posted February 2008")
    ('February 2008', None)
    """
    text = text.strip()
    match = _MONTH_YEAR_RE.fullmatch(text)
    return None if match is None else text


def parse_date(text: str | None) -> dt.date | None:
    """A date from a machine attribute (``datetime``, ``content``) or shown text; None if none.

    >>> parse_date("2015-07-30T00:00:00-04:00")
    datetime.date(2015, 7, 30)
    """
    if not text:
        return None
    if _ISO_START_RE.match(text):  # a machine date: "2016-02-16T00:00:00-04:00"
        try:
            return dt.date(int(text[:4]), int(text[5:7]), int(text[8:10]))
        except ValueError:
            pass  # "2016-02-30": another date may follow, as find_date looks for one
    found = find_date(text)
    return found[0] if found else None
