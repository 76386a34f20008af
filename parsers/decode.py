"""Bytes to text, the way a browser would, before any HTML parser sees the page.

Lexbor assumes UTF-8 when handed bytes, which garbles the many 2010s government pages that declare
windows-1252 only in a ``<meta>`` tag. The order here is the HTML standard's: the HTTP charset, a
byte-order mark, the ``<meta>`` prescan, then detection (bs4's ``UnicodeDammit``), never a blind
guess of UTF-8; with one exception, where a browser would show mojibake: a windows-1252 label
over bytes that are valid UTF-8 reads them as UTF-8. Inputs that are not text at all (PDFs,
images, archives, NUL-ridden blobs) are refused with :class:`~parsers.errors.UndecodableInput`
so no garbage becomes a record.
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
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Browsers treat these labels as windows-1252 (WHATWG Encoding Standard); pages rely on it,
# e.g. tests/corpus/housegov-brady-press-releases declares iso-8859-1 but uses U+2019.
_WHATWG_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "ascii": "cp1252",
    "us-ascii": "cp1252",
    "windows-1252": "cp1252",
    "x-sjis": "shift_jis",
}
_CT_CHARSET_RE = re.compile(r"charset\s*=\s*[\"']?\s*([\w.:-]+)", re.IGNORECASE)
_META_CHARSET_RE = re.compile(rb"<meta\b[^>]*?charset\s*=\s*[\"']?\s*([\w.:-]+)", re.IGNORECASE | re.DOTALL)
_META_PRESCAN_BYTES = 4096  # a little beyond the standard's 1024: real pages put long <head>s first
_MAX_CONTROL_RATIO = 0.02  # text with more C0 controls than this is a binary body, not a page
# Binary bodies show themselves at the start (sniff_binary's NUL test covers the same span); a
# regex over the whole page would cost a third of the parse.
_CONTROL_SAMPLE_CHARS = 4096
# C0 controls, and C1 controls: no real page has them, but latin-1 turns any garbage byte into one.
# As latin-1 bytes each is one byte of the same value, counted by bytes.translate (a table lookup
# per byte): a character-class regex over the sample costs a tenth of the parse.
_CONTROL_BYTES = bytes([*range(0x00, 0x09), *range(0x0E, 0x20), *range(0x7F, 0xA0)])


def charset_from_content_type(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header value, if any.

    >>> charset_from_content_type('text/html; charset="Windows-1252"')
    'Windows-1252'
    """
    if not content_type:
        return None
    match = _CT_CHARSET_RE.search(content_type)
    return match.group(1) if match else None


def sniff_binary(data: bytes) -> str | None:
    """Name the non-text format ``data`` is in, or ``None`` if it may be text."""
    head = data[:8].lstrip()
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    sample = data[:4096]
    if b"\x00" in sample and not sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "binary data (NUL bytes)"
    return None


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().lower()
    label = _WHATWG_ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _strict(data: bytes, codec: str | None) -> str | None:
    if codec is None:
        return None
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_html(data: bytes, *, content_type: str | None = None, max_bytes: int = MAX_INPUT_BYTES) -> str:
    """Decode a page body to text using HTTP charset → BOM → ``<meta>`` → detection.

    Args:
        data: the body as served.
        content_type: the HTTP Content-Type header, if known.
        max_bytes: refuse larger inputs (see :data:`MAX_INPUT_BYTES`).

    Raises:
        InputTooLarge: ``data`` is larger than ``max_bytes``.
        UndecodableInput: empty, binary, or no charset decodes it to plausible text.

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
    Any other encoding comes back as ``str``.
    """
    if len(data) > max_bytes:
        raise InputTooLarge(f"{len(data):,} bytes is larger than the {max_bytes:,}-byte limit")
    if not data or data.isspace():
        raise UndecodableInput("the input is empty")
    kind = sniff_binary(data)
    if kind is not None:
        raise UndecodableInput(f"the input is {kind}, not a web page")
    if data.isascii():
        # Every ASCII-compatible charset reads ASCII the same way; UTF-16 would have shown NULs.
        _refuse_controls(data[:_CONTROL_SAMPLE_CHARS].decode("latin-1"))
        return data

    text: str | None = None
    codec: str | None = None
    for bom, bom_codec in _BOMS:
        if data.startswith(bom):
            codec = bom_codec
            text = _strict(data[len(bom) :], codec)
            break
    if text is None:
        codec, text = _declared(data, charset_from_content_type(content_type))
    if text is None:
        match = _META_CHARSET_RE.search(data[:_META_PRESCAN_BYTES])
        codec, text = _declared(data, match.group(1).decode("ascii", "replace") if match else None)
    if text is None:
        codec, text = None, _detect(data)
    _refuse_controls(text)
    if codec == "utf-8" and not data.startswith(codecs.BOM_UTF8):
        return data
    return text


def _declared(data: bytes, label: str | None) -> tuple[str | None, str | None]:
    """The codec a declared charset names, and the text it gives (None if it cannot decode ``data``).

    A windows-1252 label (iso-8859-1, latin1, ascii…) over bytes that are valid UTF-8 is stale:
    the text is UTF-8 (house.gov's 2015 CMS declared iso-8859-1 over UTF-8 pages; a browser shows
    "Presidentâ€™s"). Real windows-1252 text is almost never valid UTF-8 by chance: its accented
    letters and quotes would have to come in pairs and triples like "Ã©" or "â€™".
    """
    codec = _codec(label)
    if codec == "cp1252":
        text = _strict(data, "utf-8")
        if text is not None:
            return "utf-8", text
    return codec, _strict(data, codec)


def _refuse_controls(text: str) -> None:
    """Raise UndecodableInput if the start of ``text`` is thick with control characters."""
    sample = text[:_CONTROL_SAMPLE_CHARS]
    # Characters above U+00FF are dropped: none of them is a control.
    raw = sample.encode("latin-1", "ignore")
    controls = len(raw) - len(raw.translate(None, _CONTROL_BYTES))
    if controls > _MAX_CONTROL_RATIO * len(sample):
        raise UndecodableInput("the input is binary data (control characters), not a web page")


def _detect(data: bytes) -> str:
    """Last resort: let bs4's detector pick among plausible encodings."""
    from bs4.dammit import UnicodeDammit

    dammit = UnicodeDammit(data, is_html=True)
    text = dammit.unicode_markup
    if text is None or text.count("\ufffd") > max(8, len(text) // 1000):
        raise UndecodableInput("no character encoding decodes the input; is it a web page?")
    return text
