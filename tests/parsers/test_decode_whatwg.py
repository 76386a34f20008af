"""parsers.decode follows the WHATWG Encoding Standard and HTML's encoding sniffing, like a browser.

BOM → HTTP charset → ``<meta>`` prescan (comments skipped) → heuristics; WHATWG labels and decoders;
declared (or all but valid) UTF-8 reads a few bad bytes as U+FFFD instead of being abandoned.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parsers import parse_topic_page
from parsers.decode import (
    _UTF8_IN_THE_END,
    _WHATWG_LABELS,
    _encoding,
    _meta_prescan,
    _prescan_is_moot,
    decode_html,
    html_source,
)
from parsers.errors import UndecodableInput

ROOT = Path(__file__).resolve().parents[2]
DHS_URL = "https://www.dhs.gov/keywords/secure-communities"
DHS_BYTES = (ROOT / "fixtures" / "dhs" / "www.dhs.gov" / "keywords-secure-communities.html").read_bytes()
DHS = DHS_BYTES.decode("utf-8")
DHS_META = '<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />'
DHS_UNDECLARED = DHS.replace(DHS_META, "")
SMART = "It’s “quoted” — café … naïve"


def dhs_with_meta(meta: str) -> str:
    """The model page, its charset <meta> replaced."""
    assert DHS_META in DHS
    return DHS.replace(DHS_META, meta)


def small_page(title: str, head: str = "") -> str:
    """A two-teaser Drupal-like listing, for scripts the model page cannot be written in."""
    return (
        f"<!DOCTYPE html><html><head>{head}<title>News</title></head><body><h1>News</h1>"
        '<div class="view-content"><div class="views-row"><h2 class="node-title">'
        f'<a href="/a">{title}</a></h2><div class="field-body"><p>The story.</p></div></div>'
        '<div class="views-row"><h2 class="node-title"><a href="/b">Second story</a></h2></div>'
        "</div></body></html>"
    )


# --- UTF-8 with a few invalid bytes -------------------------------------------------------------


@pytest.mark.parametrize(
    ("page", "content_type"),
    [
        (DHS, "text/html; charset=utf-8"),
        (DHS, None),  # declared by <meta> only
        (DHS_UNDECLARED, None),  # declared nowhere: overwhelmingly valid UTF-8
    ],
    ids=["header", "meta", "undeclared"],
)
def test_one_bad_byte_in_a_utf8_page_is_one_replacement_character(
    page: str, content_type: str | None
) -> None:
    """QA: `<!-- caf\\xe9 -->` in the DHS page garbled every "–" as "â€“"; now only that byte is lost."""
    damaged = page.encode("utf-8").replace(b"</body>", b"<!-- caf\xe9 --></body>")
    decoded = decode_html(damaged, content_type=content_type)
    assert decoded == page.replace("</body>", "<!-- caf\ufffd --></body>")
    assert "â€" not in decoded


def test_a_utf8_page_cut_mid_character_keeps_its_text() -> None:
    """A transfer cut inside the last character costs that character only."""
    cut = DHS_UNDECLARED.encode("utf-8")
    cut = cut[: cut.rindex("–".encode()) + 2]  # two of the dash's three bytes
    decoded = decode_html(cut)
    assert decoded.endswith("\ufffd")
    assert decoded[:-1] == DHS_UNDECLARED[: len(decoded) - 1]
    assert "»" in decoded
    assert "Ã" not in decoded


def test_damaged_utf8_dhs_page_yields_clean_teasers() -> None:
    """End to end: the teasers of the damaged model page carry no mojibake."""
    damaged = DHS_BYTES.replace(b"</body>", b"<!-- caf\xe9 --></body>")
    page = parse_topic_page(damaged, url=DHS_URL)
    intact = parse_topic_page(DHS_BYTES, url=DHS_URL)
    assert [t.title for t in page.teasers] == [t.title for t in intact.teasers]
    assert [t.excerpt for t in page.teasers] == [t.excerpt for t in intact.teasers]


def test_utf8_declaration_over_legacy_bytes_is_still_not_trusted() -> None:
    """A "utf-8" header over a windows-1251 page (no valid multi-byte sequence) falls through to <meta>."""
    page = small_page("Новости России", '<meta charset="windows-1251">')
    assert decode_html(page.encode("cp1251"), content_type="text/html; charset=utf-8") == page


def test_valid_utf8_is_still_handed_over_as_the_same_bytes() -> None:
    """The fast path: valid UTF-8 comes back as the input bytes, not a decoded copy."""
    assert html_source(DHS_BYTES) is DHS_BYTES
    assert html_source(DHS_BYTES, content_type="text/html; charset=utf-8") is DHS_BYTES


# --- UTF-16 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "codec"), [("utf-16", "utf-16-le"), ("utf-16le", "utf-16-le"), ("UTF-16BE", "utf-16-be")]
)
def test_utf16_without_bom_is_decoded_by_its_http_label(label: str, codec: str) -> None:
    """UTF-16 served with a charset and no BOM was refused as binary (NULs); "utf-16" means LE."""
    page = dhs_with_meta("")
    assert decode_html(page.encode(codec), content_type=f"text/html; charset={label}") == page


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_undeclared_utf16_without_bom_is_recognised_by_its_nuls(codec: str) -> None:
    """ASCII markup in UTF-16 puts a NUL in every other byte, which binary data does not."""
    page = dhs_with_meta('<meta charset="utf-16">')
    assert decode_html(page.encode(codec)) == page


def even_length(page: str) -> str:
    """``page`` padded to an even number of UTF-8 bytes, which a UTF-16 decoder would accept."""
    return page if len(page.encode("utf-8")) % 2 == 0 else page + "\n"


@pytest.mark.parametrize("label", ["utf-16", "utf-16le", "utf-16be", "unicodefffe"])
def test_a_meta_utf16_label_over_ascii_compatible_bytes_means_utf8(label: str) -> None:
    """HTML: a prescan that finds UTF-16 answers UTF-8 (the bytes it read were not UTF-16)."""
    page = even_length(dhs_with_meta(f'<meta charset="{label}">'))
    assert decode_html(page.encode("utf-8")) == page
    assert len(parse_topic_page(page.encode("utf-8"), url=DHS_URL).teasers) == 5


def test_a_utf16_header_over_bytes_without_nuls_is_ignored() -> None:
    """A UTF-16 label cannot describe NUL-free markup; the <meta> decides instead."""
    page = even_length(DHS)
    assert decode_html(page.encode("utf-8"), content_type="text/html; charset=utf-16") == page


# --- windows-1252 and the other WHATWG single-byte decoders -------------------------------------


@pytest.mark.parametrize("byte", [0x81, 0x8D, 0x8F, 0x90, 0x9D])
@pytest.mark.parametrize("label", ["windows-1252", "iso-8859-1", "us-ascii", "latin1"])
def test_windows_1252_unassigned_bytes_are_c1_controls(byte: int, label: str) -> None:
    """WHATWG maps 0x81, 0x8D, 0x8F, 0x90, 0x9D to U+0081…; Python's cp1252 rejected the page."""
    page = dhs_with_meta(f'<meta http-equiv="Content-Type" content="text/html; charset={label}" />')
    page = page.replace("</body>", f"<p>{SMART}</p></body>")
    data = page.encode("cp1252").replace(b"</body>", bytes([byte]) + b"</body>")
    assert decode_html(data) == page.replace("</body>", chr(byte) + "</body>")


