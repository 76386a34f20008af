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
    best: tuple[int, dt.date, str] | None = None
    for _name, pattern in _PATTERNS:
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
    found = find_date(text)
    return found[0] if found else None
