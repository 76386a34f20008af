"""Bytes to text, the way a browser would, before any HTML parser sees the page.

Lexbor assumes UTF-8 when handed bytes, which garbles the many 2010s government pages that declare
windows-1252 only in a ``<meta>`` tag. The order here is HTML's "determining the character
encoding": a byte-order mark, the HTTP charset, the ``<meta>`` prescan (comments skipped), then
heuristics: valid or all-but-valid UTF-8, then bs4's ``UnicodeDammit``. Labels and decoders are the
WHATWG Encoding Standard's (https://encoding.spec.whatwg.org/): ``iso-8859-1`` and ``ascii`` mean
windows-1252, whose five unassigned bytes are C1 controls, ``gb2312`` means GBK (read by the
gb18030 decoder), ``utf-16`` means UTF-16LE, a ``<meta>`` naming UTF-16 means UTF-8. A declared
UTF-8 reads invalid bytes as U+FFFD, as browsers do, instead of abandoning the declaration.

Two deliberate departures, where a browser would show mojibake: a windows-1252 label over bytes
that are (all but) valid UTF-8 reads them as UTF-8, and a declaration that cannot decode the bytes
(more errors than characters) is not trusted blindly: the next step is tried. Inputs that are not
text at all (PDFs, images, archives, NUL-ridden blobs) are refused with
:class:`~parsers.errors.UndecodableInput` so no garbage becomes a record.
"""

from __future__ import annotations

import codecs
import re

from parsers.errors import InputTooLarge, UndecodableInput

__all__ = ["MAX_INPUT_BYTES", "charset_from_content_type", "decode_html", "html_source", "sniff_binary"]

MAX_INPUT_BYTES = 20 * 1024 * 1024
"""Largest page the parsers accept. The heaviest real listing in tests/corpus is ~300 KB; a 20 MB
"page" is a dump or an attack, and parsing it would hold hundreds of MB of tree."""

# Signatures of formats that are certainly not a web page (checked on the first bytes).
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"GIF8", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"PK\x03\x04", "a ZIP archive (or office document)"),
    (b"\x1f\x8b", "gzip-compressed data (decompress it first)"),
    (b"BZh", "bzip2-compressed data"),
    (b"\x7fELF", "an executable"),
    (b"WARC/", "a WARC file (use `topicscrape parse FILE.warc.gz`)"),
)
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16le"),
    (codecs.BOM_UTF16_BE, "utf-16be"),
)