def test_a_cp1252_page_with_an_unassigned_byte_keeps_its_teasers() -> None:
    """End to end: the 0x81 page's dashes and quotes come through, not "ō" and "Ś"."""
    page = dhs_with_meta('<meta charset="windows-1252">')
    data = page.encode("cp1252").replace(b"</body>", b"\x81</body>")
    titles = [t.title for t in parse_topic_page(data, url=DHS_URL).teasers]
    assert titles == [t.title for t in parse_topic_page(DHS_BYTES, url=DHS_URL).teasers]


@pytest.mark.parametrize(
    ("label", "raw", "expected"),
    [
        ("windows-1250", b"Za\xbf\x81", "Zaż\x81"),  # C1 where cp1250 has nothing
        ("windows-1255", b"\xca\xf9", "\u05ba\u05e9"),  # index-windows-1255 has U+05BA
        ("koi8-u", b"\xae\xbe", "ўЎ"),  # the web's KOI8-U is KOI8-RU
        ("iso-8859-8-i", "עברית".encode("iso8859_8"), "עברית"),
        ("tis-620", "ข่าว".encode("cp874"), "ข่าว"),
        ("x-user-defined", b"caf\xe9", "café"),  # a <meta> x-user-defined means windows-1252
    ],
)
def test_whatwg_single_byte_decoders(label: str, raw: bytes, expected: str) -> None:
    """Labels resolve through the WHATWG table and bytes through WHATWG's indexes."""
    tail = "<p>The rest of the story, long enough that one C1 control is not binary.</p>"
    data = f'<meta charset="{label}"><h1>'.encode() + raw + f" news</h1>{tail}".encode()
    assert decode_html(data) == f'<meta charset="{label}"><h1>{expected} news</h1>{tail}'


