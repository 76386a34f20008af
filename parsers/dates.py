"""Teaser dates: machine attributes first, then the formats listing pages print.

Written by hand on purpose: ``parsers`` may depend only on the standard library and the HTML
stack, and a fuzzy parser (dateutil) turns a title like "Secure Communities 2011" into a date.
Here a date is recognised only in one of the explicit formats below.

Numeric dates read in this order (the first that makes a valid date): with ``/`` or ``-``
month first, as US sites print them ("06/23/2016"), day first when the first number cannot be a
month ("23/06/2016", "23-06-2016"); with dots day first, as Europe prints them ("23.06.2016"),
month first when the second number cannot be a month ("06.23.2016"). An ambiguous date
("05/06/2016") is therefore read the US way: May 6. Year first is always year, month, day
("2016-06-23", "2016/06/23", "2016.06.23").

A two-digit year ("6/23/16", "23.06.16") is read only where the text is clearly a date: when it
is the whole text, or one ``|``-separated part of it, give or take a lead-in ("Posted on") and a
time, as a date element or a table cell shows it, never in running text (a ratio, a fraction or
a version number there would otherwise become a date). See :data:`TWO_DIGIT_YEAR_PIVOT`.

Text that is not ASCII may also show an Arabic or Hebrew date ("22 يونيو 2023", "22 ביוני 2023"),
a Chinese, Japanese or Korean one ("2023年6月22日"), or Arabic-Indic digits ("٢٢/٠٦/٢٠٢٣"); those
patterns are tried only where such letters are in the text, so ASCII text costs what it did.
"""

from __future__ import annotations

import datetime as dt
import re

__all__ = [
    "TWO_DIGIT_YEAR_PIVOT",
    "find_date",
    "find_month",
    "find_relative",
    "parse_date",
    "resolve_relative",
]

_ENGLISH_MONTHS = (
    "january jan|february feb|march mar|april apr|may|june jun|july jul|august aug"
    "|september sep sept|october oct|november nov|december dec"
)
_OTHER_MONTHS = {
    "fr": "janvier janv|février fevrier févr fevr fév fev|mars|avril avr|mai|juin|juillet juil"
    "|août aout|septembre sept|octobre oct|novembre nov|décembre decembre déc dec",
    "de": "januar jänner jaenner jän|februar feber|märz maerz mär mrz|april|mai|juni|juli|august"
    "|september sept sep|oktober okt|november|dezember dez",
    "es": "enero ene|febrero|marzo|abril abr|mayo|junio|julio|agosto ago"
    "|septiembre setiembre sept set|octubre|noviembre|diciembre dic",
    "it": "gennaio gen|febbraio|marzo|aprile|maggio mag|giugno giu|luglio lug|agosto"
    "|settembre set|ottobre ott|novembre|dicembre dic",
    "nl": "januari|februari|maart mrt|april|mei|juni|juli|augustus|september|oktober|november|december",
    "pt": "janeiro|fevereiro fev|março|abril abr|maio|junho|julho|agosto ago"
    "|setembro set|outubro out|novembro|dezembro dez",
}
"""Month names and the abbreviations newsrooms print, by language, January to December (``|``
between months). Only in day-first dates ("23 juin 2023", "23. Juni 2023", "23 de junio de
2023"), the order these languages write: an English text never reads "set 3, 2016" as a date.
Unaccented spellings are those seen in URLs and ASCII-only templates; "marco" (Portuguese março
without its cedilla) is left out: it is a first name."""
_RTL_MONTHS = {
    # Egypt and the Gulf (months named after the European ones), with the spellings without
    # hamza and Egypt's "يونيه"/"يوليه"; the Maghreb's French-derived names; the Levant's and
    # Iraq's Syriac names, two words for four months ("كانون الثاني", "تشرين الأول").
    "ar": "يناير|فبراير|مارس|أبريل ابريل إبريل|مايو|يونيو يونيه|يوليو يوليه|أغسطس اغسطس"
    "|سبتمبر|أكتوبر اكتوبر|نوفمبر|ديسمبر",
    "ar-maghreb": "جانفي|فيفري|مارس|أفريل افريل|ماي|جوان|جويلية|أوت اوت|سبتمبر|أكتوبر اكتوبر|نوفمبر|ديسمبر",
    "ar-levant": "كانون_الثاني كانون_الثانى|شباط|آذار اذار|نيسان|أيار ايار|حزيران|تموز|آب اب|أيلول ايلول"
    "|تشرين_الأول تشرين_الاول|تشرين_الثاني تشرين_الثانى|كانون_الأول كانون_الاول",
    # Hebrew, bare and with the preposition "ב" ("in") that dates print: "22 ביוני 2023".
    "he": "ינואר בינואר|פברואר בפברואר|מרץ מרס במרץ במרס|אפריל באפריל|מאי במאי|יוני ביוני|יולי ביולי"
    "|אוגוסט באוגוסט|ספטמבר בספטמבר|אוקטובר באוקטובר|נובמבר בנובמבר|דצמבר בדצמבר",
}
"""Arabic and Hebrew month names, as :data:`_OTHER_MONTHS` (day first: "22 يونيو 2023"); ``_``
joins the words of a two-word name (any spacing matches). Sites written right to left show
these; the text is never ASCII, so English pages never try them."""