# The WHATWG Encoding Standard's label table (https://encoding.spec.whatwg.org/#names-and-labels,
# encodings.json): every label a browser accepts, by the encoding it names. Any other label is
# unknown to browsers (utf-7, utf-32, ebcdic…) and ignored, even where Python has a codec for it.
_WHATWG_LABELS: dict[str, str] = {
    "utf-8": "unicode-1-1-utf-8 unicode11utf8 unicode20utf8 utf-8 utf8 x-unicode20utf8",
    "ibm866": "866 cp866 csibm866 ibm866",
    "iso-8859-2": "csisolatin2 iso-8859-2 iso-ir-101 iso8859-2 iso88592 iso_8859-2 iso_8859-2:1987 l2 latin2",
    "iso-8859-3": "csisolatin3 iso-8859-3 iso-ir-109 iso8859-3 iso88593 iso_8859-3 iso_8859-3:1988 l3 latin3",
    "iso-8859-4": "csisolatin4 iso-8859-4 iso-ir-110 iso8859-4 iso88594 iso_8859-4 iso_8859-4:1988 l4 latin4",
    "iso-8859-5": (
        "csisolatincyrillic cyrillic iso-8859-5 iso-ir-144 iso8859-5 iso88595 iso_8859-5 iso_8859-5:1988"
    ),
    "iso-8859-6": (
        "arabic asmo-708 csiso88596e csiso88596i csisolatinarabic ecma-114 iso-8859-6 iso-8859-6-e "
        "iso-8859-6-i iso-ir-127 iso8859-6 iso88596 iso_8859-6 iso_8859-6:1987"
    ),
    "iso-8859-7": (
        "csisolatingreek ecma-118 elot_928 greek greek8 iso-8859-7 iso-ir-126 iso8859-7 iso88597 "
        "iso_8859-7 iso_8859-7:1987 sun_eu_greek"
    ),
    "iso-8859-8": (
        "csiso88598e csisolatinhebrew hebrew iso-8859-8 iso-8859-8-e iso-ir-138 iso8859-8 iso88598 "
        "iso_8859-8 iso_8859-8:1988 visual"
    ),
    "iso-8859-8-i": "csiso88598i iso-8859-8-i logical",
    "iso-8859-10": "csisolatin6 iso-8859-10 iso-ir-157 iso8859-10 iso885910 l6 latin6",
    "iso-8859-13": "iso-8859-13 iso8859-13 iso885913",
    "iso-8859-14": "iso-8859-14 iso8859-14 iso885914",
    "iso-8859-15": "csisolatin9 iso-8859-15 iso8859-15 iso885915 iso_8859-15 l9",
    "iso-8859-16": "iso-8859-16",
    "koi8-r": "cskoi8r koi koi8 koi8-r koi8_r",
    "koi8-u": "koi8-ru koi8-u",
    "macintosh": "csmacintosh mac macintosh x-mac-roman",
    "windows-874": "dos-874 iso-8859-11 iso8859-11 iso885911 tis-620 windows-874",
    "windows-1250": "cp1250 windows-1250 x-cp1250",
    "windows-1251": "cp1251 windows-1251 x-cp1251",
    "windows-1252": (
        "ansi_x3.4-1968 ascii cp1252 cp819 csisolatin1 ibm819 iso-8859-1 iso-ir-100 iso8859-1 "
        "iso88591 iso_8859-1 iso_8859-1:1987 l1 latin1 us-ascii windows-1252 x-cp1252"
    ),
    "windows-1253": "cp1253 windows-1253 x-cp1253",
    "windows-1254": (
        "cp1254 csisolatin5 iso-8859-9 iso-ir-148 iso8859-9 iso88599 iso_8859-9 iso_8859-9:1989 l5 "
        "latin5 windows-1254 x-cp1254"
    ),
    "windows-1255": "cp1255 windows-1255 x-cp1255",
    "windows-1256": "cp1256 windows-1256 x-cp1256",
    "windows-1257": "cp1257 windows-1257 x-cp1257",
    "windows-1258": "cp1258 windows-1258 x-cp1258",
    "x-mac-cyrillic": "x-mac-cyrillic x-mac-ukrainian",
    "gbk": "chinese csgb2312 csiso58gb231280 gb2312 gb_2312 gb_2312-80 gbk iso-ir-58 x-gbk",
    "gb18030": "gb18030",
    "big5": "big5 big5-hkscs cn-big5 csbig5 x-x-big5",
    "euc-jp": "cseucpkdfmtjapanese euc-jp x-euc-jp",
    "iso-2022-jp": "csiso2022jp iso-2022-jp",
    "shift_jis": "csshiftjis ms932 ms_kanji shift-jis shift_jis sjis windows-31j x-sjis",
    "euc-kr": (
        "cseuckr csksc56011987 euc-kr iso-ir-149 korean ks_c_5601-1987 ks_c_5601-1989 ksc5601 "
        "ksc_5601 windows-949"
    ),
    "replacement": "csiso2022kr hz-gb-2312 iso-2022-cn iso-2022-cn-ext iso-2022-kr",
    "utf-16be": "unicodefffe utf-16be",
    "utf-16le": "csunicode iso-10646-ucs-2 ucs-2 unicode unicodefeff utf-16 utf-16le",
    "x-user-defined": "x-user-defined",
}
_ENCODING_OF_LABEL = {label: name for name, labels in _WHATWG_LABELS.items() for label in labels.split()}

# The Python codec that reads each WHATWG encoding, where the names differ. GBK's decoder *is*
# gb18030's in the standard; WHATWG Big5 includes HKSCS; WHATWG Shift_JIS and EUC-KR are
# Microsoft's code pages 932 and 949; iso2022_jp_ext also reads the half-width katakana escape.
# Known small differences remain: WHATWG Shift_JIS reads 0x8160 as U+301C (cp932: U+FF5E), and
# x-mac-cyrillic is the Ukrainian variant of mac_cyrillic.
_PYTHON_CODEC = {
    "ibm866": "cp866",
    "iso-8859-8-i": "iso8859-8",
    "koi8-u": "koi8-u",
    "macintosh": "mac-roman",
    "windows-874": "cp874",
    "x-mac-cyrillic": "mac-cyrillic",
    "gbk": "gb18030",
    "big5": "big5hkscs",
    "iso-2022-jp": "iso2022-jp-ext",
    "shift_jis": "cp932",
    "euc-kr": "cp949",
    "utf-16be": "utf-16-be",
    "utf-16le": "utf-16-le",
}
_UTF16 = frozenset({"utf-16le", "utf-16be"})

