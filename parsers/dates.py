"""Teaser dates: machine attributes first, then the formats listing pages print.

Written by hand on purpose: ``parsers`` may depend only on the standard library and the HTML
stack, and a fuzzy parser (dateutil) turns a title like "Secure Communities 2011" into a date.
Here a date is recognised only in one of the explicit formats below.
"""

from __future__ import annotations

import datetime as dt
import re

__all__ = ["find_date", "find_month", "parse_date"]

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


def _month(value: str) -> int:
    return int(value) if value.isdigit() else _MONTHS[value.lower().rstrip(".")]


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
