"""Bytes become text by BOM → HTTP charset → <meta> → detection; non-pages are refused."""

from __future__ import annotations

import codecs
import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parsers.decode import charset_from_content_type, decode_html, sniff_binary
from parsers.errors import InputTooLarge, ParseError, UndecodableInput

PAGE = "<html><head>{meta}</head><body><h1>It’s “quoted” – café …</h1></body></html>"


def test_meta_charset_windows_1252_is_honoured() -> None:
    """A page declaring windows-1252 only in <meta> decodes its smart quotes correctly."""
    text = PAGE.format(meta='<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">')
    assert decode_html(text.encode("cp1252")) == text


def test_iso_8859_1_label_means_windows_1252() -> None:
    """Browsers read iso-8859-1 as windows-1252, so 0x92 is a right quote, not a C1 control."""
    text = PAGE.format(meta='<meta charset="iso-8859-1">')
    assert "It’s" in decode_html(text.encode("cp1252"))


@pytest.mark.parametrize(
    ("meta", "content_type"),
    [
        ('<meta charset="iso-8859-1">', None),
        ("", "text/html; charset=ISO-8859-1"),
        ('<meta charset="ascii">', None),
    ],
)
def test_a_stale_windows_1252_label_over_utf8_bytes_reads_utf8(meta: str, content_type: str | None) -> None:
    """house.gov's 2015 CMS declared iso-8859-1 over UTF-8 text: "It’s", not "Itâ€™s"."""
    text = PAGE.format(meta=meta)
    assert decode_html(text.encode("utf-8"), content_type=content_type) == text


def test_http_charset_beats_meta() -> None:
    """The HTTP header is authoritative over a wrong <meta>."""
    text = PAGE.format(meta='<meta charset="utf-8">')
    assert decode_html(text.encode("cp1252"), content_type="text/html; charset=windows-1252") == text


def test_wrong_http_charset_falls_through_to_meta() -> None:
    """A header charset that cannot decode the bytes is not trusted blindly."""
    text = PAGE.format(meta='<meta charset="windows-1252">')
    assert decode_html(text.encode("cp1252"), content_type="text/html; charset=utf-8") == text


@pytest.mark.parametrize(("bom", "codec"), [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le")])
def test_bom_wins(bom: bytes, codec: str) -> None:
    """A byte-order mark decides the encoding and is removed."""
    text = PAGE.format(meta="")
    assert decode_html(bom + text.encode(codec)) == text


def test_undeclared_cp1252_is_detected_not_garbled() -> None:
    """With nothing declared, detection reads windows-1252 text instead of producing U+FFFD."""
    text = PAGE.format(meta="") * 20
    decoded = decode_html(text.encode("cp1252"))
    assert "\ufffd" not in decoded
    assert "It’s" in decoded


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"   \n\t ", "empty"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "PNG"),
        (b"\x1f\x8b\x08\x00" + bytes(100), "gzip"),
        (b"<html>" + bytes(range(256)) * 20, "binary"),
    ],
)
def test_non_pages_are_refused_with_a_reason(data: bytes, reason: str) -> None:
    """Empty, PDF, image, compressed and binary inputs raise UndecodableInput naming what they are."""
    with pytest.raises(UndecodableInput, match=reason):
        decode_html(data)


def test_size_limit() -> None:
    """Inputs over the limit raise InputTooLarge before any work is done."""
    with pytest.raises(InputTooLarge):
        decode_html(b"<p>x</p>" * 100, max_bytes=100)


def test_charset_from_content_type() -> None:
    """The charset parameter is read with quotes and odd spacing."""
    assert charset_from_content_type('text/html;charset = "UTF-8"') == "UTF-8"
    assert charset_from_content_type("text/html") is None
    assert charset_from_content_type(None) is None


def test_sniff_binary_passes_text() -> None:
    """Plain HTML is not mistaken for binary."""
    assert sniff_binary(b"<!doctype html><p>hello</p>") is None


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_a_page_with_a_stray_nul_is_text(encoding: str) -> None:
    """A NUL or two in a page is damage a browser shows past; only a blob thick with them is binary."""
    text = PAGE.format(meta=f'<meta charset="{encoding}">') + "<p>a\x00b</p>" + "<p>filler text</p>" * 20
    data = text.encode(encoding)
    assert sniff_binary(data) is None
    decoded = decode_html(data)
    assert (decoded if isinstance(decoded, str) else decoded.decode()) == text
    blob = b"<html>" + b"\x01\x00\x02\x00\x00\x03" * 40
    assert sniff_binary(blob) == "binary data (NUL bytes)"
    with pytest.raises(UndecodableInput, match="NUL bytes"):
        decode_html(blob)


@given(st.binary(max_size=2000), st.one_of(st.none(), st.text(max_size=40)))
def test_any_bytes_decode_or_raise_parse_error(data: bytes, content_type: str | None) -> None:
    """No input makes the decoder raise anything but ParseError; success is always a str."""
    with contextlib.suppress(ParseError):
        assert isinstance(decode_html(data, content_type=content_type), str)


_LISTING = "<!doctype html><html><head><title>News</title></head><body><h1>News</h1><p>{}</p></body></html>"


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        ("cp1252", "Été à l’école"),
        ("cp1252", "Le ministère de l’Intérieur a présenté son rapport « décisif » à Orléans."),
        ("cp1252", "Myndigheten har öppnat ett nytt kontor i Göteborg och Malmö för krisberedskapen."),
        ("cp1252", "Die Behörde veröffentlichte die Größe der Grenzübergänge in Süddeutschland."),
        ("cp1252", "¿Qué pasó? El señor Muñoz dirigirá la campaña en España."),
        ("cp1250", "Ministerstwo Spraw Wewnętrznych ogłosiło przepisy dotyczące bezpieczeństwa w Łodzi."),
        ("cp1251", "Министерство внутренней безопасности объявило о новых правилах защиты границ."),
        ("iso8859_7", "Το Υπουργείο Εσωτερικών ανακοίνωσε σήμερα νέους κανόνες για την ασφάλεια."),
    ],
)
def test_undeclared_legacy_text_is_read_in_its_code_page(encoding: str, text: str) -> None:
    """With no charset anywhere, Western European text reads as windows-1252 (a browser's fallback
    there), where the detector took short French or Swedish for Baltic code pages; text in other
    scripts and Central European code pages is still left to the detector."""
    decoded = decode_html(_LISTING.format(text).encode(encoding))
    assert text in (decoded if isinstance(decoded, str) else decoded.decode())