def test_x_user_defined_from_http_maps_high_bytes_to_the_private_use_area() -> None:
    """Over HTTP x-user-defined is its own decoder: 0x80-0xFF become U+F780-U+F7FF."""
    assert (
        decode_html(b"<p>caf\xe9</p>", content_type="text/html; charset=x-user-defined") == "<p>caf\uf7e9</p>"
    )


# --- CJK ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "title", "codec"),
    [
        ("gb2312", "中文新闻 镕", "gbk"),  # 镕 is GBK, not GB2312
        ("x-gbk", "中文新闻 镕", "gbk"),
        ("gbk", "中文新闻 𠀀", "gb18030"),  # four-byte gb18030 under a gbk label
        ("chinese", "中文新闻", "gb2312"),
        ("ks_c_5601-1987", "한국어 뉴스 똠", "cp949"),
        ("shift_jis", "日本語 ①", "cp932"),
        ("big5-hkscs", "繁體中文 新聞", "big5hkscs"),
    ],
)
def test_cjk_labels_use_the_whatwg_decoder(label: str, title: str, codec: str) -> None:
    """WHATWG reads gb2312/gbk with the gb18030 decoder, euc-kr as windows-949, Shift_JIS as cp932."""
    page = small_page(title, f'<meta charset="{label}">')
    assert decode_html(page.encode(codec)) == page
    assert parse_topic_page(page.encode(codec), url="https://e.gov/news").teasers[0].title == title


@pytest.mark.parametrize("label", ["gbk", "gb18030"])
def test_gbk_single_byte_0x80_is_the_euro_sign(label: str) -> None:
    """The gb18030 decoder reads a lone 0x80 as "€" (GBK's euro), which Python's codec rejects."""
    data = f'<meta charset="{label}"><p>价格 '.encode("gbk") + b"\x80" + b"5</p>"
    assert decode_html(data) == f'<meta charset="{label}"><p>价格 €5</p>'


@pytest.mark.parametrize(("meta", "content_type"), [('<meta charset="iso-2022-jp">', None), ("", None)])
def test_iso_2022_jp_is_decoded_although_its_bytes_are_ascii(meta: str, content_type: str | None) -> None:
    """Its escape sequences are ASCII: the all-ASCII shortcut left "\\x1b$BF|K\\\\8l" in the titles."""
    page = small_page("日本語のニュース ｶﾅ", meta)
    data = page.encode("iso2022_jp_ext")
    assert data.isascii()
    assert decode_html(data, content_type=content_type) == page
    assert parse_topic_page(data, url="https://e.gov/news").teasers[0].title == "日本語のニュース ｶﾅ"


def test_iso_2022_jp_declared_by_http() -> None:
    """The header label is honoured for ISO-2022-JP too."""
    page = small_page("日本語")
    data = page.encode("iso2022_jp")
    assert decode_html(data, content_type="text/html; charset=ISO-2022-JP") == page


@pytest.mark.parametrize("label", ["iso-2022-kr", "hz-gb-2312", "iso-2022-cn"])
def test_replacement_encodings_are_refused(label: str) -> None:
    """Browsers decode these labels to a single U+FFFD (WHATWG "replacement"): nothing to read."""
    with pytest.raises(UndecodableInput, match="refuse"):
        decode_html("<p>\u00e9</p>".encode("latin-1"), content_type=f"text/html; charset={label}")


# --- the <meta> prescan -------------------------------------------------------------------------


def test_prescan_skips_a_meta_inside_a_comment() -> None:
    """QA: `<!-- <meta charset="koi8-r"> -->` before the real windows-1251 <meta> won."""
    page = small_page("Новости", '<!-- <meta charset="koi8-r"> --><meta charset="windows-1251">')
    assert decode_html(page.encode("cp1251")) == page