def _month_table(*tables: str) -> dict[str, int]:
    months: dict[str, int] = {}
    for table in tables:
        for number, names in enumerate(table.split("|"), start=1):
            for name in names.split():
                name = name.replace("_", " ")
                assert months.setdefault(name, number) == number, name  # no name names two months
    return months


_MONTHS = _month_table(_ENGLISH_MONTHS, *_OTHER_MONTHS.values(), *_RTL_MONTHS.values())
"""Every month name (lowercase) → its number: the lookup behind all patterns."""
_ENGLISH = _month_table(_ENGLISH_MONTHS)
_LATIN = _month_table(_ENGLISH_MONTHS, *_OTHER_MONTHS.values())
_RTL = _month_table(*_RTL_MONTHS.values())


def _alternation(names: dict[str, int]) -> str:
    # Longest first: "juni" before "jun". A two-word name matches with any spacing.
    return "|".join(name.replace(" ", r"\s+") for name in sorted(names, key=len, reverse=True))


_MONTH = r"(?P<month>" + _alternation(_ENGLISH) + r")\.?"
_ANY_MONTH = r"(?P<month>" + _alternation(_LATIN) + r")\.?"
_RTL_MONTH = r"(?P<month>" + _alternation(_RTL) + r")"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_DAY_FIRST = r"(?P<day>[0-3]?\d)(?:(?:st|nd|rd|th|er|º|°|ª)?\s+|\.\s*)(?:(?:of|de)\s+)?"
"""A day before its month: "23rd (of) June", "1er juin", "23. Juni", "1º de junio"."""
_YEAR = r"(?P<year>(?:19|20)\d\d)(?!\d)"
"""Ends at a non-digit, not at a word boundary: "June 23, 2023No Comments" (two inline elements
whose text runs together) is a date. Only the numeric forms and ISO can touch letters without a
space; there a letter after the year ("2016-06-23abc") was already accepted."""
_YEAR_RE = re.compile(r"(?:19|20)\d\d")
_ISO_START_RE = re.compile(r"(?:19|20)\d\d-[01]\d-[0-3]\d(?!\d)", re.ASCII)
"""An ISO date at the very start: what find_date would find first (its ``iso`` pattern, at 0)."""
_WEEKDAY = r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+)?"

# Each: a name (for tests and debugging) and a pattern with named groups: year with month and
# day, or with ``a``, ``b`` and ``sep`` (numbers in an order :func:`_value` settles). A weekday
# before the date is no part of a pattern (trying one at every word costs a fifth of a scan):
# :func:`_shown` adds it to the shown text.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        ("iso", r"(?<!\d)" + _YEAR + r"(?P<sep>[-/.])(?P<month>[01]?\d)(?P=sep)(?P<day>[0-3]?\d)(?!\d)"),
        ("us-long", r"\b" + _MONTH + r"\s+" + _DAY + r",?\s+" + _YEAR),
        ("eu-long", r"\b" + _DAY_FIRST + _ANY_MONTH + r"(?:\s+del?)?,?\s+" + _YEAR),
        # Arabic and Hebrew: "22 يونيو 2023", "22 يونيو، 2023" (an Arabic comma), "22 ביוני 2023".
        ("rtl-long", r"(?<!\d)(?P<day>[0-3]?\d)\s+" + _RTL_MONTH + r"\s*[,،]?\s+" + _YEAR),
        ("numeric", r"(?<!\d)(?P<a>[0-3]?\d)(?P<sep>[-/.])(?P<b>[0-3]?\d)(?P=sep)\s?" + _YEAR),
        # Chinese and Japanese "2023年6月22日", Korean "2023년 6월 22일": year, month, day.
        ("cjk", r"(?<!\d)" + _YEAR + r"\s*[年년]\s*(?P<month>[01]?\d)\s*[月월]\s*(?P<day>[0-3]?\d)\s*[日일]"),
    )
)