# Bytes a WHATWG decoder maps where the Python codec has nothing (its error handler fills them in).
# The windows-* indexes give every byte 0x80-0x9F a code point, the unassigned ones their C1
# control (Python's cp1252 rejects 0x81, 0x8D, 0x8F, 0x90, 0x9D); index-windows-1255 adds U+05BA;
# the gb18030 decoder reads a lone 0x80 as the euro sign (GBK's single-byte euro).
_C1 = {byte: chr(byte) for byte in range(0x80, 0xA0)}
_EXTRA_BYTES: dict[str, dict[int, str]] = {
    **{f"windows-{page}": _C1 for page in (874, *range(1250, 1259))},
    "windows-1255": {**_C1, 0xCA: "\u05ba"},
    "gbk": {0x80: "\u20ac"},
    "gb18030": {0x80: "\u20ac"},
}
# Characters WHATWG's index has where Python's codec has another (KOI8-U is KOI8-RU on the web).
_REMAP: dict[str, dict[int, str]] = {"koi8-u": {0x255D: "\u045e", 0x256C: "\u040e"}}
# x-user-defined puts bytes 0x80-0xFF in the private use area at U+F780-U+F7FF.
_X_USER_DEFINED = {byte: 0xF700 + byte for byte in range(0x80, 0x100)}

_CT_CHARSET_RE = re.compile(r"charset\s*=\s*[\"']?\s*([\w.:-]+)", re.IGNORECASE)
_META_PRESCAN_BYTES = 4096  # beyond the standard's 1024: real pages put long <head>s first
_SNIFF_BYTES = 4096  # the span the NUL test and the UTF-16 guess look at
_MAX_CONTROL_RATIO = 0.02  # text with more C0 controls than this is a binary body, not a page
# Binary bodies show themselves at the start (the NUL test covers the same span); a regex over
# the whole page would cost a third of the parse.
_CONTROL_SAMPLE_CHARS = 4096
# C0 controls, and C1 controls: no real page has them, but latin-1 turns any garbage byte into one.
# As latin-1 bytes each is one byte of the same value, counted by bytes.translate (a table lookup
# per byte): a character-class regex over the sample costs a tenth of the parse.
_CONTROL_BYTES = bytes([*range(0x00, 0x09), *range(0x0E, 0x20), *range(0x7F, 0xA0)])
# Bytes that are C0 controls in every ASCII-compatible encoding; ESC is left to ISO-2022-JP.
_C0_BYTES = bytes([*range(0x00, 0x09), *range(0x0E, 0x1B), *range(0x1C, 0x20)])
_HIGH_BYTES = bytes(range(0x80, 0x100))  # deleting them counts ASCII bytes at C speed

_DECLARED_MIN_CHARS_PER_ERROR = 1
"""A declaration is trusted while it decodes at least as many non-ASCII characters as it meets
invalid bytes: one stray byte in a UTF-8 page is damage (a browser shows U+FFFD), but a
windows-1252 page served as UTF-8 has no valid multi-byte sequence at all."""
_UNDECLARED_MIN_CHARS_PER_ERROR = 4
"""Undeclared (or labelled windows-1252) bytes are read as damaged UTF-8 only when valid multi-byte
sequences outnumber invalid bytes four to one: legacy text almost never forms even one, since its
accented letters would have to come in pairs and triples like "Ã©" or "â€™"."""
_UTF16_MIN_NUL_RATIO = 0.25
"""UTF-16 markup is mostly ASCII, so every other byte is NUL; binary data has NULs anywhere."""