def test_prescan_ignores_charset_in_a_description() -> None:
    """`content="charset=koi8-r…"` counts only with http-equiv="content-type"."""
    head = '<meta name="description" content="charset=koi8-r is a thing"><meta charset="windows-1252">'
    page = small_page(SMART, head)
    assert decode_html(page.encode("cp1252")) == page


def test_prescan_skips_attribute_values_of_other_tags() -> None:
    """A `<meta charset>` quoted inside another tag's attribute is not a declaration."""
    head = '<link title=\'<meta charset="koi8-r">\' href="/x"><meta charset="windows-1251">'
    page = small_page("Новости", head)
    assert decode_html(page.encode("cp1251")) == page


@pytest.mark.parametrize(
    "meta",
    [
        '<meta content="text/html; charset=windows-1251" http-equiv="content-type">',
        "<META HTTP-EQUIV=Content-Type CONTENT='text/html;charset=\"windows-1251\"'>",
        '<meta charset=" WINDOWS-1251 ">',
        "<meta/charset=cp1251>",
    ],
)
def test_prescan_reads_the_forms_browsers_accept(meta: str) -> None:
    """Attribute order, case, quotes, spaces and "/" separators, as in HTML's prescan."""
    page = small_page("Новости", meta)
    assert decode_html(page.encode("cp1251")) == page


def test_prescan_spec_examples() -> None:
    """The first usable <meta> wins; a charset attribute beats content; an unknown one is skipped."""
    assert _meta_prescan(b'<meta charset="utf-7"><meta charset=gbk>') == "gbk"
    assert _meta_prescan(b'<meta http-equiv=content-type content="charset=koi8-r" charset=gbk>') == "koi8-r"
    assert _meta_prescan(b"<meta content='charset=koi8-r'>") is None
    assert _meta_prescan(b"<!--><meta charset=big5>") == "big5"  # "<!-->" is a whole comment
    assert _meta_prescan(b'<a title="x><meta charset=big5>') is None  # an unclosed quote ends the scan


_PRESCAN_TOKENS = st.sampled_from(
    [
        b"<", b">", b'"', b"'", b"=", b" ", b"/", b"<!--", b"-->", b"<meta ", b"<META/", b"charset",
        b"CHARSET", b"=koi8-r", b"=gbk", b"=utf-8", b'="utf-16le"', b"='x-user-defined'", b"=latin1",
        b"http-equiv=content-type", b'content="text/html; charset=shift_jis"', b"content=", b"<a ",
        b"</p ", b"<!", b"<?", b"x", b"\t", b";charset=euc-jp",
    ]
)  # fmt: skip


@given(st.lists(_PRESCAN_TOKENS, max_size=30).map(b"".join))
def test_the_prescan_is_only_skipped_when_its_answer_cannot_matter(head: bytes) -> None:
    """For valid UTF-8, skipping the prescan (the fast path) never hides a legacy declaration."""
    if _prescan_is_moot(head):
        assert _meta_prescan(head) in _UTF8_IN_THE_END


@given(st.binary(max_size=600))
def test_the_prescan_reads_any_bytes(head: bytes) -> None:
    """The prescan answers a WHATWG encoding or None for any input, never an exception."""
    assert _meta_prescan(b"<meta charset" + head) in {None, *_WHATWG_LABELS}


def test_every_whatwg_label_is_decodable() -> None:
    """Each label in the table names its encoding and reaches a decoder (replacement is refused)."""
    for encoding, labels in _WHATWG_LABELS.items():
        for label in labels.split():
            assert _encoding(f" {label.upper()}\t") == encoding
            content_type = f"text/html; charset={label.upper()}"
            if encoding == "replacement":
                with pytest.raises(UndecodableInput):
                    decode_html(b"<p>\xe9</p>", content_type=content_type)
            else:
                assert isinstance(decode_html(b"<p>caf\xe9 \xa4</p>", content_type=content_type), str)


def test_bom_still_beats_the_header() -> None:
    """Kept: a UTF-8 BOM wins over a windows-1252 header, and is removed."""
    assert decode_html(codecs.BOM_UTF8 + DHS_BYTES, content_type="text/html; charset=windows-1252") == DHS