TWO_DIGIT_YEAR_PIVOT = 69
"""A two-digit year below this is 20yy, from it 19yy: the POSIX ``strptime`` "%y" rule (and
Python's), so "6/23/16" is 2016 and "12/31/99" is 1999."""
_SHORT_MAX_CHARS = 120
"""Longer text is running text, where a two-digit-year date is not looked for (as find_relative)."""
_SHORT_HINT_RE = re.compile(r"\d[/.][0-3]?\d[/.]\d\d(?!\d)")
_DOT_DIGIT_RE = re.compile(r"\.\d")
_DASH_DIGIT_RE = re.compile(r"-\d")


def _value(name: str, match: re.Match[str]) -> dt.date | None:
    """The date a pattern's match names, or None if it names none."""
    year = int(match["year"])
    if year < 100:
        year += 2000 if year < TWO_DIGIT_YEAR_PIVOT else 1900
    text, start, end = match.string, match.start(), match.end()
    if name in ("iso", "cjk") or name.endswith("-long"):
        if (
            name == "iso"
            and match["sep"] == "."
            and (len(match["month"]) < 2 or len(match["day"]) < 2 or _DOT_DIGIT_RE.match(text, end))
        ):
            return None  # "2019.3.1", "2016.06.23.1": version numbers
        try:
            return dt.date(year, _month(match["month"]), int(match["day"]))
        except (ValueError, KeyError):
            return None
    sep, a, b = match["sep"], int(match["a"]), int(match["b"])
    if start and text[start - 1] == sep:
        return None  # "1/06/23/2016", "1.23.06.2016": part of something longer
    if sep == ".":
        if name == "short" and (len(match["a"]) < 2 or len(match["b"]) < 2):
            return None  # "2.4.16" is a version, "02.04.16" a date
        day, month = (b, a) if b > 12 else (a, b)
    else:
        if (sep == "/" and text[end : end + 1] == "/") or (sep == "-" and _DASH_DIGIT_RE.match(text, end)):
            return None  # "06/23/2016/", "06-23-2016-7": part of something longer
        month, day = (b, a) if a > 12 else (a, b)
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


_PATTERN_SETS = {
    (english, other): tuple(
        (name, pattern)
        for name, pattern in _PATTERNS
        if (name != "us-long" or english)
        and (name != "eu-long" or english or other)
        and name not in ("rtl-long", "cjk")
    )
    for english in (False, True)
    for other in (False, True)
}
"""The patterns worth trying in ASCII text, by whether an English and whether any month name may
be in it."""
_SCRIPT_PATTERN_SETS = {
    (rtl, cjk): tuple(
        (name, pattern)
        for name, pattern in _PATTERNS
        if (name != "rtl-long" or rtl) and (name != "cjk" or cjk)
    )
    for rtl in (False, True)
    for cjk in (False, True)
}
"""The patterns worth trying in other text, by whether it holds Hebrew or Arabic letters and
whether a CJK year mark: Arabic, Hebrew and CJK dates are looked for only there."""
_RTL_LETTER_RE = re.compile("[\u05d0-\u05ea\u0621-\u064a]")
_ENGLISH_PREFIXES = tuple(sorted({name[:3] for name in _ENGLISH}))
_ENGLISH_HINT_RE = re.compile("|".join(_ENGLISH_PREFIXES))
_OTHER_HINT_RE = re.compile(
    "|".join(sorted({name[:3] for name in _MONTHS if name.isascii()} - set(_ENGLISH_PREFIXES)))
)