# The prescan (HTML "prescan a byte stream to determine its encoding").
_PRESCAN_TAG_RE = re.compile(
    rb"<(?:(?P<comment>!--)|(?P<meta>meta[\t\n\x0c\r /])|(?P<tag>/?[a-z])|[!/?])", re.IGNORECASE
)
_ATTR_GAP_RE = re.compile(rb"[\t\n\x0c\r /]*")
_ATTR_NAME_RE = re.compile(rb"[^\t\n\x0c\r />][^\t\n\x0c\r /=>]*")
_SPACES_RE = re.compile(rb"[\t\n\x0c\r ]*")
_UNQUOTED_RE = re.compile(rb"[^\t\n\x0c\r >]*")
_CONTENT_LABEL_RE = re.compile(rb"[^\t\n\x0c\r ;]*")
# A whole start or end tag after its name, attributes and all: "get an attribute" until ">" (a quoted
# value may hold ">" or "<meta"). Possessive, so a quote left open fails the match (the spec runs
# out of bytes) instead of being re-read as something else.
_TAG_REST_RE = re.compile(
    rb"[^\t\n\x0c\r >]*+"
    rb"(?:[\t\n\x0c\r /]*+[^\t\n\x0c\r />][^\t\n\x0c\r /=>]*+"
    rb"(?:[\t\n\x0c\r ]*+=[\t\n\x0c\r ]*+(?:\"[^\"]*+\"|'[^']*+'|(?![\"'])[^\t\n\x0c\r >]*+)"
    rb"|(?![\t\n\x0c\r ]*+=)))*+"
    rb"[\t\n\x0c\r /]*+>"
)
# Every label the prescan could return is the first token after one of these (a superset: also
# accept-charset, charset inside comments…); used to skip the prescan when its answer cannot matter.
_CHARSET_LABEL_RE = re.compile(
    rb"charset[\t\n\x0c\r ]*=[\t\n\x0c\r ]*[\"']?[\t\n\x0c\r ]*([^\t\n\x0c\r \"'>;]*)"
)
# On valid UTF-8 bytes these prescan results all end in UTF-8 (windows-1252 by the stale-label
# rule; UTF-16 and x-user-defined by the prescan's own rules), as does finding nothing.
_UTF8_IN_THE_END = frozenset({None, "utf-8", "windows-1252", "utf-16le", "utf-16be", "x-user-defined"})
_ISO2022JP_ESCAPE_RE = re.compile(rb"\x1b(?:\$[@B]|\([BIJ])")


def _skip(pattern: re.Pattern[bytes], data: bytes, pos: int) -> int:
    """Where a run of ``pattern`` (which may match nothing) starting at ``pos`` ends."""
    match = pattern.match(data, pos)
    return pos if match is None else match.end()


class _OutOfBytes(Exception):
    """The prescan ran past the end of its window: it finds nothing (HTML spec)."""


def _whatwg_errors(encoding: str) -> str:
    """Register (once) and name an error handler that completes ``encoding``'s Python codec."""
    name = f"topicscrape.whatwg.{encoding}"
    extra = _EXTRA_BYTES.get(encoding, {})

    def handler(error: UnicodeError) -> tuple[str, int]:
        if not isinstance(error, UnicodeDecodeError):
            raise error
        char = extra.get(error.object[error.start])
        if char is not None:
            return char, error.start + 1
        return "\ufffd", error.end

    codecs.register_error(name, handler)
    return name


_ERRORS = {encoding: _whatwg_errors(encoding) for encoding in _EXTRA_BYTES}