def _may_name_a_month(text: str) -> tuple[bool, bool]:
    """Whether an English month name, and whether any other month name, may match in ``text``:
    the month-name patterns (a third of a scan's cost each) are skipped where none can. A search
    for the names' first three letters costs less than one of those scans."""
    if not text.isascii():
        return True, True  # case-insensitive matching folds some non-ASCII letters onto ASCII ones
    lowered = text.lower()
    if _ENGLISH_HINT_RE.search(lowered):
        return True, True
    return False, _OTHER_HINT_RE.search(lowered) is not None


# Shown around a date, and part of "the text as shown" (``date_raw``): a weekday before it
# ("Wed, 02/10/2010" on Drupal, "Freitag, 23. Juni 2023") and a time after it ("May 16, 2010 at
# 06:57 PM" on Blogofile, "Sun, 12/22/2013 - 23:58" on Drupal 6, "2005-11-03 23:10" on Drupal 4),
# with its time zone ("2016-06-23 14:55 UTC", "Jun. 21, 2016, 9:00 a.m. PDT").
_WEEKDAY_NAMES = {
    "en": "mon monday tue tues tuesday wed weds wednesday thu thur thurs thursday fri friday"
    " sat saturday sun sunday",
    "fr": "lundi mardi mercredi jeudi vendredi samedi dimanche",
    "de": "montag dienstag mittwoch donnerstag freitag samstag sonnabend sonntag",
    "es": "lunes martes miércoles miercoles jueves viernes sábado sabado domingo",
    "it": "lunedì lunedi martedì martedi mercoledì mercoledi giovedì giovedi venerdì venerdi sabato domenica",
    "nl": "maandag dinsdag woensdag donderdag vrijdag zaterdag zondag",
    "pt": "segunda-feira terça-feira terca-feira quarta-feira quinta-feira sexta-feira sábado domingo",
    "ar": "الأحد الاحد الاثنين الإثنين الثلاثاء الأربعاء الاربعاء الخميس الجمعة السبت",
}
_WEEKDAYS = frozenset(name for names in _WEEKDAY_NAMES.values() for name in names.split())
_WEEKDAY_MAX = max(map(len, _WEEKDAYS))
_ZONE = (
    r"(?-i:\s*(?:(?:UTC|GMT)(?:[+-](?:[01]?\d|2[0-3])(?::?[0-5]\d)?)?|[A-Z]{1,4}T)(?![A-Za-z])"
    r"|\s*\+(?:[01]\d|2[0-3]):?[0-5]\d(?!\d)|\s+-(?:[01]\d|2[0-3]):?[0-5]\d(?!\d))"
)
"""A time zone after a time, in capitals: "UTC", "GMT+2", "PDT", "CEST", "ET"; or an offset,
"+02:00", " -0500" (a "-" right after the time is a range, "10:00-11:00", not an offset)."""
_TIME_AFTER_RE = re.compile(
    r"(?:\s*(?:,|at|@|-|–|—)?\s*(?:[01]?\d|2[0-3])[:.h][0-5]\d(?::[0-5]\d)?(?:\s*(?:[ap]\.?\s?m\b\.?|Uhr\b))?"
    + _ZONE
    + r"?)",
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
_RELATIVE_HINTS = ("ago", "now", "today", "yesterday", *_ENGLISH_PREFIXES)


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
    if value.isdigit():
        return int(value)
    name = value.casefold().rstrip(".")
    return _MONTHS[name if name.isascii() else " ".join(name.split())]


def find_date(text: str) -> tuple[dt.date, str] | None:
    """The first date in ``text`` in a known format, with the matched text.

    >>> find_date("Posted on June 23, 2016 by DHS")
    (datetime.date(2016, 6, 23), 'June 23, 2016')
    >>> find_date("By joachim, Wed, 02/10/2010 - 23:02")
    (datetime.date(2010, 2, 10), 'Wed, 02/10/2010 - 23:02')
    >>> find_date("23 June 2016")[0], find_date("06/23/2016")[0], find_date("2016-06-23T10:00")[0]
    (datetime.date(2016, 6, 23), datetime.date(2016, 6, 23), datetime.date(2016, 6, 23))
    >>> find_date("23. Juni 2023")[0], find_date("23 de junio de 2023")[0], find_date("6/23/16")[0]
    (datetime.date(2023, 6, 23), datetime.date(2023, 6, 23), datetime.date(2016, 6, 23))
    """
    if text.isascii():
        digits = text
        patterns = _PATTERN_SETS[_may_name_a_month(text)] if _YEAR_RE.search(text) else ()
    else:
        # Arabic-Indic digits ("٢٢ يونيو ٢٠٢٣") read as ASCII ones: same length, so a match's
        # place in ``digits`` is its place in ``text``, which shows it.
        digits = text.translate(_EASTERN_DIGITS) if _EASTERN_DIGIT_RE.search(text) else text
        patterns = (
            _SCRIPT_PATTERN_SETS[_RTL_LETTER_RE.search(text) is not None, "年" in text or "년" in text]
            if _YEAR_RE.search(digits)
            else ()
        )
    if not patterns:
        return _find_short(digits) if digits is text else _as_shown(_find_short(digits), digits, text)
    best: tuple[int, dt.date, str] | None = None
    for name, pattern in patterns:
        for match in pattern.finditer(digits):
            value = _value(name, match)
            if value is None:
                continue
            if best is None or match.start() < best[0]:
                best = (match.start(), value, _shown(digits, match.start(), match.end(), text))
            break
        if best is not None and best[0] == 0:
            break  # nothing can start earlier
    if best is None:
        return _find_short(digits) if digits is text else _as_shown(_find_short(digits), digits, text)
    return best[1], best[2]


def _as_shown(found: tuple[dt.date, str] | None, digits: str, text: str) -> tuple[dt.date, str] | None:
    """``found`` in ``digits`` (``text`` with ASCII digits), with the date as ``text`` shows it."""
    if found is None:
        return None
    start = digits.find(found[1])
    return found[0], text[start : start + len(found[1])]


_SHORT_RE = re.compile(
    _LEAD + r"(?P<shown>" + _WEEKDAY + r"(?P<a>[0-3]?\d)(?P<sep>[/.])(?P<b>[0-3]?\d)(?P=sep)"
    r"(?P<year>\d\d)(?!\d)" + _TIME_AFTER_RE.pattern + r"?)\.?",
    re.IGNORECASE,
)  # fmt: skip
"""A date with a two-digit year, as the whole of a part of a line (see the module's docstring)."""


def _find_short(text: str) -> tuple[dt.date, str] | None:
    """A date with a two-digit year ("6/23/16", "Posted 23.06.16") that makes up ``text`` or one
    ``|``-separated part of it, with its shown text; None if there is none."""
    if len(text) > _SHORT_MAX_CHARS or not _SHORT_HINT_RE.search(text):
        return None
    for part in _SEPARATOR_RE.split(text.strip()):
        match = _SHORT_RE.fullmatch(part)
        if match is not None and (value := _value("short", match)) is not None:
            return value, match["shown"].rstrip()
    return None


_EASTERN_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "0123456789" * 2)
"""Arabic-Indic digits (Arabic) and their Persian forms, to ASCII."""
_EASTERN_DIGIT_RE = re.compile("[٠-٩۰-۹]")


def _shown(text: str, start: int, end: int, shown: str) -> str:
    """The date as shown: the match plus a weekday just before it and a time just after it, in
    ``text``; cut from ``shown`` (``text`` itself, or with other digits)."""
    start = _weekday_start(text, start)
    after = _TIME_AFTER_RE.match(text, end)
    if after is not None:
        end = after.end()
    return shown[start:end].strip()


def _weekday_start(text: str, start: int) -> int:
    """Where a weekday just before ``start`` begins ("Wed, " in "Wed, 02/10/2010"), else ``start``.

    A word looked up, not a pattern searched for: a search for sixty weekday names at every
    position before each date cost more than finding the date."""
    end = start
    while end and text[end - 1].isspace():
        end -= 1
    end -= text.endswith((",", "،"), 0, end)
    end -= text.endswith(".", 0, end)
    begin = end
    while begin and (text[begin - 1].isalpha() or text[begin - 1] == "-") and end - begin <= _WEEKDAY_MAX:
        begin -= 1
    while begin < end and text[begin] == "-":
        begin += 1  # "… -Wed, 02/10/2010": a dash, not part of the word
    return begin if text[begin:end].casefold() in _WEEKDAYS else start


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