def charset_from_content_type(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header value, if any.

    >>> charset_from_content_type('text/html; charset="Windows-1252"')
    'Windows-1252'
    """
    if not content_type:
        return None
    match = _CT_CHARSET_RE.search(content_type)
    return match.group(1) if match else None


def _magic(data: bytes) -> str | None:
    head = data[:8].lstrip()
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    return None


def sniff_binary(data: bytes) -> str | None:
    """Name the non-text format ``data`` is in, or ``None`` if it may be text."""
    kind = _magic(data)
    if kind is not None:
        return kind
    sample = data[:_SNIFF_BYTES]
    if _thick_with_nuls(sample) and not sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "binary data (NUL bytes)"
    return None


def _thick_with_nuls(sample: bytes) -> bool:
    """Whether ``sample`` holds NULs among more C0 control bytes than text has: a page with a stray
    NUL is damaged text (a browser drops it), a blob with NULs among its controls is no page."""
    if b"\x00" not in sample:
        return False
    controls = len(sample) - len(sample.translate(None, _C0_BYTES))
    return controls > _MAX_CONTROL_RATIO * len(sample)


def _encoding(label: str | bytes | None) -> str | None:
    """The WHATWG encoding a label names ("get an encoding"), or None for no or an unknown label."""
    if not label:
        return None
    if isinstance(label, bytes):
        label = label.decode("latin-1")
    return _ENCODING_OF_LABEL.get(label.strip("\t\n\x0c\r ").lower())


def _decode(data: bytes, encoding: str) -> str:
    """``data`` through ``encoding``'s WHATWG decoder: invalid input becomes U+FFFD, never an error."""
    if encoding == "x-user-defined":
        return data.decode("latin-1").translate(_X_USER_DEFINED)
    codec = _PYTHON_CODEC.get(encoding, encoding)
    text = data.decode(codec, _ERRORS.get(encoding, "replace"))
    remap = _REMAP.get(encoding)
    return text.translate(remap) if remap else text


# The single-byte decoders that map every byte (windows-1252 among them, with its C1 controls).
_TOTAL_DECODERS = frozenset(
    encoding
    for encoding in _WHATWG_LABELS
    if encoding.startswith(("ibm", "iso-8859-", "koi8-", "mac", "windows-", "x-"))
    if "\ufffd" not in _decode(bytes(range(256)), encoding)
)


def _non_ascii(text: str) -> int:
    """How many characters of ``text`` are not ASCII (slow-ish: only for text with errors)."""
    return len(text) - len(text.encode("ascii", "ignore"))


def _utf8(data: bytes, min_chars_per_error: int) -> tuple[str, bool] | None:
    """``data`` as UTF-8 and whether it is valid, if it is UTF-8 at all (perhaps damaged).

    Damaged means a page cut inside its last character, or invalid bytes outnumbered
    ``min_chars_per_error`` times by valid multi-byte characters; those read as U+FFFD.
    """
    try:
        return data.decode("utf-8"), True
    except UnicodeDecodeError as error:
        cut_short = error.end == len(data) and error.reason == "unexpected end of data"
    text = data.decode("utf-8", "replace")
    if cut_short:  # the first error is the last bytes: a transfer cut mid-character
        return text, False
    errors = text.count("\ufffd")
    # Every valid non-ASCII character took at least two bytes, so the bytes the text is short of
    # bound them: legacy text (about one byte per error) is turned down here, before exact counts
    # (U+FFFD the page itself holds counts as an error here, erring towards "not UTF-8").
    if len(data) - len(text) < min_chars_per_error * errors:
        return None
    errors -= data.count(b"\xef\xbf\xbd")  # U+FFFD that the page itself holds
    ascii = len(data.translate(None, _HIGH_BYTES))  # ASCII bytes are ASCII characters
    valid = len(text) - ascii - errors
    if valid > 0 and valid >= min_chars_per_error * errors:
        return text, False
    return None


def _declared(data: bytes, encoding: str | None) -> tuple[str, bool] | None:
    """``data`` read as the declared ``encoding`` (and whether it is valid UTF-8 as is), or None
    when the declaration cannot be right for these bytes and the next step should decide."""
    if encoding is None or encoding in _UTF16:  # bytes without NULs cannot be UTF-16
        return None
    if encoding == "replacement":
        raise UndecodableInput(
            "the page declares ISO-2022-KR, ISO-2022-CN or HZ, which browsers refuse to decode"
        )
    if encoding == "utf-8":
        return _utf8(data, _DECLARED_MIN_CHARS_PER_ERROR)
    if encoding == "windows-1252":
        # A stale label: house.gov's 2015 CMS declared iso-8859-1 over UTF-8 pages, which a browser
        # shows as "Presidentâ€™s".
        found = _utf8(data, _UNDECLARED_MIN_CHARS_PER_ERROR)
        if found is not None:
            return found
    text = _decode(data, encoding)
    if encoding in _TOTAL_DECODERS:  # no byte is an error (counting U+FFFD costs a pass over the text)
        return text, False
    errors = text.count("\ufffd")
    if errors and _non_ascii(text) - errors < _DECLARED_MIN_CHARS_PER_ERROR * errors:
        return None
    return text, False


def _undeclared(data: bytes) -> tuple[str, bool]:
    """Nothing declared: ISO-2022-JP escapes, (all but) valid UTF-8, else bs4's detector."""
    if data.isascii() and _ISO2022JP_ESCAPE_RE.search(data):
        try:
            return data.decode(_PYTHON_CODEC["iso-2022-jp"]), False
        except UnicodeDecodeError:
            pass
    found = _utf8(data, _UNDECLARED_MIN_CHARS_PER_ERROR)
    if found is not None:
        return found
    western = _western(data)
    return (western, False) if western is not None else (_detect(data), False)


_WESTERN_CHARS = frozenset(
    "ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜßàáâãäåæçèéêëìíîïñòóôõöøùúûüÿŒœŠšŽžŸ"  # no Ðð Þþ Ýý: see below
    "’‘“”„–—…€•«»°©®™\u00a0¡¿·§£¥¢´¨ªº"
)
"""What windows-1252 text in French, German, Spanish, Portuguese, Italian, Dutch or the Nordic
languages shows beyond ASCII. Left out: the Icelandic letters Turkish windows-1254 bytes (ğ ı ş)
would read as, and the symbols Central European windows-1250 letters would (ą ł as ¹ ³)."""
_WESTERN_MAX_ODD_RATIO = 0.05
"""At most one non-ASCII character in twenty outside :data:`_WESTERN_CHARS` (a stray symbol)."""
_WESTERN_RUN_RE = re.compile(rb"[\x80-\xff]{3,}")
_WESTERN_MAX_RUN_RATIO = 0.10
"""Latin-script words hold one or two accented letters in a row ("Größe"); 8-bit Cyrillic, Greek,
Hebrew or Arabic, which windows-1252 also maps to letters, is all runs of high bytes."""


def _western(data: bytes) -> str | None:
    """``data`` as windows-1252 when it reads as Western European text, else None.

    WHATWG leaves an undeclared page to the browser's locale, whose fallback is windows-1252 for
    Western Europe and the Americas; bs4's detector, asked first, took short French pages for
    windows-1257 and Swedish ones for other Baltic or Cyrillic code pages.
    """
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:  # a byte windows-1252 leaves undefined: not such text
        return None
    high = len(text) - len(text.encode("ascii", "ignore"))
    if high == 0:
        return None
    odd = sum(1 for char in text if char > "\x7f" and char not in _WESTERN_CHARS)
    in_runs = sum(len(run) for run in _WESTERN_RUN_RE.findall(data))
    if odd > _WESTERN_MAX_ODD_RATIO * high or in_runs > _WESTERN_MAX_RUN_RATIO * high:
        return None
    return text


def _utf16_by_nuls(sample: bytes) -> str | None:
    """UTF-16LE or BE if the NULs in ``sample`` fall on every other byte, as ASCII markup's do."""
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    dominant = max(even, odd)
    if dominant < _UTF16_MIN_NUL_RATIO * (len(sample) // 2) or min(even, odd) * 10 > dominant:
        return None
    return "utf-16le" if odd > even else "utf-16be"


def decode_html(data: bytes, *, content_type: str | None = None, max_bytes: int = MAX_INPUT_BYTES) -> str:
    """Decode a page body to text using BOM → HTTP charset → ``<meta>`` → heuristics.

    Args:
        data: the body as served.
        content_type: the HTTP Content-Type header, if known.
        max_bytes: refuse larger inputs (see :data:`MAX_INPUT_BYTES`).

    Raises:
        InputTooLarge: ``data`` is larger than ``max_bytes``.
        UndecodableInput: empty, binary, a charset browsers refuse, or no plausible text.

    >>> decode_html(b'<meta charset="windows-1252"><p>It\\x92s</p>')
    '<meta charset="windows-1252"><p>It’s</p>'
    """
    source = html_source(data, content_type=content_type, max_bytes=max_bytes)
    return source if isinstance(source, str) else source.decode("utf-8")


def html_source(
    data: bytes, *, content_type: str | None = None, max_bytes: int = MAX_INPUT_BYTES
) -> str | bytes:
    """Like :func:`decode_html`, but returns ``data`` itself when it is valid UTF-8 (or ASCII).

    Lexbor reads UTF-8 natively, so handing it the original bytes spares a decode and the
    re-encode selectolax does for ``str`` input: together a fifth of the parse (bench/parse.py).
    Any other encoding, and UTF-8 with invalid bytes, comes back as ``str``.
    """
    if len(data) > max_bytes:
        raise InputTooLarge(f"{len(data):,} bytes is larger than the {max_bytes:,}-byte limit")
    if not data or data.isspace():
        raise UndecodableInput("the input is empty")
    kind = _magic(data)
    if kind is not None:
        raise UndecodableInput(f"the input is {kind}, not a web page")

    for bom, encoding in _BOMS:
        if data.startswith(bom):  # the BOM beats every declaration
            text = _decode(data[len(bom) :], encoding)
            _refuse_controls(text)
            return text

    header = _encoding(charset_from_content_type(content_type))
    sample = data[:_SNIFF_BYTES]
    if b"\x00" in sample:
        # Only UTF-16 text has NULs throughout: declared by the header, else told by where the
        # NULs fall. Any other page may hold a stray one, as damage, but no more.
        utf16 = header if header in _UTF16 else _utf16_by_nuls(sample)
        if utf16 is not None:
            text = _decode(data, utf16)
            _refuse_controls(text)
            return text
        if _thick_with_nuls(sample):
            raise UndecodableInput("the input is binary data (NUL bytes), not a web page")
    is_ascii = data.isascii()
    if is_ascii and b"\x1b" not in data:
        # Every ASCII-compatible charset reads ASCII the same way; only ISO-2022-JP's escapes differ.
        _refuse_controls(data[:_CONTROL_SAMPLE_CHARS].decode("latin-1"))
        return data

    found = _declared(data, header)
    if found is None:
        head = data[:_META_PRESCAN_BYTES]
        valid = _valid_utf8(data)
        if valid is not None and not is_ascii and _prescan_is_moot(head):  # ASCII here has escapes
            found = valid, True
        else:
            found = _declared(data, _meta_prescan(head)) or _undeclared(data)
    text, is_data = found
    _refuse_controls(text)
    return data if is_data else text


def _valid_utf8(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _prescan_is_moot(head: bytes) -> bool:
    """Whether every answer the ``<meta>`` prescan could give reads valid UTF-8 bytes as UTF-8.

    Most pages are valid UTF-8 with a ``<meta charset="utf-8">``: the prescan proper walks every
    tag before it in Python, where this is a find() over the window.
    """
    lowered = head.lower()  # a case-insensitive regex costs a hundred times more than find()
    pos = lowered.find(b"charset")
    while pos >= 0:
        match = _CHARSET_LABEL_RE.match(lowered, pos)
        if match is not None and _encoding(match.group(1)) not in _UTF8_IN_THE_END:
            return False
        pos = lowered.find(b"charset", pos + 7)
    return True


def _meta_prescan(head: bytes) -> str | None:
    """The encoding the ``<meta>`` tags in ``head`` declare, by HTML's prescan algorithm.

    Comments are skipped, as are tags' attribute values (a ``>`` or ``<meta`` inside quotes);
    a ``<meta>`` counts with a ``charset`` attribute, or with ``http-equiv="content-type"`` and a
    ``content`` holding ``charset=``. A UTF-16 answer becomes UTF-8 and x-user-defined becomes
    windows-1252: bytes the prescan could read are ASCII-compatible.

    >>> _meta_prescan(b'<!-- <meta charset="koi8-r"> --><meta name="description" content="charset=gbk">'
    ...         b'<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=Shift_JIS">')
    'shift_jis'
    """
    if b"charset" not in head.lower():
        return None
    try:
        return _scan(head)
    except _OutOfBytes:
        return None


def _scan(head: bytes) -> str | None:
    """The prescan's loop over the tags in ``head``."""
    pos = 0
    while (match := _PRESCAN_TAG_RE.search(head, pos)) is not None:
        if match.group("comment"):
            end = head.find(b"-->", match.start() + 2)  # "<!-->" is a whole comment
            if end < 0:
                return None
            pos = end + 3
        elif match.group("meta"):
            encoding, pos = _meta(head, match.end() - 1)
            if encoding is not None:
                return encoding
            pos += 1
        elif match.group("tag"):
            rest = _TAG_REST_RE.match(head, match.end())
            if rest is None:
                return None
            pos = rest.end()
        else:  # <!…>, </…>, <?…>
            end = head.find(b">", match.end())
            if end < 0:
                return None
            pos = end + 1
    return None


def _meta(head: bytes, pos: int) -> tuple[str | None, int]:
    """The encoding one ``<meta>``'s attributes declare, and where the tag ends."""
    seen: set[bytes] = set()
    got_pragma = False
    need_pragma: bool | None = None
    charset: str | None = None
    failed = False  # a charset attribute with an unknown label
    while (attribute := _attribute(head, pos)) is not None:
        name, value, pos = attribute
        if name in seen:
            continue
        seen.add(name)
        if name == b"http-equiv":
            got_pragma = got_pragma or value == b"content-type"
        elif name == b"content" and charset is None and not failed:
            found = _encoding(_label_in_content(value))
            if found is not None:
                charset, need_pragma = found, True
        elif name == b"charset" and charset is None and not failed:
            charset, need_pragma = _encoding(value), False
            failed = charset is None
    if need_pragma is None or (need_pragma and not got_pragma) or charset is None:
        return None, pos
    if charset in _UTF16:
        return "utf-8", pos
    if charset == "x-user-defined":
        return "windows-1252", pos
    return charset, pos


def _attribute(head: bytes, pos: int) -> tuple[bytes, bytes, int] | None:
    """HTML's "get an attribute": (name, value, position after it), or None at the tag's ``>``."""
    end = len(head)
    pos = _skip(_ATTR_GAP_RE, head, pos)
    if pos >= end:
        raise _OutOfBytes
    if head[pos] == 0x3E:  # >
        return None
    name_match = _ATTR_NAME_RE.match(head, pos)
    assert name_match is not None  # the byte at pos is none of whitespace, "/" and ">"
    name, pos = name_match.group().lower(), name_match.end()
    if pos >= end:
        raise _OutOfBytes
    if head[pos] in b"/>":
        return name, b"", pos
    pos = _skip(_SPACES_RE, head, pos)
    if pos >= end:
        raise _OutOfBytes
    if head[pos] != 0x3D:  # no "=": an attribute without a value
        return name, b"", pos
    pos = _skip(_SPACES_RE, head, pos + 1)
    if pos >= end:
        raise _OutOfBytes
    quote = head[pos]
    if quote in b"\"'":
        close = head.find(bytes([quote]), pos + 1)
        if close < 0:
            raise _OutOfBytes
        return name, head[pos + 1 : close].lower(), close + 1
    if quote == 0x3E:
        return name, b"", pos
    value_end = _skip(_UNQUOTED_RE, head, pos)
    if value_end >= end:
        raise _OutOfBytes
    return name, head[pos:value_end].lower(), value_end


def _label_in_content(content: bytes) -> bytes | None:
    """HTML's "extract a character encoding from a meta element": the label after ``charset=``."""
    pos = 0
    while (found := content.find(b"charset", pos)) >= 0:
        pos = _skip(_SPACES_RE, content, found + 7)
        if content[pos : pos + 1] != b"=":
            continue
        pos = _skip(_SPACES_RE, content, pos + 1)
        quote = content[pos : pos + 1]
        if quote in (b'"', b"'"):
            close = content.find(quote, pos + 1)
            return content[pos + 1 : close] if close >= 0 else None
        label = content[pos : _skip(_CONTENT_LABEL_RE, content, pos)]
        return label or None
    return None


def _refuse_controls(text: str) -> None:
    """Raise UndecodableInput if the start of ``text`` is thick with control characters."""
    sample = text[:_CONTROL_SAMPLE_CHARS]
    # Characters above U+00FF are dropped: none of them is a control.
    raw = sample.encode("latin-1", "ignore")
    controls = len(raw) - len(raw.translate(None, _CONTROL_BYTES))
    if controls > _MAX_CONTROL_RATIO * len(sample):
        raise UndecodableInput("the input is binary data (control characters), not a web page")


def _detect(data: bytes) -> str:
    """Last resort: let bs4's detector (charset-normalizer underneath, a declared dependency so
    that every install guesses alike) pick among plausible encodings."""
    from bs4.dammit import UnicodeDammit

    dammit = UnicodeDammit(data, is_html=True)
    text = dammit.unicode_markup
    if text is None or text.count("\ufffd") > max(8, len(text) // 1000):
        raise UndecodableInput("no character encoding decodes the input; is it a web page?")
    return text
